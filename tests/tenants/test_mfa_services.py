"""The two-factor operations write their audit row in the transaction of the device change they make.

Before, the sign-in pages checked the code (django-otp moves the device's counter forward) and wrote the audit row
afterwards, outside any transaction: a failed audit write left a used code and no record of it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from common.models import AuditEvent
from tenants import mfa
from tenants.models import Person

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def _failing_audit(monkeypatch: Any) -> None:
    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(mfa.audit, "record", refuse)


def test_a_verified_code_is_audited_with_the_device_change(new_person: Any) -> None:
    person: Person = new_person("mfa-verify", nakatosa="clerk")
    device = TOTPDevice.objects.get(user=person, confirmed=True)
    with schema_context("nakatosa"):
        assert mfa.verify_second_factor(person=person, token=_code(device)) == device
        row = AuditEvent.objects.order_by("-seq").first()
    assert row is not None
    assert (row.action, row.actor_username, row.details) == ("auth.otp_verified", "mfa-verify", {"device": "totp"})


def test_without_its_audit_row_the_code_is_not_used_up(new_person: Any, monkeypatch: Any) -> None:
    person: Person = new_person("mfa-rollback", nakatosa="clerk")
    device = TOTPDevice.objects.get(user=person, confirmed=True)
    before = device.last_t
    _failing_audit(monkeypatch)
    with schema_context("nakatosa"), pytest.raises(RuntimeError):
        mfa.verify_second_factor(person=person, token=_code(device))
    device.refresh_from_db()
    assert device.last_t == before


def test_renewed_recovery_codes_roll_back_with_their_audit_row(new_person: Any, monkeypatch: Any) -> None:
    person: Person = new_person("mfa-codes", nakatosa="clerk")
    old = set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True))
    _failing_audit(monkeypatch)
    with schema_context("nakatosa"), pytest.raises(RuntimeError):
        mfa.renew_recovery_codes(person=person)
    assert set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True)) == old


def test_an_authenticator_is_not_enrolled_without_its_audit_row(new_person: Any, monkeypatch: Any) -> None:
    person: Person = new_person("mfa-enrol", nakatosa="clerk")
    device = mfa.pending_totp_device(person)
    _failing_audit(monkeypatch)
    with schema_context("nakatosa"), pytest.raises(RuntimeError):
        mfa.enrol_authenticator(person=person, device=device, token=_code(device))
    device.refresh_from_db()
    assert device.confirmed is False

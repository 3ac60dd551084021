"""Second factors: authenticator apps (TOTP), security keys / passkeys (WebAuthn), recovery codes.

The operations a person performs (verify a code, enrol an authenticator, renew the recovery codes) write their
audit row inside the same transaction as the device change they make (``verify_second_factor``,
``enrol_authenticator``, ``renew_recovery_codes``); the sign-in pages call only these.
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from common import audit
from tenants.models import Person

RECOVERY_DEVICE_NAME = "recovery"
RECOVERY_CODE_COUNT = 10


@dataclass(frozen=True)
class DeviceInfo:
    kind: str
    name: str
    created: str


def device_kind(device: Device) -> str:
    if isinstance(device, TOTPDevice):
        return "totp"
    if isinstance(device, StaticDevice):
        return "recovery_code"
    if isinstance(device, WebAuthnCredential):
        return "webauthn"
    return type(device).__name__


def has_webauthn(person: Person) -> bool:
    return WebAuthnCredential.objects.filter(user=person, confirmed=True).exists()


def pending_totp_device(person: Person) -> TOTPDevice:
    """The unconfirmed device of an enrolment in progress (kept until confirmed or replaced)."""
    device = TOTPDevice.objects.filter(user=person, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name="認証アプリ", confirmed=False)
    return device


def b32_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_totp_device(person: Person, device: TOTPDevice) -> list[str]:
    """Confirm an enrolled authenticator; the first one also brings a fresh set of recovery codes."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=person, confirmed=False).delete()
        if StaticDevice.objects.filter(user=person, name=RECOVERY_DEVICE_NAME).exists():
            return []
        return regenerate_recovery_codes(person)


def regenerate_recovery_codes(person: Person) -> list[str]:
    """One-time recovery codes; the old set stops working at once."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=person, name=RECOVERY_DEVICE_NAME)
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
        return codes


def verify_second_factor(*, person: Person, token: str) -> Device | None:
    """The second step of signing in: the code is checked (django-otp advances the device's counter, drift or
    failure count) and the outcome audited, in one transaction. None when no device accepts the code."""
    with transaction.atomic():
        device = match_token(person, token)
        if device is None:
            audit.record(actor=person, action="auth.otp_failed")
        else:
            audit.record(actor=person, action="auth.otp_verified", details={"device": device_kind(device)})
    return device


def enrol_authenticator(*, person: Person, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm an authenticator app with a code it shows; None (and nothing written) when the code is wrong.
    Returns the new recovery codes of a first enrolment ([] otherwise)."""
    with transaction.atomic():
        if not device.verify_token(token):
            return None
        codes = confirm_totp_device(person, device)
        audit.record(actor=person, action="auth.otp_enrolled", details={"device": "totp"})
    return codes


def renew_recovery_codes(*, person: Person) -> list[str]:
    with transaction.atomic():
        codes = regenerate_recovery_codes(person)
        audit.record(actor=person, action="auth.recovery_codes_regenerated")
    return codes


def recovery_codes_left(person: Person) -> int:
    return StaticToken.objects.filter(device__user=person, device__name=RECOVERY_DEVICE_NAME).count()


def describe_devices(person: Person) -> list[DeviceInfo]:
    infos = []
    for device in devices_for_user(person, confirmed=True):
        kind = device_kind(device)
        if kind == "recovery_code":
            continue
        created = getattr(device, "created_at", None)
        infos.append(DeviceInfo(kind, device.name or kind, f"{created:%Y-%m-%d}" if created else ""))
    return infos


def demo_code(person: Person) -> str | None:
    """The current code of a demo account's authenticator, shown on the verify page in demo mode only.

    production.py pins KYODO_DEMO_MODE to False and `check --deploy` fails if it is on.
    """
    if not (settings.KYODO_DEMO_MODE and person.is_demo):
        return None
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def webauthn_rp_id(request: HttpRequest) -> str:
    """The configured parent domain, or the host of the town the request came to."""
    return settings.KYODO_WEBAUTHN_RP_ID or request.get_host().split(":")[0]


class KyodoWebAuthnHelper(WebAuthnHelper):
    """Security keys for every town host without listing each origin in settings.

    The request's own origin is the expected one: its host has already been matched to a registered
    town domain by django-tenants (an unknown host never reaches this code), and a phishing site that
    relays a ceremony signs its own origin into clientDataJSON, which then does not match.
    KYODO_WEBAUTHN_ORIGINS pins an explicit list instead.
    """

    def get_allowed_origins(self) -> list[str]:
        configured = list(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)
        return configured or [f"{self.request.scheme}://{self.request.get_host()}"]

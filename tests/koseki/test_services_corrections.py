"""職権訂正: the wrong entry stays, struck with its reason, and points at its replacement."""

from __future__ import annotations

import pytest

from koseki import selectors, services
from koseki.errors import CorrectionFieldsInvalid, CorrectionReasonRequired, EntryAlreadyStruck
from koseki.models import Entry, EntryKind, Notification, NotificationKind
from tenants.models import Person
from tests.koseki.factories import audit_actions, clerk, fields_of, in_nakatosa, members_of, snapshot, yamada_family

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures


def test_correction_keeps_the_struck_entry_and_links_the_new_one(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro = members_of(koseki)[0]
    wrong = Entry.objects.get(member=taro, kind=EntryKind.BIRTH)
    fixed = services.correct_entry(
        actor=clerk,
        entry=wrong,
        reason="出生地の誤記(届書記載の誤り)",
        fields=[["出生日", "昭和55年5月1日"], ["出生地", "高知県高岡郡四万十町"], ["届出人", "父"]],
    )
    wrong.refresh_from_db()
    assert wrong.is_struck
    assert wrong.struck_reason == "出生地の誤記(届書記載の誤り)"
    assert wrong.struck_at is not None
    assert wrong.replaced_by_id == fixed.pk
    assert fixed.kind == EntryKind.BIRTH
    assert fixed.event_date == wrong.event_date
    assert not fixed.is_struck
    assert fields_of(fixed)["出生地"] == "高知県高岡郡四万十町"
    note = Entry.objects.get(member=taro, kind=EntryKind.CORRECTION)
    assert fields_of(note)["訂正事由"] == "出生地の誤記(届書記載の誤り)"
    assert "【出生地】高知県高岡郡中土佐町" in fields_of(note)["従前の記録"]
    notification = Notification.objects.get(kind=NotificationKind.CORRECTION)
    assert notification.details["entry_id"] == wrong.pk
    assert notification.details["old_fields"] == wrong.fields
    view = selectors.get_register(koseki_id=koseki.pk).members[0]
    assert wrong in view.entries
    assert fixed in view.entries
    koseki.refresh_from_db()
    assert koseki.version == 2
    assert audit_actions()[-1] == "koseki.correction"

    # The struck entry cannot be corrected again; its replacement can.
    before = snapshot()
    with pytest.raises(EntryAlreadyStruck):
        services.correct_entry(actor=clerk, entry=wrong, reason="再訂正", fields=[["出生日", "x"]])
    assert snapshot() == before


def test_strike_without_replacement_and_refusals(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    hanako = members_of(koseki)[1]
    entry = Entry.objects.get(member=hanako, kind=EntryKind.MARRIAGE)
    before = snapshot()
    with pytest.raises(CorrectionReasonRequired):
        services.correct_entry(actor=clerk, entry=entry, reason="  ", fields=None)
    with pytest.raises(CorrectionFieldsInvalid):
        services.correct_entry(actor=clerk, entry=entry, reason="誤記", fields=[["婚姻日"]])
    with pytest.raises(CorrectionFieldsInvalid):
        services.correct_entry(actor=clerk, entry=entry, reason="誤記", fields=[])
    assert snapshot() == before
    struck = services.correct_entry(actor=clerk, entry=entry, reason="誤って記載", fields=None)
    assert struck.pk == entry.pk
    assert struck.is_struck
    assert struck.replaced_by_id is None

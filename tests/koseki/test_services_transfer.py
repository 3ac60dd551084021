"""転籍 (戸籍法第108条): within the town the 本籍 changes in place; to the other town the register moves between
the two schemas in one transaction, audited in both, and a failure leaves nothing in either."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from common.models import AuditEvent
from koseki import selectors, services
from koseki.errors import (
    HonsekiRequired,
    KosekiClosed,
    TransferHonsekiMismatch,
    TransferSameHonseki,
    TransferUnknownTown,
)
from koseki.models import (
    CompiledReason,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaRecord,
    FuriganaStatus,
    Koseki,
    KosekiStatus,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services import transfer
from tenants.models import Person
from tests.koseki.factories import TODAY, clerk, fields_of, in_nakatosa, members_of, snapshot, yamada_family

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures

SHIMANTO_NEW = "高知県高岡郡四万十町琴平町5番地"


def move(actor: Person, koseki: Koseki, honseki: str, target: str | None = None) -> Notification:
    return services.record_transfer(
        actor=actor,
        koseki=koseki,
        new_honseki=honseki,
        notified_on=TODAY,
        notifier_name="山田太郎",
        target_schema=target,
    )


def test_transfer_within_the_town_changes_the_honseki_in_place(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    old = koseki.honseki
    notification = move(clerk, koseki, "高知県高岡郡中土佐町上ノ加江7番地")
    koseki.refresh_from_db()
    assert koseki.honseki == "高知県高岡郡中土佐町上ノ加江7番地"
    assert koseki.status == KosekiStatus.CURRENT
    entry = Entry.objects.get(koseki=koseki, member=None, kind=EntryKind.TRANSFER)
    assert entry.fields == [["転籍日", "令和8年11月27日"], ["従前本籍", old]]
    assert notification.kind == NotificationKind.TRANSFER
    assert koseki.version == 2
    assert koseki in selectors.search_koseki(honseki="高知県高岡郡中土佐町上ノ加江")
    assert AuditEvent.objects.order_by("-seq").first().action == "koseki.transfer"  # type: ignore[union-attr]


def _with_history(koseki: Koseki) -> None:
    taro = members_of(koseki)[0]
    FuhyoEntry.objects.create(
        koseki=koseki, member=taro, address="高知県高岡郡中土佐町久礼1234", address_set_on=date(2010, 4, 1),
        source_town_code="394017", source_event="転入", source_reference="nakatosa:41",
    )  # fmt: skip
    FuhyoEntry.objects.create(
        koseki=koseki, member=taro, address="高知県高岡郡中土佐町久礼9999", address_set_on=date(2012, 4, 1),
        source_town_code="394017", source_event="転居", source_reference="nakatosa:42",
        is_struck=True, struck_at=timezone.now(), struck_reason="転居の取消し",
    )  # fmt: skip
    FuriganaRecord.objects.create(
        member=taro, family_name_kana="ヤマダ", given_name_kana="タロウ", status=FuriganaStatus.NOTIFIED,
        effective_on=date(2025, 7, 1),
    )  # fmt: skip


def test_transfer_to_the_other_town_moves_the_register_and_audits_both(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    _with_history(koseki)
    taro, hanako, ichiro, sakura = members_of(koseki)
    Member.objects.filter(pk=ichiro.pk).update(is_removed=True, removed_on=date(2025, 1, 1), removed_reason="分籍")
    keys = [taro.person_key, hanako.person_key, sakura.person_key]
    shimanto_audit_before = _audit_count("shimanto")

    notification = move(clerk, koseki, SHIMANTO_NEW, target="shimanto")

    koseki.refresh_from_db()
    assert koseki.status == KosekiStatus.CLOSED
    assert koseki.closed_reason == "転籍"
    assert koseki.closed_on == TODAY
    assert koseki.transferred_to == SHIMANTO_NEW
    closing = Entry.objects.get(koseki=koseki, member=None, kind=EntryKind.TRANSFER)
    assert fields_of(closing) == {"転籍日": "令和8年11月27日", "新本籍": SHIMANTO_NEW}
    assert not Member.objects.filter(koseki=koseki, is_removed=False).exists()
    assert notification.details["target_schema"] == "shimanto"
    assert AuditEvent.objects.filter(action="koseki.transfer").count() == 1

    with schema_context("shimanto"):
        new = Koseki.objects.get(number=notification.details["target_koseki_number"])
        assert new.compiled_reason == CompiledReason.TRANSFER
        assert new.honseki == SHIMANTO_NEW
        assert (new.family_name, new.head_given_name) == ("山田", "太郎")
        moved = members_of(new)
        assert [m.person_key for m in moved] == keys  # the member who had left is not carried
        assert [m.position for m in moved] == [1, 2, 3]
        assert moved[0].is_head
        assert moved[0].spouse_key == hanako.person_key
        assert moved[2].relationship == "長女"
        assert fields_of(Entry.objects.get(koseki=new, member=None)) == {
            "転籍日": "令和8年11月27日",
            "従前本籍": "高知県高岡郡中土佐町久礼1番地",
        }
        assert Entry.objects.filter(member=moved[0], kind=EntryKind.BIRTH).count() == 1
        assert Entry.objects.filter(member=moved[0], kind=EntryKind.MARRIAGE).count() == 1
        # The 附票 moves whole: the struck line stays struck, references keep later cancellations working.
        lines = list(FuhyoEntry.objects.filter(member=moved[0]).order_by("address_set_on"))
        assert [(line.address, line.is_struck, line.source_reference) for line in lines] == [
            ("高知県高岡郡中土佐町久礼1234", False, "nakatosa:41"),
            ("高知県高岡郡中土佐町久礼9999", True, "nakatosa:42"),
        ]
        assert lines[1].struck_reason == "転居の取消し"
        assert FuriganaRecord.objects.get(member=moved[0]).status == FuriganaStatus.NOTIFIED
        received = Notification.objects.get(kind=NotificationKind.TRANSFER_IN)
        assert received.details["source_koseki_number"] == koseki.number
        assert received.koseki_numbers == [new.number]
        assert new in selectors.search_koseki(query="やまだたろう")
        audit = AuditEvent.objects.get(action="koseki.transfer_in")
        assert audit.details["source_schema"] == "nakatosa"
        assert audit.actor_id == clerk.pk
    assert _audit_count("shimanto") == shimanto_audit_before + 1


def _audit_count(schema: str) -> int:
    with schema_context(schema):
        return AuditEvent.objects.count()


def _shimanto_snapshot() -> dict[str, Any]:
    with schema_context("shimanto"):
        return snapshot()


def test_failure_in_the_target_town_leaves_nothing_in_either(
    in_nakatosa: None, clerk: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    koseki = yamada_family()
    _with_history(koseki)
    real = transfer.audit_notification

    def failing(**kwargs: Any) -> None:
        if kwargs["action"] == "koseki.transfer_in":
            raise RuntimeError("target town failed after writing")
        real(**kwargs)

    monkeypatch.setattr(transfer, "audit_notification", failing)
    before_here, before_there = snapshot(), _shimanto_snapshot()
    expected_here = services.next_notification_number(TODAY)
    with schema_context("shimanto"):
        expected_there = services.next_notification_number(TODAY)
    with pytest.raises(RuntimeError):
        move(clerk, koseki, SHIMANTO_NEW, target="shimanto")
    assert snapshot() == before_here
    assert _shimanto_snapshot() == before_there
    # The rolled-back 届出 left no gap in either town's 受付番号.
    monkeypatch.setattr(transfer, "audit_notification", real)
    notification = move(clerk, koseki, SHIMANTO_NEW, target="shimanto")
    assert notification.number == expected_here
    with schema_context("shimanto"):
        received = Notification.objects.get(kind=NotificationKind.TRANSFER_IN)
        assert received.number == expected_there


@pytest.mark.parametrize(
    ("target", "honseki", "error", "code"),
    [
        ("nowhere", SHIMANTO_NEW, TransferUnknownTown, "transfer_unknown_town"),
        ("public", SHIMANTO_NEW, TransferUnknownTown, "transfer_unknown_town"),
        ("shimanto", "高知県高岡郡中土佐町久礼2番地", TransferHonsekiMismatch, "transfer_honseki_mismatch"),
        (None, SHIMANTO_NEW, TransferHonsekiMismatch, "transfer_honseki_mismatch"),
        (None, "高知県高岡郡中土佐町久礼1番地", TransferSameHonseki, "transfer_same_honseki"),
        (None, "  ", HonsekiRequired, "honseki_required"),
    ],
)
def test_transfer_refusals_write_nothing(
    in_nakatosa: None, clerk: Person, target: str | None, honseki: str, error: type[Exception], code: str
) -> None:
    koseki = yamada_family()
    before_here, before_there = snapshot(), _shimanto_snapshot()
    with pytest.raises(error) as info:
        move(clerk, koseki, honseki, target=target)
    assert getattr(info.value, "code", None) == code
    assert snapshot() == before_here
    assert _shimanto_snapshot() == before_there


def test_transfer_of_a_closed_register_is_refused(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    move(clerk, koseki, SHIMANTO_NEW, target="shimanto")
    koseki.refresh_from_db()
    before_here, before_there = snapshot(), _shimanto_snapshot()
    with pytest.raises(KosekiClosed):
        move(clerk, koseki, SHIMANTO_NEW, target="shimanto")
    with pytest.raises(KosekiClosed):
        move(clerk, koseki, "高知県高岡郡中土佐町上ノ加江7番地")
    assert snapshot() == before_here
    assert _shimanto_snapshot() == before_there

"""転籍届 (戸籍法第108条): a new 本籍 for the whole koseki.

* In the same town the register stays and its 本籍 changes, with a 転籍 戸籍事項 (【転籍日】【従前本籍】).
* To the other town on the platform the register moves between the two towns' schemas, in ONE transaction,
  through this one audited service (STYLE.md: cross-town features go through one explicit service): the koseki
  here is closed as a 除籍簿 (戸籍事項 転籍 【新本籍】), and the other town compiles a new one with every current
  member, the entries still in force (移記), the furigana history and the 附票 lines. Both towns get a
  Notification and an audit row; if anything fails in either schema, nothing is written in either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django_tenants.utils import schema_context

from common.tenancy import current_schema
from koseki.errors import HonsekiRequired, TransferHonsekiMismatch, TransferSameHonseki, TransferUnknownTown
from koseki.models import (
    CompiledReason,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaRecord,
    Koseki,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services.common import (
    add_entry,
    audit_notification,
    bump,
    check_dates,
    close_koseki,
    compile_koseki,
    ensure_open,
    lock_members,
    lock_registers,
    new_notification,
    remove_member,
    town_name,
)
from koseki.services.text import refresh_search_text, wareki
from tenants.models import Municipality, Person

AUDIT_LABELS = {
    "koseki.transfer": "戸籍: 転籍届",
    "koseki.transfer_in": "戸籍: 転籍(他町からの受入れ)",
}

# 移記 on 転籍 (戸籍法施行規則第37条): only what is still in force is written again in the new register.
_CARRIED_KINDS = (EntryKind.BIRTH, EntryKind.MARRIAGE, EntryKind.ADOPTION, EntryKind.FURIGANA)

_MEMBER_FIELDS = (
    "person_key", "family_name", "given_name", "family_name_kana", "given_name_kana", "furigana_status",
    "birth_date", "sex", "father_name", "mother_name", "father_key", "mother_key", "relationship",
    "adoptive_father_name", "adoptive_mother_name", "adoptive_father_key", "adoptive_mother_key",
    "adoptive_relationship", "is_head", "spouse_role", "spouse_key", "resident_code",
)  # fmt: skip


@dataclass
class _MovingMember:
    values: dict[str, Any]
    entries: list[dict[str, Any]]
    furigana: list[dict[str, Any]]
    fuhyo: list[dict[str, Any]]


def _check_town_honseki(honseki: str, schema: str) -> None:
    """A koseki is kept by its 本籍地 (戸籍法第6条): the new 本籍 must lie in the town that will keep it."""
    name = town_name(schema)
    if name and name not in honseki:
        raise TransferHonsekiMismatch(
            f"新本籍「{honseki}」は{name}の区域にありません。{name}以外への転籍は転籍先の町を選んでください。",
            details={"new_honseki": honseki, "town": name},
        )


def record_transfer(
    *,
    actor: Person | None,
    koseki: Koseki,
    new_honseki: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str = "筆頭者",
    target_schema: str | None = None,
) -> Notification:
    check_dates(event_date=notified_on, notified_on=notified_on)
    honseki = " ".join(new_honseki.split())
    if not honseki:
        raise HonsekiRequired("転籍後の新しい本籍を入力してください(戸籍法第108条)。")
    here = current_schema()
    if target_schema in (None, "", here):
        return _transfer_within_town(
            actor=actor,
            koseki=koseki,
            honseki=honseki,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
        )
    assert target_schema is not None
    town = Municipality.objects.filter(
        schema_name=target_schema, kind=Municipality.Kind.TOWN, status=Municipality.Status.ACTIVE
    ).first()
    if town is None:
        raise TransferUnknownTown(details={"target_schema": target_schema})
    return _transfer_to_other_town(
        actor=actor,
        koseki=koseki,
        honseki=honseki,
        notified_on=notified_on,
        notifier_name=notifier_name,
        notifier_capacity=notifier_capacity,
        source_schema=here,
        target=town,
    )


def _transfer_within_town(
    *, actor: Person | None, koseki: Koseki, honseki: str, notified_on: date, notifier_name: str, notifier_capacity: str
) -> Notification:
    _check_town_honseki(honseki, current_schema())
    with transaction.atomic():
        register = lock_registers([koseki.pk]).get(koseki.pk)
        if register is None:
            raise TransferUnknownTown("転籍する戸籍が見つかりません。", code="koseki_not_found")
        ensure_open(register)
        if register.honseki == honseki:
            raise TransferSameHonseki()
        old_honseki = register.honseki
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.TRANSFER,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={"old_honseki": old_honseki, "new_honseki": honseki, "within_town": True},
        )
        add_entry(
            koseki=register,
            member=None,
            kind=EntryKind.TRANSFER,
            event_date=notified_on,
            fields=[["転籍日", wareki(notified_on)], ["従前本籍", old_honseki]],
            notification=notification,
            notifier=notifier_capacity,
        )
        register.honseki = honseki
        Koseki.objects.filter(pk=register.pk).update(honseki=honseki)
        refresh_search_text(register)
        bump(register)
        audit_notification(actor=actor, action="koseki.transfer", notification=notification)
    return notification


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def _transfer_to_other_town(
    *,
    actor: Person | None,
    koseki: Koseki,
    honseki: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    source_schema: str,
    target: Municipality,
) -> Notification:
    _check_town_honseki(honseki, target.schema_name)
    with transaction.atomic():
        # Lock order everywhere: members (by pk), then registers (by pk).
        locked = lock_members(Member.objects.filter(koseki_id=koseki.pk).values_list("pk", flat=True))
        register = lock_registers([koseki.pk]).get(koseki.pk)
        if register is None:
            raise TransferUnknownTown("転籍する戸籍が見つかりません。", code="koseki_not_found")
        ensure_open(register)
        members = sorted((m for m in locked.values() if not m.is_removed), key=lambda m: m.position)
        moving = _snapshot(members)
        source_town = town_name(source_schema)

        notification = new_notification(
            actor=actor,
            kind=NotificationKind.TRANSFER,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={
                "old_honseki": register.honseki,
                "new_honseki": honseki,
                "target_schema": target.schema_name,
                "target_town_code": target.code,
                "members": [str(m.person_key) for m in members],
            },
        )
        for member in members:
            remove_member(member, on=notified_on, reason="転籍")
        register.transferred_to = honseki
        close_koseki(
            register,
            on=notified_on,
            reason="転籍",
            notification=notification,
            kind=EntryKind.TRANSFER,
            fields=[["転籍日", wareki(notified_on)], ["新本籍", honseki]],
        )
        refresh_search_text(register)
        bump(register)
        audit_notification(
            actor=actor,
            action="koseki.transfer",
            notification=notification,
            details={"target_schema": target.schema_name, "target_town": target.name},
        )

        with schema_context(target.schema_name):
            received = _receive(
                actor=actor,
                old=register,
                honseki=honseki,
                moving=moving,
                notified_on=notified_on,
                notifier_name=notifier_name,
                notifier_capacity=notifier_capacity,
                source_schema=source_schema,
                source_town=source_town,
                source_notification=notification.number,
            )
        notification.details["target_koseki_number"] = received.number
        notification.save(update_fields=["details"])
    return notification


def _snapshot(members: list[Member]) -> list[_MovingMember]:
    """Everything the new register needs, read here before the connection switches to the other schema."""
    ids = [m.pk for m in members]
    entries: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for entry in Entry.objects.filter(member_id__in=ids, kind__in=_CARRIED_KINDS, is_struck=False).order_by(
        "event_date", "id"
    ):
        entries[entry.member_id or 0].append(
            {
                "kind": entry.kind,
                "event_date": entry.event_date,
                "notified_on": entry.notified_on,
                "notifier": entry.notifier,
                "accepted_on": entry.accepted_on,
                "accepted_by": entry.accepted_by,
                "fields": entry.fields,
            }
        )
    furigana: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for record in FuriganaRecord.objects.filter(member_id__in=ids).order_by("recorded_at", "id"):
        furigana[record.member_id].append(
            {
                "family_name_kana": record.family_name_kana,
                "given_name_kana": record.given_name_kana,
                "status": record.status,
                "effective_on": record.effective_on,
                "notifier": record.notifier,
                "recorded_at": record.recorded_at,
            }
        )
    fuhyo: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for line in FuhyoEntry.objects.filter(member_id__in=ids).order_by("address_set_on", "id"):
        fuhyo[line.member_id].append(
            {
                "address": line.address,
                "address_set_on": line.address_set_on,
                "source_town_code": line.source_town_code,
                "source_event": line.source_event,
                # The 附票 moves whole: struck lines stay struck, references keep cancellations working.
                "source_reference": line.source_reference,
                "is_struck": line.is_struck,
                "struck_at": line.struck_at,
                "struck_reason": line.struck_reason,
            }
        )
    return [
        _MovingMember(
            values={name: getattr(m, name) for name in _MEMBER_FIELDS},
            # A marriage that has ended (spouse died or divorced) is not in force and is not carried.
            entries=[e for e in entries[m.pk] if e["kind"] != EntryKind.MARRIAGE or m.spouse_key is not None],
            furigana=furigana[m.pk],
            fuhyo=fuhyo[m.pk],
        )
        for m in members
    ]


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def _receive(
    *,
    actor: Person | None,
    old: Koseki,
    honseki: str,
    moving: list[_MovingMember],
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    source_schema: str,
    source_town: str,
    source_notification: str,
) -> Koseki:
    """The other town's side: compile the register, write the members, audit there (runs in its schema)."""
    notification = new_notification(
        actor=actor,
        kind=NotificationKind.TRANSFER_IN,
        event_date=notified_on,
        notified_on=notified_on,
        notifier_name=notifier_name,
        notifier_capacity=notifier_capacity,
        kosekis=[],
        details={
            "source_schema": source_schema,
            "source_town": source_town,
            "source_koseki_number": old.number,
            "source_notification": source_notification,
            "old_honseki": old.honseki,
        },
    )
    new = compile_koseki(
        honseki=honseki,
        family_name=old.family_name,
        head_given_name=old.head_given_name,
        family_name_kana=old.family_name_kana,
        compiled_on=notified_on,
        reason=CompiledReason.TRANSFER,
    )
    add_entry(
        koseki=new,
        member=None,
        kind=EntryKind.TRANSFER,
        event_date=notified_on,
        fields=[["転籍日", wareki(notified_on)], ["従前本籍", old.honseki]],
        notification=notification,
        notifier=notifier_capacity,
    )
    for position, person in enumerate(moving, start=1):
        member = Member.objects.create(koseki=new, position=position, **person.values)
        for entry in person.entries:
            Entry.objects.create(koseki=new, member=member, **entry)
        for record in person.furigana:
            FuriganaRecord.objects.create(member=member, **record)
        for line in person.fuhyo:
            FuhyoEntry.objects.create(koseki=new, member=member, **line)
    notification.koseki_numbers = [new.number]
    notification.save(update_fields=["koseki_numbers"])
    refresh_search_text(new)
    audit_notification(
        actor=actor,
        action="koseki.transfer_in",
        notification=notification,
        details={"source_schema": source_schema, "source_town": source_town, "source_koseki": old.number},
    )
    return new

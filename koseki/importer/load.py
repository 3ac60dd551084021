"""The bulk loader of registers, shared by the CSV import and the demo (koseki.demo)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import audit
from common.dates import local_today
from common.errors import ValidationFailed
from koseki.importer.inputs import EntryInput, LoadResult, MemberInput, RegisterInput, derive_keys
from koseki.models import (
    Entry,
    FuhyoEntry,
    FuriganaRecord,
    Koseki,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services.common import accepted_by, next_koseki_number, next_notification_number
from koseki.services.text import koseki_search_text, member_search_text
from tenants.models import Person

BATCH_SIZE = 2_000


def _entry(koseki: Koseki, member: Member | None, item: EntryInput, notification: Notification) -> Entry:
    return Entry(
        koseki=koseki,
        member=member,
        kind=item.kind,
        event_date=item.event_date,
        notified_on=item.notified_on,
        notifier=item.notifier[:100],
        accepted_on=item.accepted_on,
        accepted_by=item.accepted_by[:100],
        fields=[[str(label), str(value)] for label, value in item.fields if str(value)],
        notification=notification,
    )


# long: a set-based bulk load: ids and numbers are taken as blocks up front and every bulk_create refers to them;
# split, the id maps would travel through every step
@transaction.atomic
def load_registers(
    *,
    actor: Person | None,
    registers: Sequence[RegisterInput],
    purpose: str,
    notifier_name: str = "移行",
    details: dict[str, Any] | None = None,
) -> LoadResult:
    """Write whole registers at once (all or nothing), with one Notification (移行) and one audit row.

    Nothing here checks the registers' rules: the CSV parser and the demo hand over registers that passed
    their checks. Koseki numbers are taken under koseki.services.common's lock, as a block.
    """
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("移行(一括登録)の目的を入力してください。", code="purpose_required")
    if not registers:
        raise ValidationFailed("登録する戸籍がありません。", code="nothing_to_import")
    today = local_today()
    notification = Notification.objects.create(
        number=next_notification_number(today),
        kind=NotificationKind.IMPORT,
        event_date=today,
        notified_on=today,
        accepted_on=today,
        notifier_name=notifier_name[:100],
        notifier_capacity="移行",
        koseki_numbers=[],
        details={**(details or {}), "purpose": purpose},
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.full_name if actor is not None else "",
        processed_at=timezone.now(),
    )
    result = LoadResult(notification=notification)
    first = next_koseki_number()  # holds the numbering lock until commit
    serial = int(first[1:])
    numbers = [f"K{serial + i:010d}" for i in range(len(registers))]
    kosekis: list[Koseki] = []
    members_of: list[list[Member]] = []
    for register, number in zip(registers, numbers, strict=True):
        derive_keys(register)
        head = next(m for m in register.members if m.is_head)
        koseki = Koseki(
            number=number,
            honseki=" ".join(register.honseki.split()),
            family_name=register.family_name,
            head_given_name=head.given_name,
            family_name_kana=register.family_name_kana,
            compiled_on=register.compiled_on,
            compiled_reason=register.compiled_reason,
            status=register.status,
            closed_on=register.closed_on,
            closed_reason=register.closed_reason[:100],
            transferred_to=register.transferred_to,
        )
        members = [_member(koseki, m) for m in sorted(register.members, key=lambda m: m.position)]
        koseki.search_text = koseki_search_text(koseki, members)
        kosekis.append(koseki)
        members_of.append(members)
    Koseki.objects.bulk_create(kosekis, batch_size=BATCH_SIZE)
    for koseki, members in zip(kosekis, members_of, strict=True):
        for member in members:
            member.koseki = koseki  # the koseki has its pk now
    all_members = [m for members in members_of for m in members]
    Member.objects.bulk_create(all_members, batch_size=BATCH_SIZE)
    entries: list[Entry] = []
    lines: list[FuhyoEntry] = []
    furigana: list[FuriganaRecord] = []
    town_accepted_by = accepted_by()
    for register, koseki, members in zip(registers, kosekis, members_of, strict=True):
        entries += [_entry(koseki, None, item, notification) for item in register.entries]
        by_position = {m.position: m for m in members}
        for source in register.members:
            member = by_position[source.position]
            for item in source.entries:
                item.accepted_by = item.accepted_by or (town_accepted_by if item.accepted_on else "")
                entries.append(_entry(koseki, member, item, notification))
            lines += [
                FuhyoEntry(
                    koseki=koseki, member=member, address=" ".join(line.address.split())[:300],
                    address_set_on=line.address_set_on, source_town_code=line.source_town_code,
                    source_event=line.source_event,
                )
                for line in source.fuhyo
            ]  # fmt: skip
            furigana += [
                FuriganaRecord(
                    member=member, family_name_kana=record.family_name_kana, given_name_kana=record.given_name_kana,
                    status=record.status, effective_on=record.effective_on, notifier=record.notifier,
                    notification=notification,
                )
                for record in source.furigana
            ]  # fmt: skip
    Entry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    FuhyoEntry.objects.bulk_create(lines, batch_size=BATCH_SIZE)
    FuriganaRecord.objects.bulk_create(furigana, batch_size=BATCH_SIZE)
    result.registers, result.members = len(kosekis), len(all_members)
    result.entries, result.fuhyo_lines = len(entries), len(lines)
    result.first_number, result.last_number = numbers[0], numbers[-1]
    # The 受付帳 line names every register it created (a large load: the range, with the count).
    notification.koseki_numbers = numbers if len(numbers) <= 200 else [numbers[0], numbers[-1]]
    notification.details = {
        **notification.details,
        "registers": result.registers,
        "members": result.members,
        "first_number": result.first_number,
        "last_number": result.last_number,
    }
    notification.save(update_fields=["koseki_numbers", "details"])
    # One audit row per load (as resident_records.bulk): one decision with one purpose, traceable to every
    # register through the 戸籍番号 range and the Notification.
    audit.record(
        actor=actor,
        action="koseki.import",
        obj=("koseki.Notification", notification.pk, notification.number),
        purpose=purpose,
        personal_data=True,
        details={
            "registers": result.registers,
            "members": result.members,
            "entries": result.entries,
            "fuhyo_lines": result.fuhyo_lines,
            "first_number": result.first_number,
            "last_number": result.last_number,
        },
    )
    return result


def _member(koseki: Koseki, source: MemberInput) -> Member:
    member = Member(
        koseki=koseki,
        position=source.position,
        person_key=source.person_key or uuid.uuid4(),
        family_name=source.family_name,
        given_name=source.given_name,
        family_name_kana=source.family_name_kana,
        given_name_kana=source.given_name_kana,
        furigana_status=source.furigana_status,
        birth_date=source.birth_date,
        sex=source.sex,
        father_name=source.father_name,
        mother_name=source.mother_name,
        father_key=source.father_key,
        mother_key=source.mother_key,
        relationship=source.relationship,
        adoptive_father_name=source.adoptive_father_name,
        adoptive_mother_name=source.adoptive_mother_name,
        adoptive_father_key=source.adoptive_father_key,
        adoptive_mother_key=source.adoptive_mother_key,
        adoptive_relationship=source.adoptive_relationship,
        is_head=source.is_head,
        spouse_role=source.spouse_role,
        spouse_key=source.spouse_key,
        is_removed=source.removed_on is not None,
        removed_on=source.removed_on,
        removed_reason=source.removed_reason[:50],
        resident_code=source.resident_code,
    )
    member.search_text = member_search_text(member)
    return member

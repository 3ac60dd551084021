"""Building blocks shared by the 届出 services: numbering, locking, members entering and leaving registers,
entries, search keys, audit. Nothing here opens its own transaction: the calling service owns it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from common import audit
from common.dates import local_today
from common.tenancy import current_schema
from koseki import deadlines
from koseki.errors import (
    InvalidKosekiDate,
    KosekiClosed,
    KosekiConflict,
    MemberAlreadyRemoved,
)
from koseki.models import (
    CompiledReason,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaRecord,
    Koseki,
    KosekiStatus,
    Member,
    Notification,
)
from koseki.services.text import refresh_search_text, wareki
from tenants.models import Person

# 令和5年法律第48号: births and similar 届出 from this day must state the furigana; 職権記載 from 2026-05-26.
FURIGANA_LAW_IN_FORCE = date(2025, 5, 26)
FURIGANA_EX_OFFICIO_FROM = date(2026, 5, 26)
ADULT_AGE = 18  # 民法第4条 (令和4年4月1日から): 分籍 (戸籍法第21条) and 婚姻 (民法第731条)
ADOPTER_AGE = 20  # 民法第792条 kept 20 for adopters


@dataclass(frozen=True)
class OutsidePerson:
    """A party whose koseki is not on the platform (従前戸籍 elsewhere): what the 届書 states about them."""

    family_name: str
    given_name: str
    birth_date: date
    sex: str
    father_name: str = ""
    mother_name: str = ""
    relationship: str = ""
    honseki: str = ""  # 従前本籍
    head_name: str = ""  # 従前筆頭者
    family_name_kana: str = ""
    given_name_kana: str = ""
    nationality: str = ""  # a foreign national's 国籍 (empty: a Japanese national)

    @property
    def full_name(self) -> str:
        return f"{self.family_name}\u3000{self.given_name}"

    @property
    def is_foreign(self) -> bool:
        """A foreign national has no 戸籍 (戸籍法 第6条): never a member, only named in the spouse's 身分事項."""
        return bool(self.nationality.strip()) and self.nationality.strip() not in ("日本", "日本国")

    @property
    def foreign_name(self) -> str:
        """【配偶者氏名】 of a foreign spouse: 氏、名 in katakana (or as the 届書 writes it)."""
        return "、".join(part for part in (self.family_name, self.given_name) if part)


# --- dates ---------------------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Age in full years (年齢計算ニ関スル法律: one becomes a year older at the end of the day before the birthday,
    which for a whole-day comparison is the birthday itself)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def check_dates(*, event_date: date, notified_on: date, event_label: str = "事件の日") -> None:
    today = local_today()
    if notified_on > today:
        raise InvalidKosekiDate("届出日に未来の日付は指定できません。", details={"notified_on": str(notified_on)})
    if event_date > notified_on:
        raise InvalidKosekiDate(f"{event_label}が届出日より後になっています。", details={"event_date": str(event_date)})


# --- numbering and the town ---------------------------------------------------------------------


def _counter_lock_key(schema: str, year: int) -> int:
    digest = hashlib.sha256(f"kyodo-koseki-notification:{schema}:{year}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def next_notification_number(on: date) -> str:
    """The next 受付番号 of the year, e.g. ``2026-000123``: gapless per town and calendar year.

    The 受付帳 is numbered without gaps, so a PostgreSQL sequence (which skips a number on every rollback)
    does not fit, and the frozen model has no counter table. A transaction-scoped advisory lock per
    (town, year) serialises the writers; the number is then the year's highest + 1. A rolled-back 届出 releases
    the lock with its number unused, so the next one takes it. Must run inside the service's transaction."""
    prefix = f"{on.year}-"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_counter_lock_key(current_schema(), on.year)])
    last = Notification.objects.filter(number__regex=rf"^{on.year}-[0-9]{{6}}$").aggregate(m=Max("number"))["m"]
    serial = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


def next_koseki_number() -> str:
    """戸籍番号 K + 10 digits: the highest + 1, under the same kind of advisory lock (unique column anyway)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_counter_lock_key(current_schema(), 0)])
    last = Koseki.objects.filter(number__regex=r"^K[0-9]{10}$").aggregate(m=Max("number"))["m"]
    serial = int(last[1:]) + 1 if last else 1
    return f"K{serial:010d}"


def town_name(schema: str | None = None) -> str:
    from tenants.models import Municipality

    town = Municipality.objects.filter(schema_name=schema or current_schema()).only("name").first()
    return town.name if town is not None else ""


def accepted_by(schema: str | None = None) -> str:
    """【受理者】: the mayor of the town that accepted the 届出 (戸籍法第1条: 市町村長 keeps the register)."""
    name = town_name(schema)
    return f"{name}長" if name else ""


# --- locking -------------------------------------------------------------------------------------


def lock_registers(koseki_ids: Iterable[int]) -> dict[int, Koseki]:
    """select_for_update on the registers a 届出 changes, ordered by pk so two 届出 never deadlock."""
    ids = sorted(set(koseki_ids))
    rows = list(Koseki.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return {k.pk: k for k in rows}


def lock_members(member_ids: Iterable[int]) -> dict[int, Member]:
    ids = sorted(set(member_ids))
    rows = list(Member.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return {m.pk: m for m in rows}


def fresh_current_member(member: Member, locked: dict[int, Member], *, label: str = "") -> Member:
    """The locked copy of a member the clerk chose, refused if it has left its register meanwhile."""
    current = locked.get(member.pk)
    if current is None:
        raise KosekiConflict()
    if current.is_removed:
        who = f"{label}({current.full_name})" if label else current.full_name
        raise MemberAlreadyRemoved(
            f"{who}は既にこの戸籍から除籍されています({current.removed_reason})。",
            details={"member_id": current.pk},
        )
    return current


def ensure_open(koseki: Koseki) -> None:
    if koseki.is_closed:
        raise KosekiClosed(details={"koseki_number": koseki.number})


def bump(*kosekis: Koseki) -> None:
    """Version of each changed register + 1 (rows are locked, so read-modify-write is safe)."""
    for koseki in {k.pk: k for k in kosekis}.values():
        koseki.version += 1
        Koseki.objects.filter(pk=koseki.pk).update(version=koseki.version)


# --- notifications, entries, audit --------------------------------------------------------------


def new_notification(
    *,
    actor: Person | None,
    kind: str,
    event_date: date,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    kosekis: Sequence[Koseki],
    details: dict[str, Any],
    period_start: date | None = None,
    abroad: bool = False,
) -> Notification:
    """The 受付帳 line. ``period_start`` is the day a 報告的届出's period runs from (出生の日, 死亡を知った日 …):
    a 届出 filed after the period is accepted and marked 期間経過 (koseki.deadlines, 戸籍法 第137条)."""
    today = local_today()
    due_on, late = deadlines.is_late(kind, start=period_start, notified_on=notified_on, abroad=abroad)
    return Notification.objects.create(
        number=next_notification_number(today),
        kind=kind,
        event_date=event_date,
        notified_on=notified_on,
        accepted_on=today,
        notifier_name=" ".join((notifier_name or "").split())[:100],
        notifier_capacity=(notifier_capacity or "")[:50],
        koseki_numbers=list(dict.fromkeys(k.number for k in kosekis)),
        details={**details, "abroad": True} if abroad else details,
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.full_name if actor is not None else "",
        processed_at=timezone.now(),
        due_on=due_on,
        is_late=late,
    )


def add_entry(
    *,
    koseki: Koseki,
    member: Member | None,
    kind: str,
    event_date: date,
    fields: list[list[str]],
    notification: Notification | None,
    notifier: str = "",
) -> Entry:
    return Entry.objects.create(
        koseki=koseki,
        member=member,
        kind=kind,
        event_date=event_date,
        notified_on=notification.notified_on if notification is not None else None,
        notifier=notifier[:100],
        accepted_on=notification.accepted_on if notification is not None else None,
        accepted_by=accepted_by() if notification is not None else "",
        fields=[[str(label), str(value)] for label, value in fields if value not in (None, "")],
        notification=notification,
    )


def audit_notification(
    *, actor: Person | None, action: str, notification: Notification, details: dict[str, Any] | None = None
) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=notification,
        purpose=f"{notification.get_kind_display()}の処理",
        personal_data=True,
        details={"number": notification.number, "koseki": notification.koseki_numbers, **(details or {})},
    )


def finish_notification(
    *,
    actor: Person | None,
    action: str,
    notification: Notification,
    changed: Sequence[Koseki],
    details: dict[str, Any] | None = None,
) -> Notification:
    """The end every 届出 shares, inside its transaction: the 受付帳 line names the registers it changed, their
    search keys and versions are refreshed, and its one audit row is written."""
    registers = list({koseki.pk: koseki for koseki in changed}.values())
    notification.koseki_numbers = [koseki.number for koseki in registers]
    notification.save(update_fields=["koseki_numbers", "details"])
    for koseki in registers:
        refresh_search_text(koseki)
    bump(*registers)
    audit_notification(actor=actor, action=action, notification=notification, details=details)
    return notification


# --- registers and members -----------------------------------------------------------------------


def compile_koseki(
    *,
    honseki: str,
    family_name: str,
    head_given_name: str,
    family_name_kana: str,
    compiled_on: date,
    reason: str,
) -> Koseki:
    """A new register (新戸籍編製). Its 戸籍事項 entry is written by the caller, which knows the wording."""
    return Koseki.objects.create(
        number=next_koseki_number(),
        honseki=" ".join(honseki.split()),
        family_name=family_name,
        head_given_name=head_given_name,
        family_name_kana=family_name_kana,
        compiled_on=compiled_on,
        compiled_reason=reason,
    )


def compiled_entry(koseki: Koseki, *, on: date, notification: Notification | None) -> Entry:
    """戸籍事項 【編製日】 of a register compiled by a 届出 (婚姻, 分籍, 第17条 ...)."""
    return add_entry(
        koseki=koseki,
        member=None,
        kind=EntryKind.COMPILED,
        event_date=on,
        fields=[["編製日", wareki(on)]],
        notification=notification,
    )


def leave_for_new_register(
    person: Member, *, old: Koseki, honseki: str, on: date, compiled: str, removed: str, notification: Notification
) -> Koseki:
    """A member leaves their register to head a new one under their own 氏 (婚姻 戸籍法 第16条第3項, 分籍 第21条,
    入籍の親 第17条): the new register with its 【編製日】, and the member removed from ``old``. The entries saying why
    are the caller's."""
    new = compile_koseki(
        honseki=honseki,
        family_name=person.family_name,
        head_given_name=person.given_name,
        family_name_kana=person.family_name_kana or old.family_name_kana,
        compiled_on=on,
        reason=compiled,
    )
    compiled_entry(new, on=on, notification=notification)
    remove_member(person, on=on, reason=removed)
    return new


def next_position(koseki: Koseki) -> int:
    last = Member.objects.filter(koseki=koseki).aggregate(m=Max("position"))["m"]
    return (last or 0) + 1


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def enter_member(
    *,
    koseki: Koseki,
    source: Member | OutsidePerson,
    family_name: str | None = None,
    family_name_kana: str | None = None,
    is_head: bool = False,
    spouse_role: str = "",
    spouse_key: Any = None,
) -> Member:
    """Write a person into ``koseki`` (入籍): a new Member with the same person_key, or, when the person once
    left this very register (離婚による復籍), their earlier row brought back — a person appears once per
    register. The person's 出生 entry and furigana history are transcribed, and the latest 附票 line is
    carried so the new register's 附票 knows the current address (住基法 第16条)."""
    if isinstance(source, OutsidePerson):
        member = Member.objects.create(
            koseki=koseki,
            position=next_position(koseki),
            family_name=family_name or source.family_name,
            given_name=source.given_name,
            family_name_kana=family_name_kana if family_name_kana is not None else source.family_name_kana,
            given_name_kana=source.given_name_kana,
            birth_date=source.birth_date,
            sex=source.sex,
            father_name=source.father_name,
            mother_name=source.mother_name,
            relationship=source.relationship,
            is_head=is_head,
            spouse_role=spouse_role,
            spouse_key=spouse_key,
        )
        return member

    earlier = Member.objects.filter(koseki=koseki, person_key=source.person_key).first()
    values: dict[str, Any] = {
        "family_name": family_name or source.family_name,
        "given_name": source.given_name,
        "family_name_kana": family_name_kana if family_name_kana is not None else source.family_name_kana,
        "given_name_kana": source.given_name_kana,
        "furigana_status": source.furigana_status,
        "birth_date": source.birth_date,
        "sex": source.sex,
        "father_name": source.father_name,
        "mother_name": source.mother_name,
        "father_key": source.father_key,
        "mother_key": source.mother_key,
        "relationship": source.relationship,
        "adoptive_father_name": source.adoptive_father_name,
        "adoptive_mother_name": source.adoptive_mother_name,
        "adoptive_father_key": source.adoptive_father_key,
        "adoptive_mother_key": source.adoptive_mother_key,
        "adoptive_relationship": source.adoptive_relationship,
        "is_head": is_head,
        "spouse_role": spouse_role,
        "spouse_key": spouse_key,
        "resident_code": source.resident_code,
    }
    if earlier is not None:
        for name, value in values.items():
            setattr(earlier, name, value)
        earlier.is_removed, earlier.removed_on, earlier.removed_reason = False, None, ""
        earlier.version += 1
        earlier.save()
        member = earlier
    else:
        member = Member.objects.create(
            koseki=koseki, position=next_position(koseki), person_key=source.person_key, **values
        )
        transcribe_entries(source, member, kinds=(EntryKind.BIRTH,))
        copy_furigana_history(source, member)
    # The current address follows the person; a struck (cancelled) line is not an address.
    latest = FuhyoEntry.objects.filter(member=source, is_struck=False).order_by("-address_set_on", "-id").first()
    if latest is not None:
        FuhyoEntry.objects.create(
            koseki=koseki,
            member=member,
            address=latest.address,
            address_set_on=latest.address_set_on,
            source_town_code=latest.source_town_code,
            source_event=latest.source_event,
            # Cancelling the 異動 later strikes this copy too (koseki.fuhyo.strike_lines_of_event).
            source_reference=latest.source_reference,
        )
    return member


def transcribe_entries(source: Member, target: Member, *, kinds: Sequence[str]) -> list[Entry]:
    """移記: the entries that stay in force are written again in the register the person enters."""
    copies = []
    for entry in Entry.objects.filter(member=source, kind__in=kinds, is_struck=False).order_by("event_date", "id"):
        copies.append(
            Entry.objects.create(
                koseki=target.koseki,
                member=target,
                kind=entry.kind,
                event_date=entry.event_date,
                notified_on=entry.notified_on,
                notifier=entry.notifier,
                accepted_on=entry.accepted_on,
                accepted_by=entry.accepted_by,
                fields=entry.fields,
            )
        )
    return copies


def copy_furigana_history(source: Member, target: Member) -> None:
    for record in FuriganaRecord.objects.filter(member=source).order_by("recorded_at", "id"):
        FuriganaRecord.objects.create(
            member=target,
            family_name_kana=record.family_name_kana,
            given_name_kana=record.given_name_kana,
            status=record.status,
            effective_on=record.effective_on,
            notifier=record.notifier,
            recorded_at=record.recorded_at,
        )


def remove_member(member: Member, *, on: date, reason: str) -> None:
    """除籍: the member stays in the register, marked as having left it."""
    member.is_removed, member.removed_on, member.removed_reason = True, on, reason[:50]
    member.version += 1
    member.save(update_fields=["is_removed", "removed_on", "removed_reason", "version"])


def close_if_empty(koseki: Koseki, *, on: date, reason: str, notification: Notification | None) -> bool:
    """When everyone has left, the register becomes a 除籍簿 (戸籍事項 消除)."""
    if koseki.is_closed or Member.objects.filter(koseki=koseki, is_removed=False).exists():
        return False
    close_koseki(koseki, on=on, reason=reason, notification=notification)
    return True


def close_koseki(
    koseki: Koseki,
    *,
    on: date,
    reason: str,
    notification: Notification | None,
    fields: list[list[str]] | None = None,
    kind: str = EntryKind.CLOSED,
) -> None:
    koseki.status, koseki.closed_on, koseki.closed_reason = KosekiStatus.CLOSED, on, reason[:100]
    Koseki.objects.filter(pk=koseki.pk).update(
        status=koseki.status, closed_on=on, closed_reason=koseki.closed_reason, transferred_to=koseki.transferred_to
    )
    add_entry(
        koseki=koseki,
        member=None,
        kind=kind,
        event_date=on,
        fields=fields or [["消除日", wareki(on)], ["特記事項", f"{reason}により除籍"]],
        notification=notification,
    )


def current_members(koseki: Koseki) -> list[Member]:
    return list(Member.objects.filter(koseki=koseki, is_removed=False).order_by("position"))


__all__ = [
    "ADOPTER_AGE",
    "ADULT_AGE",
    "FURIGANA_EX_OFFICIO_FROM",
    "FURIGANA_LAW_IN_FORCE",
    "CompiledReason",
    "OutsidePerson",
    "add_entry",
    "age_on",
    "audit_notification",
    "bump",
    "check_dates",
    "close_if_empty",
    "close_koseki",
    "compile_koseki",
    "compiled_entry",
    "current_members",
    "ensure_open",
    "enter_member",
    "finish_notification",
    "fresh_current_member",
    "leave_for_new_register",
    "lock_members",
    "lock_registers",
    "new_notification",
    "next_koseki_number",
    "next_notification_number",
    "remove_member",
]

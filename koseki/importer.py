"""Import of existing registers (移行) from the layout of docs/koseki_import_layout.md, and the bulk loader.

A town migrating from its old 戸籍総合システム hands over its registers as one CSV file in which every row
names its record type (戸籍 / 者 / 事項 / 附票) and the register it belongs to (戸籍キー). The whole file is read
and checked first, collecting every error with its row number, column and a Japanese message; only a file
without any error is loaded, in one transaction — all or nothing (a half-migrated register would be worse
than none: certificates would omit people or 身分事項).

``load_registers`` is the loader itself, shared with the demo (koseki.demo): it writes registers, members,
entries (身分事項 / 戸籍事項 with printable ``fields``), furigana history and 附票 lines in bulk, records the
load as one Notification of kind ``import`` (the 受付帳 line of the migration) and one audit row naming the
戸籍番号 range — one row per load, not per register, as for the resident register's bulk load.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import audit
from common.csv_import import (
    BOM,
    DEFAULT_MAX_ERRORS,
    Column,
    RowError,
    RowReader,
    error_details,
    read_header,
)
from common.dates import local_today
from common.errors import ValidationFailed
from common.text import normalize_search_text
from common.wareki import WarekiError, to_wareki
from koseki.fuhyo import EVENT_IMPORT
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
from koseki.services.common import (
    accepted_by,
    koseki_search_text,
    member_search_text,
    next_koseki_number,
    next_notification_number,
)
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.import": "戸籍: 移行(既存戸籍の一括登録)",
    "koseki.import_checked": "戸籍: 移行ファイルの検査",
    "koseki.import_rejected": "戸籍: 移行ファイルの却下",
}

BATCH_SIZE = 2_000
# person_key of a source system's person id: the same id gives the same key in every register and on every
# import (uuid5), so a person who appears in several registers of the file is linked across them.
PERSON_KEY_NAMESPACE = uuid.UUID("6f1d2c1e-3b7a-5c55-9a51-6b6f73656b69")

# --- what the loader takes (the CSV parser and the demo build these) -------------------------------


@dataclass
class EntryInput:
    kind: str
    event_date: date
    fields: list[list[str]]
    notified_on: date | None = None
    notifier: str = ""
    accepted_on: date | None = None
    accepted_by: str = ""


@dataclass
class FuhyoInput:
    address: str
    address_set_on: date
    source_event: str = EVENT_IMPORT
    source_town_code: str = ""


@dataclass
class FuriganaInput:
    status: str
    effective_on: date
    family_name_kana: str
    given_name_kana: str
    notifier: str = ""


@dataclass
class MemberInput:
    position: int
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    relationship: str
    family_name_kana: str = ""
    given_name_kana: str = ""
    furigana_status: str = ""
    father_name: str = ""
    mother_name: str = ""
    father_key: uuid.UUID | None = None
    mother_key: uuid.UUID | None = None
    adoptive_father_name: str = ""
    adoptive_mother_name: str = ""
    adoptive_father_key: uuid.UUID | None = None
    adoptive_mother_key: uuid.UUID | None = None
    adoptive_relationship: str = ""
    is_head: bool = False
    spouse_role: str = ""
    spouse_key: uuid.UUID | None = None
    person_key: uuid.UUID | None = None
    removed_on: date | None = None
    removed_reason: str = ""
    resident_code: str = ""
    entries: list[EntryInput] = field(default_factory=list)
    fuhyo: list[FuhyoInput] = field(default_factory=list)
    furigana: list[FuriganaInput] = field(default_factory=list)


@dataclass
class RegisterInput:
    honseki: str
    family_name: str
    compiled_on: date
    compiled_reason: str = CompiledReason.IMPORTED
    family_name_kana: str = ""
    status: str = KosekiStatus.CURRENT
    closed_on: date | None = None
    closed_reason: str = ""
    transferred_to: str = ""
    members: list[MemberInput] = field(default_factory=list)
    entries: list[EntryInput] = field(default_factory=list)  # 戸籍事項
    source_key: str = ""  # the 戸籍キー of the file (errors name it; not kept on the register)
    source_row: int = 0


@dataclass
class LoadResult:
    notification: Notification
    registers: int = 0
    members: int = 0
    entries: int = 0
    fuhyo_lines: int = 0
    first_number: str = ""
    last_number: str = ""


def person_key_of(source_id: str) -> uuid.UUID:
    """A source system's person id as a person_key: a UUID is taken as is, any other text hashed (uuid5)."""
    text = source_id.strip()
    try:
        return uuid.UUID(text)
    except ValueError:
        return uuid.uuid5(PERSON_KEY_NAMESPACE, text)


def _plain(text: str) -> str:
    return normalize_search_text(text)


def derive_keys(register: RegisterInput) -> None:
    """Fill the keys the file (or the demo) left empty, from what the register itself says.

    * person_key: a new UUID (the person is known only by this appearance);
    * spouse_key: the one member of the register with the other 配偶者区分 (夫 ↔ 妻) who is not 除籍;
    * father_key / mother_key: the member of the register whose 氏名 is the one written in 【父】/【母】
      (a child in its parents' register, 戸籍法 第18条).
    """
    for member in register.members:
        if member.person_key is None:
            member.person_key = uuid.uuid4()
    by_name: dict[str, list[MemberInput]] = defaultdict(list)
    for member in register.members:
        by_name[_plain(f"{member.family_name}{member.given_name}")].append(member)
        by_name[_plain(member.given_name)].append(member)
    for member in register.members:
        if member.spouse_key is None and member.spouse_role in {"夫", "妻"}:
            other = "妻" if member.spouse_role == "夫" else "夫"
            spouses = [m for m in register.members if m.spouse_role == other and m.removed_on is None]
            if len(spouses) == 1:
                member.spouse_key = spouses[0].person_key
        for attribute, name, sex in (("father_key", member.father_name, "1"), ("mother_key", member.mother_name, "2")):
            if getattr(member, attribute) is not None or not name:
                continue
            parents = [p for p in by_name.get(_plain(name), []) if p.sex == sex and p.birth_date < member.birth_date]
            if len(parents) == 1:
                setattr(member, attribute, parents[0].person_key)


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


# --- the CSV layout (docs/koseki_import_layout.md) -------------------------------------------------


class ImportInvalid(ValidationFailed):
    code = "import_invalid"
    message = "移行ファイルに誤りがあります。どの戸籍も登録していません。"


COLUMNS: tuple[Column, ...] = (
    Column("record_type", "レコード種別", required=True),
    Column("koseki_key", "戸籍キー", required=True),
    Column("honseki", "本籍"),
    Column("family_name", "氏"),
    Column("family_name_kana", "氏の振り仮名"),
    Column("compiled_on", "編製日"),
    Column("compiled_reason", "編製事由"),
    Column("status", "状態"),
    Column("closed_on", "消除日"),
    Column("closed_reason", "消除事由"),
    Column("position", "記載順"),
    Column("person_id", "個人キー"),
    Column("given_name", "名"),
    Column("given_name_kana", "名の振り仮名"),
    Column("furigana_status", "振り仮名の根拠"),
    Column("birth_date", "生年月日"),
    Column("sex", "男女の別"),
    Column("father_name", "父"),
    Column("father_id", "父の個人キー"),
    Column("mother_name", "母"),
    Column("mother_id", "母の個人キー"),
    Column("relationship", "続柄"),
    Column("adoptive_father_name", "養父"),
    Column("adoptive_mother_name", "養母"),
    Column("adoptive_relationship", "養親との続柄"),
    Column("is_head", "筆頭者"),
    Column("spouse_role", "配偶者区分"),
    Column("spouse_id", "配偶者の個人キー"),
    Column("removed_on", "除籍日"),
    Column("removed_reason", "除籍事由"),
    Column("resident_code", "住民票コード"),
    Column("entry_kind", "事項"),
    Column("event_date", "事件の日"),
    Column("notified_on", "届出日"),
    Column("notifier", "届出人"),
    Column("accepted_on", "受理日"),
    Column("accepted_by", "受理者"),
    Column("entry_fields", "記録事項"),
    Column("address", "住所"),
    Column("address_set_on", "住所を定めた年月日"),
)
LABEL = {c.name: c.label for c in COLUMNS}

REGISTER, MEMBER, ENTRY, FUHYO = "register", "member", "entry", "fuhyo"
RECORD_TYPES = {
    "戸籍": REGISTER, "K": REGISTER, "者": MEMBER, "M": MEMBER, "事項": ENTRY, "E": ENTRY, "附票": FUHYO, "F": FUHYO,
}  # fmt: skip
_COMPILED_REASONS = {**{c.value: c.value for c in CompiledReason}, **{c.label: c.value for c in CompiledReason}}
_ENTRY_KINDS = {**{k.value: k.value for k in EntryKind}, **{k.label: k.value for k in EntryKind}}
_STATUSES = {
    "": KosekiStatus.CURRENT, "現在": KosekiStatus.CURRENT, "現在戸籍": KosekiStatus.CURRENT,
    KosekiStatus.CURRENT.value: KosekiStatus.CURRENT, "除籍": KosekiStatus.CLOSED,
    KosekiStatus.CLOSED.value: KosekiStatus.CLOSED,
}  # fmt: skip
_FURIGANA_STATUSES = {
    **{s.value: s.value for s in FuriganaStatus if s.value},
    **{s.label: s.value for s in FuriganaStatus if s.value},
}
_FURIGANA_CHOICES = {"": "", **_FURIGANA_STATUSES}
FURIGANA_STATUS_MESSAGE = "振り仮名の根拠は「通知済」「届出」「職権記載」で指定してください。"
_SEXES = {"1": "1", "2": "2", "男": "1", "女": "2"}
_FLAGS = {"": False, "0": False, "1": True, "○": True, "〇": True}
# The date printed first in the entry's 記録事項 when the file gives no 記録事項 (戸籍情報システムの文言).
DATE_LABELS: dict[str, str] = {
    EntryKind.COMPILED: "編製日", EntryKind.TRANSFER: "転籍日", EntryKind.CLOSED: "消除日",
    EntryKind.CONVERSION: "改製日", EntryKind.BIRTH: "出生日", EntryKind.MARRIAGE: "婚姻日",
    EntryKind.DIVORCE: "離婚日", EntryKind.DEATH: "死亡日", EntryKind.SPLIT: "分籍日",
    EntryKind.ADOPTION: "縁組日", EntryKind.ENTRY: "入籍日", EntryKind.REMOVAL: "除籍日",
    EntryKind.FURIGANA: "記録日", EntryKind.CORRECTION: "訂正日",
}  # fmt: skip
_FIELDS_RE = re.compile(r"【([^】]+)】([^【]*)")
_KATAKANA_RE = re.compile(r"[\u30a1-\u30f6\u30fc\u30fb]+(?: [\u30a1-\u30f6\u30fc\u30fb]+)*")


@dataclass
class ImportReport:
    registers: int = 0
    members: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    result: LoadResult | None = None

    def error_details(self, limit: int = DEFAULT_MAX_ERRORS) -> dict[str, Any]:
        return error_details(self.errors, limit)


def wareki_text(day: date | None) -> str:
    """A date in Entry.fields: 和暦 with half-width digits (the certificate makes them full-width)."""
    if day is None:
        return ""
    try:
        return to_wareki(day)
    except WarekiError:
        return day.isoformat()


def default_fields(kind: str, event_date: date, notified_on: date | None, notifier: str) -> list[list[str]]:
    fields = [[DATE_LABELS.get(kind, "年月日"), wareki_text(event_date)]]
    if notified_on is not None:
        fields.append(["届出日", wareki_text(notified_on)])
    if notifier:
        fields.append(["届出人", notifier])
    return fields


def decode(data: bytes) -> str:
    """The layout is UTF-8 (a BOM is allowed): 戸籍 names use characters Shift_JIS cannot hold (髙, 﨑 ...)."""
    try:
        return (data[len(BOM) :] if data.startswith(BOM) else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportInvalid(
            "UTF-8 として読めない文字があります。移行ファイルは UTF-8 で保存してください。",
            details={"errors": [RowError(0, "", "文字コードが UTF-8 ではありません。").as_dict()]},
        ) from exc


class _Row(RowReader):
    """One CSV record: typed reads of its cells, each error recorded with the row number and column."""

    kana_pattern = _KATAKANA_RE
    kana_message = "{label}は片仮名で入力してください(戸籍法第13条第2項)。"

    def __init__(self, number: int, values: dict[str, str], errors: list[RowError], today: date) -> None:
        super().__init__(number, values, errors, today, LABEL)

    def choice(self, name: str, choices: dict[str, Any], message: str, *, default: str = "") -> Any:
        raw = self.text(name) or default
        if raw not in choices:
            self.error(name, message)
            return None
        return choices[raw]

    def position(self, *, required: bool) -> int | None:
        raw = self.text("position")
        if not raw:
            if required:
                self.error("position", "記載順を入力してください。")
            return None
        if not raw.isdigit() or int(raw) < 1:
            self.error("position", "記載順は1以上の整数で入力してください。")
            return None
        return int(raw)

    def key(self, name: str) -> uuid.UUID | None:
        raw = self.text(name, max_length=100)
        return person_key_of(raw) if raw else None


@dataclass
class _Parsed:
    """A register being assembled from its rows, with the row numbers errors point back to."""

    row: int
    register: RegisterInput | None
    members: dict[int, tuple[int, MemberInput]] = field(default_factory=dict)
    pending: list[tuple[int, int, EntryInput | FuhyoInput]] = field(default_factory=list)
    failed_positions: set[int] = field(default_factory=set)  # 者 rows with errors of their own
    failed: bool = False


def _read_register(r: _Row) -> RegisterInput | None:
    start = len(r.errors)
    honseki = r.text("honseki", required=True, max_length=200)
    family_name = r.text("family_name", required=True, max_length=50)
    kana = r.kana("family_name_kana")
    compiled_on = r.day("compiled_on", required=True)
    reason = r.choice(
        "compiled_reason", _COMPILED_REASONS, "編製事由は「婚姻」「分籍」「転籍」「改製」「移行」などで指定します。",
        default=CompiledReason.IMPORTED.value,
    )  # fmt: skip
    status = r.choice("status", _STATUSES, "状態は「現在」か「除籍」で指定してください。")
    closed_on = r.day("closed_on")
    closed_reason = r.text("closed_reason")
    if status == KosekiStatus.CLOSED and closed_on is None:
        r.error("closed_on", "除籍(消除)された戸籍には消除日を入力してください。")
    if status == KosekiStatus.CURRENT and closed_on is not None:
        r.error("closed_on", "現在戸籍に消除日は入力できません(除籍の戸籍は状態を「除籍」にしてください)。")
    if compiled_on and closed_on and closed_on < compiled_on:
        r.error("closed_on", "消除日が編製日より前です。")
    if len(r.errors) > start or compiled_on is None:
        return None
    return RegisterInput(
        honseki=honseki, family_name=family_name, family_name_kana=kana, compiled_on=compiled_on,
        compiled_reason=reason, status=status, closed_on=closed_on, closed_reason=closed_reason,
    )  # fmt: skip


def _read_member(r: _Row) -> MemberInput | None:
    start = len(r.errors)
    position = r.position(required=True)
    birth_date = r.day("birth_date", required=True)
    removed_on = r.day("removed_on")
    removed_reason = r.text("removed_reason", max_length=50)
    if removed_on is not None and not removed_reason:
        r.error("removed_reason", "除籍された者には除籍事由(婚姻、死亡、分籍など)を入力してください。")
    if removed_reason and removed_on is None:
        r.error("removed_on", "除籍事由があるときは除籍日を入力してください。")
    if birth_date and removed_on and removed_on < birth_date:
        r.error("removed_on", "除籍日が生年月日より前です。")
    spouse_role = r.text("spouse_role", max_length=2)
    if spouse_role not in {"", "夫", "妻"}:
        r.error("spouse_role", "配偶者区分は「夫」か「妻」で指定してください(配偶者がいないときは空欄)。")
    resident_code = "".join(r.text("resident_code", max_length=20).split("-"))
    if resident_code and not re.fullmatch(r"\d{11}", resident_code):
        r.error("resident_code", "住民票コードは11桁の数字です。")
    member = MemberInput(
        position=position or 0,
        family_name=r.text("family_name", required=True, max_length=50),
        given_name=r.text("given_name", required=True, max_length=50),
        family_name_kana=r.kana("family_name_kana"),
        given_name_kana=r.kana("given_name_kana"),
        furigana_status=r.choice("furigana_status", _FURIGANA_CHOICES, FURIGANA_STATUS_MESSAGE) or "",
        birth_date=birth_date or date.min,
        sex=r.choice("sex", _SEXES, "男女の別は「1」(男)か「2」(女)で指定してください。") or "",
        relationship=r.text("relationship", required=True, max_length=20),
        father_name=r.text("father_name"),
        father_key=r.key("father_id"),
        mother_name=r.text("mother_name"),
        mother_key=r.key("mother_id"),
        adoptive_father_name=r.text("adoptive_father_name"),
        adoptive_mother_name=r.text("adoptive_mother_name"),
        adoptive_relationship=r.text("adoptive_relationship", max_length=20),
        is_head=bool(r.choice("is_head", _FLAGS, "筆頭者は「1」(筆頭者)か空欄で指定してください。")),
        spouse_role=spouse_role,
        spouse_key=r.key("spouse_id"),
        person_key=r.key("person_id"),
        removed_on=removed_on,
        removed_reason=removed_reason,
        resident_code=resident_code,
    )  # fmt: skip
    if member.furigana_status and not (member.family_name_kana or member.given_name_kana):
        r.error("furigana_status", "振り仮名の根拠を入力したときは、氏または名の振り仮名を入力してください。")
    if member.furigana_status:
        member.furigana.append(
            FuriganaInput(
                status=member.furigana_status, effective_on=r.today, family_name_kana=member.family_name_kana,
                given_name_kana=member.given_name_kana,
            )
        )  # fmt: skip
    return member if len(r.errors) == start else None


def _read_entry(r: _Row) -> tuple[int | None, EntryInput] | None:
    start = len(r.errors)
    position = r.position(required=False)  # empty: a 戸籍事項
    kind = r.choice("entry_kind", _ENTRY_KINDS, "事項は「出生」「婚姻」「死亡」「戸籍編製」などで指定してください。")
    event_date = r.day("event_date", required=True)
    notified_on = r.day("notified_on")
    accepted_on = r.day("accepted_on")
    notifier = r.text("notifier")
    if event_date and notified_on and notified_on < event_date and kind != EntryKind.CORRECTION:
        r.error("notified_on", "届出日が事件の日より前です。")
    raw_fields = r.values.get("entry_fields", "").strip()
    fields = [[label.strip(), " ".join(value.split())] for label, value in _FIELDS_RE.findall(raw_fields)]
    if raw_fields and (not fields or _FIELDS_RE.sub("", raw_fields).strip()):
        r.error("entry_fields", "記録事項は「【出生日】令和7年6月1日【出生地】高知県…」の形で入力してください。")
    if len(r.errors) > start or event_date is None or kind is None:
        return None
    item = EntryInput(
        kind=kind, event_date=event_date, notified_on=notified_on, notifier=notifier, accepted_on=accepted_on,
        accepted_by=r.text("accepted_by"), fields=fields or default_fields(kind, event_date, notified_on, notifier),
    )  # fmt: skip
    return position, item


def _read_fuhyo(r: _Row) -> tuple[int, FuhyoInput] | None:
    start = len(r.errors)
    position = r.position(required=True)
    address = r.text("address", required=True, max_length=300)
    set_on = r.day("address_set_on", required=True)
    if len(r.errors) > start or position is None or set_on is None:
        return None
    return position, FuhyoInput(address=address, address_set_on=set_on)


def _header(row: list[str], errors: list[RowError]) -> list[Column | None]:
    return read_header(row, COLUMNS, errors, layout_doc="docs/koseki_import_layout.md")


def parse(text: str, *, today: date | None = None) -> tuple[list[RegisterInput], list[RowError]]:
    """Read and check a whole file: the registers (in file order) and every error found."""
    today = today or local_today()
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise ImportInvalid(
            "CSV として読み取れません。",
            details={"errors": [RowError(reader.line_num, "", f"CSV の形式が正しくありません: {exc}").as_dict()]},
        ) from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportInvalid(
            "ファイルが空です(1行目に見出しが必要です)。",
            details={"errors": [RowError(1, "", "見出し行がありません。").as_dict()]},
        )
    columns = _header(records[0], errors)
    if errors:
        return [], errors
    parsed: dict[str, _Parsed] = {}
    orphans: list[tuple[int, str]] = []  # rows whose 戸籍キー has no 戸籍 row (checked at the end)
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(columns):
            errors.append(
                RowError(number, "", f"列の数が見出しと違います(見出し{len(columns)}列、この行{len(record)}列)。")
            )
            continue
        values = {c.name: v for c, v in zip(columns, record, strict=True) if c is not None}
        r = _Row(number, values, errors, today)
        kind = r.choice(
            "record_type",
            RECORD_TYPES,
            "レコード種別は「戸籍」「者」「事項」「附票」(または K, M, E, F)で指定してください。",
        )
        key = r.text("koseki_key", required=True, max_length=50)
        if kind is None or not key:
            continue
        if kind == REGISTER:
            if key in parsed and parsed[key].row:
                r.error("koseki_key", f"戸籍キー「{key}」の戸籍の行が{parsed[key].row}行目にもあります。")
                continue
            register = _read_register(r)
            entry = parsed.setdefault(key, _Parsed(row=number, register=register))
            entry.row, entry.register = number, register
            if register is not None:
                register.source_key, register.source_row = key, number
            continue
        target = parsed.setdefault(key, _Parsed(row=0, register=None))
        if kind == MEMBER:
            member = _read_member(r)
            if member is None:
                target.failed = True
                raw = r.values.get("position", "").strip()
                if raw.isdigit():
                    target.failed_positions.add(int(raw))
                continue
            if member.position in target.members:
                other = target.members[member.position][0]
                r.error("position", f"記載順 {member.position} の者が{other}行目にもあります。")
                continue
            target.members[member.position] = (number, member)
        elif kind == ENTRY:
            read = _read_entry(r)
            if read is not None:
                position, item = read
                target.pending.append((number, position or 0, item))
        else:
            fuhyo = _read_fuhyo(r)
            if fuhyo is not None:
                target.pending.append((number, fuhyo[0], fuhyo[1]))
        orphans.append((number, key))
    for number, key in orphans:
        if not parsed[key].row:
            errors.append(
                RowError(
                    number, LABEL["koseki_key"], f"戸籍キー「{key}」の戸籍の行(レコード種別「戸籍」)がありません。"
                )
            )
    registers = [reg for reg in (_assemble(p, errors) for p in parsed.values() if p.row) if reg is not None]
    if not parsed and not errors:
        errors.append(RowError(2, "", "戸籍の行がありません。"))
    errors.sort(key=lambda e: e.row)
    return registers, errors


def _assemble(parsed: _Parsed, errors: list[RowError]) -> RegisterInput | None:
    """Attach members, entries and 附票 lines to their register and check the register as a whole."""
    register = parsed.register
    start = len(errors)
    members = {position: m for position, (_row, m) in parsed.members.items()}
    for row, position, item in parsed.pending:
        if isinstance(item, EntryInput) and position == 0:
            if register is not None:
                register.entries.append(item)
            continue
        owner = members.get(position)
        if owner is None:
            if position not in parsed.failed_positions:  # a 者 row with errors is reported already
                errors.append(
                    RowError(row, LABEL["position"], f"記載順 {position} の者(レコード種別「者」)がありません。")
                )
            continue
        if isinstance(item, EntryInput):
            owner.entries.append(item)
        else:
            owner.fuhyo.append(item)
    if register is None or parsed.failed:
        return None  # the register's own row or one of its members has errors, already reported
    heads = [m for m in members.values() if m.is_head]
    if len(heads) != 1:
        errors.append(
            RowError(
                parsed.row, LABEL["is_head"], f"戸籍には筆頭者が1人必要です(現在{len(heads)}人、戸籍法第9条・第14条)。"
            )
        )
    elif heads[0].position != min(members):
        errors.append(
            RowError(
                parsed.members[heads[0].position][0], LABEL["position"], "筆頭者は最初に記載します(戸籍法第14条)。"
            )
        )
    current = [m for m in members.values() if m.removed_on is None]
    for role in ("夫", "妻"):
        married = [m for m in current if m.spouse_role == role]
        if len(married) > 1:
            errors.append(
                RowError(
                    parsed.members[married[1].position][0], LABEL["spouse_role"],
                    f"配偶者区分「{role}」の者が1つの戸籍に2人います(戸籍法第6条: 一の夫婦ごとに編製)。",
                )
            )  # fmt: skip
    if register.status == KosekiStatus.CURRENT and not current:
        errors.append(
            RowError(
                parsed.row, LABEL["status"], "全員が除籍されている戸籍は、状態を「除籍」とし消除日を入力してください。"
            )
        )
    if register.status == KosekiStatus.CLOSED and current:
        rows = ", ".join(str(parsed.members[m.position][0]) for m in current)
        errors.append(RowError(parsed.row, LABEL["status"], f"除籍の戸籍に除籍されていない者がいます({rows}行目)。"))
    register.members = [members[p] for p in sorted(members)]
    return register if len(errors) == start else None


def _existing(registers: list[RegisterInput]) -> list[tuple[RegisterInput, str]]:
    """Registers of the file already in this town (current, same 本籍 and 筆頭者): a second import of the same
    file must not create them twice."""
    places = {" ".join(r.honseki.split()) for r in registers}
    known = {
        (_plain(k.honseki), _plain(f"{k.family_name}{k.head_given_name}"))
        for k in Koseki.objects.filter(honseki__in=places, status=KosekiStatus.CURRENT)
    }
    found = []
    for register in registers:
        head = next((m for m in register.members if m.is_head), None)
        if head is None or register.status != KosekiStatus.CURRENT:
            continue
        if (_plain(register.honseki), _plain(f"{register.family_name}{head.given_name}")) in known:
            found.append((register, f"{register.honseki} {register.family_name}{head.given_name}"))
    return found


def import_csv(*, actor: Person | None, data: bytes, purpose: str, dry_run: bool = False) -> ImportReport:
    """Check a whole file and, if it has no error and ``dry_run`` is False, load it (all or nothing).

    Returns the report; the caller raises ``ImportInvalid(details=report.error_details())`` on errors.
    """
    if not (purpose or "").strip():
        raise ValidationFailed("移行(一括登録)の目的を入力してください。", code="purpose_required")
    registers, errors = parse(decode(data))
    report = ImportReport(
        registers=len(registers), members=sum(len(r.members) for r in registers), dry_run=dry_run, errors=errors
    )
    if not errors:
        for register, label in _existing(registers):
            errors.append(
                RowError(
                    register.source_row, LABEL["koseki_key"],
                    f"戸籍キー「{register.source_key}」: {label} の戸籍は既に登録されています(二重の取込)。",
                )
            )  # fmt: skip
    if errors or dry_run:
        # A check or a refusal still read personal data: one row, without names (the loader audits the load).
        audit.record(
            actor=actor,
            action="koseki.import_rejected" if errors else "koseki.import_checked",
            purpose=purpose,
            personal_data=True,
            details={"registers": report.registers, "members": report.members, "errors": len(errors)},
        )
        return report
    report.result = load_registers(
        actor=actor, registers=registers, purpose=purpose, details={"source": "csv", "file_registers": len(registers)}
    )
    return report

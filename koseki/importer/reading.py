"""Reading and checking a migration file: every error with its row, column and a Japanese message."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from common.csv_import import BOM, Column, RowError, RowReader, read_header, read_records, row_values
from common.dates import local_today
from koseki.importer.inputs import EntryInput, FuhyoInput, FuriganaInput, MemberInput, RegisterInput, person_key_of
from koseki.importer.layout import (
    COLUMNS,
    ENTRY,
    FURIGANA_STATUS_MESSAGE,
    LABEL,
    MEMBER,
    RECORD_TYPES,
    REGISTER,
    ImportInvalid,
    default_fields,
)
from koseki.models import (
    CompiledReason,
    EntryKind,
    FuriganaStatus,
    KosekiStatus,
)

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


_SEXES = {"1": "1", "2": "2", "男": "1", "女": "2"}
_FLAGS = {"": False, "0": False, "1": True, "○": True, "〇": True}


_FIELDS_RE = re.compile(r"【([^】]+)】([^【]*)")
_KATAKANA_RE = re.compile(r"[\u30a1-\u30f6\u30fc\u30fb]+(?: [\u30a1-\u30f6\u30fc\u30fb]+)*")


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
    records = read_records(text, ImportInvalid)
    columns = _header(records[0], errors)
    if errors:
        return [], errors
    parsed, orphans = _read_rows(records, columns, errors, today)
    _check_orphans(parsed, orphans, errors)
    registers = [reg for reg in (_assemble(p, errors) for p in parsed.values() if p.row) if reg is not None]
    if not parsed and not errors:
        errors.append(RowError(2, "", "戸籍の行がありません。"))
    errors.sort(key=lambda e: e.row)
    return registers, errors


def _read_rows(
    records: list[list[str]], columns: list[Column | None], errors: list[RowError], today: date
) -> tuple[dict[str, _Parsed], list[tuple[int, str]]]:
    """Each row read into the register its 戸籍キー names, in file order; with the rows whose 戸籍キー may have
    no 戸籍 row (checked once the whole file is read)."""
    parsed: dict[str, _Parsed] = {}
    orphans: list[tuple[int, str]] = []
    for number, record in enumerate(records[1:], start=2):
        values = row_values(number, record, columns, errors)
        if values is None:
            continue
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
            _add_register(parsed, r, key)
        elif _add_line(parsed.setdefault(key, _Parsed(row=0, register=None)), r, kind):
            orphans.append((number, key))
    return parsed, orphans


def _add_register(parsed: dict[str, _Parsed], r: _Row, key: str) -> None:
    """A 戸籍 row: the register itself (one row per 戸籍キー)."""
    if key in parsed and parsed[key].row:
        r.error("koseki_key", f"戸籍キー「{key}」の戸籍の行が{parsed[key].row}行目にもあります。")
        return
    register = _read_register(r)
    entry = parsed.setdefault(key, _Parsed(row=r.number, register=register))
    entry.row, entry.register = r.number, register
    if register is not None:
        register.source_key, register.source_row = key, r.number


def _add_line(target: _Parsed, r: _Row, kind: str) -> bool:
    """A 者, 事項 or 附票 row, kept for its register; False for a 者 row that could not be kept (its errors
    are reported already)."""
    if kind == MEMBER:
        member = _read_member(r)
        if member is None:
            target.failed = True
            raw = r.values.get("position", "").strip()
            if raw.isdigit():
                target.failed_positions.add(int(raw))
            return False
        if member.position in target.members:
            other = target.members[member.position][0]
            r.error("position", f"記載順 {member.position} の者が{other}行目にもあります。")
            return False
        target.members[member.position] = (r.number, member)
    elif kind == ENTRY:
        read = _read_entry(r)
        if read is not None:
            position, item = read
            target.pending.append((r.number, position or 0, item))
    else:
        fuhyo = _read_fuhyo(r)
        if fuhyo is not None:
            target.pending.append((r.number, fuhyo[0], fuhyo[1]))
    return True


def _check_orphans(parsed: dict[str, _Parsed], orphans: list[tuple[int, str]], errors: list[RowError]) -> None:
    for number, key in orphans:
        if not parsed[key].row:
            errors.append(
                RowError(
                    number, LABEL["koseki_key"], f"戸籍キー「{key}」の戸籍の行(レコード種別「戸籍」)がありません。"
                )
            )


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

"""The CSV layout of the migration file (docs/koseki_import_layout.md) and the import's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from common.csv_import import (
    DEFAULT_MAX_ERRORS,
    Column,
    RowError,
    error_details,
)
from common.errors import ValidationFailed
from common.wareki import WarekiError, to_wareki
from koseki.importer.inputs import LoadResult
from koseki.models import (
    EntryKind,
)

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


FURIGANA_STATUS_MESSAGE = "振り仮名の根拠は「通知済」「届出」「職権記載」で指定してください。"


# The date printed first in the entry's 記録事項 when the file gives no 記録事項 (戸籍情報システムの文言).
DATE_LABELS: dict[str, str] = {
    EntryKind.COMPILED: "編製日", EntryKind.TRANSFER: "転籍日", EntryKind.CLOSED: "消除日",
    EntryKind.CONVERSION: "改製日", EntryKind.BIRTH: "出生日", EntryKind.MARRIAGE: "婚姻日",
    EntryKind.DIVORCE: "離婚日", EntryKind.DEATH: "死亡日", EntryKind.SPLIT: "分籍日",
    EntryKind.ADOPTION: "縁組日", EntryKind.ENTRY: "入籍日", EntryKind.REMOVAL: "除籍日",
    EntryKind.FURIGANA: "記録日", EntryKind.CORRECTION: "訂正日",
}  # fmt: skip


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

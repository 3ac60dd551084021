"""Bulk import and export of residents as CSV, in the layout of docs/resident_csv_layout.md.

The layout follows the 中間標準レイアウト (住民基本台帳) that municipal systems exchange at a system migration:
one row per resident, the household given by a source 世帯番号 shared by its members. This module holds the
layout (columns, codes) and the per-row reader with every row rule and message (``_read_row``). Import checks
every row and collects every error (row, column, Japanese message); only a file without any error is registered
(one transaction, all or nothing) — set-based, in resident_records.csv_load and csv_write, run as a background
job by resident_records.imports. Export streams the current residents, or the register as it stood on a past
day. 個人番号 is accepted on import and never exported
(番号法 第19条: providing it is limited to the uses the law lists; a migration file is not one of them).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from common import audit
from common.csv_export import SafeCSVWriter
from common.csv_import import (
    DEFAULT_MAX_ERRORS,
    Column,
    RowError,
    RowReader,
    error_details,
    read_header,
)
from common.errors import ApplicationError, ValidationFailed
from resident_records import bulk, mynumber, selectors, validation
from resident_records.bulk import BulkLoadResult
from resident_records.models import Resident, ResidentRecord, ResidentStatus, ResidentType, Sex
from resident_records.services import PersonInput
from tenants.models import Person

if TYPE_CHECKING:
    from resident_records import csv_load

AS_OF_BATCH = 500  # residents per query in an as-of export


# The order is the export order. See docs/resident_csv_layout.md for each column's rules.
COLUMNS: tuple[Column, ...] = (
    Column("household_key", "世帯番号", required=True),
    Column("atena_number", "宛名番号", import_=False),
    Column("relationship", "続柄", required=True),
    Column("family_name", "氏", required=True),
    Column("given_name", "名"),
    Column("family_name_kana", "氏フリガナ"),
    Column("given_name_kana", "名フリガナ"),
    Column("former_surname", "旧氏"),
    Column("former_surname_kana", "旧氏フリガナ"),
    Column("alias", "通称"),
    Column("alias_kana", "通称フリガナ"),
    Column("birth_date", "生年月日", required=True),
    Column("sex", "性別", required=True),
    Column("address", "住所", required=True),
    Column("address_detail", "方書"),
    Column("postal_code", "郵便番号"),
    Column("domicile", "本籍"),
    Column("domicile_head", "筆頭者"),
    Column("became_resident_on", "住民となった年月日"),
    Column("address_set_on", "住所を定めた年月日", required=True),
    Column("previous_address", "従前の住所"),
    Column("resident_type", "住民種別"),
    Column("nationality", "国籍"),
    Column("residence_status", "在留資格"),
    Column("residence_period_end", "在留期間満了日"),
    Column("resident_code", "住民票コード"),
    Column("my_number", "個人番号", export=False),
    Column("status", "状態"),
)
_LABEL = {c.name: c.label for c in COLUMNS}
EXPORT_COLUMNS = tuple(c for c in COLUMNS if c.export)

# 住民種別: 1 日本人住民, 2 外国人住民 (中間標準レイアウト のコード); the labels are accepted too.
RESIDENT_TYPE_CODES = {"1": ResidentType.JAPANESE, "2": ResidentType.FOREIGN}
_RESIDENT_TYPE_IN = {
    **RESIDENT_TYPE_CODES,
    "日本人": ResidentType.JAPANESE,
    "日本人住民": ResidentType.JAPANESE,
    "外国人": ResidentType.FOREIGN,
    "外国人住民": ResidentType.FOREIGN,
}
_RESIDENT_TYPE_OUT: dict[str, str] = {str(v): k for k, v in RESIDENT_TYPE_CODES.items()}


class ImportInvalid(ValidationFailed):
    code = "import_invalid"
    message = "取込ファイルに誤りがあります。どの行も登録していません。"


@dataclass
class ImportReport:
    households: int = 0
    residents: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    result: BulkLoadResult | None = None

    def error_details(self, limit: int = DEFAULT_MAX_ERRORS) -> dict[str, Any]:
        return error_details(self.errors, limit)


# --- parsing -------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    key: str
    person: PersonInput
    address: str
    address_detail: str
    postal_code: str
    previous_address: str
    address_set_on: date | None


class _RowReader(RowReader):
    text_max_length = 200

    def __init__(self, number: int, values: dict[str, str], errors: list[RowError], today: date) -> None:
        super().__init__(number, values, errors, today, _LABEL)


# long: one CSV record read column by column in the layout's order (docs/resident_csv_layout.md); each read is one
# line
def _read_row(number: int, values: dict[str, str], errors: list[RowError], today: date) -> _Row | None:
    r = _RowReader(number, values, errors, today)
    start = len(errors)
    key = r.text("household_key", required=True, max_length=50)
    status = r.text("status", max_length=20)
    if status not in {"", ResidentStatus.RESIDENT.value, ResidentStatus.RESIDENT.label}:
        # The loader registers residents; removed entries (除票) stay with the source system.
        r.error("status", "取り込めるのは住民(状態「住民」)だけです。転出・死亡などで消除された方は除いてください。")
    raw_type = r.text("resident_type", max_length=10)
    resident_type = _RESIDENT_TYPE_IN.get(raw_type or "1")
    if resident_type is None:
        r.error("resident_type", "住民種別は「1」(日本人住民)か「2」(外国人住民)で指定してください。")
        resident_type = ResidentType.JAPANESE
    japanese = resident_type == ResidentType.JAPANESE
    sex = r.text("sex", required=True, max_length=10)
    sex = {"男": Sex.MALE.value, "女": Sex.FEMALE.value}.get(sex, sex)
    if sex and sex not in Sex.values:
        r.error("sex", "性別は「1」(男)か「2」(女)で指定してください。")
    birth_date = r.day("birth_date", required=True)
    became = r.day("became_resident_on")
    address_set_on = r.day("address_set_on", required=True)
    if birth_date and became and became < birth_date:
        r.error("became_resident_on", "住民となった年月日が生年月日より前です。")
    if birth_date and address_set_on and address_set_on < birth_date and not became:
        r.error("address_set_on", "住所を定めた年月日が生年月日より前です。")
    family_name_kana = r.kana("family_name_kana")
    if japanese and not family_name_kana:
        r.error("family_name_kana", "氏フリガナを入力してください。")
    given_name = r.text("given_name", required=japanese, max_length=50)
    postal_code = r.text("postal_code", max_length=8)
    try:
        postal_code = validation.normalize_postal_code(postal_code)  # one form: 123-4567
    except ValidationFailed as exc:
        r.error("postal_code", exc.message)
        postal_code = ""  # reported once
    resident_code = r.text("resident_code", max_length=20)
    if resident_code and len(mynumber.normalize(resident_code)) != 11:
        r.error("resident_code", "住民票コードは11桁の数字です。")
    my_number = r.text("my_number", max_length=20)
    if my_number:
        try:
            my_number = mynumber.validate(my_number)  # check digit: 番号法施行令 第8条
        except ApplicationError:
            r.error("my_number", "個人番号が正しくありません(12桁、検査用数字が一致しません)。")
    domicile = r.text("domicile")
    if domicile and not japanese:
        r.error("domicile", "本籍は日本人住民だけに記載します(住基法 第7条第5号)。")
    nationality = r.text("nationality", max_length=50)
    if not japanese and not nationality:
        r.error("nationality", "外国人住民は国籍・地域を入力してください(住基法 第30条の45)。")
    person = PersonInput(
        family_name=r.text("family_name", required=True, max_length=50),
        given_name=given_name,
        family_name_kana=family_name_kana,
        given_name_kana=r.kana("given_name_kana"),
        former_surname=r.text("former_surname", max_length=50),
        former_surname_kana=r.kana("former_surname_kana"),
        alias=r.text("alias", max_length=100),
        alias_kana=r.kana("alias_kana", max_length=200),
        birth_date=birth_date or date.min,
        sex=sex,
        relationship=r.text("relationship", required=True, max_length=20),
        domicile=domicile,
        domicile_head=r.text("domicile_head", max_length=100),
        resident_type=resident_type,
        nationality=nationality,
        residence_status=r.text("residence_status", max_length=50),
        residence_period_end=r.day("residence_period_end", future_ok=True),
        resident_code=resident_code,
        my_number=my_number,
        extra={"became_resident_on": became or address_set_on} if (became or address_set_on) else {},
    )
    address = r.text("address", required=True)
    address_detail = r.text("address_detail", max_length=100)
    previous_address = r.text("previous_address")
    # The rules of one person and of an address are those of every other way in: the clerk's forms, the API, the
    # koseki hook (resident_records.validation; docs/domain/resident_register.md §9). The cell checks above word the
    # file's own errors.
    if len(errors) == start:
        try:
            validation.check_person(person, today=today, became_resident_on=became or address_set_on)
        except ValidationFailed as exc:
            r.error(_field_of(exc), exc.message)
    try:
        place = validation.address_fields(
            address=address, address_detail=address_detail, postal_code=postal_code, previous_address=previous_address
        )
    except ValidationFailed as exc:
        r.error(_field_of(exc), exc.message)
    if len(errors) > start:
        return None
    address, address_detail = place["address"], place["address_detail"]
    postal_code, previous_address = place["postal_code"], place["previous_address"]
    return _Row(
        number=number,
        key=key,
        person=person,
        address=address,
        address_detail=address_detail,
        postal_code=postal_code,
        previous_address=previous_address,
        address_set_on=address_set_on,
    )


def _field_of(exc: ValidationFailed) -> str:
    return str(exc.details.get("field", "")) if isinstance(exc.details, dict) else ""


def _header(row: list[str], errors: list[RowError]) -> list[Column | None]:
    # 宛名番号 is not imported (import_=False): the source system's number is not kept; this town numbers anew.
    return read_header(row, COLUMNS, errors, layout_doc="docs/resident_csv_layout.md")


def import_csv(
    *,
    actor: Person | None,
    data: bytes | IO[bytes],
    purpose: str,
    dry_run: bool = False,
    batch_size: int = bulk.DEFAULT_BATCH_SIZE,
    progress: csv_load.Progress | None = None,
    audit_obj: tuple[str, str] | None = None,
) -> ImportReport:
    """Check a whole file and, if it has no error and ``dry_run`` is False, register it (all or nothing).

    ``data`` is the file's bytes or a binary file opened for reading (the background job streams the upload
    from disk). The checks and the load are set-based (resident_records.csv_load). Returns the report; the
    caller raises ``ImportInvalid`` with ``report.error_details()`` when it has errors.

    A check (``dry_run``) or a refused file still read personal data: this function writes one audit row for
    it, without names (the loader audits a load itself). ``audit_obj`` names what the row is about, e.g. the
    background job that ran the import.
    """
    from resident_records import csv_load

    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    outcome = csv_load.load_csv(
        actor=actor,
        stream=stream,
        purpose=purpose,
        dry_run=dry_run,
        batch_size=batch_size,
        **({"progress": progress} if progress is not None else {}),
    )
    report = ImportReport(
        households=outcome.households,
        residents=outcome.residents,
        dry_run=dry_run,
        errors=outcome.errors,
        result=outcome.result,
    )
    if report.errors or dry_run:
        audit.record(
            actor=actor,
            action="resident.import_rejected" if report.errors else "resident.import_checked",
            obj=audit_obj,
            purpose=purpose,
            personal_data=True,
            details={
                "dry_run": dry_run,
                "households": report.households,
                "residents": report.residents,
                "errors": len(report.errors),
            },
        )
    return report


# --- export --------------------------------------------------------------------------------------


def header() -> list[str]:
    return [c.label for c in EXPORT_COLUMNS]


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_row(record: Resident | ResidentRecord, household_number: str, atena_number: str) -> list[str]:
    values: dict[str, str] = {
        "household_key": household_number,
        "atena_number": atena_number,
        "birth_date": _date(record.birth_date),
        "became_resident_on": _date(record.became_resident_on),
        "address_set_on": _date(record.address_set_on),
        "residence_period_end": _date(record.residence_period_end),
        "resident_type": _RESIDENT_TYPE_OUT.get(str(record.resident_type), ""),
        "status": ResidentStatus(record.status).label,
    }
    return [values[c.name] if c.name in values else str(getattr(record, c.name) or "") for c in EXPORT_COLUMNS]


def export_rows(as_of: date | None = None) -> Iterator[list[str]]:
    """Rows of the residents living here now, or on ``as_of`` (the register as it stood that day)."""
    residents = Resident.objects.select_related("household").order_by("household__number", "atena_number")
    if as_of is None:
        current = residents.filter(status=ResidentStatus.RESIDENT)
        for resident in current.iterator(chunk_size=2000):
            yield export_row(resident, resident.household.number, resident.atena_number)
        return
    # A past day: each resident's entry as of that day, by the rule of selectors.resident_as_of, a batch of
    # residents per query (one query per resident would take hours for a whole town).
    candidates = residents.filter(
        pk__in=selectors.effective_records().filter(effective_on__lte=as_of).values("resident_id")
    )
    batch: list[Resident] = []
    for resident in candidates.iterator(chunk_size=AS_OF_BATCH):
        batch.append(resident)
        if len(batch) == AS_OF_BATCH:
            yield from _rows_as_of(batch, as_of)
            batch = []
    yield from _rows_as_of(batch, as_of)


def records_as_of(residents: list[Resident], day: date) -> dict[int, ResidentRecord]:
    """``selectors.resident_as_of`` for many residents in one query (same rule; tests compare the two)."""
    by_resident: dict[int, list[ResidentRecord]] = defaultdict(list)
    records = (
        selectors.effective_records()
        .filter(resident_id__in=[r.pk for r in residents], effective_on__lte=day)
        .select_related("event", "household")
        .order_by("resident_id", "-effective_on", "-recorded_at", "-id")
    )
    for record in records:
        by_resident[record.resident_id].append(record)
    result: dict[int, ResidentRecord] = {}
    for resident in residents:
        state = selectors.state_from_records(resident, by_resident.get(resident.pk, []), day)
        if state is not None:
            result[resident.pk] = state
    return result


def _rows_as_of(residents: list[Resident], day: date) -> Iterator[list[str]]:
    records = records_as_of(residents, day)
    for resident in residents:
        record = records.get(resident.pk)
        if record is not None and record.status == ResidentStatus.RESIDENT:
            yield export_row(record, record.household.number, resident.atena_number)


def export_residents(*, actor: Person | None, purpose: str, as_of: date | None = None) -> Iterator[list[str]]:
    """The export's rows (now or as of a day): a read of everyone's entry, audited once with its purpose."""
    audit.record(
        actor=actor,
        action="resident.export",
        purpose=purpose,
        personal_data=True,
        details={"as_of": as_of.isoformat() if as_of else None, "format": "csv"},
    )
    return export_rows(as_of)


def write_csv(stream: Any, rows: Iterable[list[str]]) -> int:
    """Write the export to a text stream (UTF-8 with BOM expected from the caller's encoding); returns rows."""
    writer = SafeCSVWriter(stream)  # formula cells neutralised (common.csv_export)
    writer.writerow(header())
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count

"""Bulk loading of whole households: data migration (初期登録), CSV imports, demo and benchmark towns.

The loader keeps every invariant of the single-household services (``services.record_move_in``):
* 宛名番号 and 世帯番号 come from the town's own sequences, with the modulus-11 check digit
(docs/domain/check_digits.md);
* each household gets one immutable ChangeEvent — 職権記載 with the reason 「初期登録 / データ移行」, or 転入 —
  one HouseholdRecord, and each resident one ResidentRecord (the history starts at the load);
* names, furigana (katakana), 住民票コード and 個人番号 (validated, encrypted, blind-indexed) are normalised by
  the same function as the services, and the search keys are built by the same function;
* the date rules of 標準仕様書 §4.0.3 apply (services.notice_timing: no future 異動日; a late 転入 is 期間経過).

It is fast because rows go in with PostgreSQL COPY in batches and ids/numbers are taken from the sequences
in one statement per batch. The whole load is one transaction: any bad row raises a ValidationFailed naming
the household and member, and nothing is written (numbers taken from the sequences are simply skipped, as
the sequences are gap-tolerant by design).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

from django.db import connection, models, transaction
from django.utils import timezone

from common import audit, context
from common.dates import local_today
from common.errors import ApplicationError, ValidationFailed
from resident_records import disclosure, numbering, services, validation
from resident_records.models import (
    ChangeEvent,
    EventKind,
    Household,
    HouseholdRecord,
    Resident,
    ResidentAttributes,
    ResidentRecord,
    ResidentStatus,
    ResidentType,
    Sex,
)
from resident_records.services import HEAD, PersonInput
from tenants.models import Person

BULK_REASON = "初期登録 / データ移行"
BULK_KINDS = (EventKind.EX_OFFICIO_ENTRY, EventKind.MOVE_IN)
DEFAULT_BATCH_SIZE = 10_000  # residents per COPY batch (and per audit row)
ANALYZE_AFTER = 1_000  # residents loaded at once that make the planner's statistics stale

# Furigana as the register keeps it: full-width katakana, the prolonged sound mark, ・ and single spaces.
_KATAKANA_RE = re.compile(r"[\u30a0-\u30ff ]*")
_RESIDENT_TYPES = frozenset(ResidentType.values)
_SEXES = frozenset(Sex.values)


@dataclass(frozen=True)
class HouseholdInput:
    """One household to load. ``moved_in_on`` is when the household set up its address here.

    A member born here after that day (or who joined later) gives its own 住民となった年月日 as
    ``PersonInput.extra["became_resident_on"]``.
    """

    members: Sequence[PersonInput]
    address: str
    moved_in_on: date
    address_detail: str = ""
    postal_code: str = ""
    previous_address: str = ""
    kind: str = EventKind.EX_OFFICIO_ENTRY
    notified_on: date | None = None


@dataclass
class BulkLoadResult:
    households: int = 0
    residents: int = 0
    batches: int = 0
    first_atena_number: str = ""
    last_atena_number: str = ""
    audit_event_ids: list[int] = field(default_factory=list)


class _CopyTable:
    """COPY rows of one model: columns in model order, values by attname, model defaults computed once."""

    def __init__(self, model: type[models.Model]) -> None:
        # A generated column is the database's to compute.
        self.fields = [f for f in model._meta.concrete_fields if not f.generated]
        self.table = model._meta.db_table
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.json_columns = [f.attname for f in self.fields if isinstance(f, models.JSONField)]
        self.row_of = operator.itemgetter(*(f.attname for f in self.fields))  # one C call per row
        self.rows: list[tuple[Any, ...]] = []

    def add(self, values: dict[str, Any]) -> None:
        merged = {**self.defaults, **values}
        for name in self.json_columns:
            merged[name] = json.dumps(merged[name], ensure_ascii=False)
        self.rows.append(self.row_of(merged))

    def copy(self) -> None:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        with connection.cursor() as cursor, cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
            for row in self.rows:
                copy.write_row(row)
        self.rows.clear()


def _take(sql_sequence: str, count: int) -> list[int]:
    """``count`` values of a sequence in one round trip (never reused; gaps are harmless)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sql_sequence, count])
        return [row[0] for row in cursor.fetchall()]


def _id_sequence(model: type[models.Model]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        return str(cursor.fetchone()[0])


def _invalid(message: str, household: int, member: int | None = None, **details: Any) -> ValidationFailed:
    where = f"{household + 1}件目の世帯" + (f"の{member + 1}人目" if member is not None else "")
    return ValidationFailed(
        f"{where}: {message}",
        code="invalid_bulk_row",
        details={"household": household + 1, **({"member": member + 1} if member is not None else {}), **details},
    )


def _check_person(person: PersonInput, index: int, member: int, moved_in_on: date, today: date) -> date:
    """The rules a clerk's screen enforces, per member (resident_records.validation, the one validator of
    both paths); returns 住民となった年月日."""
    became = person.extra.get("became_resident_on", moved_in_on)
    if not isinstance(became, date):
        raise _invalid("住民となった年月日が正しくありません。", index, member, field="became_resident_on")
    try:
        validation.check_person(person, today=today, became_resident_on=became)
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        raise _invalid(exc.message, index, member, field=details.get("field", ""), code=exc.code) from exc
    return became


def _validated_members(hh: HouseholdInput, index: int, today: date) -> list[dict[str, Any]]:
    if not hh.members:
        raise _invalid("世帯員がいません。", index)
    if sum(1 for m in hh.members if m.relationship == HEAD) != 1:
        raise _invalid("世帯主(続柄「世帯主」)を1人だけ指定してください。", index, field="relationship")
    try:
        validation.address_fields(
            address=hh.address, address_detail=hh.address_detail, postal_code=hh.postal_code,
            previous_address=hh.previous_address,
        )  # fmt: skip
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        raise _invalid(exc.message, index, field=details.get("field", "address"), code=exc.code) from exc
    if hh.kind not in BULK_KINDS:
        raise _invalid("一括登録の異動事由は職権記載か転入です。", index, field="kind")
    if hh.moved_in_on > today:
        raise _invalid("住所を定めた年月日に未来の日付は指定できません。", index, field="moved_in_on")
    members = []
    for number, person in enumerate(hh.members):
        became = _check_person(person, index, number, hh.moved_in_on, today)
        try:
            attrs = services.person_attributes(person)
        except ApplicationError as exc:
            raise _invalid(exc.message, index, number, code=exc.code) from exc
        attrs["became_resident_on"] = became
        members.append(attrs)
    return members


def _batches(households: Iterable[HouseholdInput], size: int) -> Iterator[list[HouseholdInput]]:
    batch: list[HouseholdInput] = []
    residents = 0
    for hh in households:
        batch.append(hh)
        residents += len(hh.members)
        if residents >= size:
            yield batch
            batch, residents = [], 0
    if batch:
        yield batch


def load_households(
    *,
    actor: Person | None,
    households: Iterable[HouseholdInput],
    purpose: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> BulkLoadResult:
    """Register many households at once, all or nothing, with one audit row per batch.

    ``households`` may be a generator: batches are validated and written as they come, so memory stays
    bounded at 300,000 residents.
    """
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("一括登録の目的を入力してください。", code="purpose_required")
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    result = BulkLoadResult()
    today = local_today()
    with transaction.atomic():
        models_ = (Household, Resident, ChangeEvent, ResidentRecord, HouseholdRecord)
        sequences: dict[type[models.Model], str] = {model: _id_sequence(model) for model in models_}
        offset = 0
        for batch in _batches(households, batch_size):
            validated = [_validated_members(hh, offset + i, today) for i, hh in enumerate(batch)]
            _write_batch(actor, batch, validated, sequences, purpose, offset, result)
            offset += len(batch)
        if result.residents >= ANALYZE_AFTER:
            # Fresh statistics, so that the very next search plans with the trigram indexes rather than
            # guessing from an empty table (autovacuum would get there, but only later).
            with connection.cursor() as cursor:
                for model in (Resident, Household):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
                # The search index's pending entries merged now, not read by every search until a vacuum
                # (docs/search.md).
                cursor.execute("SELECT gin_clean_pending_list('resident_search_grams_gin'::regclass)")
    return result


# long: a set-based batch: ids and numbers are taken as blocks up front and every INSERT refers to them; split, the id
# arrays would travel through every step
def _write_batch(
    actor: Person | None,
    batch: list[HouseholdInput],
    validated: list[list[dict[str, Any]]],
    sequences: dict[type[models.Model], str],
    purpose: str,
    offset: int,
    result: BulkLoadResult,
) -> None:
    n_households = len(batch)
    n_residents = sum(len(m) for m in validated)
    household_numbers = _take("resident_records_household_seq", n_households)
    atena_numbers = _take("resident_records_atena_seq", n_residents)
    household_ids = _take(sequences[Household], n_households)
    event_ids = _take(sequences[ChangeEvent], n_households)
    household_record_ids = _take(sequences[HouseholdRecord], n_households)
    resident_ids = _take(sequences[Resident], n_residents)
    record_ids = _take(sequences[ResidentRecord], n_residents)

    now = timezone.now()
    terminal = context.current().terminal
    actor_id, actor_name = (actor.pk, actor.full_name) if actor else (None, "")
    households_t, residents_t = _CopyTable(Household), _CopyTable(Resident)
    events_t, records_t = _CopyTable(ChangeEvent), _CopyTable(ResidentRecord)
    household_records_t = _CopyTable(HouseholdRecord)
    shared = [f.attname for f in ResidentAttributes._meta.local_fields]  # the columns a record copies

    serial = 0
    # 住基法 第19条第1項: like the 転入 service, the load sends each address to the 附票 of a 本籍 on the platform
    # (checked in memory first: a 本籍 elsewhere costs nothing).
    towns = disclosure.platform_towns()
    to_fuhyo: list[tuple[int, str, SimpleNamespace]] = []
    first_number = ""
    for i, (hh, members) in enumerate(zip(batch, validated, strict=True)):
        household_id, event_id = household_ids[i], event_ids[i]
        try:
            timing = services.notice_timing(
                kind=hh.kind,
                event_date=hh.moved_in_on,
                notified_on=hh.notified_on,
                force_ex_officio=hh.kind == EventKind.EX_OFFICIO_ENTRY,
            )
        except ApplicationError as exc:
            raise _invalid(exc.message, offset + i, code=exc.code) from exc
        place = validation.address_fields(
            address=hh.address, address_detail=hh.address_detail, postal_code=hh.postal_code,
            previous_address=hh.previous_address,
        )  # fmt: skip
        head_id = None
        for attrs in members:
            values = {
                **residents_t.defaults,
                **attrs,
                "id": resident_ids[serial],
                "atena_number": numbering.with_check_digit(atena_numbers[serial]),
                "household_id": household_id,
                "address": place["address"],
                "address_detail": place["address_detail"],
                "postal_code": place["postal_code"],
                "previous_address": place["previous_address"] if attrs["became_resident_on"] == hh.moved_in_on else "",
                "address_set_on": attrs["became_resident_on"],
                "notified_on": hh.notified_on,
                "status": ResidentStatus.RESIDENT.value,
                "created_at": now,
            }
            # The services' own key function, on a light stand-in: a Model instance per row costs more
            # than everything else the loader does for that row.
            keys = SimpleNamespace(**values)
            services.search_keys(cast(Resident, keys))
            values["search_name"], values["search_kana"] = keys.search_name, keys.search_kana
            values["search_address"] = keys.search_address
            residents_t.add(values)
            japanese = values["resident_type"] == ResidentType.JAPANESE
            if japanese and values["domicile"] and disclosure.town_named_in(values["domicile"], towns=towns):
                to_fuhyo.append((event_id, EventKind(hh.kind).label, keys))
            records_t.add(
                {
                    **{name: values[name] for name in shared},
                    "id": record_ids[serial],
                    "resident_id": values["id"],
                    "event_id": event_id,
                    "effective_on": attrs["became_resident_on"],
                    "recorded_at": now,
                }
            )
            if values["relationship"] == HEAD:
                head_id = values["id"]
            first_number = first_number or values["atena_number"]
            serial += 1
        households_t.add(
            {
                "id": household_id,
                "number": numbering.with_check_digit(household_numbers[i]),
                "head_id": head_id,
                "created_on": hh.moved_in_on,
                "version": 1,
            }
        )
        events_t.add(
            {
                "id": event_id,
                "kind": EventKind(hh.kind).value,
                "event_date": hh.moved_in_on,
                "notified_on": hh.notified_on,
                "processed_at": now,
                "ex_officio": timing.ex_officio,
                "overdue": timing.overdue,
                "household_id": household_id,
                "reason": BULK_REASON,
                "details": {"previous_address": hh.previous_address.strip(), "bulk": True},
                "actor_id": actor_id,
                "actor_name": actor_name,
                "terminal": terminal,
            }
        )
        household_records_t.add(
            {
                "id": household_record_ids[i],
                "household_id": household_id,
                "event_id": event_id,
                "head_id": head_id,
                "effective_on": hh.moved_in_on,
                "recorded_at": now,
                "dissolved": False,
            }
        )
    # Household.head and Resident.household point at each other; Django's foreign keys are DEFERRABLE
    # INITIALLY DEFERRED, so the order below only has to respect the checks at commit.
    for table in (households_t, residents_t, events_t, records_t, household_records_t):
        table.copy()
    for event_id, label, resident in to_fuhyo:
        services.notify_fuhyo(actor=actor, residents=[cast(Resident, resident)], event_id=event_id, label=label)
    last_number = numbering.with_check_digit(atena_numbers[-1])
    # One audit row per batch, not per resident: a migration load is one operation decided once, with one
    # purpose, and 300,000 rows of the same purpose would bury the trail the auditor reads. The row names
    # the 宛名番号 range and the counts, so every loaded resident is still traceable to it.
    row = audit.record(
        actor=actor,
        action="resident.bulk_load",
        obj=("resident_records.Resident", f"{first_number}-{last_number}"),
        purpose=purpose,
        personal_data=True,
        details={
            "batch": result.batches + 1,
            "households": n_households,
            "residents": n_residents,
            "first_household": offset + 1,
            "first_atena_number": first_number,
            "last_atena_number": last_number,
            "kinds": sorted({str(hh.kind) for hh in batch}),
        },
    )
    result.households += n_households
    result.residents += n_residents
    result.batches += 1
    result.first_atena_number = result.first_atena_number or first_number
    result.last_atena_number = last_number
    result.audit_event_ids.append(row.pk)

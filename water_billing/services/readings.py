"""検針 (docs/domain/water_billing.md §3): one reading, the readings CSV of the handheld terminals (all or
nothing, through common.csv_import), 認定 readings and meter exchanges. One rule set: the import calls the same
``_prepare`` as the single reading."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from common import audit
from common.csv_import import BOM, Column, RowError, RowReader, error_details, read_header
from common.dates import local_today
from common.errors import ApplicationError
from water_billing import rules
from water_billing.errors import ClosedConnection, ReadingExists, ReadingsRefused
from water_billing.models import Connection, Period, Reading


@dataclass(frozen=True)
class ReadingInput:
    value: int
    read_on: date
    rollover: bool = False
    estimated: bool = False
    old_final: int | None = None
    new_initial: int | None = None
    new_meter_serial: str = ""


def _previous(connection: Connection, period: Period) -> int:
    last = (
        Reading.objects.filter(connection=connection, period__starts_on__lt=period.starts_on)
        .order_by("-period__starts_on")
        .values_list("value", flat=True)
        .first()
    )
    return last or 0


def _last_year(connection: Connection, period: Period) -> int | None:
    return (
        Reading.objects.filter(
            connection=connection, period__starts_on=period.starts_on.replace(year=period.starts_on.year - 1)
        )
        .values_list("usage_m3", flat=True)
        .first()
    )


def _prepare(*, actor: Any, connection: Connection, period: Period, data: ReadingInput) -> Reading:
    """The rules of a reading (§3): checked and computed, not saved."""
    if connection.closed_on is not None and connection.closed_on < period.starts_on:
        raise ClosedConnection()
    if Reading.objects.filter(connection=connection, period=period).exists():
        raise ReadingExists(details={"tap_number": connection.tap_number, "period": period.code})
    previous = _previous(connection, period)
    exchanged = data.old_final is not None
    usage = rules.usage_of(
        previous=previous,
        value=data.value,
        rollover=data.rollover,
        digits=connection.meter_digits,
        old_final=data.old_final,
        new_initial=data.new_initial,
    )
    anomalies = rules.anomalies_of(
        usage=usage,
        open_connection=connection.closed_on is None,
        last_year=_last_year(connection, period),
        rollover=data.rollover and not exchanged,
        exchanged=exchanged,
        estimated=data.estimated,
    )
    return Reading(
        connection=connection,
        period=period,
        read_on=data.read_on,
        value=data.value,
        previous_value=previous,
        usage_m3=usage,
        estimated=data.estimated,
        rollover=data.rollover and not exchanged,
        exchanged_old_final=data.old_final,
        exchanged_new_initial=(data.new_initial or 0) if exchanged else None,
        anomalies=anomalies,
        recorded_by_id=getattr(actor, "pk", None),
        recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
    )


def record_reading(*, actor: Any, connection: Connection, period: Period, data: ReadingInput) -> Reading:
    """One reading (or a meter exchange: the old meter's final and the new meter's initial reading)."""
    with transaction.atomic():
        Connection.objects.select_for_update().filter(pk=connection.pk).first()
        reading = _prepare(actor=actor, connection=connection, period=period, data=data)
        reading.save()
        if data.old_final is not None and data.new_meter_serial:
            connection.meter_serial = data.new_meter_serial
            connection.meter_installed_on = data.read_on
            connection.save(update_fields=["meter_serial", "meter_installed_on"])
        audit.record(
            actor=actor,
            action="water.reading.record",
            obj=("water_billing.Reading", str(reading.pk), connection.tap_number),
            details={"tap_number": connection.tap_number, "period": period.code, "usage": reading.usage_m3,
                     "anomalies": reading.anomalies},
        )  # fmt: skip
    return reading


def estimated_usage(*, connection: Connection, period: Period) -> int:
    """認定 (§3): the same period of the previous year, else the previous period, else 0."""
    last_year = _last_year(connection, period)
    if last_year is not None:
        return last_year
    last = (
        Reading.objects.filter(connection=connection, period__starts_on__lt=period.starts_on)
        .order_by("-period__starts_on")
        .values_list("usage_m3", flat=True)
        .first()
    )
    return last or 0


def record_estimated_reading(*, actor: Any, connection: Connection, period: Period, read_on: date) -> Reading:
    usage = estimated_usage(connection=connection, period=period)
    value = _previous(connection, period) + usage
    rollover = value >= 10**connection.meter_digits
    if rollover:
        value -= 10**connection.meter_digits
    return record_reading(
        actor=actor,
        connection=connection,
        period=period,
        data=ReadingInput(value=value, read_on=read_on, estimated=True, rollover=rollover),
    )


# --- the handheld terminals' CSV --------------------------------------------------------------------------

COLUMNS = [
    Column("tap_number", "水栓番号", required=True),
    Column("read_on", "検針日", required=True),
    Column("value", "指針", required=True),
    Column("rollover", "一巡"),
    Column("old_final", "旧メーター指針"),
    Column("new_initial", "新メーター指針"),
    Column("new_meter_serial", "新メーター番号"),
]
LABELS = {c.name: c.label for c in COLUMNS}
LAYOUT_DOC = "docs/domain/water_billing.md §3"


def _int(reader: RowReader, name: str, *, required: bool = False) -> int | None:
    raw = reader.values.get(name, "").strip()
    if not raw:
        if required:
            reader.error(name, f"{LABELS[name]}を入力してください。")
        return None
    if not raw.isdigit() or len(raw) > 9:
        reader.error(name, f"{LABELS[name]}は0以上の整数で入力してください。")
        return None
    return int(raw)


def import_readings(*, actor: Any, period: Period, data: bytes) -> dict[str, Any]:
    """The readings CSV of one period: every row checked by the single reading's rules, all written or none."""
    text = data.removeprefix(BOM).decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    errors: list[RowError] = []
    if not rows:
        raise ReadingsRefused(details=error_details([RowError(1, "", "ファイルが空です。")]))
    header = read_header(rows[0], COLUMNS, errors, layout_doc=LAYOUT_DOC)
    if errors:
        raise ReadingsRefused(details=error_details(errors))
    today = local_today()
    by_tap = {c.tap_number: c for c in Connection.objects.filter(tap_number__in=[r[0] for r in rows[1:] if r])}
    prepared: list[Reading] = []
    serials: dict[int, tuple[str, date]] = {}
    with transaction.atomic():
        seen: set[str] = set()
        for number, row in enumerate(rows[1:], start=2):
            values = {column.name: cell for column, cell in zip(header, row, strict=False) if column is not None}
            reader = RowReader(number, values, errors, today, LABELS)
            tap = reader.text("tap_number", required=True, max_length=20)
            read_on = reader.day("read_on", required=True)
            value = _int(reader, "value", required=True)
            old_final, new_initial = _int(reader, "old_final"), _int(reader, "new_initial")
            rollover = reader.values.get("rollover", "").strip() in {"1", "○", "有"}
            connection = by_tap.get(tap)
            if tap and connection is None:
                reader.error("tap_number", f"水栓番号「{tap}」の給水装置がありません。")
            if tap in seen:
                reader.error("tap_number", f"水栓番号「{tap}」が2回あります。")
            seen.add(tap)
            if connection is None or read_on is None or value is None:
                continue
            try:
                reading = _prepare(
                    actor=actor,
                    connection=connection,
                    period=period,
                    data=ReadingInput(value=value, read_on=read_on, rollover=rollover, old_final=old_final,
                                      new_initial=new_initial),
                )  # fmt: skip
            except ApplicationError as exc:
                reader.error("value", exc.message)
                continue
            prepared.append(reading)
            serial = reader.values.get("new_meter_serial", "").strip()
            if old_final is not None and serial:
                serials[connection.pk] = (serial[:30], read_on)
        if errors:
            raise ReadingsRefused(details=error_details(errors))
        Reading.objects.bulk_create(prepared, batch_size=2000)
        for pk, (serial, day) in serials.items():
            Connection.objects.filter(pk=pk).update(meter_serial=serial, meter_installed_on=day)
        flagged = sum(1 for r in prepared if r.anomalies)
        audit.record(
            actor=actor,
            action="water.reading.import",
            obj=("water_billing.Period", period.code, period.code),
            details={"period": period.code, "rows": len(prepared), "flagged": flagged},
        )
    return {"rows": len(prepared), "flagged": flagged}


def route_rows(*, period: Period, district: str = "") -> list[Connection]:
    """The reading route (順路) of a period's group and district, with the previous reading to check against."""
    connections = Connection.objects.filter(group=period.group, opened_on__lte=period.ends_on).exclude(
        closed_on__lt=period.starts_on
    )
    if district:
        connections = connections.filter(district=district)
    return list(connections.order_by("district", "route_order", "tap_number"))

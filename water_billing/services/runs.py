"""調定 runs (docs/domain/water_billing.md §4) as background jobs (common.jobs).

The run streams: readings are read with a server-side cursor in chunks, each bill computed by the pure rules
(water_billing.rules) and written in batches, so memory holds one batch, never every bill. It is idempotent: a
connection already billed for the period (a bill not void) is skipped in SQL, and the partial unique index
``water_one_bill_per_period`` refuses a duplicate even from two runs at once. Confirmation recomputes the summary
from the bills and posts the 調定 to the books; cancellation voids the bills (and reverses a confirmed 調定) so
the period can be billed again.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from common import audit, jobs
from common.errors import NotFound
from water_billing import rules, selectors, settings_keys
from water_billing.errors import RunHasPayments, RunStateInvalid, RunSummaryMismatch
from water_billing.models import (
    Bill,
    BillingRun,
    BillState,
    Connection,
    Period,
    Reading,
    Reduction,
    RunState,
    Service,
    Supply,
)
from water_billing.services import books

JOB_KIND = "water_billing.run"
BATCH = 2000

Progress = Callable[[int, int], None]


def start_run(*, actor: Any, period: Period, district: str = "") -> BillingRun:
    """Record a run and queue its job; the page polls the job's progress."""
    with transaction.atomic():
        run = BillingRun.objects.create(
            period=period,
            district=district,
            started_by_id=getattr(actor, "pk", None),
            started_by_name=str(getattr(actor, "full_name", "") or "")[:100],
        )
        audit.record(
            actor=actor,
            action="water.run.start",
            obj=("water_billing.BillingRun", str(run.public_id), period.code),
            details={"period": period.code, "district": district},
        )
        job = jobs.start_job(
            actor=actor, kind=JOB_KIND, purpose=f"水道料金の調定({period.code})", params={"run": str(run.public_id)}
        )
        run.job_id = job.public_id
        run.save(update_fields=["job_id"])
    return run


def run_job(job_run: jobs.JobRun) -> dict[str, Any]:
    """The worker's handler of JOB_KIND."""
    run = BillingRun.objects.select_related("period").filter(public_id=job_run.job.params["run"]).first()
    if run is None:
        raise NotFound("調定処理が見つかりません。")
    try:
        done = execute_run(run=run, progress=lambda d, t: job_run.progress(done=d, total=t, phase="請求を作成中"))
    except Exception:
        # The run's transaction rolled back (no bill written): the run is marked failed and may be cancelled.
        BillingRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(state=RunState.FAILED)
        raise
    return {"run": str(done.public_id), "bills": done.bill_count, "total": done.total, "skipped": done.skipped}


def _candidates(run: BillingRun) -> Any:
    period = run.period
    already = Bill.objects.filter(connection=OuterRef("connection"), period=period).exclude(state=BillState.VOID)
    readings = Reading.objects.filter(period=period, connection__group=period.group)
    if run.district:
        readings = readings.filter(connection__district=run.district)
    return readings.annotate(billed=Exists(already))


def _reductions() -> dict[int, rules.Reduction]:
    return {r.pk: rules.Reduction(r.base_percent, r.volume_percent) for r in Reduction.objects.all()}


def _period_pricer(period: Period) -> Callable[..., _Priced]:
    """The pricer of the period: the settings and tariffs in force on its reading day, read once."""
    on = period.read_on
    tax_unit = settings_keys.tax_unit(on)
    half_base = settings_keys.half_base(on)
    revision = settings_keys.revision_rule(on)
    water = {s: selectors.tariff_versions(Service.WATER, s) for s in Supply.values}
    sewer = selectors.tariff_versions(Service.SEWER, Supply.MAIN)
    reductions = _reductions()
    return _pricer(
        period=period, water=water, sewer=sewer, tax_unit=tax_unit, half_base=half_base, revision=revision,
        reductions=reductions,
    )  # fmt: skip


def _unread(run: BillingRun, period: Period) -> int:
    """Connections of the run's scope open in the period that have no reading for it."""
    unread = Connection.objects.filter(group=period.group, opened_on__lte=period.ends_on).exclude(
        closed_on__lt=period.starts_on
    )
    if run.district:
        unread = unread.filter(district=run.district)
    return unread.exclude(readings__period=period).count()


def execute_run(*, run: BillingRun, progress: Progress | None = None) -> BillingRun:
    """Create the period's bills for the run's connections; all or nothing (one transaction)."""
    period = run.period
    price = _period_pricer(period)
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.state != RunState.RUNNING:
            raise RunStateInvalid(details={"state": run.state})
        candidates = _candidates(run)
        total_rows = candidates.count()
        skipped = candidates.filter(billed=True).count()
        rows = (
            candidates.filter(billed=False)
            .order_by("connection_id")
            .values_list(
                "usage_m3", "connection_id", "connection__diameter_mm", "connection__opened_on",
                "connection__closed_on", "connection__sewer", "connection__supply", "connection__reduction_id",
            )
        )  # fmt: skip
        batch: list[tuple[Any, ...]] = []
        count = pre_tax = tax = total = 0
        for usage, connection_id, diameter, opened_on, closed_on, has_sewer, supply, reduction_id in rows.iterator(
            chunk_size=BATCH
        ):
            line = price(usage, diameter, opened_on, closed_on, has_sewer, supply, reduction_id)
            batch.append((f"{run.pk:06d}{connection_id:010d}", run.pk, connection_id, period.pk, usage, *line.row,
                          period.due_on, BillState.UNPAID, 0, ""))  # fmt: skip
            count += 1
            pre_tax += line.pre_tax
            tax += line.tax
            total += line.total
            if len(batch) >= BATCH:
                _copy_bills(batch)
                batch = []
                if progress:
                    progress(count + skipped, total_rows)
        _copy_bills(batch)
        if progress:
            progress(count + skipped, total_rows)
        run.unread = _unread(run, period)
        run.bill_count, run.pre_tax_total, run.tax_total, run.total, run.skipped = count, pre_tax, tax, total, skipped
        run.state = RunState.COMPLETED
        run.save(update_fields=["bill_count", "pre_tax_total", "tax_total", "total", "skipped", "unread", "state"])
        audit.record(
            actor=None,
            action="water.run.complete",
            obj=("water_billing.BillingRun", str(run.public_id), period.code),
            details={"bills": count, "total": total, "tax": tax, "skipped": skipped, "unread": run.unread},
        )
    return run


@dataclass(frozen=True)
class _Priced:
    row: tuple[int, int, int, int, int, str]  # water pre-tax, water tax, sewer pre-tax, sewer tax, total, items
    pre_tax: int
    tax: int
    total: int


def _pricer(
    *,
    period: Period,
    water: dict[str, list[rules.TariffVersion]],
    sewer: list[rules.TariffVersion],
    tax_unit: int,
    half_base: bool,
    revision: str,
    reductions: dict[int, rules.Reduction],
) -> Callable[..., _Priced]:
    """The bill of one connection, memoised: a charge depends only on these inputs (the rules are pure), and a
    period's 100,000 connections share a few thousand of them. Opening and closing dates outside the period
    do not change the charge and are folded to None before the lookup."""

    @functools.lru_cache(maxsize=65_536)
    def priced(
        usage: int, diameter: int, opened: date | None, closed: date | None, has_sewer: bool, supply: str,
        reduction_id: int | None,
    ) -> _Priced:  # fmt: skip
        charge = rules.bimonthly_charge(
            usage_m3=usage, diameter_mm=diameter, starts_on=period.starts_on, read_on=period.read_on,
            opened_on=opened or date.min, closed_on=closed, water=water[supply], sewer=sewer if has_sewer else None,
            tax_unit=tax_unit, half_base_rule=half_base, revision_rule=revision,
            reduction=reductions.get(reduction_id, rules.NO_REDUCTION) if reduction_id else rules.NO_REDUCTION,
        )  # fmt: skip
        w, s = charge.of("water"), charge.of("sewer")
        row = (
            w.pre_tax if w else 0, w.tax if w else 0, s.pre_tax if s else 0, s.tax if s else 0, charge.total,
            json.dumps(rules.items_of(charge), ensure_ascii=False),
        )  # fmt: skip
        return _Priced(row=row, pre_tax=charge.pre_tax, tax=charge.tax, total=charge.total)

    def price(
        usage: int, diameter: int, opened_on: date, closed_on: date | None, has_sewer: bool, supply: str,
        reduction_id: int | None,
    ) -> _Priced:  # fmt: skip
        opened = opened_on if opened_on > period.starts_on else None
        closed = closed_on if closed_on is not None and closed_on < period.ends_on else None
        return priced(usage, diameter, opened, closed, has_sewer, supply, reduction_id)

    return price


BILL_COLUMNS = (
    "number", "run_id", "connection_id", "period_id", "usage_m3", "water_pre_tax", "water_tax", "sewer_pre_tax",
    "sewer_tax", "total", "items", "due_on", "state", "paid_amount", "debit_result",
)  # fmt: skip


def _copy_bills(rows: list[tuple[Any, ...]]) -> None:
    """One batch of bills by COPY (the unique index still refuses a second bill of a connection and period)."""
    if not rows:
        return
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {Bill._meta.db_table} ({', '.join(BILL_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def bill_totals(run: BillingRun) -> dict[str, int]:
    sums = run.bills.exclude(state=BillState.VOID).aggregate(
        n=Count("id"), w=Sum("water_pre_tax"), wt=Sum("water_tax"), s=Sum("sewer_pre_tax"), st=Sum("sewer_tax"),
        t=Sum("total"),
    )  # fmt: skip
    return {key: int(value or 0) for key, value in sums.items()}


def confirm_run(*, actor: Any, run: BillingRun, posted_on: date | None = None) -> BillingRun:
    """調定: the summary checked against the bills, then the entry Dr 未収金 / Cr 収益・仮受消費税 (§5)."""
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().select_related("period").get(pk=run.pk)
        if run.state != RunState.COMPLETED:
            raise RunStateInvalid(details={"state": run.state})
        sums = bill_totals(run)
        stored = (run.bill_count, run.pre_tax_total, run.tax_total, run.total)
        computed = (sums["n"], sums["w"] + sums["s"], sums["wt"] + sums["st"], sums["t"])
        if stored != computed:
            raise RunSummaryMismatch(details={"run": list(stored), "bills": list(computed)})
        day = posted_on or run.period.read_on
        books.post(
            posted_on=day,
            lines=[
                (books.RECEIVABLE, sums["t"], 0),
                (books.WATER_REVENUE, 0, sums["w"]),
                (books.SEWER_REVENUE, 0, sums["s"]),
                (books.OUTPUT_TAX, 0, sums["wt"] + sums["st"]),
            ],
            memo=f"水道料金調定 {run.period.code}{' ' + run.district if run.district else ''}",
            source_type="water.run",
            source_id=str(run.public_id),
        )
        run.state, run.confirmed_at = RunState.CONFIRMED, timezone.now()
        run.save(update_fields=["state", "confirmed_at"])
        audit.record(
            actor=actor,
            action="water.run.confirm",
            obj=("water_billing.BillingRun", str(run.public_id), run.period.code),
            details={"bills": sums["n"], "total": sums["t"]},
        )
    return run


def cancel_run(*, actor: Any, run: BillingRun, reason: str = "") -> BillingRun:
    """取消: the bills are voided (the period can be billed again); a confirmed 調定 is reversed in the books."""
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().select_related("period").get(pk=run.pk)
        if run.state not in {RunState.COMPLETED, RunState.CONFIRMED, RunState.FAILED}:
            raise RunStateInvalid(details={"state": run.state})
        if run.bills.filter(Q(paid_amount__gt=0) | Q(payments__isnull=False)).exists():
            raise RunHasPayments()
        if run.state == RunState.CONFIRMED:
            sums = bill_totals(run)
            books.post(
                posted_on=timezone.localdate(),
                lines=[
                    (books.RECEIVABLE, 0, sums["t"]),
                    (books.WATER_REVENUE, sums["w"], 0),
                    (books.SEWER_REVENUE, sums["s"], 0),
                    (books.OUTPUT_TAX, sums["wt"] + sums["st"], 0),
                ],
                memo=f"水道料金調定の取消 {run.period.code}",
                source_type="water.run.cancel",
                source_id=str(run.public_id),
            )
        voided = run.bills.exclude(state=BillState.VOID).update(state=BillState.VOID)
        run.state, run.cancelled_at = RunState.CANCELLED, timezone.now()
        run.save(update_fields=["state", "cancelled_at"])
        audit.record(
            actor=actor,
            action="water.run.cancel",
            obj=("water_billing.BillingRun", str(run.public_id), run.period.code),
            details={"voided": voided, "reason": " ".join(reason.split())[:200]},
        )
    return run

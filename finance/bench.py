"""Benchmarks of 財務会計 (``manage.py bench finance_commit`` / ``finance_report``).

finance_commit: eight clerks commit on the same 節 at once through the real service (role check, the 節's row
lock and the hard stop's sum over its journal lines, the gapless number, the journal line, the audit row). The
baseline, measured in the same run by the same eight threads: the same inserts (number, commitment row, journal
line, audit row) without the budget check (no row lock, no sum). The budget is exactly what both runs commit, so
the last call takes the last yen; the line reports the overspend found afterwards (must be 0) and that one more
yen is refused.

finance_report: the 予算執行状況表 (``selectors.execution_by_line``) over a year of 500,000 journal lines, against the
raw SQL aggregate of the journal (one GROUP BY through a cursor): p95 of each and their ratio. The report reads the
journal's monthly rollup (finance.rollup, kept by the journal's insert trigger — the bulk fill below included);
the same GROUP BY over the rollup through a cursor is reported as a second figure (``rollup_sql_p95``), and the
run checks that the rollup agrees with the journal.

Both work in a scratch town ``bench_<run id>_finance*`` created for the run and dropped afterwards (common.bench).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import connection, transaction
from django_tenants.utils import schema_context

from common import audit
from common.bench import (
    BenchOptions,
    ConcurrentRun,
    concurrent_comparison,
    percentile,
    round_figure,
    run_concurrently,
    scenario,
)
from common.serials import next_yearly_serial
from finance import rollup, selectors, services
from finance.errors import BudgetExceeded
from finance.models import BudgetLine, Commitment, CommitmentCounter, CommitmentStatus, EntryKind, Side
from finance.services.common import journal_line, post
from tenants.bench import bench_towns
from tenants.models import Membership, Municipality, Person, Role

CLERKS = 8
COMMITS_PER_REPEAT = 20
AMOUNT = 1_000
YEAR = 2026
DAY = date(2026, 11, 27)
REPORT_LINES = 500_000
REPORT_SETSU = 500  # 節 rows; 1,000 journal lines each


@contextmanager
def _staff(town: Municipality) -> Iterator[dict[str, Person]]:
    """A finance officer and a budget clerk of the scratch town (removed again before the town is dropped)."""
    people = {}
    for key, role in (("officer", Role.FINANCE_OFFICER), ("clerk", Role.BUDGET_CLERK)):
        person = Person.objects.create_user(f"{town.schema_name}_{key}", None, full_name=f"ベンチ {key}")
        Membership.objects.create(person=person, municipality=town, role=role, valid_from=date(2000, 1, 1))
        people[key] = person
    try:
        yield people
    finally:
        with schema_context("public"):
            Membership.objects.filter(municipality=town).delete()
            Person.objects.filter(pk__in=[p.pk for p in people.values()]).delete()


def _budget(officer: Person, *, lines: int, amount: int) -> list[BudgetLine]:
    year = services.open_fiscal_year(actor=officer, year=YEAR)
    services.add_subject(actor=officer, year=year, side=Side.EXPENDITURE, code="02", name="総務費")
    created: list[BudgetLine] = []
    for kou in range(1, (lines - 1) // 100 + 2):
        services.add_subject(actor=officer, year=year, side=Side.EXPENDITURE, code=f"02-{kou:02d}", name="総務管理費")
        for moku in range(1, 6):
            subject = services.add_subject(
                actor=officer, year=year, side=Side.EXPENDITURE, code=f"02-{kou:02d}-{moku:02d}", name=f"目{moku}"
            )
            for setsu in list(rules_setsu())[:20]:
                if len(created) < lines:
                    created.append(services.add_budget_line(actor=officer, moku=subject, setsu=setsu))
    services.enact_budget(actor=officer, year=year, number=0, decided_on=DAY, amounts=dict.fromkeys(created, amount))
    return created


def rules_setsu() -> list[str]:
    from finance.rules import EXPENDITURE_SETSU

    return list(EXPENDITURE_SETSU)


# long: the measured and the baseline task are closures over the same town, clerk and 節, side by side so a
# reader sees both do the same inserts; split, they would need all of it passed around.
@scenario("finance_commit")
def finance_commit_scenario(options: BenchOptions) -> dict[str, Any]:
    """8 clerks committing on one 節 (row lock + hard stop) vs the same inserts without a budget check."""
    per_worker = max(2, options.repeat * COMMITS_PER_REPEAT)
    calls = CLERKS * per_worker
    with bench_towns() as towns:
        town = towns.provision("finance")
        with _staff(town) as people, schema_context(town.schema_name):
            clerk = people["clerk"]
            # The measured side runs twice (plus one warm-up call): the budget is exactly that, to the last yen.
            line = _budget(people["officer"], lines=1, amount=(2 * calls + 1) * AMOUNT)[0]

            def commit(worker: int, number: int) -> None:
                services.commit_expenditure(
                    actor=clerk, line=line, amount=AMOUNT, purpose="性能測定", committed_on=DAY, payee_name="ベンチ商事"
                )

            def insert_only(worker: int, number: int) -> None:
                with transaction.atomic():
                    commitment = Commitment.objects.create(
                        number=f"B{YEAR}-{next_yearly_serial(CommitmentCounter, year=YEAR + 1):06d}",
                        fiscal_year=YEAR,
                        line=line,
                        status=CommitmentStatus.COMMITTED,
                        payee_name="ベンチ商事",
                        amount=AMOUNT,
                        purpose="性能測定",
                        committed_on=DAY,
                        committed_by_id=clerk.pk,
                        committed_by_name=clerk.full_name,
                    )
                    post(
                        [
                            journal_line(
                                actor=clerk,
                                line=line,
                                kind=EntryKind.PAYMENT,
                                amount=0,
                                posted_on=DAY,
                                source_type="bench",
                                source_number=commitment.number,
                            )
                        ]
                    )
                    audit.record(actor=clerk, action="finance.commit", obj=commitment, details={"amount": AMOUNT})

            commit(0, 0)  # imports and query plans, not timed
            runs: dict[str, list[ConcurrentRun]] = {"commit": [], "insert": []}
            for run_no in range(2):
                for side in ("commit", "insert") if run_no == 0 else ("insert", "commit"):
                    task = commit if side == "commit" else insert_only
                    runs[side].append(
                        run_concurrently(task, workers=CLERKS, per_worker=per_worker, schema=town.schema_name)
                    )
            figures = selectors.line_figures(line)
            overspend = max(0, figures.committed - figures.current_budget)
            try:
                commit(0, 0)
                refused = False
            except BudgetExceeded:
                refused = True
    return concurrent_comparison(
        measured=runs["commit"],
        baseline=runs["insert"],
        baseline_description=(
            f"the same {CLERKS} clerks inserting the same rows (number, commitment, journal line, audit) without the "
            "budget check (no 節 row lock, no sum over its journal)"
        ),
        workers=CLERKS,
        calls_per_side=2 * calls,
        committed=figures.committed,
        current_budget=figures.current_budget,
        overspend=overspend,
        one_more_yen_refused=refused,
    )


RAW_AGGREGATE = """
SELECT line_id, budget_code, setsu, saisetsu, department_code,
       COALESCE(SUM(amount) FILTER (WHERE kind IN ('budget', 'transfer', 'reserve', 'carry_in')), 0),
       COALESCE(SUM(amount) FILTER (WHERE kind = 'commitment'), 0),
       COALESCE(SUM(amount) FILTER (WHERE kind = 'payment'), 0),
       COALESCE(SUM(amount) FILTER (WHERE kind = 'assessment'), 0),
       COALESCE(SUM(amount) FILTER (WHERE kind = 'receipt'), 0)
FROM finance_journalline WHERE fiscal_year = %s AND side = %s AND account_code = %s
GROUP BY line_id, budget_code, setsu, saisetsu, department_code
ORDER BY budget_code, setsu, saisetsu
"""

ROLLUP_AGGREGATE = """
SELECT line_id, budget_code, setsu, saisetsu, department_code,
       COALESCE(SUM(total) FILTER (WHERE kind IN ('budget', 'transfer', 'reserve', 'carry_in')), 0),
       COALESCE(SUM(total) FILTER (WHERE kind = 'commitment'), 0),
       COALESCE(SUM(total) FILTER (WHERE kind = 'payment'), 0),
       COALESCE(SUM(total) FILTER (WHERE kind = 'assessment'), 0),
       COALESCE(SUM(total) FILTER (WHERE kind = 'receipt'), 0)
FROM finance_journalrollup WHERE fiscal_year = %s AND side = %s AND account_code = %s
GROUP BY line_id, budget_code, setsu, saisetsu, department_code
ORDER BY budget_code, setsu, saisetsu
"""

FILL = """
INSERT INTO finance_journalline (seq, recorded_at, prev_hash, row_hash, posted_on, fiscal_year, account_code, side,
    line_id, budget_code, setsu, saisetsu, department_code, kind, amount, source_type, source_number, memo,
    actor_id, actor_name)
SELECT base.seq + g, now(), repeat('0', 64), repeat('0', 64), DATE '2026-04-01' + (g %% 240), %s, '01', 'expenditure',
    l.id, l.budget_code, l.setsu, '', l.department_code,
    CASE WHEN g %% 2 = 0 THEN 'commitment' ELSE 'payment' END, 1000, 'bench', 'B' || g, '', NULL, ''
FROM generate_series(1, %s) AS g
JOIN (SELECT id, budget_code, setsu, department_code, row_number() OVER (ORDER BY id) - 1 AS n
      FROM finance_budgetline) AS l ON l.n = g %% %s
CROSS JOIN (SELECT COALESCE(MAX(seq), 0) AS seq FROM finance_journalline) AS base
"""


# long: the report, the journal aggregate and the rollup aggregate are closures over one filled scratch town,
# timed side by side in one loop so that a reader sees all three read the same year.
@scenario("finance_report")
def finance_report_scenario(options: BenchOptions) -> dict[str, Any]:
    """予算執行状況表 over 500,000 journal lines vs the raw SQL aggregate it is built on."""
    samples_per_side = max(10, options.repeat * 10)
    with bench_towns() as towns:
        town = towns.provision("finreport")
        with _staff(town) as people, schema_context(town.schema_name):
            _budget(people["officer"], lines=REPORT_SETSU, amount=10**9)
            with connection.cursor() as cursor:
                # Bulk lines for the measurement only (the scratch town is dropped): chained hashes are not what
                # the report reads.
                cursor.execute(FILL, [YEAR, REPORT_LINES - REPORT_SETSU, REPORT_SETSU])
                cursor.execute("ANALYZE finance_journalline")
                cursor.execute("SELECT count(*) FROM finance_journalline")
                total_lines = cursor.fetchone()[0]

            def report() -> None:
                selectors.execution_by_line(year=YEAR)

            def raw() -> None:
                with connection.cursor() as cursor:
                    cursor.execute(RAW_AGGREGATE, [YEAR, Side.EXPENDITURE, "01"])
                    cursor.fetchall()

            def rollup_raw() -> None:
                with connection.cursor() as cursor:
                    cursor.execute(ROLLUP_AGGREGATE, [YEAR, Side.EXPENDITURE, "01"])
                    cursor.fetchall()

            report()
            raw()  # warm
            measured: list[float] = []
            baseline: list[float] = []
            rollup_samples: list[float] = []
            for _ in range(samples_per_side):
                started = time.perf_counter()
                rollup_raw()
                rollup_samples.append(time.perf_counter() - started)
            agrees = rollup.check() is None
            for n in range(samples_per_side):
                for samples, func in (
                    ((measured, report), (baseline, raw)) if n % 2 == 0 else ((baseline, raw), (measured, report))
                ):
                    started = time.perf_counter()
                    func()
                    samples.append(time.perf_counter() - started)
    p95, base_p95 = percentile(measured, 0.95), percentile(baseline, 0.95)
    return {
        "unit": "s",
        "median": round_figure(statistics.median(measured)),
        "min": round_figure(min(measured)),
        "max": round_figure(max(measured)),
        "runs": len(measured),
        "baseline": "the raw SQL aggregate of the same year (one GROUP BY through a cursor)",
        "baseline_median": round_figure(statistics.median(baseline)),
        "baseline_runs": len(baseline),
        "ratio_to_baseline": round_figure(statistics.median(measured) / statistics.median(baseline)),
        "p95": round_figure(p95),
        "baseline_p95": round_figure(base_p95),
        "ratio_p95": round(p95 / base_p95, 3) if base_p95 > 0 else None,
        "rollup_sql_p95": round_figure(percentile(rollup_samples, 0.95)),
        "rollup_agrees_with_journal": agrees,
        "journal_lines": total_lines,
        "setsu": REPORT_SETSU,
    }

"""Demo payroll: staff of 中土佐町 (about 150) and 四万十町 (about 350) with 会計年度任用職員, a 給料表 in the style of
行政職給料表(一), the town settings a run needs, and a year of locked runs (例月 April 2025 – March 2026 and the
June and December 期末・勤勉手当), with the 2025 年末調整 (declarations, calculated by the 給与担当, approved and locked
by the 人事担当, settled in the January 2026 例月) and one 再年末調整 settled in February (docs/domain/payroll.md §13).

Bulk: staff, 発令 and notices are inserted with ``bulk_create`` and every run is the ordinary calculation
(payroll.services.runs), so the demo shows exactly what the rules compute. Deterministic (one seeded generator
per town) and idempotent: a town that has staff already is left as it is. ``generate_staff`` is also what the
``payroll_run`` benchmark uses.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import schema_context

from common.models import TownSetting
from payroll import parameters
from payroll.models import (
    FISCAL_YEAR_JOB_TYPES,
    Appointment,
    JobType,
    ResidentTaxNotice,
    SalaryStep,
    SalaryTable,
    SalaryTableVersion,
    Staff,
)
from payroll.services import runs, year_end_revision
from payroll.services import year_end as year_end_service
from payroll.services.standard_remuneration import determine_regular
from tenants.models import Person

DEMO_STAFF = {"nakatosa": 150, "shimanto": 350}
CITY = {"nakatosa": ("394017", "中土佐町"), "shimanto": ("394122", "四万十町")}
TABLE_CODE = "gyosei1"
GRADES = 7
STEPS = 125
UNITS = [
    ("0101", "総務課"), ("0102", "企画課"), ("0201", "税務課"), ("0202", "町民課"), ("0301", "健康福祉課"),
    ("0401", "産業振興課"), ("0501", "建設課"), ("0601", "上下水道課"), ("0701", "教育委員会事務局"),
    ("0801", "町立小学校"), ("0802", "町立中学校"),
]  # fmt: skip
BUDGET = {
    "0101": "02-01-01", "0102": "02-01-02", "0201": "02-02-01", "0202": "02-03-01", "0301": "03-01-01",
    "0401": "06-01-01", "0501": "08-01-01", "0601": "08-02-01", "0701": "10-01-01", "0801": "10-02-01",
    "0802": "10-03-01",
}  # fmt: skip
FAMILY = ["山本", "田中", "高橋", "西村", "岡林", "小松", "川村", "森", "中山", "浜田", "吉村", "松本", "坂本", "池田"]
GIVEN = ["健太", "美咲", "翔", "由美", "大輔", "さくら", "直樹", "陽子", "拓也", "恵", "誠", "彩"]
KANA_FAMILY = "ヤマモト"
# Demo people of tenants.demo who are also town staff (their own payslips in self-service).
LINKED = {"nakatosa": [("tanaka", JobType.GENERAL)], "shimanto": [("yamamoto", JobType.GENERAL),
                                                                 ("sato", JobType.PREFECTURAL_TEACHER)]}  # fmt: skip


def salary_steps() -> list[tuple[int, int, int]]:
    """A 級 × 号給 matrix shaped like 行政職給料表(一): each 級 starts higher, each 号給 adds a step that shrinks."""
    rows = []
    for grade in range(1, GRADES + 1):
        start = 150_000 + (grade - 1) * 45_000
        for step in range(1, STEPS + 1):
            rows.append((grade, step, start + step * max(300, 1_800 - grade * 150)))
    return rows


PART_TIME_WEEKS = {JobType.FISCAL_PART_HOURLY: Decimal(20), JobType.FISCAL_PART_MONTHLY: Decimal(29)}


def install_table(effective_from: date = date(2020, 4, 1)) -> SalaryTableVersion:
    table, _ = SalaryTable.objects.get_or_create(code=TABLE_CODE, defaults={"name": "行政職給料表(一)"})
    version = SalaryTableVersion.objects.create(
        table=table, effective_from=effective_from, basis="職員の給与に関する条例 別表第1", approved=True,
        recorded_by_name="デモデータ", approved_by_name="デモデータ",
    )  # fmt: skip
    SalaryStep.objects.bulk_create(SalaryStep(version=version, grade=g, step=s, amount=a) for g, s, a in salary_steps())
    return version


def install_settings(schema: str) -> None:
    values = {
        parameters.BUDGET_CODES: " ".join(f"{unit}={code}" for unit, code in BUDGET.items()),
        parameters.PAYER_BANK: "1000000001,ﾁﾖｳ,0001,001,1,1234567",
        # §5.9: the demo towns pay part-time 会計年度任用職員 a 勤勉手当 (the statute allows it from 令和6年度).
        parameters.PART_TIME_KINBEN_MONTHS: "1.05",
    }
    TownSetting.objects.bulk_create(
        TownSetting(
            key=key, value=value, effective_from=date(2020, 4, 1), basis="デモデータ", recorded_by_name="デモデータ"
        )
        for key, value in values.items()
    )


# long: one seeded random stream drawn in a fixed order per staff member (kind, pay, family, tax); split, the
# steps would pass it around and the demo staff would depend on the order of the calls.
def generate_staff(count: int, *, seed: int, city: tuple[str, str], hired_by: date = date(2025, 4, 1)) -> list[Staff]:
    """``count`` staff with their 採用 発令 and 住民税 notices (about 70 % 一般職, 25 % 会計年度任用職員, a few
    特別職 and 県費負担教職員), inserted in bulk."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    staff_rows: list[Staff] = []
    kinds: list[JobType] = []
    for index in range(count):
        roll = rng.random()
        kind = (
            JobType.SPECIAL if index < 3
            else JobType.GENERAL if roll < 0.68
            else JobType.FISCAL_FULL if roll < 0.74
            else JobType.FISCAL_PART_MONTHLY if roll < 0.86
            else JobType.FISCAL_PART_HOURLY if roll < 0.95
            else JobType.PREFECTURAL_TEACHER
        )  # fmt: skip
        kinds.append(kind)
        born = date(rng.randint(1962, 2003), rng.randint(1, 12), rng.randint(1, 28))
        staff_rows.append(
            Staff(
                number=f"{seed % 100:02d}{index + 1:05d}",
                name=f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}",
                name_kana=f"{KANA_FAMILY} タロウ",
                birth_date=born,
                tax_dependents=rng.choice([0, 0, 0, 1, 2, 3]),
                children=rng.choice([0, 0, 1, 2]) if kind == JobType.GENERAL else 0,
                parents=rng.choice([0, 0, 0, 1]) if kind == JobType.GENERAL else 0,
                rent=rng.choice([0, 0, 0, 35_000, 48_000]),
                transit_pass=rng.choice([0, 0, 0, 12_000]),
                car_km=rng.choice([0, 3, 8, 12, 22]),
                employment_insurance=kind in (JobType.FISCAL_PART_MONTHLY, JobType.FISCAL_PART_HOURLY),
                other_deductions={"互助会": 1_000, "職員組合費": 2_500} if kind == JobType.GENERAL else {},
                bank_code="0001",
                branch_code=f"{rng.randint(1, 120):03d}",
                account_number=f"{rng.randint(1, 9_999_999):07d}",
                account_holder_kana="ヤマモト タロウ",
                residence_city_code=city[0],
                residence_city_name=city[1],
            )
        )
    created = Staff.objects.bulk_create(staff_rows, batch_size=2000)
    appointments = []
    notices = []
    for staff, kind in zip(created, kinds, strict=True):
        unit_code, unit_name = rng.choice(UNITS)
        hired = date(rng.randint(1985, hired_by.year), 4, 1) if kind == JobType.GENERAL else date(hired_by.year, 4, 1)
        hired = min(hired, hired_by)
        grade = rng.randint(1, GRADES) if kind == JobType.GENERAL else (1 if kind == JobType.FISCAL_FULL else None)
        appointments.append(
            Appointment(
                staff=staff,
                effective_on=hired,
                kind="hire",
                unit_code=unit_code,
                unit_name=unit_name,
                job_type=kind,
                table_code=TABLE_CODE if kind in (JobType.GENERAL, JobType.FISCAL_FULL) else "",
                grade=grade,
                step=rng.randint(1, 100) if grade else None,
                monthly_amount={JobType.SPECIAL: 720_000, JobType.FISCAL_PART_MONTHLY: 132_000}.get(kind, 0),
                hourly_rate=1_050 if kind == JobType.FISCAL_PART_HOURLY else 0,
                weekly_hours=PART_TIME_WEEKS.get(kind, Decimal(0)),  # §5.9: 期末手当・勤勉手当
                term_ends_on=date(hired.year + 1, 3, 31) if kind in FISCAL_YEAR_JOB_TYPES else None,
                manager_allowance=45_000 if grade and grade >= 6 else 0,
                recorded_by_name="デモデータ",
            )
        )
        if kind != JobType.PREFECTURAL_TEACHER:
            for year in (2025, 2026):
                notices.append(
                    ResidentTaxNotice(
                        staff=staff,
                        fiscal_year=year,
                        city_code=city[0],
                        city_name=city[1],
                        annual=rng.randint(30, 400) * 1_000 + rng.randint(0, 99) * 10,
                    )
                )
    Appointment.objects.bulk_create(appointments, batch_size=2000)
    ResidentTaxNotice.objects.bulk_create(notices, batch_size=2000)
    return created


def _link_people(schema: str) -> None:
    """Link the demo people who work for the town to a staff row of their kind (their own payslips)."""
    for username, kind in LINKED.get(schema, []):
        person = Person.objects.filter(username=username).first()
        row = Staff.objects.filter(person_id__isnull=True, appointments__job_type=kind).order_by("number").first()
        if person is not None and row is not None:
            Staff.objects.filter(pk=row.pk).update(person_id=person.pk, name=person.full_name)


def year_of_runs() -> list[tuple[str, date, date]]:
    months = [date(2025 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    plan: list[tuple[str, date, date]] = []
    for month in months:
        plan.append(("regular", month, month.replace(day=17)))
        if month.month in (6, 12):
            plan.append(("bonus", month, month.replace(day=30 if month.month == 6 else 10)))
    return plan


YEAR_END = 2025
YEAR_END_SETTLE = date(2026, 1, 1)
REVISION_SETTLE = date(2026, 2, 1)
REVISION_DAY = date(2026, 1, 20)  # the demo's 再年末調整 is made in January, before its deadline (§13.11)


def _declarations(*, actor: Person, seed: int) -> None:
    """Each staff member's 2025 declarations (from their 扶養 count, with drawn insurance premiums), through the
    service (validated and audited like a clerk's entry). One in ten hands nothing in (left out of the 年末調整)."""
    rng = random.Random(seed + 1)  # noqa: S311 - demo data; its own stream so the staff stay as they are
    for staff in Staff.objects.exclude(appointments__job_type=JobType.PREFECTURAL_TEACHER).order_by("number"):
        if rng.random() < 0.1:
            continue
        spouse = rng.random() < 0.4
        year_end_service.record_declaration(
            actor=actor, staff=staff, year=YEAR_END, has_spouse=spouse,
            spouse_income=rng.choice([0, 0, 500_000, 1_000_000]) if spouse else 0,
            dependants_general=max(0, staff.tax_dependents - int(spouse)),
            life_new_general=rng.choice([0, 0, 36_000, 60_000, 120_000]),
            life_new_care=rng.choice([0, 0, 24_000]),
            earthquake=rng.choice([0, 0, 12_000, 30_000]),
        )  # fmt: skip


def _year_end(*, officer: Person | None, approver: Person | None, seed: int) -> None:
    """The 2025 年末調整, run when the year's last runs are locked and before the January 例月 (§13.9–§13.10)."""
    if officer is None or approver is None:
        return  # the demo people are not there (the payroll loader alone): no year-end
    _declarations(actor=officer, seed=seed)
    run = year_end_service.create_year_end_run(actor=officer, year=YEAR_END, settle_month=YEAR_END_SETTLE)
    run = year_end_service.calculate_year_end(actor=officer, run=run)
    year_end_service.lock_year_end(actor=approver, run=year_end_service.approve_year_end(actor=approver, run=run))


def _revision(*, officer: Person | None, approver: Person | None) -> None:
    """One 再年末調整 (§13.11): the first adjusted staff member's late 保険料控除証明書, settled in February."""
    from payroll.year_end_models import YearEndResult, YearEndRun

    run = YearEndRun.objects.filter(year=YEAR_END, state=YearEndRun.State.LOCKED).first()
    result = YearEndResult.objects.filter(run=run, adjusted=True).order_by("staff_number").first()
    if officer is None or approver is None or run is None or result is None:
        return
    basis = year_end_revision.basis_of(run=run, staff=result.staff)
    values = {**basis.declaration, "life_new_general": basis.declaration.get("life_new_general", 0) + 40_000}
    revision = year_end_revision.calculate_readjustment(
        actor=officer, run=run, staff=result.staff, reason="生命保険料控除証明書の追加提出(1月)",
        settle_month=REVISION_SETTLE, today=REVISION_DAY, **values,
    )  # fmt: skip
    revision = year_end_revision.approve_readjustment(actor=approver, revision=revision, today=REVISION_DAY)
    year_end_revision.lock_readjustment(actor=approver, revision=revision, today=REVISION_DAY)


def seed_town(*, schema: str, count: int, seed: int) -> int | None:
    with schema_context(schema):
        if Staff.objects.exists():
            return None
        with transaction.atomic():
            install_table()
            install_settings(schema)
            generate_staff(count, seed=seed, city=CITY[schema])
            _link_people(schema)
        # The 年末調整 is the 給与担当's, approved by a second person: the 人事担当 of the same 係 in the demo.
        officer = Person.objects.filter(username="kyuyo").first()
        approver = Person.objects.filter(username="jinji").first()
        for kind, month, paid_on in year_of_runs():
            if kind == "regular" and month == YEAR_END_SETTLE:
                _year_end(officer=officer, approver=approver, seed=seed)
            if kind == "regular" and month == REVISION_SETTLE:
                _revision(officer=officer, approver=approver)
            run = runs.create_run(actor=None, kind=kind, pay_month=month, paid_on=paid_on)
            # Calculated, approved and locked by the system (no person): the demo loader, not a clerk.
            run = runs.calculate_run(actor=None, run=run)
            runs.lock_run(actor=None, run=runs.approve_run(actor=None, run=run))
            if kind == "regular" and month.month == 6:
                determine_regular(actor=None, year=month.year)  # 定時決定, in force from September
        return count


def seed_demo(write: Callable[[str], None]) -> None:
    """`manage.py seed_demo`: staff and a year of runs per demo town (registered in apps.ready; idempotent)."""
    for index, (schema, count) in enumerate(DEMO_STAFF.items()):
        started = time.perf_counter()
        if seed_town(schema=schema, count=count, seed=2026 + index) is None:
            write(f"  {schema}: payroll staff already registered, left as they are.")
        else:
            write(f"  {schema}: {count} staff, a year of pay runs ({time.perf_counter() - started:.1f} s)")

"""標準報酬月額 (docs/domain/payroll.md §6.2), the 成績率 of 勤勉手当 (§5.6) and 住民税 on leaving (§2.3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from payroll.errors import PayrollInputError
from payroll.models import Payslip, ResidentTaxNotice, StandardRemuneration
from payroll.services import runs
from payroll.services.staff import record_appointment
from payroll.services.standard_remuneration import determine_regular, revise_occasionally
from tests.payroll.factories import hire


def locked_month(officers: Any, month: date) -> Any:
    officer, approver = officers
    run = runs.create_run(actor=officer, kind="regular", pay_month=month, paid_on=month.replace(day=17))
    run = runs.approve_run(actor=approver, run=runs.calculate_run(actor=officer, run=run))
    return runs.lock_run(actor=approver, run=run)


def test_regular_determination_from_april_to_june_applies_from_september(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "5001")
    for month in (4, 5, 6):
        if month == 5:
            runs.record_monthly_input(actor=officer, staff=staff, pay_month=date(2026, 5, 1), hours_125=Decimal(30))
        locked_month(officers, date(2026, month, 1))
    assert determine_regular(actor=officer, year=2026) == 1
    decided = StandardRemuneration.objects.get(staff=staff, reason="regular")
    grosses = list(Payslip.objects.filter(staff=staff).order_by("run__pay_month").values_list("gross", flat=True))
    assert decided.average == sum(grosses) // 3
    assert decided.effective_from == date(2026, 9, 1)
    assert determine_regular(actor=officer, year=2026) == 0  # idempotent
    september = runs.calculate_run(
        actor=officer,
        run=runs.create_run(actor=officer, kind="regular", pay_month=date(2026, 9, 1), paid_on=date(2026, 9, 17)),
    )
    assert Payslip.objects.get(run=september, staff=staff).standard_remuneration == decided.standard


def test_occasional_revision_after_a_promotion_by_two_grades(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "5002")  # 165,000 → 標準報酬 170,000 (等級 14)
    locked_month(officers, date(2026, 3, 1))
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 1), kind="promotion", grade=2, step=10)
    for month in (4, 5, 6):
        locked_month(officers, date(2026, month, 1))
    revised = revise_occasionally(actor=officer, staff=staff, changed_month=date(2026, 4, 1))
    assert revised is not None
    assert revised.effective_from == date(2026, 7, 1)
    assert revised.standard == 220_000  # 225,000 → 等級 18 (210,000 … 230,000)


def test_no_occasional_revision_without_a_change_of_fixed_pay(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "5003")
    with pytest.raises(PayrollInputError) as raised:
        revise_occasionally(actor=officer, staff=staff, changed_month=date(2026, 4, 1))
    assert raised.value.code == "payroll_no_fixed_pay_change"


def test_kinben_uses_the_recorded_rating(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "5004")
    runs.record_monthly_input(actor=officer, staff=staff, pay_month=date(2026, 6, 1), kinben_rate=Decimal("1.2"))
    run = runs.calculate_run(
        actor=officer,
        run=runs.create_run(actor=officer, kind="bonus", pay_month=date(2026, 6, 1), paid_on=date(2026, 6, 30)),
    )
    assert Payslip.objects.get(run=run, staff=staff).lines.get(code="kinben").amount == 165_000 * 12 // 10


@pytest.mark.parametrize(("choice", "expected"), [("lump_sum", 8_300 * 11), ("ordinary", 8_300)])
def test_resident_tax_on_leaving(officers: Any, table: Any, choice: str, expected: int) -> None:
    officer, _ = officers
    staff = hire(officer, "5005")
    ResidentTaxNotice.objects.create(
        staff=staff, fiscal_year=2026, city_code="394017", city_name="中土佐町", annual=100_000
    )
    record_appointment(
        actor=officer, staff=staff, effective_on=date(2026, 8, 1), kind="leaving", resident_tax_on_leaving=choice
    )
    july = runs.calculate_run(
        actor=officer,
        run=runs.create_run(actor=officer, kind="regular", pay_month=date(2026, 7, 1), paid_on=date(2026, 7, 17)),
    )
    # July's instalment (8,300) plus, collected in one sum, August … May (10 × 8,300).
    assert Payslip.objects.get(run=july, staff=staff).lines.get(code="resident_tax").amount == expected

"""Outputs of a locked run (docs/domain/payroll.md §8–§9): bank file, 住民税 and 共済 lists, finance journal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from common.models import AuditEvent, TownSetting
from common.zengin import FileKind, parse_file
from finance import services as finance
from finance.models import BudgetLine, Commitment, PaymentOrder, Side
from payroll import parameters
from payroll.errors import MissingBankAccount, PayrollInputError, RunStateError
from payroll.models import Payslip, ResidentTaxNotice
from payroll.services import finance_posting, outputs, runs
from tenants.models import Role
from tests.payroll.factories import hire

JUNE = date(2026, 6, 1)
PAID = date(2026, 6, 19)


def setting(key: str, value: str) -> None:
    TownSetting.objects.create(key=key, value=value, effective_from=date(2020, 1, 1))


def locked_run(officers: Any, kind: str = "regular") -> Any:
    officer, approver = officers
    run = runs.create_run(actor=officer, kind=kind, pay_month=JUNE, paid_on=PAID)
    run = runs.calculate_run(actor=officer, run=run)
    run = runs.approve_run(actor=approver, run=run)
    return runs.lock_run(actor=approver, run=run)


@pytest.fixture
def payer(nakatosa: Any) -> None:
    setting(parameters.PAYER_BANK, "1234567890,ﾅｶﾄｻﾁﾖｳ,0001,100,1,7654321")


def test_transfer_file_is_a_valid_salary_file(officers: Any, table: Any, payer: None) -> None:
    officer, _ = officers
    first = hire(officer, "2001")
    hire(officer, "2002", step=20)
    run = locked_run(officers)
    data = outputs.build_transfer_file(actor=officer, run=run)
    parsed = parse_file(data)
    assert parsed.problems == []
    assert parsed.kind == FileKind.SALARY
    nets = sorted(Payslip.objects.filter(run=run).values_list("net", flat=True))
    assert sorted(int(r.fields["amount"] or 0) for r in parsed.records) == nets
    assert parsed.total_amount == sum(nets)
    assert Payslip.objects.get(run=run, staff=first).net in nets


def test_bonus_transfer_file_is_kind_12(officers: Any, table: Any, payer: None) -> None:
    officer, _ = officers
    hire(officer, "2003")
    data = outputs.build_transfer_file(actor=officer, run=locked_run(officers, kind="bonus"))
    assert parse_file(data).kind == FileKind.BONUS


def test_a_missing_bank_account_stops_the_file(officers: Any, table: Any, payer: None) -> None:
    officer, _ = officers
    hire(officer, "2004", account_number="")
    run = locked_run(officers)
    before = AuditEvent.objects.filter(action="payroll.transfer_file").count()
    with pytest.raises(MissingBankAccount) as raised:
        outputs.build_transfer_file(actor=officer, run=run)
    assert raised.value.details["staff"] == ["2004"]
    assert AuditEvent.objects.filter(action="payroll.transfer_file").count() == before


def test_no_file_before_the_run_is_locked(officers: Any, table: Any, payer: None) -> None:
    officer, _ = officers
    hire(officer, "2005")
    run = runs.calculate_run(
        actor=officer, run=runs.create_run(actor=officer, kind="regular", pay_month=JUNE, paid_on=PAID)
    )
    with pytest.raises(RunStateError):
        outputs.build_transfer_file(actor=officer, run=run)


def test_resident_tax_remittance_per_city(officers: Any, table: Any) -> None:
    officer, _ = officers
    for number, city, name, annual in (("2006", "394017", "中土佐町", 120_000), ("2007", "394017", "中土佐町", 60_000),
                                        ("2008", "394122", "四万十町", 100_000)):  # fmt: skip
        staff = hire(officer, number)
        ResidentTaxNotice.objects.create(staff=staff, fiscal_year=2026, city_code=city, city_name=name, annual=annual)
    remittances = outputs.resident_tax_remittances(run=locked_run(officers))
    assert [(r.city_code, r.staff_count, r.amount) for r in remittances] == [
        ("394017", 2, 10_000 + 5_000),
        ("394122", 1, 8_700),
    ]


def test_kyosai_list(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "2009")
    rows = outputs.kyosai_list(run=locked_run(officers))
    assert rows[0]["standard"] == 170_000
    assert rows[0]["employer"] == sum(v for k, v in rows[0].items() if k.startswith("kyosai_"))


def test_journal_lines_per_budget_code_and_setsu(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting(parameters.BUDGET_CODES, "0101=02-01-01 0201=03-01-01")
    hire(officer, "2010", children=1)
    hire(officer, "2011", unit_code="0201", unit_name="住民課")
    run = locked_run(officers)
    lines = finance_posting.journal_lines(run=run)
    by_key = {(line.budget_code, line.setsu): line.amount for line in lines}
    assert by_key[("02-01-01", "02")] == 165_000
    assert by_key[("02-01-01", "03")] == 13_000
    assert by_key[("03-01-01", "02")] == 165_000
    slips = Payslip.objects.filter(run=run)
    assert by_key[("02-01-01", "04")] + by_key[("03-01-01", "04")] == sum(s.employer_kyosai for s in slips)
    assert {line.setsu for line in lines} == {"02", "03", "04"}


def test_journal_refuses_a_unit_without_budget_code(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting(parameters.BUDGET_CODES, "0101=02-01-01")
    hire(officer, "2012", unit_code="0999", unit_name="未設定課")
    with pytest.raises(PayrollInputError) as raised:
        finance_posting.journal_lines(run=locked_run(officers))
    assert raised.value.code == "payroll_budget_code_missing"


def salary_budget(new_person: Any) -> dict[str, BudgetLine]:
    """令和8年度 (the year of PAID) 一般管理費 02-01-01 with 節 02 給料, 03 職員手当等, 04 共済費, enacted."""
    finance_officer = new_person("zaisei1", nakatosa=Role.FINANCE_OFFICER)
    year = finance.open_fiscal_year(actor=finance_officer, year=2026)
    for code, name in [("02", "総務費"), ("02-01", "総務管理費"), ("02-01-01", "一般管理費")]:
        finance.add_subject(actor=finance_officer, year=year, side=Side.EXPENDITURE, code=code, name=name)
    moku = year.subjects.get(side=Side.EXPENDITURE, code="02-01-01")
    lines = {
        setsu: finance.add_budget_line(actor=finance_officer, moku=moku, setsu=setsu) for setsu in ("02", "03", "04")
    }
    finance.enact_budget(
        actor=finance_officer,
        year=year,
        number=0,
        decided_on=date(2026, 3, 15),
        amounts={line: 100_000_000 for line in lines.values()},
    )
    return lines


def test_posting_to_finance_is_idempotent(officers: Any, table: Any, new_person: Any) -> None:
    officer, _ = officers
    salary_budget(new_person)
    setting(parameters.BUDGET_CODES, "0101=02-01-01")
    hire(officer, "2013")
    run = locked_run(officers)
    first = finance_posting.post_run_to_finance(actor=officer, run=run)
    again = finance_posting.post_run_to_finance(actor=officer, run=run)
    assert again == first


def test_posting_to_finance_commits_and_orders_each_setsu(officers: Any, table: Any, new_person: Any) -> None:
    officer, _ = officers
    lines = salary_budget(new_person)
    setting(parameters.BUDGET_CODES, "0101=02-01-01")
    hire(officer, "2015")
    run = locked_run(officers)
    journal = finance_posting.journal_lines(run=run)
    numbers = finance_posting.post_run_to_finance(actor=officer, run=run)
    commitments = Commitment.objects.filter(number__in=numbers)
    assert sorted(c.line_id for c in commitments) == sorted(lines[line.setsu].pk for line in journal)
    assert sum(c.amount for c in commitments) == sum(line.amount for line in journal)
    assert PaymentOrder.objects.filter(commitment__in=commitments).count() == len(numbers)


def test_a_second_posting_writes_nothing(officers: Any, table: Any, new_person: Any) -> None:
    officer, _ = officers
    salary_budget(new_person)
    setting(parameters.BUDGET_CODES, "0101=02-01-01")
    hire(officer, "2016")
    run = locked_run(officers)
    finance_posting.post_run_to_finance(actor=officer, run=run)
    before = (Commitment.objects.count(), PaymentOrder.objects.count())
    finance_posting.post_run_to_finance(actor=officer, run=run)
    assert (Commitment.objects.count(), PaymentOrder.objects.count()) == before


def test_unlocked_run_is_not_posted(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "2014")
    run = runs.calculate_run(
        actor=officer, run=runs.create_run(actor=officer, kind="regular", pay_month=JUNE, paid_on=PAID)
    )
    with pytest.raises((RunStateError, ImportError)):
        finance_posting.post_run_to_finance(actor=officer, run=run)

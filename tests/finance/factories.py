"""A small 令和8年度 budget of 中土佐町 and the people who execute it, for the finance tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from finance import services
from finance.models import BudgetLine, FiscalYear, Side
from tenants.models import Person, Role
from tests.support.people import make_person

YEAR = 2026
TODAY = date(2026, 11, 27)


@dataclass
class People:
    finance: Person  # 財政担当
    clerk: Person  # 予算執行担当 (commits)
    inspector: Person  # 予算執行担当 (inspects, orders)
    orderer: Person  # 予算執行担当 (orders)
    accountant: Person  # 会計管理者 (審査)
    cashier: Person  # 出納担当 (支払)


@dataclass
class Budget:
    year: FiscalYear
    salaries: BudgetLine  # 02-01-01 節02 給料
    allowances: BudgetLine  # 02-01-01 節03 職員手当等
    supplies: BudgetLine  # 02-01-02 節10 需用費
    entertainment: BudgetLine  # 02-01-02 節09 交際費
    other_kou: BudgetLine  # 02-02-01 節10 需用費 (another 項)
    reserve: BudgetLine  # 14-01-01 節01 (予備費)
    tax: BudgetLine  # 歳入 01-01-01 節01 現年課税分


def make_people(prefix: str = "f", schema: str = "nakatosa") -> People:
    return People(
        finance=make_person(f"{prefix}_zaisei", **{schema: Role.FINANCE_OFFICER}),
        clerk=make_person(f"{prefix}_clerk", **{schema: Role.BUDGET_CLERK}),
        inspector=make_person(f"{prefix}_inspector", **{schema: Role.BUDGET_CLERK}),
        orderer=make_person(f"{prefix}_orderer", **{schema: Role.BUDGET_CLERK}),
        accountant=make_person(f"{prefix}_accountant", **{schema: Role.ACCOUNTANT}),
        cashier=make_person(f"{prefix}_cashier", **{schema: Role.ACCOUNTANT}),
    )


def make_budget(people: People, *, year: int = YEAR, amounts: dict[str, int] | None = None) -> Budget:
    actor = people.finance
    fy = services.open_fiscal_year(actor=actor, year=year)
    for side, code, name in [
        (Side.EXPENDITURE, "02", "総務費"),
        (Side.EXPENDITURE, "02-01", "総務管理費"),
        (Side.EXPENDITURE, "02-01-01", "一般管理費"),
        (Side.EXPENDITURE, "02-01-02", "文書広報費"),
        (Side.EXPENDITURE, "02-02", "徴税費"),
        (Side.EXPENDITURE, "02-02-01", "税務総務費"),
        (Side.REVENUE, "01", "町税"),
        (Side.REVENUE, "01-01", "町民税"),
        (Side.REVENUE, "01-01-01", "個人"),
    ]:
        services.add_subject(actor=actor, year=fy, side=side, code=code, name=name)
    for code, name in [("14", "予備費"), ("14-01", "予備費"), ("14-01-01", "予備費")]:
        services.add_subject(actor=actor, year=fy, side=Side.EXPENDITURE, code=code, name=name, is_reserve=True)

    def line(code: str, setsu: str, side: str = Side.EXPENDITURE, name: str = "") -> BudgetLine:
        moku = fy.subjects.get(side=side, code=code)
        return services.add_budget_line(
            actor=actor, moku=moku, setsu=setsu, name=name, department_code="T100", department_name="総務課"
        )

    budget = Budget(
        year=fy,
        salaries=line("02-01-01", "02"),
        allowances=line("02-01-01", "03"),
        supplies=line("02-01-02", "10"),
        entertainment=line("02-01-02", "09"),
        other_kou=line("02-02-01", "10"),
        reserve=line("14-01-01", "01", name="予備費"),
        tax=line("01-01-01", "01", side=Side.REVENUE, name="現年課税分"),
    )
    given = amounts or {}
    services.enact_budget(
        actor=actor,
        year=fy,
        number=0,
        decided_on=date(year, 3, 15),
        amounts={
            budget.salaries: given.get("salaries", 100_000_000),
            budget.allowances: given.get("allowances", 50_000_000),
            budget.supplies: given.get("supplies", 1_000_000),
            budget.entertainment: given.get("entertainment", 100_000),
            budget.other_kou: given.get("other_kou", 500_000),
            budget.reserve: given.get("reserve", 10_000_000),
            budget.tax: given.get("tax", 300_000_000),
        },
    )
    return budget


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def people(in_nakatosa: None) -> People:
    return make_people()


@pytest.fixture
def budget(people: People) -> Budget:
    return make_budget(people)

"""Payroll test data in 中土佐町: a small 給料表, officers, staff."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from payroll.models import Staff
from payroll.services.salary_tables import approve_salary_table, import_salary_table
from payroll.services.staff import hire_staff

TABLE = "gyosei1"


def salary_csv(*, grades: int = 3, steps: int = 40, base: int = 150_000, raise_: int = 0) -> str:
    rows = ["級,号給,月額"]
    for grade in range(1, grades + 1):
        for step in range(1, steps + 1):
            rows.append(f"{grade},{step},{base + raise_ + (grade - 1) * 60_000 + step * 1_500}")
    return "\n".join(rows)


def salary_table(officer: Any, approver: Any, effective_from: date = date(2020, 4, 1), **kwargs: Any) -> Any:
    version = import_salary_table(
        actor=officer,
        table_code=TABLE,
        table_name="行政職給料表(一)",
        effective_from=effective_from,
        text=salary_csv(**kwargs),
    )
    approve_salary_table(actor=approver, version=version)
    return version


def hire(officer: Any, number: str, **overrides: Any) -> Staff:
    values: dict[str, Any] = {
        "name": f"職員 {number}",
        "name_kana": "ショクイン",
        "birth_date": date(1990, 5, 10),
        "hired_on": date(2024, 4, 1),
        "unit_code": "0101",
        "unit_name": "総務課",
        "job_type": "general",
        "table_code": TABLE,
        "grade": 1,
        "step": 10,
        "bank_code": "0001",
        "branch_code": "001",
        "account_number": "1234567",
        "account_holder_kana": "シヨクイン",
    }
    values.update(overrides)
    return hire_staff(actor=officer, number=number, **values)


def hire_hourly(officer: Any, number: str, *, weekly_hours: str = "20", **overrides: Any) -> Staff:
    """A 時間額 part-time 会計年度任用職員 (1,000 yen an hour) hired on 2025-10-01."""
    values: dict[str, Any] = {
        "job_type": "fiscal_part_hourly",
        "table_code": "",
        "grade": None,
        "step": None,
        "hourly_rate": 1_000,
        "weekly_hours": Decimal(weekly_hours),
        "hired_on": date(2025, 10, 1),
    }
    values.update(overrides)
    return hire(officer, number, **values)

"""特殊勤務手当の実績 (docs/domain/payroll.md §5.8): the days or occurrences of each kind per staff member and month,
entered like the 時間外 hours, one at a time or from CSV (職員番号,種類コード,日数・回数)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.db import transaction

from common import audit
from payroll import parameters as p
from payroll import rules
from payroll.errors import NegativeCount, PayrollInputError, RunLocked, UnknownSpecialDuty
from payroll.models import PayRun, SpecialDutyEntry, Staff


def _check_month_open(month: date) -> None:
    if PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=month, state=PayRun.State.LOCKED).exists():
        raise RunLocked()


def _check_entry(kinds: dict[str, tuple[str, str, int]], kind_code: str, count: Any) -> None:
    if kind_code not in kinds:
        raise UnknownSpecialDuty(
            f"特殊勤務手当の種類「{kind_code}」はこの月の設定にありません。", details={"field": "kind_code"}
        )
    rules.special_duty(count, kinds[kind_code][2])


def record_special_duty(*, actor: Any, staff: Staff, pay_month: date, kind_code: str, count: int) -> SpecialDutyEntry:
    """The month's days or occurrences of one kind (a second entry of the same kind replaces the first); an unknown
    kind, a negative count or a locked month is refused with nothing written."""
    month = pay_month.replace(day=1)
    _check_entry(p.special_duty_kinds(month), kind_code, count)
    _check_month_open(month)
    with transaction.atomic():
        row, _ = SpecialDutyEntry.objects.update_or_create(
            staff=staff, pay_month=month, kind_code=kind_code, defaults={"count": count}
        )
        audit.record(
            actor=actor,
            action="payroll.special_duty",
            obj=staff,
            purpose="特殊勤務実績の入力",
            personal_data=True,
            details={"month": str(month), "kind": kind_code, "count": count},
        )
    return row


def _parse(text: str, kinds: dict[str, tuple[str, str, int]]) -> tuple[list[tuple[str, str, int]], list[str]]:
    rows: list[tuple[str, str, int]] = []
    errors: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in row]
        if not "".join(cells):
            continue
        if number == 1 and not cells[0][:1].isdigit():
            continue  # the header
        if len(cells) < 3 or not cells[2].lstrip("-").isdigit():
            errors.append(f"{number}行目: 職員番号,種類コード,日数・回数(整数)の形で入力してください。")
            continue
        try:
            _check_entry(kinds, cells[1], int(cells[2]))
        except (UnknownSpecialDuty, NegativeCount) as exc:
            errors.append(f"{number}行目: {exc.message}")
            continue
        rows.append((cells[0], cells[1], int(cells[2])))
    return rows, errors


def record_special_duties_csv(*, actor: Any, pay_month: date, text: str) -> int:
    """Many entries of a month from CSV: every row is checked first, then all are written, or none."""
    month = pay_month.replace(day=1)
    _check_month_open(month)
    rows, errors = _parse(text, p.special_duty_kinds(month))
    staff = {s.number: s for s in Staff.objects.filter(number__in=[number for number, _, _ in rows])}
    errors += [f"職員番号 {number} の職員はいません。" for number, _, _ in rows if number not in staff]
    if errors or not rows:
        raise PayrollInputError(
            "特殊勤務実績のCSVに誤りがあります: " + (" / ".join(errors[:5]) or "データ行がありません。"),
            code="payroll_special_duty_csv_invalid",
            details={"errors": errors},
        )
    with transaction.atomic():
        for number, kind_code, count in rows:
            SpecialDutyEntry.objects.update_or_create(
                staff=staff[number], pay_month=month, kind_code=kind_code, defaults={"count": count}
            )
        audit.record(
            actor=actor,
            action="payroll.special_duty",
            obj=("payroll.SpecialDutyEntry", str(month), f"{month:%Y-%m}"),
            purpose="特殊勤務実績の入力",
            personal_data=True,
            details={"month": str(month), "staff": sorted({number for number, _, _ in rows})},
        )
    return len(rows)

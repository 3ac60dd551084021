"""Print the 源泉徴収税額 of one month's salary (docs/domain/payroll.md §1), so anyone can check the rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import ApplicationError
from payroll.withholding import COLUMNS, METHODS, monthly_tax


class Command(BaseCommand):
    help = "月額表(甲欄・乙欄)または電算機計算の特例による源泉徴収税額を表示します(円)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--amount", type=int, required=True, help="社会保険料等控除後の給与等の金額(円)")
        parser.add_argument("--dependents", type=int, required=True, help="扶養親族等の数")
        parser.add_argument("--paid-on", type=date.fromisoformat, required=True, help="支払日 YYYY-MM-DD")
        parser.add_argument("--method", choices=METHODS, default="table", help="table(税額表)/machine(電算機特例)")
        parser.add_argument("--column", choices=COLUMNS, default="甲", help="甲 または 乙")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tax = monthly_tax(
                options["amount"],
                options["dependents"],
                options["paid_on"],
                method=options["method"],
                column=options["column"],
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(str(tax))

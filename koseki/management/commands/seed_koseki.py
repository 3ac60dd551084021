from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from koseki.demo import seed_demo_registers


class Command(BaseCommand):
    help = (
        "Build each town's demo registers (戸籍) from the demo residents of every town on the platform "
        "(koseki.demo): a koseki per 本籍 and 筆頭者 of the 住民票, with 附票 lines. Run after the residents are "
        "seeded; a town that has registers already is left as it is (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", action="append", help="Town schema (repeatable); default: every town")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        for schema, result in seed_demo_registers(options["schema"]).items():
            if result is None:
                self.stdout.write(
                    f"  {schema}: 戸籍は登録済みか、本籍がこの町にある住民がいないため、何もしませんでした。"
                )
            else:
                self.stdout.write(
                    f"  {schema}: 戸籍{result.registers}件・{result.members}人・附票{result.fuhyo_lines}行を"
                    f"登録しました(戸籍番号 {result.first_number}〜{result.last_number})。"
                )
        self.stdout.write(self.style.SUCCESS(f"戸籍のデモデータ: {time.perf_counter() - started:.1f}秒"))

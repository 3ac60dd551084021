from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import ApplicationError
from resident_records.demo import seed_town


class Command(BaseCommand):
    help = (
        "Fill one town's resident register with generated, fictitious residents (resident_records.demo), "
        "through the bulk loader. Does nothing when the town already has residents, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="Town schema, e.g. nakatosa")
        parser.add_argument("--count", type=int, required=True, help="Number of residents to create")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (same seed, same residents)")
        parser.add_argument("--force", action="store_true", help="Add residents even if the town has some")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = seed_town(
                schema=options["schema"],
                count=options["count"],
                seed=options["seed"],
                only_if_empty=not options["force"],
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        if result is None:
            self.stdout.write(f"{options['schema']}: 住民が登録済みのため、何もしませんでした(--force で追加)。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{options['schema']}: {result.households}世帯 {result.residents}人を登録しました "
                f"(宛名番号 {result.first_atena_number}〜{result.last_atena_number}, "
                f"{time.perf_counter() - started:.1f}秒)。"
            )
        )

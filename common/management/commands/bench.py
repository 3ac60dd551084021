from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common import bench
from common.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Run benchmark scenarios; prints one JSON line per scenario with median/min/max and the ratio to a "
        "baseline measured in the same run. Scenarios come from common.bench and every local app's bench "
        "module (--list shows them). Safe on a shared database: a scenario only creates and drops its own "
        "schemas named bench_<run id>_... (with their Municipality/Domain rows) and never touches other "
        "schemas; the council audit trail keeps a municipality.provision row per bench town, because it "
        "is append-only by design."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenarios", nargs="*", metavar="scenario", help="e.g. provision migrate")
        parser.add_argument("--repeat", type=int, default=3, help="Timed runs per measurement (default 3)")
        parser.add_argument("--towns", type=int, default=50, help="Towns for the migrate scenario (default 50)")
        parser.add_argument(
            "--residents", type=int, default=300_000, help="Residents for the resident_* scenarios (default 300000)"
        )
        parser.add_argument("--list", action="store_true", help="List the known scenarios and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        bench.discover()
        known = list(bench.registered())
        if options["list"]:
            self.stdout.write("\n".join(known))
            return
        names: list[str] = options["scenarios"]
        if not names:
            raise CommandError(f"シナリオを指定してください。利用できるシナリオ: {', '.join(known)}")
        unknown = [name for name in names if name not in known]
        if unknown:
            raise CommandError(f"不明なシナリオです: {', '.join(unknown)}。利用できるシナリオ: {', '.join(known)}")
        if options["repeat"] < 1 or options["towns"] < 1 or options["residents"] < 1:
            raise CommandError("--repeat、--towns と --residents には 1 以上を指定してください。")
        bench_options = bench.BenchOptions(
            repeat=options["repeat"], towns=options["towns"], residents=options["residents"]
        )
        for name in names:
            try:
                line = bench.run(name, bench_options)
            except ApplicationError as exc:
                raise CommandError(f"{name}: {exc.message} [{exc.code}]") from exc
            self.stdout.write(json.dumps(line, ensure_ascii=False))

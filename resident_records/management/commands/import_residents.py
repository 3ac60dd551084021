from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from common.errors import ApplicationError
from resident_records import csv_io
from tenants.models import Person


class Command(BaseCommand):
    help = (
        "Import residents from a CSV in the layout of docs/resident_csv_layout.md into one town (all or nothing). "
        "Every row is checked first; with any error nothing is registered and the errors are listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file (UTF-8 with BOM, UTF-8 or Shift_JIS)")
        parser.add_argument("--schema", required=True, help="Town schema, e.g. nakatosa")
        parser.add_argument("--purpose", required=True, help="利用目的, recorded in the audit trail")
        parser.add_argument("--actor", default="", help="Username of the clerk responsible (recorded)")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = Person.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"職員「{options['actor']}」が見つかりません。")
        with schema_context(options["schema"]), Path(options["path"]).open("rb") as stream:
            try:
                # Streamed from disk (csv_load), as the background job does: the file is never held in memory.
                report = csv_io.import_csv(
                    actor=actor, data=stream, purpose=options["purpose"], dry_run=options["dry_run"]
                )
            except ApplicationError as exc:
                raise CommandError(f"{exc.message} [{exc.code}]") from exc
        if report.errors:
            for error in report.errors[: csv_io.DEFAULT_MAX_ERRORS]:
                self.stderr.write(f"{error.row}行目 {error.column}: {error.message}")
            more = len(report.errors) - csv_io.DEFAULT_MAX_ERRORS
            if more > 0:
                self.stderr.write(f"ほか{more}件の誤りがあります。")
            raise CommandError(f"{len(report.errors)}件の誤りがあるため、何も登録していません。")
        verb = "確認しました(登録はしていません)" if options["dry_run"] else "登録しました"
        self.stdout.write(self.style.SUCCESS(f"{report.households}世帯 {report.residents}人を{verb}。"))

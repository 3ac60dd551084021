from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from resident_records import csv_io
from tenants.models import Person


class Command(BaseCommand):
    help = (
        "Export one town's residents (now, or as of a date) as CSV in the layout of docs/resident_csv_layout.md "
        "(UTF-8 with BOM). 個人番号 is never exported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="Town schema, e.g. nakatosa")
        parser.add_argument("--purpose", required=True, help="利用目的, recorded in the audit trail")
        parser.add_argument("--actor", default="", help="Username of the person responsible (recorded)")
        parser.add_argument("--as-of", default="", help="The register as it stood on this day (YYYY-MM-DD)")
        parser.add_argument("--output", default="-", help="File to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = Person.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"職員「{options['actor']}」が見つかりません。")
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else None
        except ValueError as exc:
            raise CommandError("--as-of は YYYY-MM-DD で指定してください。") from exc
        with schema_context(options["schema"]):
            rows = csv_io.export_residents(actor=actor, purpose=options["purpose"], as_of=as_of)
            if options["output"] == "-":
                sys.stdout.write("\ufeff")
                count = csv_io.write_csv(sys.stdout, rows)
            else:
                with open(options["output"], "w", encoding="utf-8-sig", newline="") as stream:
                    count = csv_io.write_csv(stream, rows)
        self.stderr.write(f"{count}人を出力しました。")

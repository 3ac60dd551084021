from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from common import ledger


class Command(BaseCommand):
    help = "Verify the hash chain of every registered ledger (finance's journal, the water books) in one or every town."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", help="The town schema to verify (default: every town that has not withdrawn).")
        parser.add_argument("--ledger", help="Only this ledger (app_label.Model, e.g. finance.JournalLine).")

    def handle(self, *args: Any, **options: Any) -> None:
        towns = (
            get_tenant_model()
            .objects.exclude(schema_name=get_public_schema_name())
            .exclude(status="withdrawn")
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
        schemas = list(towns)
        if options["schema"]:
            if options["schema"] not in schemas:
                raise CommandError(f"Unknown town schema: {options['schema']}")
            schemas = [options["schema"]]
        ledgers = ledger.registered_ledgers()
        if options["ledger"]:
            if options["ledger"] not in ledgers:
                raise CommandError(f"Unknown ledger: {options['ledger']} (known: {', '.join(sorted(ledgers))})")
            ledgers = {options["ledger"]: ledgers[options["ledger"]]}
        broken = []
        for schema in schemas:
            for label, model in sorted(ledgers.items()):
                with schema_context(schema):
                    report = ledger.verify(model, schema)
                if report.intact:
                    self.stdout.write(f"OK      {schema} {label}: {report.rows} lines, chain intact")
                else:
                    broken.append(f"{schema} {label}")
                    self.stdout.write(f"BROKEN  {schema} {label}: first broken {report.first_break}")
                for derived, check in sorted(ledger.derived_checks(label).items()):
                    with schema_context(schema):
                        problem = check()
                    if problem is None:
                        self.stdout.write(f"OK      {schema} {derived}: agrees with {label}")
                    else:
                        broken.append(f"{schema} {derived}")
                        self.stdout.write(f"BROKEN  {schema} {derived}: {problem}")
        if broken:
            raise CommandError(f"Ledger chain broken in: {', '.join(broken)}")

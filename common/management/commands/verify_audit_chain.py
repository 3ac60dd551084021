from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from common import audit


class Command(BaseCommand):
    help = "Verify the SHA-256 chain of the audit trail of one schema (--schema) or of every schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", help="Schema to verify (a town, or 'public' for the council trail).")
        parser.add_argument(
            "--no-anchor", action="store_true", help="Do not record the verified head in the public anchor table."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schemas = audit.all_trails()
        if options["schema"]:
            known = {get_public_schema_name(), *get_tenant_model().objects.values_list("schema_name", flat=True)}
            if options["schema"] not in known:
                raise CommandError(f"Unknown schema: {options['schema']}")
            schemas = [options["schema"]]
        broken = []
        for schema in schemas:
            with schema_context(schema):
                report = audit.verify_chain(schema)
            if report.intact:
                if not options["no_anchor"]:
                    audit.anchor_head(schema)
                self.stdout.write(f"OK      {schema}: {report.rows} rows, chain intact")
            else:
                broken.append(schema)
                self.stdout.write(f"BROKEN  {schema}: first broken {report.first_break}")
        if broken:
            raise CommandError(f"Audit chain broken in: {', '.join(broken)}")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import ApplicationError
from tenants import services
from tenants.models import Municipality


class Command(BaseCommand):
    help = "Create, migrate and seed a municipality (idempotent for the same arguments)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", help="全国地方公共団体コード (6 digits with check digit); required for towns")
        parser.add_argument("--name", required=True, help="名称, e.g. 中土佐町")
        parser.add_argument("--kana", default="", help="名称カナ")
        parser.add_argument("--schema", required=True, help="PostgreSQL schema name, e.g. nakatosa")
        parser.add_argument("--domain", required=True, help="Host name, e.g. nakatosa.localhost")
        parser.add_argument("--kind", default="town", choices=[Municipality.Kind.TOWN, Municipality.Kind.COUNCIL])
        parser.add_argument("--color", default=None, help="Brand colour #rrggbb")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.provision_municipality(
                actor=None,
                code=options["code"],
                name=options["name"],
                kana=options["kana"],
                schema=options["schema"],
                domain=options["domain"],
                kind=options["kind"],
                brand_color=options["color"],
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}] {exc.details or ''}".strip()) from exc
        verb = "Provisioned" if result.created else "Already provisioned (nothing changed)"
        m = result.municipality
        self.stdout.write(self.style.SUCCESS(f"{verb}: {m.name} schema={m.schema_name} code={m.code or '-'}"))

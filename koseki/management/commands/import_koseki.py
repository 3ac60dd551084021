from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from common.csv_import import DEFAULT_MAX_ERRORS
from common.errors import ApplicationError
from koseki import importer
from tenants.models import Municipality, Person


class Command(BaseCommand):
    help = (
        "Import existing registers (戸籍の移行) from a CSV in the layout of docs/koseki_import_layout.md into one "
        "town, all or nothing. Every row is checked first; with any error nothing is registered and every error "
        "is listed with its row and column."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file (UTF-8, a BOM is allowed)")
        parser.add_argument("--schema", required=True, help="Town schema, e.g. nakatosa")
        parser.add_argument(
            "--purpose", default="既存システムからの戸籍の移行", help="利用目的, recorded in the audit trail"
        )
        parser.add_argument("--actor", default="", help="Username of the clerk responsible (recorded)")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file; register nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        schema = options["schema"]
        if not Municipality.objects.filter(schema_name=schema, kind=Municipality.Kind.TOWN).exists():
            raise CommandError(f"町のスキーマ「{schema}」が見つかりません。")
        actor = None
        if options["actor"]:
            actor = Person.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"職員「{options['actor']}」が見つかりません。")
        try:
            data = Path(options["path"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読み込めません: {exc}") from exc
        with schema_context(schema):
            try:
                report = importer.import_csv(
                    actor=actor, data=data, purpose=options["purpose"], dry_run=options["dry_run"]
                )
            except importer.ImportInvalid as exc:
                for error in exc.details.get("errors", []) if isinstance(exc.details, dict) else []:
                    self.stderr.write(f"{error['row']}行目 {error['column']}: {error['message']}")
                raise CommandError(f"{exc.message} [{exc.code}]") from exc
            except ApplicationError as exc:
                raise CommandError(f"{exc.message} [{exc.code}]") from exc
        if report.errors:
            for error in report.errors[:DEFAULT_MAX_ERRORS]:
                self.stderr.write(f"{error.row}行目 {error.column}: {error.message}")
            more = len(report.errors) - DEFAULT_MAX_ERRORS
            if more > 0:
                self.stderr.write(f"ほか{more}件の誤りがあります。")
            raise CommandError(f"{len(report.errors)}件の誤りがあるため、何も登録していません。")
        if options["dry_run"] or report.result is None:
            self.stdout.write(
                self.style.SUCCESS(f"戸籍{report.registers}件・{report.members}人を確認しました(登録はしていません)。")
            )
            return
        result = report.result
        self.stdout.write(
            self.style.SUCCESS(
                f"戸籍{result.registers}件・{result.members}人を登録しました"
                f"(戸籍番号 {result.first_number}〜{result.last_number}、受付番号 {result.notification.number})。"
            )
        )

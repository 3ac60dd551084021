from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import ApplicationError
from tenants.withdrawal import CHECKSUMS_NAME, withdraw_municipality


class Command(BaseCommand):
    help = (
        "A member town leaves the council: export its schema (pg_dump custom format + one CSV per table + "
        "manifest with SHA-256), prove the dump restores in a scratch database, then mark the town withdrawn. "
        "--drop also drops the schema and its host names, only after that proof."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="The town's schema, e.g. nakatosa")
        parser.add_argument(
            "--archive", required=True, help="Existing writable directory; a new <schema>-<UTC time> folder is made"
        )
        parser.add_argument(
            "--drop", action="store_true", help="Drop the schema and host names after the archive is verified"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = withdraw_municipality(
                actor=None, schema=options["schema"], archive_dir=Path(options["archive"]), drop=options["drop"]
            )
        except ApplicationError as exc:
            details = json.dumps(exc.details, ensure_ascii=False, default=str) if exc.details else ""
            raise CommandError(f"{exc.message} [{exc.code}] {details}".strip()) from exc
        m = report.municipality
        self.stdout.write(
            self.style.SUCCESS(f"脱退処理が完了しました: {m.name} (schema={m.schema_name}, code={m.code})")
        )
        self.stdout.write(f"  退避先: {report.archive_dir}")
        self.stdout.write(f"  テーブル {len(report.row_counts)} 件 / 行 {report.total_rows} 件(復元確認済み)")
        self.stdout.write(f"  manifest.json SHA-256: {report.manifest_sha256}")
        self.stdout.write(f"  検証: cd {report.archive_dir} && sha256sum -c {CHECKSUMS_NAME}")
        if report.dropped:
            self.stdout.write("  スキーマとホスト名を削除しました。")
        else:
            self.stdout.write(
                "  スキーマは残しています(脱退済みの自治体へのアクセスは拒否されます)。--drop で削除できます。"
            )

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bcp import standby as standby_service
from common.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Set up (or extend) PostgreSQL logical replication of every town schema and the public schema from this "
        "database (the primary; run as a superuser, wal_level = logical) to the standby named --name, whose "
        "connection is settings.KYODO_STANDBY_DSNS[--dsn-ref] (default: the name). Idempotent: re-run it after "
        "provisioning a town or migrating, to add the new schemas, tables and columns. See deploy/FAILOVER.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Standby name, e.g. inland")
        parser.add_argument("--dsn-ref", default=None, help="Key of KYODO_STANDBY_DSNS (default: the name)")
        parser.add_argument(
            "--app-role",
            default=None,
            help="Role Kyodo connects as: read-only on the standby (default_transaction_read_only) until promotion",
        )
        parser.add_argument("--site", default=None, help="BackupSite name where the standby stands, e.g. inland")
        parser.add_argument(
            "--wait", type=float, default=300.0, help="Seconds to wait for the initial copy of new tables (0: no wait)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            standby = standby_service.register_standby(
                name=options["name"], dsn_ref=options["dsn_ref"], site_name=options["site"]
            )
            report = standby_service.setup_standby(
                standby=standby, wait_seconds=options["wait"] or None, app_role=options["app_role"]
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}] {exc.details or ''}".strip()) from exc
        verb = "作成しました" if report.created_subscription else "更新しました"
        self.stdout.write(self.style.SUCCESS(f"待機系 {standby.name} の論理レプリケーションを{verb}。"))
        self.stdout.write(f"  パブリケーション: {standby.publication}  サブスクリプション: {standby.subscription}")
        self.stdout.write(f"  対象スキーマ: {', '.join(report.schemas)}")
        if report.added_schemas:
            self.stdout.write(f"  追加したスキーマ: {', '.join(report.added_schemas)}")
        if report.copied_schemas:
            self.stdout.write(f"  構造を複写したスキーマ: {', '.join(report.copied_schemas)}")
        if report.copied_tables:
            self.stdout.write(f"  構造を複写したテーブル: {', '.join(report.copied_tables)}")
        if report.added_columns:
            self.stdout.write(f"  追加した列: {', '.join(report.added_columns)}")
        if report.replica_identity_full:
            self.stdout.write(f"  REPLICA IDENTITY FULL にしたテーブル: {', '.join(report.replica_identity_full)}")
        if report.sync_complete is True:
            self.stdout.write("  初期複写: 完了")
        elif report.sync_complete is False:
            self.stdout.write(
                self.style.WARNING(
                    f"  初期複写: 未完了のテーブル {len(report.not_ready_tables)} 件 (standby_status で確認)"
                )
            )

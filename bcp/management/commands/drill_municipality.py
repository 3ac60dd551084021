"""manage.py drill_municipality: a restore drill of one schema (or of all) from one site, now.

    manage.py drill_municipality --schema nakatosa --site remote
    manage.py drill_municipality --all --site inland

The service the weekly Celery task calls (bcp.drills.run_drill): fetch, verify, decrypt and restore the newest
backup into a scratch database, compare every table with the manifest, drop the copy, and record the evidence
(RPO, RTO, differences) that the BCP dashboard and the auditors' export show. Exit code 0 only when every drill
passed.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bcp.backup import backup_targets
from bcp.drills import run_drill
from bcp.models import BackupSite, DrillStatus
from common.tenancy import use_public_schema


class Command(BaseCommand):
    help = "Run a restore drill of one schema (or --all) from one backup site now, and record its evidence."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--schema", help="Schema to drill (a town's, or public)")
        target.add_argument("--all", action="store_true", help="Every town not withdrawn, and public")
        parser.add_argument("--site", required=True, help="Backup site to restore from")
        parser.add_argument("--jobs", type=int, default=None, help="Parallel pg_restore jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        site = BackupSite.objects.filter(name=options["site"]).first()
        if site is None:
            raise CommandError(f"バックアップサイト「{options['site']}」がありません。 / unknown site")
        known = backup_targets()
        schemas = known if options["all"] else [options["schema"]]
        unknown = [schema for schema in schemas if schema not in known]
        if unknown:
            raise CommandError(f"バックアップ対象ではないスキーマです: {', '.join(unknown)} / not a backup target")
        failed = []
        for schema in schemas:
            drill = run_drill(schema_name=schema, site=site, jobs=options["jobs"])
            line = (
                f"{schema}: {drill.get_status_display()}"
                f" RPO {drill.achieved_rpo_seconds or 0:.0f} 秒, RTO {drill.restore_seconds or 0:.1f} 秒,"
                f" {drill.tables_checked} テーブル / {drill.rows_checked} 行"
            )
            self.stdout.write(line)
            for difference in drill.differences:
                self.stdout.write(f"    差異: {difference}")
            if drill.error:
                self.stdout.write(f"    エラー: {drill.error}")
            if drill.status != DrillStatus.PASSED:
                failed.append(schema)
        if failed:
            raise CommandError(f"不合格の復元訓練があります: {', '.join(failed)} / drill failed")
        self.stdout.write(self.style.SUCCESS(f"{len(schemas)} 件の復元訓練に合格しました ({getpass.getuser()})。"))

"""manage.py backup_municipality: today's backup of one schema (or of all) to every active site, now.

    manage.py backup_municipality --schema nakatosa
    manage.py backup_municipality --all [--site inland]

The nightly job's own orchestration (bcp.nights.run_nightly), run in this process: for an IT administrator
before maintenance, or when the worker is down. Idempotent like the nightly run: a schema whose backup of today
is complete at every chosen site is not dumped again; as at night, old backups are then pruned (retention).
Exit code 0 only when every backup is COMPLETE with a copy at every chosen site.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bcp.backup import active_sites
from bcp.errors import NotABackupTarget
from bcp.models import BackupSite, BackupStatus, CopyStatus
from bcp.nights import run_nightly
from common.dates import local_today
from common.tenancy import use_public_schema


class Command(BaseCommand):
    help = "Back up one schema (or --all) to every active backup site now (today's backup; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--schema", help="Schema to back up (a town's, or public)")
        target.add_argument("--all", action="store_true", help="Every town not withdrawn, and public")
        parser.add_argument("--site", action="append", default=[], help="Only this site (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        sites = active_sites()
        if options["site"]:
            by_name = {site.name: site for site in BackupSite.objects.filter(name__in=options["site"], is_active=True)}
            missing = sorted(set(options["site"]) - set(by_name))
            if missing:
                raise CommandError(
                    f"有効なバックアップサイトがありません: {', '.join(missing)} / unknown or inactive site"
                )
            sites = [by_name[name] for name in options["site"]]
        try:
            run = run_nightly(
                scheduled_for=local_today(), schema_names=None if options["all"] else [options["schema"]], sites=sites
            )
        except NotABackupTarget as exc:
            raise CommandError(exc.message) from exc
        made = {backup.schema_name: backup for backup in run.backups}
        failed = [schema for schema in run.schemas if schema not in made]  # crashed (logged)
        for schema, backup in made.items():
            copies = {copy.site_id: copy for copy in backup.copies.all()}
            complete = backup.status == BackupStatus.COMPLETE and all(
                site.pk in copies and copies[site.pk].status == CopyStatus.COMPLETE for site in sites
            )
            size = f"{backup.size_bytes / 1_000_000:.1f} MB" if backup.size_bytes else "-"
            self.stdout.write(f"{schema}: {backup.get_status_display()} {size} {backup.artifact_key}")
            for site in sites:
                copy = copies.get(site.pk)
                state = copy.get_status_display() if copy else "未作成"
                error = f" ({copy.last_error})" if copy and copy.last_error else ""
                self.stdout.write(f"    {site.name}: {state}{error}")
            if not complete:
                failed.append(schema)
        if failed:
            raise CommandError(f"完了しなかったバックアップがあります: {', '.join(failed)} / not complete")
        self.stdout.write(self.style.SUCCESS(f"{len(run.schemas)} 件のバックアップが完了しました。"))

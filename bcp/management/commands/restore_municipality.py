"""manage.py restore_municipality: a real restore of one schema from a backup site (docs/bcp.md §4).

    manage.py restore_municipality --schema nakatosa --site inland --into nakatosa_restored
    manage.py restore_municipality --schema nakatosa --site remote --at 2026-11-20T03:00 --into nakatosa --replace

The backup is verified (SHA-256, decryption, every table's rows and checksum) in a scratch database before the
target is touched; see bcp.restore for how the copy is then moved under the target name (pg_restore cannot
rename a schema). An existing schema — in particular a town's live schema — is never overwritten without
``--replace``; with it, the old schema is kept aside until the restored one is verified in place, then dropped
(or put back if anything failed). Exit code 0 only when the restore was verified.

``--from-site`` finds the backup by reading the site's manifests instead of the catalogue (the Backup rows of
the public schema): for a rebuilt server whose public schema is gone or older than the backups. Restore the
public schema first (``--schema public --into public_restored``, then move what is needed), then the towns.

Restoring a town over itself (``--into <town> --replace``) brings back its data as of the backup, its audit
trail included; rows written after the snapshot are gone, and ``verify_audit_chain`` will report the town's
trail as shorter than its anchor in the public schema — the evidence of the restore, not a fault to hide. Put
the town in 停止中 (suspended) in the admin first, so that no clerk writes while its schema is replaced: an
active town's live schema is refused (bcp.restore.RestoreIntoActiveTown).
"""

from __future__ import annotations

import getpass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bcp.models import DrillStatus
from bcp.restore import restore_latest
from common.errors import ApplicationError
from common.tenancy import use_public_schema
from tenants.models import Person

TOKYO = ZoneInfo("Asia/Tokyo")


def parse_time(value: str) -> datetime:
    """ISO 8601 date or date-time; without a zone it is Japan time (a date means the end of that day)."""
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time.max)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--at の日時が正しくありません: {value}(例: 2026-11-20 または 2026-11-20T03:00)"
            f" / invalid --at value: {value} (e.g. 2026-11-20 or 2026-11-20T03:00)"
        ) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TOKYO)


class Command(BaseCommand):
    help = (
        "Restore a schema from a backup site into a schema of the live database (or another database), "
        "after verifying it in a scratch database. Refuses to overwrite an existing schema without --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="Schema that was backed up, e.g. nakatosa or public")
        parser.add_argument("--site", required=True, help="BackupSite name, e.g. inland")
        parser.add_argument("--at", default="", help="Newest backup taken at or before this time (ISO 8601, JST)")
        parser.add_argument("--into", required=True, help="Target schema (created; see --replace)")
        parser.add_argument(
            "--into-database", default="", help="Target database on the same server (default: the live one)"
        )
        parser.add_argument("--replace", action="store_true", help="Replace the target schema if it exists")
        parser.add_argument(
            "--from-site",
            action="store_true",
            help="Find the backup by reading the site's manifests, not the catalogue (when the public schema "
            "was lost or is older than the backups)",
        )
        parser.add_argument("--actor", default="", help="Username of the person responsible (recorded)")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        actor = None
        if options["actor"]:
            actor = Person.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"職員「{options['actor']}」が見つかりません。 / unknown person {options['actor']}")
        at = parse_time(options["at"]) if options["at"] else None
        try:
            drill = restore_latest(
                schema_name=options["schema"],
                site_name=options["site"],
                at=at,
                into_schema=options["into"],
                into_database=options["into_database"] or None,
                replace=options["replace"],
                from_site=options["from_site"],
                actor=actor,
                triggered_by=actor.full_name if actor else f"restore_municipality ({getpass.getuser()})",
            )
        except ApplicationError as exc:
            raise CommandError(f"復元できません / restore refused: {exc.message} [{exc.code}]") from exc
        if drill.status != DrillStatus.PASSED:
            lines = [f"復元に失敗しました / restore failed: {drill.error} [{drill.report.get('error_code')}]"]
            lines += [f"  差異 / difference: {difference}" for difference in drill.differences[:20]]
            lines.append("復元先は変更していません / the target was left unchanged")
            raise CommandError("\n".join(lines))
        snapshot = drill.backup_snapshot_at.astimezone(TOKYO) if drill.backup_snapshot_at else None
        self.stdout.write(
            f"復元しました / restored: {options['schema']} ({snapshot:%Y-%m-%d %H:%M:%S %Z}) → {drill.target}\n"
            f"  テーブル {drill.tables_checked} / 行 {drill.rows_checked} を照合 (tables / rows verified), "
            f"所要 {drill.restore_seconds:.1f} 秒 (seconds), 記録 RestoreDrill #{drill.pk}"
        )

"""manage.py seed_bcp_demo --root DIR [--backup]: demo backup sites for `./kyodo up` (bcp/demo.py), and
optionally today's backup of every town at once, so the BCP dashboard has something to show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bcp.demo import seed_demo_sites
from common.tenancy import use_public_schema


class Command(BaseCommand):
    help = "Create the demo inland and remote backup sites under --root (if the council has none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--root", required=True, help="Directory that holds the demo sites")
        parser.add_argument("--backup", action="store_true", help="Then back up every town to them now")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        created = seed_demo_sites(root=Path(options["root"]))
        for site in created:
            self.stdout.write(f"  バックアップサイト {site.name}: {site.location}")
        if not created:
            self.stdout.write("  バックアップサイトは登録済みです。")
        if options["backup"]:
            try:
                call_command("backup_municipality", "--all", stdout=self.stdout, stderr=self.stderr)
            except CommandError as exc:
                # The demo must start even when this machine cannot back up (e.g. no matching pg_dump): the
                # dashboard then shows the failure, which is what it is for.
                self.stderr.write(f"  デモのバックアップは完了しませんでした: {exc}")

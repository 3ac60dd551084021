from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bcp import standby as standby_service
from common.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Promote the standby: run with DATABASE_URL pointing at the STANDBY. Drops its subscription (without "
        "contacting the primary), sets every sequence past the largest value in use, records the promotion "
        "in the council audit trail and prints the next steps of deploy/FAILOVER.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Standby name, e.g. inland")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = standby_service.promote_standby(name=options["name"])
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}] {exc.details or ''}".strip()) from exc
        if report.dropped_subscription:
            self.stdout.write(self.style.SUCCESS(f"待機系 {options['name']} を昇格しました (購読を削除しました)。"))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"待機系 {options['name']} は昇格済みです (シーケンスを再確認しました)。")
            )
        self.stdout.write(f"  シーケンスを設定: {len(report.sequences_set)} 件")
        for name, value in report.sequences_set:
            self.stdout.write(f"    {name} = {value}")
        if report.sequences_unmapped:
            self.stdout.write(
                self.style.WARNING(
                    "  列との対応が不明なシーケンス (手作業で確認してください): " + ", ".join(report.sequences_unmapped)
                )
            )
        self.stdout.write("次の手順 (deploy/FAILOVER.md):")
        for number, step in enumerate(report.next_steps, start=1):
            self.stdout.write(f"  {number}. {step}")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bcp import standby as standby_service
from bcp.models import Standby
from common.errors import ApplicationError


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} 秒"


class Command(BaseCommand):
    help = (
        "Print the state and the replication lag of every standby (or --name): the lag is measured now by a "
        "heartbeat and stored as a LagSample, unless --no-measure is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=None, help="Only this standby")
        parser.add_argument("--no-measure", action="store_true", help="Show the last measurement only")
        parser.add_argument("--history", type=int, default=5, help="How many recent samples to list (default 5)")

    def handle(self, *args: Any, **options: Any) -> None:
        standbys = Standby.objects.order_by("name")
        if options["name"]:
            standbys = standbys.filter(name=options["name"])
            if not standbys.exists():
                raise CommandError(f"待機系 {options['name']} は登録されていません。")
        if not standbys.exists():
            self.stdout.write("待機系は登録されていません (manage.py setup_standby --name NAME で構成します)。")
            return
        target = standby_service.rpo_target_seconds()
        for standby in standbys:
            if not options["no_measure"] and not standby_service.is_promoted(standby):
                try:
                    standby_service.measure_lag(standby=standby)
                except ApplicationError as exc:
                    self.stdout.write(self.style.ERROR(f"{standby.name}: 計測できません: {exc.message}"))
                standby.refresh_from_db()
            self._show(standby, target, options["history"])

    def _show(self, standby: Standby, target: float, history: int) -> None:
        replication = (standby.details or {}).get("replication", {})
        lag = standby.last_lag_seconds
        if standby_service.is_promoted(standby):
            verdict = self.style.WARNING("昇格済み")
        elif lag is None:
            verdict = self.style.ERROR("計測不能")
        elif lag > target or replication.get("heartbeat_timed_out"):
            verdict = self.style.ERROR("目標超過")
        else:
            verdict = self.style.SUCCESS("正常")
        self.stdout.write(f"待機系 {standby.name}: {verdict}")
        self.stdout.write(f"  接続先の参照名: {standby.dsn_ref}  サイト: {standby.site or '-'}")
        self.stdout.write(f"  パブリケーション: {standby.publication}  サブスクリプション: {standby.subscription}")
        self.stdout.write(f"  構成日時: {timezone.localtime(standby.set_up_at) if standby.set_up_at else '-'}")
        self.stdout.write(f"  対象スキーマ: {', '.join(standby.schemas or []) or '-'}")
        missing = standby_service.unprotected_schemas(standby)
        if missing and not standby_service.is_promoted(standby):
            self.stdout.write(self.style.WARNING(f"  未複製のスキーマ: {', '.join(missing)} (setup_standby を再実行)"))
        timed_out = " 以上 (ハートビート未着)" if replication.get("heartbeat_timed_out") else ""
        self.stdout.write(f"  複製遅延: {_seconds(lag)}{timed_out}  目標 RPO: {target:g} 秒")
        self.stdout.write(
            f"  未確認の WAL: {standby.last_lag_bytes if standby.last_lag_bytes is not None else '-'} バイト"
        )
        self.stdout.write(
            f"  walsender: {replication.get('walsender') or '-'}  スロット稼働: {replication.get('slot_active')}"
            f"  replay_lag: {_seconds(replication.get('replay_lag'))}"
        )
        if replication.get("error"):
            self.stdout.write(self.style.ERROR(f"  エラー: {replication['error']}"))
        self.stdout.write(
            f"  最終確認: {timezone.localtime(standby.last_checked_at) if standby.last_checked_at else '-'}"
        )
        for sample in standby.lag_samples.order_by("-measured_at")[:history]:
            self.stdout.write(
                f"    {timezone.localtime(sample.measured_at):%Y-%m-%d %H:%M:%S}  {_seconds(sample.lag_seconds)}"
                f"  {sample.lag_bytes if sample.lag_bytes is not None else '-'} バイト"
            )

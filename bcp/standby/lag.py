"""The replication lag: heartbeat measurement, samples, and the lag and unprotected-schema alerts."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.utils import timezone

from bcp.models import AlertSeverity, BcpAlert, LagSample, Standby
from bcp.standby.connections import _db_rows, connect_standby, unprotected_schemas
from bcp.standby.errors import StandbyError, StandbyUnreachable

ALERT_LAG = "standby_lag"
ALERT_UNPROTECTED_SCHEMA = "standby_schema_missing"


# --- Lag -----------------------------------------------------------------------------------------------------


def _interval_seconds(value: Any) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else None


def _replication_state(standby: Standby) -> dict[str, Any]:
    """What the primary knows of the subscription's walsender and slot (diagnosis; not the RPO figure)."""
    state: dict[str, Any] = {"walsender": None, "slot_active": None, "slot_lag_bytes": None}
    rows = _db_rows(
        "SELECT state, write_lag, flush_lag, replay_lag, "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication "
        "WHERE application_name = %s",
        [standby.subscription],
    )
    if rows:
        walsender, write_lag, flush_lag, replay_lag, replay_bytes = rows[0]
        state.update(
            walsender=walsender,
            write_lag=_interval_seconds(write_lag),
            flush_lag=_interval_seconds(flush_lag),
            replay_lag=_interval_seconds(replay_lag),
            replay_lag_bytes=int(replay_bytes) if replay_bytes is not None else None,
        )
    slot = _db_rows(
        "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
        "FROM pg_replication_slots WHERE slot_name = %s",
        [standby.subscription],
    )
    if slot:
        state["slot_active"] = bool(slot[0][0])
        state["slot_lag_bytes"] = int(slot[0][1]) if slot[0][1] is not None else None
    return state


def _wait_for_heartbeat(standby: Standby, sample_id: int, *, committed_at: float, timeout: float) -> float | None:
    """Seconds from the heartbeat's commit on the primary until it is visible on the standby (None: timeout)."""
    try:
        with connect_standby(standby) as conn, conn.cursor() as cursor:
            interval = 0.02
            while True:
                cursor.execute("SELECT 1 FROM public.bcp_lagsample WHERE id = %s", [sample_id])
                if cursor.fetchone() is not None:
                    return time.monotonic() - committed_at
                if time.monotonic() - committed_at >= timeout:
                    return None
                time.sleep(interval)
                interval = min(interval * 1.5, 0.25)
    except psycopg.Error as exc:  # the standby went away during the measurement
        raise StandbyUnreachable(details={"standby": standby.name, "error": str(exc)[:300]}) from exc


def measure_lag(*, standby: Standby, timeout: float | None = None) -> LagSample:
    """Measure the standby's lag now; stored as a LagSample and on the Standby (last_lag_*, details).

    ``lag_seconds``: heartbeat arrival (see the module docstring); when the heartbeat has not arrived within
    ``timeout`` (KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS) it is that timeout, a lower bound, flagged in
    ``details["heartbeat_timed_out"]``; None when the standby cannot be reached. ``lag_bytes``: WAL the slot
    has not confirmed (``pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)``).

    Call it in autocommit (Celery task, command), never inside ``transaction.atomic()``: the heartbeat row has
    to be committed on the primary to travel.
    """
    # Waiting at least the RPO target makes a missing heartbeat mean "beyond the target", never "unknown".
    configured = timeout if timeout is not None else float(settings.KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS)
    wait = max(configured, rpo_target_seconds() + 0.5)
    state = _replication_state(standby)
    # The heartbeat must be committed (autocommit, outside any transaction) before its arrival is awaited.
    sample = LagSample.objects.create(standby=standby, measured_at=timezone.now())
    committed_at = time.monotonic()
    error = ""
    timed_out = False
    try:
        seconds = _wait_for_heartbeat(standby, sample.pk, committed_at=committed_at, timeout=wait)
        if seconds is None:
            seconds, timed_out = wait, True
    except StandbyError as exc:
        seconds = None
        error = str(exc.details.get("error") or exc.message) if isinstance(exc.details, dict) else exc.message
    sample.lag_seconds = round(seconds, 3) if seconds is not None else None
    sample.lag_bytes = state.get("slot_lag_bytes")
    sample.save(update_fields=["lag_seconds", "lag_bytes"])
    now = timezone.now()
    standby.refresh_from_db()
    standby.last_checked_at = now
    standby.last_lag_seconds, standby.last_lag_bytes = sample.lag_seconds, sample.lag_bytes
    standby.details = {
        **(standby.details or {}),
        "replication": {**state, "heartbeat_timed_out": timed_out, "error": error, "measured_at": now.isoformat()},
    }
    standby.save(update_fields=["last_checked_at", "last_lag_seconds", "last_lag_bytes", "details"])
    return sample


def _open_alert(kind: str, standby: Standby) -> BcpAlert | None:
    return BcpAlert.objects.filter(kind=kind, resolved_at=None, details__standby=standby.name).first()


def check_lag(*, standby: Standby, sample: LagSample) -> BcpAlert | None:
    """Raise a BcpAlert when the lag exceeds the RPO target (one open alert per standby, resolved once
    the lag is back under the target); returns the open alert, if any."""
    target = rpo_target_seconds()
    alert = _open_alert(ALERT_LAG, standby)
    lag = sample.lag_seconds
    if lag is not None and lag <= target:
        if alert is not None:
            BcpAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())
        return None
    if lag is None:
        message = f"待機系 {standby.name} の複製遅延を計測できません (待機系に接続できません)。"
        severity = AlertSeverity.CRITICAL
    else:
        timed_out = bool((standby.details or {}).get("replication", {}).get("heartbeat_timed_out"))
        shown = f"{lag:.1f} 秒以上" if timed_out else f"{lag:.1f} 秒"
        message = f"待機系 {standby.name} の複製遅延が {shown} で、目標 RPO {target:g} 秒を超えています。"
        severity = AlertSeverity.CRITICAL if timed_out else AlertSeverity.WARNING
    details = {"standby": standby.name, "lag_seconds": lag, "lag_bytes": sample.lag_bytes, "rpo_seconds": target}
    if alert is None:
        return BcpAlert.objects.create(
            kind=ALERT_LAG, severity=severity, site=standby.site, message=message, details=details
        )
    alert.message, alert.severity, alert.details = message, severity, details
    alert.save(update_fields=["message", "severity", "details"])
    return alert


def check_unprotected_schemas(*, standby: Standby) -> BcpAlert | None:
    """A town provisioned after the last setup_standby is not replicated until it is re-run: say so."""
    missing = unprotected_schemas(standby)
    alert = _open_alert(ALERT_UNPROTECTED_SCHEMA, standby)
    if not missing:
        if alert is not None:
            BcpAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())
        return None
    message = (
        f"待機系 {standby.name} に複製されていないスキーマがあります: {', '.join(missing)}。"
        f"manage.py setup_standby --name {standby.name} を再実行してください。"
    )
    details = {"standby": standby.name, "schemas": missing}
    if alert is None:
        return BcpAlert.objects.create(
            kind=ALERT_UNPROTECTED_SCHEMA, severity=AlertSeverity.WARNING, site=standby.site, message=message,
            details=details,
        )  # fmt: skip
    alert.message, alert.details = message, details
    alert.save(update_fields=["message", "details"])
    return alert


def rpo_target_seconds() -> float:
    return float(settings.KYODO_STANDBY_RPO_SECONDS)


def is_promoted(standby: Standby) -> bool:
    return bool((standby.details or {}).get("promoted_at"))


def prune_lag_samples(*, older_than_days: int | None = None) -> int:
    days = older_than_days if older_than_days is not None else int(settings.KYODO_STANDBY_LAG_RETENTION_DAYS)
    deleted, _ = LagSample.objects.filter(measured_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted

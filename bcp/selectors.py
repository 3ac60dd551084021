"""Reads of the BCP dashboard (docs/bcp.md §7): the town × site grid, charts over time, running jobs.

Scope is the tenant-isolation rule applied to public-schema data: on the council host every schema (each
town, the council's own schema and ``public``); on a town host only that town's schema — its backups, drills,
alerts and the standbys that carry it. The number of queries is fixed, whatever the number of towns, sites
and rows (one DISTINCT ON query per kind of "latest" row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from bcp.models import (
    Backup,
    BackupCopy,
    BackupSite,
    BackupStatus,
    BcpAlert,
    CopyStatus,
    DrillStatus,
    LagSample,
    RestoreDrill,
    Standby,
)
from common import audit
from common.wareki import to_wareki
from tenants.models import Municipality, Person

PUBLIC_SCHEMA = "public"
PUBLIC_LABEL = "共通基盤(public)"
# Issue 5 §5: the near-real-time standby targets an RPO of at most 5 seconds.
STANDBY_LAG_TARGET_SECONDS = 5.0
CHART_NIGHTS = 30
CHART_DRILL_DAYS = 180
CHART_LAG_HOURS = 24
MAX_LAG_POINTS = 1440
FAILURE_DAYS = 7
RUNNING_BACKUP = (BackupStatus.PENDING, BackupStatus.DUMPING, BackupStatus.UPLOADING)


@dataclass(frozen=True)
class Scope:
    """Which schemas a request may see: all (council host) or exactly one town."""

    schemas: tuple[tuple[str, str], ...]  # (schema_name, label)
    council: bool

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.schemas]


def scope_for(tenant: Municipality) -> Scope:
    if tenant.kind == Municipality.Kind.COUNCIL:
        towns = Municipality.objects.exclude(status=Municipality.Status.WITHDRAWN).order_by("kind", "code", "pk")
        entries = [(m.schema_name, m.name) for m in towns if m.schema_name != PUBLIC_SCHEMA]
        return Scope(schemas=(*entries, (PUBLIC_SCHEMA, PUBLIC_LABEL)), council=True)
    return Scope(schemas=((tenant.schema_name, tenant.name),), council=False)


@dataclass(frozen=True)
class Verdict:
    """An achieved value against its target, told in words and a symbol as well as colour."""

    state: str  # "ok", "ng", "unknown"
    text: str
    value: str = ""

    @property
    def symbol(self) -> str:
        return {"ok": "✓", "ng": "✗"}.get(self.state, "?")


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}秒"
    if seconds < 3600:
        return f"{seconds / 60:.1f}分"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f}時間"
    return f"{seconds / 86400:.1f}日"


def judge(value_seconds: float | None, target_seconds: float) -> Verdict:
    if value_seconds is None:
        return Verdict("unknown", "記録なし")
    target = _duration(target_seconds)
    if value_seconds <= target_seconds:
        return Verdict("ok", f"達成(目標 {target} 以内)", _duration(value_seconds))
    return Verdict("ng", f"未達(目標 {target})", _duration(value_seconds))


@dataclass
class Cell:
    site: BackupSite
    last_copy: BackupCopy | None = None  # the newest attempt at this site, whatever its outcome
    last_complete: BackupCopy | None = None  # the newest copy usable for a restore
    last_drill: RestoreDrill | None = None  # the newest drill that passed
    standbys: list[Standby] = field(default_factory=list)
    rpo: Verdict = Verdict("unknown", "記録なし")
    rto: Verdict = Verdict("unknown", "記録なし")


@dataclass
class Row:
    schema: str
    label: str
    cells: list[Cell]
    alerts: int = 0
    failures: int = 0  # failed backups, copies and drills of the last FAILURE_DAYS days


@dataclass
class Dashboard:
    scope: Scope
    sites: list[BackupSite]
    rows: list[Row]
    alerts: list[BcpAlert]
    standbys: list[Standby]
    running: list[dict[str, Any]]
    charts: list[Chart]
    generated_at: datetime


def _latest_copies(schemas: Sequence[str], *, complete: bool) -> dict[tuple[str, int], BackupCopy]:
    copies = BackupCopy.objects.filter(backup__schema_name__in=schemas).select_related("backup")
    order: list[Any] = ["backup__schema_name", "site_id"]
    if complete:
        copies = copies.filter(status=CopyStatus.COMPLETE, backup__status=BackupStatus.COMPLETE)
        order.append(F("backup__snapshot_at").desc(nulls_last=True))
    order += ["-backup__scheduled_for", "-pk"]
    # DISTINCT ON (schema, site): one row per cell in a single query.
    latest = copies.order_by(*order).distinct("backup__schema_name", "site_id")
    return {(copy.backup.schema_name, copy.site_id): copy for copy in latest}


def _latest_passing_drills(schemas: Sequence[str]) -> dict[tuple[str, int], RestoreDrill]:
    drills = (
        RestoreDrill.objects.filter(schema_name__in=schemas, status=DrillStatus.PASSED)
        .order_by("schema_name", "site_id", "-finished_at", "-pk")
        .distinct("schema_name", "site_id")
    )
    return {(drill.schema_name, drill.site_id): drill for drill in drills}


def standbys_for(scope: Scope) -> list[Standby]:
    standbys = Standby.objects.select_related("site").order_by("name")
    if not scope.council:
        # An empty list means "every schema" (the whole database is replicated).
        standbys = standbys.filter(Q(schemas__contains=scope.names) | Q(schemas=[]))
    return list(standbys)


def open_alerts(scope: Scope) -> list[BcpAlert]:
    alerts = BcpAlert.objects.filter(resolved_at__isnull=True).select_related("site")
    if not scope.council:
        # Site-wide alerts (no schema) are council matters; a town sees the alerts about its own data.
        alerts = alerts.filter(schema_name__in=scope.names)
    return list(alerts.order_by("-raised_at")[:200])


def running_jobs(scope: Scope) -> list[dict[str, Any]]:
    """Backups and restores in progress, for the progress bars (polled every 2 s by bcp/static/bcp/progress.js)."""
    labels = dict(scope.schemas)
    jobs: list[dict[str, Any]] = []
    backups = Backup.objects.filter(schema_name__in=scope.names, status__in=RUNNING_BACKUP).order_by("pk")
    for backup in backups:
        town = labels.get(backup.schema_name, backup.schema_name)
        jobs.append(
            {
                "id": f"backup-{backup.pk}",
                "kind": "backup",
                "label": f"{town} バックアップ({to_wareki(backup.scheduled_for)}分)",
                "status": backup.status,
                "status_label": backup.get_status_display(),
                "progress": int(backup.progress),
                "started_at": backup.started_at.isoformat() if backup.started_at else None,
            }
        )
    drills = RestoreDrill.objects.filter(schema_name__in=scope.names, status=DrillStatus.RUNNING)
    for drill in drills.select_related("site").order_by("pk"):
        kind = "復元訓練" if drill.kind == "drill" else "復元"
        jobs.append(
            {
                "id": f"restore-{drill.pk}",
                "kind": "restore",
                "label": f"{labels.get(drill.schema_name, drill.schema_name)} {kind}({drill.site})",
                "status": drill.status,
                "status_label": drill.get_status_display(),
                "progress": int(drill.progress),
                "started_at": drill.started_at.isoformat(),
            }
        )
    return jobs


def recent_failures(schemas: Sequence[str]) -> dict[str, int]:
    """Failed backups, copies and drills per schema in the last FAILURE_DAYS days (three aggregate queries)."""
    since = timezone.now() - timedelta(days=FAILURE_DAYS)
    counts: dict[str, int] = defaultdict(int)
    backups = (
        Backup.objects.filter(schema_name__in=schemas, status=BackupStatus.FAILED, scheduled_for__gte=since.date())
        .values("schema_name")
        .annotate(n=Count("pk"))
    )
    copies = (
        BackupCopy.objects.filter(
            backup__schema_name__in=schemas, status=CopyStatus.FAILED, backup__scheduled_for__gte=since.date()
        )
        .values("backup__schema_name")
        .annotate(n=Count("pk"))
    )
    drills = (
        RestoreDrill.objects.filter(schema_name__in=schemas, status=DrillStatus.FAILED, started_at__gte=since)
        .values("schema_name")
        .annotate(n=Count("pk"))
    )
    for row in backups:
        counts[row["schema_name"]] += row["n"]
    for row in copies:
        counts[row["backup__schema_name"]] += row["n"]
    for row in drills:
        counts[row["schema_name"]] += row["n"]
    return counts


def _grid(scope: Scope, sites: list[BackupSite], standbys: list[Standby], alerts: list[BcpAlert]) -> list[Row]:
    now = timezone.now()
    latest = _latest_copies(scope.names, complete=False)
    complete = _latest_copies(scope.names, complete=True)
    drills = _latest_passing_drills(scope.names)
    failures = recent_failures(scope.names)
    alert_counts: dict[str, int] = defaultdict(int)
    for alert in alerts:
        alert_counts[alert.schema_name] += 1
    rows = []
    for schema, label in scope.schemas:
        cells = []
        for site in sites:
            cell = Cell(site=site)
            cell.last_copy = latest.get((schema, site.pk))
            cell.last_complete = complete.get((schema, site.pk))
            cell.last_drill = drills.get((schema, site.pk))
            cell.standbys = [s for s in standbys if s.site_id == site.pk and (not s.schemas or schema in s.schemas)]
            # RPO now: the data that would be lost if the primary died at this moment and this site's newest
            # usable copy were restored. RTO: how long the last passing drill took to restore and verify.
            snapshot = cell.last_complete.backup.snapshot_at if cell.last_complete else None
            rpo = (now - snapshot).total_seconds() if snapshot else None
            cell.rpo = judge(rpo, site.rpo_target_minutes * 60)
            rto = cell.last_drill.restore_seconds if cell.last_drill else None
            cell.rto = judge(rto, site.rto_target_minutes * 60)
            cells.append(cell)
        rows.append(
            Row(
                schema=schema,
                label=label,
                cells=cells,
                alerts=alert_counts.get(schema, 0),
                failures=failures.get(schema, 0),
            )
        )
    return rows


# --- Charts (server-rendered inline SVG: no external JavaScript, nothing inline that CSP would refuse) --------

CHART_WIDTH = 640
CHART_HEIGHT = 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the value and its time, for the tooltip and the data table


@dataclass(frozen=True)
class Series:
    name: str
    index: int  # picks the line style (colour and dash pattern): never colour alone
    points: tuple[Point, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    target_y: float | None = None
    target_label: str = ""
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)

    @property
    def plot_left(self) -> int:
        return PAD_LEFT

    @property
    def plot_right(self) -> int:
        return self.width - PAD_RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - PAD_BOTTOM


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value)))
    for step in (0.1, 0.2, 0.25, 0.5, 1.0):
        if value <= magnitude * step:
            return magnitude * step
    return float(magnitude)


def build_chart(
    *,
    key: str,
    title: str,
    unit: str,
    data: dict[str, list[tuple[datetime, float]]],
    target: float | None = None,
    target_label: str = "",
    time_format: str = "%m/%d",
) -> Chart:
    """Scale each series into the plot area (time on x, value on y from zero)."""
    values = [v for points in data.values() for _, v in points]
    times = [t for points in data.values() for t, _ in points]
    y_max = _nice_max(max([*values, target or 0.0], default=0.0))
    left, right = PAD_LEFT, CHART_WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, CHART_HEIGHT - PAD_BOTTOM
    start, end = (min(times), max(times)) if times else (timezone.now(), timezone.now())
    span = max((end - start).total_seconds(), 1.0)

    def x_of(moment: datetime) -> float:
        return left + (right - left) * ((moment - start).total_seconds() / span if times and end > start else 0.5)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * (value / y_max)

    series = []
    for index, (name, points) in enumerate(data.items()):
        local = [(timezone.localtime(t) if timezone.is_aware(t) else t, v) for t, v in sorted(points)]
        series.append(
            Series(
                name=name,
                index=index % 6,
                points=tuple(
                    Point(x_of(t), y_of(v), f"{name} {to_wareki(t.date())} {t:%H:%M} {v:,.2f}{unit}") for t, v in local
                ),
            )
        )
    y_ticks = tuple(Tick(y_of(y_max * i / 4), f"{y_max * i / 4:,.4g}") for i in range(5))
    x_ticks: tuple[Tick, ...] = ()
    if times:
        ticks = [start + (end - start) * i / 4 for i in range(5)] if end > start else [start]
        x_ticks = tuple(Tick(x_of(t), f"{timezone.localtime(t):{time_format}}") for t in ticks)
    return Chart(
        key=key,
        title=title,
        unit=unit,
        series=tuple(series),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        target_y=y_of(target) if target is not None else None,
        target_label=target_label,
    )


def _as_moment(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def charts_for(scope: Scope, standbys: Iterable[Standby]) -> list[Chart]:
    labels = dict(scope.schemas)
    now = timezone.now()
    since = timezone.localdate() - timedelta(days=CHART_NIGHTS)
    sizes: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    durations: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    backups = Backup.objects.filter(
        schema_name__in=scope.names, scheduled_for__gte=since, status=BackupStatus.COMPLETE
    ).only("schema_name", "scheduled_for", "size_bytes", "started_at", "finished_at")
    for backup in backups.order_by("scheduled_for"):
        name = labels.get(backup.schema_name, backup.schema_name)
        moment = _as_moment(backup.scheduled_for)
        if backup.size_bytes is not None:
            sizes[name].append((moment, backup.size_bytes / 1_000_000))
        if backup.started_at and backup.finished_at:
            durations[name].append((moment, (backup.finished_at - backup.started_at).total_seconds()))

    rto: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    # Passing drills only: a failed drill's duration is not a time in which the town could have been restored.
    drills = RestoreDrill.objects.filter(
        schema_name__in=scope.names,
        started_at__gte=now - timedelta(days=CHART_DRILL_DAYS),
        status=DrillStatus.PASSED,
    ).filter(~Q(restore_seconds=None))
    for drill in drills.select_related("site").order_by("started_at"):
        rto[f"{labels.get(drill.schema_name, drill.schema_name)}@{drill.site.name}"].append(
            (drill.started_at, float(drill.restore_seconds or 0.0))
        )

    lag: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    standby_ids = [s.pk for s in standbys]
    names = {s.pk: s.name for s in standbys}
    samples = (
        LagSample.objects.filter(standby_id__in=standby_ids, measured_at__gte=now - timedelta(hours=CHART_LAG_HOURS))
        .exclude(lag_seconds=None)
        .order_by("-measured_at")
        .values_list("standby_id", "measured_at", "lag_seconds")[: MAX_LAG_POINTS * max(1, len(standby_ids))]
    )
    for standby_id, measured_at, seconds in samples:
        lag[names[standby_id]].append((measured_at, float(seconds or 0.0)))

    return [
        build_chart(key="size", title="バックアップのサイズ(夜間ごと)", unit="MB", data=dict(sizes)),
        build_chart(key="duration", title="バックアップの所要時間(夜間ごと)", unit="秒", data=dict(durations)),
        build_chart(key="rto", title="復元訓練の復元時間(RTO)", unit="秒", data=dict(rto)),
        build_chart(
            key="lag",
            title="待機系の複製遅延(直近24時間)",
            unit="秒",
            data=dict(lag),
            target=STANDBY_LAG_TARGET_SECONDS,
            target_label=f"目標 {STANDBY_LAG_TARGET_SECONDS:g}秒",
            time_format="%H:%M",
        ),
    ]


def view_dashboard(*, actor: Person | None, tenant: Municipality) -> Dashboard:
    """The BCP dashboard as a person opens it: the opening is audited (the progress polls are not)."""
    data = dashboard(tenant=tenant)
    audit.record(
        actor=actor,
        action="bcp.view_dashboard",
        obj=("bcp.Dashboard", tenant.schema_name, "BCPダッシュボード"),
        details={"schemas": data.scope.names},
    )
    return data


def dashboard(*, tenant: Municipality) -> Dashboard:
    scope = scope_for(tenant)
    sites = list(BackupSite.objects.filter(is_active=True).order_by("role", "name"))
    standbys = standbys_for(scope)
    alerts = open_alerts(scope)
    return Dashboard(
        scope=scope,
        sites=sites,
        rows=_grid(scope, sites, standbys, alerts),
        alerts=alerts,
        standbys=standbys,
        running=running_jobs(scope),
        charts=charts_for(scope, standbys),
        generated_at=timezone.now(),
    )

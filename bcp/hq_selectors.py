"""Reads of the disaster HQ and the river cameras (docs/domain/disaster-hq.md). No personal data is shown: staff
names as they signed entries, shelters' counts, places of damage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from bcp.hq_links import HqLink, links_for
from bcp.hq_models import CameraAlert, CameraReading, DamageReport, HqEntry, HqTask, RiverCamera, Shelter
from bcp.models import Disaster
from tenants.models import Municipality


def disasters() -> QuerySet[Disaster]:
    """Every HQ is shared by both towns and the council (§2): the open ones first."""
    return Disaster.objects.select_related("municipality").order_by("ended_at", "-declared_at")


def open_disasters() -> QuerySet[Disaster]:
    return disasters().filter(ended_at__isnull=True)


@dataclass
class Board:
    disaster: Disaster
    tasks: list[HqTask]
    entries: list[HqEntry]
    shelters: list[Shelter]
    damage: list[DamageReport]
    alerts: list[CameraAlert]
    links: list[HqLink] = field(default_factory=list)

    @property
    def open_shelters(self) -> int:
        return sum(1 for s in self.shelters if s.is_open)

    @property
    def evacuees(self) -> int:
        return sum(s.occupancy for s in self.shelters if s.is_open)

    @property
    def tasks_done(self) -> int:
        return sum(1 for t in self.tasks if t.done_at)


def board(disaster: Disaster) -> Board:
    town = disaster.municipality
    return Board(
        disaster=disaster,
        tasks=list(disaster.hq_tasks.order_by("kind", "position", "pk")),
        entries=list(disaster.hq_entries.order_by("-occurred_at", "-pk")[:200]),
        shelters=list(Shelter.objects.filter(municipality=town).order_by("name")),
        damage=list(disaster.damage_reports.order_by("-reported_at", "-pk")),
        alerts=list(
            CameraAlert.objects.filter(
                camera__municipality=town, raised_at__gte=disaster.declared_at - timedelta(days=1)
            )
            .select_related("camera")
            .order_by("-raised_at")[:50]
        ),
        links=links_for(disaster),
    )


def shelters_for(host: Municipality) -> QuerySet[Shelter]:
    shelters = Shelter.objects.select_related("municipality").order_by("municipality__name", "name")
    return shelters if host.kind == Municipality.Kind.COUNCIL else shelters.filter(municipality=host)


def cameras_for(host: Municipality) -> QuerySet[RiverCamera]:
    cameras = RiverCamera.objects.select_related("municipality").order_by("municipality__name", "river", "name")
    return cameras if host.kind == Municipality.Kind.COUNCIL else cameras.filter(municipality=host)


def open_alerts(host: Municipality) -> QuerySet[CameraAlert]:
    alerts = CameraAlert.objects.filter(acknowledged_at__isnull=True).select_related("camera", "camera__municipality")
    if host.kind != Municipality.Kind.COUNCIL:
        alerts = alerts.filter(camera__municipality=host)
    return alerts.order_by("-raised_at")


def latest_image(camera: RiverCamera) -> CameraReading | None:
    return camera.readings.exclude(image="").order_by("-observed_at", "-pk").first()


def published_image(camera: RiverCamera) -> CameraReading | None:
    """The image a town's public site may show: only of a camera marked for publication."""
    return latest_image(camera) if camera.publish_latest and camera.is_active else None


def levels(camera: RiverCamera, *, hours: int = 24) -> list[tuple[datetime, int]]:
    since = timezone.now() - timedelta(hours=hours)
    rows = camera.readings.filter(observed_at__gte=since, level_cm__isnull=False).order_by("observed_at")
    return [(at, level) for at, level in rows.values_list("observed_at", "level_cm") if level is not None]

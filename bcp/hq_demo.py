"""Demo data of the disaster HQ and river cameras (`manage.py seed_demo`): the council's HQ template set, each
town's shelters, two cameras per town with a day of readings (one every 10 minutes) and today's duty roster.

No disaster is declared: declaring one (on the council host, BCP → 災害モード) opens the HQ with these templates
and pins the notice on both the town's pages and its public website."""

from __future__ import annotations

import io
import math
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from bcp import cameras
from bcp.hq_models import (
    CameraReading,
    ChecklistKind,
    DutyAssignment,
    HqChecklistTemplate,
    RiverCamera,
    Shelter,
)
from tenants.demo import Write
from tenants.models import Municipality, Person

TEMPLATES = [
    (ChecklistKind.INITIAL, "災害対策本部員の参集・本部設置", "総務課", 30),
    (ChecklistKind.INITIAL, "庁舎・システムの被害確認(BCP)", "総務課 情報係", 60),
    (ChecklistKind.INITIAL, "県への第1報", "総務課", 60),
    (ChecklistKind.SHELTER, "避難所の開錠と安全確認", "教育委員会", 60),
    (ChecklistKind.SHELTER, "避難所運営職員の配置", "町民課", 90),
    (ChecklistKind.SHELTER, "備蓄品(水・食料・毛布)の搬入", "産業振興課", 180),
    (ChecklistKind.SAFETY, "職員の安否確認", "総務課", 120),
    (ChecklistKind.SAFETY, "避難行動要支援者の安否確認", "健康福祉課", 240),
]

SHELTERS = {
    "nakatosa": [("久礼小学校体育館", "中土佐町久礼", 300), ("上ノ加江地区集会所", "中土佐町上ノ加江", 80)],
    "shimanto": [("窪川中学校体育館", "四万十町琴平町", 400), ("十和地域振興局", "四万十町十川", 120)],
}

CAMERAS = {
    "nakatosa": [("demo-kure-1", "久礼川", "久礼橋", "久礼橋上流50m", (150, 250, 350), True)],
    "shimanto": [("demo-shimanto-1", "四万十川", "琴平橋", "琴平橋右岸", (300, 450, 600), True)],
}


def _image(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile("frame.jpg", buffer.getvalue(), content_type="image/jpeg")


def _readings(camera: RiverCamera) -> None:
    """A day of history as a camera's own log would hold it (one reading every 10 minutes): a gentle rise and fall
    below 注意水位, written in one statement rather than replayed through the endpoint's rate limit."""
    now = timezone.now()
    base = camera.caution_cm * 0.6
    CameraReading.objects.bulk_create(
        CameraReading(
            camera=camera,
            observed_at=now - timedelta(minutes=10 * step),
            received_at=now - timedelta(minutes=10 * step),
            level_cm=round(base + camera.caution_cm * 0.25 * math.sin(step / 24)),
        )
        for step in range(144, 0, -1)
    )


def seed_demo(write: Write) -> None:
    with transaction.atomic():
        if not HqChecklistTemplate.objects.exists():
            HqChecklistTemplate.objects.bulk_create(
                HqChecklistTemplate(kind=kind, position=i, title=title, owner=owner, due_minutes=due)
                for i, (kind, title, owner, due) in enumerate(TEMPLATES)
            )
    admin = Person.objects.filter(username="it_admin").first()
    for schema, shelters in SHELTERS.items():
        town = Municipality.objects.filter(schema_name=schema).first()
        if town is None or admin is None:
            continue
        for name, address, capacity in shelters:
            Shelter.objects.get_or_create(
                municipality=town, name=name, defaults={"address": address, "capacity": capacity}
            )
        for code, river, name, location, (caution, warning, danger), publish in CAMERAS[schema]:
            camera, created = RiverCamera.objects.get_or_create(
                code=code,
                defaults={
                    "municipality": town, "river": river, "name": name, "location": location, "caution_cm": caution,
                    "warning_cm": warning, "danger_cm": danger, "publish_latest": publish,
                },
            )  # fmt: skip
            if created:
                token = cameras.rotate_token(actor=admin, host=town, camera=camera)
                _readings(camera)
                cameras.ingest_reading(
                    token=token, host=town, level_cm=round(caution * 0.6), image=_image((90, 120, 150))
                )
        clerk = Person.objects.filter(username="tanaka" if schema == "nakatosa" else "yamamoto").first()
        if clerk is not None and not DutyAssignment.objects.filter(municipality=town).exists():
            start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
            DutyAssignment.objects.create(
                municipality=town, person=clerk, starts_at=start, ends_at=start + timedelta(days=365)
            )
        write(f"  {town.name}: 避難所 {len(shelters)}か所、河川カメラ {len(CAMERAS[schema])}台(24時間分の水位)")

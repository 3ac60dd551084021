"""The demo data of the HQ, the cameras and the public websites (`manage.py seed_demo`), seeded twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from bcp.hq_demo import seed_demo as seed_hq
from bcp.hq_models import CameraReading, HqChecklistTemplate, RiverCamera, Shelter
from tenants.models import Domain
from website.demo import seed_demo as seed_website
from website.models import Article, ArticleStatus

pytestmark = pytest.mark.django_db


def test_demo_seeders_fill_hq_cameras_and_both_public_sites(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    lines: list[str] = []
    for _ in range(2):  # idempotent
        seed_hq(lines.append)
        seed_website(lines.append)
    assert {t.get_kind_display() for t in HqChecklistTemplate.objects.all()} >= {"初動", "避難所開設", "安否確認"}
    assert Shelter.objects.filter(municipality__schema_name="shimanto").count() == 2
    camera = RiverCamera.objects.get(code="demo-kure-1")
    assert CameraReading.objects.filter(camera=camera).count() == 145
    assert CameraReading.objects.filter(camera=camera).exclude(image="").count() == 1
    for schema in ("nakatosa", "shimanto"):
        assert Domain.objects.get(domain=f"www.{schema}.localhost").is_public_site
        with schema_context(schema):
            assert Article.objects.filter(status=ArticleStatus.PUBLISHED).count() == 3
    home = Client(HTTP_HOST="www.shimanto.localhost").get("/").content.decode()
    assert "総合防災訓練を実施します" in home
    assert 'src="/cameras/demo-shimanto-1/latest"' in home

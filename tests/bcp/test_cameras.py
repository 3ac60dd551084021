"""River cameras (docs/domain/disaster-hq.md §5): a device posts images and levels as it would in the field;
threshold crossings raise an alert on the HQ board and notify the staff on duty; refusals write nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from bcp import cameras
from bcp import disaster as disaster_service
from bcp.hq_models import CameraAlert, CameraReading, DutyAssignment, HqEntry, RiverCamera, StaffNotification
from bcp.uploads import MAX_IMAGE_BYTES
from tenants.models import Municipality, Person
from tests.bcp.hq_support import jpeg_bytes, png_bytes, upload
from tests.conftest import HOSTS
from tests.support.access import audit_position, audit_since

pytestmark = pytest.mark.django_db

URL = "/devices/cameras/readings"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def make_camera(town: Municipality, code: str) -> tuple[RiverCamera, str]:
    camera = RiverCamera.objects.create(
        municipality=town, code=code, name="久礼橋", river="久礼川", location="久礼橋上流", caution_cm=150,
        warning_cm=250, danger_cm=350,
    )  # fmt: skip
    token = cameras.rotate_token(actor=Person.objects.get(username="it_admin"), host=town, camera=camera)
    return camera, token


@pytest.fixture
def camera(towns: dict[str, Municipality]) -> tuple[RiverCamera, str]:
    return make_camera(towns["nakatosa"], "t-kure")


def device(schema: str = "nakatosa") -> Client:
    return Client(HTTP_HOST=HOSTS[schema])


def post(client: Client, token: str, **data: Any) -> Any:
    return client.post(URL, data, HTTP_AUTHORIZATION=f"Device {token}")


def test_the_token_is_kept_only_as_its_digest(camera: tuple[RiverCamera, str]) -> None:
    cam, token = camera
    cam.refresh_from_db()
    assert cam.token_digest == cameras.digest(token)
    assert token not in str(RiverCamera.objects.filter(pk=cam.pk).values().get())


def test_a_device_posts_an_image_and_a_level(camera: tuple[RiverCamera, str], media: Path) -> None:
    cam, token = camera
    response = post(device(), token, level_cm="120", image=upload("x.jpg", jpeg_bytes(), "image/jpeg"))
    assert response.status_code == 201
    reading = CameraReading.objects.get(camera=cam)
    assert reading.level_cm == 120
    assert reading.image_type == "jpeg"
    assert (media / reading.image.name).exists()
    assert response.json()["alert"] is None


def test_crossing_a_threshold_raises_an_alert_on_the_hq_board_and_notifies_the_staff_on_duty(
    camera: tuple[RiverCamera, str], towns: dict[str, Municipality], client_for: Any
) -> None:
    cam, token = camera
    tanaka = Person.objects.get(username="tanaka")
    tanaka.email = "tanaka@example.jp"
    tanaka.save(update_fields=["email"])
    now = timezone.now()
    DutyAssignment.objects.create(
        municipality=towns["nakatosa"],
        person=tanaka,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
    )
    disaster = disaster_service.declare_disaster(
        actor=Person.objects.get(username="it_admin"), municipality=towns["nakatosa"], title="大雨"
    )
    position = audit_position("nakatosa")
    with_commit = post(device(), token, level_cm="260")
    assert with_commit.json()["alert"] == "warning"
    alert = CameraAlert.objects.get(camera=cam)
    assert alert.state == "warning"
    assert HqEntry.objects.filter(disaster=disaster, kind="camera", text__contains="260cm").exists()
    assert StaffNotification.objects.filter(person=tanaka, kind="camera_alert").count() == 1
    assert [a.action for a in audit_since("nakatosa", position)] == ["bcp.camera_alert", "bcp.camera_reading"]
    board = client_for("tanaka", "nakatosa").get(f"/hq/{disaster.pk}/").content.decode()
    assert 'data-hq-alert="warning"' in board


def test_the_mail_to_the_staff_on_duty_goes_after_commit(
    camera: tuple[RiverCamera, str], towns: dict[str, Municipality], django_capture_on_commit_callbacks: Any
) -> None:
    _cam, token = camera
    tanaka = Person.objects.get(username="tanaka")
    tanaka.email = "tanaka@example.jp"
    tanaka.save(update_fields=["email"])
    now = timezone.now()
    DutyAssignment.objects.create(
        municipality=towns["nakatosa"],
        person=tanaka,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        cameras.ingest_reading(token=token, host=towns["nakatosa"], level_cm=400, image=None)
    assert [m.to for m in mail.outbox] == [["tanaka@example.jp"]]
    assert "危険" in mail.outbox[0].body


def test_staying_above_or_falling_raises_no_new_alert(
    camera: tuple[RiverCamera, str], towns: dict[str, Municipality]
) -> None:
    cam, token = camera
    for level in (160, 170, 100, 160):
        cameras.ingest_reading(token=token, host=towns["nakatosa"], level_cm=level, image=None)
    assert list(CameraAlert.objects.filter(camera=cam).values_list("level_cm", flat=True)) == [160, 160]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"image": ("big.jpg", b"\xff\xd8\xff" + b"\0" * MAX_IMAGE_BYTES)}, "image_too_large"),
        ({"image": ("x.jpg", b"GIF89a" + b"\0" * 50)}, "image_type_refused"),
        ({"level_cm": "abc"}, "reading_invalid"),
        ({}, "reading_invalid"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_nothing_written(
    camera: tuple[RiverCamera, str], media: Path, data: dict[str, Any], code: str
) -> None:
    cam, token = camera
    position = audit_position("nakatosa")
    payload = {k: upload(*v, "image/jpeg") if k == "image" else v for k, v in data.items()}
    response = post(device(), token, **payload)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not CameraReading.objects.filter(camera=cam).exists()
    assert audit_since("nakatosa", position) == []
    assert not any(media.rglob("*.*"))


def test_a_device_token_of_another_town_is_refused(towns: dict[str, Municipality], media: Path) -> None:
    shimanto_cam, shimanto_token = make_camera(towns["shimanto"], "t-shimanto")
    positions = {s: audit_position(s) for s in ("nakatosa", "shimanto")}
    response = post(device("nakatosa"), shimanto_token, level_cm="500", image=upload("x.png", png_bytes()))
    assert response.status_code == 403
    assert response.json()["code"] == "device_wrong_town"
    assert not CameraReading.objects.filter(camera=shimanto_cam).exists()
    assert audit_since("nakatosa", positions["nakatosa"]) == []
    assert audit_since("shimanto", positions["shimanto"]) == []


@pytest.mark.parametrize("header", ["", "Device kcam_wrong", "Bearer kcam_x", "Device "])
def test_a_missing_or_wrong_token_is_refused(camera: tuple[RiverCamera, str], header: str) -> None:
    response = device().post(URL, {"level_cm": "10"}, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "device_token_invalid"
    assert not CameraReading.objects.exists()


def test_after_rotation_the_old_token_works_for_the_grace_period_only(
    camera: tuple[RiverCamera, str], towns: dict[str, Municipality]
) -> None:
    cam, old = camera
    cameras.rotate_token(actor=Person.objects.get(username="it_admin"), host=towns["nakatosa"], camera=cam)
    assert post(device(), old, level_cm="10").status_code == 201
    RiverCamera.objects.filter(pk=cam.pk).update(previous_token_valid_until=timezone.now() - timedelta(seconds=1))
    assert post(device(), old, level_cm="10").status_code == 401


def test_a_flooding_device_is_rate_limited(camera: tuple[RiverCamera, str]) -> None:
    _, token = camera
    codes = [post(device(), token, level_cm="10").status_code for _ in range(cameras.RATE_LIMIT + 1)]
    assert codes[-1] == 429
    assert CameraReading.objects.count() == cameras.RATE_LIMIT


def test_only_it_staff_of_the_town_or_council_rotate_tokens(
    camera: tuple[RiverCamera, str], towns: dict[str, Municipality]
) -> None:
    cam, token = camera
    with pytest.raises(cameras.CameraManageRefused):
        cameras.rotate_token(actor=Person.objects.get(username="tanaka"), host=towns["nakatosa"], camera=cam)
    with pytest.raises(cameras.CameraManageRefused):
        cameras.rotate_token(actor=Person.objects.get(username="it_admin"), host=towns["shimanto"], camera=cam)
    cam.refresh_from_db()
    assert cam.token_digest == cameras.digest(token)


def test_camera_page_shows_the_latest_image_and_an_svg_chart(camera: tuple[RiverCamera, str], client_for: Any) -> None:
    cam, token = camera
    post(device(), token, level_cm="120", image=upload("x.png", png_bytes()))
    post(device(), token, level_cm="180")
    client = client_for("tanaka", "nakatosa")
    page = client.get(f"/hq/cameras/{cam.pk}/").content.decode()
    assert 'data-camera-state="caution"' in page
    assert client.get(f"/hq/cameras/{cam.pk}/image").getvalue().startswith(b"\x89PNG")
    chart = client.get(f"/hq/cameras/{cam.pk}/chart.svg")
    assert chart["Content-Type"] == "image/svg+xml"
    assert "<polyline" in chart.content.decode()
    assert client_for("yamamoto", "shimanto").get(f"/hq/cameras/{cam.pk}/").status_code == 404

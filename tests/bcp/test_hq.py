"""The disaster HQ (docs/domain/disaster-hq.md): opened with a declared disaster, checklists from the templates,
timeline, shelters, damage reports with photos, the prefecture's summary, who may write, and the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from bcp import disaster as disaster_service
from bcp import hq
from bcp.hq_links import register_hq_link, unregister_hq_link
from bcp.hq_models import DamageReport, HqEntry, HqTask, Shelter
from bcp.models import Disaster
from bcp.uploads import MAX_IMAGE_BYTES, ImageTooLarge, ImageTypeRefused
from tenants.models import Municipality, Person
from tests.bcp.hq_support import jpeg_bytes, png_bytes, templates, upload
from tests.support.access import audit_position, audit_since

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def declared(towns: dict[str, Municipality]) -> Disaster:
    templates()
    return disaster_service.declare_disaster(
        actor=Person.objects.get(username="it_admin"), municipality=towns["nakatosa"], title="南海トラフ地震"
    )


@pytest.fixture
def tanaka() -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def shelter(towns: dict[str, Municipality]) -> Shelter:
    return Shelter.objects.create(municipality=towns["nakatosa"], name="テスト避難所", capacity=100)


def actions(schema: str, position: int) -> list[str]:
    return [e.action for e in audit_since(schema, position)]


def test_declaring_a_disaster_opens_the_hq_with_the_template_checklists(towns: dict[str, Municipality]) -> None:
    templates()
    positions = {s: audit_position(s) for s in ("public", "nakatosa")}
    disaster = disaster_service.declare_disaster(
        actor=Person.objects.get(username="it_admin"), municipality=towns["nakatosa"], title="津波"
    )
    tasks = list(HqTask.objects.filter(disaster=disaster, title__in=["本部員の参集", "避難所の開錠", "職員の安否確認"]))
    assert {t.get_kind_display() for t in tasks} == {"初動", "避難所開設", "安否確認"}
    first = next(t for t in tasks if t.title == "本部員の参集")
    assert (first.due_at - disaster.declared_at).total_seconds() == 30 * 60
    assert HqEntry.objects.filter(disaster=disaster, kind="open").count() == 1
    assert actions("public", positions["public"]) == ["bcp.disaster_declare", "bcp.hq_open"]
    assert actions("nakatosa", positions["nakatosa"]) == ["bcp.disaster_declare", "bcp.hq_open"]


def test_a_clerk_of_the_stricken_town_completes_a_task_once(declared: Disaster, tanaka: Person) -> None:
    task = declared.hq_tasks.get(title="本部員の参集")
    position = audit_position("nakatosa")
    done = hq.complete_task(actor=tanaka, host=declared.municipality, task=task)
    assert done.done_by_name == "田中 美咲"
    assert actions("nakatosa", position) == ["bcp.hq_task_done"]
    with pytest.raises(hq.TaskAlreadyDone):
        hq.complete_task(actor=tanaka, host=declared.municipality, task=task)


def test_the_other_towns_host_reads_but_does_not_write(
    declared: Disaster, towns: dict[str, Municipality], new_person: Any
) -> None:
    shimanto_clerk = new_person("hq-sm", shimanto="clerk")
    task = declared.hq_tasks.first()
    assert task is not None
    assert not hq.may_write(actor=shimanto_clerk, host=towns["shimanto"], owner=declared.municipality)
    with pytest.raises(hq.HqWriteRefused):
        hq.complete_task(actor=shimanto_clerk, host=towns["shimanto"], task=task)
    task.refresh_from_db()
    assert task.done_at is None


def test_an_auditor_reads_but_does_not_write(declared: Disaster) -> None:
    with pytest.raises(hq.HqWriteRefused):
        hq.add_entry(
            actor=Person.objects.get(username="auditor"), host=declared.municipality, disaster=declared, text="x"
        )
    assert not HqEntry.objects.filter(disaster=declared, kind="note").exists()


def test_the_council_it_admin_writes_from_the_council_host(declared: Disaster, towns: dict[str, Municipality]) -> None:
    entry = hq.add_entry(
        actor=Person.objects.get(username="it_admin"), host=towns["council"], disaster=declared, text="県へ第1報"
    )
    assert entry.town_name == towns["council"].name


def test_an_ended_disasters_hq_is_read_only(declared: Disaster, tanaka: Person) -> None:
    disaster_service.end_disaster(actor=Person.objects.get(username="it_admin"), disaster=declared)
    with pytest.raises(hq.HqClosed):
        hq.add_entry(actor=tanaka, host=declared.municipality, disaster=declared, text="遅い記録")
    assert not HqEntry.objects.filter(disaster=declared, kind="note").exists()


def test_shelter_occupancy_is_reported_on_site_and_on_the_timeline(
    declared: Disaster, tanaka: Person, shelter: Shelter
) -> None:
    position = audit_position("nakatosa")
    hq.update_shelter(actor=tanaka, host=declared.municipality, shelter=shelter, occupancy=42, is_open=True)
    shelter.refresh_from_db()
    assert (shelter.is_open, shelter.occupancy) == (True, 42)
    assert HqEntry.objects.filter(disaster=declared, kind="shelter", text__contains="42/100").exists()
    assert actions("nakatosa", position) == ["bcp.hq_shelter"]


@pytest.mark.parametrize(("occupancy", "is_open"), [(-1, True), (201, True), (5, False)])
def test_impossible_shelter_counts_are_refused(
    declared: Disaster, tanaka: Person, shelter: Shelter, occupancy: int, is_open: bool
) -> None:
    with pytest.raises(hq.OccupancyInvalid):
        hq.update_shelter(
            actor=tanaka, host=declared.municipality, shelter=shelter, occupancy=occupancy, is_open=is_open
        )
    shelter.refresh_from_db()
    assert shelter.occupancy == 0


def test_a_damage_report_stores_its_photo_in_storage_not_the_database(
    declared: Disaster, tanaka: Person, media: Path
) -> None:
    report = hq.report_damage(
        actor=tanaka,
        host=declared.municipality,
        disaster=declared,
        title="県道崩落",
        location="久礼 県道25号",
        photo=upload("../../etc/passwd.png", jpeg_bytes(), "image/png"),
    )
    assert report.photo_type == "jpeg"
    assert report.photo.name.startswith("hq/damage/")
    assert report.photo.name.endswith(".jpg")
    assert (media / report.photo.name).read_bytes()[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"GIF89a" + b"\0" * 20, ImageTypeRefused), (b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_IMAGE_BYTES, ImageTooLarge)],
)
def test_a_wrong_or_oversized_photo_writes_nothing(
    declared: Disaster, tanaka: Person, media: Path, data: bytes, error: type[Exception]
) -> None:
    position = audit_position("nakatosa")
    with pytest.raises(error):
        hq.report_damage(
            actor=tanaka,
            host=declared.municipality,
            disaster=declared,
            title="x",
            location="y",
            photo=upload("a.png", data),
        )
    assert not DamageReport.objects.filter(disaster=declared).exists()
    assert actions("nakatosa", position) == []
    assert not any(media.rglob("*.*"))


def test_a_refused_writer_leaves_no_photo_behind(
    declared: Disaster, towns: dict[str, Municipality], new_person: Any, media: Path
) -> None:
    outsider = new_person("hq-out", shimanto="clerk")
    with pytest.raises(hq.HqWriteRefused):
        hq.report_damage(
            actor=outsider,
            host=towns["shimanto"],
            disaster=declared,
            title="x",
            location="y",
            photo=upload("a.png", png_bytes()),
        )
    assert not any(media.rglob("*.*"))
    assert default_storage.listdir(".") == ([], [])


def test_pages_show_the_board_to_both_towns_and_the_summary_downloads(
    declared: Disaster, client_for: Any, shelter: Shelter
) -> None:
    register_hq_link("chat", "本部チャット", lambda d: f"/groupware/hq/{d.pk}/")
    try:
        page = client_for("tanaka", "nakatosa").get(f"/hq/{declared.pk}/")
    finally:
        unregister_hq_link("chat")
    html = page.content.decode()
    assert "data-hq-board" in html
    assert f'href="/groupware/hq/{declared.pk}/"' in html
    assert "完了にする" in html
    other = client_for("yamamoto", "shimanto").get(f"/hq/{declared.pk}/").content.decode()
    assert "南海トラフ地震" in other
    assert "完了にする" not in other
    pdf = client_for("tanaka", "nakatosa").get(f"/hq/{declared.pk}/summary.pdf")
    assert pdf.content.startswith(b"%PDF")
    csv = b"".join(client_for("tanaka", "nakatosa").get(f"/hq/{declared.pk}/summary.csv").streaming_content).decode()
    assert "テスト避難所" in csv


def test_the_damage_form_posts_a_photo_and_a_bad_one_shows_a_japanese_error(
    declared: Disaster, client_for: Any
) -> None:
    client = client_for("tanaka", "nakatosa")
    client.post(
        f"/hq/{declared.pk}/damage/", {"title": "浸水", "location": "役場", "photo": upload("p.png", png_bytes())}
    )
    report = DamageReport.objects.get(disaster=declared)
    assert client.get(f"/hq/damage/{report.pk}/photo").status_code == 200
    page = client.post(
        f"/hq/{declared.pk}/damage/",
        {"title": "x", "location": "y", "photo": upload("p.gif", b"GIF89a....")},
        follow=True,
    )
    assert "JPEGまたはPNG" in page.content.decode()
    assert DamageReport.objects.filter(disaster=declared).count() == 1

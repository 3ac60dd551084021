"""組織 pages and the 人事異動 CSV: preview writes nothing, apply moves everyone in one step, and groupware rights
follow (the new unit's facilities, the new 所属長 on a workflow step)."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tenants.utils import schema_context

from common.errors import PermissionDenied
from groupware import selectors
from groupware.models import FacilityKind
from groupware.services import facilities, personnel
from tenants.models import Posting
from tests.conftest import HOSTS, make_client, person

APRIL = date(2027, 4, 1)


def csv_bytes(*lines: str) -> bytes:
    return ("\ufeff職員ID,所属コード,職名,所属長\n" + "\n".join(lines) + "\n").encode()


@pytest.fixture
def staff(nakatosa: Any, units: dict[str, Any], post: Any, new_person: Any) -> dict[str, Any]:
    people = {"hr": new_person("og_hr", nakatosa="personnel"), "mover": new_person("og_mover", nakatosa="clerk")}
    post(people["mover"], units["jumin"])
    return people


def test_the_preview_writes_nothing_and_reports_bad_lines(staff: dict[str, Any]) -> None:
    before = Posting.objects.count()
    preview = personnel.preview_transfers(
        actor=staff["hr"], effective_on=APRIL, data=csv_bytes("og_mover,T110,主事,0", "nobody,T100,,0", "og_hr,ZZZ,,")
    )
    assert preview.plan is not None
    assert [move.unit_code for move, _b, _t in preview.plan.lines] == ["T110"]
    assert len(preview.errors) == 2
    assert Posting.objects.count() == before


def test_applying_moves_the_posting_and_the_rights_follow(staff: dict[str, Any]) -> None:
    room = facilities.create_facility(
        actor=person("it_admin"), name="情報係の端末室", kind=FacilityKind.ROOM, unit_code="T110", unit_name="情報係"
    )
    personnel.apply_transfer_file(actor=staff["hr"], effective_on=APRIL, data=csv_bytes("og_mover,T110,主事,0"))
    old = Posting.objects.get(person=staff["mover"], unit__code="T200")
    assert old.valid_to == APRIL - timedelta(days=1)
    assert room not in selectors.facilities_for(actor=staff["mover"], day=APRIL - timedelta(days=1))
    assert room in selectors.facilities_for(actor=staff["mover"], day=APRIL)


def test_only_personnel_or_it_staff_import(staff: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        personnel.preview_transfers(actor=staff["mover"], effective_on=APRIL, data=csv_bytes("og_mover,T110,,0"))


def test_a_wrong_header_is_refused(staff: dict[str, Any]) -> None:
    with pytest.raises(personnel.TransferFileInvalid) as excinfo:
        personnel.preview_transfers(actor=staff["hr"], effective_on=APRIL, data=b"a,b\n1,2\n")
    assert excinfo.value.code == "transfer_header"


def test_the_pages_preview_then_apply(staff: dict[str, Any]) -> None:
    client = make_client(HOSTS["nakatosa"], staff["hr"])
    data = csv_bytes("og_mover,T110,主事,0")
    preview = client.post(
        reverse("groupware:transfers"),
        {"effective_on": "2027-04-01", "file": SimpleUploadedFile("idou.csv", data), "action": "preview"},
    )
    assert "この内容で適用する" in preview.content.decode()
    applied = client.post(
        reverse("groupware:transfers"),
        {"effective_on": "2027-04-01", "payload": base64.b64encode(data).decode(), "action": "apply"},
    )
    assert applied.status_code == 302
    with schema_context("nakatosa"):
        assert Posting.objects.filter(person=staff["mover"], unit__code="T110", valid_from=APRIL).exists()
    tree = client.get(reverse("groupware:organisation"), {"date": "2027-04-01"}).content.decode()
    assert 'data-unit="T110"' in tree

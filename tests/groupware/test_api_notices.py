"""The REST of the bulletin and the workflow: lists, details, read receipts, submit and approve, with the rights of
the pages (docs/domain/groupware.md §10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from groupware.models import Notice, NoticeRead, NoticeScope, RequestStatus, StepKind
from groupware.services import bulletin, workflow
from groupware.services.workflow import StepSpec
from tests.conftest import HOSTS, make_client, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(towns: dict[str, Any]) -> Any:
    with schema_context("nakatosa"):
        return bulletin.post_notice(actor=person("tanaka"), title="年末の閉庁日", body="12月29日から閉庁します。")


def test_the_notice_list_shows_a_town_notice_unread(client_for: Any, notice: Any) -> None:
    response = client_for("yamamoto", "nakatosa").get("/api/v1/groupware/notices/")
    assert response.status_code == 200
    assert [(row["id"], row["is_read"]) for row in response.json()["results"]] == [(notice.pk, False)]


def _page(client: Any, number: int, size: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/groupware/notices/?page={number}&page_size={size}")
    assert response.status_code == 200
    return dict(response.json())


def test_the_notice_list_pages_through_all_notices_beyond_the_newest_500(client_for: Any, notice: Any) -> None:
    # The list used to stop at the newest 500 (§10.1): the 501st notice and older were out of every page.
    older = timezone.now() - timedelta(days=30)
    with schema_context("nakatosa"):
        Notice.objects.bulk_create(
            Notice(
                title=f"古いお知らせ{n}", body="本文", scope=NoticeScope.ALL, author_id=notice.author_id,
                author_name=notice.author_name, publish_from=older - timedelta(minutes=n),
            )
            for n in range(501)
        )  # fmt: skip
    client = client_for("yamamoto", "nakatosa")
    last = _page(client, 6, 100)
    assert last["count"] == 502
    assert [row["title"] for row in last["results"]][-1] == "古いお知らせ500"
    assert last["next"] is None


def test_the_notice_list_merges_council_wide_notices_in_order_across_pages(client_for: Any, notice: Any) -> None:
    with schema_context("nakatosa"):
        Notice.objects.filter(pk=notice.pk).update(publish_from=timezone.now() - timedelta(days=2))
        bulletin.post_notice(actor=person("tanaka"), title="町の新しいお知らせ", body="本文")
    with schema_context("council"):
        bulletin.post_notice(
            actor=person("council_staff"), title="協議会のお知らせ", body="本文",
            publish_from=timezone.now() - timedelta(days=1),
        )  # fmt: skip
    client = client_for("yamamoto", "nakatosa")
    first, second = _page(client, 1, 2), _page(client, 2, 2)
    assert first["count"] == second["count"] == 3
    seen = [(row["title"], row["council_wide"]) for row in first["results"] + second["results"]]
    assert seen == [("町の新しいお知らせ", False), ("協議会のお知らせ", True), ("年末の閉庁日", False)]


def test_a_page_of_notices_runs_the_same_statements_whatever_the_page(client_for: Any, notice: Any) -> None:
    with schema_context("nakatosa"):
        for n in range(5):
            bulletin.post_notice(actor=person("tanaka"), title=f"お知らせ{n}", body="本文")
    client = client_for("yamamoto", "nakatosa")
    _page(client, 1, 2)  # warm: sessions, caches
    counts = []
    for number in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            _page(client, number, 2)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_reading_a_notice_through_the_api_marks_nothing(client_for: Any, notice: Any) -> None:
    response = client_for("yamamoto", "nakatosa").get(f"/api/v1/groupware/notices/{notice.pk}/")
    assert response.json()["title"] == "年末の閉庁日"
    with schema_context("nakatosa"):
        assert not NoticeRead.objects.filter(notice=notice).exists()


def test_the_read_receipt_is_marked_once_and_its_author_sees_it(client_for: Any, notice: Any) -> None:
    reader = client_for("yamamoto", "nakatosa")
    assert reader.post(f"/api/v1/groupware/notices/{notice.pk}/read/").status_code == 204
    assert reader.post(f"/api/v1/groupware/notices/{notice.pk}/read/").status_code == 204
    seen = client_for("tanaka", "nakatosa").get(f"/api/v1/groupware/notices/{notice.pk}/").json()
    assert [row["person_id"] for row in seen["readers"]] == [person("yamamoto").pk]


def test_a_reader_does_not_see_the_receipts(client_for: Any, notice: Any) -> None:
    seen = client_for("yamamoto", "nakatosa").get(f"/api/v1/groupware/notices/{notice.pk}/").json()
    assert seen["readers"] is None


def test_a_unit_notice_is_404_to_someone_outside_the_unit(client_for: Any, units: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        hidden = bulletin.post_notice(
            actor=person("it_admin"), title="係内", body="係の連絡", scope=NoticeScope.UNIT, unit_code="T110"
        )
    response = client_for("yamamoto", "nakatosa").get(f"/api/v1/groupware/notices/{hidden.pk}/")
    assert response.status_code == 404


@pytest.fixture
def leave_form(towns: dict[str, Any]) -> Any:
    with schema_context("nakatosa"):
        return workflow.define_form(
            actor=person("it_admin"),
            code="LEAVE",
            name="休暇届",
            fields=[{"name": "reason", "label": "理由", "type": "text", "required": True}],
            steps=[StepSpec(StepKind.ANY, [person("yamamoto").pk])],
        )


def _submit(leave_form: Any) -> Any:
    return client_for_tanaka().post(
        "/api/v1/groupware/requests/",
        {"form_id": leave_form.pk, "title": "年休", "values": {"reason": "私用"}},
        content_type="application/json",
    )


def client_for_tanaka() -> Any:
    return make_client(HOSTS["nakatosa"], person("tanaka"))


def test_a_request_is_submitted_through_the_api_with_its_number(leave_form: Any) -> None:
    response = _submit(leave_form)
    assert response.status_code == 201
    assert response.json()["number"].startswith("LEAVE-")


def test_a_request_missing_a_required_field_is_a_400(leave_form: Any) -> None:
    response = client_for_tanaka().post(
        "/api/v1/groupware/requests/", {"form_id": leave_form.pk, "title": "年休"}, content_type="application/json"
    )
    assert response.status_code == 400


def test_the_approver_sees_it_waiting_and_approves_it(client_for: Any, leave_form: Any) -> None:
    created = _submit(leave_form).json()
    approver = client_for("yamamoto", "nakatosa")
    awaiting = approver.get("/api/v1/groupware/requests/awaiting/").json()["results"]
    assert [row["id"] for row in awaiting] == [created["id"]]
    url = f"/api/v1/groupware/requests/{created['id']}/approve/"
    response = approver.post(url, {}, content_type="application/json")
    assert response.json()["status"] == RequestStatus.APPROVED


def test_the_applicant_cannot_approve_their_own_request(leave_form: Any) -> None:
    created = _submit(leave_form).json()
    response = client_for_tanaka().post(
        f"/api/v1/groupware/requests/{created['id']}/approve/", {}, content_type="application/json"
    )
    assert response.json()["code"] == "self_approval"


def test_the_applicant_lists_and_opens_their_request(leave_form: Any) -> None:
    created = _submit(leave_form).json()
    mine = client_for_tanaka().get("/api/v1/groupware/requests/").json()
    assert [row["id"] for row in mine["results"]] == [created["id"]]
    detail = client_for_tanaka().get(f"/api/v1/groupware/requests/{created['id']}/").json()
    assert detail["values"] == {"reason": "私用"}


def test_a_request_is_404_to_someone_it_does_not_concern(client_for: Any, leave_form: Any) -> None:
    created = _submit(leave_form).json()
    response = client_for("it_admin", "nakatosa").get(f"/api/v1/groupware/requests/{created['id']}/")
    assert response.status_code == 404

"""The two requests lists (自分の申請, 承認待ち) page through every row instead of stopping at 100, on the page
(page links keep the filter and the other list's page) and in the REST API (count / next / previous / results)
(docs/domain/groupware.md §4.8, §10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import schema_context

from groupware import selectors
from groupware.models import RequestStatus, StepKind, WorkflowRequest
from groupware.services import workflow
from groupware.services.workflow import StepSpec
from tests.conftest import HOSTS, make_client, person

pytestmark = pytest.mark.django_db

MANY = 105  # more than the old cap of 100


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


@pytest.fixture
def many(leave_form: Any) -> list[WorkflowRequest]:
    with schema_context("nakatosa"):
        return [
            workflow.submit_request(
                actor=person("tanaka"), form_id=leave_form.pk, title=f"年休{n}", data={"reason": "私用"}
            )
            for n in range(MANY)
        ]


def test_the_inbox_query_keeps_every_waiting_request_beyond_100(many: list[WorkflowRequest]) -> None:
    with schema_context("nakatosa"):
        waiting = list(selectors.requests_awaiting_query(actor=person("yamamoto")).values_list("pk", flat=True))
        assert waiting == [r.pk for r in many]  # oldest first
        assert not selectors.requests_awaiting_query(actor=person("tanaka")).exists()  # never one's own


def test_the_inbox_drops_a_request_once_approved(many: list[WorkflowRequest]) -> None:
    with schema_context("nakatosa"):
        workflow.approve_request(actor=person("yamamoto"), request_id=many[0].pk, comment="")
        assert many[0].pk not in set(
            selectors.requests_awaiting_query(actor=person("yamamoto")).values_list("pk", flat=True)
        )


def test_the_api_lists_page_through_all_the_requests(many: list[WorkflowRequest]) -> None:
    mine = make_client(HOSTS["nakatosa"], person("tanaka"))
    first = mine.get("/api/v1/groupware/requests/", {"page_size": 50}).json()
    assert first["count"] == MANY
    assert first["previous"] is None
    assert [row["id"] for row in first["results"]] == [r.pk for r in reversed(many)][:50]
    last = mine.get("/api/v1/groupware/requests/", {"page_size": 50, "page": 3}).json()
    assert [row["id"] for row in last["results"]] == [r.pk for r in reversed(many)][100:]
    assert last["next"] is None
    inbox = make_client(HOSTS["nakatosa"], person("yamamoto"))
    awaiting = inbox.get("/api/v1/groupware/requests/awaiting/", {"page_size": 100, "page": 2}).json()
    assert awaiting["count"] == MANY
    assert [row["id"] for row in awaiting["results"]] == [r.pk for r in many][100:]


def test_the_page_shows_50_a_page_with_links_that_keep_the_filter(many: list[WorkflowRequest]) -> None:
    client = make_client(HOSTS["nakatosa"], person("tanaka"))
    url = reverse("groupware:requests")
    page = client.get(url, {"status": RequestStatus.IN_PROGRESS}).content.decode()
    assert page.count('data-request="') == 50
    assert f"自分の申請({MANY}件)" in page
    assert "?status=in_progress&amp;page=2" in page
    third = client.get(url, {"status": "in_progress", "page": "3"}).content.decode()
    assert third.count('data-request="') == MANY - 100
    assert f'data-request="{many[0].number}"' in third


def test_the_status_filter_narrows_my_requests(many: list[WorkflowRequest]) -> None:
    with schema_context("nakatosa"):
        workflow.withdraw_request(actor=person("tanaka"), request_id=many[0].pk)
    page = make_client(HOSTS["nakatosa"], person("tanaka")).get(
        reverse("groupware:requests"), {"status": RequestStatus.WITHDRAWN}
    )
    assert page.content.decode().count('data-request="') == 1


def test_the_inbox_pages_keep_my_requests_page(many: list[WorkflowRequest]) -> None:
    client = make_client(HOSTS["nakatosa"], person("yamamoto"))
    page = client.get(reverse("groupware:requests"), {"page": 1}).content.decode()
    assert f"承認待ち({MANY}件)" in page
    assert "?page=1&amp;apage=2" in page


def test_an_approver_can_decide_a_request_beyond_the_first_100(many: list[WorkflowRequest]) -> None:
    """The request page asks the inbox query itself (not its first rows) whether the viewer may decide."""
    client = make_client(HOSTS["nakatosa"], person("yamamoto"))
    page = client.get(reverse("groupware:request", args=[many[-1].pk])).content.decode()
    assert reverse("groupware:request_action", args=[many[-1].pk, "approve"]) in page


def _statements(client: Any, url: str) -> int:
    client.get(url)  # warm: the session and the host's town
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_requests_page_runs_as_many_statements_for_a_full_page_as_for_three(leave_form: Any) -> None:
    """Both lists on one page: the same statements for 3 rows each as for a full page of 50 (and more) each."""
    with schema_context("nakatosa"):  # 山本 applies on a second form, with 田中 approving
        back = workflow.define_form(
            actor=person("it_admin"), code="BACK", name="振替申請",
            fields=[{"name": "reason", "label": "理由", "type": "text", "required": True}],
            steps=[StepSpec(StepKind.ANY, [person("tanaka").pk])],
        )  # fmt: skip

    def submit(count: int) -> None:
        with schema_context("nakatosa"):
            for n in range(count):
                for applicant, form in (("tanaka", leave_form), ("yamamoto", back)):
                    workflow.submit_request(
                        actor=person(applicant), form_id=form.pk, title=f"申請{n}", data={"reason": "私用"}
                    )

    client = make_client(HOSTS["nakatosa"], person("tanaka"))
    url = reverse("groupware:requests")
    submit(3)
    few = _statements(client, url)
    submit(60)
    assert _statements(client, url) == few

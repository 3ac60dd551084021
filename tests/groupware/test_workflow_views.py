"""The workflow pages: submit a request, approve it as a proxy, return it, define a form (IT staff)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from groupware.models import RequestStatus, StepKind, WorkflowForm, WorkflowRequest
from groupware.services import workflow
from groupware.services.workflow import StepSpec
from tests.conftest import HOSTS, make_client, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def leave(new_person: Any) -> dict[str, Any]:
    people = {name: new_person(f"wv_{name}", nakatosa="clerk") for name in ("app", "boss", "proxy")}
    with schema_context("nakatosa"):
        people["form"] = workflow.define_form(
            actor=person("it_admin"),
            code="LEAVE",
            name="休暇申請",
            fields=[{"name": "day", "label": "休暇日", "type": "date", "required": True}],
            steps=[StepSpec(StepKind.ANY, [people["boss"].pk])],
        )
    return people


def test_a_request_goes_from_the_form_to_a_proxy_approval(leave: dict[str, Any]) -> None:
    applicant = make_client(HOSTS["nakatosa"], leave["app"])
    response = applicant.post(
        reverse("groupware:request_new", args=[leave["form"].pk]), {"title": "年休", "f_day": "2026-08-14"}
    )
    assert response.status_code == 302
    with schema_context("nakatosa"):
        request = WorkflowRequest.objects.get(form=leave["form"])
        workflow.delegate(
            actor=leave["boss"], kind="approve", principal=leave["boss"], proxy=leave["proxy"],
            valid_from=date(2020, 1, 1),
        )  # fmt: skip
    proxy = make_client(HOSTS["nakatosa"], leave["proxy"])
    page = proxy.get(reverse("groupware:request", args=[request.pk])).content.decode()
    assert "承認する" in page
    proxy.post(reverse("groupware:request_action", args=[request.pk, "approve"]))
    with schema_context("nakatosa"):
        request.refresh_from_db()
        assert request.status == RequestStatus.APPROVED
    history = applicant.get(reverse("groupware:request", args=[request.pk])).content.decode()
    assert f"{leave['boss'].full_name}の代理" in history


def test_a_missing_required_field_is_shown_on_the_field(leave: dict[str, Any]) -> None:
    client = make_client(HOSTS["nakatosa"], leave["app"])
    response = client.post(reverse("groupware:request_new", args=[leave["form"].pk]), {"title": "年休", "f_day": ""})
    assert response.status_code == 200
    assert "この項目は必須です" in response.content.decode() or "休暇日" in response.content.decode()
    with schema_context("nakatosa"):
        assert not WorkflowRequest.objects.filter(form=leave["form"]).exists()


def test_an_outsider_gets_404_for_a_request(leave: dict[str, Any], client_for: Any) -> None:
    with schema_context("nakatosa"):
        request = workflow.submit_request(
            actor=leave["app"], form_id=leave["form"].pk, title="年休", data={"day": "2026-08-14"}
        )
    assert client_for("tanaka", "nakatosa").get(reverse("groupware:request", args=[request.pk])).status_code == 404


def test_it_staff_define_a_form_on_the_page(client_for: Any) -> None:
    boss = person("tanaka")
    response = client_for("it_admin", "nakatosa").post(
        reverse("groupware:form_define"),
        {
            "code": "BUY",
            "name": "物品購入申請",
            "fields_spec": "item|品名|text|yes\namount|金額|number|yes",
            "steps_spec": f"any|{boss.pk}|no",
        },
    )
    assert response.status_code == 302
    with schema_context("nakatosa"):
        form = WorkflowForm.objects.get(code="BUY")
        assert [f["name"] for f in form.fields] == ["item", "amount"]


def test_a_route_with_no_approver_is_refused_on_the_page(client_for: Any) -> None:
    response = client_for("it_admin", "nakatosa").post(
        reverse("groupware:form_define"), {"code": "EMPTY", "name": "空", "steps_spec": "all||no"}
    )
    assert "承認者のいないステップがあります" in response.content.decode()

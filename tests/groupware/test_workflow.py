"""申請・承認: numbering per form and fiscal year, all/any/回覧 steps, 代理申請 and 代理承認, 差し戻し, 取下げ,
no self-approval, route changes only where allowed, attachments, a 出張申請 creating its schedule entry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from common.errors import ValidationFailed
from common.models import AuditEvent
from groupware import selectors
from groupware.errors import (
    FileTooLarge,
    NotDelegated,
    NotYourTurn,
    RequestFieldInvalid,
    RouteLocked,
    RouteNoApprover,
    SelfApproval,
)
from groupware.models import Event, RequestAction, RequestStatus, StepKind, WorkflowRequest
from groupware.services import workflow
from groupware.services.workflow import StepSpec
from tests.conftest import person


@pytest.fixture
def people(nakatosa: Any, new_person: Any) -> dict[str, Any]:
    return {name: new_person(f"wf_{name}", nakatosa="clerk") for name in ("app", "a1", "a2", "b1", "b2", "c1", "px")}


@pytest.fixture
def trip(people: dict[str, Any]) -> Any:
    """出張申請: 係長 or 補佐 (any), then both 課長 and 総務 (all), then 回覧 to 庶務."""
    return workflow.define_form(
        actor=person("it_admin"),
        code="TRIP",
        name="出張申請",
        fields=[
            {"name": "destination", "label": "出張先", "type": "text", "required": True},
            {"name": "starts_at", "label": "出発", "type": "datetime", "required": True},
            {"name": "ends_at", "label": "帰着", "type": "datetime", "required": True},
        ],
        steps=[
            StepSpec(StepKind.ANY, [people["a1"].pk, people["a2"].pk]),
            StepSpec(StepKind.ALL, [people["b1"].pk, people["b2"].pk]),
            StepSpec(StepKind.CIRCULATE, [people["c1"].pk]),
        ],
        creates="schedule",
        allows_attachments=True,
    )


DATA = {"destination": "高知県庁", "starts_at": "2026-06-10T09:00", "ends_at": "2026-06-10T17:00"}


def submit(actor: Any, form: Any, **kwargs: Any) -> WorkflowRequest:
    return workflow.submit_request(actor=actor, form_id=form.pk, title="県庁協議", data=DATA, **kwargs)


def test_numbers_count_per_form_and_restart_each_fiscal_year(people: dict[str, Any], trip: Any) -> None:
    with time_machine.travel(date(2027, 3, 31)):
        march = [submit(people["app"], trip) for _ in range(2)]
    with time_machine.travel(date(2027, 4, 1)):
        april = submit(people["app"], trip)
    assert [r.number for r in march] == ["TRIP-2026-0001", "TRIP-2026-0002"]
    assert april.number == "TRIP-2027-0001"


def test_a_refused_submission_gives_its_number_back(people: dict[str, Any], trip: Any) -> None:
    first = submit(people["app"], trip)
    with pytest.raises(FileTooLarge):
        submit(people["app"], trip, files=[SimpleUploadedFile("big.pdf", b"x" * (workflow.MAX_ATTACHMENT_BYTES + 1))])
    second = submit(people["app"], trip)
    assert (first.serial, second.serial) == (1, 2)


def test_a_missing_required_field_is_refused(people: dict[str, Any], trip: Any) -> None:
    with pytest.raises(RequestFieldInvalid) as excinfo:
        workflow.submit_request(actor=people["app"], form_id=trip.pk, title="x", data={"destination": ""})
    assert excinfo.value.details == {"field": "destination"}
    assert not WorkflowRequest.objects.filter(form=trip).exists()


def test_a_route_through_any_all_and_circulation_ends_approved_with_its_schedule(
    people: dict[str, Any], trip: Any
) -> None:
    request = submit(people["app"], trip)
    assert [r.pk for r in selectors.requests_awaiting(actor=people["a2"])] == [request.pk]
    workflow.approve_request(actor=people["a2"], request_id=request.pk)  # any one of a1, a2
    assert selectors.requests_awaiting(actor=people["a1"]) == []
    workflow.approve_request(actor=people["b1"], request_id=request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS  # b2 has still to approve
    workflow.approve_request(actor=people["b2"], request_id=request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    event = Event.objects.get(pk=request.event_id)
    assert (event.organiser_id, event.location) == (people["app"].pk, "高知県庁")
    workflow.confirm_circulation(actor=people["c1"], request_id=request.pk)
    assert request.actions.filter(kind=RequestAction.Kind.CONFIRM, actor_id=people["c1"].pk).exists()


def test_a_proxy_approves_for_an_absent_approver_and_it_is_recorded(people: dict[str, Any], trip: Any) -> None:
    workflow.delegate(
        actor=people["b2"], kind="approve", principal=people["b2"], proxy=people["px"], valid_from=date(2020, 1, 1)
    )
    request = submit(people["app"], trip)
    workflow.approve_request(actor=people["a1"], request_id=request.pk)
    workflow.approve_request(actor=people["b1"], request_id=request.pk)
    assert [r.pk for r in selectors.requests_awaiting(actor=people["px"])] == [request.pk]
    workflow.approve_request(actor=people["px"], request_id=request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    action = request.actions.get(kind=RequestAction.Kind.APPROVE, actor_id=people["px"].pk)
    assert action.on_behalf_of_id == people["b2"].pk
    assert AuditEvent.objects.filter(action="workflow.approve", actor_id=people["px"].pk).exists()


def test_someone_off_the_step_cannot_approve(people: dict[str, Any], trip: Any) -> None:
    request = submit(people["app"], trip)
    with pytest.raises(NotYourTurn):
        workflow.approve_request(actor=people["b1"], request_id=request.pk)


def test_a_proxy_applicant_submits_for_someone_and_cannot_approve_it(people: dict[str, Any], trip: Any) -> None:
    with pytest.raises(NotDelegated):
        submit(people["a1"], trip, applicant=people["app"])
    workflow.delegate(
        actor=people["app"], kind="apply", principal=people["app"], proxy=people["a1"], valid_from=date(2020, 1, 1)
    )
    request = submit(people["a1"], trip, applicant=people["app"])
    assert (request.applicant_id, request.submitted_by_id) == (people["app"].pk, people["a1"].pk)
    with pytest.raises(SelfApproval):
        workflow.approve_request(actor=people["a1"], request_id=request.pk)
    workflow.approve_request(actor=people["a2"], request_id=request.pk)


def test_the_applicant_is_left_off_their_own_route(people: dict[str, Any], trip: Any) -> None:
    request = workflow.submit_request(actor=people["a1"], form_id=trip.pk, title="自分の出張", data=DATA)
    first = request.steps.get(order=1)
    assert first.approver_ids == [people["a2"].pk]


def test_a_step_left_without_approvers_refuses_the_route(people: dict[str, Any]) -> None:
    solo = workflow.define_form(
        actor=person("it_admin"),
        code="SOLO",
        name="単独承認",
        fields=[],
        steps=[StepSpec(StepKind.ALL, [people["a1"].pk])],
    )
    with pytest.raises(RouteNoApprover):
        workflow.submit_request(actor=people["a1"], form_id=solo.pk, title="x", data={})
    assert not WorkflowRequest.objects.filter(form=solo).exists()


def test_a_form_without_an_approval_step_is_refused(people: dict[str, Any]) -> None:
    with pytest.raises(RouteNoApprover):
        workflow.define_form(
            actor=person("it_admin"), code="NONE", name="x", fields=[], steps=[StepSpec(StepKind.ALL, [])]
        )


def test_the_route_changes_only_where_the_form_allows(people: dict[str, Any], trip: Any) -> None:
    route = [StepSpec(StepKind.ANY, [people["b1"].pk])]
    with pytest.raises(RouteLocked):
        submit(people["app"], trip, route=route)
    open_form = workflow.define_form(
        actor=person("it_admin"),
        code="FREE",
        name="自由経路",
        fields=[],
        steps=[StepSpec(StepKind.ANY, [people["a1"].pk])],
        route_editable=True,
    )
    request = workflow.submit_request(actor=people["app"], form_id=open_form.pk, title="x", data={}, route=route)
    assert request.steps.get(order=1).approver_ids == [people["b1"].pk]


def test_returned_then_resubmitted_then_withdrawn(people: dict[str, Any], trip: Any) -> None:
    request = submit(people["app"], trip)
    number = request.number
    with pytest.raises(RequestFieldInvalid):
        workflow.return_request(actor=people["a1"], request_id=request.pk, comment=" ")
    workflow.return_request(actor=people["a1"], request_id=request.pk, comment="日程を確認してください")
    request.refresh_from_db()
    assert request.status == RequestStatus.RETURNED
    workflow.resubmit_request(actor=people["app"], request_id=request.pk)
    request.refresh_from_db()
    assert (request.status, request.current_step, request.number) == (RequestStatus.IN_PROGRESS, 1, number)
    workflow.withdraw_request(actor=people["app"], request_id=request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert selectors.requests_awaiting(actor=people["a1"]) == []


def test_attachments_are_stored_outside_the_database_and_downloads_are_audited(
    people: dict[str, Any], trip: Any
) -> None:
    request = submit(people["app"], trip, files=[SimpleUploadedFile("行程表.pdf", b"%PDF-1.4 trip")])
    attachment = request.attachments.get()
    assert storages["groupware"].exists(attachment.storage_key)
    _, handle = selectors.open_attachment(actor=people["a1"], request_id=request.pk, attachment_id=attachment.pk)
    with handle:
        assert handle.read() == b"%PDF-1.4 trip"
    assert AuditEvent.objects.filter(action="workflow.attachment_download", actor_id=people["a1"].pk).exists()


def test_an_outsider_does_not_see_the_request(people: dict[str, Any], trip: Any, new_person: Any) -> None:
    request = submit(people["app"], trip)
    outsider = new_person("wf_outsider", nakatosa="clerk")
    assert selectors.request_for(actor=outsider, request_id=request.pk) is None


def test_a_trip_ending_before_it_starts_is_refused(people: dict[str, Any], trip: Any) -> None:
    data = {**DATA, "ends_at": "2026-06-09T17:00"}
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.submit_request(actor=people["app"], form_id=trip.pk, title="x", data=data)
    assert excinfo.value.code == "period_invalid"


def test_the_fiscal_year_starts_in_april() -> None:
    assert workflow.fiscal_year(date(2027, 4, 1)) == 2027
    assert workflow.fiscal_year(date(2027, 4, 1) - timedelta(days=1)) == 2026


def test_only_it_staff_define_forms(people: dict[str, Any]) -> None:
    with pytest.raises(NotDelegated) as excinfo:
        workflow.define_form(
            actor=people["b1"], code="X", name="x", fields=[], steps=[StepSpec(StepKind.ANY, [people["a1"].pk])]
        )
    assert excinfo.value.code == "not_it_admin"

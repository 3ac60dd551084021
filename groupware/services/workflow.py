"""申請・承認 (workflow): define forms, submit (also for someone else: 代理申請), approve (also as a proxy:
代理承認), return (差し戻し), resubmit, withdraw (取下げ), confirm a 回覧 (docs/domain/groupware.md §4).

Numbers restart every fiscal year per form and have no gaps: a counter row per (form, 年度), incremented by one
upsert that holds its lock until the submitting transaction ends, so a refused submission gives its number back
(the allocator of common.serials, keyed by form as well as year).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from common import audit
from common.dates import TOKYO, local_today
from common.tenancy import current_schema
from groupware import org, search
from groupware.errors import (
    FileTooLarge,
    FormInvalid,
    FormNotFound,
    NotDelegated,
    NotYourTurn,
    RequestFieldInvalid,
    RequestNotFound,
    RequestStateInvalid,
    RouteLocked,
    RouteNoApprover,
    SelfApproval,
)
from groupware.models import (
    Delegation,
    FormCounter,
    RequestAction,
    RequestAttachment,
    RequestStatus,
    RequestStep,
    StepKind,
    StepState,
    WorkflowForm,
    WorkflowRequest,
)
from groupware.people import staff_names
from groupware.services.notifications import notify
from groupware.services.workflow_forms import StepSpec as StepSpec
from groupware.services.workflow_forms import check_steps
from groupware.services.workflow_forms import define_form as define_form
from tenants import organisation
from tenants.models import Person

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10


def fiscal_year(day: date) -> int:
    """年度: April to March, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


# --- submitting ---------------------------------------------------------------------------------------------


def clean_data(form: WorkflowForm, data: dict[str, Any]) -> dict[str, Any]:
    """The request's values by the form's fields: required ones present, each of its type (ISO dates)."""
    clean: dict[str, Any] = {}
    for field in form.fields:
        name, label, kind = field["name"], field["label"], field["type"]
        raw = data.get(name)
        text = "" if raw is None else str(raw).strip()
        if not text:
            if field.get("required"):
                raise RequestFieldInvalid(f"「{label}」を入力してください。", details={"field": name})
            continue
        try:
            if kind == "number":
                clean[name] = int(text)
            elif kind == "date":
                clean[name] = date.fromisoformat(text).isoformat()
            elif kind == "datetime":
                moment = datetime.fromisoformat(text)
                clean[name] = (moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)).isoformat()
            else:
                limit = 4000 if kind == "textarea" else 500
                if len(text) > limit:
                    raise ValueError
                clean[name] = text
        except ValueError as exc:
            raise RequestFieldInvalid(f"「{label}」の値が正しくありません。", details={"field": name}) from exc
    return clean


def _unit_managers(applicant: Person, day: date) -> list[int]:
    """The 所属長 of the applicant's primary unit on ``day`` — or of the unit above when the applicant is it."""
    town = org.current_town()
    unit = organisation.primary_unit(applicant, town, day)
    while unit is not None:
        managers = [
            p.person_id for p in organisation.members_of(unit, day) if p.is_manager and p.person_id != applicant.pk
        ]
        if managers:
            return managers
        unit = unit.parent
    return []


def _resolve_route(applicant: Person, steps: Sequence[StepSpec], day: date) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each step's people, by name. The applicant never approves their own request: they are left out of every
    step, and a step left with nobody refuses the route (docs/domain/groupware.md §4)."""
    wanted: list[tuple[str, list[int]]] = []
    for spec in steps:
        ids = [int(pk) for pk in spec.approver_ids]
        if spec.applicant_unit_manager:
            ids += _unit_managers(applicant, day)
        wanted.append((spec.kind, list(dict.fromkeys(pk for pk in ids if pk != applicant.pk))))
    names = staff_names(pk for _, ids in wanted for pk in ids)
    route = []
    for n, (kind, ids) in enumerate(wanted, start=1):
        people = [{"id": pk, "name": names[pk]} for pk in ids if pk in names]
        if not people and kind != StepKind.CIRCULATE:
            raise RouteNoApprover(
                f"経路の{n}番目のステップに承認者がいません(申請者本人は承認者になれません)。",
                details={"step": n},
            )
        if people:
            route.append((kind, people))
    if not any(kind != StepKind.CIRCULATE for kind, _ in route):
        raise RouteNoApprover()
    return route


def _delegated(kind: str, *, principal_ids: Iterable[int], proxy_id: int, day: date) -> list[int]:
    rows = Delegation.objects.filter(kind=kind, proxy_id=proxy_id, principal_id__in=list(principal_ids)).filter(
        Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return list(rows.values_list("principal_id", flat=True))


def _next_serial(form: WorkflowForm, year: int) -> int:
    table = connection.ops.quote_name(FormCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (form_id, fiscal_year, last_number) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (form_id, fiscal_year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [form.pk, year],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _check_files(form: WorkflowForm, files: Sequence[UploadedFile]) -> None:
    if files and not form.allows_attachments:
        raise RequestFieldInvalid("この様式にはファイルを添付できません。", code="attachments_not_allowed")
    if len(files) > MAX_ATTACHMENTS:
        raise RequestFieldInvalid(f"添付ファイルは{MAX_ATTACHMENTS}個までです。", code="too_many_attachments")
    for upload in files:
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            raise FileTooLarge(
                f"「{upload.name}」は大きすぎます(1ファイル{MAX_ATTACHMENT_BYTES // (1024 * 1024)}MBまで)。",
                details={"file": upload.name},
            )


def _store_files(request: WorkflowRequest, files: Sequence[UploadedFile], stored: list[str]) -> None:
    storage = storages["groupware"]
    for upload in files:
        key = storage.save(f"{current_schema()}/workflow/{request.pk}/{uuid.uuid4().hex}", upload)
        stored.append(key)
        RequestAttachment.objects.create(
            request=request, name=(upload.name or "file")[:200], storage_key=key, size=upload.size or 0
        )


def _activate(request: WorkflowRequest, *, actor: Person) -> None:
    """Move to the next approval step; 回覧 steps on the way are sent round without blocking; past the last
    step the request is approved (and creates what its form says)."""
    for step in request.steps.filter(order__gt=request.current_step).order_by("order"):
        request.current_step = step.order
        if step.kind == StepKind.CIRCULATE:
            step.state = StepState.DONE
            step.save(update_fields=["state"])
            notify(
                recipient_ids=step.approver_ids,
                kind="approval",
                text=f"回覧: {request.form.name}「{request.title}」({request.applicant_name}さん)",
                url=f"/groupware/requests/{request.pk}/",
            )
            continue
        step.state = StepState.ACTIVE
        step.save(update_fields=["state"])
        request.save(update_fields=["current_step"])
        notify(
            recipient_ids=step.approver_ids,
            kind="approval",
            text=f"承認依頼: {request.form.name}「{request.title}」({request.applicant_name}さん)",
            url=f"/groupware/requests/{request.pk}/",
        )
        return
    request.status = RequestStatus.APPROVED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at", "current_step"])
    notify(
        recipient_ids={request.applicant_id, request.submitted_by_id},
        kind="approval",
        text=f"承認されました: {request.form.name}「{request.title}」",
        url=f"/groupware/requests/{request.pk}/",
    )
    if request.form.creates == WorkflowForm.Creates.SCHEDULE:
        _create_schedule(request, actor=actor)


def _create_schedule(request: WorkflowRequest, *, actor: Person) -> None:
    from groupware.services.schedule import create_event

    applicant = Person.objects.get(pk=request.applicant_id)
    event = create_event(
        actor=actor,
        organiser=applicant,
        title=f"{request.form.name}: {request.title}",
        starts_at=datetime.fromisoformat(request.data["starts_at"]),
        ends_at=datetime.fromisoformat(request.data["ends_at"]),
        location=str(request.data.get("destination", ""))[:200],
        description=f"申請 {request.number} の承認により登録",
    )
    request.event_id = event.pk
    request.save(update_fields=["event_id"])


@dataclass(frozen=True)
class _Submission:
    """A request checked and ready to be stored: the form, who applies, the cleaned values and the route."""

    form: WorkflowForm
    applicant: Person
    title: str
    data: dict[str, Any]
    route: list[tuple[str, list[dict[str, Any]]]]
    day: date


def _check_submission(
    *,
    actor: Person,
    form_id: int,
    title: str,
    data: dict[str, Any],
    applicant: Person,
    route: Sequence[StepSpec] | None,
    files: Sequence[UploadedFile],
) -> _Submission:
    """Everything a submission is refused for, checked before the transaction opens."""
    form = WorkflowForm.objects.filter(pk=form_id, is_active=True).prefetch_related("steps").first()
    if form is None:
        raise FormNotFound()
    today = local_today()
    if applicant.pk != actor.pk and not _delegated(
        Delegation.Kind.APPLY, principal_ids=[applicant.pk], proxy_id=actor.pk, day=today
    ):
        raise NotDelegated(f"{applicant.full_name}さんの代理申請の設定がありません。")
    title = title.strip()
    if not title or len(title) > 200:
        raise RequestFieldInvalid("件名を200文字以内で入力してください。", details={"field": "title"})
    clean = clean_data(form, data)
    if form.creates == WorkflowForm.Creates.SCHEDULE and "starts_at" in clean and "ends_at" in clean:
        from groupware.services.schedule import check_period

        check_period(datetime.fromisoformat(clean["starts_at"]), datetime.fromisoformat(clean["ends_at"]))
    if route is not None:
        if not form.route_editable:
            raise RouteLocked()
        check_steps(route)
    specs = (
        route
        if route is not None
        else [StepSpec(s.kind, s.approver_ids, s.applicant_unit_manager) for s in form.steps.all()]
    )
    resolved = _resolve_route(applicant, specs, today)
    _check_files(form, files)
    return _Submission(form, applicant, title, clean, resolved, today)


def _store_request(plan: _Submission, *, actor: Person) -> WorkflowRequest:
    """The request row (its number allocated), its steps and the submit action; inside the caller's transaction."""
    form, applicant = plan.form, plan.applicant
    year = fiscal_year(plan.day)
    request = WorkflowRequest.objects.create(
        form=form,
        fiscal_year=year,
        serial=_next_serial(form, year),
        title=plan.title,
        data=plan.data,
        applicant_id=applicant.pk,
        applicant_name=applicant.full_name,
        submitted_by_id=actor.pk,
        submitted_by_name=actor.full_name,
        status=RequestStatus.IN_PROGRESS,
        search_grams=search.grams(plan.title, form.name, *(str(v) for v in plan.data.values())),
    )
    RequestStep.objects.bulk_create(
        RequestStep(request=request, order=n, kind=kind, approvers=people)
        for n, (kind, people) in enumerate(plan.route, start=1)
    )
    RequestAction.objects.create(
        request=request,
        kind=RequestAction.Kind.SUBMIT,
        actor_id=actor.pk,
        actor_name=actor.full_name,
        on_behalf_of_id=applicant.pk if applicant.pk != actor.pk else None,
        on_behalf_of_name=applicant.full_name if applicant.pk != actor.pk else "",
    )
    return request


def submit_request(
    *,
    actor: Person,
    form_id: int,
    title: str,
    data: dict[str, Any],
    applicant: Person | None = None,
    route: Sequence[StepSpec] | None = None,
    files: Sequence[UploadedFile] = (),
) -> WorkflowRequest:
    """Submit a request — for oneself, or for ``applicant`` as their proxy (代理申請, needs a delegation)."""
    applicant = applicant or actor
    plan = _check_submission(
        actor=actor, form_id=form_id, title=title, data=data, applicant=applicant, route=route, files=files
    )
    stored: list[str] = []
    try:
        with transaction.atomic():
            request = _store_request(plan, actor=actor)
            _store_files(request, files, stored)
            audit.record(
                actor=actor,
                action="workflow.submit",
                obj=(WorkflowRequest, request.pk, request.number),
                details={"applicant": applicant.pk, "route_changed": route is not None, "files": len(files)},
            )
            _activate(request, actor=actor)
    except Exception:
        for key in stored:
            storages["groupware"].delete(key)
        raise
    return request


# --- deciding -----------------------------------------------------------------------------------------------


def _locked(request_id: int) -> WorkflowRequest:
    request = WorkflowRequest.objects.select_for_update().select_related("form").filter(pk=request_id).first()
    if request is None:
        raise RequestNotFound()
    return request


def _principal(actor: Person, request: WorkflowRequest, step: RequestStep) -> int:
    """For whom the actor acts on the step: themself, or a principal who delegated approval to them (代理承認)."""
    if actor.pk in {request.applicant_id, request.submitted_by_id}:
        raise SelfApproval()
    waiting = [pk for pk in step.approver_ids if pk not in step.approved_ids]
    if actor.pk in waiting:
        return actor.pk
    principals = _delegated(Delegation.Kind.APPROVE, principal_ids=waiting, proxy_id=actor.pk, day=local_today())
    principals = [pk for pk in waiting if pk in principals and pk != request.applicant_id]
    if not principals:
        raise NotYourTurn()
    return principals[0]


def _active_step(request: WorkflowRequest) -> RequestStep:
    if request.status != RequestStatus.IN_PROGRESS:
        raise RequestStateInvalid()
    step = request.steps.select_for_update().filter(order=request.current_step, state=StepState.ACTIVE).first()
    if step is None:
        raise RequestStateInvalid()
    return step


def _act(
    request: WorkflowRequest, step: RequestStep | None, kind: str, actor: Person, principal: int, comment: str
) -> None:
    names = staff_names([principal]) if principal != actor.pk else {}
    RequestAction.objects.create(
        request=request,
        step_order=step.order if step else None,
        kind=kind,
        actor_id=actor.pk,
        actor_name=actor.full_name,
        on_behalf_of_id=principal if principal != actor.pk else None,
        on_behalf_of_name=names.get(principal, ""),
        comment=comment[:500],
    )


def approve_request(*, actor: Person, request_id: int, comment: str = "") -> WorkflowRequest:
    """Approve the current step (as an approver or as a proxy). An "any" step is done with one approval, an
    "all" step when everyone on it has approved."""
    with transaction.atomic():
        request = _locked(request_id)
        step = _active_step(request)
        principal = _principal(actor, request, step)
        step.approved_ids = [*step.approved_ids, principal]
        done = step.kind == StepKind.ANY or set(step.approver_ids) <= set(step.approved_ids)
        if done:
            step.state = StepState.DONE
        step.save(update_fields=["approved_ids", "state"])
        _act(request, step, RequestAction.Kind.APPROVE, actor, principal, comment)
        audit.record(
            actor=actor,
            action="workflow.approve",
            obj=(WorkflowRequest, request.pk, request.number),
            details={"step": step.order, "on_behalf_of": principal if principal != actor.pk else None},
        )
        if done:
            _activate(request, actor=actor)
    return request


def return_request(*, actor: Person, request_id: int, comment: str) -> WorkflowRequest:
    """差し戻し: back to the applicant with a reason; they may resubmit or withdraw it."""
    if not comment.strip():
        raise RequestFieldInvalid("差し戻しの理由を入力してください。", details={"field": "comment"})
    with transaction.atomic():
        request = _locked(request_id)
        step = _active_step(request)
        principal = _principal(actor, request, step)
        request.status = RequestStatus.RETURNED
        request.save(update_fields=["status"])
        _act(request, step, RequestAction.Kind.RETURN, actor, principal, comment)
        audit.record(
            actor=actor,
            action="workflow.return",
            obj=(WorkflowRequest, request.pk, request.number),
            details={"step": step.order},
        )
        notify(
            recipient_ids={request.applicant_id, request.submitted_by_id},
            kind="approval",
            text=f"差し戻されました: {request.form.name}「{request.title}」",
            url=f"/groupware/requests/{request.pk}/",
        )
    return request


def _owns(actor: Person, request: WorkflowRequest) -> None:
    if actor.pk in {request.applicant_id, request.submitted_by_id}:
        return
    if not _delegated(
        Delegation.Kind.APPLY, principal_ids=[request.applicant_id], proxy_id=actor.pk, day=local_today()
    ):
        raise RequestNotFound()


def resubmit_request(
    *, actor: Person, request_id: int, title: str | None = None, data: dict[str, Any] | None = None
) -> WorkflowRequest:
    """Send a returned request round again from its first step, with the same number."""
    with transaction.atomic():
        request = _locked(request_id)
        _owns(actor, request)
        if request.status != RequestStatus.RETURNED:
            raise RequestStateInvalid()
        if data is not None:
            request.data = clean_data(request.form, data)
        if title is not None and title.strip():
            request.title = title.strip()[:200]
        request.status = RequestStatus.IN_PROGRESS
        request.current_step = 0
        request.search_grams = search.grams(request.title, request.form.name, *(str(v) for v in request.data.values()))
        request.save(update_fields=["data", "title", "status", "current_step", "search_grams"])
        request.steps.update(state=StepState.WAITING, approved_ids=[])
        _act(request, None, RequestAction.Kind.RESUBMIT, actor, actor.pk, "")
        audit.record(actor=actor, action="workflow.resubmit", obj=(WorkflowRequest, request.pk, request.number))
        _activate(request, actor=actor)
    return request


def withdraw_request(*, actor: Person, request_id: int) -> WorkflowRequest:
    """取下げ by the applicant (or the one who submitted it) while it is in progress or returned."""
    with transaction.atomic():
        request = _locked(request_id)
        _owns(actor, request)
        if request.status not in {RequestStatus.IN_PROGRESS, RequestStatus.RETURNED}:
            raise RequestStateInvalid()
        request.status = RequestStatus.WITHDRAWN
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        request.steps.filter(state=StepState.ACTIVE).update(state=StepState.WAITING)
        _act(request, None, RequestAction.Kind.WITHDRAW, actor, actor.pk, "")
        audit.record(actor=actor, action="workflow.withdraw", obj=(WorkflowRequest, request.pk, request.number))
    return request


def confirm_circulation(*, actor: Person, request_id: int) -> WorkflowRequest:
    """回覧の確認: a person on a 回覧 step the request has passed records that they have seen it (once)."""
    with transaction.atomic():
        request = _locked(request_id)
        steps = request.steps.filter(kind=StepKind.CIRCULATE, state=StepState.DONE)
        if not any(actor.pk in step.approver_ids for step in steps):
            raise NotYourTurn("この申請の回覧先ではありません。")
        if not request.actions.filter(kind=RequestAction.Kind.CONFIRM, actor_id=actor.pk).exists():
            _act(request, None, RequestAction.Kind.CONFIRM, actor, actor.pk, "")
            audit.record(actor=actor, action="workflow.confirm", obj=(WorkflowRequest, request.pk, request.number))
    return request


def delegate(
    *, actor: Person, kind: str, principal: Person, proxy: Person, valid_from: date, valid_to: date | None = None
) -> Delegation:
    """Record a 代理 (the principal themself or IT staff set it up)."""
    if kind not in Delegation.Kind.values:
        raise FormInvalid("代理の種別が正しくありません。")
    if principal.pk == proxy.pk:
        raise FormInvalid("本人を代理者にはできません。", code="delegation_self")
    if valid_to is not None and valid_to < valid_from:
        raise FormInvalid("終了日は開始日以後にしてください。", code="period_invalid")
    with transaction.atomic():
        row = Delegation.objects.create(
            kind=kind,
            principal_id=principal.pk,
            principal_name=principal.full_name,
            proxy_id=proxy.pk,
            proxy_name=proxy.full_name,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        audit.record(actor=actor, action="workflow.delegate", obj=row, details={"kind": kind})
    return row


AUDIT_LABELS = {
    "workflow.form_define": "ワークフロー: 申請様式の定義",
    "workflow.submit": "ワークフロー: 申請",
    "workflow.approve": "ワークフロー: 承認",
    "workflow.return": "ワークフロー: 差し戻し",
    "workflow.resubmit": "ワークフロー: 再申請",
    "workflow.withdraw": "ワークフロー: 取下げ",
    "workflow.confirm": "ワークフロー: 回覧確認",
    "workflow.delegate": "ワークフロー: 代理の設定",
    "workflow.attachment_download": "ワークフロー: 添付ファイルのダウンロード",
}

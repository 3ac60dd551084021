"""申請様式の定義 (workflow forms, IT staff): the fields and the default route (docs/domain/groupware.md §4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from common import audit
from groupware import org
from groupware.errors import (
    FormInvalid,
    NotDelegated,
    RouteNoApprover,
)
from groupware.models import (
    FormStep,
    StepKind,
    WorkflowForm,
)
from groupware.people import roles_here
from tenants.models import Person, Role

FIELD_TYPES = {"text", "textarea", "date", "datetime", "number"}


@dataclass(frozen=True)
class StepSpec:
    kind: str
    approver_ids: Sequence[int] = ()
    applicant_unit_manager: bool = False


def check_fields(fields: Any) -> list[dict[str, Any]]:
    if not isinstance(fields, list):
        raise FormInvalid("入力項目はリストで指定してください。")
    seen: set[str] = set()
    clean = []
    for field in fields:
        if not isinstance(field, dict):
            raise FormInvalid("入力項目の指定が正しくありません。")
        name, label, kind = str(field.get("name", "")), str(field.get("label", "")), field.get("type", "text")
        if not name.isidentifier() or name in seen or not label:
            raise FormInvalid(f"入力項目「{label or name}」の名前が正しくないか重複しています。")
        if kind not in FIELD_TYPES:
            raise FormInvalid(f"入力項目「{label}」の種類が正しくありません: {kind}")
        seen.add(name)
        clean.append({"name": name, "label": label, "type": kind, "required": bool(field.get("required"))})
    return clean


def check_steps(steps: Sequence[StepSpec]) -> None:
    if not steps:
        raise RouteNoApprover("経路に1つ以上のステップを指定してください。")
    for spec in steps:
        if spec.kind not in StepKind.values:
            raise FormInvalid(f"ステップの種別が正しくありません: {spec.kind}")
        if spec.kind != StepKind.CIRCULATE and not spec.approver_ids and not spec.applicant_unit_manager:
            raise RouteNoApprover()
    if all(spec.kind == StepKind.CIRCULATE for spec in steps):
        raise RouteNoApprover("承認のステップが1つもありません。")


def define_form(
    *,
    actor: Person,
    code: str,
    name: str,
    fields: list[dict[str, Any]],
    steps: Sequence[StepSpec],
    description: str = "",
    allows_attachments: bool = False,
    route_editable: bool = False,
    creates: str = "",
) -> WorkflowForm:
    """Define a request form with its default route (IT staff only)."""
    if Role.IT_ADMIN not in roles_here(actor, org.current_town()):
        raise NotDelegated("申請様式を定義できるのは情報システム担当だけです。", code="not_it_admin")
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise FormInvalid("様式コードと様式名を入力してください。")
    clean = check_fields(fields)
    check_steps(steps)
    if creates == WorkflowForm.Creates.SCHEDULE and not {"starts_at", "ends_at"} <= {
        f["name"] for f in clean if f["type"] == "datetime"
    }:
        raise FormInvalid("予定を作成する様式には日時の項目 starts_at と ends_at が必要です。")
    with transaction.atomic():
        if WorkflowForm.objects.filter(code=code).exists():
            raise FormInvalid(f"様式コード {code} は既に使われています。")
        form = WorkflowForm.objects.create(
            code=code,
            name=name,
            description=description,
            fields=clean,
            allows_attachments=allows_attachments,
            route_editable=route_editable,
            creates=creates,
        )
        FormStep.objects.bulk_create(
            FormStep(
                form=form,
                order=n,
                kind=spec.kind,
                approver_ids=[int(pk) for pk in spec.approver_ids],
                applicant_unit_manager=spec.applicant_unit_manager,
            )
            for n, spec in enumerate(steps, start=1)
        )
        audit.record(actor=actor, action="workflow.form_define", obj=form, details={"code": code})
    return form

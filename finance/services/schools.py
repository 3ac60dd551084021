"""Schools: a 配当 from the 教育費 款 to each school; a teacher's 物品購入依頼 that the school office turns into a
支出負担行為 against the school's 配当 (docs/domain/finance.md §10).

A teacher's school is their 主務 posting to a unit of kind 学校 (tenants.organisation), never chosen by them.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Sum

from common import audit
from common.dates import local_today
from common.tenancy import current_schema
from finance import rules
from finance.errors import BudgetExceeded, FinanceError, WrongState
from finance.models import (
    BudgetLine,
    Commitment,
    CommitmentStatus,
    PurchaseRequest,
    PurchaseRequestStatus,
    SchoolAllotment,
    Side,
)
from finance.services.common import actor_name, figures, lock_lines, require_role
from finance.services.expenditure import commit_expenditure
from tenants import organisation
from tenants.models import Municipality, OrgUnit, OrgUnitKind, Person, Role

EDUCATION_KAN = "10"  # 教育費 (地方自治法施行規則 別記)


class NotATeacherOfASchool(FinanceError):
    code = "finance_no_school"
    message = "学校への配属(主務)がないため、学校の予算を表示・依頼できません。"
    status_code = 403


def school_of(person: Person, day: date | None = None) -> OrgUnit:
    """The school of the person's 主務 posting in this town on ``day``."""
    town = Municipality.objects.get(schema_name=current_schema())
    unit = organisation.primary_unit(person, town, day or local_today())
    if unit is None or unit.kind != OrgUnitKind.SCHOOL:
        raise NotATeacherOfASchool()
    return unit


def school_balance(school_code: str, *, year: int) -> tuple[int, int]:
    """(配当額, 負担行為済額) of a school in a year: its commitments carry its 所属コード."""
    allotted = SchoolAllotment.objects.filter(school_code=school_code, line__fiscal_year__year=year).aggregate(
        total=Sum("amount", default=0)
    )["total"]
    committed = (
        Commitment.objects.filter(department_code=school_code, fiscal_year=year)
        .exclude(status=CommitmentStatus.CANCELLED)
        .aggregate(total=Sum("amount", default=0))["total"]
    )
    return allotted, committed


def allot_to_school(*, actor: Person, line: BudgetLine, school_code: str, amount: int, on: date) -> SchoolAllotment:
    """配当: part of a 教育費 節 set aside for one school; the 節's 配当 never exceed what it has left."""
    require_role(actor, Role.FINANCE_OFFICER, doing="学校への配当")
    amount = rules.require_amount(amount)
    if line.side != Side.EXPENDITURE or not line.budget_code.startswith(f"{EDUCATION_KAN}-"):
        raise FinanceError("学校への配当は教育費(款10)の節からのみできます。", code="finance_not_education")
    town = Municipality.objects.get(schema_name=current_schema())
    school = organisation.unit_by_code(town, school_code, on)
    if school is None or school.kind != OrgUnitKind.SCHOOL:
        raise FinanceError(f"所属コード {school_code} の学校はありません。", code="finance_school_not_found")
    with transaction.atomic():
        line = lock_lines([line])[line.pk]
        already = line.school_allotments.aggregate(total=Sum("amount", default=0))["total"]
        available = figures(line).available
        if already + amount > available:
            raise BudgetExceeded(
                f"{line.label} の残額 {available:,}円 のうち配当済 {already:,}円 のため、"
                f"{amount:,}円 は配当できません。"
            )
        allotment = SchoolAllotment.objects.create(
            line=line,
            school_code=school.code,
            school_name=school.name,
            amount=amount,
            allotted_on=on,
            allotted_by_id=actor.pk,
            allotted_by_name=actor_name(actor),
        )
        audit.record(
            actor=actor, action="finance.school_allot", obj=allotment, details={"school": school.code, "amount": amount}
        )
    return allotment


def request_purchase(
    *, actor: Person, item: str, quantity: int, estimated_amount: int, reason: str = ""
) -> PurchaseRequest:
    """物品購入依頼 by a teacher, for the school of their posting."""
    require_role(actor, Role.TEACHER, Role.SCHOOL_OFFICE, doing="物品購入依頼")
    school = school_of(actor)
    estimated_amount = rules.require_amount(estimated_amount)
    if not item.strip():
        raise FinanceError("品名・内容を入力してください。", code="finance_item_required")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise FinanceError("数量は1以上の整数で入力してください。", code="finance_invalid_quantity")
    with transaction.atomic():
        request = PurchaseRequest.objects.create(
            school_code=school.code,
            school_name=school.name,
            item=item.strip(),
            quantity=quantity,
            estimated_amount=estimated_amount,
            reason=reason.strip(),
            status=PurchaseRequestStatus.REQUESTED,
            requested_by_id=actor.pk,
            requested_by_name=actor_name(actor),
        )
        audit.record(
            actor=actor,
            action="finance.purchase_request",
            obj=request,
            details={"school": school.code, "amount": estimated_amount},
        )
    return request


def commit_purchase_request(
    *, actor: Person, request: PurchaseRequest, line: BudgetLine, amount: int, payee_name: str, committed_on: date
) -> Commitment:
    """The school office turns a request into a 支出負担行為, refused above the school's 配当残額 (and, as any
    commitment, above the 節's remaining budget)."""
    require_role(actor, Role.SCHOOL_OFFICE, doing="物品購入依頼の支出負担行為")
    amount = rules.require_amount(amount)
    with transaction.atomic():
        request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != PurchaseRequestStatus.REQUESTED:
            raise WrongState(f"この依頼は「{request.get_status_display()}」です。")
        if not line.school_allotments.filter(school_code=request.school_code).exists():
            raise FinanceError(
                f"{line.label} は {request.school_name} に配当されていません。", code="finance_not_allotted"
            )
        lock_lines([line])
        allotted, committed = school_balance(request.school_code, year=line.fiscal_year.year)
        if committed + amount > allotted:
            raise BudgetExceeded(
                f"{request.school_name} の配当残額が不足しています: 配当額 {allotted:,}円 − 負担行為済額 "
                f"{committed:,}円 = 残額 {allotted - committed:,}円 に対し、{amount:,}円 です。"
            )
        commitment = commit_expenditure(
            actor=actor,
            line=line,
            amount=amount,
            purpose=f"{request.item}({request.quantity}点)",
            committed_on=committed_on,
            payee_name=payee_name,
            department_code=request.school_code,
            department_name=request.school_name,
        )
        request.status = PurchaseRequestStatus.COMMITTED
        request.commitment_number = commitment.number
        request.handled_by_name = actor_name(actor)
        request.save(update_fields=["status", "commitment_number", "handled_by_name"])
    return commitment

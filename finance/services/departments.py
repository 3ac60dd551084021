"""予算配当 to 課 (optional per town): the 財政担当 sets part of a 歳出 節 aside for a 課, and while a 節 has 配当
the 課's commitments on it stay within their 配当 as well as within the 節's remaining budget
(docs/domain/finance.md §5.7). Both checks run under the 節's row lock, inside the commitment's transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Sum

from common import audit, town_settings
from common.dates import local_today
from common.tenancy import current_schema
from finance import rules
from finance.errors import BudgetExceeded, FinanceError
from finance.models import BudgetLine, Commitment, CommitmentStatus, DepartmentAllotment, Side
from finance.services.common import actor_name, figures, lock_lines, require_open, require_role
from tenants import organisation
from tenants.models import Municipality, OrgUnitKind, Person, Role

DEPARTMENT_ALLOTMENT = "finance.department_allotment"
ON_VALUES = frozenset({"する", "on", "1", "はい"})
SETTINGS = (
    town_settings.SettingSpec(
        DEPARTMENT_ALLOTMENT,
        "課への予算配当を行う",
        "text",
        "しない",
        "「する」にすると、財政担当が節の予算を課に配当し、課の支出負担行為は配当残額の範囲に限られます。",
    ),
)
# Units that can hold a 課 配当: schools have their own 配当 (finance.services.schools).
ALLOTTABLE_KINDS = frozenset(
    {OrgUnitKind.DEPARTMENT, OrgUnitKind.DIVISION, OrgUnitKind.SECTION, OrgUnitKind.OFFICE, OrgUnitKind.BOARD}
)


class AllotmentOff(FinanceError):
    code = "finance_allotment_off"
    message = "この町では課への予算配当を行っていません(設定「課への予算配当を行う」)。"


def allotment_on(day: date | None = None) -> bool:
    return town_settings.setting_in_force(DEPARTMENT_ALLOTMENT, on=day).strip().lower() in ON_VALUES


def department_balance(line: BudgetLine, department_code: str) -> tuple[int, int]:
    """(配当額, 負担行為済額) of one 課 on one 節: its commitments carry its 所属コード."""
    allotted = DepartmentAllotment.objects.filter(line=line, department_code=department_code).aggregate(
        total=Sum("amount", default=0)
    )["total"]
    committed = (
        Commitment.objects.filter(line=line, department_code=department_code)
        .exclude(status=CommitmentStatus.CANCELLED)
        .aggregate(total=Sum("amount", default=0))["total"]
    )
    return allotted, committed


def commitment_department(actor: Person, on: date) -> tuple[str, str]:
    """With 配当 on, the 課 a clerk's commitment is charged to when none is given: the clerk's 主務 unit ("" when
    they have none, and the caller falls back to the 節's 所管課)."""
    town = Municipality.objects.get(schema_name=current_schema())
    unit = organisation.primary_unit(actor, town, on)
    if unit is None or unit.kind not in ALLOTTABLE_KINDS:
        return "", ""
    return unit.code, unit.name


def require_within_allotment(line: BudgetLine, department_code: str, amount: int) -> None:
    """The 課 check of the hard stop, when the town allots (``allotment_on``). The caller holds ``line``'s row
    lock, so every commitment on the 節 (and every 配当 of it) waits for this transaction: the sums read here
    stay true until it ends."""
    if not line.department_allotments.exists():
        return  # a 節 without 配当 is executed against the 節 alone
    allotted, committed = department_balance(line, department_code)
    if allotted == 0:
        raise BudgetExceeded(
            f"{line.label} は 課 {department_code or '(未指定)'} に配当されていないため、支出負担行為はできません。",
            details={"line": line.label, "department": department_code, "allotted": 0, "requested": amount},
        )
    if committed + amount > allotted:
        raise BudgetExceeded(
            f"課の配当残額が不足しています: {line.label} の配当額 {allotted:,}円 − 負担行為済額 {committed:,}円 = "
            f"残額 {allotted - committed:,}円 に対し、{amount:,}円 です。",
            details={
                "line": line.label,
                "department": department_code,
                "allotted": allotted,
                "committed": committed,
                "requested": amount,
            },
        )


def allot_to_department(
    *, actor: Person, line: BudgetLine, department_code: str, amount: int, on: date | None = None
) -> DepartmentAllotment:
    """予算配当 to a 課: the 配当 of a 節 together never exceed its 予算現額 − 翌年度繰越額."""
    require_role(actor, Role.FINANCE_OFFICER, doing="課への予算配当")
    day = on or local_today()
    if not allotment_on(day):
        raise AllotmentOff()
    amount = rules.require_amount(amount)
    if line.side != Side.EXPENDITURE:
        raise FinanceError("予算配当は歳出の節にのみできます。", code="finance_allot_revenue")
    town = Municipality.objects.get(schema_name=current_schema())
    unit = organisation.unit_by_code(town, department_code.strip(), day)
    if unit is None or unit.kind not in ALLOTTABLE_KINDS:
        raise FinanceError(f"所属コード {department_code} の課はありません。", code="finance_department_not_found")
    with transaction.atomic():
        line = lock_lines([line])[line.pk]
        require_open(line.fiscal_year)
        already = line.department_allotments.aggregate(total=Sum("amount", default=0))["total"]
        current = figures(line)
        ceiling = current.current_budget - current.carried_out
        if already + amount > ceiling:
            raise BudgetExceeded(
                f"{line.label} の予算現額 {ceiling:,}円 のうち配当済 {already:,}円 のため、"
                f"{amount:,}円 は配当できません。",
                details={"line": line.label, "allotted": already, "ceiling": ceiling, "requested": amount},
            )
        allotment = DepartmentAllotment.objects.create(
            line=line,
            department_code=unit.code,
            department_name=unit.name,
            amount=amount,
            allotted_on=day,
            allotted_by_id=actor.pk,
            allotted_by_name=actor_name(actor),
        )
        audit.record(
            actor=actor,
            action="finance.department_allot",
            obj=allotment,
            details={"line": line.label, "department": unit.code, "amount": amount},
        )
    return allotment

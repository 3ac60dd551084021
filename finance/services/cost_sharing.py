"""協議会負担金: the council's annual cost divided among the member towns by 均等割 + 人口割 + 利用割, approved by
the council's staff and posted in each town as a 支出負担行為 (節 18 負担金補助及び交付金).

The plan lives in the council's schema; posting is one cross-town service that commits in every town's schema
inside one database transaction (all towns or none) and audits in each. Rules: docs/domain/finance.md §9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django_tenants.utils import schema_context

from common import audit
from common.tenancy import current_schema
from common.usage import measure_usage, usage_metrics
from finance import rules
from finance.errors import FinanceError, WrongState
from finance.models import CommitmentKind, CostSharingLine, CostSharingPlan, CostSharingStatus
from finance.services.common import actor_name, find_line, lock_lines, require_other_person, require_role
from finance.services.expenditure import _commit_locked
from resident_records.selectors import population_on
from tenants.models import Municipality, Person, Role

TOKYO = ZoneInfo("Asia/Tokyo")


def allocate_yen(total: int, weights: Sequence[Fraction]) -> list[int]:
    """Split ``total`` yen by ``weights``: each share 円未満切捨て, the yen left over go one each to the largest
    fractional remainders (earlier first on a tie), so the shares add up to ``total`` exactly (§9.4)."""
    whole = sum(weights, Fraction(0))
    if whole == 0:
        weights, whole = [Fraction(1)] * len(weights), Fraction(len(weights))
    exact = [Fraction(total) * weight / whole for weight in weights]
    shares = [int(value) for value in exact]  # exact is never negative: floor
    left = total - sum(shares)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in order[:left]:
        shares[index] += 1
    return shares


@dataclass(frozen=True)
class TownInput:
    schema: str
    name: str
    member_days: int
    population: int
    staff: int
    certificates: int
    storage_mb: int


@dataclass(frozen=True)
class Shares:
    equal: list[int]
    population: list[int]
    usage: list[int]


def _proportion(values: Sequence[int], members: Sequence[int]) -> list[Fraction]:
    total = sum(values[i] for i in members)
    shares = [Fraction(0)] * len(values)
    for i in members:
        # Nobody measured anything (a component not yet in use): that component is shared equally.
        shares[i] = Fraction(values[i], total) if total else Fraction(1, len(members))
    return shares


def compute_shares(
    *,
    total_cost: int,
    percents: tuple[int, int, int],
    usage_weights: tuple[int, int, int],
    towns: Sequence[TownInput],
    year: int,
    withdrawals: dict[str, date],
) -> Shares:
    """The formula, pure: the year is cut at each withdrawal date; each stretch's part of the cost is shared by the
    towns that were members during it (a town stops sharing from its withdrawal date)."""
    start, end = rules.year_start(year), rules.year_end(year)
    year_days = (end - start).days + 1
    cuts = sorted({day for day in withdrawals.values() if start < day <= end})
    bounds = [start, *cuts, end + timedelta(days=1)]
    equal_w = [Fraction(0)] * len(towns)
    population_w = [Fraction(0)] * len(towns)
    usage_w = [Fraction(0)] * len(towns)
    for first, after in pairwise(bounds):
        members = [i for i, town in enumerate(towns) if withdrawals.get(town.schema, date.max) > first]
        if not members:
            raise FinanceError("負担する構成町がいない期間があります。", code="finance_no_members")
        part = Fraction((after - first).days, year_days)
        populations = _proportion([t.population for t in towns], members)
        components = [
            _proportion([t.staff for t in towns], members),
            _proportion([t.certificates for t in towns], members),
            _proportion([t.storage_mb for t in towns], members),
        ]
        for i in members:
            equal_w[i] += part / len(members)
            population_w[i] += part * populations[i]
            usage_w[i] += part * sum(
                (
                    Fraction(weight, 100) * component[i]
                    for weight, component in zip(usage_weights, components, strict=True)
                ),
                Fraction(0),
            )
    parts = allocate_yen(total_cost, [Fraction(p) for p in percents])
    return Shares(
        equal=allocate_yen(parts[0], equal_w),
        population=allocate_yen(parts[1], population_w),
        usage=allocate_yen(parts[2], usage_w),
    )


def _withdrawal_day(town: Municipality) -> date | None:
    return town.withdrawn_at.astimezone(TOKYO).date() if town.withdrawn_at else None


def _schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return cursor.fetchone() is not None


def _measure(town: Municipality, *, base_date: date, since: date, until: date) -> tuple[int, int, int, int]:
    if not _schema_exists(town.schema_name):
        return 0, 0, 0, 0
    metrics = {metric.key: metric.component for metric in usage_metrics()}
    with schema_context(town.schema_name):
        population = population_on(base_date)
        measured = measure_usage(since, until)
    by_component = {"staff": 0, "certificates": 0, "storage": 0}
    for key, value in measured.items():
        by_component[metrics[key]] += value
    return population, by_component["staff"], by_component["certificates"], by_component["storage"]


def _require_council(actor: Person, *, doing: str) -> Municipality:
    council = Municipality.objects.filter(schema_name=current_schema(), kind=Municipality.Kind.COUNCIL).first()
    if council is None:
        raise FinanceError("協議会負担金は協議会(事務局)の画面で扱います。", code="finance_council_only")
    require_role(actor, Role.COUNCIL_STAFF, doing=doing)
    return council


def _member_inputs(
    *, fiscal_year: int, base: date, since: date, until: date
) -> tuple[list[TownInput], dict[str, date]]:
    """Each town that is a member during the year, measured, with the withdrawal dates of those leaving."""
    start = rules.year_start(fiscal_year)
    towns = [
        town
        for town in Municipality.objects.filter(kind=Municipality.Kind.TOWN).order_by("code")
        if (_withdrawal_day(town) or date.max) > start
    ]
    if not towns:
        raise FinanceError("負担する構成町がありません。", code="finance_no_members")
    end = rules.year_end(fiscal_year)
    inputs = []
    withdrawals: dict[str, date] = {}
    for town in towns:
        withdrawal = _withdrawal_day(town)
        if withdrawal is not None:
            withdrawals[town.schema_name] = withdrawal
        last = min(end, (withdrawal or date.max) - timedelta(days=1))
        population, staff, certificates, storage = _measure(town, base_date=base, since=since, until=until)
        inputs.append(
            TownInput(town.schema_name, town.name, (last - start).days + 1, population, staff, certificates, storage)
        )
    return inputs, withdrawals


def _create_lines(plan: CostSharingPlan, inputs: list[TownInput], shares: Shares) -> None:
    CostSharingLine.objects.bulk_create(
        CostSharingLine(
            plan=plan,
            town_schema=town.schema,
            town_name=town.name,
            member_days=town.member_days,
            population=town.population,
            staff=town.staff,
            certificates=town.certificates,
            storage_mb=town.storage_mb,
            equal_amount=shares.equal[i],
            population_amount=shares.population[i],
            usage_amount=shares.usage[i],
            total=shares.equal[i] + shares.population[i] + shares.usage[i],
        )
        for i, town in enumerate(inputs)
    )


def _check_formula(*, percents: tuple[int, int, int], usage_weights: tuple[int, int, int], budget_code: str) -> None:
    if sum(percents) != 100 or min(percents) < 0:
        raise FinanceError("均等割・人口割・利用割の割合は合計100%にしてください。", code="finance_percent_sum")
    if sum(usage_weights) != 100 or min(usage_weights) < 0:
        raise FinanceError("利用割の内訳の割合は合計100%にしてください。", code="finance_percent_sum")
    if len(rules.parse_budget_code(budget_code)) != 3:
        raise FinanceError("各町の計上科目は目まで(款-項-目)で指定してください。", code="finance_invalid_budget_code")


def _save_draft(plan: CostSharingPlan | None, fiscal_year: int, fields: dict[str, Any]) -> CostSharingPlan:
    """A new draft, or the existing draft overwritten with its lines dropped."""
    if plan is None:
        plan = CostSharingPlan.objects.create(fiscal_year=fiscal_year, **fields)
    else:
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
        plan.lines.all().delete()  # a draft's lines are recomputed, nothing was posted from them
    return plan


def calculate_cost_sharing(
    *,
    actor: Person,
    fiscal_year: int,
    total_cost: int,
    percents: tuple[int, int, int] = (30, 40, 30),
    usage_weights: tuple[int, int, int] = (40, 40, 20),
    population_base_date: date | None = None,
    usage_since: date | None = None,
    usage_until: date | None = None,
    budget_code: str = "02-01-01",
) -> CostSharingPlan:
    """試算: measure each member town and compute its shares; a draft is recomputed in place until approved."""
    _require_council(actor, doing="協議会負担金の試算")
    total_cost = rules.require_amount(total_cost)
    _check_formula(percents=percents, usage_weights=usage_weights, budget_code=budget_code)
    # Defaults: the population on 1 January before the year (the 住民基本台帳 figure towns report), the usage of
    # the previous fiscal year.
    base = population_base_date or date(fiscal_year, 1, 1)
    since = usage_since or rules.year_start(fiscal_year - 1)
    until = usage_until or rules.year_end(fiscal_year - 1)
    inputs, withdrawals = _member_inputs(fiscal_year=fiscal_year, base=base, since=since, until=until)
    shares = compute_shares(
        total_cost=total_cost,
        percents=percents,
        usage_weights=usage_weights,
        towns=inputs,
        year=fiscal_year,
        withdrawals=withdrawals,
    )
    with transaction.atomic():
        plan = CostSharingPlan.objects.select_for_update().filter(fiscal_year=fiscal_year).first()
        if plan is not None and plan.status != CostSharingStatus.DRAFT:
            raise WrongState(f"{fiscal_year}年度の協議会負担金は{plan.get_status_display()}のため試算し直せません。")
        fields = {
            "total_cost": total_cost,
            "equal_percent": percents[0],
            "population_percent": percents[1],
            "usage_percent": percents[2],
            "staff_weight": usage_weights[0],
            "certificate_weight": usage_weights[1],
            "storage_weight": usage_weights[2],
            "population_base_date": base,
            "usage_since": since,
            "usage_until": until,
            "budget_code": budget_code,
            "status": CostSharingStatus.DRAFT,
            "calculated_by_id": actor.pk,
            "calculated_by_name": actor_name(actor),
        }
        plan = _save_draft(plan, fiscal_year, fields)
        _create_lines(plan, inputs, shares)
        audit.record(
            actor=actor,
            action="finance.cost_sharing_calculate",
            obj=plan,
            details={"year": fiscal_year, "total": total_cost},
        )
    return plan


def approve_cost_sharing(*, actor: Person, plan: CostSharingPlan) -> CostSharingPlan:
    """承認 by council staff other than the one who calculated it."""
    _require_council(actor, doing="協議会負担金の承認")
    with transaction.atomic():
        plan = CostSharingPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != CostSharingStatus.DRAFT:
            raise WrongState(f"この協議会負担金は{plan.get_status_display()}です。")
        require_other_person(actor, [(plan.calculated_by_id, "試算")], doing="承認")
        plan.status = CostSharingStatus.APPROVED
        plan.approved_by_id = actor.pk
        plan.approved_by_name = actor_name(actor)
        plan.save(update_fields=["status", "approved_by_id", "approved_by_name"])
        audit.record(actor=actor, action="finance.cost_sharing_approve", obj=plan)
    return plan


def post_cost_sharing(*, actor: Person, plan: CostSharingPlan, committed_on: date) -> CostSharingPlan:
    """計上: a 支出負担行為 on 節 18 of the plan's 目 in every member town still in the council, in one transaction
    (all towns or none; the hard stop applies in each). A withdrawn town is billed by the council instead."""
    council = _require_council(actor, doing="協議会負担金の計上")
    with transaction.atomic():
        plan = CostSharingPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != CostSharingStatus.APPROVED:
            raise WrongState(f"この協議会負担金は{plan.get_status_display()}のため計上できません(承認後に計上します)。")
        towns = {town.schema_name: town for town in Municipality.objects.filter(kind=Municipality.Kind.TOWN)}
        year = rules.fiscal_year_of(committed_on)
        if year != plan.fiscal_year:
            raise FinanceError(
                f"計上日は{rules.wareki_year(plan.fiscal_year)}の日付にしてください。", code="finance_outside_period"
            )
        for line in plan.lines.select_for_update().order_by("town_schema"):
            town = towns.get(line.town_schema)
            if town is None or town.status == Municipality.Status.WITHDRAWN or line.total == 0:
                line.note = "脱退済のため計上せず(協議会から別途請求)" if line.total else "負担額なし"
                line.save(update_fields=["note"])
                continue
            with schema_context(line.town_schema):
                budget_line = find_line(year=year, budget_code=plan.budget_code, setsu=rules.SETSU_CONTRIBUTIONS)
                budget_line = lock_lines([budget_line])[budget_line.pk]
                commitment = _commit_locked(
                    actor=actor,
                    line=budget_line,
                    amount=line.total,
                    purpose=f"{rules.wareki_year(year)} {council.name} 負担金",
                    committed_on=committed_on,
                    payee_name=council.name,
                    vendor=None,
                    kind=CommitmentKind.NORMAL,
                    department_code="",
                    department_name="",
                    source_key=f"cost-sharing:{council.schema_name}:{year}",
                )
                audit.record(
                    actor=actor,
                    action="finance.cost_sharing_commit",
                    obj=commitment,
                    details={"council": council.schema_name, "year": year, "amount": line.total},
                )
            line.commitment_number = commitment.number
            line.save(update_fields=["commitment_number"])
        plan.status = CostSharingStatus.POSTED
        plan.posted_on = committed_on
        plan.save(update_fields=["status", "posted_on"])
        audit.record(actor=actor, action="finance.cost_sharing_post", obj=plan, details={"year": year})
    return plan

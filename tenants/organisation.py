"""The towns' and the council's organisation (組織) and who is posted where (配属), as of any date.

One place for it, used by every module that follows the organisation: groupware (calendars, workflow routes,
cabinet rights), finance (課 executing a budget, schools), payroll (所属 of a 職員). Rules:
docs/domain/organisation.md.

Services take an explicit ``actor`` and write a council audit row inside their transaction (the organisation is
council data, public schema). Town tables refer to a unit by ``OrgUnit.code`` plus a name snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from common import audit
from common.errors import ValidationFailed
from tenants.models import Municipality, OrgUnit, OrgUnitKind, Person, Posting


class OrganisationError(ValidationFailed):
    code = "organisation_invalid"
    message = "組織・配属の内容に誤りがあります。"


# --- selectors ----------------------------------------------------------------------------------------------


def units_on(municipality: Municipality, day: date) -> list[OrgUnit]:
    """Every unit of the town (or the council) in force on ``day``, in display order."""
    return list(OrgUnit.objects.active_on(day).filter(municipality=municipality).select_related("parent"))


def unit_by_code(municipality: Municipality, code: str, day: date) -> OrgUnit | None:
    return OrgUnit.objects.active_on(day).filter(municipality=municipality, code=code).first()


def descendant_ids(unit: OrgUnit, day: date) -> set[int]:
    """The unit and every unit below it on ``day`` (a 課's 係, a 部's 課 and 係)."""
    by_parent: dict[int | None, list[int]] = {}
    for current in units_on(unit.municipality, day):
        by_parent.setdefault(current.parent_id, []).append(current.pk)
    found, todo = {unit.pk}, [unit.pk]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def postings_on(
    day: date, *, person: Person | None = None, municipality: Municipality | None = None
) -> QuerySet[Posting]:
    """Postings in force on ``day``, optionally of one person and/or in one town."""
    rows = Posting.objects.active_on(day).select_related("unit", "unit__municipality", "person")
    if person is not None:
        rows = rows.filter(person=person)
    if municipality is not None:
        rows = rows.filter(unit__municipality=municipality)
    return rows


def primary_unit(person: Person, municipality: Municipality, day: date) -> OrgUnit | None:
    """The person's 主務 unit in this town on ``day`` (None when not posted there)."""
    posting = postings_on(day, person=person, municipality=municipality).filter(is_primary=True).first()
    return posting.unit if posting is not None else None


def members_of(unit: OrgUnit, day: date, *, descendants: bool = False) -> QuerySet[Posting]:
    """The postings in ``unit`` on ``day`` (with ``descendants=True``: also in every unit below it)."""
    ids = descendant_ids(unit, day) if descendants else {unit.pk}
    return (
        postings_on(day).filter(unit_id__in=ids).order_by("unit__sort_order", "-is_manager", "person__full_name_kana")
    )


# --- services -----------------------------------------------------------------------------------------------


def _check_parent(*, municipality: Municipality, kind: str, parent: OrgUnit | None, valid_from: date) -> None:
    if parent is None:
        return
    # A council unit may sit only under the council; a town's units only under the same town.
    if parent.municipality_id != municipality.pk:
        raise OrganisationError("上位組織は同じ自治体の組織を指定してください。", code="org_parent_other_town")
    if not parent.is_active_on(valid_from):
        raise OrganisationError("上位組織が設置日の時点で存在しません。", code="org_parent_inactive")
    if kind == OrgUnitKind.COUNCIL and parent.kind != OrgUnitKind.COUNCIL:
        raise OrganisationError("協議会の組織は協議会の組織の下にのみ置けます。", code="org_parent_kind")


def create_unit(
    *,
    actor: Person | None,
    municipality: Municipality,
    code: str,
    name: str,
    kind: str,
    valid_from: date,
    parent: OrgUnit | None = None,
    name_kana: str = "",
    sort_order: int = 0,
) -> OrgUnit:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise OrganisationError("所属コードと名称を入力してください。", code="org_unit_incomplete")
    if kind not in OrgUnitKind.values:
        raise OrganisationError(f"組織の種別が正しくありません: {kind}", code="org_unit_kind")
    _check_parent(municipality=municipality, kind=kind, parent=parent, valid_from=valid_from)
    with transaction.atomic():
        clash = OrgUnit.objects.filter(municipality=municipality, code=code).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
        if clash.exists():
            raise OrganisationError(
                f"所属コード {code} は既に使われています(廃止日より後に設置してください)。", code="org_code_in_use"
            )
        unit = OrgUnit.objects.create(
            municipality=municipality,
            code=code,
            name=name,
            name_kana=name_kana,
            kind=kind,
            parent=parent,
            sort_order=sort_order,
            valid_from=valid_from,
        )
        audit.record(
            actor=actor,
            action="organisation.unit_create",
            obj=unit,
            details={"municipality": municipality.schema_name, "code": code, "valid_from": valid_from.isoformat()},
            council=True,
        )
    return unit


def end_unit(*, actor: Person | None, unit: OrgUnit, valid_to: date) -> OrgUnit:
    """Abolish a unit after ``valid_to``. Refused while a unit below it or a posting in it continues after that."""
    if valid_to < unit.valid_from:
        raise OrganisationError("廃止日は設置日以後の日付にしてください。", code="org_period")
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        later = Q(valid_to__isnull=True) | Q(valid_to__gt=valid_to)
        if unit.children.filter(later).exists():
            raise OrganisationError(
                "廃止日より後も続く下位組織があります。先に下位組織を廃止してください。", code="org_has_children"
            )
        if unit.postings.filter(later).exists():
            raise OrganisationError(
                "廃止日より後も続く配属があります。先に人事異動で配属を移してください。", code="org_has_postings"
            )
        unit.valid_to = valid_to
        unit.save(update_fields=["valid_to"])
        audit.record(
            actor=actor,
            action="organisation.unit_end",
            obj=unit,
            details={"valid_to": valid_to.isoformat()},
            council=True,
        )
    return unit


def _check_posting(*, person: Person, unit: OrgUnit, valid_from: date, valid_to: date | None, is_primary: bool) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise OrganisationError("終了日は開始日以後の日付にしてください。", code="org_period")
    if not unit.is_active_on(valid_from) or (
        unit.valid_to is not None and (valid_to is None or valid_to > unit.valid_to)
    ):
        raise OrganisationError(f"{unit.name} はその期間に存在しません。", code="org_unit_inactive")
    if not is_primary:
        return
    overlapping = Posting.objects.filter(person=person, is_primary=True, unit__municipality_id=unit.municipality_id)
    overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if overlapping.exists():
        raise OrganisationError(
            f"{person.full_name} さんには同じ期間に別の主務の配属があります(兼務は主務にしないで登録してください)。",
            code="org_primary_overlap",
        )


def post_person(
    *,
    actor: Person | None,
    person: Person,
    unit: OrgUnit,
    valid_from: date,
    valid_to: date | None = None,
    title: str = "",
    is_primary: bool = True,
    is_manager: bool = False,
    note: str = "",
) -> Posting:
    with transaction.atomic():
        # Serialise postings of one person, so two clerks cannot both give them a primary unit.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        _check_posting(person=person, unit=unit, valid_from=valid_from, valid_to=valid_to, is_primary=is_primary)
        posting = Posting.objects.create(
            person=person,
            unit=unit,
            valid_from=valid_from,
            valid_to=valid_to,
            title=title,
            is_primary=is_primary,
            is_manager=is_manager,
            note=note,
        )
        audit.record(
            actor=actor,
            action="organisation.post",
            obj=posting,
            details={"person": person.username, "unit": unit.code, "valid_from": valid_from.isoformat()},
            council=True,
        )
    return posting


def end_posting(*, actor: Person | None, posting: Posting, valid_to: date) -> Posting:
    if valid_to < posting.valid_from:
        raise OrganisationError("終了日は開始日以後の日付にしてください。", code="org_period")
    with transaction.atomic():
        posting = Posting.objects.select_for_update().get(pk=posting.pk)
        posting.valid_to = valid_to
        posting.save(update_fields=["valid_to"])
        audit.record(
            actor=actor,
            action="organisation.post_end",
            obj=posting,
            details={"person_id": posting.person_id, "valid_to": valid_to.isoformat()},
            council=True,
        )
    return posting


# --- 人事異動: a batch of moves on one date -------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One line of a 人事異動: the person's primary posting in this town becomes ``unit_code`` (empty: leaves the
    town's organisation, e.g. 退職 or 出向) from the batch's date."""

    person: Person
    unit_code: str
    title: str = ""
    is_manager: bool = False


@dataclass
class MovePlan:
    """What a batch would do, line by line, shown before it is applied (the preview)."""

    effective_on: date
    lines: list[tuple[Move, Posting | None, OrgUnit | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def plan_transfers(*, municipality: Municipality, effective_on: date, moves: Sequence[Move]) -> MovePlan:
    """Resolve each move against the organisation in force on ``effective_on``; nothing is written."""
    plan = MovePlan(effective_on=effective_on)
    seen: set[int] = set()
    for number, move in enumerate(moves, start=1):
        if move.person.pk in seen:
            plan.errors.append(f"{number}行目: {move.person.full_name} さんが同じ異動に2回あります。")
            continue
        seen.add(move.person.pk)
        current = postings_on(effective_on - timedelta(days=1), person=move.person, municipality=municipality)
        before = current.filter(is_primary=True).first()
        target = unit_by_code(municipality, move.unit_code, effective_on) if move.unit_code else None
        if move.unit_code and target is None:
            plan.errors.append(f"{number}行目: 所属コード {move.unit_code} の組織は {effective_on} に存在しません。")
            continue
        plan.lines.append((move, before, target))
    return plan


def apply_transfers(
    *, actor: Person | None, municipality: Municipality, effective_on: date, moves: Sequence[Move]
) -> MovePlan:
    """Apply a 人事異動 in one step: each person's primary posting ends the day before ``effective_on`` and the new
    one starts on it. All or nothing; one audit row for the batch. Modules that keep their own effective-dated
    data in step (payroll's 級号給) call this inside their own transaction."""
    plan = plan_transfers(municipality=municipality, effective_on=effective_on, moves=moves)
    if not plan.ok:
        raise OrganisationError(
            "人事異動を適用できません: " + " / ".join(plan.errors[:5]),
            code="org_transfer_invalid",
            details={"errors": plan.errors},
        )
    with transaction.atomic():
        for move, before, target in plan.lines:
            if before is not None:
                if before.valid_from >= effective_on:
                    raise OrganisationError(
                        f"{move.person.full_name} さんの配属は {before.valid_from} に始まったため、"
                        "それより前の日付で異動できません。",
                        code="org_transfer_order",
                    )
                Posting.objects.filter(pk=before.pk).update(valid_to=effective_on - timedelta(days=1))
            if target is not None:
                _check_posting(person=move.person, unit=target, valid_from=effective_on, valid_to=None, is_primary=True)
                Posting.objects.create(
                    person=move.person,
                    unit=target,
                    valid_from=effective_on,
                    title=move.title or (before.title if before is not None else ""),
                    is_primary=True,
                    is_manager=move.is_manager,
                )
        audit.record(
            actor=actor,
            action="organisation.transfer_batch",
            obj=("tenants.Municipality", municipality.pk, municipality.name),
            details={
                "effective_on": effective_on.isoformat(),
                "moves": [{"person": m.person.username, "unit": m.unit_code} for m, _, _ in plan.lines],
            },
            council=True,
        )
    return plan


def people_in(units: Iterable[OrgUnit], day: date) -> list[Person]:
    """The people posted (primary or 兼務) in any of ``units`` on ``day``, each once."""
    ids = [unit.pk for unit in units]
    rows = postings_on(day).filter(unit_id__in=ids).order_by("person__full_name_kana", "person_id")
    seen: dict[int, Person] = {}
    for posting in rows:
        seen.setdefault(posting.person_id, posting.person)
    return list(seen.values())

"""The organisation as the groupware reads it (tenants.organisation), as of a date (docs/domain/organisation.md).

Rights follow postings: a facility, calendar or folder of a unit is offered to the people posted in that unit or
in a unit below it, so the 1 April 人事異動 moves everyone's rights with no groupware job.
"""

from __future__ import annotations

from datetime import date

from common.tenancy import current_schema
from tenants import organisation
from tenants.models import Municipality, OrgUnit, Person


def current_town() -> Municipality:
    return Municipality.objects.get(schema_name=current_schema())


def unit_codes_of(person: Person, municipality: Municipality, day: date) -> set[str]:
    """所属コード of every unit the person is posted to in this town on ``day``, and of the units above them."""
    units = {unit.pk: unit for unit in organisation.units_on(municipality, day)}
    codes: set[str] = set()
    for posting in organisation.postings_on(day, person=person, municipality=municipality):
        current: OrgUnit | None = units.get(posting.unit_id)
        while current is not None and current.code not in codes:
            codes.add(current.code)
            current = units.get(current.parent_id) if current.parent_id else None
    return codes


def members(municipality: Municipality, code: str, day: date) -> list[tuple[int, str]]:
    """(person id, name) of the people posted in the unit and below it on ``day``, in the unit's order."""
    unit = organisation.unit_by_code(municipality, code, day)
    if unit is None:
        return []
    seen: dict[int, str] = {}
    for posting in organisation.members_of(unit, day, descendants=True):
        seen.setdefault(posting.person_id, posting.person.full_name)
    return list(seen.items())


def roles_of(person: Person, municipality: Municipality) -> set[str]:
    from groupware.people import roles_here

    return roles_here(person, municipality)


def may_address(person: Person, municipality: Municipality, code: str, day: date) -> bool:
    """Whether the person is posted in the unit ``code`` or in a unit above it (a 課長 addresses the 課's 係)."""
    units = {unit.pk: unit for unit in organisation.units_on(municipality, day)}
    posted = {p.unit_id for p in organisation.postings_on(day, person=person, municipality=municipality)}
    current = next((unit for unit in units.values() if unit.code == code), None)
    while current is not None:
        if current.pk in posted:
            return True
        current = units.get(current.parent_id) if current.parent_id else None
    return False

"""The organisation and the staff identities as SCIM 2.0 resources (RFC 7643/7644), read-only: Users are the
people with a membership in force in the town, Groups its organisation units of today with their members
(docs/domain/groupware.md §7). The towns' directory, mail and LGWAN services read them with an API token."""

from __future__ import annotations

import re
from typing import Any

from common.dates import local_today
from common.errors import ValidationFailed
from groupware import org
from groupware.people import staff_of
from tenants import organisation
from tenants.models import Municipality, OrgUnit, Person

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
FILTER = re.compile(r'^\s*(userName|displayName)\s+eq\s+"([^"]{1,150})"\s*$')


class InvalidFilter(ValidationFailed):
    code = "scim_invalid_filter"
    message = 'このフィルターには対応していません(userName eq "…" または displayName eq "…")。'


def _user(person: Person, town: Municipality, postings: list[Any], base: str) -> dict[str, Any]:
    primary = next((p for p in postings if p.is_primary), None)
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": str(person.pk),
        "userName": person.username,
        "displayName": person.full_name,
        "name": {"formatted": person.full_name},
        "active": person.is_active,
        "groups": [{"value": p.unit.code, "display": p.unit.name} for p in postings],
        ENTERPRISE_SCHEMA: {"organization": town.name, "department": primary.unit.name if primary else ""},
        "meta": {"resourceType": "User", "location": f"{base}Users/{person.pk}"},
    }
    if primary is not None and primary.title:
        resource["title"] = primary.title
    if person.email:
        resource["emails"] = [{"value": person.email, "primary": True}]
    return resource


def _group(unit: OrgUnit, members: list[Any], base: str) -> dict[str, Any]:
    return {
        "schemas": [GROUP_SCHEMA],
        "id": unit.code,
        "displayName": unit.name,
        "members": [{"value": str(p.person_id), "display": p.person.full_name, "type": "User"} for p in members],
        "meta": {"resourceType": "Group", "location": f"{base}Groups/{unit.code}"},
    }


def _page(resources: list[dict[str, Any]], start: int, count: int) -> dict[str, Any]:
    chosen = resources[start - 1 : start - 1 + count]
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "startIndex": start,
        "itemsPerPage": len(chosen),
        "Resources": chosen,
    }


def _postings_by_person(town: Municipality) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for posting in organisation.postings_on(local_today(), municipality=town).order_by("-is_primary", "unit__code"):
        found.setdefault(posting.person_id, []).append(posting)
    return found


def list_users(*, base: str, filter_text: str = "", start: int = 1, count: int = 100) -> dict[str, Any]:
    town = org.current_town()
    people = staff_of(town)
    if filter_text:
        match = FILTER.match(filter_text)
        if match is None:
            raise InvalidFilter(details={"filter": filter_text[:200]})
        attribute, value = match.groups()
        people = [p for p in people if (p.username if attribute == "userName" else p.full_name) == value]
    postings = _postings_by_person(town)
    return _page([_user(p, town, postings.get(p.pk, []), base) for p in people], start, count)


def get_user(*, base: str, person_id: int) -> dict[str, Any] | None:
    town = org.current_town()
    person = next((p for p in staff_of(town) if p.pk == person_id), None)
    if person is None:
        return None
    return _user(person, town, _postings_by_person(town).get(person.pk, []), base)


def _members(town: Municipality) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for posting in organisation.postings_on(local_today(), municipality=town).order_by("person__full_name_kana"):
        found.setdefault(posting.unit_id, []).append(posting)
    return found


def list_groups(*, base: str, filter_text: str = "", start: int = 1, count: int = 100) -> dict[str, Any]:
    town = org.current_town()
    units = organisation.units_on(town, local_today())
    if filter_text:
        match = FILTER.match(filter_text)
        if match is None or match.group(1) != "displayName":
            raise InvalidFilter(details={"filter": filter_text[:200]})
        units = [u for u in units if u.name == match.group(2)]
    members = _members(town)
    return _page([_group(u, members.get(u.pk, []), base) for u in units], start, count)


def get_group(*, base: str, code: str) -> dict[str, Any] | None:
    town = org.current_town()
    unit = organisation.unit_by_code(town, code, local_today())
    if unit is None:
        return None
    return _group(unit, _members(town).get(unit.pk, []), base)

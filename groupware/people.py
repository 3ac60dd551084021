"""Who may be named in the groupware: staff of either town and of the council (public ``Person`` rows).

Town tables keep a person's id and a name snapshot; this module turns ids into names once per operation.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenants.access import memberships_in_force
from tenants.models import Membership, Municipality, Person


def staff_names(person_ids: Iterable[int]) -> dict[int, str]:
    """Names of the active people among ``person_ids`` holding a membership in force in any town or the council."""
    ids = set(person_ids)
    if not ids:
        return {}
    members = Membership.objects.active().filter(person_id__in=ids).values_list("person_id", flat=True)
    return dict(Person.objects.filter(pk__in=members, is_active=True).values_list("pk", "full_name"))


def members_of(municipality: Municipality, person_ids: Iterable[int]) -> set[int]:
    """Those of ``person_ids`` holding a membership in force in ``municipality``."""
    rows = Membership.objects.active().filter(municipality=municipality, person_id__in=set(person_ids))
    return set(rows.values_list("person_id", flat=True))


def home_schemas(person_ids: Iterable[int]) -> dict[str, set[int]]:
    """Where each person reads their notifications: the council's schema for council staff, else the first town
    (by code) they have a membership in force in. Schema → person ids."""
    rows = (
        Membership.objects.active()
        .filter(person_id__in=set(person_ids))
        .order_by("person_id", "municipality__code")
        .values_list("person_id", "municipality__schema_name", "municipality__kind")
    )
    home: dict[int, str] = {}
    for pk, schema, kind in rows:
        if pk not in home or kind == Municipality.Kind.COUNCIL:
            home[pk] = schema
    found: dict[str, set[int]] = {}
    for pk, schema in home.items():
        found.setdefault(schema, set()).add(pk)
    return found


def staff_of(municipality: Municipality) -> list[Person]:
    """The people with a membership in force in ``municipality`` (the participant picker's first list)."""
    ids = Membership.objects.active().filter(municipality=municipality).values_list("person_id", flat=True)
    return list(Person.objects.filter(pk__in=ids, is_active=True).order_by("full_name_kana", "pk"))


def roles_here(person: Person, municipality: Municipality) -> set[str]:
    return set(memberships_in_force(person).filter(municipality=municipality).values_list("role", flat=True))


def staff_choices() -> list[tuple[int, str]]:
    """Everyone who may take part in an entry — staff of either town and of the council — as (id, 「氏名(団体)」)."""
    rows = (
        Membership.objects.active()
        .select_related("person", "municipality")
        .order_by("person__full_name_kana", "person_id", "municipality__kind", "municipality__code")
    )
    towns: dict[int, tuple[str, list[str]]] = {}
    for membership in rows:
        _name, places = towns.setdefault(membership.person_id, (membership.person.full_name, []))
        if membership.municipality.name not in places:
            places.append(membership.municipality.name)
    return [(pk, f"{name}({'・'.join(places)})") for pk, (name, places) in towns.items()]


def office_staff(municipality: Municipality | None) -> list[tuple[int, str]]:
    """(id, name) of the people who read a town's (or, with None, the council-wide) bulletin: members in force
    with a role other than teacher — a teacher reads their school's and the education board's boards."""
    rows = Membership.objects.active().exclude(role="teacher")
    if municipality is not None:
        rows = rows.filter(municipality=municipality)
    ids = rows.values_list("person_id", flat=True)
    return list(
        Person.objects.filter(pk__in=ids, is_active=True)
        .order_by("full_name_kana", "pk")
        .values_list("pk", "full_name")
    )


def any_office_role(person: Person, municipality: Municipality | None) -> bool:
    rows = memberships_in_force(person).exclude(role="teacher")
    if municipality is not None:
        rows = rows.filter(municipality=municipality)
    return rows.exists()

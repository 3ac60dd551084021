"""Relatives as the registers record them, for the marriage impediments of 民法 第734条〜第736条
(docs/domain/koseki.md, 婚姻の障害).

* 第734条: no marriage between 直系血族 (any number of generations, adoptive parents and their ascendants
  included) or 傍系血族 within the third degree (siblings, uncle or aunt and niece or nephew) — except between an
  adoptee and the adoptive side's collateral relatives, so collateral degrees are counted by blood only;
* 第735条: no marriage between 直系姻族 (a spouse's parents or children …), also after the affinity ended by
  divorce or by 第728条;
* 第736条: no marriage between an adoptee (or their descendant or spouse) and the adoptive parent or the adoptive
  parent's ascendants, also after 離縁.

A person is a ``person_key``; parents are the 父/母 keys of every row of the person, adoptive parents those of
養父/養母 and of every 養子縁組 ever filed here (so that a 離縁 does not erase them); spouses are the current
spouse link and every 婚姻届 filed here. Registers migrated without keys cannot show a relation they do not hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from koseki.models import Member, Notification, NotificationKind

MAX_GENERATIONS = 12  # far enough for any living person; bounds the walk on malformed data


def _parents(keys: set[UUID], *, adoptive: bool) -> dict[UUID, set[UUID]]:
    """Each person's parents: by blood, or (``adoptive``) by adoption, present and past."""
    found: dict[UUID, set[UUID]] = {key: set() for key in keys}
    fields = ("adoptive_father_key", "adoptive_mother_key") if adoptive else ("father_key", "mother_key")
    rows = Member.objects.filter(person_key__in=keys).values("pk", "person_key", *fields)
    by_pk: dict[int, UUID] = {}
    for row in rows:
        by_pk[row["pk"]] = row["person_key"]
        found[row["person_key"]] |= {row[name] for name in fields if row[name] is not None}
    if adoptive and by_pk:
        # 養子縁組 filed here stay on the 受付帳 after a 離縁 (第736条 outlives it).
        adoptions = Notification.objects.filter(kind=NotificationKind.ADOPTION, details__adoptee_id__in=list(by_pk))
        adopter_ids: dict[int, UUID] = {}
        for notification in adoptions:
            child = by_pk[int(notification.details["adoptee_id"])]
            for name in ("adoptive_father_id", "adoptive_mother_id"):
                if notification.details.get(name):
                    adopter_ids[int(notification.details[name])] = child
        for pk, key in Member.objects.filter(pk__in=list(adopter_ids)).values_list("pk", "person_key"):
            found[adopter_ids[pk]].add(key)
    return found


def ancestors(key: UUID, *, adoptive: bool = True, generations: int = MAX_GENERATIONS) -> dict[UUID, int]:
    """The person's ascendants with their distance in generations (1 = parent), by blood and, with ``adoptive``,
    through adoptions too."""
    found: dict[UUID, int] = {}
    frontier = {key}
    for depth in range(1, generations + 1):
        links = _parents(frontier, adoptive=False)
        if adoptive:
            for person, adopters in _parents(frontier, adoptive=True).items():
                links[person] |= adopters
        frontier = {parent for parents in links.values() for parent in parents if parent not in found}
        frontier.discard(key)
        if not frontier:
            break
        for parent in frontier:
            found[parent] = depth
    return found


def spouses_ever(key: UUID) -> set[UUID]:
    """Everyone the person is or was married to, as far as this town's registers and 婚姻届 show."""
    spouses: set[UUID] = {
        spouse
        for spouse in Member.objects.filter(person_key=key, spouse_key__isnull=False).values_list(
            "spouse_key", flat=True
        )
        if spouse is not None
    }
    text = str(key)
    for details in (
        Notification.objects.filter(kind=NotificationKind.MARRIAGE)
        .filter(details__husband__person_key=text)
        .values_list("details", flat=True)
        .union(
            Notification.objects.filter(kind=NotificationKind.MARRIAGE, details__wife__person_key=text).values_list(
                "details", flat=True
            )
        )
    ):
        for role in ("husband", "wife"):
            other = (details or {}).get(role, {}).get("person_key")
            if other and other != text:
                spouses.add(UUID(other))
    return spouses


def _in_direct_line(a: UUID, b: UUID, *, adoptive: bool) -> bool:
    return b in ancestors(a, adoptive=adoptive) or a in ancestors(b, adoptive=adoptive)


def collateral_degree(a: UUID, b: UUID) -> int | None:
    """The degree of 傍系血族 (by blood) through their nearest common ascendant, counted up to 3."""
    up_a = {a: 0, **ancestors(a, adoptive=False, generations=3)}
    up_b = {b: 0, **ancestors(b, adoptive=False, generations=3)}
    degrees = [up_a[c] + up_b[c] for c in up_a.keys() & up_b.keys() if up_a[c] and up_b[c]]
    return min(degrees) if degrees else None


def impediment(a: UUID, b: UUID) -> str | None:
    """The article that bars a marriage between the two persons, or None."""
    if _in_direct_line(a, b, adoptive=False):
        return "734_direct"
    degree = collateral_degree(a, b)
    if degree is not None and degree <= 3:
        return "734_collateral"
    if _in_direct_line(a, b, adoptive=True):
        return "736"
    for one, other in ((a, b), (b, a)):
        if any(_in_direct_line(spouse, other, adoptive=True) for spouse in spouses_ever(one) if spouse != other):
            return "735"
    return None


def any_impediment(pairs: Iterable[tuple[UUID, UUID]]) -> str | None:
    return next((found for a, b in pairs if (found := impediment(a, b)) is not None), None)

"""May this requester learn this person's address, here and now? — the one answer for every register and town.

A 支援措置 (DV・ストーカー行為等・児童虐待等の被害者の支援措置) is decided by the town where the person lives and
must hold wherever their address can be read (docs/domain/support_measures.md; 住基法 第12条第6項, 第12条の3
第7項, 第15条の4, 第20条第5項 and 住民基本台帳事務処理要領 第5-10):

* the 住民票の写し and 住民票記載事項証明書 of the town where the person lives;
* the 除票の写し of the town the person left, which prints the 転出先 — the new, hidden address;
* the 戸籍の附票の写し (and 除附票) kept by the 本籍地, which prints every address of the person;
* the 閲覧 list (住基法 第11条, 第11条の2).

So the check does not stop at the current schema: the person's blocks are looked up in every town of the
platform where the person is or was resident (named by the addresses the registers hold for them: the current
one, 従前の住所, 転出先, and the 附票's lines). Each other town is read through ``_blocks_in_town`` — the one
cross-town read of this module — and the read is audited in both towns.

Who is "the same person" in another town's register (``PersonKey``):
* the 住民票コード (the national key of 住基ネット), when either register holds it;
* an explicit link: the 宛名番号 of the resident that sent a 附票 line (``FuhyoEntry.resident_atena_number``);
* 氏名 and 生年月日. This one only ever *widens* a block — a namesake born the same day is refused too and
  the clerk asks the 支援措置責任者 — it never lets an address out.

The block covers every kind of requester (本人, 同一世帯, 代理人, 第三者, 国・地方公共団体): even the 支援対象者's
own request goes through the 支援措置責任者's explicit, audited 一時解除 (resident_records.support).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from common import audit
from common.tenancy import current_schema
from common.text import normalize_search_text
from resident_records.models import (
    Household,
    Resident,
    ResidentRecord,
    ResidentStatus,
    SupportMeasure,
    SupportMeasureStatus,
    SupportScope,
    TemporaryRelease,
)
from resident_records.support import SupportMeasureBlocked, blocking_measure
from tenants.models import Municipality, Person

AUDIT_LABELS = {
    "support_measure.cross_town_check": "支援措置: 他町からの確認(住所の開示の可否)",
    "support_measure.cross_town_query": "支援措置: 他町への確認(住所の開示の可否)",
}


# --- who the person is -----------------------------------------------------------------------------------


def name_key(family_name: str, given_name: str) -> str:
    """氏名 as a comparison key: NFKC, katakana, no spaces (「山田　花子」 and 「山田 花子」 are one name)."""
    return normalize_search_text(f"{family_name}{given_name}")


@dataclass(frozen=True)
class PersonKey:
    """How the registers of the platform know one person (see the module docstring)."""

    resident_codes: frozenset[str] = frozenset()
    names: frozenset[tuple[str, date]] = frozenset()
    # (town code, 宛名番号) of residents explicitly linked to the person: a 附票 line's sender, the resident itself
    atena_numbers: frozenset[tuple[str, str]] = frozenset()
    # schema names of the towns where the person is or was resident, besides the current one
    towns: frozenset[str] = frozenset()


def platform_towns() -> list[Municipality]:
    """The towns in operation on the platform."""
    return list(Municipality.objects.filter(kind=Municipality.Kind.TOWN, status=Municipality.Status.ACTIVE))


def town_named_in(text: str, *, towns: Sequence[Municipality] | None = None) -> Municipality | None:
    """The platform town that an address or 本籍 names, or None (elsewhere).

    An address is written 「高知県高岡郡中土佐町久礼1234番地」: the town name follows the prefecture or 郡 (or starts
    the text). The longest matching name wins, so a town named inside another's name cannot capture it.
    """
    plain = unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("\u3000", "")
    if not plain:
        return None
    best: Municipality | None = None
    for town in platform_towns() if towns is None else towns:
        name = unicodedata.normalize("NFKC", town.name)
        if re.search(rf"(?:^|[都道府県郡]){re.escape(name)}", plain) and (best is None or len(name) > len(best.name)):
            best = town
    return best


def towns_named_in(texts: Iterable[str], *, towns: Sequence[Municipality] | None = None) -> frozenset[str]:
    towns = platform_towns() if towns is None else towns
    found = (town_named_in(text, towns=towns) for text in texts if text)
    return frozenset(town.schema_name for town in found if town is not None)


def person_key_for_resident(resident: Resident, *, towns: Sequence[Municipality] | None = None) -> PersonKey:
    """The key of a resident of the current schema: its codes, name, 宛名番号, and the towns its addresses name
    (now and in its history: where it came from, where it went)."""
    here = Municipality.objects.filter(schema_name=current_schema()).values_list("code", flat=True).first() or ""
    records = ResidentRecord.objects.filter(resident=resident).values_list(
        "address", "previous_address", "moving_out_address", "resident_code", "family_name", "given_name"
    )
    addresses = {resident.address, resident.previous_address, resident.moving_out_address}
    codes = {resident.resident_code}
    names = {(name_key(resident.family_name, resident.given_name), resident.birth_date)}
    for address, previous, moving_out, code, family_name, given_name in records:
        addresses.update((address, previous, moving_out))
        codes.add(code)
        names.add((name_key(family_name, given_name), resident.birth_date))
    return PersonKey(
        resident_codes=frozenset(c for c in codes if c),
        names=frozenset(names),
        atena_numbers=frozenset({(here, resident.atena_number)}),
        towns=towns_named_in(addresses, towns=towns) - {current_schema()},
    )


# --- the answer --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressBlock:
    """A 支援措置 that forbids disclosing the address: which town decided it, and its id there."""

    town_code: str
    town_schema: str
    measure_id: int
    resident_id: int  # in that town's schema
    local: bool


@dataclass
class _Found:
    residents: list[Resident] = field(default_factory=list)
    block: AddressBlock | None = None


def _matching_residents(key: PersonKey, town_code: str) -> list[Resident]:
    """The residents of the current schema that are the person (see the module docstring), by id."""
    query = Q(pk__in=[])
    if key.resident_codes:
        query |= Q(resident_code__in=sorted(key.resident_codes))
    linked = sorted(atena for code, atena in key.atena_numbers if code == town_code)
    if linked:
        query |= Q(atena_number__in=linked)
    births = sorted({born for _, born in key.names})
    found = {r.pk: r for r in Resident.objects.filter(query)}
    if births:
        for resident in Resident.objects.filter(birth_date__in=births).only(
            "pk", "atena_number", "family_name", "given_name", "birth_date"
        ):
            if (name_key(resident.family_name, resident.given_name), resident.birth_date) in key.names:
                found.setdefault(resident.pk, resident)
    return [found[pk] for pk in sorted(found)]


def _blocks_here(key: PersonKey, *, town: Municipality, scope: str, local: bool) -> _Found:
    """The person's blocks in the current schema (that of ``town``; ``local`` when it is the requesting town)."""
    found = _Found()
    for resident in _matching_residents(key, town.code or ""):
        found.residents.append(resident)
        measure = blocking_measure(resident=resident, scope=scope)
        if measure is not None and found.block is None:
            found.block = AddressBlock(
                town_code=town.code or "",
                town_schema=town.schema_name,
                measure_id=measure.pk,
                resident_id=resident.pk,
                local=local,
            )
    return found


def _blocks_in_town(
    *,
    actor: Person | None,
    key: PersonKey,
    town: Municipality,
    here: Municipality,
    scope: str,
    purpose: str,
    requester: str,
    subject: object,
) -> AddressBlock | None:
    """The one cross-town read: the person's blocks in ``town``, audited there (what was asked, by which town,
    for what) and here (which town was asked)."""
    with schema_context(town.schema_name):
        found = _blocks_here(key, town=town, scope=scope, local=False)
        audit.record(
            actor=actor,
            action="support_measure.cross_town_check",
            obj=found.residents[0] if found.residents else None,
            purpose=purpose[:200],
            personal_data=True,
            details={
                "requesting_town": here.code or here.schema_name,
                "scope": scope,
                **({"requester": requester} if requester else {}),
                "residents": len(found.residents),
                "result": "blocked" if found.block is not None else "clear",
            },
        )
    audit.record(
        actor=actor,
        action="support_measure.cross_town_query",
        obj=subject,
        purpose=purpose[:200],
        personal_data=True,
        details={
            "town": town.code or town.schema_name,
            "scope": scope,
            **({"requester": requester} if requester else {}),
            "result": "blocked" if found.block is not None else "clear",
        },
    )
    return found.block


def address_block(
    *,
    actor: Person | None,
    person: PersonKey,
    scope: str,
    purpose: str,
    requester: str = "",
    subject: object = None,
) -> AddressBlock | None:
    """The 支援措置 that forbids telling ``requester`` where ``person`` lives (or lived), or None.

    Checks the current schema, then every other platform town where the person is or was resident (audited
    there and here; ``subject`` — the resident or register the question is about, as ``audit.record`` takes an
    object — names it in this town's row). ``requester`` does not change the answer (see the module docstring);
    it is recorded.
    """
    if scope not in SupportScope.values:
        raise ValueError(scope)
    towns = platform_towns()
    here_schema = current_schema()
    here = next((t for t in towns if t.schema_name == here_schema), None)
    if here is None:
        here = Municipality.objects.get(schema_name=here_schema)
    block = _blocks_here(person, town=here, scope=scope, local=True).block
    others = sorted((t for t in towns if t.schema_name in person.towns and t.schema_name != here_schema),
                    key=lambda t: t.schema_name)  # fmt: skip
    for town in others:
        if block is not None:
            break
        block = _blocks_in_town(
            actor=actor, key=person, town=town, here=here, scope=scope, purpose=purpose, requester=requester,
            subject=subject,
        )  # fmt: skip
    return block


def ensure_address_disclosable(
    *,
    actor: Person | None,
    person: PersonKey,
    scope: str,
    purpose: str,
    requester: str = "",
    subject: object = None,
    details: dict[str, object] | None = None,
) -> None:
    """``address_block``, raising SupportMeasureBlocked (details: the blocking town, and the measure's id when it is
    this town's — an id means something only in the town that decided it)."""
    block = address_block(
        actor=actor, person=person, scope=scope, purpose=purpose, requester=requester, subject=subject
    )
    if block is None:
        return
    info: dict[str, object] = {**(details or {}), "scope": scope, "town": block.town_code}
    if block.local:
        info["measure"] = block.measure_id
    raise SupportMeasureBlocked(details=info)


def hidden_destination(*, actor: Person | None, resident: Resident, purpose: str) -> bool:
    """Whether the register page of a 除票 must mask its 転出先: the person moved to another platform town, which
    protects them there (scope 除票). The same answer as the 除票の写し's (``address_block``), asked only when the
    転出先 names another town on the platform — the one case where this town's page would show a hidden address."""
    if not resident.moving_out_address:
        return False
    towns = platform_towns()
    moved_to = town_named_in(resident.moving_out_address, towns=towns)
    if moved_to is None or moved_to.schema_name == current_schema():
        return False
    key = person_key_for_resident(resident, towns=towns)
    block = address_block(
        actor=actor, person=key, scope=SupportScope.REMOVED_CERTIFICATE, purpose=purpose, subject=resident
    )
    return block is not None


# --- bulk, this town only (lists, banners, 閲覧) ----------------------------------------------------------------


def protected_resident_ids(*, scope: str | None = None, among: Iterable[int] | None = None) -> set[int]:
    """Ids of this town's residents covered right now by a 支援措置 (of ``scope``, or of any scope): the 支援対象者
    and accompanying persons, lapsed measures included, temporarily released ones left out — the same rule as
    ``support.blocking_measure``, in one query for a whole list."""
    now = timezone.now()
    measures = SupportMeasure.objects.filter(status=SupportMeasureStatus.ACTIVE).exclude(
        pk__in=TemporaryRelease.objects.filter(released_at__lte=now, relock_at__gt=now).values("measure_id")
    )
    if scope is not None:
        measures = measures.filter(scopes__contains=[scope])
    wanted = None if among is None else set(among)
    if wanted is not None:
        measures = measures.filter(Q(resident_id__in=wanted) | Q(accompanying__in=wanted)).distinct()
    ids: set[int] = set()
    for resident_id, accompanying in measures.values_list("resident_id", "accompanying"):
        ids.add(resident_id)
        if accompanying is not None:
            ids.add(accompanying)
    return ids if wanted is None else ids & wanted


def protected_subjects(subjects: Sequence[object]) -> set[int]:
    """Which of ``subjects`` (residents, or koseki members) carry the 支援措置 banner — covered by a measure of this
    town, of any scope — by ``pk``. One query when nobody in the town is protected; a member is compared with the
    protected residents by the keys of ``PersonKey`` (住民票コード, 宛名番号 link, 氏名 and 生年月日)."""
    protected_ids = protected_resident_ids()
    if not protected_ids:
        return set()
    found = {s.pk for s in subjects if isinstance(s, Resident) and s.pk in protected_ids}
    others = [s for s in subjects if not isinstance(s, Resident)]
    if others:
        here = Municipality.objects.filter(schema_name=current_schema()).values_list("code", flat=True).first() or ""
        protected = list(Resident.objects.filter(pk__in=protected_ids))
        codes = {r.resident_code for r in protected if r.resident_code}
        names = {(name_key(r.family_name, r.given_name), r.birth_date) for r in protected}
        links = {(here, r.atena_number) for r in protected}
        for subject in others:
            key = _key_of(subject)
            if key is not None and (key.resident_codes & codes or key.names & names or key.atena_numbers & links):
                found.add(subject.pk)  # type: ignore[attr-defined]
    return found


def resident_page_banners(resident: Resident) -> tuple[bool, bool]:
    """The resident page's two banners in two queries: is the resident protected, is any current member of the
    resident's household protected (the same answers as ``is_protected_subject`` for each)."""
    current = Resident.objects.filter(household_id=resident.household_id, status=ResidentStatus.RESIDENT)
    household = list(current.values_list("pk", flat=True))
    protected = protected_resident_ids(among=[resident.pk, *household])
    return resident.pk in protected, bool(protected.intersection(household))


def is_protected_subject(subject: object) -> bool:
    """The banner's question for one page (this town's measures, any scope): a resident; a household (any of its
    residents); a list of residents; a koseki member or a koseki (any of its members)."""
    if isinstance(subject, Resident):
        return bool(protected_resident_ids(among=[subject.pk]))
    if isinstance(subject, Household):
        ids = Resident.objects.filter(household=subject, status=ResidentStatus.RESIDENT).values_list("pk", flat=True)
        return bool(protected_resident_ids(among=list(ids)))
    members = getattr(subject, "members", None)
    if members is not None and hasattr(members, "all"):  # a koseki: any of its members
        return bool(protected_subjects(list(members.all())))
    if isinstance(subject, (list, tuple, set, frozenset)):
        return bool(protected_subjects(list(subject)))
    return bool(protected_subjects([subject]))


# Koseki members are made into keys by koseki.fuhyo (the app that knows them); it registers itself here, as the
# resident register must not import the koseki app (apps depend downwards).
_KEY_MAKERS: list[Callable[[object], PersonKey | None]] = []


def register_key_maker(maker: Callable[[object], PersonKey | None]) -> None:
    if maker not in _KEY_MAKERS:
        _KEY_MAKERS.append(maker)


def _key_of(subject: object) -> PersonKey | None:
    for maker in _KEY_MAKERS:
        key = maker(subject)
        if key is not None:
            return key
    return None

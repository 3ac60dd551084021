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
from resident_records import support
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
from resident_records.support import SupportMeasureBlocked
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


def person_keys_for_residents(
    residents: Sequence[Resident], *, towns: Sequence[Municipality] | None = None
) -> list[PersonKey]:
    """The keys of residents of the current schema, in their order, in two queries however many they are: each
    one's codes, name, 宛名番号, and the towns its addresses name (now and in its history: where it came from,
    where it went)."""
    if not residents:
        return []
    towns = platform_towns() if towns is None else towns
    here = Municipality.objects.filter(schema_name=current_schema()).values_list("code", flat=True).first() or ""
    records = ResidentRecord.objects.filter(resident_id__in={r.pk for r in residents}).values_list(
        "resident_id", "address", "previous_address", "moving_out_address", "resident_code", "family_name",
        "given_name",
    )  # fmt: skip
    history: dict[int, list[tuple[str, str, str, str, str, str]]] = {}
    for resident_id, *row in records:
        history.setdefault(resident_id, []).append(tuple(row))  # type: ignore[arg-type]
    keys = []
    for resident in residents:
        addresses = {resident.address, resident.previous_address, resident.moving_out_address}
        codes = {resident.resident_code}
        names = {(name_key(resident.family_name, resident.given_name), resident.birth_date)}
        for address, previous, moving_out, code, family_name, given_name in history.get(resident.pk, []):
            addresses.update((address, previous, moving_out))
            codes.add(code)
            names.add((name_key(family_name, given_name), resident.birth_date))
        keys.append(
            PersonKey(
                resident_codes=frozenset(c for c in codes if c),
                names=frozenset(names),
                atena_numbers=frozenset({(here, resident.atena_number)}),
                towns=towns_named_in(addresses, towns=towns) - {current_schema()},
            )
        )
    return keys


def person_key_for_resident(resident: Resident, *, towns: Sequence[Municipality] | None = None) -> PersonKey:
    """``person_keys_for_residents`` for one resident."""
    return person_keys_for_residents([resident], towns=towns)[0]


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


def _matching_residents(keys: Sequence[PersonKey], town_code: str) -> list[list[Resident]]:
    """For each key, the residents of the current schema that are the person (see the module docstring), by id —
    in two queries however many keys."""
    codes = set().union(*(key.resident_codes for key in keys))
    linked = {atena for key in keys for code, atena in key.atena_numbers if code == town_code}
    births = {born for key in keys for _, born in key.names}
    query = Q(pk__in=[])
    if codes:
        query |= Q(resident_code__in=sorted(codes))
    if linked:
        query |= Q(atena_number__in=sorted(linked))
    direct = list(Resident.objects.filter(query)) if codes or linked else []
    by_name: dict[tuple[str, date], list[Resident]] = {}
    if births:
        for resident in Resident.objects.filter(birth_date__in=sorted(births)).only(
            "pk", "atena_number", "family_name", "given_name", "birth_date"
        ):
            by_name.setdefault((name_key(resident.family_name, resident.given_name), resident.birth_date), []).append(
                resident
            )
    matches = []
    for key in keys:
        own_links = {atena for code, atena in key.atena_numbers if code == town_code}
        found = {r.pk: r for r in direct if r.resident_code in key.resident_codes or r.atena_number in own_links}
        for name in key.names:
            for resident in by_name.get(name, []):
                found.setdefault(resident.pk, resident)
        matches.append([found[pk] for pk in sorted(found)])
    return matches


def _blocks_here(keys: Sequence[PersonKey], *, town: Municipality, scope: str, local: bool) -> list[_Found]:
    """Each person's blocks in the current schema (that of ``town``; ``local`` when it is the requesting town), in
    three queries however many persons."""
    matches = _matching_residents(keys, town.code or "")
    measures = support.blocking_measures(residents=[r for found in matches for r in found], scope=scope)
    answers = []
    for residents in matches:
        found = _Found(residents=residents)
        blocked = next((r for r in residents if r.pk in measures), None)
        if blocked is not None:
            found.block = AddressBlock(
                town_code=town.code or "",
                town_schema=town.schema_name,
                measure_id=measures[blocked.pk].pk,
                resident_id=blocked.pk,
                local=local,
            )
        answers.append(found)
    return answers


def _atena_numbers(subjects: Iterable[object]) -> list[str]:
    return [str(atena) for atena in (getattr(s, "atena_number", "") for s in subjects) if atena]


def _blocks_in_town(
    *,
    actor: Person | None,
    keys: Sequence[PersonKey],
    subjects: Sequence[object],
    town: Municipality,
    here: Municipality,
    scope: str,
    purpose: str,
    requester: str,
) -> list[AddressBlock | None]:
    """The one cross-town read: the persons' blocks in ``town``, audited there (what was asked, by which town,
    for what, and which of its residents were found) and here (which town was asked, about whom) — one row in
    each town for all the persons asked together (docs/domain/support_measures.md)."""
    with schema_context(town.schema_name):
        founds = _blocks_here(keys, town=town, scope=scope, local=False)
        residents = sorted({r.pk: r for found in founds for r in found.residents}.values(), key=lambda r: r.pk)
        blocked = any(found.block is not None for found in founds)
        audit.record(
            actor=actor,
            action="support_measure.cross_town_check",
            obj=residents[0] if residents else None,
            purpose=purpose[:200],
            personal_data=True,
            details={
                "requesting_town": here.code or here.schema_name,
                "scope": scope,
                **({"requester": requester} if requester else {}),
                "asked": len(keys),
                "residents": len(residents),
                **({"persons": [r.atena_number for r in residents]} if residents else {}),
                "result": "blocked" if blocked else "clear",
            },
        )
    persons = _atena_numbers(subjects)
    audit.record(
        actor=actor,
        action="support_measure.cross_town_query",
        obj=subjects[0] if subjects else None,
        purpose=purpose[:200],
        personal_data=True,
        details={
            "town": town.code or town.schema_name,
            "scope": scope,
            **({"requester": requester} if requester else {}),
            **({"persons": persons} if persons else {}),
            "result": "blocked" if blocked else "clear",
        },
    )
    return [found.block for found in founds]


def address_blocks(
    *,
    actor: Person | None,
    persons: Sequence[PersonKey],
    scope: str,
    purpose: str,
    requester: str = "",
    subjects: Sequence[object] | None = None,
) -> list[AddressBlock | None]:
    """For each of ``persons``, the 支援措置 that forbids telling ``requester`` where they live (or lived), or None
    — a constant number of queries however many persons.

    Checks the current schema, then every other platform town where a person is or was resident, in the order of
    the towns' schema names, until one blocks that person — so each answer is the one a check of that person
    alone gives. Each other town is read once for all the persons it concerns (audited there and here;
    ``subjects``, parallel to ``persons`` — the residents or registers the question is about, as
    ``audit.record`` takes an object — name them in this town's row). ``requester`` does not change the answer
    (see the module docstring); it is recorded.
    """
    if scope not in SupportScope.values:
        raise ValueError(scope)
    subjects = list(subjects) if subjects is not None else [None] * len(persons)
    if len(subjects) != len(persons):
        raise ValueError("subjects must be parallel to persons")
    if not persons:
        return []
    towns = platform_towns()
    here_schema = current_schema()
    here = next((t for t in towns if t.schema_name == here_schema), None)
    if here is None:
        here = Municipality.objects.get(schema_name=here_schema)
    blocks = [found.block for found in _blocks_here(persons, town=here, scope=scope, local=True)]
    others = sorted((t for t in towns if t.schema_name != here_schema), key=lambda t: t.schema_name)
    for town in others:
        asked = [i for i, key in enumerate(persons) if blocks[i] is None and town.schema_name in key.towns]
        if not asked:
            continue
        answers = _blocks_in_town(
            actor=actor, keys=[persons[i] for i in asked], subjects=[subjects[i] for i in asked], town=town,
            here=here, scope=scope, purpose=purpose, requester=requester,
        )  # fmt: skip
        for i, block in zip(asked, answers, strict=True):
            blocks[i] = block
    return blocks


def address_block(
    *,
    actor: Person | None,
    person: PersonKey,
    scope: str,
    purpose: str,
    requester: str = "",
    subject: object = None,
) -> AddressBlock | None:
    """The 支援措置 that forbids telling ``requester`` where ``person`` lives (or lived), or None
    (``address_blocks`` for one person)."""
    return address_blocks(
        actor=actor, persons=[person], scope=scope, purpose=purpose, requester=requester, subjects=[subject]
    )[0]


def _blocked(block: AddressBlock, *, scope: str, details: dict[str, object] | None) -> SupportMeasureBlocked:
    """The refusal of a block (details: the blocking town, and the measure's id when it is this town's — an id
    means something only in the town that decided it)."""
    info: dict[str, object] = {**(details or {}), "scope": scope, "town": block.town_code}
    if block.local:
        info["measure"] = block.measure_id
    return SupportMeasureBlocked(details=info)


def ensure_addresses_disclosable(
    *,
    actor: Person | None,
    persons: Sequence[PersonKey],
    scope: str,
    purpose: str,
    requester: str = "",
    subjects: Sequence[object] | None = None,
    details: Sequence[dict[str, object]] | None = None,
) -> None:
    """``address_blocks``, raising SupportMeasureBlocked for the first blocked person in the order given (with that
    person's ``details``, parallel to ``persons``)."""
    blocks = address_blocks(
        actor=actor, persons=persons, scope=scope, purpose=purpose, requester=requester, subjects=subjects
    )
    for i, block in enumerate(blocks):
        if block is not None:
            raise _blocked(block, scope=scope, details=details[i] if details is not None else None)


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
    """``ensure_addresses_disclosable`` for one person."""
    ensure_addresses_disclosable(
        actor=actor, persons=[person], scope=scope, purpose=purpose, requester=requester, subjects=[subject],
        details=[details or {}],
    )  # fmt: skip


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
        for subject, key in zip(others, _keys_of(others), strict=True):
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
# resident register must not import the koseki app (apps depend downwards). A maker takes a list of subjects and
# answers for each (None: not its kind) in a constant number of queries.
_KEY_MAKERS: list[Callable[[Sequence[object]], list[PersonKey | None]]] = []


def register_key_maker(maker: Callable[[Sequence[object]], list[PersonKey | None]]) -> None:
    if maker not in _KEY_MAKERS:
        _KEY_MAKERS.append(maker)


def _keys_of(subjects: Sequence[object]) -> list[PersonKey | None]:
    keys: list[PersonKey | None] = [None] * len(subjects)
    for maker in _KEY_MAKERS:
        missing = [i for i, key in enumerate(keys) if key is None]
        if not missing:
            break
        for i, key in zip(missing, maker([subjects[i] for i in missing]), strict=True):
            keys[i] = key
    return keys

"""広域交付: a clerk of one town issues the 全部事項証明書 of a register held by the other town on the platform.

Since 2024-03-01 (令和元年法律第17号, 戸籍法 第120条の2第1項) anyone may obtain at any municipality's counter the
戸籍証明書 of their own register and of those of their 配偶者, 直系尊属 and 直系卑属 (the 第10条第1項 requesters),
showing a photo ID. The law leaves out (docs/domain/koseki.md, 広域交付): 個人事項・一部事項証明書, 戸籍の附票,
requests by proxy or power of attorney, third-party and 職務上 requests, and requests by post.

This module is the one explicit path between the two towns' koseki schemas: it reads the holding town's
register (``schema_context``), decides entitlement from the register itself — the requester, identified by name
and birth date as on the photo ID (and, when two people share them, by their own 本籍 as on the 請求書), must be
recorded in it, or be linked to someone recorded by the 配偶者 key or by a chain of 父/母 (and 養父/養母) keys,
followed through the registers of both towns — and writes: the issuance in the issuing town (``wide_area=True``,
the holding town by code, no cross-schema key) and an audit row in each town. The 見本 shown before issuing goes
through the same checks and is audited in both towns as a view, with no issuance and no 発行番号. A refusal
writes nothing anywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django_tenants.utils import schema_context

from common import audit
from common.dates import local_today
from common.errors import NotFound, PermissionDenied, ValidationFailed
from common.tenancy import current_schema
from koseki import pdf
from koseki.certificate_layout import certificate_layout
from koseki.certificates import IssuedCertificate, check_kind, koseki_ref, record_issuance
from koseki.errors import KosekiRuleError
from koseki.models import CertificateKind, Koseki, Member, RequesterRelation
from koseki.selectors import Register, get_register_by_number
from tenants.access import active_roles
from tenants.models import Municipality, Person, Role

AUDIT_LABELS = {
    "koseki.wide_area_search": "戸籍: 広域交付のための他町の戸籍の検索",
    "koseki.wide_area_lookup": "戸籍: 広域交付のための戸籍の検索(他町の窓口から)",
    "koseki.wide_area_issue": "戸籍: 広域交付による証明書の交付",
    "koseki.wide_area_preview": "戸籍: 広域交付の証明書の見本の表示",
    "koseki.wide_area_disclosure": "戸籍: 広域交付のための戸籍情報の提供(他町の窓口へ)",
}

WIDE_AREA_IN_FORCE = date(2024, 3, 1)  # 令和元年法律第17号 附則: 広域交付 from 令和6年3月1日
WIDE_AREA_KINDS = frozenset({CertificateKind.FULL, CertificateKind.CLOSED_FULL})
MAX_GENERATIONS = 12  # far beyond any living chain; bounds the walk over 父/母 keys
SEARCH_PURPOSE = "広域交付の請求に係る戸籍の特定"
# What counters accept as a photo ID for 広域交付 (the clerk's form offers these; other documents with a photo
# issued by a public office are accepted too, typed in).
PHOTO_ID_DOCUMENTS = (
    "マイナンバーカード",
    "運転免許証",
    "パスポート",
    "運転経歴証明書",
    "在留カード",
    "特別永住者証明書",
    "身体障害者手帳(顔写真付き)",
)


# --- errors ---------------------------------------------------------------------------------------------


class WideAreaKindNotAllowed(KosekiRuleError):
    code = "wide_area_kind_not_allowed"
    message = (
        "広域交付で請求できるのは全部事項証明書(戸籍・除籍)だけです。個人事項証明書・一部事項証明書・"
        "戸籍の附票の写しは、本籍地の町に請求してください(戸籍法第120条の2第1項)。"
    )


class WideAreaProxyNotAllowed(KosekiRuleError):
    code = "wide_area_proxy_not_allowed"
    message = (
        "広域交付は、本人・配偶者・直系尊属・直系卑属が自ら窓口で請求する場合に限られます。"
        "代理人(委任状)や第三者による請求はできません(戸籍法第120条の2第1項)。"
    )


class WideAreaPhotoIdRequired(ValidationFailed):
    code = "wide_area_photo_id_required"
    message = "広域交付では、顔写真付きの本人確認書類(マイナンバーカード・運転免許証・パスポート等)の確認が必要です。"


class WideAreaNotEntitled(KosekiRuleError):
    code = "wide_area_not_entitled"
    message = (
        "請求者が、この戸籍に記録されている方の本人・配偶者・直系尊属・直系卑属であることを戸籍で確認できません。"
        "広域交付はできません(戸籍法第120条の2第1項・第10条第1項)。"
    )


class WideAreaRelationMismatch(KosekiRuleError):
    code = "wide_area_relation_mismatch"
    message = "請求者の資格が戸籍の記録と一致しません。"


class WideAreaRequesterAmbiguous(KosekiRuleError):
    code = "wide_area_requester_ambiguous"
    message = (
        "請求者と同じ氏名・生年月日の方が、複数の戸籍に記録されています。請求者を特定するため、"
        "請求書に記載された請求者の本籍を入力してください。"
    )


class WideAreaUnknownTown(NotFound):
    code = "wide_area_unknown_town"
    message = "本籍地の町が、この共同システムで運用中の町にありません。"


class WideAreaSameTown(KosekiRuleError):
    code = "wide_area_same_town"
    message = "この町が本籍地の戸籍です。広域交付ではなく、通常の証明書の交付を行ってください。"


class WideAreaNotYetInForce(KosekiRuleError):
    code = "wide_area_not_in_force"
    message = "広域交付は令和6年3月1日から行えます(令和元年法律第17号)。"


class WideAreaNotClerk(PermissionDenied):
    code = "wide_area_not_clerk"
    message = "広域交付は、この町の事務職員だけが行えます。"


# --- data -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequesterIdentity:
    """The requester as the photo ID shows them."""

    family_name: str
    given_name: str
    birth_date: date
    # The requester's own 本籍 as written on the 請求書: needed only when two people share name and birth date.
    honseki: str = ""


@dataclass(frozen=True)
class WideAreaRegister:
    """A register of the holding town, as the requesting counter may see it before issuance."""

    holding_schema: str
    town_code: str
    town_name: str
    koseki_number: str
    honseki: str
    head_name: str
    closed: bool


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _same_honseki(recorded: str, wanted: str, *, town_name: str) -> bool:
    """A 本籍 as stated (already ``_compact``) against one recorded in ``town_name``'s registers: the whole of it, or
    its end from the town's name on (「四万十町琴平町1番地」); digits and spaces in any width."""
    recorded = _compact(recorded)
    return recorded == wanted or (recorded.endswith(wanted) and town_name in wanted)


# --- checks ---------------------------------------------------------------------------------------------


def _require_clerk(actor: Person | None, town: Municipality) -> None:
    if actor is None or Role.CLERK not in active_roles(actor, town):
        raise WideAreaNotClerk()


def _holding_town(holding_schema: str, *, here: str) -> Municipality:
    town = Municipality.objects.filter(
        schema_name=holding_schema, kind=Municipality.Kind.TOWN, status=Municipality.Status.ACTIVE
    ).first()
    if town is None:
        raise WideAreaUnknownTown(details={"holding_schema": holding_schema})
    if town.schema_name == here:
        raise WideAreaSameTown()
    return town


def _check_request(
    *, kind: str, requester: RequesterIdentity, requester_relation: str, id_document: str, purpose: str
) -> None:
    """What the law excludes whatever the register says — checked before anything is read."""
    if kind not in WIDE_AREA_KINDS:
        raise WideAreaKindNotAllowed(details={"kind": kind})
    if requester_relation == RequesterRelation.OTHER:
        raise WideAreaProxyNotAllowed()
    if requester_relation not in RequesterRelation.values:
        raise ValidationFailed("請求者の資格が正しくありません。", code="invalid_requester_relation")
    if not id_document:
        raise WideAreaPhotoIdRequired()
    if not purpose:
        raise ValidationFailed("利用目的を入力してください。", code="purpose_required")
    if not _compact(requester.family_name) or not _compact(requester.given_name):
        raise ValidationFailed("請求者の氏名を、本人確認書類のとおりに入力してください。", code="requester_required")
    if local_today() < WIDE_AREA_IN_FORCE:
        raise WideAreaNotYetInForce()


# --- entitlement (戸籍法 第10条第1項 as applied by 第120条の2) -------------------------------------------


Keys = frozenset[UUID]


def _in_towns(schemas: Iterable[str], read: Callable[[], Iterable[UUID | None]]) -> set[UUID]:
    found: set[UUID] = set()
    for schema in schemas:
        with schema_context(schema):
            found.update(key for key in read() if key is not None)
    return found


def _parents(schemas: Iterable[str], keys: Keys) -> set[UUID]:
    def read() -> Iterable[UUID | None]:
        rows = Member.objects.filter(person_key__in=keys).values_list(
            "father_key", "mother_key", "adoptive_father_key", "adoptive_mother_key"
        )
        return [key for row in rows for key in row]

    return _in_towns(schemas, read)


def _children(schemas: Iterable[str], keys: Keys) -> set[UUID]:
    def read() -> Iterable[UUID | None]:
        links = Q(father_key__in=keys) | Q(mother_key__in=keys)
        links |= Q(adoptive_father_key__in=keys) | Q(adoptive_mother_key__in=keys)
        return Member.objects.filter(links).values_list("person_key", flat=True)

    return _in_towns(schemas, read)


def _spouses(schemas: Iterable[str], keys: Keys) -> set[UUID]:
    def read() -> Iterable[UUID | None]:
        # A marriage in force (配偶者区分 set), or one ended by death: the survivor stays the 配偶者 of the
        # deceased for a request of the registers recording them; a divorced spouse does not.
        in_force = Q(is_removed=False) | Q(removed_reason="死亡")
        married = Member.objects.filter(in_force, person_key__in=keys).exclude(spouse_role="")
        return married.values_list("spouse_key", flat=True)

    return _in_towns(schemas, read)


def _lineal(schemas: list[str], start: Keys, step: Callable[[list[str], Keys], set[UUID]]) -> set[UUID]:
    """Every key reached from ``start`` by repeating ``step`` (parents or children), ``start`` excluded."""
    reached: set[UUID] = set()
    frontier = start
    for _ in range(MAX_GENERATIONS):
        frontier = frozenset(step(schemas, frontier) - reached - start)
        if not frontier:
            break
        reached |= frontier
    return reached


def _requester_keys(towns: Sequence[Municipality], requester: RequesterIdentity) -> Keys:
    """The person recorded in either town under the name and birth date on the photo ID (all their appearances
    share one person key); with ``requester.honseki``, only someone recorded in a register with that 本籍.

    Two different people (two keys) with the same name and birth date cannot be told apart by the photo ID: the
    請求書 must then state the requester's own 本籍, else the request is refused rather than granted to either.
    """
    family, given = _compact(requester.family_name), _compact(requester.given_name)
    wanted_honseki = _compact(requester.honseki)
    found: set[UUID] = set()
    registers: set[tuple[str, int]] = set()
    for town in towns:
        with schema_context(town.schema_name):
            rows = Member.objects.filter(
                family_name=family, given_name=given, birth_date=requester.birth_date
            ).values_list("person_key", "koseki__honseki", "koseki_id")
            for key, honseki, koseki_id in rows:
                if key is None or (wanted_honseki and not _same_honseki(honseki, wanted_honseki, town_name=town.name)):
                    continue
                found.add(key)
                registers.add((town.schema_name, koseki_id))
    if len(found) > 1:
        # Nothing about the people found goes into the error: the clerk learns only that the 本籍 is needed.
        raise WideAreaRequesterAmbiguous(details={"persons": len(found), "registers": len(registers)})
    return frozenset(found)


def _entitled_relations(*, towns: Sequence[Municipality], register: Register, requester: RequesterIdentity) -> set[str]:
    """The capacities in which the requester may obtain this register's certificate (empty: none).

    本人 — recorded in it (除籍 members too); 配偶者 — married to someone recorded; 直系卑属 — a 父/母 chain leads
    from the requester up to someone recorded; 直系尊属 — a chain leads from someone recorded up to the requester.
    Adoption links count (養親子関係 is lineal kinship, 民法 第727条); 兄弟姉妹 and 姻族 do not.
    """
    schemas = [town.schema_name for town in towns]
    recorded = frozenset(view.member.person_key for view in register.members)
    mine = _requester_keys(towns, requester)
    if not mine:
        return set()
    relations: set[str] = set()
    if mine & recorded:
        relations.add(RequesterRelation.SELF)
    if _spouses(schemas, mine) & recorded or _spouses(schemas, recorded) & mine:
        relations.add(RequesterRelation.SPOUSE)
    if _lineal(schemas, mine, _parents) & recorded:
        relations.add(RequesterRelation.DESCENDANT)
    if _lineal(schemas, mine, _children) & recorded:
        relations.add(RequesterRelation.ASCENDANT)
    return relations


# --- services -------------------------------------------------------------------------------------------


def find_wide_area_registers(
    *, actor: Person | None, holding_schema: str, honseki: str, head_name: str, purpose: str = SEARCH_PURPOSE
) -> list[WideAreaRegister]:
    """The holding town's registers with this 本籍 and 筆頭者 (the requester must state both): audited in both towns.

    The 本籍 matches as recorded, or its end from the town's name on (「中土佐町久礼1番地」); digits and spaces
    in any width.
    """
    here = Municipality.objects.get(schema_name=current_schema())
    _require_clerk(actor, here)
    holding = _holding_town(holding_schema, here=here.schema_name)
    purpose = " ".join(purpose.split())
    wanted_honseki, wanted_head = _compact(honseki), _compact(head_name)
    if not wanted_honseki or not wanted_head:
        raise ValidationFailed("本籍と筆頭者の氏名を入力してください。", code="wide_area_search_incomplete")
    if not purpose:
        raise ValidationFailed("利用目的を入力してください。", code="purpose_required")
    with transaction.atomic():
        with schema_context(holding.schema_name):
            candidates = Koseki.objects.annotate(head=Concat("family_name", Value(""), "head_given_name")).filter(
                head=wanted_head
            )
            found = [
                koseki
                for koseki in candidates.order_by("honseki", "pk")
                if _same_honseki(koseki.honseki, wanted_honseki, town_name=holding.name)
            ]
        details = {"holding_town": holding.code, "requesting_town": here.code, "matches": len(found)}
        for town, action in sorted(
            [(here.schema_name, "koseki.wide_area_search"), (holding.schema_name, "koseki.wide_area_lookup")]
        ):
            # Both trails in one fixed order (by schema name), so that two towns searching each other at the
            # same moment cannot deadlock on the trails' advisory locks.
            with schema_context(town):
                audit.record(
                    actor=actor,
                    action=action,
                    obj=koseki_ref(found[0]) if len(found) == 1 and town == holding.schema_name else None,
                    purpose=purpose[:200],
                    personal_data=True,
                    details=details,
                )
    return [
        WideAreaRegister(
            holding_schema=holding.schema_name,
            town_code=holding.code or "",
            town_name=holding.name,
            koseki_number=koseki.number,
            honseki=koseki.honseki,
            head_name=koseki.head_name,
            closed=koseki.is_closed,
        )
        for koseki in found
    ]


@dataclass(frozen=True)
class _Authorised:
    """A request that passed every check: who certifies, whose register, and the register as read there."""

    here: Municipality
    holding: Municipality
    register: Register
    kind: str
    requester: RequesterIdentity
    requester_relation: str
    id_document: str
    purpose: str


def _authorise(
    *,
    actor: Person | None,
    holding_schema: str,
    koseki_number: str,
    requester: RequesterIdentity,
    requester_relation: str,
    id_document: str,
    purpose: str,
    kind: str,
) -> _Authorised:
    """Every check of a 広域交付 request — the same for its 見本 and its issuance; reads, writes nothing.

    Called inside the caller's transaction, so that the register printed is the one the checks saw.
    """
    purpose = " ".join((purpose or "").split())
    id_document = " ".join((id_document or "").split())
    _check_request(
        kind=kind, requester=requester, requester_relation=requester_relation, id_document=id_document, purpose=purpose
    )
    here = Municipality.objects.get(schema_name=current_schema())
    _require_clerk(actor, here)
    holding = _holding_town(holding_schema, here=here.schema_name)
    with schema_context(holding.schema_name):
        register = get_register_by_number(number=koseki_number)
        check_kind(koseki=register.koseki, kind=kind, members=None)
    towns = sorted([here, holding], key=lambda town: town.schema_name)
    relations = _entitled_relations(towns=towns, register=register, requester=requester)
    if not relations:
        raise WideAreaNotEntitled(details={"koseki": koseki_number})
    if requester_relation not in relations:
        found = "・".join(RequesterRelation(r).label for r in sorted(relations))
        raise WideAreaRelationMismatch(
            f"請求者の資格が戸籍の記録と一致しません(戸籍で確認できる資格: {found})。請求者の資格を確かめてください。",
            details={"declared": requester_relation, "found": sorted(relations)},
        )
    return _Authorised(
        here=here,
        holding=holding,
        register=register,
        kind=kind,
        requester=requester,
        requester_relation=requester_relation,
        id_document=id_document,
        purpose=purpose,
    )


def issue_wide_area_certificate(
    *,
    actor: Person | None,
    holding_schema: str,
    koseki_number: str,
    requester: RequesterIdentity,
    requester_relation: str,
    id_document: str,
    purpose: str,
    kind: str = CertificateKind.FULL,
) -> IssuedCertificate:
    """Issue the 全部事項証明書 (or 除籍全部事項証明書) of a register held by ``holding_schema``.

    The issuing town's 町長 certifies it (戸籍法 第120条の2), so the paper carries this town's 発行番号,
    verification code and fee; the holding town records that it disclosed the register, to whom and why.
    """
    with transaction.atomic():
        request = _authorise(
            actor=actor,
            holding_schema=holding_schema,
            koseki_number=koseki_number,
            requester=requester,
            requester_relation=requester_relation,
            id_document=id_document,
            purpose=purpose,
            kind=kind,
        )
        issued = _issue(actor=actor, request=request)
    return issued


def preview_wide_area_certificate(
    *,
    actor: Person | None,
    holding_schema: str,
    koseki_number: str,
    requester: RequesterIdentity,
    requester_relation: str,
    id_document: str,
    purpose: str,
    kind: str = CertificateKind.FULL,
) -> bytes:
    """The 見本 of a 広域交付 before issuing: the checks of ``issue_wide_area_certificate`` (a refusal refuses the
    見本 too), the same layout watermarked 「見本」, without 発行番号 or verification code, and no 交付履歴 row
    or serial. What the clerk sees is the other town's register, so both towns audit it as a view.
    """
    with transaction.atomic():
        request = _authorise(
            actor=actor,
            holding_schema=holding_schema,
            koseki_number=koseki_number,
            requester=requester,
            requester_relation=requester_relation,
            id_document=id_document,
            purpose=purpose,
            kind=kind,
        )
        register = request.register
        layout = certificate_layout(
            register=register,
            kind=kind,
            members=[view.member for view in register.members],
            town=request.here,
            today=local_today(),
            number="（見本）",
            code="",
            sample=True,
        )
        document, pages = pdf.render(layout)
        shared = {"kind": kind, "requester_relation": request.requester_relation, "pages": pages, "preview": True}
        _audit_both(
            actor=actor,
            request=request,
            here_row=(
                "koseki.wide_area_preview",
                koseki_ref(register.koseki),
                {**shared, "holding_town": request.holding.code, "koseki": register.koseki.number},
            ),
            holding_details=shared,
        )
    return document


def _issue(*, actor: Person | None, request: _Authorised) -> IssuedCertificate:
    koseki = request.register.koseki
    requester = request.requester
    issued = record_issuance(
        actor=actor,
        register=request.register,
        kind=request.kind,
        covered=[view.member for view in request.register.members],
        requester_name=f"{_compact(requester.family_name)}\u3000{_compact(requester.given_name)}",
        requester_relation=request.requester_relation,
        id_document=request.id_document,
        purpose=request.purpose,
        holding_town=request.holding,
    )
    issuance = issued.issuance
    number = issuance.number
    shared = {
        "kind": request.kind,
        "requester_relation": request.requester_relation,
        "number": number,
        "pages": issuance.page_count,
    }
    _audit_both(
        actor=actor,
        request=request,
        here_row=(
            "koseki.wide_area_issue",
            ("koseki.CertificateIssuance", issuance.pk, f"交付 {number}"),
            {**shared, "holding_town": request.holding.code, "koseki": koseki.number, "fee": issuance.fee},
        ),
        holding_details=shared,
    )
    return issued


def _audit_both(
    *,
    actor: Person | None,
    request: _Authorised,
    here_row: tuple[str, tuple[str, int, str], dict[str, object]],
    holding_details: dict[str, object],
) -> None:
    """The issuing town's row, and the holding town's 「提供」 row (the register it disclosed, to whom and why)."""
    here, holding = request.here, request.holding
    requester_honseki = bool(_compact(request.requester.honseki))
    rows = {
        here.schema_name: (here_row[0], here_row[1], {**here_row[2], "requester_honseki": requester_honseki}),
        holding.schema_name: (
            "koseki.wide_area_disclosure",
            koseki_ref(request.register.koseki),
            {**holding_details, "requesting_town": here.code, "issued_by": actor.full_name if actor else ""},
        ),
    }
    # Both trails in one fixed order (by schema name): two towns issuing for each other at the same moment
    # cannot deadlock on the trails' advisory locks.
    for schema in sorted(rows):
        action, obj, details = rows[schema]
        with schema_context(schema):
            audit.record(
                actor=actor, action=action, obj=obj, purpose=request.purpose[:200], personal_data=True, details=details
            )

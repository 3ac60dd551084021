"""戸籍証明書 (全部事項・個人事項・除籍全部事項) and 戸籍の附票の写し: issuance, 見本, and the daily cash report.

Rules (戸籍法 第10条・第10条の3, 住基法 第20条, docs/domain/koseki.md, 証明書):
* 全部事項証明書 covers every person recorded (除籍 members included, marked 除籍); 個人事項証明書 the chosen
  persons; a closed register (除籍簿) is certified as 除籍全部事項証明書 — and only a closed one;
* dates in 和暦 with full-width digits, struck (消除) entries left out, the 認証文 of the kind on the last page;
* the 発行番号 runs per town and calendar year without gaps (``CertificateSerial``, locked while issuing);
  the verification code is printed on every page and only its SHA-256 is kept (``/verify/`` checks it);
* fees per issuance for the counter's cash report: 戸籍 450 yen, 除籍 750 yen (地方公共団体の手数料の標準に
  関する政令), 附票の写し as the town's 手数料条例 sets it;
* the requester's identity is confirmed at the counter (戸籍法 第10条の3) and the document recorded;
* 附票の写し is refused while a 支援措置 of the resident register covers the person (標準仕様書 §1.1.16,
  住基法 第20条第5項, docs/domain/support_measures.md) — in this town, or in any town on the platform where the
  person lives or lived (``resident_records.disclosure``).

Every issuance, 見本 and refusal writes an audit row with its purpose (personal data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from common import audit, town_settings
from common.dates import local_today
from common.errors import ValidationFailed
from common.serials import next_yearly_serial
from common.tenancy import current_schema
from common.verification import code_digest, format_code, new_verification_code
from common.wareki import wareki_year
from koseki import fuhyo, pdf
from koseki.certificate_layout import certificate_layout
from koseki.errors import KosekiRuleError, MemberNotFound
from koseki.fuhyo import active_towns, certified_lines
from koseki.models import (
    CertificateIssuance,
    CertificateKind,
    CertificateSerial,
    Koseki,
    Member,
    RequesterRelation,
)
from koseki.selectors import Register, get_register
from resident_records import disclosure
from resident_records.support import SupportMeasureBlocked
from tenants.models import Municipality, Person

# Japanese names of this module's audit actions (registered with common.audit_labels by koseki.apps).
AUDIT_LABELS = {
    "koseki.certificate_issue": "戸籍: 証明書の交付",
    "koseki.certificate_preview": "戸籍: 証明書の見本の表示",
    "koseki.certificate_refused": "戸籍: 附票の写しの交付拒否(支援措置)",
    # Written before the check moved to resident_records.disclosure (support_measure.cross_town_check); kept so
    # that older rows keep their label.
    "koseki.fuhyo_support_check": "戸籍: 附票の写しのための支援措置の確認(本籍地の町から)",
}

# The defaults of the fees, which each town sets in its 手数料条例 (per-town settings with a 施行日,
# docs/domain/town-settings.md): 戸籍 450 yen and 除籍 750 yen are the standard of 地方公共団体の手数料の標準に
# 関する政令; 附票の写し has no national standard, 300 yen is what both towns charge.
FEE_KOSEKI = 450
FEE_CLOSED = 750
FEE_FUHYO = 300
FEE_SETTINGS: dict[str, str] = {
    CertificateKind.FULL: "koseki.fee_koseki",
    CertificateKind.INDIVIDUAL: "koseki.fee_koseki",
    CertificateKind.CLOSED_FULL: "koseki.fee_closed",
    CertificateKind.FUHYO: "koseki.fee_fuhyo",
}
SETTINGS = (
    town_settings.SettingSpec("koseki.fee_koseki", "手数料: 戸籍証明書(円)", "int", str(FEE_KOSEKI), "標準 450円"),
    town_settings.SettingSpec(
        "koseki.fee_closed", "手数料: 除籍証明書(円)", "int", str(FEE_CLOSED), "標準 750円(個人事項の除籍も同額)"
    ),
    town_settings.SettingSpec(
        "koseki.fee_fuhyo", "手数料: 戸籍の附票の写し(円)", "int", str(FEE_FUHYO), "手数料条例による"
    ),
)


# --- errors ---------------------------------------------------------------------------------------------


class CertificateKindMismatch(KosekiRuleError):
    code = "certificate_kind_mismatch"
    message = "この戸籍について、その種類の証明書は交付できません。"


class FuhyoLineUnlinked(SupportMeasureBlocked):
    """An unlinked 附票 line in a register where someone is protected (docs/domain/support_measures.md)."""

    code = "fuhyo_line_unlinked"
    message = (
        "この戸籍には支援措置の対象の方がいるため、住民記録との関連付けが確認できない附票の記載は交付できません。"
        "支援措置責任者に連絡してください。"
    )


class CertificateMembersRequired(ValidationFailed):
    code = "certificate_members_required"
    message = "個人事項証明書に記載する方を1人以上選んでください。"


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCertificate:
    issuance: CertificateIssuance
    pdf: bytes
    code: str  # as printed (ABCD-EFGH-…); only its digest is stored


@dataclass(frozen=True)
class DailyLine:
    kind: str
    label: str
    count: int
    fee: int
    wide_area_count: int


@dataclass(frozen=True)
class DailyIssuances:
    """The koseki part of the counter's cash report (日計表) for one day."""

    day: date
    lines: list[DailyLine]

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def fee(self) -> int:
        return sum(line.fee for line in self.lines)


def fee_for(kind: str, *, closed: bool, on: date | None = None) -> int:
    """The fee the town's 手数料条例 sets for this certificate on ``on`` (today): a 除籍 costs the 除籍 fee."""
    key = FEE_SETTINGS[CertificateKind.CLOSED_FULL] if closed and kind != CertificateKind.FUHYO else FEE_SETTINGS[kind]
    return town_settings.int_setting_in_force(key, on=on)


# --- checks ---------------------------------------------------------------------------------------------


def koseki_ref(koseki: Koseki) -> tuple[str, int, str]:
    """How an audit row names a register: by number only, so 本籍 and names stay out of the trail's summary."""
    return ("koseki.Koseki", koseki.pk, f"戸籍 {koseki.number}")


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def check_kind(*, koseki: Koseki, kind: str, members: Sequence[Member] | None) -> None:
    if kind not in CertificateKind.values:
        raise ValidationFailed("証明書の種類が正しくありません。", code="invalid_certificate_kind")
    if kind == CertificateKind.FULL and koseki.is_closed:
        raise CertificateKindMismatch(
            "この戸籍は除籍(消除)されています。除籍全部事項証明書として請求してください。",
            code="certificate_register_closed",
        )
    if kind == CertificateKind.CLOSED_FULL and not koseki.is_closed:
        raise CertificateKindMismatch(
            "この戸籍は現在戸籍です。除籍全部事項証明書ではなく全部事項証明書として請求してください。",
            code="certificate_register_current",
        )
    require_members(kind=kind, members=members)


def require_members(*, kind: str, members: Sequence[object] | None) -> None:
    """A 個人事項証明書 names the persons it certifies; the request form shows this refusal on its ``members``
    field (forms.CertificateForm)."""
    if kind == CertificateKind.INDIVIDUAL and not members:
        raise CertificateMembersRequired(details={"field": "members"})


def covered_members(*, register: Register, kind: str, members: Sequence[Member] | None) -> list[Member]:
    """The persons printed, in register order: everyone for 全部事項 (and a whole 附票), else the chosen ones."""
    everyone = [view.member for view in register.members]
    if kind in (CertificateKind.FULL, CertificateKind.CLOSED_FULL) or not members:
        return everyone
    wanted = {member.pk for member in members}
    missing = sorted(wanted - {member.pk for member in everyone})
    if missing:
        raise MemberNotFound(
            "選ばれた方はこの戸籍に記録されていません。", details={"members": missing, "koseki": register.koseki.number}
        )
    return [member for member in everyone if member.pk in wanted]


def _check_request(*, requester_name: str, requester_relation: str, id_document: str, purpose: str) -> None:
    if not purpose:
        raise ValidationFailed("利用目的を入力してください。", code="purpose_required")
    if not requester_name:
        raise ValidationFailed("請求者の氏名を入力してください。", code="requester_required")
    if requester_relation not in RequesterRelation.values:
        raise ValidationFailed("請求者の資格が正しくありません。", code="invalid_requester_relation")
    if not id_document:
        raise ValidationFailed(
            "窓口で確認した本人確認書類を入力してください(戸籍法第10条の3)。", code="id_document_required"
        )


def ensure_fuhyo_not_blocked(
    *, actor: Person | None, koseki: Koseki, members: Sequence[Member], purpose: str, preview: bool = False
) -> list[str]:
    """Refuse the 附票の写し of anyone a 支援措置 protects; returns the codes of the other towns consulted.

    The one answer is ``resident_records.disclosure``: the person is looked up — by 住民票コード, by the residents
    that sent their 附票 lines (a real link), and by 氏名 and 生年月日 — in this town's resident register and in
    every platform town where they live or lived (the 支援措置 is decided by the 住所地: 住基法 第12条第6項,
    第20条第5項; docs/domain/support_measures.md). Each read in another town is audited there. A line not linked
    to its resident is not printed when anyone in the register is protected: it may be that person's, matched by
    name before the link existed. A refusal writes its audit row here (the attempt matters to the 支援措置責任者)
    and nothing else.
    """
    scope = fuhyo.support_scope(koseki)
    here = current_schema()
    towns = active_towns()
    consulted: set[str] = set()

    def blocked(member: Member) -> disclosure.AddressBlock | None:
        key = fuhyo.person_key_for_member(member, towns=towns)
        consulted.update(t.code or t.schema_name for t in towns if t.schema_name in key.towns and t.schema_name != here)
        return disclosure.address_block(
            actor=actor, person=key, scope=scope, purpose=purpose, subject=koseki_ref(koseki)
        )

    for member in members:
        block = blocked(member)
        if block is not None:
            _refuse_fuhyo(actor=actor, koseki=koseki, member=member, block=block, purpose=purpose, preview=preview)
    covered = {member.pk for member in members}
    unlinked = [
        line for line in certified_lines(koseki=koseki) if line.member_id in covered and not line.resident_atena_number
    ]
    if unlinked:
        for other in Member.objects.filter(koseki=koseki).exclude(pk__in=covered).order_by("position"):
            block = blocked(other)
            if block is not None:
                member = next(m for m in members if m.pk == unlinked[0].member_id)
                _refuse_fuhyo(
                    actor=actor, koseki=koseki, member=member, block=block, purpose=purpose, preview=preview,
                    unlinked=True,
                )  # fmt: skip
    return sorted(consulted)


def _refuse_fuhyo(
    *,
    actor: Person | None,
    koseki: Koseki,
    member: Member,
    block: disclosure.AddressBlock,
    purpose: str,
    preview: bool,
    unlinked: bool = False,
) -> None:
    scope = fuhyo.support_scope(koseki)
    audit.record(
        actor=actor,
        action="koseki.certificate_refused",
        obj=koseki_ref(koseki),
        purpose=purpose[:200],
        personal_data=True,
        details={
            "kind": CertificateKind.FUHYO.value,
            "reason": FuhyoLineUnlinked.code if unlinked else SupportMeasureBlocked.code,
            "member": member.pk,
            "scope": scope,
            "town": block.town_code,
            # The measure's id means something only in the town that decided it.
            **({"measure": block.measure_id} if block.local else {}),
            **({"preview": True} if preview else {}),
        },
    )
    details = {"member": member.pk, "scope": scope, "town": block.town_code}
    if unlinked:
        raise FuhyoLineUnlinked(details=details)
    raise SupportMeasureBlocked(
        "この方には支援措置が設定されているため、戸籍の附票の写しの交付はできません。支援措置責任者に連絡してください。",
        details=details,
    )


# --- numbering ------------------------------------------------------------------------------------------


def next_number(issued_on: date) -> tuple[int, int, str]:
    """The next 発行番号 of the calendar year (gapless, common.serials), e.g. 令和8年戸籍第000001号."""
    serial = next_yearly_serial(CertificateSerial, year=issued_on.year)
    return issued_on.year, serial, f"{wareki_year(issued_on)}戸籍第{serial:06d}号"


# --- services -------------------------------------------------------------------------------------------


# long: one issuance: the checks, the 支援措置 check before the transaction and the issuance in it, in that order
def issue_certificate(
    *,
    actor: Person | None,
    koseki: Koseki,
    kind: str,
    members: Sequence[Member] | None = None,
    requester_name: str,
    requester_relation: str,
    id_document: str,
    purpose: str,
) -> IssuedCertificate:
    """Issue one certificate of a register of this town: the 交付履歴 row (with its fee) and the PDF.

    Refusals (wrong kind for the register, no chosen person, 支援措置 on a 附票) write nothing, except the
    audit row of a 支援措置 refusal.
    """
    purpose = _clean(purpose)
    requester_name = _clean(requester_name)
    id_document = _clean(id_document)
    _check_request(
        requester_name=requester_name, requester_relation=requester_relation, id_document=id_document, purpose=purpose
    )
    register = get_register(koseki_id=koseki.pk)
    check_kind(koseki=register.koseki, kind=kind, members=members)
    covered = covered_members(register=register, kind=kind, members=members)
    consulted: list[str] = []
    if kind == CertificateKind.FUHYO:
        consulted = ensure_fuhyo_not_blocked(actor=actor, koseki=register.koseki, members=covered, purpose=purpose)
    with transaction.atomic():
        # The paper certifies the register as it is now: lock it (a 届出 locks the same row) and read it again
        # inside the transaction, so a 届出 committed since the checks above cannot slip in half-printed.
        Koseki.objects.select_for_update().filter(pk=koseki.pk).values_list("pk", flat=True).get()
        register = get_register(koseki_id=koseki.pk)
        check_kind(koseki=register.koseki, kind=kind, members=members)
        covered = covered_members(register=register, kind=kind, members=members)
        issued = record_issuance(
            actor=actor,
            register=register,
            kind=kind,
            covered=covered,
            requester_name=requester_name,
            requester_relation=requester_relation,
            id_document=id_document,
            purpose=purpose,
        )
        audit.record(
            actor=actor,
            action="koseki.certificate_issue",
            obj=koseki_ref(register.koseki),
            purpose=purpose[:200],
            personal_data=True,
            details={
                "issuance": issued.issuance.pk,
                "number": issued.issuance.number,
                "kind": kind,
                "members": len(covered),
                "pages": issued.issuance.page_count,
                "fee": issued.issuance.fee,
                "requester_relation": requester_relation,
                **({"support_checked_in": consulted} if consulted else {}),
            },
        )
    return issued


# long: one issuance inside the caller's transaction: number, print, record and audit, in the order the
# 交付履歴 requires
def record_issuance(
    *,
    actor: Person | None,
    register: Register,
    kind: str,
    covered: Sequence[Member],
    requester_name: str,
    requester_relation: str,
    id_document: str,
    purpose: str,
    holding_town: Municipality | None = None,
) -> IssuedCertificate:
    """Number, print and record one issuance of this town, inside the caller's transaction.

    ``holding_town`` is set for 広域交付: the register was read in that town's schema, so the 交付履歴 names it
    by code and number (no key across schemas); this town's 町長 certifies the paper and collects the fee.
    """
    koseki = register.koseki
    today = local_today()
    town = Municipality.objects.get(schema_name=current_schema())
    year, serial, number = next_number(today)
    raw_code = new_verification_code()
    code = format_code(raw_code)
    # 附票の写し: struck lines (消除, their 異動 cancelled) are not certified.
    fuhyo = certified_lines(koseki=koseki) if kind == CertificateKind.FUHYO else []
    layout = certificate_layout(
        register=register,
        kind=kind,
        members=covered,
        fuhyo_lines=fuhyo,
        town=town,
        today=today,
        number=number,
        code=code,
    )
    document, pages = pdf.render(layout)
    issuance = CertificateIssuance.objects.create(
        number=number,
        year=year,
        serial=serial,
        kind=kind,
        koseki=koseki if holding_town is None else None,
        member_keys=[str(member.person_key) for member in covered],
        koseki_number=koseki.number,
        honseki=koseki.honseki,
        head_name=koseki.head_name,
        wide_area=holding_town is not None,
        holding_town_code=(holding_town.code or "") if holding_town is not None else "",
        requester_name=requester_name[:100],
        requester_relation=requester_relation,
        id_document=id_document[:100],
        purpose=purpose[:200],
        fee=fee_for(kind, closed=koseki.is_closed),
        page_count=pages,
        issued_at=timezone.now(),
        issued_by_id=actor.pk if actor else None,
        issued_by_name=actor.full_name if actor else "",
        verification_code_sha256=code_digest(raw_code),
        pdf_sha256=hashlib.sha256(document).hexdigest(),
    )
    return IssuedCertificate(issuance=issuance, pdf=document, code=code)


def preview_certificate(
    *,
    actor: Person | None,
    koseki: Koseki,
    kind: str,
    members: Sequence[Member] | None = None,
    purpose: str = "証明書の交付前の見本の確認",
) -> bytes:
    """The 見本 before issuance: the same layout, watermarked 「見本」, without 発行番号 or verification code, and
    no 交付履歴 row. What the clerk sees is personal data, so it is audited as a view of the register; a 附票
    under 支援措置 is refused as for issuance."""
    purpose = _clean(purpose)
    if not purpose:
        raise ValidationFailed("利用目的を入力してください。", code="purpose_required")
    register = get_register(koseki_id=koseki.pk)
    check_kind(koseki=register.koseki, kind=kind, members=members)
    covered = covered_members(register=register, kind=kind, members=members)
    if kind == CertificateKind.FUHYO:
        ensure_fuhyo_not_blocked(actor=actor, koseki=register.koseki, members=covered, purpose=purpose, preview=True)
    fuhyo = certified_lines(koseki=register.koseki) if kind == CertificateKind.FUHYO else []
    layout = certificate_layout(
        register=register,
        kind=kind,
        members=covered,
        fuhyo_lines=fuhyo,
        town=Municipality.objects.get(schema_name=current_schema()),
        today=local_today(),
        number="（見本）",
        code="",
        sample=True,
    )
    document, pages = pdf.render(layout)
    audit.record(
        actor=actor,
        action="koseki.certificate_preview",
        obj=koseki_ref(register.koseki),
        purpose=purpose[:200],
        personal_data=True,
        details={"kind": kind, "members": len(covered), "pages": pages},
    )
    return document


def daily_issuances(*, day: date) -> DailyIssuances:
    """Count and fees per kind of the certificates this town issued on ``day`` (Asia/Tokyo), 広域交付 included —
    the fee of a 広域交付 is collected by the issuing town."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    totals = {
        row["kind"]: row
        for row in CertificateIssuance.objects.filter(issued_at__gte=start, issued_at__lt=start + timedelta(days=1))
        .values("kind")
        .annotate(count=Count("id"), fee=Sum("fee"), wide_area=Count("id", filter=Q(wide_area=True)))
        .order_by("kind")
    }
    lines = [
        DailyLine(
            kind=kind.value,
            label=kind.label,
            count=int(totals.get(kind.value, {}).get("count") or 0),
            fee=int(totals.get(kind.value, {}).get("fee") or 0),
            wide_area_count=int(totals.get(kind.value, {}).get("wide_area") or 0),
        )
        for kind in CertificateKind
    ]
    return DailyIssuances(day=day, lines=lines)

"""住民票の写し, 住民票記載事項証明書 and 除票の写し: issuance with the 交付履歴, voiding, and what is printed.

Rules (住民記録システム標準仕様書 §5.1, §5.2, §1.3.8, §1.1.9; docs/domain/resident_register.md):
* the whole household or chosen members (what a request may ask for and whom it covers:
  ``resident_records.certificate_requests``); 世帯主・続柄, 本籍・筆頭者, 住民票コード and 個人番号 are each omitted
  unless asked for, and the omission is stated on the paper;
* members in the household order (世帯主, 配偶者, 子 by birth date, others);
* dates in 和暦, except a foreign resident's birth date and 在留期間の満了の日, in 西暦 (§1.1.9);
* while a 転出 is pending before its 転出予定日, the 転出 entries are not printed (§5.1);
* the 認証文 on the last page only, a 発行番号 per town and calendar year, and on every page a verification
  code that anyone holding the paper can check on the town's public page (``common.verification``);
* 支援措置: every covered person is checked first by ``resident_records.disclosure`` — in this town and in every
  platform town where the person is or was resident (a 除票 prints the 転出先, the address a block of the town
  moved to protects); a blocked issuance writes nothing but the refusal's audit row (the refusal itself
  matters to the 支援措置責任者 and the auditor). docs/domain/support_measures.md;
* 個人番号 is printed only at the request of the person or a member of the same household (住基法 第12条第1項;
  a third party's 住民票の写し carries the 基礎証明事項 only, 第12条の3; 番号法 第19条); printing it is a reveal
  of the number, audited as one (``mynumber.reveal``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import audit, context, pdf, town_settings
from common.dates import local_today
from common.errors import ValidationFailed
from common.serials import next_yearly_serial
from common.tenancy import current_schema
from common.verification import code_digest, format_code, new_verification_code
from common.wareki import to_wareki, wareki_year
from resident_records import disclosure, mynumber, selectors
from resident_records.certificate_requests import (
    CertificateAlreadyIssued,
    CertificateAlreadyVoid,
    CertificateOptions,
    check_requester,
    covered_residents,
)
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    CertificateSerial,
    Household,
    RequesterKind,
    Resident,
    ResidentType,
    SupportScope,
)
from resident_records.support import SupportMeasureBlocked, ensure_none_blocked
from tenants.models import Domain, Municipality, Person

HEAD = "世帯主"

# Japanese names of this module's audit actions (registered with common.audit_labels by the app config).
AUDIT_LABELS = {
    "certificate.issue": "証明書: 交付",
    "certificate.refused": "証明書: 交付拒否(支援措置)",
    "certificate.void": "証明書: 無効処理",
    "certificate.verify": "証明書: 真正性の確認(公開ページ)",
    "certificate.log_list": "証明書: 交付履歴の照会(API)",
    "certificate.log_export": "証明書: 交付履歴の出力(CSV)",
    "resident.certificate_preview": "証明書: 見本の表示",
}


TITLES = {
    CertificateKind.RESIDENCE_COPY: "住　民　票",
    CertificateKind.ENTRY_CERTIFICATE: "住民票記載事項証明書",
    CertificateKind.REMOVED_COPY: "除　　票",
}

SCOPES = {
    CertificateKind.RESIDENCE_COPY: SupportScope.CERTIFICATE,
    CertificateKind.ENTRY_CERTIFICATE: SupportScope.CERTIFICATE,
    CertificateKind.REMOVED_COPY: SupportScope.REMOVED_CERTIFICATE,
}


def attestation(kind: str, *, whole_household: bool) -> str:
    """The 認証文 (printed once, on the last page)."""
    if kind == CertificateKind.ENTRY_CERTIFICATE:
        return "上記の事項は、住民票の原本と相違ないことを証明する。"
    if kind == CertificateKind.REMOVED_COPY:
        return "この写しは、除票の原本と相違ないことを証明する。"
    if whole_household:
        return "この写しは、世帯全員の住民票の原本と相違ないことを証明する。"
    return "この写しは、住民票の原本と相違ないことを証明する。"


# --- helpers --------------------------------------------------------------------------------------------


# 住民票の写し・記載事項証明書の手数料: each town's 手数料条例 (docs/domain/town-settings.md); 300 yen in both towns.
FEE_SETTING = "resident_records.fee_certificate"
SETTINGS = (
    town_settings.SettingSpec(
        FEE_SETTING, "手数料: 住民票の写し・記載事項証明書(円)", "int", "300", "手数料条例による"
    ),
)


def verification_url() -> str:
    """The public verification page of this town: its configured public URL (a per-town setting,
    docs/domain/town-settings.md), else its primary host."""
    public = town_settings.setting_in_force(town_settings.PUBLIC_URL)
    if public:
        return f"{public.rstrip('/')}/verify/"
    domain = (
        Domain.objects.filter(tenant__schema_name=current_schema())
        .order_by("-is_primary", "pk")
        .values_list("domain", flat=True)
        .first()
    )
    scheme = getattr(settings, "KYODO_PUBLIC_URL_SCHEME", "https")
    return f"{scheme}://{domain or 'localhost'}/verify/"


def _next_number(issued_on: date) -> tuple[int, int, str]:
    """The next 発行番号 of the calendar year (gapless, common.serials), e.g. 令和8年第000001号."""
    serial = next_yearly_serial(CertificateSerial, year=issued_on.year)
    return issued_on.year, serial, f"{wareki_year(issued_on)}第{serial:06d}号"


_ORDER_TIERS = {HEAD: 0, "妻": 1, "夫": 1, "子": 2}


def _fallback_key(resident: Resident, head_id: int | None) -> tuple[int, date, str]:
    if resident.pk == head_id:
        tier = 0
    elif resident.relationship in _ORDER_TIERS:
        tier = _ORDER_TIERS[resident.relationship]
    elif resident.relationship.startswith(("子の", "孫")):
        tier = 3
    else:
        tier = 4
    return tier, resident.birth_date, resident.atena_number


def household_order(residents: Sequence[Resident], *, household_id: int | None, head_id: int | None) -> list[Resident]:
    """The order of a household certificate (標準仕様書 §5.2, docs/domain/resident_register.md).

    The register's ``selectors.household_as_of`` gives the household's members in that order (tiers by 続柄,
    birth dates, newcomers last); anyone it does not list (a 除票) follows, by 世帯主, spouse, children by
    birth date, others, then 宛名番号.
    """
    position: dict[int, int] = {}
    if household_id is not None:
        state = selectors.household_as_of(household_id, local_today())
        if state is not None:
            position = {record.resident_id: index for index, record in enumerate(state.members)}
    return sorted(residents, key=lambda r: (position.get(r.pk, len(position)), *_fallback_key(r, head_id)))


def _date(day: date | None, *, western: bool = False) -> str:
    if day is None:
        return ""
    if western:
        return f"{day.year}年{day.month}月{day.day}日"
    return to_wareki(day)


def _address(resident: Resident) -> str:
    return f"{resident.address}　{resident.address_detail}".strip("　")


def _entry(
    resident: Resident, options: CertificateOptions, kind: str, today: date, numbers: dict[int, str]
) -> pdf.Entry:
    foreign = resident.resident_type == ResidentType.FOREIGN
    # Pairs, two to a row: (生年月日, 性別), (住民となった年月日, 続柄), (住所を定めた年月日, 届出年月日).
    items: list[pdf.Item] = [
        # §1.1.9: a foreign resident's birth date in 西暦.
        pdf.Item("生年月日", _date(resident.birth_date, western=foreign)),
        pdf.Item("性別", resident.get_sex_display()),
        pdf.Item("住民となった年月日", _date(resident.became_resident_on)),
        pdf.Item("続柄", resident.relationship) if options.head_and_relationship else pdf.BLANK,
        pdf.Item("住所を定めた年月日", _date(resident.address_set_on)),
        pdf.Item("届出年月日", _date(resident.notified_on)),
    ]
    if resident.former_surname:
        items.append(pdf.Item("旧氏", f"{resident.former_surname}（{resident.former_surname_kana}）", wide=True))
    if resident.alias:
        items.append(pdf.Item("通称", resident.alias, wide=True))
    if resident.previous_address:
        items.append(pdf.Item("従前の住所", resident.previous_address, wide=True))
    if foreign:
        items += [
            pdf.Item("国籍・地域", resident.nationality),
            pdf.Item("在留資格", resident.residence_status),
            pdf.Item("在留期間等の満了の日", _date(resident.residence_period_end, western=True)),
        ]
    elif options.domicile:
        items += [pdf.Item("本籍", resident.domicile, wide=True), pdf.Item("筆頭者", resident.domicile_head)]
    if options.resident_code:
        items.append(pdf.Item("住民票コード", resident.resident_code or "（なし）"))
    if options.my_number:
        items.append(pdf.Item("個人番号", numbers.get(resident.pk) or "（なし）"))
    if kind == CertificateKind.REMOVED_COPY:
        reason = resident.removal_reason or resident.get_status_display()
        items.append(pdf.Item("消除事由", reason))
        items.append(pdf.Item("消除年月日", _date(resident.removed_on or resident.moving_out_on)))
        if resident.moving_out_address:
            items.append(pdf.Item("転出先", resident.moving_out_address, wide=True))
    elif resident.moving_out_on is not None and not resident.moving_out_confirmed and resident.moving_out_on <= today:
        # §5.1: before the 転出予定日 a pending 転出 is not printed.
        items.append(
            pdf.Item("転出予定", f"{_date(resident.moving_out_on)}　{resident.moving_out_address}".strip(), wide=True)
        )
    return pdf.Entry(name=resident.full_name, name_kana=resident.full_name_kana, items=items)


def _layout(
    *,
    kind: str,
    options: CertificateOptions,
    ordered: Sequence[Resident],
    head: Resident | None,
    whole: bool,
    today: date,
    number: str,
    verification_code: str,
    my_numbers: dict[int, str],
    sample: bool = False,
) -> pdf.CertificateLayout:
    """What is printed: one builder for the issued certificate and its 見本, so the preview cannot differ."""
    town = Municipality.objects.get(schema_name=current_schema())
    header = [pdf.Item("住所", _address(ordered[0]), wide=True)]
    if options.head_and_relationship and head is not None and kind != CertificateKind.REMOVED_COPY:
        header.append(pdf.Item("世帯主", head.full_name, wide=True))
    omitted = options.omitted()
    notes = [f"（記載省略）{'、'.join(omitted)}の記載を省略しています。"] if omitted else []
    return pdf.CertificateLayout(
        title=TITLES[CertificateKind(kind)],
        town=town.name,
        mayor=town_settings.mayor_title(town.name, on=today),
        number=number,
        issued_on=to_wareki(today),
        header=header,
        entries=[_entry(r, options, kind, today, my_numbers) for r in ordered],
        attestation=attestation(kind, whole_household=whole),
        verification_code=verification_code,
        verification_url="" if sample else verification_url(),
        notes=notes,
        sample=sample,
    )


def _prepare(
    *, kind: str, household: Household | None, residents: Sequence[Resident]
) -> tuple[list[Resident], Resident | None, bool]:
    """The covered residents in print order, the head and whether it is the whole household — after the
    支援措置 check of every covered person (住基法 第12条第6項; docs/domain/resident_register.md)."""
    covered, covered_household, whole = covered_residents(kind=kind, household=household, residents=residents)
    ensure_none_blocked(residents=covered, scope=SCOPES[CertificateKind(kind)])
    head = covered_household.head if covered_household is not None else None
    ordered = household_order(
        covered, household_id=covered_household.pk if covered_household else None, head_id=head.pk if head else None
    )
    return ordered, head, whole


def _refusal(*, actor: Person | None, kind: str, purpose: str, blocked: SupportMeasureBlocked, preview: bool) -> None:
    # Written after the rollback: the attempt is what the 支援措置責任者 and the auditor need to see.
    info = blocked.details if isinstance(blocked.details, dict) else {}
    audit.record(
        actor=actor,
        action="certificate.refused",
        obj=("resident_records.Resident", info.get("resident", ""), f"住民 {info.get('atena_number', '')}"),
        purpose=purpose[:200],
        personal_data=True,
        details={
            "kind": kind,
            "reason": blocked.code,
            "measure": info.get("measure"),
            "town": info.get("town"),
            **({"preview": True} if preview else {}),
        },
    )


def _ensure_disclosable(
    *,
    actor: Person | None,
    kind: str,
    purpose: str,
    requester_kind: str,
    household: Household | None,
    residents: Sequence[Resident],
) -> None:
    """The 支援措置 check of every covered person, across the platform's towns (``disclosure``).

    Run before the issuing transaction: the other towns' audit rows of the check must survive a refusal.
    """
    covered, _, _ = covered_residents(kind=kind, household=household, residents=residents)
    ordered = sorted(covered, key=lambda r: r.pk)
    # All the covered persons at once: a constant number of queries per town, however large the household.
    disclosure.ensure_addresses_disclosable(
        actor=actor,
        persons=disclosure.person_keys_for_residents(ordered),
        scope=SCOPES[CertificateKind(kind)],
        purpose=purpose or "証明書の交付の確認",
        requester=requester_kind,
        subjects=ordered,
        details=[{"resident": r.pk, "atena_number": r.atena_number} for r in ordered],
    )


def _reveal_my_numbers(
    *, actor: Person | None, ordered: Sequence[Resident], options: CertificateOptions, purpose: str, **details: object
) -> dict[int, str]:
    """The 個人番号 printed on the paper (or its 見本): each one a reveal, audited as the register page's."""
    if not options.my_number:
        return {}
    return {
        resident.pk: mynumber.reveal(
            actor=actor, resident=resident, purpose=purpose, details={"channel": "certificate", **details}
        )
        for resident in ordered
        if resident.my_number_encrypted
    }


# --- services -------------------------------------------------------------------------------------------


def issue_certificate(
    *,
    actor: Person | None,
    kind: str,
    purpose: str,
    requested_by: str,
    household: Household | None = None,
    residents: Sequence[Resident] = (),
    options: CertificateOptions | None = None,
    idempotency_key: UUID | None = None,
    requester_kind: str = RequesterKind.THIRD_PARTY,
) -> tuple[CertificateIssuance, bytes]:
    """Issue one certificate: returns the 交付履歴 row and the PDF to print.

    Refused under a 支援措置 (SupportMeasureBlocked) with nothing written except the refusal's audit rows (here,
    and in the other town consulted); refused before anything is read when ``requester_kind`` may not have the
    個人番号 printed (MyNumberNotAllowed). ``idempotency_key`` (the confirmation screen's): a second call with the
    same key raises CertificateAlreadyIssued naming the first issuance, and writes nothing.
    """
    if kind not in CertificateKind.values:
        raise ValidationFailed("証明書の種類が正しくありません。", code="invalid_certificate_kind")
    purpose = " ".join(purpose.split())
    requested_by = " ".join(requested_by.split())
    if not purpose:
        raise ValidationFailed("利用目的を入力してください。", code="purpose_required")
    if not requested_by:
        raise ValidationFailed("請求者(本人・同一世帯の方・第三者など)を入力してください。", code="requester_required")
    chosen_options = options or CertificateOptions()
    if chosen_options.fee is not None and chosen_options.fee < 0:
        raise ValidationFailed("手数料が正しくありません。", code="invalid_fee")
    for label, value in (("請求者", requested_by), ("利用目的", purpose)):
        if len(value) > 200:  # the 交付履歴 columns: refused, never cut (docs/domain/resident_register.md §9)
            raise ValidationFailed(f"{label}は200文字以内で入力してください。", code="text_too_long")
    check_requester(requester_kind=requester_kind, options=chosen_options)
    try:
        _ensure_disclosable(
            actor=actor, kind=kind, purpose=purpose, requester_kind=requester_kind, household=household,
            residents=residents,
        )  # fmt: skip
        return _issue(
            actor=actor,
            kind=kind,
            purpose=purpose,
            requested_by=requested_by,
            requester_kind=requester_kind,
            household=household,
            residents=residents,
            options=chosen_options,
            idempotency_key=idempotency_key,
        )
    except SupportMeasureBlocked as blocked:
        _refusal(actor=actor, kind=kind, purpose=purpose, blocked=blocked, preview=False)
        raise


def ensure_issuable(
    *,
    actor: Person | None,
    kind: str,
    purpose: str,
    household: Household | None = None,
    residents: Sequence[Resident] = (),
    options: CertificateOptions | None = None,
    requester_kind: str = RequesterKind.THIRD_PARTY,
) -> list[Resident]:
    """The checks of issuance without issuing (the confirmation step): the covered residents in print order.

    Under a 支援措置 the refusal is audited as for issuance, and the confirmation shows nothing of the person.
    """
    if kind not in CertificateKind.values:
        raise ValidationFailed("証明書の種類が正しくありません。", code="invalid_certificate_kind")
    check_requester(requester_kind=requester_kind, options=options or CertificateOptions())
    try:
        _ensure_disclosable(
            actor=actor, kind=kind, purpose=" ".join(purpose.split()), requester_kind=requester_kind,
            household=household, residents=residents,
        )  # fmt: skip
        with transaction.atomic():
            ordered, _, _ = _prepare(kind=kind, household=household, residents=residents)
    except SupportMeasureBlocked as blocked:
        _refusal(actor=actor, kind=kind, purpose=" ".join(purpose.split()), blocked=blocked, preview=True)
        raise
    return ordered


def preview_certificate(
    *,
    actor: Person | None,
    kind: str,
    purpose: str,
    household: Household | None = None,
    residents: Sequence[Resident] = (),
    options: CertificateOptions | None = None,
    requester_kind: str = RequesterKind.THIRD_PARTY,
) -> bytes:
    """The 見本 of a certificate before issuance: the same layout code, watermarked 「見本」, with neither
    発行番号 nor verification code, and no 交付履歴 row (nothing was issued; §1.3.8 logs issuances only).

    What the clerk sees is personal data, so the preview is audited (one resident.certificate_preview row with the
    利用目的, listing every person shown in ``details["persons"]``). Refused under a 支援措置 exactly like
    issuance: showing the content of a blocked 住民票 at the counter is what the block forbids (住基法 第12条第6項).
    """
    if kind not in CertificateKind.values:
        raise ValidationFailed("証明書の種類が正しくありません。", code="invalid_certificate_kind")
    purpose = " ".join(purpose.split())
    if not purpose:
        raise ValidationFailed("利用目的を入力してください。", code="purpose_required")
    chosen_options = options or CertificateOptions()
    check_requester(requester_kind=requester_kind, options=chosen_options)
    try:
        _ensure_disclosable(
            actor=actor, kind=kind, purpose=purpose, requester_kind=requester_kind, household=household,
            residents=residents,
        )  # fmt: skip
        with transaction.atomic():
            ordered, head, whole = _prepare(kind=kind, household=household, residents=residents)
    except SupportMeasureBlocked as blocked:
        _refusal(actor=actor, kind=kind, purpose=purpose, blocked=blocked, preview=True)
        raise
    layout = _layout(
        kind=kind,
        options=chosen_options,
        ordered=ordered,
        head=head,
        whole=whole,
        today=local_today(),
        number="（見本）",
        verification_code="",
        my_numbers=_reveal_my_numbers(
            actor=actor, ordered=ordered, options=chosen_options, purpose=purpose, preview=True
        ),
        sample=True,
    )
    document, pages = pdf.render(layout)
    # One row for the view, listing everyone shown (docs/audit.md «One row per view»).
    audit.record(
        actor=actor,
        action="resident.certificate_preview",
        obj=ordered[0],
        purpose=purpose[:200],
        personal_data=True,
        details={"kind": kind, "pages": pages, "persons": [r.atena_number for r in ordered]},
    )
    return document


# long: one issuance in one transaction: number, print, record and audit, in the order the 交付履歴 requires
@transaction.atomic
def _issue(
    *,
    actor: Person | None,
    kind: str,
    purpose: str,
    requested_by: str,
    requester_kind: str,
    household: Household | None,
    residents: Sequence[Resident],
    options: CertificateOptions,
    idempotency_key: UUID | None = None,
) -> tuple[CertificateIssuance, bytes]:
    covered, covered_household, whole = covered_residents(kind=kind, household=household, residents=residents)
    # Again inside the transaction, this town's part of the check: a measure decided since cannot slip through.
    ensure_none_blocked(residents=covered, scope=SCOPES[CertificateKind(kind)])
    head = covered_household.head if covered_household is not None else None
    ordered = household_order(
        covered, household_id=covered_household.pk if covered_household else None, head_id=head.pk if head else None
    )

    now = timezone.now()
    today = local_today()
    year, serial, number = _next_number(today)
    # Checked after taking the year's serial row: that lock orders two submits of one screen, so the second
    # sees the first's committed row here and its own serial increment rolls back with it (no gap).
    if idempotency_key is not None:
        earlier = CertificateIssuance.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            raise CertificateAlreadyIssued(earlier)
    code = new_verification_code()
    layout = _layout(
        kind=kind,
        options=options,
        ordered=ordered,
        head=head,
        whole=whole,
        today=today,
        number=number,
        verification_code=format_code(code),
        my_numbers=_reveal_my_numbers(actor=actor, ordered=ordered, options=options, purpose=purpose, number=number),
    )
    document, pages = pdf.render(layout)
    issuance = CertificateIssuance.objects.create(
        number=number,
        year=year,
        serial=serial,
        kind=kind,
        household=covered_household,
        whole_household=whole,
        include_head_and_relationship=options.head_and_relationship,
        include_domicile=options.domicile,
        include_resident_code=options.resident_code,
        include_my_number=options.my_number,
        requested_by=requested_by,
        requester_kind=requester_kind,
        purpose=purpose,
        issued_at=now,
        issued_by_id=actor.pk if actor else None,
        issued_by_name=actor.full_name if actor else "",
        terminal=context.current().terminal[:100],
        page_count=pages,
        # A fee the clerk did not state is the one the town's 手数料条例 sets today (per-town setting).
        fee=options.fee if options.fee is not None else town_settings.int_setting_in_force(FEE_SETTING, on=today),
        verification_code_sha256=code_digest(code),
        pdf_sha256=hashlib.sha256(document).hexdigest(),
        idempotency_key=idempotency_key,
    )
    issuance.residents.set(ordered)
    for resident in ordered:
        audit.record(
            actor=actor,
            action="certificate.issue",
            obj=resident,
            purpose=purpose[:200],
            personal_data=True,
            details={"issuance": issuance.pk, "number": number, "kind": kind, "pages": pages},
        )
    return issuance, document


@transaction.atomic
def void_certificate(*, actor: Person | None, issuance: CertificateIssuance, reason: str) -> CertificateIssuance:
    """廃棄・無効: once, with a reason (§1.3.8); the verification page then answers 無効."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed("無効にする理由を入力してください。", code="void_reason_required")
    locked = CertificateIssuance.objects.select_for_update().get(pk=issuance.pk)
    if locked.voided_at is not None:
        raise CertificateAlreadyVoid(details={"number": locked.number})
    locked.voided_at = timezone.now()
    locked.voided_by_id = actor.pk if actor else None
    locked.voided_by_name = actor.full_name if actor else ""
    locked.void_reason = reason[:500]
    locked.save(update_fields=["voided_at", "voided_by_id", "voided_by_name", "void_reason"])
    audit.record(
        actor=actor,
        action="certificate.void",
        obj=locked,
        purpose=f"証明書の無効処理: {reason}"[:200],
        details={"number": locked.number, "kind": locked.kind},
    )
    return locked

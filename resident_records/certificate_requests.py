"""What a request for a 住民票の写し, 記載事項証明書 or 除票の写し may ask for and whom the paper covers
(住民記録システム標準仕様書 §5.1; 住基法 第12条第1項; docs/domain/resident_register.md): the items printed on
request, who may have the 個人番号 printed, and the persons covered. Checked before anything is read or issued
(resident_records.certificates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from common.errors import ApplicationError, ValidationFailed
from resident_records.errors import MyNumberNotAllowed, ResidentNotFound
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    Household,
    RequesterKind,
    Resident,
    ResidentStatus,
)


@dataclass(frozen=True)
class CertificateOptions:
    """Items printed only on request (§5.1); ``fee`` is recorded in the 交付履歴 when given."""

    head_and_relationship: bool = False
    domicile: bool = False
    resident_code: bool = False
    my_number: bool = False
    fee: int | None = None

    def omitted(self) -> list[str]:
        wanted = [
            (self.head_and_relationship, "世帯主の氏名及び続柄"),
            (self.domicile, "本籍及び筆頭者"),
            (self.resident_code, "住民票コード"),
            (self.my_number, "個人番号"),
        ]
        return [label for asked, label in wanted if not asked]


class CertificateAlreadyIssued(ApplicationError):
    """The confirmation screen's key was already used: the certificate exists, nothing new is issued."""

    code = "certificate_already_issued"
    message = "この証明書は既に発行されています(二重送信)。交付履歴の発行番号を確認してください。"
    status_code = 409

    def __init__(self, issuance: CertificateIssuance) -> None:
        super().__init__(details={"number": issuance.number, "issuance": issuance.pk})
        self.issuance = issuance


# 住基法 第12条第1項: the 住民票の写し with the 個人番号 is for the person and the members of their household only.
MY_NUMBER_REQUESTERS = frozenset({RequesterKind.SELF, RequesterKind.SAME_HOUSEHOLD})


def check_requester(*, requester_kind: str, options: CertificateOptions) -> None:
    """Who may ask for what (docs/domain/support_measures.md, 個人番号): refuses before anything is read."""
    if requester_kind not in RequesterKind.values:
        raise ValidationFailed("請求者の区分が正しくありません。", code="invalid_requester_kind")
    if options.my_number and requester_kind not in MY_NUMBER_REQUESTERS:
        raise MyNumberNotAllowed(details={"requester_kind": requester_kind})


class CertificateAlreadyVoid(ApplicationError):
    code = "certificate_already_void"
    message = "この証明書はすでに無効にされています。"
    status_code = 409


def require_someone(*, whole_household: bool, chosen: Sequence[object]) -> None:
    """A certificate names at least one person: the whole household, or the persons chosen. The request form
    shows this refusal on its ``members`` field (resident_records.forms.CertificateForm)."""
    if not whole_household and not chosen:
        raise ValidationFailed(
            "記載する方を1人以上選ぶか、「世帯全員」を選んでください。",
            code="no_residents",
            details={"field": "members"},
        )


def covered_residents(
    *, kind: str, household: Household | None, residents: Sequence[Resident]
) -> tuple[list[Resident], Household | None, bool]:
    """The residents printed, their household and whether the paper covers the whole household."""
    removed = kind == CertificateKind.REMOVED_COPY
    if household is not None:
        if removed:
            raise ValidationFailed("除票の写しは、対象の方を選んで請求してください。", code="removed_copy_by_person")
        members = list(Resident.objects.filter(household=household, status=ResidentStatus.RESIDENT))
        if not members:
            raise ValidationFailed("この世帯には住民がいません。", code="household_empty")
        return members, household, True
    ids = list(dict.fromkeys(r.pk for r in residents))
    require_someone(whole_household=False, chosen=ids)
    fresh = {r.pk: r for r in Resident.objects.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in fresh]
    if missing:
        raise ResidentNotFound(details={"ids": missing})
    chosen = [fresh[pk] for pk in ids]
    if removed:
        current = [r.atena_number for r in chosen if r.status == ResidentStatus.RESIDENT]
        if current:
            raise ValidationFailed(
                "住民登録のある方の除票の写しは交付できません。住民票の写しを請求してください。",
                code="not_removed",
                details={"atena_numbers": current},
            )
    else:
        gone = [r.atena_number for r in chosen if r.status != ResidentStatus.RESIDENT]
        if gone:
            raise ValidationFailed(
                "転出・死亡等により消除された方が含まれています。除票の写しとして請求してください。",
                code="not_resident",
                details={"atena_numbers": gone},
            )
    households = {r.household_id for r in chosen}
    if len(households) != 1:
        raise ValidationFailed(
            "1枚の証明書には同じ世帯の方だけを記載できます。世帯ごとに請求してください。", code="mixed_households"
        )
    return chosen, chosen[0].household, False

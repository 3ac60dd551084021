"""Forms of certificate requests: this town's 戸籍証明書 and 広域交付."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from common.errors import ApplicationError
from common.forms import PurposeField
from koseki import certificates
from koseki.forms.fields import choice_field, date_field, text_field
from koseki.models import CertificateKind, RequesterRelation

# --- 証明書 ------------------------------------------------------------------------------------------


class RequestForm(forms.Form):
    """Who asks, in what capacity, with which ID document, and why (戸籍法 第10条・第10条の3)."""

    requester_name = text_field("請求者氏名")
    requester_relation = choice_field("請求者の資格", RequesterRelation.choices)
    id_document = text_field("本人確認書類", max_length=100, help_text="例: 運転免許証、マイナンバーカード")
    purpose = PurposeField(label="利用目的", help_text="請求書に記載された利用目的(監査記録に残ります)")


class CertificateForm(RequestForm):
    kind = choice_field("証明書の種類", CertificateKind.choices, initial=CertificateKind.FULL)
    members = forms.MultipleChoiceField(
        label="記載する方(個人事項証明書、附票の写しを一部の方について請求する場合)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "記載する方の選択が正しくありません。"},
    )

    field_order = ["kind", "members", "requester_name", "requester_relation", "id_document", "purpose"]

    def __init__(self, *args: Any, members: Sequence[Any] = (), closed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(m.pk), f"{m.full_name}{'(除籍)' if m.is_removed else ''}") for m in members]
        if closed and not self.is_bound:
            self.initial["kind"] = CertificateKind.CLOSED_FULL

    def clean(self) -> dict[str, Any]:
        # The rule is the service's; the form shows its refusal with the other field errors.
        data = super().clean() or {}
        if "members" not in self.errors:
            try:
                certificates.require_members(kind=str(data.get("kind") or ""), members=data.get("members") or [])
            except ApplicationError as exc:
                self.add_error("members", exc.message)
        return data


class WideAreaSearchForm(forms.Form):
    """広域交付 (戸籍法 第120条の2): the register is identified by 本籍 and 筆頭者, as on the 請求書."""

    holding_schema = choice_field("本籍地の市町村", [])
    honseki = text_field(
        "本籍", max_length=200, help_text="請求書に記載された本籍(例: 高知県高岡郡四万十町琴平町1番地)"
    )
    head_name = text_field("筆頭者氏名", max_length=100)
    purpose = PurposeField(help_text="請求書に記載された利用目的(両方の町の監査記録に残ります)")

    def __init__(self, *args: Any, towns: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["holding_schema"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(towns)


class WideAreaIssueForm(WideAreaSearchForm):
    """The 請求者 must appear in person with a photo ID; only 本人・配偶者・直系尊属・直系卑属 (第120条の2第1項)."""

    koseki_number = choice_field("交付する戸籍", [])
    requester_family_name = text_field("請求者の氏", max_length=50)
    requester_given_name = text_field("請求者の名", max_length=50)
    requester_birth_date = date_field("請求者の生年月日")
    requester_honseki = text_field(
        "請求者の本籍",
        required=False,
        max_length=200,
        help_text="請求書に記載された請求者ご自身の本籍(同じ氏名・生年月日の方が他にいる場合に必要です)",
    )
    requester_relation = choice_field("請求者の資格", RequesterRelation.choices)
    id_document = text_field(
        "顔写真付きの本人確認書類", max_length=100, help_text="マイナンバーカード、運転免許証、パスポート など"
    )

    def __init__(self, *args: Any, registers: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["koseki_number"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(registers)

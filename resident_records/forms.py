"""Forms of the clerk's resident-register pages. They only read and check input; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from common.errors import ApplicationError
from common.forms import PurposeField, WarekiDateField
from resident_records import certificate_requests, services
from resident_records.models import CertificateKind, RequesterKind, Resident, Sex
from resident_records.services import PersonInput, Versioned


def _text(label: str, *, required: bool = True, max_length: int = 100, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        error_messages={
            "required": f"{label}を入力してください。",
            "max_length": f"{label}は{max_length}文字以内で入力してください。",
        },
        **kwargs,
    )


def _date(label: str, *, required: bool = True) -> WarekiDateField:
    return WarekiDateField(label=label, required=required, error_messages={"required": f"{label}を入力してください。"})


class SearchForm(forms.Form):
    query = _text("氏名・フリガナ", required=False, help_text="漢字・かなのどちらでも(一部でも可)")
    birth_date = _text("生年月日", required=False, max_length=40, help_text="和暦・西暦、年だけでも可(例: 昭和55年)")
    address = _text("住所", required=False)
    atena_number = _text("宛名番号", required=False, max_length=20)
    include_removed = forms.BooleanField(label="除票(転出・死亡等)も含める", required=False)
    purpose = PurposeField()
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        keys = ("query", "birth_date", "address", "atena_number")
        if not any((data.get(k) or "").strip() for k in keys) and not self.errors.keys() & set(keys):
            raise ValidationError("検索条件を入力してください(氏名・フリガナ、生年月日、住所、宛名番号のいずれか)。")
        return data


class PurposeForm(forms.Form):
    purpose = PurposeField()


class AsOfForm(forms.Form):
    as_of = _date("時点指定", required=False)


class VersionedForm(forms.Form):
    """The id and version the clerk's screen showed; a stale version is refused by the service."""

    target_id = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def versioned(self) -> Versioned:
        return Versioned(self.cleaned_data["target_id"], self.cleaned_data["version"])


class EventDatesForm(forms.Form):
    event_date = _date("異動日")
    notified_on = _date("届出日", required=False)


class HouseholdAddressForm(EventDatesForm):
    postal_code = _text("郵便番号", required=False, max_length=8)
    address = _text("住所", max_length=200)
    address_detail = _text("方書", required=False)


class MoveInForm(HouseholdAddressForm):
    """転入 (住基法 第22条), 国外からの転入 (第30条の46 for foreign residents), or 職権記載 (施行令 第12条)."""

    ENTRY_KINDS = [("move_in", "転入(国内から)"), ("move_in_abroad", "国外からの転入"), ("ex_officio", "職権記載")]

    entry_kind = forms.ChoiceField(label="異動の種類", choices=ENTRY_KINDS, initial="move_in")
    previous_address = _text("従前の住所", max_length=200)
    reason = _text(
        "職権記載の理由", required=False, max_length=200, help_text="職権記載の場合だけ入力(例: 帰化による記載)"
    )
    # 職権記載 needs its reason: the service's rule (services.record_ex_officio_entry), shown on this field.


class ChangeOfAddressForm(VersionedForm, HouseholdAddressForm):
    pass


class MemberForm(forms.Form):
    family_name = _text("氏", max_length=50)
    given_name = _text("名", max_length=50)
    family_name_kana = _text("氏(フリガナ)")
    given_name_kana = _text("名(フリガナ)")
    birth_date = _date("生年月日")
    sex = forms.ChoiceField(
        label="性別",
        choices=[("", "選択してください"), *Sex.choices],
        error_messages={"required": "性別を選んでください。"},
    )
    relationship = _text("続柄", max_length=20, help_text="世帯主との続柄(世帯主・妻・子 など)")

    def person(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(
            family_name=data["family_name"],
            given_name=data["given_name"],
            family_name_kana=data["family_name_kana"],
            given_name_kana=data["given_name_kana"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            relationship=data["relationship"],
        )


class MoveInMemberForm(MemberForm):
    """One person of a 転入届: also the 戸籍の表示 (本籍・筆頭者, 住基法 第7条第5号) and the 住民票コード
    (第7条第13号) from the 転出証明書, so the 附票 of the 本籍地 is updated on the 転入 itself."""

    domicile = _text(
        "本籍", required=False, max_length=200, help_text="日本人住民のみ(例: 高知県高岡郡中土佐町久礼1234番地)"
    )
    domicile_head = _text("筆頭者", required=False, max_length=100)
    resident_code = _text("住民票コード", required=False, max_length=20, help_text="11桁の数字(転出証明書に記載)")

    def person(self) -> PersonInput:
        data = self.cleaned_data
        return replace(
            super().person(),
            domicile=data["domicile"],
            domicile_head=data["domicile_head"],
            resident_code=data["resident_code"],
        )


class BirthForm(VersionedForm, MemberForm):
    """出生届: the child joins the household; the 生年月日 is the 異動日."""

    notified_on = _date("届出日", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relationship"].help_text = "世帯主との続柄(子・長男・孫 など)"


class NewHeadForm(forms.Form):
    """A 新しい世帯主 choice and a 続柄 field per member (住基法 第7条第4号: 続柄 is to the 世帯主)."""

    member_ids: list[int]

    def add_head_fields(
        self,
        *,
        candidates: Sequence[tuple[int, str]],
        members: Sequence[tuple[int, str]],
        help_text: str,
        required: bool = True,
    ) -> None:
        self.member_ids = [pk for pk, _ in members]
        self.fields["new_head"] = forms.TypedChoiceField(
            label="新しい世帯主",
            coerce=int,
            required=required,
            empty_value=None,
            choices=[("", "選択してください"), *candidates],
            error_messages={
                "required": "新しい世帯主を選んでください。",
                "invalid_choice": "新しい世帯主の選択が正しくありません。",
            },
        )
        for pk, name in members:
            self.fields[f"relationship_{pk}"] = _text(
                f"{name}の新しい世帯主との続柄", required=False, max_length=20, help_text=help_text
            )

    def relationships(self) -> dict[int, str]:
        """The 続柄 entered, without the new 世帯主's own (the service sets it to 世帯主)."""
        return {
            pk: self.cleaned_data[f"relationship_{pk}"]
            for pk in self.member_ids
            if self.cleaned_data.get(f"relationship_{pk}") and pk != self.cleaned_data.get("new_head")
        }


class DeathForm(NewHeadForm, VersionedForm):
    """死亡届. When the 世帯主 dies and others remain, the new 世帯主 and every 続柄 to them are given here
    (住基法 第25条: the service refuses the event otherwise)."""

    died_on = _date("死亡日")
    notified_on = _date("届出日", required=False)

    def __init__(self, *args: Any, successors: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_ids = []
        if successors:
            self.add_head_fields(candidates=successors, members=successors, help_text="新しい世帯主になる方は空欄")


class HeadChangeForm(NewHeadForm, VersionedForm, EventDatesForm):
    """世帯主変更 (住基法 第25条): every member's 続柄 is re-entered relative to the new 世帯主."""

    def __init__(
        self, *args: Any, candidates: Sequence[tuple[int, str]], members: Sequence[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        help_text = "現在の続柄を表示しています。新しい世帯主になる方は空欄で可"
        self.add_head_fields(candidates=candidates, members=members, help_text=help_text)


class DepartureForm(NewHeadForm):
    """転出確定 / 職権消除 of chosen members. If the 世帯主 is among them and others stay, the new 世帯主 and
    the remaining members' 続柄 are given too (住基法 第25条; the service refuses the event otherwise)."""

    # At least one resident is the service's rule (services.require_chosen), shown with the other field errors.
    members = forms.TypedMultipleChoiceField(
        label="対象の住民",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "対象の住民の選択が正しくありません。"},
    )

    def __init__(
        self,
        *args: Any,
        choices: Sequence[tuple[int, str]],
        versions: dict[int, int],
        successors: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        assert isinstance(members, forms.TypedMultipleChoiceField)
        members.choices = list(choices)
        for pk in versions:
            self.fields[f"version_{pk}"] = forms.IntegerField(widget=forms.HiddenInput, initial=versions[pk])
        self.member_ids = []
        if successors:
            help_text = "世帯主が対象で他の世帯員が残る場合だけ入力(新しい世帯主は空欄)"
            self.add_head_fields(candidates=successors, members=successors, help_text=help_text, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "members" not in self.errors:
            try:
                services.require_chosen(data.get("members") or [])
            except ApplicationError as exc:
                self.add_error("members", exc.message)
        return data

    def chosen(self) -> list[Versioned]:
        """The chosen residents with the versions the screen showed (a stale one is refused by the service)."""
        return [Versioned(pk, self.cleaned_data.get(f"version_{pk}") or 0) for pk in self.cleaned_data["members"]]

    def relationships(self) -> dict[int, str]:
        leaving = set(self.cleaned_data.get("members") or ())
        return {pk: value for pk, value in super().relationships().items() if pk not in leaving}

    def successor(self) -> dict[str, Any]:
        """The service's new_head / relationships arguments, only when a new 世帯主 was chosen."""
        new_head = self.cleaned_data.get("new_head")
        return {"new_head": new_head, "relationships": self.relationships()} if new_head is not None else {}


class MoveOutForm(DepartureForm, VersionedForm, EventDatesForm):
    """転出届 (転出予定, 住基法 第24条) of the whole household or of chosen members."""

    destination = _text("転出先の住所", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].label = "転出する住民"
        self.fields["event_date"].label = "転出予定日"
        self.fields["event_date"].error_messages["required"] = "転出予定日を入力してください。"


class ConfirmMoveOutForm(DepartureForm):
    """転出確定 on the 転入通知 of the new town (住基法 第9条第1項)."""

    moved_on = _date("転出日(転入通知に記載の異動日)")
    notice_received_on = _date("転入通知の受理日")
    destination = _text("転出先の住所", required=False, max_length=200, help_text="転出届と異なる場合だけ入力")


class ExOfficioRemovalForm(DepartureForm):
    """職権消除 (住基法 第8条, 施行令 第12条第3項), e.g. 実態調査により居住の事実なし."""

    event_date = _date("消除日")
    reason = _text("消除の理由", max_length=200, help_text="異動の履歴に残ります(例: 実態調査により居住の事実なし)。")


class SplitForm(DepartureForm, VersionedForm, EventDatesForm):
    """世帯分離 (住基法 第25条): the chosen members form a new household; one 続柄 field per member, read as
    the 続柄 to the new household's 世帯主 for those who leave and, only when the 世帯主 leaves, to the staying
    household's new 世帯主 for those who stay."""

    def __init__(
        self, *args: Any, choices: Sequence[tuple[int, str]], names: Sequence[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, choices=choices, successors=(), **kwargs)
        self.fields["members"].label = "分離して新しい世帯をつくる住民"
        help_text = "分離する方は新しい世帯の世帯主との続柄。残る方は、元の世帯主が分離する場合だけ入力"
        self.add_head_fields(candidates=choices, members=names, help_text=help_text)
        self.fields["new_head"].label = "新しい世帯の世帯主"
        self.fields["new_head"].error_messages["required"] = "新しい世帯の世帯主を選んでください。"
        self.fields["remaining_head"] = forms.TypedChoiceField(
            label="元の世帯の新しい世帯主",
            coerce=int,
            required=False,
            empty_value=None,
            choices=[("", "(元の世帯主が残る場合は選択不要)"), *choices],
            help_text="元の世帯主が分離する場合だけ選んでください。",
        )
        for pk, name in names:
            self.fields[f"relationship_{pk}"].label = f"{name}の新しい続柄"
        self.order_fields(["event_date", "notified_on", "members", "new_head", "remaining_head"])

    def _given(self, ids: set[int], head: int | None) -> dict[int, str]:
        return {
            pk: self.cleaned_data[f"relationship_{pk}"]
            for pk in self.member_ids
            if pk in ids and pk != head and self.cleaned_data.get(f"relationship_{pk}")
        }

    def leaving_relationships(self) -> dict[int, str]:
        return self._given(set(self.cleaned_data["members"]), self.cleaned_data["new_head"])

    def remaining_relationships(self) -> dict[int, str] | None:
        head = self.cleaned_data.get("remaining_head")
        if head is None:
            return None
        return self._given(set(self.member_ids) - set(self.cleaned_data["members"]), head)


class MergeForm(VersionedForm, EventDatesForm):
    """世帯合併 (住基法 第25条): first the 世帯番号 of the household that joins, then each joining member's
    続柄 to this household's 世帯主."""

    absorbed_number = _text("この世帯に加わる世帯の世帯番号", max_length=20, help_text="同じ住所の世帯に限ります")
    absorbed_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    absorbed_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, joining: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.joining_ids = [pk for pk, _ in joining]
        for pk, name in joining:
            self.fields[f"relationship_{pk}"] = _text(f"{name}のこの世帯の世帯主との続柄", max_length=20)

    def relationships(self) -> dict[int, str]:
        return {pk: self.cleaned_data[f"relationship_{pk}"] for pk in self.joining_ids}


class CancelEventForm(forms.Form):
    reason = _text("取消しの理由", max_length=200, help_text="異動の履歴に残ります(例: 届出内容の誤り、処理誤り)。")


_ShownWarekiDateField = WarekiDateField  # every WarekiDateField shows its value in 和暦


# The whitelist of services.CORRECTABLE_FIELDS in the order of the resident page (a test checks they agree).
CORRECTION_FIELDS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "former_surname", "former_surname_kana",
    "alias", "alias_kana", "birth_date", "sex", "relationship", "postal_code", "address", "address_detail",
    "became_resident_on", "address_set_on", "previous_address", "domicile", "domicile_head", "nationality",
    "residence_status", "residence_period_end", "resident_code", "moving_out_address",
)  # fmt: skip


class CorrectionForm(VersionedForm):
    """誤記修正 / 職権修正: every correctable item is shown with its current value; the changed ones are corrected."""

    effective_on = _ShownWarekiDateField(
        label="修正の適用日",
        required=False,
        help_text="表示は直前の記録の適用日です(空欄でも同じ)。例: 令和8年4月1日、2026-04-01",
    )
    reason = _text("修正の理由", max_length=200, help_text="異動の履歴に残ります(例: 戸籍の届出による、入力誤り)。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CORRECTION_FIELDS:
            model_field = Resident._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            label = str(model_field.verbose_name)
            required = not (model_field.blank or model_field.null)
            field: forms.Field
            if isinstance(model_field, models.DateField):
                field = _ShownWarekiDateField(
                    label=label, required=required, error_messages={"required": f"{label}を入力してください。"}
                )
            elif name == "sex":
                field = forms.ChoiceField(
                    label=label, choices=Sex.choices, error_messages={"required": "性別を選んでください。"}
                )
            else:
                field = _text(label, required=required, max_length=int(model_field.max_length or 200))
            self.fields[name] = field
        self.order_fields([*CORRECTION_FIELDS, "effective_on", "reason"])

    def changes(self) -> dict[str, Any]:
        """Only the items the clerk changed (the service refuses a correction that changes nothing)."""
        return {name: self.cleaned_data[name] for name in CORRECTION_FIELDS if name in self.changed_data}


# At least one member is the service's rule (services.record_move_in): an empty formset reaches it and its
# refusal is shown as the form's error.
MemberFormSet = forms.formset_factory(MoveInMemberForm, extra=4, max_num=10, absolute_max=10)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(
        label="証明書の種類",
        choices=CertificateKind.choices,
        initial=CertificateKind.RESIDENCE_COPY,
        error_messages={
            "required": "証明書の種類を選んでください。",
            "invalid_choice": "証明書の種類が正しくありません。",
        },
    )
    whole_household = forms.BooleanField(label="世帯全員", required=False, initial=True)
    members = forms.MultipleChoiceField(
        label="記載する方(世帯全員でない場合)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "記載する方の選択が正しくありません。"},
    )
    head_and_relationship = forms.BooleanField(label="世帯主の氏名及び続柄", required=False)
    domicile = forms.BooleanField(label="本籍及び筆頭者", required=False)
    resident_code = forms.BooleanField(label="住民票コード", required=False)
    my_number = forms.BooleanField(label="個人番号", required=False)
    requester_kind = forms.ChoiceField(
        label="請求者の区分",
        # No default: who asks decides what may be printed, so the clerk chooses every time.
        choices=[("", "選んでください"), *RequesterKind.choices],
        help_text="個人番号は、本人又は同一世帯の方の請求に限り記載できます(住民基本台帳法第12条第1項)。",
        error_messages={
            "required": "請求者の区分を選んでください。",
            "invalid_choice": "請求者の区分が正しくありません。",
        },
    )
    requested_by = _text("請求者", max_length=200, help_text="請求者の氏名(代理人・第三者の場合はその方)")
    purpose = PurposeField(help_text="請求書に記載された利用目的")
    fee = forms.IntegerField(
        label="手数料(円)",
        required=False,
        min_value=0,
        help_text="交付履歴に記録されます(免除は0)。",
        error_messages={
            "min_value": "手数料は0円以上で入力してください。",
            "invalid": "手数料は数字で入力してください。",
        },
    )

    def __init__(self, *args: Any, member_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        assert isinstance(members, forms.MultipleChoiceField)
        members.choices = member_choices

    def clean(self) -> dict[str, Any]:
        # The rule is the service's; the form shows its refusal with the other field errors.
        data = super().clean() or {}
        if "members" not in self.errors:
            try:
                certificate_requests.require_someone(
                    whole_household=bool(data.get("whole_household")), chosen=data.get("members") or []
                )
            except ApplicationError as exc:
                self.add_error("members", exc.message)
        return data


class VoidForm(forms.Form):
    reason = _text("無効にする理由", max_length=500)


class InspectionForm(forms.Form):
    """申出 for 住民基本台帳の一部の写しの閲覧 (住基法 第11条の2)."""

    requester = _text("申出者", max_length=100, help_text="法人名・氏名など(閲覧者の本人確認は窓口で行います)")
    purpose = _text("閲覧の目的", max_length=150, help_text="例: 世論調査(調査名)")
    area = _text("区域(住所の先頭部分)", max_length=100, help_text="例: 高知県高岡郡中土佐町久礼")
    born_from = _date("生年月日(から)", required=False)
    born_to = _date("生年月日(まで)", required=False)

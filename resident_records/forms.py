"""Forms of the clerk's resident-register pages. They only read and check input; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.wareki import WarekiError, parse_wareki
from resident_records.models import CertificateKind, Sex
from resident_records.services import PersonInput, Versioned

DATE_ERROR = "日付を正しく入力してください(例: 令和8年4月1日 または 2026-04-01)"
DATE_HELP = "例: 令和8年4月1日、R8.4.1、2026-04-01"


class WarekiDateField(forms.Field):
    """A date typed in 和暦 or 西暦 (common.wareki.parse_wareki), cleaned to a ``date``."""

    widget = forms.TextInput(attrs={"maxlength": "40", "autocomplete": "off", "inputmode": "text"})
    default_error_messages = {"invalid": DATE_ERROR}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > 40:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parse_wareki(text)
        except WarekiError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def prepare_value(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value


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


class PurposeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "利用目的")
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("help_text", "監査記録に残ります(例: 転入届の受付、住民票の写しの交付請求)。")
        kwargs.setdefault(
            "error_messages",
            {
                "required": "利用目的を入力してください(監査記録に残ります)。",
                "max_length": "利用目的は200文字以内で入力してください。",
            },
        )
        super().__init__(**kwargs)


class SearchForm(forms.Form):
    query = _text("氏名・フリガナ", required=False, help_text="漢字・かなのどちらでも(一部でも可)")
    birth_date = _text("生年月日", required=False, max_length=40, help_text="和暦・西暦、年だけでも可(例: 昭和55年)")
    address = _text("住所", required=False)
    atena_number = _text("宛名番号", required=False, max_length=20)
    include_removed = forms.BooleanField(label="除票(転出・死亡等)も含める", required=False)
    purpose = PurposeField()

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
    previous_address = _text("従前の住所", max_length=200)


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


class BirthForm(VersionedForm, MemberForm):
    """出生届: the child joins the household; the 生年月日 is the 異動日."""

    notified_on = _date("届出日", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relationship"].help_text = "世帯主との続柄(子・長男・孫 など)"


class MoveOutForm(VersionedForm, EventDatesForm):
    """転出届 of the whole household (転出予定, 住基法 第24条)."""

    destination = _text("転出先の住所", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_date"].label = "転出予定日"
        self.fields["event_date"].error_messages["required"] = "転出予定日を入力してください。"


class DeathForm(VersionedForm):
    """死亡届. When the 世帯主 dies and others remain, the new 世帯主 and every 続柄 to them are given here
    (住基法 第25条: the service refuses the event otherwise)."""

    died_on = _date("死亡日")
    notified_on = _date("届出日", required=False)

    def __init__(self, *args: Any, successors: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.successor_ids = [pk for pk, _ in successors]
        if successors:
            self.fields["new_head"] = forms.TypedChoiceField(
                label="新しい世帯主",
                coerce=int,
                choices=[("", "選択してください"), *successors],
                error_messages={"required": "新しい世帯主を選んでください。"},
            )
            for pk, name in successors:
                self.fields[f"relationship_{pk}"] = _text(
                    f"{name}の新しい世帯主との続柄", required=False, max_length=20,
                    help_text="新しい世帯主になる方は空欄",
                )  # fmt: skip

    def relationships(self) -> dict[int, str]:
        return {
            pk: self.cleaned_data[f"relationship_{pk}"]
            for pk in self.successor_ids
            if self.cleaned_data.get(f"relationship_{pk}") and pk != self.cleaned_data.get("new_head")
        }


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.has_changed()]
        if not filled:
            raise ValidationError("転入する方を1人以上入力してください。")


MemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=4, max_num=10, absolute_max=10)


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
    requested_by = _text("請求者", max_length=200, help_text="本人・同一世帯の方・代理人 など")
    purpose = PurposeField(help_text="請求書に記載された利用目的")

    def __init__(self, *args: Any, member_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        assert isinstance(members, forms.MultipleChoiceField)
        members.choices = member_choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("whole_household") and not data.get("members") and "members" not in self.errors:
            self.add_error("members", "記載する方を1人以上選ぶか、「世帯全員」を選んでください。")
        return data


class VoidForm(forms.Form):
    reason = _text("無効にする理由", max_length=500)

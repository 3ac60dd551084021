"""Forms of the 年末調整 pages: they parse input; the rules are the service's (docs/domain/payroll.md §13.8)."""

from __future__ import annotations

from typing import Any

from django import forms

from common.forms import WarekiDateField
from payroll.services.year_end import DECLARATION_FIELDS
from payroll.year_end_models import YearEndDeclaration


class YearEndRunForm(forms.Form):
    year = forms.IntegerField(label="年分(西暦)", min_value=2000, max_value=2100)
    settle_month = WarekiDateField(label="過不足の精算月(その月の1日・通常は翌年1月)")


class DeclarationForm(forms.ModelForm):
    specific_relative_incomes_text = forms.CharField(
        label="特定親族(19〜22歳)の合計所得金額の見積額(円、複数は読点・カンマ区切り)", required=False
    )

    class Meta:
        model = YearEndDeclaration
        fields = [name for name in DECLARATION_FIELDS if name != "specific_relative_incomes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            incomes = self.instance.specific_relative_incomes or []
            self.fields["specific_relative_incomes_text"].initial = ",".join(str(i) for i in incomes)

    def clean_specific_relative_incomes_text(self) -> list[int]:
        text = str(self.cleaned_data.get("specific_relative_incomes_text") or "")
        parts = [part.strip() for part in text.replace("、", ",").split(",") if part.strip()]
        try:
            return [int(part.replace("円", "")) for part in parts]
        except ValueError:
            raise forms.ValidationError("金額(円)を数字で入力してください。") from None

    def values(self) -> dict[str, Any]:
        """The parsed declaration, as the service takes it."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["specific_relative_incomes"] = self.cleaned_data["specific_relative_incomes_text"]
        return values


class ReadjustmentForm(forms.Form):
    """The reason and settlement month of a 再年末調整 (§13.11); the declaration is a DeclarationForm beside it."""

    reason = forms.CharField(label="再年末調整の理由(例: 12月の扶養親族の異動、保険料控除証明書の追加)", max_length=200)
    settle_month = WarekiDateField(label="精算月(その月の1日・まだ確定していない例月)")

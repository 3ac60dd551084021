"""The clerk's forms: parse input only; every rule is the service's (its ApplicationError is shown here)."""

from __future__ import annotations

from typing import Any

from django import forms

from common.forms import PurposeField, WarekiDateField, YenField
from finance.models import BudgetLine, CommitmentKind, PaymentMethod, Vendor


class LineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        account = obj.fiscal_year.account
        prefix = "" if account.code == "01" else f"[{account.name}] "
        saisetsu = f"-{obj.saisetsu}" if obj.saisetsu else ""
        return f"{prefix}{obj.budget_code} {obj.moku.name} 節{obj.setsu}{saisetsu} {obj.name}"


class VendorChoiceField(forms.ModelChoiceField):
    """Name and フリガナ, for individuals too (the list is read through selectors.vendor_picker, audited)."""

    def label_from_instance(self, obj: Any) -> str:
        suffix = "(個人)" if obj.kind == "individual" else ""
        return f"{obj.name}({obj.name_kana}){suffix}"


class CommitmentForm(forms.Form):
    committed_on = WarekiDateField(label="負担行為日")
    line = LineChoiceField(label="科目(目・節)", queryset=BudgetLine.objects.none())
    vendor = VendorChoiceField(label="債権者(登録済み)", queryset=Vendor.objects.none(), required=False)
    payee_name = forms.CharField(label="債権者名(未登録の場合)", max_length=100, required=False)
    amount = YenField(label="金額(円)")
    purpose = forms.CharField(label="件名・目的", max_length=200)
    kind = forms.ChoiceField(label="区分", choices=CommitmentKind.choices, initial=CommitmentKind.NORMAL)

    def __init__(self, *args: Any, lines: Any, vendors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        line_field = self.fields["line"]
        assert isinstance(line_field, forms.ModelChoiceField)
        line_field.queryset = lines
        line_field.widget.attrs["data-balance-url"] = "balance/"
        vendor_field = self.fields["vendor"]
        assert isinstance(vendor_field, forms.ModelChoiceField)
        vendor_field.queryset = vendors


class TransferForm(forms.Form):
    source = LineChoiceField(label="流用元(目・節)", queryset=BudgetLine.objects.none())
    target = LineChoiceField(label="流用先(目・節)", queryset=BudgetLine.objects.none())
    amount = YenField(label="金額(円)")
    on = WarekiDateField(label="流用日")
    reason = forms.CharField(label="理由", max_length=200)

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("source", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = lines


class InspectForm(forms.Form):
    inspected_on = WarekiDateField(label="検収日")


class OrderForm(forms.Form):
    amount = YenField(label="支出命令額(円)")
    pay_on = WarekiDateField(label="支払予定日")
    method = forms.ChoiceField(label="支払方法", choices=PaymentMethod.choices[:2])


class AuditForm(forms.Form):
    decision = forms.ChoiceField(label="審査結果", choices=[("approve", "承認"), ("return", "差戻し")])
    note = forms.CharField(label="審査意見", max_length=200, required=False)


class PayForm(forms.Form):
    paid_on = WarekiDateField(label="支払日")
    method = forms.ChoiceField(label="支払方法", choices=PaymentMethod.choices[:2])


class AllotmentForm(forms.Form):
    line = LineChoiceField(label="科目(目・節)", queryset=BudgetLine.objects.none())
    department_code = forms.CharField(label="課の所属コード", max_length=20)
    amount = YenField(label="配当額(円)")

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["line"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = lines


class PurposeForm(forms.Form):
    purpose = PurposeField(help_text="監査記録に残ります(例: 支払口座の確認、債権者情報の訂正)。")

"""Forms of the 水道料金 pages: they read and check what the clerk typed; the services decide."""

from __future__ import annotations

from datetime import date

from django import forms

from common.forms import PurposeField, WarekiDateField, YenField
from water_billing.models import CapitalItem, Channel, FundingSource


class PurposeForm(forms.Form):
    purpose = PurposeField(help_text="監査記録に残ります(例: 料金の問合せ対応、滞納整理)。")


class SearchForm(forms.Form):
    q = forms.CharField(label="水栓番号・使用者・住所", max_length=100)


class RunForm(forms.Form):
    period = forms.ChoiceField(label="料金期")
    district = forms.ChoiceField(label="地区", required=False)

    def __init__(self, *args: object, periods: list[str], districts: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["period"].choices = [(p, p) for p in periods]  # type: ignore[attr-defined]
        self.fields["district"].choices = [("", "全地区"), *((d, d) for d in districts)]  # type: ignore[attr-defined]


class ReadingsForm(forms.Form):
    period = forms.ChoiceField(label="料金期")
    file = forms.FileField(
        label="検針データ(CSV: 水栓番号,検針日,指針)", error_messages={"required": "ファイルを選んでください。"}
    )

    def __init__(self, *args: object, periods: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["period"].choices = [(p, p) for p in periods]  # type: ignore[attr-defined]


class DebitRequestForm(forms.Form):
    period = forms.ChoiceField(label="料金期")
    debit_on = WarekiDateField(label="引落日")

    def __init__(self, *args: object, periods: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["period"].choices = [(p, p) for p in periods]  # type: ignore[attr-defined]


class DebitResultForm(forms.Form):
    debit_on = WarekiDateField(label="引落日")
    file = forms.FileField(label="振替結果ファイル", error_messages={"required": "ファイルを選んでください。"})


class PaymentForm(forms.Form):
    bill = forms.CharField(label="請求番号(督促手数料・延滞金の番号も可)", max_length=20)
    amount = YenField(label="収納額")
    paid_on = WarekiDateField(label="収納日")
    channel = forms.ChoiceField(
        label="収納方法", choices=[(Channel.COUNTER, "窓口"), (Channel.CONVENIENCE, "コンビニ収納")]
    )


class StatementsForm(forms.Form):
    start = WarekiDateField(label="期間の初日")
    end = WarekiDateField(label="期間の末日")


class PaymentsImportForm(forms.Form):
    file = forms.FileField(
        label="収納データ(CSV: 請求番号,収納日,収納額,収納機関の受付番号)",
        error_messages={"required": "ファイルを選んでください。"},
    )
    channel = forms.ChoiceField(
        label="収納方法", choices=[(Channel.CONVENIENCE, "コンビニ収納"), (Channel.COUNTER, "窓口")]
    )


class ReadingForm(forms.Form):
    period = forms.ChoiceField(label="料金期")
    read_on = WarekiDateField(label="検針日")
    value = forms.IntegerField(label="指針", min_value=0, required=False, help_text="認定の場合は空欄")
    estimated = forms.BooleanField(label="認定(検針できなかったため前年同期または前期の水量で認定)", required=False)
    rollover = forms.BooleanField(label="メーター一巡", required=False)
    old_final = forms.IntegerField(label="メーター交換: 旧メーター撤去時指針", min_value=0, required=False)
    new_initial = forms.IntegerField(label="メーター交換: 新メーター取付時指針", min_value=0, required=False)
    new_meter_serial = forms.CharField(label="メーター交換: 新メーター番号", max_length=30, required=False)

    def __init__(self, *args: object, periods: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["period"].choices = [(p, p) for p in periods]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("estimated") and data.get("value") is None:
            self.add_error("value", "指針を入力してください(検針できなかった場合は「認定」を選んでください)。")
        return data


class PlanForm(forms.Form):
    tap_number = forms.CharField(label="水栓番号", max_length=20)
    agreed_on = WarekiDateField(label="誓約日")
    instalments = forms.CharField(
        label="納付計画(1行に1回: 納付日,金額)", widget=forms.Textarea(attrs={"rows": 6}),
        help_text="例: 2027-01-31,5000 — 各回の合計を未納額と一致させてください。",
    )  # fmt: skip

    def clean_instalments(self) -> list[tuple[date, int]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["instalments"].splitlines(), start=1):
            if not line.strip():
                continue
            day, _, amount = line.replace("，", ",").partition(",")
            try:
                rows.append((date.fromisoformat(day.strip()), int(amount.strip().replace("円", ""))))
            except ValueError:
                message = f"{number}行目を「納付日,金額」(例: 2027-01-31,5000)で入力してください。"
                raise forms.ValidationError(message) from None
        if not rows:
            raise forms.ValidationError("納付計画を1回以上入力してください。")
        return rows


class PlanPaymentForm(forms.Form):
    amount = YenField(label="収納額")
    paid_on = WarekiDateField(label="収納日")
    channel = forms.ChoiceField(
        label="収納方法", choices=[(Channel.COUNTER, "窓口"), (Channel.CONVENIENCE, "コンビニ収納")]
    )


class CapitalEntryForm(forms.Form):
    item = forms.ChoiceField(label="科目", choices=CapitalItem.choices)
    posted_on = WarekiDateField(label="計上日")
    amount = YenField(label="金額")
    memo = forms.CharField(label="摘要", max_length=200, required=False)


class CapitalFundingForm(forms.Form):
    source = forms.ChoiceField(label="補填財源", choices=FundingSource.choices)
    amount = YenField(label="金額")
    note = forms.CharField(label="備考", max_length=200, required=False)


class CapitalBudgetForm(forms.Form):
    item = forms.ChoiceField(label="科目", choices=CapitalItem.choices)
    amount = YenField(label="予算額(補正後の額)")


class MoveConfirmForm(forms.Form):
    day = WarekiDateField(label="開栓・閉栓・名義変更の日")
    open_tap = forms.CharField(label="開栓する給水装置の水栓番号", max_length=20, required=False)
    user_name = forms.CharField(label="新しい使用者の氏名", max_length=100, required=False)
    user_kana = forms.CharField(label="新しい使用者のフリガナ", max_length=100, required=False)
    resident_number = forms.CharField(label="新しい使用者の宛名番号", max_length=15, required=False)

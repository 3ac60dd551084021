"""Forms of the 人事給与 pages: they parse input; the rules are the services' (docs/domain/payroll.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms

from common.forms import WarekiDateField
from payroll.models import JobType, LeaveReason


class SalaryTableUploadForm(forms.Form):
    table_code = forms.RegexField(label="給料表コード", regex=r"^[0-9A-Za-z_-]{1,20}$", initial="gyosei1")
    table_name = forms.CharField(label="給料表の名称", max_length=100, initial="行政職給料表(一)")
    effective_from = WarekiDateField(label="施行日")
    basis = forms.CharField(label="根拠(条例)", max_length=200, required=False)
    file = forms.FileField(label="CSVファイル(級,号給,月額)")


class TransferUploadForm(forms.Form):
    title = forms.CharField(label="件名", max_length=100, initial="人事異動")
    effective_on = WarekiDateField(label="発令日")
    file = forms.FileField(label="CSVファイル(職員番号,所属コード,所属名,級,号給)")


class MonthlyInputUploadForm(forms.Form):
    pay_month = WarekiDateField(label="支給月(その月の1日)")
    file = forms.FileField(label="CSVファイル(職員番号,125%,135%,150%,175%,深夜,勤務時間,成績率)")


class SpecialDutyUploadForm(forms.Form):
    pay_month = WarekiDateField(label="支給月(その月の1日)")
    file = forms.FileField(label="CSVファイル(職員番号,種類コード,日数・回数)")


# --- 発令 (人事担当) ----------------------------------------------------------------------------------------------

_JOB_TYPES = [(value, label) for value, label in JobType.choices]


class HireForm(forms.Form):
    number = forms.RegexField(label="職員番号", regex=r"^[0-9A-Za-z-]{1,20}$")
    name = forms.CharField(label="氏名", max_length=100)
    name_kana = forms.CharField(label="氏名カナ", max_length=100)
    birth_date = WarekiDateField(label="生年月日")
    hired_on = WarekiDateField(label="採用日")
    unit_code = forms.CharField(label="所属コード", max_length=20)
    unit_name = forms.CharField(label="所属名", max_length=100)
    job_type = forms.ChoiceField(label="職種", choices=_JOB_TYPES)
    table_code = forms.CharField(label="給料表コード", max_length=20, required=False, initial="gyosei1")
    grade = forms.IntegerField(label="級", min_value=1, required=False)
    step = forms.IntegerField(label="号給", min_value=1, required=False)
    monthly_amount = forms.IntegerField(label="報酬月額(会計年度任用・特別職)", min_value=0, required=False)
    hourly_rate = forms.IntegerField(label="時間額", min_value=0, required=False)
    weekly_hours = forms.DecimalField(label="週の勤務時間", min_value=0, max_value=168, required=False)
    term_ends_on = WarekiDateField(label="任期の末日(会計年度任用職員)", required=False)

    POSITION = ("unit_code", "unit_name", "job_type", "table_code", "grade", "step", "monthly_amount", "hourly_rate")

    def position(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {key: data[key] for key in self.POSITION}
        values["monthly_amount"] = data["monthly_amount"] or 0
        values["hourly_rate"] = data["hourly_rate"] or 0
        values["weekly_hours"] = data["weekly_hours"] or Decimal(0)
        values["term_ends_on"] = data["term_ends_on"]
        if values["job_type"] not in ("general", "fiscal_full"):
            values.update(table_code="", grade=None, step=None)
        return values


class _AppointmentForm(forms.Form):
    effective_on = WarekiDateField(label="発令日")
    note = forms.CharField(label="備考", max_length=200, required=False)

    def changes(self) -> dict[str, Any]:
        return {}

    def effective(self) -> Any:
        return self.cleaned_data["effective_on"]


class PayChangeForm(_AppointmentForm):
    """昇給・昇格: the new 級・号給."""

    grade = forms.IntegerField(label="級", min_value=1)
    step = forms.IntegerField(label="号給", min_value=1)

    def changes(self) -> dict[str, Any]:
        return {"grade": self.cleaned_data["grade"], "step": self.cleaned_data["step"]}


class UnitChangeForm(_AppointmentForm):
    """異動: the new 所属."""

    unit_code = forms.CharField(label="所属コード", max_length=20)
    unit_name = forms.CharField(label="所属名", max_length=100)

    def changes(self) -> dict[str, Any]:
        return {"unit_code": self.cleaned_data["unit_code"], "unit_name": self.cleaned_data["unit_name"]}


class StatusChangeForm(_AppointmentForm):
    """休職・育児休業 (the first day of leave) and 復職 (the first day back)."""


class LeaveForm(_AppointmentForm):
    """休職: its reason and, when the 発令 grants less than the ordinance's default, the ratio (§4b)."""

    leave_reason = forms.ChoiceField(label="休職の事由", choices=LeaveReason.choices)
    leave_pay_ratio = forms.IntegerField(
        label="給与の支給割合(100分の。空欄は事由ごとの既定の割合)",
        required=False,
        help_text="条例の上限以内で入力してください(例: 起訴休職 100分の60以内)。",
    )

    def changes(self) -> dict[str, Any]:
        values: dict[str, Any] = {"leave_reason": self.cleaned_data["leave_reason"]}
        if self.cleaned_data["leave_pay_ratio"] is not None:
            values["leave_pay_ratio"] = self.cleaned_data["leave_pay_ratio"]
        return values


class ReappointForm(_AppointmentForm):
    """再度の任用 of a 会計年度任用職員 (§5.9): the new 任期の末日 and, when they change, the 報酬 and weekly hours."""

    term_ends_on = WarekiDateField(label="任期の末日")
    monthly_amount = forms.IntegerField(label="報酬月額(変更する場合)", min_value=0, required=False)
    hourly_rate = forms.IntegerField(label="時間額(変更する場合)", min_value=0, required=False)
    weekly_hours = forms.DecimalField(label="週の勤務時間(変更する場合)", min_value=0, max_value=168, required=False)
    field_order = ["effective_on", "term_ends_on", "monthly_amount", "hourly_rate", "weekly_hours", "note"]

    def changes(self) -> dict[str, Any]:
        values = {"term_ends_on": self.cleaned_data["term_ends_on"]}
        for name in ("monthly_amount", "hourly_rate", "weekly_hours"):
            if self.cleaned_data[name] is not None:
                values[name] = self.cleaned_data[name]
        return values


class LeavingForm(_AppointmentForm):
    """退職: the 退職日 is the last day in service; the 発令 takes effect the next day (§3.7)."""

    effective_on = None  # type: ignore[assignment]
    last_day = WarekiDateField(label="退職日(最後の在職日)")
    resident_tax_on_leaving = forms.ChoiceField(
        label="退職後の住民税", choices=[("lump_sum", "一括徴収"), ("ordinary", "普通徴収に切替")]
    )
    field_order = ["last_day", "resident_tax_on_leaving", "note"]

    def changes(self) -> dict[str, Any]:
        return {"resident_tax_on_leaving": self.cleaned_data["resident_tax_on_leaving"]}

    def effective(self) -> Any:
        return self.cleaned_data["last_day"] + timedelta(days=1)


APPOINTMENT_FORMS: dict[str, type[_AppointmentForm]] = {
    "raise": PayChangeForm,
    "promotion": PayChangeForm,
    "transfer": UnitChangeForm,
    "leave": LeaveForm,
    "childcare": StatusChangeForm,
    "return": StatusChangeForm,
    "reappoint": ReappointForm,
    "leaving": LeavingForm,
}

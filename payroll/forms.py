"""Forms of the 人事給与 pages: they parse input; the rules are the services' (docs/domain/payroll.md)."""

from __future__ import annotations

from django import forms

from common.forms import WarekiDateField


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

"""Plain output serializers of the auditors' REST API."""

from __future__ import annotations

from rest_framework import serializers

from payroll.models import PayRun, PayslipLine

LINE_FIELDS = ["職員番号", "所属コード", "所属名", "区分", "項目コード", "項目", "金額", "節", "備考"]


class PayRunOut(serializers.ModelSerializer):
    class Meta:
        model = PayRun
        fields = ["public_id", "kind", "pay_month", "paid_on", "state", "calculated_by_name", "approved_by_name",
                  "locked_at", "totals"]  # fmt: skip


class PayslipLineOut(serializers.ModelSerializer):
    staff_number = serializers.CharField(source="payslip.staff_number")
    unit_code = serializers.CharField(source="payslip.unit_code")

    class Meta:
        model = PayslipLine
        fields = ["staff_number", "unit_code", "kind", "code", "label", "amount", "setsu", "note"]


class PurposeQuery(serializers.Serializer):
    purpose = serializers.CharField(max_length=200, help_text="利用目的(監査の記録に残ります)")


REPORT_FIELDS = ["職員番号", "市町村コード", "支払金額", "社会保険料等の金額", "源泉徴収税額", "扶養親族等の数"]


class AnnualStatementOut(serializers.Serializer):
    staff_number = serializers.CharField()
    city_code = serializers.CharField()
    paid = serializers.IntegerField()
    social = serializers.IntegerField()
    tax = serializers.IntegerField()
    dependents = serializers.IntegerField()

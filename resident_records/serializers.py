"""Output of the resident register API. 個人番号 is always masked here; revealing it is a separate,
purpose-bound operation."""

from __future__ import annotations

from datetime import date
from typing import Any

from rest_framework import serializers

from common.text import PrintableTextValidator
from resident_records import mynumber
from resident_records.models import ChangeEvent


class PurposeQuery(serializers.Serializer):
    purpose = serializers.CharField(
        max_length=200,
        validators=[PrintableTextValidator("利用目的", 200)],
        help_text="利用目的 (required: every read of personal data is audited with it)",
    )
    as_of = serializers.DateField(required=False, help_text="Show the entry as it stood on this date (YYYY-MM-DD).")

    def validate_as_of(self, value: date) -> date:
        return value


class ResidentOut(serializers.Serializer):
    atena_number = serializers.CharField(source="resident.atena_number")
    household_number = serializers.CharField(source="household.number")
    family_name = serializers.CharField()
    given_name = serializers.CharField()
    family_name_kana = serializers.CharField()
    given_name_kana = serializers.CharField()
    former_surname = serializers.CharField()
    alias = serializers.CharField()
    birth_date = serializers.DateField()
    sex = serializers.CharField()
    relationship = serializers.CharField()
    postal_code = serializers.CharField()
    address = serializers.CharField()
    address_detail = serializers.CharField()
    domicile = serializers.CharField()
    domicile_head = serializers.CharField()
    became_resident_on = serializers.DateField()
    address_set_on = serializers.DateField()
    status = serializers.CharField()
    resident_type = serializers.CharField()
    nationality = serializers.CharField()
    residence_status = serializers.CharField()
    residence_period_end = serializers.DateField(allow_null=True)
    resident_code = serializers.CharField()
    my_number = serializers.SerializerMethodField(help_text="Masked: only the last four digits are shown.")

    def get_my_number(self, record: Any) -> str:
        if not record.my_number_encrypted:
            return ""
        return mynumber.mask(mynumber.decrypt(record.my_number_encrypted))


class EventOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    cancelled = serializers.SerializerMethodField()
    household_number = serializers.CharField(source="household.number", allow_null=True, default=None)

    class Meta:
        model = ChangeEvent
        fields = [
            "id", "kind", "kind_label", "event_date", "notified_on", "processed_at", "ex_officio", "cancels",
            "cancelled", "household_number", "reason", "actor_name", "terminal",
        ]  # fmt: skip

    def get_cancelled(self, event: ChangeEvent) -> bool:
        return hasattr(event, "cancelled_by")


class HistoryEntryOut(ResidentOut):
    effective_on = serializers.DateField()
    recorded_at = serializers.DateTimeField()
    event = EventOut()


class HouseholdOut(serializers.Serializer):
    """A household's members as of a date (resident_records.api.HouseholdDetailView)."""

    number = serializers.CharField(help_text="世帯番号")
    as_of = serializers.DateField(help_text="この日時点の構成員 / members as of this date")
    members = ResidentOut(many=True)

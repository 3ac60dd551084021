"""Plain input/output serializers of the 戸籍 module's REST API (no logic in them).

The logs for auditors carry no names and no 本籍: a koseki is named by its 戸籍番号, a person by nothing —
the auditor checks who issued what to whom by relation and purpose, and reads a register itself (audited,
with a purpose) only when a line calls for it.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from koseki.models import CertificateIssuance, CertificateKind, Notification, NotificationKind


class _DateRange(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="from this day (YYYY-MM-DD, Asia/Tokyo)")
    until = serializers.DateField(required=False, help_text="up to this day, inclusive (YYYY-MM-DD)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": "終了日が開始日より前になっています。"})
        return attrs


class KosekiIssuanceQuery(_DateRange):
    kind = serializers.ChoiceField(choices=CertificateKind.choices, required=False)
    wide_area = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="広域交付 only")


class KosekiNotificationQuery(_DateRange):
    kind = serializers.ChoiceField(choices=NotificationKind.choices, required=False)


ISSUANCE_FIELDS = [
    "number", "kind", "kind_label", "issued_at", "issued_by_name", "koseki_number", "wide_area",
    "holding_town_code", "requester_relation", "requester_relation_label", "id_document", "purpose", "fee",
    "page_count", "member_count",
]  # fmt: skip


class KosekiIssuanceOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    requester_relation_label = serializers.CharField(source="get_requester_relation_display")
    member_count = serializers.SerializerMethodField(help_text="persons printed (0 = the whole koseki)")

    class Meta:
        model = CertificateIssuance
        fields = ISSUANCE_FIELDS

    def get_member_count(self, issuance: CertificateIssuance) -> int:
        return len(issuance.member_keys or [])


NOTIFICATION_FIELDS = [
    "number", "kind", "kind_label", "event_date", "notified_on", "accepted_on", "notifier_capacity",
    "koseki_numbers", "actor_name", "processed_at", "due_on", "is_late",
]  # fmt: skip


class KosekiNotificationOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Notification
        fields = NOTIFICATION_FIELDS

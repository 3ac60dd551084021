"""Plain input/output serializers of the 戸籍 module's REST API (no logic in them).

The logs for auditors carry no names and no 本籍: a koseki is named by its 戸籍番号, a person by nothing —
the auditor checks who issued what to whom by relation and purpose, and reads a register itself (audited,
with a purpose) only when a line calls for it.
"""

from __future__ import annotations

from rest_framework import serializers

from koseki.models import CertificateIssuance, Notification

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

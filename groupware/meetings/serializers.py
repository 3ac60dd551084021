"""Plain output serializers of the meetings API; no logic in them."""

from __future__ import annotations

from rest_framework import serializers


class MtMeetingOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField()
    host_code = serializers.CharField(help_text="主催団体の団体コード / Code of the organising body")
    host_name = serializers.CharField()
    organiser_id = serializers.IntegerField()
    organiser_name = serializers.CharField()
    cancelled_at = serializers.DateTimeField(allow_null=True, help_text="中止日時(中止でなければnull) / When cancelled")
    cancel_reason = serializers.CharField(help_text="中止の理由 / Why it was cancelled")


class MtParticipantOut(serializers.Serializer):
    person_id = serializers.IntegerField()
    person_name = serializers.CharField()
    affiliation = serializers.CharField()
    attendance = serializers.CharField(help_text="'' 未記録, present 出席, online Web参加, absent 欠席")


class MtDocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.CharField(help_text="PDF(閲覧は監査記録に残る) / The PDF (each read is audited)")


class MtAgendaItemOut(serializers.Serializer):
    order = serializers.IntegerField()
    title = serializers.CharField()
    presenter = serializers.CharField()
    documents = MtDocumentOut(many=True)


class MtMinutesOut(serializers.Serializer):
    version = serializers.IntegerField()
    state = serializers.CharField(help_text="draft 案 / confirmed 確定")
    body = serializers.CharField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    confirmed_by_name = serializers.CharField()


class MtMeetingDetailOut(MtMeetingOut):
    description = serializers.CharField()
    participants = MtParticipantOut(many=True)
    agenda = MtAgendaItemOut(many=True)
    documents = MtDocumentOut(many=True, help_text="会議全体の資料 / Documents of the whole meeting")
    minutes = MtMinutesOut(many=True)
    web_meeting_url = serializers.CharField(allow_null=True)

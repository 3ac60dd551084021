"""Plain input/output serializers of the groupware API; no logic in them."""

from __future__ import annotations

from datetime import date

from rest_framework import serializers

ID_MAX = 2**62  # ids are bigint: a larger number is refused as input, never sent to the database


class GwRangeQuery(serializers.Serializer):
    start = serializers.DateField(help_text="最初の日 / First day (YYYY-MM-DD)")
    days = serializers.IntegerField(min_value=1, max_value=62, default=7, help_text="日数 / Number of days")
    person = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        max_length=100,
        help_text="職員ID(省略時は自分) / Person ids (default: yourself)",
    )

    def validate_start(self, value: date) -> date:
        if not 2000 <= value.year <= 2099:
            raise serializers.ValidationError("2000年から2099年までの日付を指定してください。")
        return value


class GwOccurrenceOut(serializers.Serializer):
    person_id = serializers.IntegerField()
    event_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    title = serializers.CharField(help_text="非公開の予定は「予定あり」 / 「予定あり」 for another's private entry")
    location = serializers.CharField()
    all_day = serializers.BooleanField()
    repeats = serializers.BooleanField()
    council = serializers.BooleanField(
        help_text="町をまたぐ予定(協議会に記録) / An entry across towns, kept in the council schema"
    )


class GwEventIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    all_day = serializers.BooleanField(default=False)
    is_private = serializers.BooleanField(default=False)
    location = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, default="", allow_blank=True)
    rrule = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    participant_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), required=False, default=list, max_length=200
    )


class GwEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    all_day = serializers.BooleanField()
    is_private = serializers.BooleanField()
    location = serializers.CharField()
    rrule = serializers.CharField()
    organiser_id = serializers.IntegerField()
    organiser_name = serializers.CharField()


class GwFacilityOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    needs_approval = serializers.BooleanField()
    max_minutes = serializers.IntegerField()
    max_days_ahead = serializers.IntegerField()


class GwBookingQuery(serializers.Serializer):
    start = serializers.DateField()
    days = serializers.IntegerField(min_value=1, max_value=62, default=1)

    def validate_start(self, value: date) -> date:
        if not 2000 <= value.year <= 2099:
            raise serializers.ValidationError("2000年から2099年までの日付を指定してください。")
        return value


class GwBookingIn(serializers.Serializer):
    facility_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    purpose = serializers.CharField(max_length=200)


class GwBookingOut(serializers.Serializer):
    id = serializers.IntegerField()
    facility_id = serializers.IntegerField()
    facility_name = serializers.CharField(source="facility.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    purpose = serializers.CharField()
    status = serializers.CharField()
    booked_by_id = serializers.IntegerField()
    booked_by_name = serializers.CharField()


class GwRefusalOut(serializers.Serializer):
    """The one error shape (common.rest.exception_handler), for the refusals this module declares itself."""

    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


class GwScimQuery(serializers.Serializer):
    filter = serializers.CharField(required=False, max_length=300, default="", allow_blank=True)
    startIndex = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    count = serializers.IntegerField(required=False, min_value=0, max_value=500, default=100)


class GwScimListOut(serializers.Serializer):
    schemas = serializers.ListField(child=serializers.CharField())
    totalResults = serializers.IntegerField()
    startIndex = serializers.IntegerField()
    itemsPerPage = serializers.IntegerField()
    Resources = serializers.ListField(child=serializers.JSONField())


class GwScimResourceOut(serializers.Serializer):
    schemas = serializers.ListField(child=serializers.CharField())
    id = serializers.CharField()
    meta = serializers.JSONField()


# --- bulletin and workflow (docs/domain/groupware.md §10) ---------------------------------------------------


class GwNoticeOut(serializers.Serializer):
    id = serializers.IntegerField(source="notice.pk")
    council_wide = serializers.BooleanField(help_text="協議会全体のお知らせ / A council-wide notice")
    title = serializers.CharField(source="notice.title")
    category = serializers.CharField(source="notice.category.name", default="", allow_null=True)
    scope = serializers.CharField(source="notice.scope")
    unit_name = serializers.CharField(source="notice.unit_name")
    author_name = serializers.CharField(source="notice.author_name")
    publish_from = serializers.DateTimeField(source="notice.publish_from")
    expires_at = serializers.DateTimeField(source="notice.expires_at", allow_null=True)
    is_read = serializers.BooleanField(help_text="自分が既読か / Whether you have read it")


class GwNoticeCommentOut(serializers.Serializer):
    author_name = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class GwNoticeReaderOut(serializers.Serializer):
    person_id = serializers.IntegerField()
    person_name = serializers.CharField()
    read_at = serializers.DateTimeField(required=False, allow_null=True, help_text="未読者には無し / Absent if unread")


class GwNoticeDetailOut(serializers.Serializer):
    id = serializers.IntegerField(source="notice.pk")
    title = serializers.CharField(source="notice.title")
    body = serializers.CharField(source="notice.body")
    category = serializers.CharField(source="notice.category.name", default="", allow_null=True)
    scope = serializers.CharField(source="notice.scope")
    unit_name = serializers.CharField(source="notice.unit_name")
    author_name = serializers.CharField(source="notice.author_name")
    publish_from = serializers.DateTimeField(source="notice.publish_from")
    expires_at = serializers.DateTimeField(source="notice.expires_at", allow_null=True)
    attachments = serializers.ListField(child=serializers.CharField(), help_text="添付ファイル名 / File names")
    comments = GwNoticeCommentOut(many=True)
    readers = GwNoticeReaderOut(
        many=True, allow_null=True, help_text="既読者(掲示者と情報システム担当のみ) / Who read it (author, IT staff)"
    )
    not_read = GwNoticeReaderOut(many=True, allow_null=True, help_text="未読者 / Who has not read it yet")


class GwRequestOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField(help_text="様式コード-年度-連番 / Form code, fiscal year, serial")
    form = serializers.CharField(source="form.name")
    title = serializers.CharField()
    status = serializers.CharField()
    applicant_name = serializers.CharField()
    submitted_by_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class GwRequestStepOut(serializers.Serializer):
    order = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    approvers = serializers.ListField(child=serializers.CharField(), source="approver_names")
    approved_ids = serializers.ListField(child=serializers.IntegerField())


class GwRequestActionOut(serializers.Serializer):
    kind = serializers.CharField()
    actor_name = serializers.CharField()
    on_behalf_of_name = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class GwRequestDetailOut(GwRequestOut):
    values = serializers.DictField(source="data", help_text="様式の入力内容 / The form's values")
    steps = GwRequestStepOut(many=True, source="steps.all")
    actions = GwRequestActionOut(many=True, source="actions.all")


class GwRequestIn(serializers.Serializer):
    form_id = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    values = serializers.DictField(required=False, default=dict, help_text="様式の項目名と値 / Field names and values")


class GwDecisionIn(serializers.Serializer):
    comment = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

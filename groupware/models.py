"""グループウェア: scheduler, facilities and notifications (rules: docs/domain/groupware.md).

Every table lives in the town's schema (the council's shared items in the council's schema). People are stored as
the public ``Person`` id plus a name snapshot, units as their 所属コード: town tables never hold a foreign key into
the public schema (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class CalendarKind(models.TextChoices):
    PERSONAL = "personal", "個人"
    GROUP = "group", "グループ"
    ORGANISATION = "organisation", "組織"


class Event(models.Model):
    """A schedule entry (予定), possibly repeating by an RFC 5545 RRULE.

    ``series_ends_at`` is the end of the last occurrence (the entry's own end when it does not repeat, NULL when
    the rule repeats without end): a week view selects ``starts_at < week_end AND series_ends_at > week_start``
    with one range condition, whatever the rule (docs/domain/groupware.md §2).
    """

    title = models.CharField("件名", max_length=200)
    description = models.TextField("内容", blank=True)
    location = models.CharField("場所", max_length=200, blank=True)
    starts_at = models.DateTimeField("開始")
    ends_at = models.DateTimeField("終了")
    all_day = models.BooleanField("終日", default=False)
    is_private = models.BooleanField("非公開", default=False)
    rrule = models.CharField("繰り返し(RRULE)", max_length=300, blank=True)
    series_ends_at = models.DateTimeField("最終回の終了", null=True, blank=True)
    calendar_kind = models.CharField("カレンダー", max_length=12, choices=CalendarKind.choices)
    unit_code = models.CharField("組織(所属コード)", max_length=20, blank=True)
    unit_name = models.CharField("組織名", max_length=100, blank=True)
    organiser_id = models.BigIntegerField("登録者ID")
    organiser_name = models.CharField("登録者", max_length=100)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)

    # Not a column: True on an entry read from or written to the council's schema (an entry across towns, §2.8).
    council_wide = False

    class Meta:
        verbose_name = "予定"
        verbose_name_plural = "予定"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="gw_event_period_ordered"),
        ]
        indexes = [
            # The end first: ``series_ends_at > range start`` leaves out the past, which is most of the table;
            # (starts_at, series_ends_at) matched every past entry on ``starts_at < range end`` (§2.3).
            models.Index(fields=["series_ends_at", "starts_at"], name="gw_event_span"),
            models.Index(fields=["unit_code", "starts_at"], name="gw_event_unit"),
        ]

    def __str__(self) -> str:
        return self.title


class EventParticipant(models.Model):
    """A person taking part in an event: staff of either town or the council, by person id.

    ``starts_at`` and ``series_ends_at`` copy the entry's (written with it; an entry is never moved, only
    cancelled), so that a calendar read finds a person's entries in a range through one index on (person, end,
    start) instead of every entry the person ever took part in (docs/domain/groupware.md §2.3).
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants", verbose_name="予定")
    person_id = models.BigIntegerField("参加者ID")
    person_name = models.CharField("参加者", max_length=100)
    starts_at = models.DateTimeField("開始")
    series_ends_at = models.DateTimeField("最終回の終了", null=True, blank=True)

    class Meta:
        verbose_name = "参加者"
        verbose_name_plural = "参加者"
        constraints = [models.UniqueConstraint(fields=["event", "person_id"], name="gw_participant_unique")]
        indexes = [
            models.Index(fields=["person_id", "event"], name="gw_participant_person"),
            models.Index(fields=["person_id", "series_ends_at", "starts_at"], name="gw_participant_span"),
        ]

    def __str__(self) -> str:
        return self.person_name


class CalendarFeed(models.Model):
    """A person's secret iCalendar feed URL. Only the token's SHA-256 is stored; revoking ends it for good."""

    person_id = models.BigIntegerField("職員ID")
    token_hash = models.CharField("トークン(ハッシュ)", max_length=64, unique=True)
    created_at = models.DateTimeField("発行日時", default=timezone.now)
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)

    class Meta:
        verbose_name = "カレンダー配信URL"
        verbose_name_plural = "カレンダー配信URL"

    def __str__(self) -> str:
        return f"feed of {self.person_id}"


class FacilityKind(models.TextChoices):
    ROOM = "room", "会議室・施設"
    VEHICLE = "vehicle", "公用車"
    EQUIPMENT = "equipment", "備品"


class Facility(models.Model):
    """A bookable room, vehicle or piece of equipment, with its booking rules."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("種別", max_length=10, choices=FacilityKind.choices)
    description = models.CharField("説明", max_length=300, blank=True)
    # A facility of a unit (a school's 体育館) is offered to the staff posted in that unit; blank: to everyone.
    unit_code = models.CharField("管理組織(所属コード)", max_length=20, blank=True)
    unit_name = models.CharField("管理組織名", max_length=100, blank=True)
    manager_id = models.BigIntegerField("管理者ID", null=True, blank=True)
    manager_name = models.CharField("管理者", max_length=100, blank=True)
    needs_approval = models.BooleanField("承認が必要", default=False)
    max_minutes = models.PositiveIntegerField("1回の最長(分)", default=480)
    max_days_ahead = models.PositiveIntegerField("何日先まで予約可", default=90)
    is_active = models.BooleanField("利用可", default=True)

    class Meta:
        verbose_name = "施設・設備"
        verbose_name_plural = "施設・設備"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class BookingStatus(models.TextChoices):
    PENDING = "pending", "承認待ち"
    CONFIRMED = "confirmed", "確定"
    REJECTED = "rejected", "却下"
    CANCELLED = "cancelled", "取消"


class Booking(models.Model):
    """A booking of a facility. Two live bookings (pending or confirmed) of one facility never overlap: the
    exclusion constraint ``gw_booking_no_overlap`` (migration 0002) refuses the second, whoever commits first."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="bookings", verbose_name="施設")
    starts_at = models.DateTimeField("開始")
    ends_at = models.DateTimeField("終了")
    purpose = models.CharField("利用目的", max_length=200)
    status = models.CharField("状態", max_length=10, choices=BookingStatus.choices)
    booked_by_id = models.BigIntegerField("予約者ID")
    booked_by_name = models.CharField("予約者", max_length=100)
    decided_by_id = models.BigIntegerField("承認者ID", null=True, blank=True)
    decided_by_name = models.CharField("承認者", max_length=100, blank=True)
    created_at = models.DateTimeField("予約日時", default=timezone.now)

    class Meta:
        verbose_name = "施設予約"
        verbose_name_plural = "施設予約"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="gw_booking_period_ordered"),
        ]
        indexes = [models.Index(fields=["facility", "starts_at"], name="gw_booking_facility")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.starts_at:%Y-%m-%d %H:%M}"


class NotificationKind(models.TextChoices):
    APPROVAL = "approval", "承認依頼"
    BOOKING = "booking", "施設予約"
    NOTICE = "notice", "お知らせ"
    MENTION = "mention", "メンション"
    EVENT = "event", "予定"
    MEETING = "meeting", "会議"


class Notification(models.Model):
    """An entry of a person's notification centre (通知)."""

    recipient_id = models.BigIntegerField("宛先ID")
    kind = models.CharField("種別", max_length=10, choices=NotificationKind.choices)
    text = models.CharField("内容", max_length=300)
    url = models.CharField("リンク", max_length=300, blank=True)
    created_at = models.DateTimeField("通知日時", default=timezone.now)
    read_at = models.DateTimeField("既読日時", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        indexes = [
            models.Index(
                fields=["recipient_id", "created_at"], name="gw_notification_unread", condition=Q(read_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return self.text


# --- workflow (申請・承認) -------------------------------------------------------------------------------------


class StepKind(models.TextChoices):
    ALL = "all", "全員承認"
    ANY = "any", "いずれか1名の承認"
    CIRCULATE = "circulate", "回覧"


class WorkflowForm(models.Model):
    """A request form defined by IT staff: its fields, attachments, default route and what approval creates."""

    class Creates(models.TextChoices):
        NOTHING = "", "なし"
        SCHEDULE = "schedule", "予定(申請者のスケジュール)"

    code = models.CharField("様式コード", max_length=20, unique=True)
    name = models.CharField("様式名", max_length=100)
    description = models.CharField("説明", max_length=300, blank=True)
    # [{"name": "destination", "label": "出張先", "type": "text|textarea|date|datetime|number", "required": true}]
    fields = models.JSONField("入力項目", default=list)
    allows_attachments = models.BooleanField("添付ファイル可", default=False)
    route_editable = models.BooleanField("申請者が経路を変更できる", default=False)
    creates = models.CharField("承認後に作成", max_length=10, choices=Creates.choices, blank=True, default="")
    is_active = models.BooleanField("利用可", default=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "申請様式"
        verbose_name_plural = "申請様式"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class FormStep(models.Model):
    """A step of a form's default route. Approvers are person ids, and/or the 所属長 of the applicant's primary
    unit on the day of the request (so the route follows the 人事異動)."""

    form = models.ForeignKey(WorkflowForm, on_delete=models.CASCADE, related_name="steps", verbose_name="様式")
    order = models.PositiveSmallIntegerField("順序")
    kind = models.CharField("種別", max_length=10, choices=StepKind.choices)
    approver_ids = models.JSONField("承認者ID", default=list)
    applicant_unit_manager = models.BooleanField("申請者の所属長", default=False)

    class Meta:
        verbose_name = "経路のステップ"
        verbose_name_plural = "経路のステップ"
        ordering = ["form", "order"]
        constraints = [models.UniqueConstraint(fields=["form", "order"], name="gw_form_step_unique")]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.order}"


class FormCounter(models.Model):
    """The gapless request-number counter of one form in one fiscal year (年度: April to March)."""

    form = models.ForeignKey(WorkflowForm, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "fiscal_year"], name="gw_form_counter_unique")]

    def __str__(self) -> str:
        return f"{self.form_id}/{self.fiscal_year}: {self.last_number}"


class RequestStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "承認中"
    RETURNED = "returned", "差し戻し"
    APPROVED = "approved", "承認済み"
    WITHDRAWN = "withdrawn", "取下げ"


class WorkflowRequest(models.Model):
    form = models.ForeignKey(WorkflowForm, on_delete=models.PROTECT, related_name="requests", verbose_name="様式")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    serial = models.PositiveIntegerField("番号")
    title = models.CharField("件名", max_length=200)
    data = models.JSONField("入力内容", default=dict)
    applicant_id = models.BigIntegerField("申請者ID")
    applicant_name = models.CharField("申請者", max_length=100)
    submitted_by_id = models.BigIntegerField("提出者ID")  # differs from the applicant for a 代理申請
    submitted_by_name = models.CharField("提出者", max_length=100)
    status = models.CharField("状態", max_length=12, choices=RequestStatus.choices)
    current_step = models.PositiveSmallIntegerField("現在のステップ", default=0)
    created_at = models.DateTimeField("申請日時", default=timezone.now)
    decided_at = models.DateTimeField("完了日時", null=True, blank=True)
    event_id = models.BigIntegerField("作成した予定", null=True, blank=True)
    # 1- and 2-grams of the searchable text (groupware.search), GIN-indexed.
    search_grams = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = "申請"
        verbose_name_plural = "申請"
        constraints = [
            models.UniqueConstraint(fields=["form", "fiscal_year", "serial"], name="gw_request_number_unique")
        ]
        indexes = [
            models.Index(fields=["applicant_id", "created_at"], name="gw_request_applicant"),
            GinIndex(fields=["search_grams"], name="gw_request_grams"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.form.code}-{self.fiscal_year}-{self.serial:04d}"


class StepState(models.TextChoices):
    WAITING = "waiting", "未到達"
    ACTIVE = "active", "処理中"
    DONE = "done", "完了"


class RequestStep(models.Model):
    """A step of one request's own route (a copy of the form's, resolved to people when submitted)."""

    request = models.ForeignKey(WorkflowRequest, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField("順序")
    kind = models.CharField("種別", max_length=10, choices=StepKind.choices)
    approvers = models.JSONField("承認者", default=list)  # [{"id": 12, "name": "…"}]
    approved_ids = models.JSONField("承認済み", default=list)
    state = models.CharField("状態", max_length=8, choices=StepState.choices, default=StepState.WAITING)

    class Meta:
        ordering = ["request", "order"]
        constraints = [models.UniqueConstraint(fields=["request", "order"], name="gw_request_step_unique")]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.order}"

    @property
    def approver_ids(self) -> list[int]:
        return [int(a["id"]) for a in self.approvers]

    @property
    def approver_names(self) -> list[str]:
        return [str(a.get("name", "")) for a in self.approvers]


class RequestAction(models.Model):
    """What happened to a request, by whom, for whom (代理): the request's own history, next to the audit trail."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", "申請"
        APPROVE = "approve", "承認"
        RETURN = "return", "差し戻し"
        RESUBMIT = "resubmit", "再申請"
        WITHDRAW = "withdraw", "取下げ"
        CONFIRM = "confirm", "回覧確認"

    request = models.ForeignKey(WorkflowRequest, on_delete=models.CASCADE, related_name="actions")
    step_order = models.PositiveSmallIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor_id = models.BigIntegerField()
    actor_name = models.CharField(max_length=100)
    on_behalf_of_id = models.BigIntegerField(null=True, blank=True)
    on_behalf_of_name = models.CharField(max_length=100, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class Delegation(models.Model):
    """代理: ``proxy`` may apply (代理申請) or approve (代理承認) for ``principal`` within the period."""

    class Kind(models.TextChoices):
        APPLY = "apply", "代理申請"
        APPROVE = "approve", "代理承認"

    kind = models.CharField("種別", max_length=8, choices=Kind.choices)
    principal_id = models.BigIntegerField("本人ID")
    principal_name = models.CharField("本人", max_length=100)
    proxy_id = models.BigIntegerField("代理者ID")
    proxy_name = models.CharField("代理者", max_length=100)
    valid_from = models.DateField("開始日")
    valid_to = models.DateField("終了日", null=True, blank=True)

    class Meta:
        verbose_name = "代理設定"
        verbose_name_plural = "代理設定"
        indexes = [models.Index(fields=["proxy_id", "kind"], name="gw_delegation_proxy")]

    def __str__(self) -> str:
        return f"{self.proxy_name} → {self.principal_name}"


class RequestAttachment(models.Model):
    """A file attached to a request: the bytes are in the file storage (django-storages), never in the database."""

    request = models.ForeignKey(WorkflowRequest, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField("ファイル名", max_length=200)
    storage_key = models.CharField(max_length=300)
    size = models.PositiveBigIntegerField("サイズ")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


# --- bulletin (掲示板) ---------------------------------------------------------------------------------------


class NoticeCategory(models.Model):
    name = models.CharField("分類名", max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField("表示順", default=0)

    class Meta:
        verbose_name = "掲示板の分類"
        verbose_name_plural = "掲示板の分類"
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class NoticeScope(models.TextChoices):
    # In a town's schema: the whole town. In the council's schema: council-wide (both towns and the council).
    ALL = "all", "全体"
    UNIT = "unit", "組織"


class Notice(models.Model):
    """A notice (お知らせ) on the bulletin, for the whole town (council-wide in the council's schema) or for one
    unit and the units below it, shown between its publication and expiry."""

    title = models.CharField("件名", max_length=200)
    body = models.TextField("本文")
    category = models.ForeignKey(
        NoticeCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="notices", verbose_name="分類"
    )
    scope = models.CharField("掲示先", max_length=4, choices=NoticeScope.choices)
    unit_code = models.CharField("組織(所属コード)", max_length=20, blank=True)
    unit_name = models.CharField("組織名", max_length=100, blank=True)
    author_id = models.BigIntegerField("掲示者ID")
    author_name = models.CharField("掲示者", max_length=100)
    publish_from = models.DateTimeField("掲示開始")
    expires_at = models.DateTimeField("掲示終了", null=True, blank=True)
    allow_comments = models.BooleanField("コメント可", default=False)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    # 1- and 2-grams of the searchable text (groupware.search), GIN-indexed.
    search_grams = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = "お知らせ"
        verbose_name_plural = "お知らせ"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("publish_from")),
                name="gw_notice_period_ordered",
            ),
            models.CheckConstraint(condition=Q(scope="all") | ~Q(unit_code=""), name="gw_notice_unit_named"),
        ]
        indexes = [
            models.Index(fields=["publish_from"], name="gw_notice_publish"),
            GinIndex(fields=["search_grams"], name="gw_notice_grams"),
        ]

    def __str__(self) -> str:
        return self.title


class NoticeRead(models.Model):
    """A read receipt (既読): who opened the notice, and when (first time only)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    person_id = models.BigIntegerField("職員ID")
    person_name = models.CharField("氏名", max_length=100)
    read_at = models.DateTimeField("既読日時", default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "person_id"], name="gw_notice_read_once")]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.person_id}"


class NoticeComment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="comments")
    author_id = models.BigIntegerField("投稿者ID")
    author_name = models.CharField("投稿者", max_length=100)
    body = models.CharField("コメント", max_length=1000)
    created_at = models.DateTimeField("投稿日時", default=timezone.now)

    class Meta:
        ordering = ["notice", "created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:30]


class NoticeAttachment(models.Model):
    """A file attached to a notice: bytes in the file storage, never in the database."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField("ファイル名", max_length=200)
    storage_key = models.CharField(max_length=300)
    size = models.PositiveBigIntegerField("サイズ")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


# --- cabinet (ファイル管理) -----------------------------------------------------------------------------------


class Folder(models.Model):
    """A cabinet folder. Rights: the people posted in ``unit_code`` or below (blank: the whole town), holding one of
    ``roles`` (empty: any role of the module). The bytes of its files are in the file storage, never here."""

    name = models.CharField("フォルダ名", max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="親フォルダ"
    )
    unit_code = models.CharField("組織(所属コード)", max_length=20, blank=True)
    unit_name = models.CharField("組織名", max_length=100, blank=True)
    roles = models.JSONField("役割", default=list, blank=True)
    max_file_bytes = models.PositiveBigIntegerField("1ファイルの上限(バイト)", default=20 * 1024 * 1024)
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = "フォルダ"
        verbose_name_plural = "フォルダ"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CabinetFile(models.Model):
    folder = models.ForeignKey(Folder, on_delete=models.PROTECT, related_name="files", verbose_name="フォルダ")
    name = models.CharField("ファイル名", max_length=200)
    description = models.CharField("説明", max_length=500, blank=True)
    current_version = models.PositiveIntegerField("最新版", default=1)
    created_by_id = models.BigIntegerField("登録者ID")
    created_by_name = models.CharField("登録者", max_length=100)
    updated_at = models.DateTimeField("更新日時", default=timezone.now)
    # 1- and 2-grams of the searchable text (groupware.search), GIN-indexed.
    search_grams = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = "ファイル"
        verbose_name_plural = "ファイル"
        ordering = ["folder", "name"]
        indexes = [GinIndex(fields=["search_grams"], name="gw_file_grams")]

    def __str__(self) -> str:
        return self.name


class FileVersion(models.Model):
    file = models.ForeignKey(CabinetFile, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版")
    storage_key = models.CharField(max_length=300)
    size = models.PositiveBigIntegerField("サイズ")
    uploaded_by_id = models.BigIntegerField("登録者ID")
    uploaded_by_name = models.CharField("登録者", max_length=100)
    uploaded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        ordering = ["file", "-version"]
        constraints = [models.UniqueConstraint(fields=["file", "version"], name="gw_file_version_unique")]

    def __str__(self) -> str:
        return f"{self.file_id} v{self.version}"

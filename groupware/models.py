"""グループウェア: scheduler, facilities and notifications (rules: docs/domain/groupware.md).

Every table lives in the town's schema (the council's shared items in the council's schema). People are stored as
the public ``Person`` id plus a name snapshot, units as their 所属コード: town tables never hold a foreign key into
the public schema (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

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

    class Meta:
        verbose_name = "予定"
        verbose_name_plural = "予定"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="gw_event_period_ordered"),
        ]
        indexes = [
            models.Index(fields=["starts_at", "series_ends_at"], name="gw_event_range"),
            models.Index(fields=["unit_code", "starts_at"], name="gw_event_unit"),
        ]

    def __str__(self) -> str:
        return self.title


class EventParticipant(models.Model):
    """A person taking part in an event: staff of either town or the council, by person id."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants", verbose_name="予定")
    person_id = models.BigIntegerField("参加者ID")
    person_name = models.CharField("参加者", max_length=100)

    class Meta:
        verbose_name = "参加者"
        verbose_name_plural = "参加者"
        constraints = [models.UniqueConstraint(fields=["event", "person_id"], name="gw_participant_unique")]
        indexes = [models.Index(fields=["person_id", "event"], name="gw_participant_person")]

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

"""ペーパーレス会議 and Web会議 (rules: docs/domain/meetings.md).

Meetings, their agendas, documents, participants and minutes live in the **council's schema**, where the
council-wide groupware items live (groupware.council, docs/domain/groupware.md §1): people of both towns and the
council take part in one meeting, and each reads it from their own host. A Web会議 link of a schedule entry lives
with the entry, in the entry's schema. People are the public ``Person`` id plus a name snapshot (town tables never
hold a foreign key into the public schema).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Meeting(models.Model):
    """A meeting (会議) organised by the council or a town (``host_code``/``host_name``: the organising body)."""

    title = models.CharField("会議名", max_length=200)
    starts_at = models.DateTimeField("開始")
    ends_at = models.DateTimeField("終了")
    place = models.CharField("場所", max_length=200, blank=True)
    description = models.TextField("概要", blank=True)
    host_code = models.CharField("主催団体コード", max_length=6, blank=True)  # blank: the council (no 団体コード)
    host_name = models.CharField("主催団体", max_length=100)
    organiser_id = models.BigIntegerField("主催者ID")
    organiser_name = models.CharField("主催者", max_length=100)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    # 中止 (§2.4): a cancelled meeting stays visible, marked 中止, and is read-only from then on.
    cancelled_at = models.DateTimeField("中止日時", null=True, blank=True)
    cancelled_by_id = models.BigIntegerField("中止者ID", null=True, blank=True)
    cancelled_by_name = models.CharField("中止者", max_length=100, blank=True)
    cancel_reason = models.CharField("中止の理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "会議"
        verbose_name_plural = "会議"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="mt_meeting_period_ordered"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""), name="mt_meeting_cancel_reasoned"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="mt_meeting_starts")]

    def __str__(self) -> str:
        return f"{self.title}(中止)" if self.is_cancelled else self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Attendance(models.TextChoices):
    UNKNOWN = "", "未記録"
    PRESENT = "present", "出席"
    ONLINE = "online", "Web参加"
    ABSENT = "absent", "欠席"


class Participant(models.Model):
    """A person taking part: staff of either town or the council, by person id. The organiser is one of them."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name="会議")
    person_id = models.BigIntegerField("参加者ID")
    person_name = models.CharField("参加者", max_length=100)
    affiliation = models.CharField("所属団体", max_length=200, blank=True)
    attendance = models.CharField("出欠", max_length=8, choices=Attendance.choices, blank=True, default="")

    class Meta:
        verbose_name = "参加者"
        verbose_name_plural = "参加者"
        ordering = ["meeting", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person_id"], name="mt_participant_unique")]
        indexes = [models.Index(fields=["person_id", "meeting"], name="mt_participant_person")]

    def __str__(self) -> str:
        return self.person_name


class AgendaItem(models.Model):
    """An item of the agenda (議事次第), in order."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name="会議")
    order = models.PositiveSmallIntegerField("順序")
    title = models.CharField("議題", max_length=200)
    presenter = models.CharField("説明者", max_length=100, blank=True)

    class Meta:
        verbose_name = "議題"
        verbose_name_plural = "議題"
        ordering = ["meeting", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="mt_agenda_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class Document(models.Model):
    """A PDF of a meeting (会議資料), for one agenda item or the whole meeting. The bytes are in the file storage
    (alias ``groupware``), never in the database."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents", verbose_name="会議")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="documents", verbose_name="議題"
    )
    name = models.CharField("ファイル名", max_length=200)
    storage_key = models.CharField("保存先", max_length=300)
    size = models.PositiveBigIntegerField("サイズ")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by_id = models.BigIntegerField("登録者ID")
    uploaded_by_name = models.CharField("登録者", max_length=100)
    uploaded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "会議資料"
        verbose_name_plural = "会議資料"
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.name


class MinutesState(models.TextChoices):
    DRAFT = "draft", "案"
    CONFIRMED = "confirmed", "確定"


class Minutes(models.Model):
    """A version of a meeting's minutes (議事録). A draft is edited by the participants and confirmed by the
    organiser; a confirmed version is never changed again — a later correction is a new version."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes", verbose_name="会議")
    version = models.PositiveIntegerField("版")
    body = models.TextField("本文")
    state = models.CharField("状態", max_length=10, choices=MinutesState.choices, default=MinutesState.DRAFT)
    written_by_id = models.BigIntegerField("作成者ID")
    written_by_name = models.CharField("作成者", max_length=100)
    updated_at = models.DateTimeField("更新日時", default=timezone.now)
    confirmed_by_id = models.BigIntegerField("確定者ID", null=True, blank=True)
    confirmed_by_name = models.CharField("確定者", max_length=100, blank=True)
    confirmed_at = models.DateTimeField("確定日時", null=True, blank=True)

    class Meta:
        verbose_name = "議事録"
        verbose_name_plural = "議事録"
        ordering = ["meeting", "version"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="mt_minutes_version_unique"),
            # At most one draft at a time: a correction of confirmed minutes starts one new version.
            models.UniqueConstraint(fields=["meeting"], condition=Q(state="draft"), name="mt_minutes_one_draft"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(confirmed_at__isnull=False), name="mt_minutes_confirmed_dated"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} 第{self.version}版"


class WebMeeting(models.Model):
    """A Web会議 link (a Jitsi-compatible ``https://<server>/<room>``) of a schedule entry (``event_id``, in the
    entry's schema) or of a meeting (in the council's schema). The room name is unguessable
    (``secrets.token_urlsafe``); the server is the one configured when it was generated."""

    event_id = models.BigIntegerField("予定ID", null=True, blank=True, unique=True)
    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="web_meeting", verbose_name="会議"
    )
    server = models.CharField("サーバー", max_length=200)
    room = models.CharField("会議室名", max_length=100, unique=True)
    created_by_id = models.BigIntegerField("発行者ID")
    created_by_name = models.CharField("発行者", max_length=100)
    created_at = models.DateTimeField("発行日時", default=timezone.now)

    class Meta:
        verbose_name = "Web会議"
        verbose_name_plural = "Web会議"
        constraints = [
            models.CheckConstraint(
                condition=(Q(event_id__isnull=False) & Q(meeting__isnull=True))
                | (Q(event_id__isnull=True) & Q(meeting__isnull=False)),
                name="mt_web_meeting_one_target",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def url(self) -> str:
        return f"{self.server}/{self.room}"

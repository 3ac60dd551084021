"""The disaster HQ (災害対策本部) and the river cameras, kept in the public schema (docs/domain/disaster-hq.md).

An HQ belongs to one declared ``Disaster``; it is shared by both towns and the council, so it lives next to the
disaster in ``public``. Photos and camera images are files in Django's storage; the rows hold only their names.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ChecklistKind(models.TextChoices):
    INITIAL = "initial", "初動"
    SHELTER = "shelter", "避難所開設"
    SAFETY = "safety", "安否確認"


class HqChecklistTemplate(models.Model):
    """One line of the council's HQ template set: copied into every new HQ as a task."""

    kind = models.CharField("区分", max_length=10, choices=ChecklistKind.choices)
    position = models.PositiveIntegerField("順序", default=0)
    title = models.CharField("項目", max_length=200)
    owner = models.CharField("担当", max_length=100)
    due_minutes = models.PositiveIntegerField("期限(宣言からの分)", default=60)
    is_active = models.BooleanField("有効", default=True)

    class Meta:
        verbose_name = "本部チェックリストのひな形"
        verbose_name_plural = "本部チェックリストのひな形"
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class HqTask(models.Model):
    disaster = models.ForeignKey("bcp.Disaster", on_delete=models.PROTECT, related_name="hq_tasks")
    kind = models.CharField("区分", max_length=10, choices=ChecklistKind.choices)
    position = models.PositiveIntegerField("順序", default=0)
    title = models.CharField("項目", max_length=200)
    owner = models.CharField("担当", max_length=100)
    due_at = models.DateTimeField("期限")
    done_at = models.DateTimeField("完了日時", null=True, blank=True)
    done_by_name = models.CharField("完了者", max_length=100, blank=True)

    class Meta:
        verbose_name = "本部チェックリスト項目"
        verbose_name_plural = "本部チェックリスト項目"
        ordering = ["disaster", "kind", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class HqEntry(models.Model):
    """The HQ's status timeline (経過): appended by every HQ service, never edited."""

    disaster = models.ForeignKey("bcp.Disaster", on_delete=models.PROTECT, related_name="hq_entries")
    occurred_at = models.DateTimeField("日時", default=timezone.now)
    kind = models.CharField("種別", max_length=20)
    text = models.TextField("内容")
    actor_name = models.CharField("記録者", max_length=100, blank=True)
    town_name = models.CharField("記録した団体", max_length=100, blank=True)

    class Meta:
        verbose_name = "本部の経過"
        verbose_name_plural = "本部の経過"
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:40]


class Shelter(models.Model):
    """A town's 避難所 (a standing registry; opened and closed as disasters come)."""

    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, related_name="shelters", verbose_name="自治体"
    )
    name = models.CharField("名称", max_length=100)
    address = models.CharField("所在地", max_length=200, blank=True)
    capacity = models.PositiveIntegerField("収容人数")
    occupancy = models.PositiveIntegerField("現在の避難者数", default=0)
    is_open = models.BooleanField("開設中", default=False)
    updated_at = models.DateTimeField("更新日時", default=timezone.now)
    updated_by_name = models.CharField("更新者", max_length=100, blank=True)

    class Meta:
        verbose_name = "避難所"
        verbose_name_plural = "避難所"
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="bcp_shelter_name_per_town"),
            models.CheckConstraint(
                condition=models.Q(occupancy__lte=models.F("capacity") * 2), name="bcp_shelter_occupancy_sane"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DamageReport(models.Model):
    disaster = models.ForeignKey("bcp.Disaster", on_delete=models.PROTECT, related_name="damage_reports")
    reported_at = models.DateTimeField("報告日時", default=timezone.now)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_by_name = models.CharField("報告者", max_length=100)
    town_name = models.CharField("報告した団体", max_length=100, blank=True)
    title = models.CharField("件名", max_length=200)
    description = models.TextField("内容", blank=True)
    location = models.CharField("場所", max_length=200)
    latitude = models.DecimalField("緯度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("経度", max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.FileField("写真", upload_to="hq/damage/%Y/%m/", blank=True)
    photo_type = models.CharField("写真の形式", max_length=20, blank=True)

    class Meta:
        verbose_name = "被害報告"
        verbose_name_plural = "被害報告"
        ordering = ["-reported_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class LevelState(models.TextChoices):
    NORMAL = "normal", "平常"
    CAUTION = "caution", "注意"
    WARNING = "warning", "警戒"
    DANGER = "danger", "危険"


LEVEL_ORDER = [LevelState.NORMAL, LevelState.CAUTION, LevelState.WARNING, LevelState.DANGER]


class RiverCamera(models.Model):
    """A river-monitoring camera (河川等監視カメラ) and its water-level thresholds (cm above the gauge zero)."""

    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, related_name="cameras", verbose_name="自治体"
    )
    code = models.SlugField("機器コード", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    river = models.CharField("河川名", max_length=100)
    location = models.CharField("設置場所", max_length=200)
    caution_cm = models.PositiveIntegerField("注意水位(cm)")
    warning_cm = models.PositiveIntegerField("警戒水位(cm)")
    danger_cm = models.PositiveIntegerField("危険水位(cm)")
    publish_latest = models.BooleanField("最新画像をホームページに公開", default=False)
    # The device token is stored only as its SHA-256; the previous token stays valid for a short grace period
    # after a rotation so a device mid-upload is not cut off (docs/domain/disaster-hq.md §5).
    token_digest = models.CharField("機器トークンのダイジェスト", max_length=64, blank=True, db_index=True)
    previous_token_digest = models.CharField("旧トークンのダイジェスト", max_length=64, blank=True, db_index=True)
    previous_token_valid_until = models.DateTimeField("旧トークンの有効期限", null=True, blank=True)
    token_rotated_at = models.DateTimeField("トークン更新日時", null=True, blank=True)
    state = models.CharField("現在の水位区分", max_length=10, choices=LevelState.choices, default=LevelState.NORMAL)
    is_active = models.BooleanField("稼働中", default=True)

    class Meta:
        verbose_name = "河川監視カメラ"
        verbose_name_plural = "河川監視カメラ"
        ordering = ["municipality", "river", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(caution_cm__lt=models.F("warning_cm"), warning_cm__lt=models.F("danger_cm")),
                name="bcp_camera_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.river} {self.name}"


class CameraReading(models.Model):
    camera = models.ForeignKey(RiverCamera, on_delete=models.PROTECT, related_name="readings")
    observed_at = models.DateTimeField("観測日時", db_index=True)
    received_at = models.DateTimeField("受信日時", default=timezone.now)
    level_cm = models.IntegerField("水位(cm)", null=True, blank=True)
    state = models.CharField("水位区分", max_length=10, choices=LevelState.choices, default=LevelState.NORMAL)
    image = models.FileField("画像", upload_to="hq/cameras/%Y/%m/%d/", blank=True)
    image_type = models.CharField("画像の形式", max_length=20, blank=True)

    class Meta:
        verbose_name = "カメラの観測値"
        verbose_name_plural = "カメラの観測値"
        ordering = ["-observed_at", "-pk"]
        indexes = [models.Index(fields=["camera", "-observed_at"], name="bcp_reading_camera_time")]

    def __str__(self) -> str:
        return f"{self.camera} {self.observed_at}"


class CameraAlert(models.Model):
    """A threshold crossing upwards: shown on the HQ board until acknowledged."""

    camera = models.ForeignKey(RiverCamera, on_delete=models.PROTECT, related_name="alerts")
    reading = models.ForeignKey(CameraReading, on_delete=models.PROTECT, related_name="alerts")
    state = models.CharField("水位区分", max_length=10, choices=LevelState.choices)
    level_cm = models.IntegerField("水位(cm)")
    raised_at = models.DateTimeField("発生日時", default=timezone.now)
    acknowledged_at = models.DateTimeField("確認日時", null=True, blank=True)
    acknowledged_by_name = models.CharField("確認者", max_length=100, blank=True)

    class Meta:
        verbose_name = "水位警報"
        verbose_name_plural = "水位警報"
        ordering = ["-raised_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.camera} {self.get_state_display()}"


class DutyAssignment(models.Model):
    """Who is on duty (当番) for a town's HQ and cameras, and when: they are notified of threshold crossings."""

    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, related_name="duties", verbose_name="自治体"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="職員"
    )
    starts_at = models.DateTimeField("開始")
    ends_at = models.DateTimeField("終了")

    class Meta:
        verbose_name = "当番"
        verbose_name_plural = "当番"
        ordering = ["municipality", "starts_at"]

    def __str__(self) -> str:
        return f"{self.municipality} {self.person}"


class StaffNotification(models.Model):
    """An in-app notice to one person (the email is sent as well, after commit)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="職員"
    )
    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name="自治体"
    )
    kind = models.CharField("種別", max_length=30)
    message = models.CharField("内容", max_length=300)
    link = models.CharField("リンク", max_length=200, blank=True)
    created_at = models.DateTimeField("通知日時", default=timezone.now)
    read_at = models.DateTimeField("既読日時", null=True, blank=True)

    class Meta:
        verbose_name = "職員への通知"
        verbose_name_plural = "職員への通知"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.message[:40]

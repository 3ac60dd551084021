"""Business continuity (BCP) data of the council, kept in the public schema.

Backup sites, the backups made of every town schema and of the public schema, their copies at each site,
restore drills with their evidence, the logical-replication standby and its lag, disasters declared for a
town with the emergency grants they allow, the CSIRT incident register and the versioned security policy
and ICT-BCP documents. Secrets never live here: sites and backups name keys and credentials by reference
(a key of ``settings.KYODO_BACKUP_KEYS`` / ``KYODO_BACKUP_CREDENTIALS``), the values come from the
environment of the workers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SiteRole(models.TextChoices):
    INLAND = "inland", "内陸サイト"
    REMOTE = "remote", "遠隔地サイト"


class StorageKind(models.TextChoices):
    FILESYSTEM = "filesystem", "ファイルシステム"
    S3 = "s3", "S3互換オブジェクトストレージ"


class BackupSite(models.Model):
    name = models.CharField("名称", max_length=50, unique=True)  # also the --site argument of the commands
    label = models.CharField("表示名", max_length=100, blank=True)
    role = models.CharField("役割", max_length=10, choices=SiteRole.choices)
    storage_kind = models.CharField("保存先の種類", max_length=12, choices=StorageKind.choices)
    # filesystem: an absolute directory; s3: the bucket name.
    location = models.CharField("保存先(パスまたはバケット)", max_length=300)
    s3_endpoint_url = models.CharField("S3エンドポイントURL", max_length=300, blank=True)
    s3_region = models.CharField("S3リージョン", max_length=50, blank=True)
    prefix = models.CharField("キー接頭辞", max_length=200, blank=True)
    credentials_ref = models.CharField("認証情報の参照名", max_length=100, blank=True)
    encryption_key_ref = models.CharField("暗号鍵の参照名", max_length=100)
    # Retention: how many backups of each kind to keep (0 = none of that kind).
    keep_daily = models.PositiveIntegerField("日次の保持数", default=14)
    keep_weekly = models.PositiveIntegerField("週次の保持数", default=0)
    keep_monthly = models.PositiveIntegerField("月次の保持数", default=0)
    rpo_target_minutes = models.PositiveIntegerField("目標復旧時点 RPO(分)", default=24 * 60)
    rto_target_minutes = models.PositiveIntegerField("目標復旧時間 RTO(分)", default=60)
    drill_interval_days = models.PositiveIntegerField("復元訓練の間隔(日)", default=7)
    is_active = models.BooleanField("有効", default=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    # A site proves it is the site by its marker (bcp.sites, docs/domain/bcp-reliability.md §1): written when the
    # site is set up, checked before every write. A filesystem site on its own disk should also require that its
    # directory is a mount point, so that an unmounted disk's empty mount point is never written to.
    require_mount_point = models.BooleanField("マウントポイント必須", default=False)
    marker_written_at = models.DateTimeField("識別マーカーの設置日時", null=True, blank=True)

    class Meta:
        verbose_name = "バックアップサイト"
        verbose_name_plural = "バックアップサイト"
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return self.label or self.name


class BackupStatus(models.TextChoices):
    PENDING = "pending", "待機中"
    DUMPING = "dumping", "取得中"
    UPLOADING = "uploading", "転送中"
    COMPLETE = "complete", "完了"
    FAILED = "failed", "失敗"


class Backup(models.Model):
    """One consistent snapshot of one schema (a town's, or ``public``), encrypted once, copied to every site.

    ``schema_name`` is kept as text (not a foreign key) so the history of a withdrawn town survives it.
    Only ``COMPLETE`` means usable; a worker killed halfway leaves the row in DUMPING/UPLOADING and the next
    run finishes or replaces it.
    """

    schema_name = models.CharField("スキーマ", max_length=63, db_index=True)
    municipality_name = models.CharField("自治体名", max_length=100, blank=True)
    snapshot_at = models.DateTimeField("スナップショット時刻", null=True, blank=True)
    scheduled_for = models.DateField("対象日", db_index=True)  # the night this backup belongs to
    status = models.CharField("状態", max_length=12, choices=BackupStatus.choices, default=BackupStatus.PENDING)
    artifact_key = models.CharField("成果物のキー", max_length=300, blank=True)
    size_bytes = models.BigIntegerField("サイズ(バイト)", null=True, blank=True)
    dump_bytes = models.BigIntegerField("ダンプのサイズ(バイト)", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    encryption_key_ref = models.CharField("暗号鍵の参照名", max_length=100, blank=True)
    manifest = models.JSONField("マニフェスト", default=dict, blank=True)
    progress = models.PositiveSmallIntegerField("進捗(%)", default=0)
    attempts = models.PositiveIntegerField("試行回数", default=0)
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)
    # Written every few seconds by the worker while it works on the backup (bcp.backup.heartbeat); a backup in
    # progress whose heartbeat stopped belongs to a dead worker (docs/domain/bcp-reliability.md §2).
    heartbeat_at = models.DateTimeField("最終応答日時", null=True, blank=True)
    worker = models.CharField("処理中のワーカー", max_length=200, blank=True)
    error = models.TextField("エラー", blank=True)
    details = models.JSONField("詳細", default=dict, blank=True)

    class Meta:
        verbose_name = "バックアップ"
        verbose_name_plural = "バックアップ"
        ordering = ["-scheduled_for", "schema_name"]
        constraints = [
            models.UniqueConstraint(fields=["schema_name", "scheduled_for"], name="bcp_one_backup_per_night"),
        ]

    def __str__(self) -> str:
        return f"{self.schema_name} {self.scheduled_for}"


class CopyStatus(models.TextChoices):
    PENDING = "pending", "待機中"
    UPLOADING = "uploading", "転送中"
    COMPLETE = "complete", "完了"
    FAILED = "failed", "失敗"
    PRUNED = "pruned", "削除済(保持期間経過)"


class BackupCopy(models.Model):
    """A backup's copy at one site. Uploaded under a temporary key and renamed/committed last, so a copy is
    COMPLETE only once the artifact and its manifest are both in place and verified by size and SHA-256."""

    backup = models.ForeignKey(Backup, on_delete=models.PROTECT, related_name="copies", verbose_name="バックアップ")
    site = models.ForeignKey(BackupSite, on_delete=models.PROTECT, related_name="copies", verbose_name="拠点")
    status = models.CharField("状態", max_length=12, choices=CopyStatus.choices, default=CopyStatus.PENDING)
    attempts = models.PositiveIntegerField("試行回数", default=0)
    next_retry_at = models.DateTimeField("次の再試行", null=True, blank=True)
    uploaded_at = models.DateTimeField("転送完了日時", null=True, blank=True)
    upload_seconds = models.FloatField("転送時間(秒)", null=True, blank=True)
    pruned_at = models.DateTimeField("削除日時", null=True, blank=True)
    last_error = models.TextField("最後のエラー", blank=True)

    class Meta:
        verbose_name = "サイト別の複製"
        verbose_name_plural = "サイト別の複製"
        ordering = ["backup", "site"]
        constraints = [models.UniqueConstraint(fields=["backup", "site"], name="bcp_one_copy_per_site")]

    def __str__(self) -> str:
        return f"{self.backup} @ {self.site}"


class DrillStatus(models.TextChoices):
    RUNNING = "running", "実行中"
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"


class RestoreDrill(models.Model):
    """Evidence of one restore drill (or a real restore): what was restored from where, how long it took, and
    every difference found against the manifest."""

    schema_name = models.CharField("スキーマ", max_length=63, db_index=True)
    site = models.ForeignKey(BackupSite, on_delete=models.PROTECT, related_name="drills")
    backup = models.ForeignKey(Backup, on_delete=models.PROTECT, null=True, blank=True, related_name="drills")
    kind = models.CharField(
        "種別", max_length=10, choices=[("drill", "復元訓練"), ("restore", "復元")], default="drill"
    )
    status = models.CharField("結果", max_length=10, choices=DrillStatus.choices, default=DrillStatus.RUNNING)
    started_at = models.DateTimeField("開始日時", default=timezone.now)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)
    backup_snapshot_at = models.DateTimeField("バックアップ時刻", null=True, blank=True)
    achieved_rpo_seconds = models.FloatField("達成RPO(秒)", null=True, blank=True)
    restore_seconds = models.FloatField("復元時間 RTO(秒)", null=True, blank=True)
    tables_checked = models.PositiveIntegerField("照合したテーブル数", default=0)
    rows_checked = models.BigIntegerField("照合した行数", default=0)
    differences = models.JSONField("差異", default=list, blank=True)
    progress = models.PositiveSmallIntegerField("進捗(%)", default=0)
    triggered_by = models.CharField("実行者", max_length=100, blank=True)  # 'schedule' or a person's name
    target = models.CharField("復元先", max_length=100, blank=True)
    error = models.TextField("エラー", blank=True)
    report = models.JSONField("報告書", default=dict, blank=True)

    class Meta:
        verbose_name = "復元訓練"
        verbose_name_plural = "復元訓練"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.schema_name} @ {self.site} {self.started_at:%Y-%m-%d}"


class AlertSeverity(models.TextChoices):
    INFO = "info", "情報"
    WARNING = "warning", "警告"
    CRITICAL = "critical", "重大"


# What each alert kind is, in the words of the dashboard (the kinds are raised by bcp.backup, bcp.drills and
# bcp.standby.lag); an unknown kind is shown as it is.
ALERT_KIND_LABELS = {
    "backup_failed": "バックアップ失敗",
    "upload_failed": "サイトへの転送失敗",
    "drill_failed": "復元訓練の不合格",
    "standby_lag": "待機系の遅延",
    "standby_schema_missing": "待機系に未複製のスキーマ",
}


class BcpAlert(models.Model):
    """Something IT staff must look at: an unreachable site, a failed backup or drill, a lagging standby."""

    kind = models.CharField("種別", max_length=40)
    severity = models.CharField("重要度", max_length=10, choices=AlertSeverity.choices)
    schema_name = models.CharField("スキーマ", max_length=63, blank=True)
    site = models.ForeignKey(
        BackupSite, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts", verbose_name="拠点"
    )
    message = models.TextField("内容")
    details = models.JSONField("詳細", default=dict, blank=True)
    raised_at = models.DateTimeField("発生日時", default=timezone.now)
    resolved_at = models.DateTimeField("解消日時", null=True, blank=True)

    class Meta:
        verbose_name = "BCP警報"
        verbose_name_plural = "BCP警報"
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.kind_label}"

    @property
    def kind_label(self) -> str:
        return ALERT_KIND_LABELS.get(self.kind, self.kind)


class Standby(models.Model):
    """A PostgreSQL server receiving the town schemas and the public schema by logical replication."""

    name = models.CharField("名称", max_length=50, unique=True)
    site = models.ForeignKey(BackupSite, on_delete=models.PROTECT, null=True, blank=True, related_name="standbys")
    dsn_ref = models.CharField("接続先の参照名", max_length=100)  # key of settings.KYODO_STANDBY_DSNS
    publication = models.CharField("パブリケーション", max_length=63, default="kyodo_pub")
    subscription = models.CharField("サブスクリプション", max_length=63, default="kyodo_sub")
    schemas = models.JSONField("対象スキーマ", default=list, blank=True)
    set_up_at = models.DateTimeField("構成日時", null=True, blank=True)
    last_checked_at = models.DateTimeField("最終確認日時", null=True, blank=True)
    last_lag_seconds = models.FloatField("最新の遅延(秒)", null=True, blank=True)
    last_lag_bytes = models.BigIntegerField("最新の遅延(バイト)", null=True, blank=True)
    details = models.JSONField("詳細", default=dict, blank=True)

    class Meta:
        verbose_name = "待機系サーバ"
        verbose_name_plural = "待機系サーバ"

    def __str__(self) -> str:
        return self.name


class LagSample(models.Model):
    standby = models.ForeignKey(Standby, on_delete=models.CASCADE, related_name="lag_samples")
    measured_at = models.DateTimeField("計測日時", default=timezone.now, db_index=True)
    lag_seconds = models.FloatField("遅延(秒)", null=True, blank=True)
    lag_bytes = models.BigIntegerField("遅延(バイト)", null=True, blank=True)

    class Meta:
        verbose_name = "複製遅延の計測値"
        verbose_name_plural = "複製遅延の計測値"
        ordering = ["-measured_at"]

    def __str__(self) -> str:
        return f"{self.standby} {self.measured_at}"


class Disaster(models.Model):
    """A disaster declared for one town: its pages show a banner and emergency grants may be given."""

    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, related_name="disasters", verbose_name="自治体"
    )
    title = models.CharField("災害名", max_length=200)
    description = models.TextField("状況", blank=True)
    declared_at = models.DateTimeField("宣言日時", default=timezone.now)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="宣言者"
    )
    ended_at = models.DateTimeField("解除日時", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="解除者",
    )

    class Meta:
        verbose_name = "災害モード"
        verbose_name_plural = "災害モード"
        ordering = ["-declared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality"], condition=Q(ended_at__isnull=True), name="bcp_one_open_disaster_per_town"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.title}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class EmergencyGrant(models.Model):
    """A time-limited emergency membership given under a disaster to a member of another town."""

    disaster = models.ForeignKey(Disaster, on_delete=models.PROTECT, related_name="grants", verbose_name="災害")
    membership = models.OneToOneField(
        "tenants.Membership",
        on_delete=models.PROTECT,
        related_name="emergency_grant",
        verbose_name="緊急メンバーシップ",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="付与者"
    )
    granted_at = models.DateTimeField("付与日時", default=timezone.now)
    expires_at = models.DateTimeField("有効期限")
    revoked_at = models.DateTimeField("取消日時", null=True, blank=True)
    first_used_at = models.DateTimeField("初回使用日時", null=True, blank=True)
    last_used_at = models.DateTimeField("最終使用日時", null=True, blank=True)
    expiry_logged_at = models.DateTimeField("失効記録日時", null=True, blank=True)

    class Meta:
        verbose_name = "緊急応援の付与"
        verbose_name_plural = "緊急応援の付与"
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.membership} (〜{self.expires_at:%Y-%m-%d %H:%M})"


class IncidentSeverity(models.TextChoices):
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"
    CRITICAL = "critical", "緊急"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "対応中"
    CONTAINED = "contained", "封じ込め済"
    RESOLVED = "resolved", "解決"
    CLOSED = "closed", "完了"


class Incident(models.Model):
    """One line of the CSIRT register (自治体情報セキュリティポリシー, インシデント対応)."""

    number = models.CharField("管理番号", max_length=20, unique=True)
    title = models.CharField("件名", max_length=200)
    severity = models.CharField("重大度", max_length=10, choices=IncidentSeverity.choices)
    status = models.CharField("状態", max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    affected_towns = models.ManyToManyField(
        "tenants.Municipality", related_name="incidents", blank=True, verbose_name="影響を受ける自治体"
    )
    detected_at = models.DateTimeField("検知日時")
    summary = models.TextField("概要")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="報告者"
    )
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    closed_at = models.DateTimeField("完了日時", null=True, blank=True)

    class Meta:
        verbose_name = "インシデント"
        verbose_name_plural = "インシデント(CSIRT)"
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class IncidentEvent(models.Model):
    """The incident's timeline: detection, actions, communications, resolution. Only appended."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField("日時")
    kind = models.CharField("種別", max_length=20)  # detection, action, communication, status, resolution
    description = models.TextField("内容")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)

    class Meta:
        verbose_name = "インシデントの経過"
        verbose_name_plural = "インシデントの経過"
        ordering = ["incident", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident.number} {self.occurred_at}"


class PolicyKind(models.TextChoices):
    SECURITY_POLICY = "security_policy", "情報セキュリティポリシー"
    ICT_BCP = "ict_bcp", "ICT部門の業務継続計画(ICT-BCP)"


class PolicyDocument(models.Model):
    """A version of the council's common security policy or ICT-BCP. Versions are never edited once
    approved; a change is a new version."""

    kind = models.CharField("文書の種類", max_length=20, choices=PolicyKind.choices)
    version = models.PositiveIntegerField("版")
    title = models.CharField("表題", max_length=200)
    body = models.TextField("本文")
    change_summary = models.CharField("改定の概要", max_length=500, blank=True)
    effective_on = models.DateField("施行日", null=True, blank=True)
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="承認者",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="作成者"
    )
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    sha256 = models.CharField("本文のSHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = "規程文書"
        verbose_name_plural = "規程文書(セキュリティポリシー・ICT-BCP)"
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="bcp_policy_version_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 第{self.version}版"


# The disaster HQ and river cameras (docs/domain/disaster-hq.md) live in their own module to keep this one short;
# importing it here registers its models with the app.
import bcp.hq_models  # noqa: E402, F401

"""The tamper-evident audit trail: one append-only table in every town schema and in public.

Each row carries the SHA-256 of the previous row (prev_hash) and of itself (row_hash), so editing,
deleting or re-ordering rows breaks the chain (see common.audit.verify_chain). PostgreSQL triggers
(migration 0002, 0006) refuse UPDATE, DELETE and TRUNCATE on the table — except the sequencer's one update
that fills a row's empty chain columns.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import BigIntegerField, Func, Q, Value

AUDIT_SEQUENCE = "common_auditevent_entry_seq"  # created by migration 0006 in every schema


class AuditEvent(models.Model):
    # The number the row got when written (a database sequence: taken at insert, so not in commit order, and a
    # rolled-back transaction leaves a gap). Its place in the chain is chain_seq, given by the sequencer right
    # after the commit (common.audit.chain_pending, docs/audit.md); prev_hash and row_hash are empty until then.
    seq = models.BigIntegerField(
        "連番", unique=True, db_default=Func(Value(AUDIT_SEQUENCE), function="nextval", output_field=BigIntegerField())
    )
    chain_seq = models.BigIntegerField("連鎖番号", unique=True, null=True, blank=True)
    occurred_at = models.DateTimeField("日時", db_index=True)
    trail = models.CharField("記録先スキーマ", max_length=63)
    # Person id without a foreign key: a town's tables never point into the public schema, so an
    # archived or restored town stays self-contained. The name is kept as it was at the time.
    actor_id = models.BigIntegerField("操作者ID", null=True, blank=True, db_index=True)
    actor_username = models.CharField("操作者ログインID", max_length=64, blank=True)
    actor_name = models.CharField("操作者氏名", max_length=100, blank=True)
    role = models.CharField("役割", max_length=100, blank=True)
    action = models.CharField("操作", max_length=100, db_index=True)
    object_type = models.CharField("対象種別", max_length=100, blank=True)
    object_id = models.CharField("対象ID", max_length=100, blank=True)
    object_repr = models.CharField("対象", max_length=200, blank=True)
    personal_data = models.BooleanField("個人情報", default=False)
    purpose = models.CharField("利用目的", max_length=200, blank=True)
    client_ip = models.GenericIPAddressField("端末IP", null=True, blank=True)
    terminal = models.CharField("端末", max_length=100, blank=True)
    channel = models.CharField("経路", max_length=20, blank=True)
    request_id = models.CharField("リクエストID", max_length=64, blank=True)
    details = models.JSONField("詳細", default=dict, blank=True)
    prev_hash = models.CharField("直前行ハッシュ", max_length=64, null=True, blank=True)
    row_hash = models.CharField("行ハッシュ", max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        ordering = ["seq"]
        default_permissions = ("view",)
        constraints = [
            # 個人情報の閲覧には利用目的が必須 — enforced by the database as well as by the helper.
            models.CheckConstraint(
                condition=Q(personal_data=False) | ~Q(purpose=""), name="audit_personal_data_has_purpose"
            ),
        ]
        indexes = [
            models.Index(fields=["action", "occurred_at"]),
            # A person's reads: ``details @> {"persons": ["<宛名番号>"]}`` (common.selectors, docs/audit.md).
            GinIndex(fields=["details"], opclasses=["jsonb_path_ops"], name="audit_details_path_gin"),
            # What the sequencer reads: the rows not chained yet, in seq order.
            models.Index(fields=["seq"], condition=Q(chain_seq__isnull=True), name="audit_unchained"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.actor_username}"


class JobState(models.TextChoices):
    QUEUED = "queued", "待機中"
    RUNNING = "running", "処理中"
    SUCCEEDED = "succeeded", "完了"
    FAILED = "failed", "エラー"


class Job(models.Model):
    """A long operation run by a Celery worker rather than inside a web request (common.jobs).

    Lives in the town's schema, like the data it works on. The owner is a person id plus a name snapshot
    (no foreign key into public, see docs/ARCHITECTURE.md). Progress while the job runs is kept in the cache
    (the job's own transaction is not visible until it commits); the row holds the state and the outcome.
    """

    public_id = models.UUIDField("公開ID", unique=True, editable=False)
    kind = models.CharField("種類", max_length=100)
    state = models.CharField("状態", max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    owner_id = models.BigIntegerField("依頼者ID", db_index=True)
    owner_name = models.CharField("依頼者氏名", max_length=100, blank=True)
    purpose = models.CharField("利用目的", max_length=200, blank=True)
    params = models.JSONField("条件", default=dict, blank=True)
    input_file = models.CharField("入力ファイル", max_length=300, blank=True)
    input_name = models.CharField("入力ファイル名", max_length=255, blank=True)
    input_size = models.BigIntegerField("入力ファイルの大きさ", default=0)
    progress_done = models.BigIntegerField("処理済み", default=0)
    progress_total = models.BigIntegerField("全体", default=0)
    result = models.JSONField("結果", default=dict, blank=True)
    error_code = models.CharField("エラーコード", max_length=100, blank=True)
    error_message = models.TextField("エラー", blank=True)
    error_report = models.JSONField("行ごとの誤り", default=list, blank=True)
    error_total = models.IntegerField("誤りの件数", default=0)
    created_at = models.DateTimeField("受付日時")
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)

    class Meta:
        verbose_name = "バックグラウンド処理"
        verbose_name_plural = "バックグラウンド処理"
        ordering = ["-created_at"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["kind", "owner_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in {JobState.SUCCEEDED, JobState.FAILED}


class TownSetting(models.Model):
    """One value of a per-town setting (手数料, 町長の氏名, 公開URL …) from its 施行日 on.

    Rows are only added, never changed or deleted: a new ordinance or a new mayor is a new row with its own
    施行日, so a certificate issued last year can still be explained by the value in force on its day.
    The keys and their defaults are registered by the apps (common.town_settings); docs/domain/town-settings.md.
    """

    key = models.CharField("設定項目", max_length=100)
    value = models.CharField("値", max_length=500)
    effective_from = models.DateField("施行日")
    basis = models.CharField("根拠(条例・告示・選挙等)", max_length=200, blank=True)
    recorded_at = models.DateTimeField("登録日時", auto_now_add=True)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True, blank=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)

    class Meta:
        verbose_name = "町の設定値"
        verbose_name_plural = "町の設定値(施行日ごと)"
        ordering = ["key", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "effective_from"], name="town_setting_one_value_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value} ({self.effective_from} から)"

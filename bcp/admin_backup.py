"""Council admin for the backup side of BCP: sites (editable, validated), backups, copies and alerts (read-only,
with actions that call the services in bcp.backup). Council host only, IT staff only (tenants.admin_site).

Changes to a site are audited in the council trail (the sites live in the public schema), not in the trail of
the council's own schema where the generic admin audit would put them.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from bcp import alerts, nights
from bcp.errors import BackupError
from bcp.keys import configured_credential_refs, configured_key_refs, identity_for
from bcp.models import Backup, BackupCopy, BackupSite, BcpAlert, CopyStatus, StorageKind
from bcp.sites import set_up_site
from tenants.admin_site import CouncilModelAdmin, ReadOnlyCouncilAdmin, ReadOnlyCouncilInline

# S3 bucket naming rules (3–63 characters: lowercase letters, digits, dots and hyphens; a letter or digit at
# both ends), which S3-compatible stores share.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class BackupSiteForm(forms.ModelForm):
    class Meta:
        model = BackupSite
        fields = [
            "name",
            "label",
            "role",
            "is_active",
            "storage_kind",
            "location",
            "require_mount_point",
            "prefix",
            "s3_endpoint_url",
            "s3_region",
            "credentials_ref",
            "encryption_key_ref",
            "keep_daily",
            "keep_weekly",
            "keep_monthly",
            "rpo_target_minutes",
            "rto_target_minutes",
            "drill_interval_days",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("storage_kind")
        location = (data.get("location") or "").strip()
        errors: dict[str, str] = {}
        if kind == StorageKind.FILESYSTEM:
            if not PurePosixPath(location).is_absolute():
                errors["location"] = "ファイルシステムの保存先は絶対パス(/ で始まるパス)で入力してください。"
            elif ".." in PurePosixPath(location).parts:
                errors["location"] = "保存先に「..」は使えません。"
            for name in ("s3_endpoint_url", "s3_region", "credentials_ref"):
                if data.get(name):
                    errors[name] = "ファイルシステムのサイトでは指定しません。"
        elif kind == StorageKind.S3:
            if not _BUCKET.match(location) or ".." in location:
                errors["location"] = "S3 のバケット名(英小文字・数字・「.」「-」、3〜63文字)を入力してください。"
            endpoint = data.get("s3_endpoint_url") or ""
            if endpoint:
                try:
                    URLValidator(schemes=["http", "https"])(endpoint)
                except ValidationError:
                    errors["s3_endpoint_url"] = "http:// または https:// で始まるURLを入力してください。"
            credentials_ref = data.get("credentials_ref") or ""
            if credentials_ref and credentials_ref not in configured_credential_refs():
                errors["credentials_ref"] = (
                    f"認証情報「{credentials_ref}」が設定 (KYODO_BACKUP_CREDENTIALS) にありません。"
                    f"設定済み: {', '.join(configured_credential_refs()) or 'なし'}"
                )
        prefix = data.get("prefix") or ""
        if prefix.startswith("/") or ".." in PurePosixPath(prefix).parts:
            errors["prefix"] = "キー接頭辞は相対パスで、「..」を含まないように入力してください。"
        key_ref = data.get("encryption_key_ref") or ""
        if key_ref:
            if key_ref not in configured_key_refs():
                errors["encryption_key_ref"] = (
                    f"暗号鍵「{key_ref}」が設定 (KYODO_BACKUP_KEYS) にありません。"
                    f"設定済み: {', '.join(configured_key_refs()) or 'なし'}"
                )
            else:
                try:
                    identity_for(key_ref)
                except BackupError as exc:
                    errors["encryption_key_ref"] = exc.message
        if not any(data.get(name) for name in ("keep_daily", "keep_weekly", "keep_monthly")):
            errors["keep_daily"] = "日次・週次・月次の保持数のいずれかを1以上にしてください。"
        for field, message in errors.items():
            self.add_error(field, message)
        return data


@admin.register(BackupSite)
class BackupSiteAdmin(CouncilModelAdmin):
    form = BackupSiteForm
    list_display = [
        "name",
        "label",
        "role",
        "storage_kind",
        "location",
        "retention",
        "rpo_target_minutes",
        "rto_target_minutes",
        "is_active",
        "marker_written_at",
    ]
    list_filter = ["role", "storage_kind", "is_active"]
    search_fields = ["name", "label", "location"]
    readonly_fields = ["created_at", "marker_written_at"]
    fieldsets = [
        (None, {"fields": ["name", "label", "role", "is_active", "created_at"]}),
        (
            "保存先",
            {
                "fields": [
                    "storage_kind",
                    "location",
                    "require_mount_point",
                    "prefix",
                    "s3_endpoint_url",
                    "s3_region",
                    "credentials_ref",
                    "marker_written_at",
                ],
                "description": "ファイルシステムは絶対パス、S3 はバケット名を入力します。認証情報と暗号鍵は参照名のみを"
                "保存し、値はサーバーの環境変数 (KYODO_BACKUP_CREDENTIALS / KYODO_BACKUP_KEYS) に置きます。"
                "保存すると保存先に識別マーカーを設置します。マーカーのない保存先・別サイトのマーカーがある保存先には"
                "書き込みません(専用ディスクでは「マウントポイント必須」を有効にしてください)。",
            },
        ),
        ("暗号化", {"fields": ["encryption_key_ref"]}),
        (
            "保持と目標",
            {
                "fields": [
                    "keep_daily",
                    "keep_weekly",
                    "keep_monthly",
                    "rpo_target_minutes",
                    "rto_target_minutes",
                    "drill_interval_days",
                ]
            },
        ),
    ]
    actions = ["backup_now", "set_up_marker"]

    @admin.display(description="保持(日/週/月)")
    def retention(self, site: BackupSite) -> str:
        return f"{site.keep_daily} / {site.keep_weekly} / {site.keep_monthly}"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A site with copies stays for their history; it is switched off with 「有効」 instead.
        return False

    def save_model(self, request: HttpRequest, obj: BackupSite, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        where = {"storage_kind", "location", "prefix", "s3_endpoint_url", "require_mount_point"}
        if not change or obj.marker_written_at is None or where & set(form.changed_data):
            self._set_up(request, obj)

    def _set_up(self, request: HttpRequest, site: BackupSite) -> bool:
        try:
            set_up_site(actor=request.user, site=site)  # type: ignore[arg-type]
        except BackupError as exc:
            self.message_user(request, f"「{site}」に識別マーカーを設置できませんでした: {exc.message}", messages.ERROR)
            return False
        return True

    @admin.action(description="識別マーカーを設置(保存先の確認)")
    def set_up_marker(self, request: HttpRequest, queryset: QuerySet[BackupSite]) -> None:
        done = [str(site) for site in queryset if self._set_up(request, site)]
        if done:
            self.message_user(request, f"識別マーカーを確認しました: {', '.join(done)}", messages.SUCCESS)

    @admin.action(description="今すぐバックアップ(全スキーマを選択したサイトへ)")
    def backup_now(self, request: HttpRequest, queryset: QuerySet[BackupSite]) -> None:
        sites = list(queryset.filter(is_active=True))
        if not sites:
            self.message_user(request, "有効なサイトが選択されていません。", messages.ERROR)
            return
        schemas = nights.request_backup_now(actor=request.user, sites=sites)  # type: ignore[arg-type]
        self.message_user(
            request,
            f"{len(schemas)} 件のスキーマのバックアップを開始しました({', '.join(str(s) for s in sites)})。"
            "本日分が完了済みのスキーマは再取得せず、不足しているサイトへの複製のみ行います。",
            messages.SUCCESS,
        )


class BackupCopyInline(ReadOnlyCouncilInline):
    model = BackupCopy
    extra = 0
    fields = ["site", "status", "attempts", "next_retry_at", "uploaded_at", "upload_seconds", "pruned_at", "last_error"]
    readonly_fields = ["site", "status", "attempts", "next_retry_at", "uploaded_at", "upload_seconds", "pruned_at",
                       "last_error"]  # fmt: skip


@admin.register(Backup)
class BackupAdmin(ReadOnlyCouncilAdmin):
    list_display = [
        "scheduled_for",
        "schema_name",
        "municipality_name",
        "status",
        "progress_percent",
        "size",
        "snapshot_at",
        "attempts",
        "finished_at",
        "error",
    ]
    list_filter = ["status", "schema_name", "scheduled_for"]
    search_fields = ["schema_name", "municipality_name", "sha256", "artifact_key"]
    date_hierarchy = "scheduled_for"
    inlines = [BackupCopyInline]
    exclude = ["manifest"]
    readonly_fields = ["manifest_summary"]

    @admin.display(description="進捗", ordering="progress")
    def progress_percent(self, backup: Backup) -> str:
        return f"{backup.progress}%"

    @admin.display(description="サイズ", ordering="size_bytes")
    def size(self, backup: Backup) -> str:
        return filesizeformat(backup.size_bytes) if backup.size_bytes else "—"

    @admin.display(description="マニフェスト(テーブル数・行数)")
    def manifest_summary(self, backup: Backup) -> str:
        tables = (backup.manifest or {}).get("tables") or {}
        rows = sum(int(value.get("rows", 0)) for value in tables.values())
        return f"{len(tables)} テーブル / {rows} 行 — {backup.manifest.get('postgresql_version', '')}"


@admin.register(BackupCopy)
class BackupCopyAdmin(ReadOnlyCouncilAdmin):
    list_display = ["backup", "site", "status", "attempts", "next_retry_at", "uploaded_at", "pruned_at", "last_error"]
    list_filter = ["status", "site"]
    search_fields = ["backup__schema_name"]
    list_select_related = ["backup", "site"]
    actions = ["retry_now"]

    @admin.action(description="失敗した転送を今すぐ再試行")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[BackupCopy]) -> None:
        copies = list(queryset.select_related("backup", "site").filter(status=CopyStatus.FAILED))
        ids = nights.request_retry(actor=request.user, copies=copies)  # type: ignore[arg-type]
        self.message_user(request, f"{len(ids)} 件の転送を再試行します。", messages.SUCCESS if ids else messages.INFO)


class _OpenAlertFilter(admin.SimpleListFilter):
    title = "状態"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "未解消"), ("0", "解消済")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[BcpAlert]) -> QuerySet[BcpAlert]:
        if self.value() == "1":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(BcpAlert)
class BcpAlertAdmin(ReadOnlyCouncilAdmin):
    list_display = ["raised_at", "severity", "kind_label", "schema_name", "site", "message", "resolved_at"]
    list_filter = [_OpenAlertFilter, "severity", "kind", "site"]
    search_fields = ["kind", "schema_name", "message"]
    list_select_related = ["site"]
    actions = ["resolve"]

    @admin.display(description="種別", ordering="kind")
    def kind_label(self, alert: BcpAlert) -> str:
        return alert.kind_label

    @admin.action(description="選択した警報を解消済みにする")
    def resolve(self, request: HttpRequest, queryset: QuerySet[BcpAlert]) -> None:
        count = alerts.resolve_alerts(actor=request.user, alerts=queryset)  # type: ignore[arg-type]
        self.message_user(request, f"{count} 件の警報を解消済みにしました。", messages.SUCCESS)

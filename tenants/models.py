"""Council-level data in the public schema: municipalities, their host names, people and memberships.

One account per person (the council's ID integrated management); what a person may do in a town
comes only from an effective-dated membership in that town.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from common.dates import local_today


class Municipality(TenantMixin):
    class Kind(models.TextChoices):
        PUBLIC = "public", "共通 (public schema)"
        TOWN = "town", "構成団体"
        COUNCIL = "council", "協議会"

    class Status(models.TextChoices):
        ACTIVE = "active", "運用中"
        SUSPENDED = "suspended", "停止中"
        WITHDRAWN = "withdrawn", "脱退済"

    name = models.CharField("名称", max_length=100)
    name_kana = models.CharField("名称カナ", max_length=200, blank=True)
    # 全国地方公共団体コード: required for towns, absent for the council and the public row.
    code = models.CharField(
        "全国地方公共団体コード",
        max_length=6,
        null=True,
        blank=True,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "6桁の数字で入力してください。")],
    )
    kind = models.CharField("種別", max_length=10, choices=Kind.choices, default=Kind.TOWN)
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    brand_color = models.CharField(
        "表示色", max_length=7, default="#1d4f91", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")]
    )
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    withdrawn_at = models.DateTimeField("脱退日時", null=True, blank=True)

    # Provisioning creates and migrates the schema explicitly (tenants.services), so that a failed
    # migration can be rolled back before anything is left behind.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = "自治体"
        verbose_name_plural = "自治体"
        ordering = ["code", "schema_name"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="town") | Q(code__isnull=False), name="town_requires_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


# The schema name's field comes from django-tenants' abstract TenantMixin (copied into this model): its label is set
# here so that the admin shows it in Japanese like every other field.
Municipality._meta.get_field("schema_name").verbose_name = "スキーマ名"


class Domain(DomainMixin):
    # A host of the town's public website (www…): served by the public-site urlconf, which holds nothing but
    # published content (no login, admin, API or staff pages; docs/domain/website.md §1).
    is_public_site = models.BooleanField("公開ホームページのホスト", default=False)

    class Meta:
        verbose_name = "ホスト名"
        verbose_name_plural = "ホスト名"

    def __str__(self) -> str:
        return self.domain


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: object) -> Person:
        if not username:
            raise ValueError("username is required")
        person = self.model(username=username, **extra)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, username: str, password: str | None = None, **extra: object) -> Person:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class Person(AbstractBaseUser, PermissionsMixin):
    """A person's single council-wide account. Access to a town comes from Membership only."""

    username = models.CharField(
        "ログインID",
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[a-zA-Z0-9_.@-]+$", "英数字と _ . @ - のみ使用できます。")],
    )
    full_name = models.CharField("氏名", max_length=100)
    full_name_kana = models.CharField("氏名カナ", max_length=200, blank=True)
    email = models.EmailField("メールアドレス", blank=True)
    is_active = models.BooleanField("有効", default=True)
    # is_staff is kept for Django's own checks only; admin access comes from an it_admin membership.
    is_staff = models.BooleanField("管理画面フラグ(未使用)", default=False)
    is_demo = models.BooleanField("デモ用アカウント", default=False)
    date_joined = models.DateTimeField("登録日時", default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = "職員ID"
        verbose_name_plural = "職員ID"
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name


class Role(models.TextChoices):
    CLERK = "clerk", _("事務職員")
    TEACHER = "teacher", _("教員")
    IT_ADMIN = "it_admin", _("情報システム担当")
    AUDITOR = "auditor", _("監査担当")
    VENDOR = "vendor", _("保守事業者")
    COUNCIL_STAFF = "council_staff", _("協議会事務局")
    # 支援措置責任者: the only role that may release a DV/stalking support-measure block (標準仕様書 §3.4).
    SUPPORT_MEASURE_OFFICER = "support_officer", _("支援措置責任者")
    # Duties of the business modules (finance, payroll, water billing): a clerk holds one membership per duty,
    # so the separation of duties (no self-approval) can be checked against who holds which role.
    FINANCE_OFFICER = "finance_officer", _("財政担当")
    ACCOUNTANT = "accountant", _("会計管理者・出納担当")
    BUDGET_CLERK = "budget_clerk", _("予算執行担当(各課)")
    SCHOOL_OFFICE = "school_office", _("学校事務")
    PAYROLL_OFFICER = "payroll_officer", _("給与担当")
    PERSONNEL_OFFICER = "personnel", _("人事担当")
    WATER_CLERK = "water_clerk", _("水道料金担当")
    METER_READER = "meter_reader", _("検針員")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active_on(self, day: date) -> MembershipQuerySet:
        """Memberships in force on ``day``: valid_from <= day <= valid_to (open-ended when null)."""
        return self.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))

    def active(self) -> MembershipQuerySet:
        # Effective dating needs no job: "today" is evaluated per request in the council's time zone,
        # so a transfer dated 1 April applies from the first request on 1 April.
        return self.active_on(local_today()).filter(
            person__is_active=True, municipality__status=Municipality.Status.ACTIVE
        )


class Membership(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", verbose_name="職員")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="memberships", verbose_name="自治体"
    )
    role = models.CharField("役割", max_length=20, choices=Role.choices)
    section = models.CharField("所属(課・係・学校)", max_length=100, blank=True)
    valid_from = models.DateField("開始日")
    valid_to = models.DateField("終了日", null=True, blank=True)
    # Emergency memberships are granted in disaster mode (bcp) and always carry an end date.
    is_emergency = models.BooleanField("緊急応援", default=False)
    note = models.CharField("備考", max_length=200, blank=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "所属"
        verbose_name_plural = "所属"
        ordering = ["municipality", "person", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_period_ordered",
            ),
            models.UniqueConstraint(
                fields=["person", "municipality", "role", "valid_from"], name="membership_unique_start"
            ),
        ]
        indexes = [models.Index(fields=["person", "municipality", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.person} @ {self.municipality} ({self.get_role_display()})"

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token bound to one person and one town, issued from a 2FA-verified session.

    Only the SHA-256 digest is stored; the raw token is shown once at issuance.
    """

    PREFIX = "kyd_"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="職員")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="自治体"
    )
    name = models.CharField("用途", max_length=100)
    key_prefix = models.CharField("トークンの先頭", max_length=12, db_index=True)
    key_digest = models.CharField("トークンのハッシュ値", max_length=64, unique=True)
    created_at = models.DateTimeField("発行日時", default=timezone.now)
    expires_at = models.DateTimeField("有効期限")
    last_used_at = models.DateTimeField("最終利用日時", null=True, blank=True)
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "APIトークン"
        verbose_name_plural = "APIトークン"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.person.username})"

    @classmethod
    def new_raw_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def digest(raw: str) -> str:
        return _token_digest(raw)

    @staticmethod
    def default_expiry(days: int) -> timedelta:
        return timedelta(days=days)


class SwitchTicket(models.Model):
    """A one-time pass that carries a 2FA-verified login from one town's host to another's (docs/security.md).

    The raw ticket is 32 random bytes, shown once in the POST body of the switching page; only its SHA-256
    digest is kept. Nothing in it is signed with SECRET_KEY, so a published key forges nothing, and the
    second factor travels as the device reference stored here, never as a value the browser could alter.
    The ticket is tied to the session that asked for it: once that session ends (logout, idle timeout)
    the ticket is dead.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    session_key = models.CharField("発行元セッション", max_length=40)
    otp_device_id = models.CharField("2要素認証デバイス", max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "自治体切替チケット"
        verbose_name_plural = "自治体切替チケット"
        indexes = [models.Index(fields=["expires_at"], name="switch_ticket_expiry")]

    def __str__(self) -> str:
        return f"{self.source_id}→{self.target_id} ({self.created_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return _token_digest(raw)


class AuditAnchor(models.Model):
    """The head (last seq and hash) of a trail, recorded in the public schema after each verification.

    A hash chain alone cannot reveal rows cut from its end, nor a tail rewritten with recomputed hashes;
    a later verification compares the trail with the anchors kept here, outside the town's schema.
    """

    trail = models.CharField("記録先スキーマ", max_length=63, db_index=True)
    seq = models.BigIntegerField("連番")
    row_hash = models.CharField("行ハッシュ", max_length=64)
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)

    class Meta:
        verbose_name = "監査ログ検証点"
        verbose_name_plural = "監査ログ検証点"
        ordering = ["trail", "-seq"]
        constraints = [models.UniqueConstraint(fields=["trail", "seq"], name="audit_anchor_unique")]

    def __str__(self) -> str:
        return f"{self.trail}#{self.seq}"


class OrgUnitKind(models.TextChoices):
    DEPARTMENT = "department", _("部")
    DIVISION = "division", _("課")
    SECTION = "section", _("係")
    OFFICE = "office", _("出先機関")
    BOARD = "board", _("教育委員会")
    SCHOOL = "school", _("学校")
    COUNCIL = "council", _("協議会")


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def active_on(self, day: date) -> OrgUnitQuerySet:
        return self.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class OrgUnit(models.Model):
    """A unit of a town's organisation (部・課・係, 出先機関, 教育委員会, 学校), or of the council's.

    Council data (public schema) because staff of both towns and the council belong to units across towns
    (docs/domain/organisation.md). A reorganisation ends a unit (``valid_to``) and starts new ones; a unit is
    never renamed in place, so what a report printed for a past date stays true. Town tables refer to a unit by
    its ``code`` (所属コード, stable per town) plus a name snapshot, never by a foreign key into public.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="org_units", verbose_name="自治体"
    )
    code = models.CharField(
        "所属コード",
        max_length=20,
        validators=[RegexValidator(r"^[0-9A-Za-z_-]+$", "所属コードは半角英数字で入力してください。")],
    )
    name = models.CharField("名称", max_length=100)
    name_kana = models.CharField("名称カナ", max_length=200, blank=True)
    kind = models.CharField("種別", max_length=12, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上位組織"
    )
    sort_order = models.PositiveIntegerField("表示順", default=0)
    valid_from = models.DateField("設置日")
    valid_to = models.DateField("廃止日", null=True, blank=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = "組織"
        verbose_name_plural = "組織"
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code", "valid_from"], name="orgunit_unique_code_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class PostingQuerySet(models.QuerySet["Posting"]):
    def active_on(self, day: date) -> PostingQuerySet:
        return self.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class Posting(models.Model):
    """A person's place in a unit (配属) for a period: one primary unit per person and town at a time, any number
    of secondary ones (兼務). Effective-dated like memberships: the 1 April 人事異動 ends postings on 31 March
    and starts new ones on 1 April, and everything that follows the organisation reads it as of a date."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="postings", verbose_name="職員")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="postings", verbose_name="組織")
    title = models.CharField("職名", max_length=50, blank=True)  # 課長, 係長, 主事, 教諭 …
    is_primary = models.BooleanField("主務", default=True)
    is_manager = models.BooleanField("所属長", default=False)
    valid_from = models.DateField("開始日")
    valid_to = models.DateField("終了日", null=True, blank=True)
    note = models.CharField("備考", max_length=200, blank=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = "配属"
        verbose_name_plural = "配属"
        ordering = ["person", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["person", "unit", "valid_from"], name="posting_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="posting_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["unit", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.person} @ {self.unit}"

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

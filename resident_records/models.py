"""The basic resident register (住民基本台帳) of one town, in that town's schema.

Shape (住民記録システム標準仕様書, docs/domain/resident_register.md):
* ``ChangeEvent`` — one 異動 (転入, 出生, 転居, 転出, 死亡, 世帯分離 ...), immutable once written. A mistaken
  event is never edited: it is cancelled by a later 異動の取消し event or corrected by a 誤記修正 event.
* ``ResidentRecord`` — the full 住民票 entry of one resident as it stood after one event (append-only).
  Any past state is read by ``resident_records.selectors.resident_as_of`` (records of cancelled events
  and the restoring records of cancellations are skipped; corrections apply from their effective date —
  the rules are in the selectors module's docstring).
* ``Resident`` / ``Household`` — the current state, kept in step with the records in the same
  transaction, with a ``version`` column so two clerks cannot overwrite each other.

Persons are stored by id only (``actor_id`` and a name snapshot): no foreign key leaves the town's schema.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SearchGrams(models.Func):
    """``kyodo_search_grams(search_name, search_kana, search_address)``: the search's n-grams (docs/search.md)."""

    function = "kyodo_search_grams"

    def __init__(self) -> None:
        super().__init__(
            models.F("search_name"),
            models.F("search_kana"),
            models.F("search_address"),
            output_field=ArrayField(models.TextField()),
        )


class Sex(models.TextChoices):
    # 住民票の性別 (男・女); codes follow the common 1 = 男, 2 = 女 convention of municipal systems.
    MALE = "1", "男"
    FEMALE = "2", "女"


class ResidentStatus(models.TextChoices):
    RESIDENT = "resident", "住民"
    MOVED_OUT = "moved_out", "転出"
    DECEASED = "deceased", "死亡"
    REMOVED = "removed", "消除"


class ResidentType(models.TextChoices):
    JAPANESE = "japanese", "日本人"
    FOREIGN = "foreign", "外国人住民"


class ResidentAttributes(models.Model):
    """Every item of a 住民票 entry (住基法 第7条, 第30条の45), shared by the current row and the records."""

    household = models.ForeignKey("resident_records.Household", on_delete=models.PROTECT, verbose_name="世帯")
    family_name = models.CharField("氏", max_length=50)
    given_name = models.CharField("名", max_length=50)
    family_name_kana = models.CharField("氏(フリガナ)", max_length=100)
    given_name_kana = models.CharField("名(フリガナ)", max_length=100)
    former_surname = models.CharField("旧氏", max_length=50, blank=True)
    former_surname_kana = models.CharField("旧氏(フリガナ)", max_length=100, blank=True)
    alias = models.CharField("通称", max_length=100, blank=True)  # foreign residents (住基法施行令 第30条の16)
    alias_kana = models.CharField("通称(フリガナ)", max_length=200, blank=True)
    birth_date = models.DateField("生年月日")
    sex = models.CharField("性別", max_length=1, choices=Sex.choices)
    relationship = models.CharField("続柄", max_length=20)  # 世帯主, 妻, 子, 母 ... (to the head)
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("住所", max_length=200)
    address_detail = models.CharField("方書", max_length=100, blank=True)
    domicile = models.CharField("本籍", max_length=200, blank=True)  # Japanese residents only
    domicile_head = models.CharField("筆頭者", max_length=100, blank=True)
    became_resident_on = models.DateField("住民となった年月日")
    address_set_on = models.DateField("住所を定めた年月日")
    notified_on = models.DateField("届出年月日", null=True, blank=True)
    previous_address = models.CharField("従前の住所", max_length=200, blank=True)
    status = models.CharField(
        "住民状態", max_length=10, choices=ResidentStatus.choices, default=ResidentStatus.RESIDENT
    )
    resident_type = models.CharField(
        "住民種別", max_length=10, choices=ResidentType.choices, default=ResidentType.JAPANESE
    )
    nationality = models.CharField("国籍・地域", max_length=50, blank=True)
    residence_status = models.CharField("在留資格", max_length=50, blank=True)
    residence_period_end = models.DateField("在留期間の満了日", null=True, blank=True)
    # 住民票コード: 11 digits whose check formula is not public (docs/domain/check_digits.md) — opaque, length-checked
    # only.
    resident_code = models.CharField("住民票コード", max_length=11, blank=True)
    my_number_encrypted = models.CharField("個人番号(暗号化)", max_length=200, blank=True)
    my_number_index = models.CharField("個人番号(検索用)", max_length=64, blank=True, db_index=True)
    moving_out_address = models.CharField("転出先住所", max_length=200, blank=True)
    moving_out_on = models.DateField("転出(予定)年月日", null=True, blank=True)
    moving_out_confirmed = models.BooleanField("転出確定", default=False)
    removed_on = models.DateField("消除年月日", null=True, blank=True)
    removal_reason = models.CharField("消除事由", max_length=50, blank=True)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"


# The attributes a record copies from (and restores to) the current row.
RESIDENT_ATTRIBUTE_FIELDS = [f.name for f in ResidentAttributes._meta.local_fields]


class Household(models.Model):
    number = models.CharField("世帯番号", max_length=11, unique=True)
    head = models.ForeignKey(
        "resident_records.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="世帯主",
    )
    created_on = models.DateField("世帯を設けた年月日")
    dissolved_on = models.DateField("世帯消滅年月日", null=True, blank=True)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        verbose_name = "世帯"
        verbose_name_plural = "世帯"

    def __str__(self) -> str:
        return f"世帯 {self.number}"


class Resident(ResidentAttributes):
    """The current 住民票 entry of one person (住民 or, after removal, 除票)."""

    atena_number = models.CharField("宛名番号", max_length=11, unique=True)
    # Search keys, normalised (NFKC, katakana, no spaces) so that full/half width and hiragana match.
    # No btree or trigram index of their own: every name and address search goes through the n-gram index
    # (docs/search.md), and each index more is built by every 初期登録 and written by every 異動.
    search_name = models.CharField(max_length=200, editable=False)
    search_kana = models.CharField(max_length=300, editable=False)
    search_address = models.CharField(max_length=400, editable=False, default="")  # search.address_key(address)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = "住民"
        verbose_name_plural = "住民"
        indexes = [
            models.Index(fields=["birth_date"]),
            models.Index(fields=["household", "status"]),
            # A small pending list (docs/search.md): every search scans all of it, and autovacuum, which would
            # merge it, runs only after ~20 % of a town's residents were added.
            # The 1- and 2-character n-grams of the name, furigana and address keys, computed by the database from
            # the three keys (the IMMUTABLE SQL function ``kyodo_search_grams``, migration 0011) — one rule for the
            # services, the bulk loader and the CSV import — in a GIN index of core PostgreSQL over that expression:
            # every search length on every server, and no array in the table's rows (docs/search.md).
            GinIndex(SearchGrams(), name="resident_search_grams_gin", gin_pending_list_limit=256),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident_code="") | Q(resident_code__regex=r"^\d{11}$"), name="resident_code_11_digits"
            ),
            # 住所を定めた年月日 never precedes 住民となった年月日 (resident_records.validation.check_residence_dates).
            models.CheckConstraint(
                condition=Q(address_set_on__gte=models.F("became_resident_on")),
                name="address_set_not_before_residence",
            ),
        ]

    def __str__(self) -> str:
        # 宛名番号, not the name: this string ends up in audit rows, which must not carry personal data.
        return f"住民 {self.atena_number}"


class EventKind(models.TextChoices):
    MOVE_IN = "move_in", "転入"
    MOVE_IN_FROM_ABROAD = "move_in_abroad", "国外からの転入"
    BIRTH = "birth", "出生"
    CHANGE_OF_ADDRESS = "change_of_address", "転居"
    MOVE_OUT_PLANNED = "move_out_planned", "転出(予定)"
    MOVE_OUT_CONFIRMED = "move_out_confirmed", "転出(確定)"
    DEATH = "death", "死亡"
    HOUSEHOLD_SPLIT = "household_split", "世帯分離"
    HOUSEHOLD_MERGE = "household_merge", "世帯合併"
    HEAD_CHANGE = "head_change", "世帯主変更"
    EX_OFFICIO_ENTRY = "ex_officio_entry", "職権記載"
    EX_OFFICIO_REMOVAL = "ex_officio_removal", "職権消除"
    EX_OFFICIO_CORRECTION = "ex_officio_correction", "職権修正"
    CLERICAL_CORRECTION = "clerical_correction", "誤記修正"
    CANCELLATION = "cancellation", "異動の取消し"


class ChangeEvent(models.Model):
    """One 異動, immutable (the database refuses UPDATE and DELETE, see migration 0002)."""

    kind = models.CharField("異動事由", max_length=30, choices=EventKind.choices)
    event_date = models.DateField("異動日")
    notified_on = models.DateField("届出日", null=True, blank=True)
    # 処理日: always the server's clock (標準仕様書 §4.0.3), never typed in.
    processed_at = models.DateTimeField("処理日時", default=timezone.now)
    ex_officio = models.BooleanField("職権", default=False)
    # 期間経過: a 届出 made after its statutory period (住基法 第22〜25条: 14 days; 戸籍法 第49条・第86条 for the
    # 出生・死亡 it follows). Still a 届出, listed for the 住基法 第52条 notice (docs/domain/resident_register.md).
    overdue = models.BooleanField("期間経過", default=False)
    cancels = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="cancelled_by", verbose_name="取消対象"
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    reason = models.CharField("理由・備考", max_length=200, blank=True)
    details = models.JSONField("内容", default=dict, blank=True)
    actor_id = models.BigIntegerField("処理者ID", null=True, blank=True)
    actor_name = models.CharField("処理者", max_length=100, blank=True)
    terminal = models.CharField("端末", max_length=100, blank=True)

    class Meta:
        verbose_name = "異動"
        verbose_name_plural = "異動"
        ordering = ["processed_at", "id"]
        indexes = [models.Index(fields=["kind", "event_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_date} (#{self.pk})"


class ResidentRecord(ResidentAttributes):
    """A resident's whole entry as it stood after one event (append-only)."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="records")
    event = models.ForeignKey(ChangeEvent, on_delete=models.PROTECT, related_name="records")
    effective_on = models.DateField("適用日")
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)

    class Meta:
        verbose_name = "住民票記載履歴"
        verbose_name_plural = "住民票記載履歴"
        ordering = ["effective_on", "recorded_at", "id"]
        indexes = [models.Index(fields=["resident", "effective_on", "recorded_at"])]
        constraints = [models.UniqueConstraint(fields=["resident", "event"], name="one_record_per_event")]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.effective_on} ({self.event_id})"


class HouseholdRecord(models.Model):
    """Who headed a household after one event (append-only); membership comes from resident records."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="records")
    event = models.ForeignKey(ChangeEvent, on_delete=models.PROTECT, related_name="household_records")
    head = models.ForeignKey(Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    effective_on = models.DateField("適用日")
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)
    dissolved = models.BooleanField("消滅", default=False)

    class Meta:
        verbose_name = "世帯履歴"
        verbose_name_plural = "世帯履歴"
        ordering = ["effective_on", "recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["household", "event"], name="one_household_record_per_event")]

    def __str__(self) -> str:
        return f"{self.household} @ {self.effective_on}"


# --- 支援措置 (support measures for DV, stalking and similar victims) --------------------------------------
#
# 住民記録システム標準仕様書 §1.1.16, §3.1, §3.4; docs/domain/resident_register.md. Decisions are never edited:
# * a measure's own row keeps the decision (who, when, resident, scopes, start); only ``end_on`` may move
#   later (each extension is also an append-only SupportMeasureExtension row) and the release fields are set
#   once, from 有効 to 解除 — the database refuses anything else (migration 0004);
# * extensions and temporary releases are append-only rows (UPDATE/DELETE refused by trigger).


class SupportMeasureKind(models.TextChoices):
    SUPPORT = "support", "支援措置"
    # 仮支援措置: between the application and the decision (標準仕様書 §3.4).
    PROVISIONAL = "provisional", "仮支援措置"


class SupportScope(models.TextChoices):
    """What a measure blocks (docs/domain/resident_register.md: 閲覧, 住民票 of the current and former address,
    附票)."""

    INSPECTION = "inspection", "住民基本台帳の一部の写しの閲覧"
    CERTIFICATE = "certificate", "住民票の写し等の交付"
    REMOVED_CERTIFICATE = "removed_certificate", "除票の写し等の交付"
    ATTACHED_RECORD = "attached_record", "戸籍の附票の写しの交付"
    REMOVED_ATTACHED_RECORD = "removed_attached_record", "除附票の写しの交付"


class SupportMeasureStatus(models.TextChoices):
    ACTIVE = "active", "有効"
    RELEASED = "released", "解除"


class SupportMeasure(models.Model):
    """One 支援措置 (or 仮支援措置) decision for a 支援対象者 and the persons accompanying them."""

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="support_measures", verbose_name="支援対象者"
    )
    # How URLs name the measure: a row id would let anyone count and walk the town's protected persons.
    public_id = models.UUIDField("公開用ID", default=uuid.uuid4, unique=True, editable=False)
    accompanying = models.ManyToManyField(
        Resident, blank=True, related_name="accompanied_support_measures", verbose_name="併せて支援を求める者"
    )
    kind = models.CharField("種別", max_length=20, choices=SupportMeasureKind.choices)
    scopes = ArrayField(models.CharField(max_length=30, choices=SupportScope.choices), verbose_name="対象事務")
    start_on = models.DateField("支援開始日")
    end_on = models.DateField("支援終了日")
    perpetrator = models.TextField("加害者に関する情報", blank=True)
    note = models.CharField("申出の概要・備考", max_length=500, blank=True)
    status = models.CharField(
        "状態", max_length=10, choices=SupportMeasureStatus.choices, default=SupportMeasureStatus.ACTIVE
    )
    decided_at = models.DateTimeField("決定日時", default=timezone.now)
    decided_by_id = models.BigIntegerField("決定者ID", null=True, blank=True)
    decided_by_name = models.CharField("決定者", max_length=100, blank=True)
    released_at = models.DateTimeField("解除日時", null=True, blank=True)
    released_by_id = models.BigIntegerField("解除者ID", null=True, blank=True)
    released_by_name = models.CharField("解除者", max_length=100, blank=True)
    release_reason = models.CharField("解除の理由", max_length=500, blank=True)

    class Meta:
        verbose_name = "支援措置"
        verbose_name_plural = "支援措置"
        ordering = ["end_on", "id"]
        indexes = [models.Index(fields=["status", "end_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_on__gte=models.F("start_on")), name="support_period_ordered"),
            models.CheckConstraint(
                condition=Q(status="active", released_at__isnull=True)
                | Q(status="released", released_at__isnull=False),
                name="support_release_consistent",
            ),
        ]

    def __str__(self) -> str:
        # No names: this string ends up in audit rows.
        return f"支援措置 #{self.pk}"


class SupportMeasureExtension(models.Model):
    """One extension of a measure's period (append-only)."""

    measure = models.ForeignKey(SupportMeasure, on_delete=models.PROTECT, related_name="extensions")
    previous_end_on = models.DateField("延長前の終了日")
    new_end_on = models.DateField("延長後の終了日")
    decided_at = models.DateTimeField("決定日時", default=timezone.now)
    decided_by_id = models.BigIntegerField("決定者ID", null=True, blank=True)
    decided_by_name = models.CharField("決定者", max_length=100, blank=True)

    class Meta:
        verbose_name = "支援措置の延長"
        verbose_name_plural = "支援措置の延長"
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.measure} 延長 {self.previous_end_on} → {self.new_end_on}"


class TemporaryRelease(models.Model):
    """A 一時解除 by the 支援措置責任者; it re-locks by itself at ``relock_at`` (append-only).

    Never sent to other systems (コンビニ交付, 住基ネット CS): it only lets this town's counter proceed.
    """

    measure = models.ForeignKey(SupportMeasure, on_delete=models.PROTECT, related_name="temporary_releases")
    released_at = models.DateTimeField("一時解除日時", default=timezone.now)
    relock_at = models.DateTimeField("再設定日時")
    purpose = models.CharField("一時解除の目的", max_length=500)
    released_by_id = models.BigIntegerField("解除者ID", null=True, blank=True)
    released_by_name = models.CharField("解除者", max_length=100, blank=True)

    class Meta:
        verbose_name = "支援措置の一時解除"
        verbose_name_plural = "支援措置の一時解除"
        ordering = ["released_at", "id"]
        indexes = [models.Index(fields=["measure", "relock_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(relock_at__gt=models.F("released_at")), name="relock_after_release")
        ]

    def __str__(self) -> str:
        return f"{self.measure} 一時解除 {self.released_at:%Y-%m-%d %H:%M}"


# --- 住民票の写し等の交付 (certificates) and the 交付履歴 ------------------------------------------------------


class CertificateKind(models.TextChoices):
    RESIDENCE_COPY = "residence_copy", "住民票の写し"
    ENTRY_CERTIFICATE = "entry_certificate", "住民票記載事項証明書"
    REMOVED_COPY = "removed_copy", "除票の写し"


class RequesterKind(models.TextChoices):
    """Who asks for a 住民票の写し等 (住基法 第12条, 第12条の2, 第12条の3): it decides what may be printed."""

    SELF = "self", "本人"
    SAME_HOUSEHOLD = "same_household", "本人と同一の世帯に属する者"
    AGENT = "agent", "代理人(委任状)"
    THIRD_PARTY = "third_party", "第三者(第12条の3)"
    PUBLIC_BODY = "public_body", "国又は地方公共団体の機関(第12条の2)"


class CertificateSerial(models.Model):
    """The last 発行番号 of a calendar year in this town (gapless; one row per year, locked while issuing)."""

    year = models.PositiveIntegerField("年", unique=True)
    last_number = models.PositiveIntegerField("最終番号", default=0)

    class Meta:
        verbose_name = "発行番号の採番"
        verbose_name_plural = "発行番号の採番"

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CertificateIssuance(models.Model):
    """One line of the 交付履歴 (標準仕様書 §1.3.8). Only the void fields may be set, once (migration 0004)."""

    number = models.CharField("発行番号", max_length=30, unique=True)
    year = models.PositiveIntegerField("発行年")
    serial = models.PositiveIntegerField("連番")
    kind = models.CharField("証明書の種類", max_length=30, choices=CertificateKind.choices)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="世帯"
    )
    residents = models.ManyToManyField(Resident, related_name="certificate_issuances", verbose_name="記載された住民")
    whole_household = models.BooleanField("世帯全員", default=False)
    include_head_and_relationship = models.BooleanField("世帯主・続柄を記載", default=False)
    include_domicile = models.BooleanField("本籍・筆頭者を記載", default=False)
    include_resident_code = models.BooleanField("住民票コードを記載", default=False)
    include_my_number = models.BooleanField("個人番号を記載", default=False)
    requested_by = models.CharField("請求者", max_length=200)
    # Blank on the rows issued before the kind was recorded.
    requester_kind = models.CharField("請求者の区分", max_length=20, choices=RequesterKind.choices, blank=True)
    purpose = models.CharField("利用目的", max_length=200)
    issued_at = models.DateTimeField("交付日時", default=timezone.now)
    issued_by_id = models.BigIntegerField("交付者ID", null=True, blank=True)
    issued_by_name = models.CharField("交付者", max_length=100, blank=True)
    terminal = models.CharField("端末", max_length=100, blank=True)
    page_count = models.PositiveIntegerField("枚数")
    fee = models.PositiveIntegerField("手数料(円)", null=True, blank=True)
    # The key of the confirmation screen that asked for this issuance: a second submit of the same screen
    # (a double click, a reload) finds this row instead of issuing a second certificate.
    idempotency_key = models.UUIDField("二重送信防止キー", null=True, blank=True, unique=True)
    # Only digests are kept: the code itself exists on the paper alone, so a copy of the database does not
    # let anyone "verify" a forged paper.
    verification_code_sha256 = models.CharField("確認コード(SHA-256)", max_length=64, unique=True)
    pdf_sha256 = models.CharField("PDFのSHA-256", max_length=64)
    voided_at = models.DateTimeField("無効日時", null=True, blank=True)
    voided_by_id = models.BigIntegerField("無効処理者ID", null=True, blank=True)
    voided_by_name = models.CharField("無効処理者", max_length=100, blank=True)
    void_reason = models.CharField("無効の理由", max_length=500, blank=True)

    class Meta:
        verbose_name = "交付履歴"
        verbose_name_plural = "交付履歴"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["issued_at"])]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="certificate_serial_unique_per_year"),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, void_reason="") | Q(voided_at__isnull=False) & ~Q(void_reason=""),
                name="certificate_void_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"交付 {self.number}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


# --- tasks for the resident clerk ---------------------------------------------------------------------------


class ClerkTaskKind(models.TextChoices):
    # An accepted 出生届 whose child could not be entered here by itself (resident_records.services.koseki_births).
    BIRTH_ELSEWHERE = "birth_elsewhere", "出生: 父母が本町の住民でない(住所地への通知を確認)"
    BIRTH_UNPLACED = "birth_unplaced", "出生: 世帯を特定できない(手作業で記載)"


class ClerkTaskStatus(models.TextChoices):
    OPEN = "open", "未処理"
    DONE = "done", "処理済み"


class ClerkTask(models.Model):
    """Work another module handed to the resident clerk (e.g. a 出生 the register could not place itself)."""

    public_id = models.UUIDField("公開用ID", default=uuid.uuid4, unique=True, editable=False)  # in URLs, not the row id
    kind = models.CharField("種別", max_length=30, choices=ClerkTaskKind.choices)
    status = models.CharField("状態", max_length=10, choices=ClerkTaskStatus.choices, default=ClerkTaskStatus.OPEN)
    summary = models.CharField("内容", max_length=500)
    details = models.JSONField("詳細", default=dict, blank=True)
    source_reference = models.CharField("発生元", max_length=100, unique=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    done_at = models.DateTimeField("処理日時", null=True, blank=True)
    done_by_name = models.CharField("処理者", max_length=100, blank=True)

    class Meta:
        verbose_name = "住民記録の処理待ち"
        verbose_name_plural = "住民記録の処理待ち"
        ordering = ["status", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

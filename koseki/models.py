"""戸籍 (the family register) of one town: registers, members, entries, 届出, 附票 and the 交付履歴.

DOMAIN.md §5. Nothing here is ever overwritten: a 身分事項 or 戸籍事項 that is corrected stays, struck
(消除) with its reason, and the corrected entry points at it. Members who leave a koseki stay in it, marked
除籍. A koseki whose last member has left is closed and kept as a 除籍簿.

Persons are linked across registers (and across the two towns' schemas) by ``person_key``, a UUID that
follows a person from the koseki they are born into to every koseki they enter later; 父/母 keys make the
直系 check of 広域交付 possible. Town tables never reference public tables (actor_id + name snapshots).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class KosekiStatus(models.TextChoices):
    CURRENT = "current", "現在戸籍"
    CLOSED = "closed", "除籍"


class CompiledReason(models.TextChoices):
    """編製事由 (戸籍法 第16条〜第21条, 転籍 第108条, 改製)."""

    MARRIAGE = "marriage", "婚姻"
    DIVORCE = "divorce", "離婚"
    BIRTH = "birth", "出生"  # 第17条: a child of a non-head, non-spouse member
    SPLIT = "split", "分籍"
    TRANSFER = "transfer", "転籍"
    ADOPTION = "adoption", "養子縁組"
    CONVERSION = "conversion", "改製"
    IMPORTED = "imported", "移行"  # migrated from the town's previous system
    OTHER = "other", "その他"


class Koseki(models.Model):
    """One 戸籍, identified on paper by 本籍 and the name of the 筆頭者 (which never changes, even after 除籍)."""

    number = models.CharField("戸籍番号", max_length=20, unique=True)  # internal, e.g. K0000000123
    # How URLs name the register: the 戸籍番号 and the row id are sequences a visitor could walk (docs/audit.md).
    public_id = models.UUIDField("公開用ID", default=uuid.uuid4, unique=True, editable=False)
    honseki = models.CharField("本籍", max_length=200)
    family_name = models.CharField("氏", max_length=50)
    head_given_name = models.CharField("筆頭者の名", max_length=50)
    family_name_kana = models.CharField("氏の振り仮名", max_length=100, blank=True)
    compiled_on = models.DateField("編製日")
    compiled_reason = models.CharField("編製事由", max_length=20, choices=CompiledReason.choices)
    status = models.CharField("状態", max_length=10, choices=KosekiStatus.choices, default=KosekiStatus.CURRENT)
    closed_on = models.DateField("消除日", null=True, blank=True)
    closed_reason = models.CharField("消除事由", max_length=100, blank=True)
    # 転籍 to the other town on the platform: where the register went (for the 除籍 certificate's 戸籍事項).
    transferred_to = models.CharField("転籍先", max_length=200, blank=True)
    search_text = models.CharField(max_length=400, db_index=True, editable=False, blank=True)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = "戸籍"
        verbose_name_plural = "戸籍"
        ordering = ["honseki", "family_name", "head_given_name"]
        indexes = [models.Index(fields=["honseki"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="current", closed_on__isnull=True) | Q(status="closed", closed_on__isnull=False),
                name="koseki_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.honseki} {self.head_name}"

    @property
    def head_name(self) -> str:
        return f"{self.family_name}\u3000{self.head_given_name}"

    @property
    def is_closed(self) -> bool:
        return self.status == KosekiStatus.CLOSED


class FuriganaStatus(models.TextChoices):
    """氏名の振り仮名の記載の根拠 (令和5年法律第48号)."""

    NONE = "", "未記載"
    NOTIFIED = "notified", "通知済"  # planned furigana mailed by the 本籍地, not yet recorded
    FILED = "filed", "届出"  # 氏/名の振り仮名の届, or stated on a 出生届 from 2025-05-26
    EX_OFFICIO = "ex_officio", "職権記載"  # recorded by the 本籍地 from 2026-05-26 with the 法務局's permission


class Member(models.Model):
    """A person recorded in a koseki (戸籍に記録されている者). A person appears in every koseki they passed
    through; ``person_key`` ties the appearances together."""

    koseki = models.ForeignKey(Koseki, on_delete=models.PROTECT, related_name="members", verbose_name="戸籍")
    position = models.PositiveSmallIntegerField("記載順")
    person_key = models.UUIDField("個人識別キー", default=uuid.uuid4, db_index=True)
    # How URLs name this appearance (person_key is shared by a person's appearances in several registers).
    public_id = models.UUIDField("公開用ID", default=uuid.uuid4, unique=True, editable=False)
    family_name = models.CharField("氏", max_length=50)
    given_name = models.CharField("名", max_length=50)
    family_name_kana = models.CharField("氏の振り仮名", max_length=100, blank=True)
    given_name_kana = models.CharField("名の振り仮名", max_length=100, blank=True)
    furigana_status = models.CharField(
        "振り仮名の状態", max_length=12, choices=FuriganaStatus.choices, default=FuriganaStatus.NONE, blank=True
    )
    birth_date = models.DateField("生年月日")
    sex = models.CharField("男女の別", max_length=1, choices=[("1", "男"), ("2", "女")])
    father_name = models.CharField("父", max_length=100, blank=True)
    mother_name = models.CharField("母", max_length=100, blank=True)
    father_key = models.UUIDField("父の個人識別キー", null=True, blank=True, db_index=True)
    mother_key = models.UUIDField("母の個人識別キー", null=True, blank=True, db_index=True)
    relationship = models.CharField("続柄", max_length=20)  # 長男, 長女, 二男 ... (to the parents)
    adoptive_father_name = models.CharField("養父", max_length=100, blank=True)
    adoptive_mother_name = models.CharField("養母", max_length=100, blank=True)
    adoptive_father_key = models.UUIDField("養父の個人識別キー", null=True, blank=True)
    adoptive_mother_key = models.UUIDField("養母の個人識別キー", null=True, blank=True)
    adoptive_relationship = models.CharField("養親との続柄", max_length=20, blank=True)  # 養子, 養女
    is_head = models.BooleanField("筆頭者", default=False)
    spouse_role = models.CharField("配偶者区分", max_length=2, blank=True)  # 夫 / 妻 while married
    spouse_key = models.UUIDField("配偶者の個人識別キー", null=True, blank=True)
    is_removed = models.BooleanField("除籍", default=False)
    removed_on = models.DateField("除籍日", null=True, blank=True)
    removed_reason = models.CharField("除籍事由", max_length=50, blank=True)  # 婚姻, 死亡, 分籍 ...
    resident_code = models.CharField("住民票コード", max_length=11, blank=True, db_index=True)  # 附票 link
    search_text = models.CharField(max_length=400, db_index=True, editable=False, blank=True)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        verbose_name = "戸籍に記録されている者"
        verbose_name_plural = "戸籍に記録されている者"
        ordering = ["koseki_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["koseki", "position"], name="koseki_member_position_unique"),
            models.UniqueConstraint(fields=["koseki", "person_key"], name="koseki_member_once_per_koseki"),
            models.UniqueConstraint(fields=["koseki"], condition=Q(is_head=True), name="koseki_one_head"),
            models.CheckConstraint(
                condition=Q(is_removed=False, removed_on__isnull=True) | Q(is_removed=True, removed_on__isnull=False),
                name="koseki_member_removed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.family_name}\u3000{self.given_name}"


class EntryKind(models.TextChoices):
    """身分事項 (per member) and 戸籍事項 (per koseki)."""

    COMPILED = "compiled", "戸籍編製"
    TRANSFER = "transfer", "転籍"
    CLOSED = "closed", "消除"
    CONVERSION = "conversion", "改製"
    BIRTH = "birth", "出生"
    MARRIAGE = "marriage", "婚姻"
    DIVORCE = "divorce", "離婚"
    DEATH = "death", "死亡"
    SPOUSE_DEATH = "spouse_death", "配偶者の死亡"  # the survivor's line when a spouse dies
    SPLIT = "split", "分籍"
    ADOPTION = "adoption", "養子縁組"
    ENTRY = "entry", "入籍"
    REMOVAL = "removal", "除籍"
    FURIGANA = "furigana", "氏名の振り仮名"
    CORRECTION = "correction", "訂正"


class Entry(models.Model):
    """One 戸籍事項 (member is null) or 身分事項 line, as printed on the certificate.

    ``fields`` holds the items in the order the certificate prints them, as ``[["婚姻日", "令和…"], …]`` —
    already the wording of the 戸籍情報システム (e.g. 【配偶者氏名】, 【従前戸籍】), so the certificate is a
    plain rendering. Struck entries are kept (消除) and printed with their reason on the full history page.
    """

    koseki = models.ForeignKey(Koseki, on_delete=models.PROTECT, related_name="entries", verbose_name="戸籍")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", verbose_name="記録事項の者"
    )
    # How the 職権訂正 URL names the entry (not its row id, a guessable sequence).
    public_id = models.UUIDField("公開用ID", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("事項", max_length=20, choices=EntryKind.choices)
    event_date = models.DateField("事件の日")
    notified_on = models.DateField("届出日", null=True, blank=True)
    notifier = models.CharField("届出人", max_length=100, blank=True)  # 父, 母, 本人, 夫, 妻 ... or a name
    accepted_on = models.DateField("受理日", null=True, blank=True)
    accepted_by = models.CharField("受理者", max_length=100, blank=True)  # e.g. 高知県中土佐町長
    fields = models.JSONField("記録事項", default=list)
    notification = models.ForeignKey(
        "koseki.Notification", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)
    is_struck = models.BooleanField("消除", default=False)
    struck_at = models.DateTimeField("消除日時", null=True, blank=True)
    struck_reason = models.CharField("消除の理由", max_length=200, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces", verbose_name="訂正後の事項"
    )

    class Meta:
        verbose_name = "戸籍の記録事項"
        verbose_name_plural = "戸籍の記録事項"
        ordering = ["koseki_id", "member_id", "event_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_struck=False, struck_reason="") | Q(is_struck=True) & ~Q(struck_reason=""),
                name="koseki_entry_struck_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_date}"


class FuriganaRecord(models.Model):
    """The history of a member's 氏名の振り仮名: every notice, 届出 and 職権記載, in order."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="furigana_history")
    family_name_kana = models.CharField("氏の振り仮名", max_length=100)
    given_name_kana = models.CharField("名の振り仮名", max_length=100)
    status = models.CharField("根拠", max_length=12, choices=FuriganaStatus.choices)
    effective_on = models.DateField("年月日")
    notifier = models.CharField("届出人", max_length=100, blank=True)
    notification = models.ForeignKey(
        "koseki.Notification", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)

    class Meta:
        verbose_name = "振り仮名の履歴"
        verbose_name_plural = "振り仮名の履歴"
        ordering = ["member_id", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana} ({self.get_status_display()})"


class NotificationKind(models.TextChoices):
    BIRTH = "birth", "出生届"
    MARRIAGE = "marriage", "婚姻届"
    DIVORCE = "divorce", "離婚届"
    DEATH = "death", "死亡届"
    SPLIT = "split", "分籍届"
    TRANSFER = "transfer", "転籍届"
    ADOPTION = "adoption", "養子縁組届"
    FAMILY_NAME_FURIGANA = "family_name_furigana", "氏の振り仮名の届"
    GIVEN_NAME_FURIGANA = "given_name_furigana", "名の振り仮名の届"
    FURIGANA_EX_OFFICIO = "furigana_ex_officio", "振り仮名の職権記載"
    CORRECTION = "correction", "職権訂正"
    TRANSFER_IN = "transfer_in", "転籍(他町からの受入れ)"
    IMPORT = "import", "移行"


class Notification(models.Model):
    """One accepted 届出 (the 受付帳 line): what was filed, by whom, and which registers it changed."""

    number = models.CharField("受付番号", max_length=30, unique=True)
    kind = models.CharField("届出の種類", max_length=30, choices=NotificationKind.choices)
    event_date = models.DateField("事件の日")
    notified_on = models.DateField("届出日")
    accepted_on = models.DateField("受理日")
    notifier_name = models.CharField("届出人氏名", max_length=100)
    notifier_capacity = models.CharField("届出人の資格", max_length=50, blank=True)  # 父, 母, 本人, 夫, 妻 ...
    koseki_numbers = models.JSONField("関係する戸籍", default=list)
    details = models.JSONField("届書の内容", default=dict)
    actor_id = models.BigIntegerField("処理者ID", null=True, blank=True)
    actor_name = models.CharField("処理者", max_length=100, blank=True)
    processed_at = models.DateTimeField("処理日時", default=timezone.now)

    class Meta:
        verbose_name = "届出"
        verbose_name_plural = "届出(受付帳)"
        ordering = ["-processed_at", "-id"]
        indexes = [models.Index(fields=["processed_at"]), models.Index(fields=["kind"])]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class FuhyoEntry(models.Model):
    """One line of a 戸籍の附票 (住基法 第16条・第17条): a person's address and the date it was set.

    Lines are only added; the line that a later address supersedes stays, as the 附票 keeps the history.
    """

    koseki = models.ForeignKey(Koseki, on_delete=models.PROTECT, related_name="fuhyo_entries")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="fuhyo_entries")
    address = models.CharField("住所", max_length=300)
    address_set_on = models.DateField("住所を定めた年月日")
    source_town_code = models.CharField("通知元の団体コード", max_length=6, blank=True)
    source_event = models.CharField("通知の事由", max_length=30, blank=True)  # 転入, 転居, 転出, 移行 ...
    # The 異動 that caused the line ("<schema>:<change event id>"), so cancelling it strikes the line.
    source_reference = models.CharField("通知元の異動", max_length=100, blank=True, db_index=True)
    # The resident the line belongs to: 宛名番号 in the register of the town that sent it (source_town_code).
    # The real key between the two registers (住所地 and 本籍地), so a 支援措置 of the 住所地 reaches the line; blank
    # on lines that came with the migration of the register (移行) or before the link was recorded.
    resident_atena_number = models.CharField("住民の宛名番号", max_length=11, blank=True)
    recorded_at = models.DateTimeField("記録日時", default=timezone.now)
    is_struck = models.BooleanField("消除", default=False)
    struck_at = models.DateTimeField("消除日時", null=True, blank=True)
    struck_reason = models.CharField("消除の理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "戸籍の附票"
        verbose_name_plural = "戸籍の附票"
        ordering = ["koseki_id", "member_id", "address_set_on", "id"]
        indexes = [models.Index(fields=["source_town_code", "resident_atena_number"], name="koseki_fuhyo_resident")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_struck=False, struck_reason="") | Q(is_struck=True) & ~Q(struck_reason=""),
                name="koseki_fuhyo_struck_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.address_set_on})"


class CertificateKind(models.TextChoices):
    FULL = "full", "全部事項証明書"
    INDIVIDUAL = "individual", "個人事項証明書"
    CLOSED_FULL = "closed_full", "除籍全部事項証明書"
    FUHYO = "fuhyo", "戸籍の附票の写し"


class RequesterRelation(models.TextChoices):
    SELF = "self", "本人"
    SPOUSE = "spouse", "配偶者"
    ASCENDANT = "ascendant", "直系尊属"
    DESCENDANT = "descendant", "直系卑属"
    OTHER = "other", "その他(第三者・代理人等)"


class CertificateSerial(models.Model):
    """The last 発行番号 of a calendar year for koseki certificates (gapless, locked while issuing)."""

    year = models.PositiveIntegerField("年", unique=True)
    last_number = models.PositiveIntegerField("最終番号", default=0)

    class Meta:
        verbose_name = "戸籍証明書の発行番号"
        verbose_name_plural = "戸籍証明書の発行番号"

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CertificateIssuance(models.Model):
    """One 交付 of a koseki certificate by this town's counter (the daily cash report reads ``fee``).

    For 広域交付 the koseki is held by another town on the platform: ``koseki`` is null and the holding
    town and register are recorded by code and number (no cross-schema foreign key).
    """

    number = models.CharField("発行番号", max_length=30, unique=True)
    year = models.PositiveIntegerField("発行年")
    serial = models.PositiveIntegerField("連番")
    kind = models.CharField("証明書の種類", max_length=20, choices=CertificateKind.choices)
    koseki = models.ForeignKey(
        Koseki, on_delete=models.PROTECT, null=True, blank=True, related_name="issuances", verbose_name="戸籍"
    )
    member_keys = models.JSONField("記載した者の個人識別キー", default=list)
    koseki_number = models.CharField("戸籍番号", max_length=20)
    honseki = models.CharField("本籍", max_length=200)
    head_name = models.CharField("筆頭者", max_length=100)
    wide_area = models.BooleanField("広域交付", default=False)
    holding_town_code = models.CharField("本籍地の団体コード", max_length=6, blank=True)
    requester_name = models.CharField("請求者", max_length=100)
    requester_relation = models.CharField("請求者の資格", max_length=20, choices=RequesterRelation.choices)
    id_document = models.CharField("本人確認書類", max_length=100, blank=True)
    purpose = models.CharField("利用目的", max_length=200)
    fee = models.PositiveIntegerField("手数料(円)")
    page_count = models.PositiveIntegerField("枚数", default=1)
    issued_at = models.DateTimeField("交付日時", default=timezone.now)
    issued_by_id = models.BigIntegerField("交付者ID", null=True, blank=True)
    issued_by_name = models.CharField("交付者", max_length=100, blank=True)
    verification_code_sha256 = models.CharField("確認コード(SHA-256)", max_length=64, unique=True)
    pdf_sha256 = models.CharField("PDFのSHA-256", max_length=64)

    class Meta:
        verbose_name = "戸籍証明書の交付履歴"
        verbose_name_plural = "戸籍証明書の交付履歴"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["issued_at"])]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="koseki_certificate_serial_unique"),
        ]

    def __str__(self) -> str:
        return f"交付 {self.number}"

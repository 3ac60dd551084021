"""The chat's tables (docs/domain/chat.md §1). They exist in every town schema (a tenant app) but are written
only in the council's schema, through groupware.chat.selectors / services (``groupware.council.in_council``).

People are the public ``Person`` id plus a name snapshot (no foreign key into the public schema).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ChannelKind(models.TextChoices):
    TOWN = "town", "町"
    UNIT = "unit", "組織"
    COUNCIL = "council", "協議会全体"
    PROJECT = "project", "プロジェクト"
    DIRECT = "direct", "ダイレクト"


class Channel(models.Model):
    """A channel. ``town_schema`` is the town it belongs to (town and unit channels) or the town it was opened
    from (project, direct: whose auditor exports it, §6); blank for council-wide channels."""

    kind = models.CharField("種別", max_length=10, choices=ChannelKind.choices)
    name = models.CharField("チャンネル名", max_length=100)
    town_schema = models.CharField("町(スキーマ)", max_length=63, blank=True)
    unit_code = models.CharField("組織(所属コード)", max_length=20, blank=True)
    unit_name = models.CharField("組織名", max_length=100, blank=True)
    # Days a message is kept (§5); NULL keeps messages until the channel's retention is set.
    retention_days = models.PositiveIntegerField("保存日数", null=True, blank=True)
    # "<smaller id>-<larger id>" of a direct channel: one channel per pair of people.
    direct_key = models.CharField("ダイレクトの組", max_length=50, blank=True)
    created_by_id = models.BigIntegerField("作成者ID")
    created_by_name = models.CharField("作成者", max_length=100)
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = "チャンネル"
        verbose_name_plural = "チャンネル"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["direct_key"], condition=~Q(direct_key=""), name="chat_direct_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ChannelMember(models.Model):
    """An invited member of a project or direct channel (town, unit and council channels follow memberships)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="members", verbose_name="チャンネル")
    person_id = models.BigIntegerField("メンバーID")
    person_name = models.CharField("メンバー", max_length=100)
    is_vendor = models.BooleanField("事業者", default=False)
    added_by_id = models.BigIntegerField("招待者ID", null=True, blank=True)
    added_at = models.DateTimeField("招待日時", default=timezone.now)

    class Meta:
        verbose_name = "メンバー"
        verbose_name_plural = "メンバー"
        constraints = [models.UniqueConstraint(fields=["channel", "person_id"], name="chat_member_unique")]
        indexes = [models.Index(fields=["person_id"], name="chat_member_person")]

    def __str__(self) -> str:
        return self.person_name


class Message(models.Model):
    """A message; ``parent`` is the first message of its thread (a reply to a reply joins the same thread)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages", verbose_name="チャンネル")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies", verbose_name="スレッド"
    )
    author_id = models.BigIntegerField("投稿者ID")
    author_name = models.CharField("投稿者", max_length=100)
    body = models.TextField("本文")
    mentions = ArrayField(models.BigIntegerField(), default=list, blank=True, verbose_name="メンション")
    created_at = models.DateTimeField("投稿日時", default=timezone.now)
    # 1- and 2-grams of the body and attachment names (groupware.search), GIN-indexed.
    search_grams = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = "メッセージ"
        verbose_name_plural = "メッセージ"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["channel", "id"], name="chat_message_channel"),
            models.Index(fields=["parent", "id"], name="chat_message_thread"),
            models.Index(fields=["created_at"], name="chat_message_created"),
            GinIndex(fields=["search_grams"], name="chat_message_grams"),
        ]

    def __str__(self) -> str:
        return self.body[:40]


class Attachment(models.Model):
    """A file of a message: bytes in the "groupware" file storage (as the cabinet), never in the database."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name="メッセージ"
    )
    name = models.CharField("ファイル名", max_length=200)
    size = models.PositiveBigIntegerField("サイズ")
    storage_key = models.CharField(max_length=300)

    class Meta:
        verbose_name = "添付ファイル"
        verbose_name_plural = "添付ファイル"

    def __str__(self) -> str:
        return self.name


class ReadMark(models.Model):
    """How far a person has read a channel: every message with an id up to ``last_read_id`` (§4)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="reads", verbose_name="チャンネル")
    person_id = models.BigIntegerField("既読者ID")
    person_name = models.CharField("既読者", max_length=100)
    last_read_id = models.BigIntegerField("既読のメッセージID")
    read_at = models.DateTimeField("既読日時", default=timezone.now)

    class Meta:
        verbose_name = "既読"
        verbose_name_plural = "既読"
        constraints = [models.UniqueConstraint(fields=["channel", "person_id"], name="chat_read_unique")]

    def __str__(self) -> str:
        return f"{self.person_name} ≤ {self.last_read_id}"

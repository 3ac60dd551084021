"""Demo chat for `manage.py seed_demo` (docs/domain/chat.md §8): a council-wide channel, 中土佐町's town channel,
a project channel with the demo maintenance vendor, a thread, a mention and read marks. Idempotent: nothing is
added once the demo's project channel exists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from groupware.chat import services
from groupware.chat.models import Channel, ChannelKind, Message
from groupware.council import council_schema, in_council
from tenants.models import Person

PROJECT = "基幹系システム更新プロジェクト"
# (channel key, author username, body, reply to the message of this index or None), oldest first
HISTORY: list[tuple[str, str, str, int | None]] = [
    ("council", "it_admin", "協議会全体のチャンネルです。両町の連絡はこちらでどうぞ。", None),
    ("council", "tanaka", "中土佐町の田中です。よろしくお願いします。", 0),
    ("council", "yamamoto", "四万十町の山本です。来週の合同研修の資料を共有します。", None),
    ("town", "tanaka", "窓口の混雑状況:午前中は転入届が多めです。", None),
    ("town", "it_admin", "@tanaka 窓口端末の更新は金曜の夕方に行います。", None),
    (
        "project",
        "it_admin",
        "基幹系システム更新プロジェクトのチャンネルです。保守事業者の保守さんを招待しました。",
        None,
    ),
    ("project", "vendor", "保守です。来週火曜にサーバのパッチ適用を予定しています。作業手順書を共有します。", None),
    ("project", "it_admin", "承知しました。作業時間帯は18時以降でお願いします。", 6),
    ("project", "vendor", "18時開始で調整します。", 6),
]


def _people() -> dict[str, Person]:
    names = {row[1] for row in HISTORY} | {"vendor"}
    return {p.username: p for p in Person.objects.filter(username__in=names)}


def _channels(people: dict[str, Person], council: str) -> dict[str, Channel]:
    admin = people["it_admin"]
    with schema_context(council):
        whole = services.create_channel(actor=admin, kind=ChannelKind.COUNCIL, name="協議会全体", retention_days=1825)
        project = services.create_channel(
            actor=admin, kind=ChannelKind.PROJECT, name=PROJECT,
            member_ids=[people[u].pk for u in ("vendor", "tanaka", "yamamoto")], retention_days=365,
        )  # fmt: skip
    with schema_context("nakatosa"):
        town = services.create_channel(actor=admin, kind=ChannelKind.TOWN, name="中土佐町 全体", retention_days=1825)
    return {"council": whole, "town": town, "project": project}


def seed_demo(write: Callable[[str], None]) -> None:
    council = council_schema()
    people = _people()
    if council is None or not {"it_admin", "tanaka", "yamamoto", "vendor"} <= set(people):
        return
    with in_council():
        if Channel.objects.filter(kind=ChannelKind.PROJECT, name=PROJECT).exists():
            return
    channels = _channels(people, council)
    posted: list[Message] = []
    for key, username, body, reply_to in HISTORY:
        host = "nakatosa" if key == "town" else council
        with schema_context(host):
            parent = posted[reply_to].pk if reply_to is not None else None
            posted.append(
                services.post_message(actor=people[username], channel_id=channels[key].pk, body=body, parent_id=parent)
            )
    # Spread the history over the last days (the demo's messages are not all from this minute).
    now = timezone.now()
    with in_council():
        for age, message in enumerate(reversed(posted)):
            Message.objects.filter(pk=message.pk).update(created_at=now - timedelta(hours=5 * age + 1))
    for channel in channels.values():
        services.mark_read(actor=people["tanaka"], channel_id=channel.pk)
    write(f"  council: chat {len(channels)} channels, {len(posted)} messages")

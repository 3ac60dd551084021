"""Writes of the chat, in the council's schema (docs/domain/chat.md): channels, invitations, direct channels,
messages with threads, mentions and attachments, read marks, retention. Each is one transaction with its audit row
(read marks excepted, §4); live events are sent after commit (groupware.chat.live)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone

from common import audit
from common.dates import local_today
from common.tenancy import current_schema
from groupware import org, search
from groupware.chat import live, selectors
from groupware.chat.errors import (
    AttachmentTooLarge,
    ChannelInvalid,
    ChannelNotAllowed,
    MessageInvalid,
    NotChannelMember,
)
from groupware.chat.models import Attachment, Channel, ChannelKind, ChannelMember, Message, ReadMark
from groupware.council import council_schema, in_council
from groupware.services.notifications import notify_where_they_work
from tenants import live as access_live
from tenants import organisation
from tenants.access import memberships_in_force
from tenants.models import Membership, Person, Role

MAX_BODY = 4000  # characters of a message (§3.1)
MAX_FILES = 5  # attachments of one message (§3.3)
MAX_FILE_BYTES = 10 * 1024 * 1024  # each, as the workflow's attachments (groupware.md §4.7)
MAX_RETENTION_DAYS = 3650
MENTION = re.compile(r"@([A-Za-z0-9_.\-]{1,150})")


def _roles_here(actor: Person) -> set[str]:
    return set(
        memberships_in_force(actor).filter(municipality__schema_name=current_schema()).values_list("role", flat=True)
    )


def _staff(actor: Person) -> selectors.Reach:
    reach = selectors.reach_of(actor)
    if not reach.staff_towns:
        raise ChannelNotAllowed("保守事業者は招待されたチャンネルでの投稿だけができます。", code="vendor_not_allowed")
    return reach


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ChannelInvalid("チャンネル名を100文字以内で入力してください。", details={"field": "name"})
    return name


def _check_retention(days: int | None) -> None:
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise ChannelInvalid(
            f"保存日数は1日から{MAX_RETENTION_DAYS}日の間で指定してください。", details={"field": "retention_days"}
        )


def _scope_of(actor: Person, kind: str, unit_code: str) -> tuple[str, str]:
    """(town schema, unit name) of a new channel; town-wide, unit and council channels are IT staff's (§1.2)."""
    schema = current_schema()
    on_council = schema == council_schema()
    if kind == ChannelKind.PROJECT:
        return ("" if on_council else schema), ""
    if kind not in {ChannelKind.TOWN, ChannelKind.UNIT, ChannelKind.COUNCIL}:
        raise ChannelInvalid("チャンネルの種別が正しくありません。", details={"field": "kind"})
    if Role.IT_ADMIN not in _roles_here(actor):
        raise ChannelNotAllowed("このチャンネルを作成できるのは情報システム担当だけです。", code="not_it_admin")
    if kind == ChannelKind.COUNCIL:
        if not on_council:
            raise ChannelInvalid("協議会全体のチャンネルは協議会の画面で作成してください。", details={"field": "kind"})
        return "", ""
    if on_council:
        raise ChannelInvalid("町・組織のチャンネルは各町の画面で作成してください。", details={"field": "kind"})
    if kind == ChannelKind.TOWN:
        return schema, ""
    unit = organisation.unit_by_code(org.current_town(), unit_code, local_today())
    if unit is None:
        raise ChannelInvalid("組織が見つかりません。", code="unit_unknown", details={"field": "unit_code"})
    return schema, unit.name


def create_channel(
    *,
    actor: Person,
    kind: str,
    name: str,
    unit_code: str = "",
    member_ids: Sequence[int] = (),
    retention_days: int | None = None,
) -> Channel:
    """A channel of the requesting town (or the council); a project channel's creator is its first member."""
    _staff(actor)
    name = _clean_name(name)
    _check_retention(retention_days)
    town_schema, unit_name = _scope_of(actor, kind, unit_code)
    people = _people(member_ids) if kind == ChannelKind.PROJECT else []
    with in_council(), transaction.atomic():
        channel = Channel.objects.create(
            kind=kind, name=name, town_schema=town_schema, unit_code=unit_code if unit_name else "",
            unit_name=unit_name, retention_days=retention_days, created_by_id=actor.pk,
            created_by_name=actor.full_name,
        )  # fmt: skip
        if kind == ChannelKind.PROJECT:
            _add_members(channel, [actor, *people], added_by=actor)
        audit.record(actor=actor, action="chat.channel_create", obj=channel, details={"kind": kind})
    return channel


def _people(person_ids: Sequence[int]) -> list[Person]:
    """Active people with a membership in force anywhere (staff or vendor); an unknown id refuses the lot."""
    ids = set(person_ids)
    live = Membership.objects.active().filter(person_id__in=ids).values_list("person_id", flat=True)
    found = list(Person.objects.filter(pk__in=live, is_active=True).order_by("pk"))
    if len(found) != len(ids):
        raise ChannelInvalid(
            "招待できない職員IDが含まれています。", code="person_unknown", details={"field": "members"}
        )
    return found


def _add_members(channel: Channel, people: Sequence[Person], *, added_by: Person) -> list[ChannelMember]:
    rows = [
        ChannelMember(
            channel=channel, person_id=p.pk, person_name=p.full_name, added_by_id=added_by.pk,
            is_vendor=selectors.is_vendor_only(p),
        )
        for p in people
    ]  # fmt: skip
    return ChannelMember.objects.bulk_create(rows, ignore_conflicts=True)


def invite(*, actor: Person, channel_id: int, person_ids: Sequence[int]) -> list[int]:
    """Invite staff or vendor accounts to a project channel (§2.3); members (not vendors) invite."""
    reach = _staff(actor)
    channel = selectors.channel_for(actor=actor, channel_id=channel_id, reach=reach)
    if channel is None:
        raise NotChannelMember()
    if channel.kind != ChannelKind.PROJECT:
        raise ChannelInvalid("招待できるのはプロジェクトのチャンネルだけです。", code="not_project_channel")
    people = _people(person_ids)
    with in_council(), transaction.atomic():
        known = set(ChannelMember.objects.filter(channel=channel).values_list("person_id", flat=True))
        fresh = [p for p in people if p.pk not in known]
        _add_members(channel, fresh, added_by=actor)
        audit.record(actor=actor, action="chat.invite", obj=channel, details={"invited": [p.pk for p in fresh]})
    return [p.pk for p in fresh]


def remove_member(*, actor: Person, channel_id: int, person_id: int) -> None:
    """Remove someone from a project channel (§2.6): a member who may invite removes anyone, anyone leaves by
    removing themselves (a vendor too). Their open sockets of the channel close after commit (tenants.live)."""
    channel = selectors.channel_for(actor=actor, channel_id=channel_id)
    if channel is None:
        raise NotChannelMember()
    if channel.kind != ChannelKind.PROJECT:
        raise ChannelInvalid("メンバーを外せるのはプロジェクトのチャンネルだけです。", code="not_project_channel")
    if person_id != actor.pk:
        _staff(actor)
    with in_council(), transaction.atomic():
        removed = ChannelMember.objects.filter(channel=channel, person_id=person_id).first()
        if removed is None:
            raise ChannelInvalid(
                "このチャンネルのメンバーではありません。", code="member_unknown", details={"field": "person"}
            )
        removed.delete()
        audit.record(
            actor=actor, action="chat.member_remove", obj=channel,
            details={"person": person_id, "left": person_id == actor.pk},
        )  # fmt: skip
        access_live.access_changed([person_id])


def open_direct(*, actor: Person, person_id: int) -> Channel:
    """The direct channel of two staff members (one per pair), opened on first use (§1.1)."""
    _staff(actor)
    (other,) = _people([person_id])
    if person_id == actor.pk or selectors.is_vendor_only(other):
        raise ChannelInvalid("この相手とはダイレクトメッセージを始められません。", code="direct_not_allowed")
    key = f"{min(actor.pk, other.pk)}-{max(actor.pk, other.pk)}"
    on_council = current_schema() == council_schema()
    with in_council(), transaction.atomic():
        found = Channel.objects.filter(direct_key=key).first()
        if found is not None:
            return found
        channel = Channel.objects.create(
            kind=ChannelKind.DIRECT, name=f"{actor.full_name}・{other.full_name}", direct_key=key,
            town_schema="" if on_council else current_schema(), created_by_id=actor.pk,
            created_by_name=actor.full_name,
        )  # fmt: skip
        _add_members(channel, [actor, other], added_by=actor)
        audit.record(actor=actor, action="chat.direct_open", obj=channel)
    return channel


def _check_files(files: Sequence[UploadedFile]) -> None:
    if len(files) > MAX_FILES:
        raise MessageInvalid(
            f"添付ファイルは{MAX_FILES}個までです。", code="too_many_files", details={"field": "files"}
        )
    for upload in files:
        if (upload.size or 0) > MAX_FILE_BYTES:
            raise AttachmentTooLarge(
                f"「{upload.name}」は大きすぎます(1ファイル{MAX_FILE_BYTES // (1024 * 1024)}MBまで)。",
                details={"field": "files", "file": upload.name, "limit": MAX_FILE_BYTES},
            )


def _mentioned(body: str, channel: Channel) -> list[Person]:
    names = set(MENTION.findall(body))
    if not names:
        return []
    people = Person.objects.filter(username__in=names, is_active=True).order_by("pk")
    return [p for p in people if selectors.reach_of(p).allows(channel)]


def _thread_root(channel: Channel, parent_id: int | None) -> Message | None:
    if parent_id is None:
        return None
    parent = selectors.message_in(channel=channel, message_id=parent_id)
    if parent is None:
        raise MessageInvalid(
            "返信先のメッセージが見つかりません。", code="parent_not_found", details={"field": "parent"}
        )
    if parent.parent_id is not None:
        return selectors.message_in(channel=channel, message_id=parent.parent_id)
    return parent


def post_message(
    *,
    actor: Person,
    channel_id: int,
    body: str,
    parent_id: int | None = None,
    files: Sequence[UploadedFile] = (),
) -> Message:
    """Post to a channel the actor reaches (else ``channel_not_member``, nothing written): the message, its files
    in the file storage, the author's own read mark, mention notifications and the audit row, then live (§3)."""
    channel = selectors.channel_for(actor=actor, channel_id=channel_id)
    if channel is None:
        raise NotChannelMember()
    body = body.strip()
    if len(body) > MAX_BODY or not (body or files):
        raise MessageInvalid(f"本文を{MAX_BODY}文字以内で入力してください。", details={"field": "body"})
    _check_files(files)
    root = _thread_root(channel, parent_id)
    mentioned = _mentioned(body, channel)
    storage = storages["groupware"]
    keys: list[str] = []
    try:
        with in_council(), transaction.atomic():
            message = Message.objects.create(
                channel=channel, parent=root, author_id=actor.pk, author_name=actor.full_name, body=body,
                mentions=[p.pk for p in mentioned], search_grams=search.grams(body, *(f.name or "" for f in files)),
            )  # fmt: skip
            stored = []
            for upload in files:
                keys.append(storage.save(f"{current_schema()}/chat/{channel.pk}/{uuid.uuid4().hex}", upload))
                stored.append(Attachment.objects.create(
                    message=message, name=(upload.name or "file")[:200], size=upload.size or 0, storage_key=keys[-1]
                ))  # fmt: skip
            _advance_read(channel, actor, message.pk)
            audit.record(
                actor=actor, action="chat.post", obj=message, details={"channel": channel.pk, "files": len(files)}
            )
            _notify_mentions(channel, message, mentioned)
            # Rendered here, once, from what this post wrote (no re-read): nobody but the author can have read a
            # message not yet committed, and the author is not counted in 「既読」 (§4.2).
            live.publish(channel.pk, {"type": "message", "message": selectors.payload(message, [], stored)})
            # The caller renders it from another schema: its attachments are read here, in the council's.
            prefetch_related_objects([message], "attachments")
    except Exception:
        for key in keys:
            storage.delete(key)
        raise
    return message


def _notify_mentions(channel: Channel, message: Message, mentioned: Sequence[Person]) -> None:
    """A mention notifies in the groupware inbox of the town where the person works (their first membership of
    a town, else the council's), inside this transaction (groupware.md §5.5)."""
    for person in mentioned:
        if person.pk == message.author_id:
            continue
        notify_where_they_work(
            recipient_ids=[person.pk], kind="mention", url=f"/chat/{channel.pk}/#m{message.pk}",
            text=f"{message.author_name}さんが「{channel.name}」であなたをメンションしました: {message.body[:100]}",
        )  # fmt: skip


def _advance_read(channel: Channel, person: Person, upto: int) -> bool:
    """Move the person's read mark forward to ``upto`` (never back); True when it moved."""
    now = timezone.now()
    moved = ReadMark.objects.filter(channel=channel, person_id=person.pk, last_read_id__lt=upto).update(
        last_read_id=upto, read_at=now
    )
    if moved:
        return True
    if ReadMark.objects.filter(channel=channel, person_id=person.pk).exists():
        return False
    ReadMark.objects.bulk_create(
        [ReadMark(channel=channel, person_id=person.pk, person_name=person.full_name, last_read_id=upto, read_at=now)],
        ignore_conflicts=True,  # a second tab marking at the same moment
    )
    return True


def mark_read(*, actor: Person, channel_id: int, upto_id: int | None = None) -> int:
    """The actor has read the channel up to ``upto_id`` (default: its latest message). Not audited: it changes
    only the reader's own mark (§4). Returns the mark; the senders see 「既読」 live."""
    channel = selectors.channel_for(actor=actor, channel_id=channel_id)
    if channel is None:
        raise NotChannelMember()
    latest = selectors.latest_id(channel)
    upto = latest if upto_id is None else min(upto_id, latest)
    if upto <= 0:
        return 0
    with in_council(), transaction.atomic():
        if _advance_read(channel, actor, upto):
            live.publish(channel.pk, {"type": "read", "person_id": actor.pk, "name": actor.full_name, "upto": upto})
    return upto


def set_retention(*, actor: Person, channel_id: int, days: int | None) -> Channel:
    """IT staff of the channel's town (any channel on the council host) set how long its messages are kept, member
    or not: retention is governance, not reading (§5)."""
    with in_council():
        channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotChannelMember()
    on_council = current_schema() == council_schema()
    if Role.IT_ADMIN not in _roles_here(actor) or not (on_council or channel.town_schema == current_schema()):
        raise ChannelNotAllowed("保存期間を設定できるのは情報システム担当だけです。", code="not_it_admin")
    _check_retention(days)
    with in_council(), transaction.atomic():
        before = channel.retention_days
        channel.retention_days = days
        channel.save(update_fields=["retention_days"])
        audit.record(actor=actor, action="chat.retention", obj=channel, details={"from": before, "to": days})
    return channel


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the threads whose last message is older than their channel's retention (§5), one audit row per
    channel in the council's trail; the files go from the storage after commit. Returns the messages deleted."""
    now = now or timezone.now()
    total = 0
    with in_council() as found:
        if not found:
            return 0
        for channel in Channel.objects.filter(retention_days__isnull=False).order_by("pk"):
            total += _purge_channel(channel, now - timedelta(days=channel.retention_days or 0))
    return total


def _purge_channel(channel: Channel, cutoff: datetime) -> int:
    with transaction.atomic():
        roots = (
            Message.objects.filter(channel=channel, parent__isnull=True)
            .annotate(last=Coalesce(Max("replies__created_at"), "created_at"))
            .filter(last__lt=cutoff)
            .values_list("pk", flat=True)
        )
        doomed = Message.objects.filter(channel=channel, pk__in=list(roots))
        ids = list(doomed.values_list("pk", flat=True)) + list(
            Message.objects.filter(parent__in=doomed).values_list("pk", flat=True)
        )
        if not ids:
            return 0
        keys = list(Attachment.objects.filter(message_id__in=ids).values_list("storage_key", flat=True))
        Message.objects.filter(pk__in=ids).delete()
        audit.record(
            actor=None, action="chat.purge", obj=channel,
            details={"deleted": len(ids), "before": cutoff.isoformat(), "retention_days": channel.retention_days},
        )  # fmt: skip
        transaction.on_commit(lambda: _delete_files(keys))
    return len(ids)


def _delete_files(keys: Sequence[str]) -> None:
    storage = storages["groupware"]
    for key in keys:
        storage.delete(key)


def download(*, actor: Person, attachment_id: int) -> tuple[Attachment, object]:
    """An attachment of a channel the actor reaches, opened from the storage; every download is audited."""
    found = selectors.attachment_for(actor=actor, attachment_id=attachment_id)
    if found is None:
        raise NotChannelMember()
    with in_council(), transaction.atomic():
        audit.record(actor=actor, action="chat.download", obj=found.message, details={"file": found.name})
    return found, storages["groupware"].open(found.storage_key)


def export_messages(*, actor: Person, since: datetime | None, until: datetime | None) -> Iterator[Message]:
    """The compliance export for auditors (§6): on a town's host the channels of that town and the council-wide
    ones, on the council's host every channel. The export itself is audited in the requesting town's trail."""
    if Role.AUDITOR not in _roles_here(actor):
        raise ChannelNotAllowed("エクスポートできるのは監査担当だけです。", code="not_auditor")
    schema = current_schema()
    scope = Q() if schema == council_schema() else Q(town_schema=schema) | Q(kind=ChannelKind.COUNCIL)
    with transaction.atomic():
        audit.record(
            actor=actor, action="chat.export",
            details={"since": since.isoformat() if since else None, "until": until.isoformat() if until else None},
        )  # fmt: skip
    return selectors.export_rows(channel_filter=scope, since=since, until=until)


AUDIT_LABELS = {
    "chat.channel_create": "チャット: チャンネルの作成",
    "chat.invite": "チャット: メンバーの招待",
    "chat.member_remove": "チャット: メンバーの除外・退出",
    "chat.direct_open": "チャット: ダイレクトメッセージの開始",
    "chat.post": "チャット: 投稿",
    "chat.retention": "チャット: 保存期間の設定",
    "chat.purge": "チャット: 保存期間を過ぎたメッセージの削除",
    "chat.download": "チャット: 添付ファイルのダウンロード",
    "chat.export": "チャット: コンプライアンス用エクスポート",
}

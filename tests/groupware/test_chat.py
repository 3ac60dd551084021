"""ビジネスチャット: who reaches which channel (vendors only where invited), posting with threads, mentions and
attachments, read receipts, search, retention and the compliance export (docs/domain/chat.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from common.audit import AuditEvent
from groupware.chat import selectors, services
from groupware.chat.errors import AttachmentTooLarge, ChannelNotAllowed, MessageInvalid, NotChannelMember
from groupware.chat.models import Channel, Message
from groupware.council import in_council
from groupware.models import Notification


@pytest.fixture
def people(new_person: Any) -> dict[str, Any]:
    return {
        "admin": new_person("ch_admin", nakatosa="it_admin"),
        "clerk": new_person("ch_clerk", nakatosa="clerk"),
        "other": new_person("ch_other", nakatosa="clerk"),
        "shimanto": new_person("ch_shimanto", shimanto="clerk"),
        "council_admin": new_person("ch_council_admin", council="it_admin"),
        "vendor": new_person("ch_vendor", council="vendor"),
        "auditor": new_person("ch_auditor", nakatosa="auditor"),
    }


@pytest.fixture
def channels(people: dict[str, Any]) -> dict[str, Channel]:
    with schema_context("nakatosa"):
        town = services.create_channel(actor=people["admin"], kind="town", name="中土佐町 全体")
        project = services.create_channel(
            actor=people["clerk"], kind="project", name="庁舎改修", member_ids=[people["vendor"].pk]
        )
    with schema_context("shimanto"):
        shimanto = services.create_channel(actor=people["shimanto"], kind="project", name="四万十の案件")
    with schema_context("council"):
        council = services.create_channel(actor=people["council_admin"], kind="council", name="協議会全体")
    return {"town": town, "project": project, "shimanto": shimanto, "council": council}


def _count(model: Any) -> int:
    with in_council():
        return model.objects.count()


def _audit_rows() -> int:
    with in_council():
        return AuditEvent.objects.count()


def test_a_vendor_reaches_only_the_channels_it_was_invited_to(people: dict[str, Any], channels: dict[str, Any]) -> None:
    reached = [c.pk for c in selectors.channels_for(actor=people["vendor"])]
    assert reached == [channels["project"].pk]


def test_staff_reach_their_town_the_council_and_their_projects(
    people: dict[str, Any], channels: dict[str, Any]
) -> None:
    reached = {c.pk for c in selectors.channels_for(actor=people["clerk"])}
    assert reached == {channels["town"].pk, channels["project"].pk, channels["council"].pk}


def test_another_towns_staff_do_not_reach_the_town_channel(people: dict[str, Any], channels: dict[str, Any]) -> None:
    assert selectors.channel_for(actor=people["shimanto"], channel_id=channels["town"].pk) is None


def test_a_message_to_a_channel_the_sender_is_not_in_is_refused_and_writes_nothing(
    people: dict[str, Any], channels: dict[str, Any]
) -> None:
    before = (_count(Message), _audit_rows())
    with pytest.raises(NotChannelMember) as refused:
        services.post_message(actor=people["vendor"], channel_id=channels["town"].pk, body="こんにちは")
    assert refused.value.code == "channel_not_member"
    assert (_count(Message), _audit_rows()) == before


def test_a_vendor_cannot_create_channels(people: dict[str, Any]) -> None:
    with schema_context("council"), pytest.raises(ChannelNotAllowed):
        services.create_channel(actor=people["vendor"], kind="project", name="勝手なチャンネル")


def test_only_it_staff_create_a_town_channel(people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(ChannelNotAllowed) as refused:
        services.create_channel(actor=people["clerk"], kind="town", name="町全体2")
    assert refused.value.code == "not_it_admin"


def test_a_unit_channel_reaches_the_units_people_and_those_below(
    people: dict[str, Any], units: dict[str, Any], post: Any
) -> None:
    post(people["clerk"], units["joho"])  # 情報係, below 総務課
    post(people["other"], units["jumin"])
    with schema_context("nakatosa"):
        channel = services.create_channel(actor=people["admin"], kind="unit", name="総務課", unit_code="T100")
    assert selectors.channel_for(actor=people["clerk"], channel_id=channel.pk) == channel
    assert selectors.channel_for(actor=people["other"], channel_id=channel.pk) is None


def test_a_reply_to_a_reply_joins_the_thread_of_the_first_message(
    people: dict[str, Any], channels: dict[str, Any]
) -> None:
    channel = channels["project"].pk
    root = services.post_message(actor=people["clerk"], channel_id=channel, body="工程表を共有します")
    reply = services.post_message(actor=people["vendor"], channel_id=channel, body="確認しました", parent_id=root.pk)
    again = services.post_message(actor=people["clerk"], channel_id=channel, body="よろしく", parent_id=reply.pk)
    assert again.parent_id == root.pk
    top = selectors.messages(channel=channels["project"])
    assert [(m.pk, m.reply_count) for m in top] == [(root.pk, 2)]  # type: ignore[attr-defined]
    thread = selectors.messages(channel=channels["project"], thread_id=root.pk)
    assert [m.pk for m in thread] == [root.pk, reply.pk, again.pk]


def test_a_reply_to_a_message_of_another_channel_is_refused(people: dict[str, Any], channels: dict[str, Any]) -> None:
    foreign = services.post_message(actor=people["clerk"], channel_id=channels["town"].pk, body="町の連絡")
    with pytest.raises(MessageInvalid) as refused:
        services.post_message(
            actor=people["clerk"], channel_id=channels["project"].pk, body="返信", parent_id=foreign.pk
        )
    assert refused.value.code == "parent_not_found"


def test_read_receipts_count_the_readers_but_the_author(people: dict[str, Any], channels: dict[str, Any]) -> None:
    channel = channels["project"]
    message = services.post_message(actor=people["clerk"], channel_id=channel.pk, body="明日10時に訪問します")
    assert selectors.payload(message, selectors.readers(channel))["read_count"] == 0
    services.mark_read(actor=people["vendor"], channel_id=channel.pk)
    shown = selectors.payload(message, selectors.readers(channel))
    assert shown["read_count"] == 1
    assert shown["read_by"] == [people["vendor"].full_name]


def test_a_read_mark_never_moves_back(people: dict[str, Any], channels: dict[str, Any]) -> None:
    channel = channels["project"]
    first = services.post_message(actor=people["clerk"], channel_id=channel.pk, body="一")
    second = services.post_message(actor=people["clerk"], channel_id=channel.pk, body="二")
    services.mark_read(actor=people["vendor"], channel_id=channel.pk, upto_id=second.pk)
    services.mark_read(actor=people["vendor"], channel_id=channel.pk, upto_id=first.pk)
    marks = {r.person_id: r.last_read_id for r in selectors.readers(channel)}
    assert marks[people["vendor"].pk] == second.pk


def test_a_mention_notifies_in_the_persons_town(people: dict[str, Any], channels: dict[str, Any]) -> None:
    services.post_message(actor=people["admin"], channel_id=channels["town"].pk, body="@ch_clerk 確認をお願いします")
    with schema_context("nakatosa"):
        assert Notification.objects.filter(recipient_id=people["clerk"].pk, kind="mention").count() == 1


def test_a_mention_of_someone_of_a_town_and_the_council_notifies_in_the_town(
    people: dict[str, Any], channels: dict[str, Any], new_person: Any
) -> None:
    # "council" sorts before "town": the notification went to the council's centre, not the town's (chat.md §3.4).
    both = new_person("ch_both", council="council_staff", shimanto="clerk")
    services.post_message(actor=people["council_admin"], channel_id=channels["council"].pk, body="@ch_both 確認を")
    with schema_context("shimanto"):
        assert Notification.objects.filter(recipient_id=both.pk, kind="mention").count() == 1
    with schema_context("council"):
        assert not Notification.objects.filter(recipient_id=both.pk).exists()


def test_a_mention_of_someone_outside_the_channel_notifies_nobody(
    people: dict[str, Any], channels: dict[str, Any]
) -> None:
    message = services.post_message(actor=people["admin"], channel_id=channels["town"].pk, body="@ch_shimanto 見て")
    assert message.mentions == []
    with schema_context("shimanto"):
        assert not Notification.objects.filter(recipient_id=people["shimanto"].pk).exists()


def test_an_attachment_is_stored_and_its_download_audited(people: dict[str, Any], channels: dict[str, Any]) -> None:
    upload = SimpleUploadedFile("手順書.txt", "作業手順".encode())
    message = services.post_message(actor=people["vendor"], channel_id=channels["project"].pk, body="", files=[upload])
    (attachment,) = message.attachments.all()
    _found, handle = services.download(actor=people["clerk"], attachment_id=attachment.pk)
    with handle:
        assert handle.read() == "作業手順".encode()
    with in_council():
        assert AuditEvent.objects.filter(action="chat.download", object_id=str(message.pk)).count() == 1


def test_an_attachment_of_a_channel_one_does_not_reach_is_not_found(
    people: dict[str, Any], channels: dict[str, Any]
) -> None:
    message = services.post_message(
        actor=people["clerk"], channel_id=channels["town"].pk, body="資料",
        files=[SimpleUploadedFile("a.txt", b"x")],
    )  # fmt: skip
    (attachment,) = message.attachments.all()
    with pytest.raises(NotChannelMember):
        services.download(actor=people["vendor"], attachment_id=attachment.pk)


def test_an_oversized_attachment_is_refused_and_writes_nothing(
    people: dict[str, Any], channels: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 10)
    before = _count(Message)
    with pytest.raises(AttachmentTooLarge) as refused:
        services.post_message(
            actor=people["clerk"], channel_id=channels["project"].pk, body="大きい",
            files=[SimpleUploadedFile("big.bin", b"x" * 11)],
        )  # fmt: skip
    assert refused.value.code == "file_too_large"
    assert _count(Message) == before


def test_search_finds_messages_of_reached_channels_only(people: dict[str, Any], channels: dict[str, Any]) -> None:
    mine = services.post_message(actor=people["clerk"], channel_id=channels["project"].pk, body="サーバーの再起動手順")
    services.post_message(actor=people["shimanto"], channel_id=channels["shimanto"].pk, body="サーバーの再起動は夜間")
    assert [m.pk for m in selectors.search_messages(actor=people["clerk"], term="再起動")] == [mine.pk]


def test_search_matches_katakana_and_hiragana_alike(people: dict[str, Any], channels: dict[str, Any]) -> None:
    mine = services.post_message(actor=people["clerk"], channel_id=channels["project"].pk, body="パッチ適用")
    assert [m.pk for m in selectors.search_messages(actor=people["clerk"], term="ぱっち")] == [mine.pk]


def test_a_direct_channel_is_one_per_pair(people: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        first = services.open_direct(actor=people["clerk"], person_id=people["shimanto"].pk)
        again = services.open_direct(actor=people["shimanto"], person_id=people["clerk"].pk)
    assert first.pk == again.pk


def test_a_vendor_cannot_open_a_direct_channel(people: dict[str, Any]) -> None:
    with schema_context("council"), pytest.raises(ChannelNotAllowed):
        services.open_direct(actor=people["vendor"], person_id=people["clerk"].pk)


def test_retention_deletes_expired_threads_and_audits_it(people: dict[str, Any], channels: dict[str, Any]) -> None:
    channel = channels["project"]
    with schema_context("nakatosa"):
        services.set_retention(actor=people["admin"], channel_id=channel.pk, days=30)
    old = services.post_message(actor=people["clerk"], channel_id=channel.pk, body="古い")
    active = services.post_message(actor=people["clerk"], channel_id=channel.pk, body="古いが続いている")
    services.post_message(actor=people["clerk"], channel_id=channel.pk, body="続き", parent_id=active.pk)
    with in_council():
        Message.objects.filter(pk__in=[old.pk, active.pk]).update(created_at=timezone.now() - timedelta(days=31))
    assert services.purge_expired() == 1
    with in_council():
        assert not Message.objects.filter(pk=old.pk).exists()
        assert Message.objects.filter(pk=active.pk).exists()  # its last reply is recent: the thread stays
        assert AuditEvent.objects.filter(action="chat.purge", object_id=str(channel.pk)).count() == 1


def test_only_it_staff_set_the_retention(people: dict[str, Any], channels: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(ChannelNotAllowed):
        services.set_retention(actor=people["clerk"], channel_id=channels["project"].pk, days=30)


def test_the_export_holds_the_towns_and_council_channels_only(people: dict[str, Any], channels: dict[str, Any]) -> None:
    services.post_message(actor=people["clerk"], channel_id=channels["town"].pk, body="町")
    services.post_message(actor=people["council_admin"], channel_id=channels["council"].pk, body="協議会")
    services.post_message(actor=people["shimanto"], channel_id=channels["shimanto"].pk, body="四万十")
    with schema_context("nakatosa"):
        rows = list(services.export_messages(actor=people["auditor"], since=None, until=None))
    mine = {c.pk for c in channels.values()}  # the database may hold other tests' committed channels
    assert sorted(m.body for m in rows if m.channel_id in mine) == ["協議会", "町"]


def test_the_export_is_for_auditors(people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(ChannelNotAllowed) as refused:
        services.export_messages(actor=people["clerk"], since=None, until=None)
    assert refused.value.code == "not_auditor"

"""掲示板: who may post where, publication and expiry, read receipts (who has and hasn't read), comments and
mentions, council-wide notices read from a town, teachers' boards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from common.errors import PermissionDenied
from groupware import selectors
from groupware.models import Notice, NoticeRead, Notification
from groupware.services import bulletin
from tests.conftest import HOSTS, make_client, person


@pytest.fixture
def staff(nakatosa: Any, units: dict[str, Any], post: Any, new_person: Any) -> dict[str, Any]:
    people = {
        "chief": new_person("bb_chief", nakatosa="clerk"),
        "clerk": new_person("bb_clerk", nakatosa="clerk"),
        "other": new_person("bb_other", nakatosa="clerk"),
        "teacher": new_person("bb_teacher", nakatosa="teacher"),
    }
    post(people["chief"], units["soumu"], manager=True)
    post(people["clerk"], units["joho"])
    post(people["other"], units["jumin"])
    post(people["teacher"], units["school"])
    return people


def test_a_unit_notice_reaches_the_unit_and_below_and_shows_who_has_read(staff: dict[str, Any]) -> None:
    notice = bulletin.post_notice(
        actor=staff["chief"], title="課内研修のお知らせ", body="来週実施します。", scope="unit", unit_code="T100"
    )
    assert [row.notice.pk for row in selectors.notices_for(actor=staff["clerk"])] == [notice.pk]
    assert selectors.notices_for(actor=staff["other"]) == []
    assert Notification.objects.filter(recipient_id=staff["clerk"].pk, kind="notice").exists()

    bulletin.record_read(actor=staff["clerk"], notice_id=notice.pk)
    bulletin.record_read(actor=staff["clerk"], notice_id=notice.pk)  # the first opening counts, once
    page = selectors.notice_page(actor=staff["chief"], notice_id=notice.pk)
    assert page is not None
    assert [r.person_id for r in page.readers or []] == [staff["clerk"].pk]
    assert page.not_read == []  # the only other member is the author


def test_read_receipts_list_the_members_who_have_not_read(staff: dict[str, Any], post: Any, units: Any) -> None:
    notice = bulletin.post_notice(
        actor=staff["chief"], title="至急", body="確認してください。", scope="unit", unit_code="T110"
    )
    page = selectors.notice_page(actor=staff["chief"], notice_id=notice.pk)
    assert page is not None
    assert page.readers == []
    assert [pk for pk, _ in page.not_read or []] == [staff["clerk"].pk]
    as_reader = selectors.notice_page(actor=staff["clerk"], notice_id=notice.pk)
    assert as_reader is not None
    assert as_reader.readers is None  # receipts are for the author and IT staff


def test_someone_outside_the_unit_cannot_post_to_it_or_read_it(staff: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        bulletin.post_notice(actor=staff["other"], title="x", body="y", scope="unit", unit_code="T100")
    notice = bulletin.post_notice(actor=staff["chief"], title="x", body="y", scope="unit", unit_code="T100")
    assert selectors.notice_page(actor=staff["other"], notice_id=notice.pk) is None


def test_a_notice_shows_between_its_publication_and_expiry(staff: dict[str, Any]) -> None:
    now = timezone.now()
    later = bulletin.post_notice(actor=staff["chief"], title="来月から", body="y", publish_from=now + timedelta(days=3))
    gone = bulletin.post_notice(
        actor=staff["chief"], title="終了", body="y", publish_from=now - timedelta(days=3),
        expires_at=now - timedelta(days=1),
    )  # fmt: skip
    shown = {row.notice.pk for row in selectors.notices_for(actor=staff["other"])}
    assert later.pk not in shown
    assert gone.pk not in shown
    assert later.pk in {row.notice.pk for row in selectors.notices_for(actor=staff["chief"])}


def test_an_expiry_before_the_publication_is_refused(staff: dict[str, Any]) -> None:
    now = timezone.now()
    with pytest.raises(bulletin.NoticeInvalid) as excinfo:
        bulletin.post_notice(actor=staff["chief"], title="x", body="y", publish_from=now, expires_at=now)
    assert excinfo.value.code == "period_invalid"
    assert not Notice.objects.filter(title="x").exists()


def test_teachers_read_their_school_s_board_not_the_town_hall_s(staff: dict[str, Any]) -> None:
    town_wide = bulletin.post_notice(actor=staff["chief"], title="庁内全体", body="y")
    school = bulletin.post_notice(actor=staff["teacher"], title="職員会議", body="y", scope="unit", unit_code="S01")
    seen = [row.notice.pk for row in selectors.notices_for(actor=staff["teacher"])]
    assert seen == [school.pk]
    assert town_wide.pk not in seen
    with pytest.raises(PermissionDenied):
        bulletin.post_notice(actor=staff["teacher"], title="全体へ", body="y")


def test_comments_only_where_enabled_and_mentions_notify(staff: dict[str, Any]) -> None:
    closed = bulletin.post_notice(actor=staff["chief"], title="閉", body="y")
    with pytest.raises(PermissionDenied):
        bulletin.add_comment(actor=staff["clerk"], notice_id=closed.pk, body="質問です")
    open_notice = bulletin.post_notice(actor=staff["chief"], title="開", body="y", allow_comments=True)
    bulletin.add_comment(actor=staff["clerk"], notice_id=open_notice.pk, body="@bb_other 確認お願いします")
    assert Notification.objects.filter(recipient_id=staff["other"].pk, kind="mention").exists()


def test_a_council_wide_notice_is_read_from_a_town_host(db: Any) -> None:
    with schema_context("council"):
        notice = bulletin.post_notice(
            actor=person("council_staff"), title="協議会からのお知らせ", body="システム停止予定"
        )
    client = make_client(HOSTS["nakatosa"], person("tanaka"))
    listing = client.get(reverse("groupware:notices")).content.decode()
    assert "協議会からのお知らせ" in listing
    page = client.get(reverse("groupware:council_notice", args=[notice.pk]))
    assert "システム停止予定" in page.content.decode()
    with schema_context("council"):
        assert NoticeRead.objects.filter(notice=notice, person_id=person("tanaka").pk).exists()
    author = make_client(HOSTS["council"], person("council_staff"))
    receipts = author.get(reverse("groupware:notice", args=[notice.pk])).content.decode()
    assert f'data-read="{person("tanaka").pk}"' in receipts
    assert f'data-unread="{person("yamamoto").pk}"' in receipts

"""The clerk's pages of the new 届出: each renders for a real person, files through its service, and shows the
service's refusal as a form error with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_tenants.utils import schema_context

from koseki.models import Entry, EntryKind, Koseki, Member, NonAcceptanceRequest, Notification
from koseki.views import PURPOSE_SESSION_KEY
from tests.koseki.factories import make_koseki, member, members_of, single_head, yamada_family

pytestmark = pytest.mark.django_db

BASE = "/koseki/"
NOTIFIER = {"notified_on": "令和8年11月27日", "notifier_name": "届出 太郎"}


@pytest.fixture(autouse=True)
def _frozen_day() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 27), tick=False):
        yield


@pytest.fixture
def clerk(client_for: Any) -> Client:
    return client_for("tanaka", "nakatosa")


def test_every_new_notification_page_renders(clerk: Client) -> None:
    with schema_context("nakatosa"):
        family = yamada_family()
        taro = members_of(family)[0]
    pages = {
        f"{BASE}members/{taro.public_id}/acknowledgment/": "認知届",
        f"{BASE}members/{taro.public_id}/dissolution/": "養子離縁届",
        f"{BASE}members/{taro.public_id}/marital-surname/": "離婚の際に称していた氏を称する届",
        f"{BASE}members/{taro.public_id}/child-surname/": "入籍届",
        f"{BASE}members/{taro.public_id}/non-acceptance/": "不受理申出",
        f"{BASE}members/{taro.public_id}/given-name/": "名の変更届",
        f"{BASE}members/{taro.public_id}/foreign-surname/": "外国人との婚姻による氏の変更届",
        f"{BASE}registers/{family.public_id}/surname/": "氏の変更届",
        f"{BASE}naturalization/": "帰化届・国籍取得届",
        f"{BASE}late-notices/": "届出期間経過通知書",
    }
    for url, title in pages.items():
        response = clerk.get(url)
        assert response.status_code == 200, url
        assert title in response.content.decode(), url
    session = clerk.session
    session[PURPOSE_SESSION_KEY] = "届出の受付"
    session.save()
    register = clerk.get(f"{BASE}registers/{family.public_id}/").content.decode()
    assert f"{BASE}members/{taro.public_id}/non-acceptance/" in register
    assert f"{BASE}registers/{family.public_id}/surname/" in register


def test_acknowledgment_through_the_page(clerk: Client) -> None:
    with schema_context("nakatosa"):
        mother_reg = make_koseki(
            family_name="森",
            members=[member("美穂", birth_date=date(1990, 1, 1), sex="2"), member("蓮", birth_date=date(2020, 5, 5))],
        )
        ren = members_of(mother_reg)[1]
        ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1988, 1, 1)))[0]
    url = f"{BASE}members/{ren.public_id}/acknowledgment/"
    found = clerk.post(url, {"step": "find", "father_query": "佐藤健"})
    assert found.status_code == 200
    assert f'value="{ken.pk}"' in found.content.decode()
    response = clerk.post(url, {"father_query": "佐藤健", "father": ken.pk, "notifier_capacity": "父", **NOTIFIER})
    assert response.status_code == 302
    with schema_context("nakatosa"):
        assert Member.objects.get(pk=ren.pk).father_key == ken.person_key
        assert Entry.objects.filter(member=ren, kind=EntryKind.ACKNOWLEDGMENT).count() == 1


def test_non_acceptance_then_a_refused_marriage_shows_the_reason(clerk: Client) -> None:
    with schema_context("nakatosa"):
        ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1988, 1, 1)))[0]
        ai = members_of(single_head("愛", family_name="鈴木", sex="2", birth_date=date(1990, 1, 1)))[0]
    response = clerk.post(
        f"{BASE}members/{ken.public_id}/non-acceptance/",
        {"kinds": ["marriage"], "notifier_capacity": "本人", **NOTIFIER},
    )
    assert response.status_code == 302
    with schema_context("nakatosa"):
        assert NonAcceptanceRequest.objects.filter(person_key=ken.person_key).count() == 1
        before = Notification.objects.count()
    marriage = clerk.post(
        f"{BASE}members/{ken.public_id}/marriage/",
        {
            "married_on": "令和8年11月27日",
            "surname_of": "husband",
            "spouse_source": "member",
            "spouse_query": "鈴木愛",
            "spouse": ai.pk,
            "notifier_capacity": "夫妻",
            **NOTIFIER,
        },
    )
    assert marriage.status_code == 409
    assert "不受理申出" in marriage.content.decode()
    with schema_context("nakatosa"):
        assert Notification.objects.count() == before


def test_naturalization_through_the_page(clerk: Client) -> None:
    response = clerk.post(
        f"{BASE}naturalization/",
        {
            "kind": "naturalization",
            "became_on": "令和8年11月10日",
            "family_name": "李",
            "given_name": "明",
            "family_name_kana": "り",
            "given_name_kana": "めい",
            "birth_date": "1985-04-04",
            "birth_place": "中華人民共和国北京市",
            "sex": "1",
            "former_nationality": "中国",
            "former_name": "LI MING",
            "new_honseki": "高知県高岡郡中土佐町久礼7番地",
            "notifier_capacity": "本人",
            **NOTIFIER,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with schema_context("nakatosa"):
        register = Koseki.objects.get(family_name="李")
        assert response["Location"] == f"{BASE}registers/{register.public_id}/"
        assert members_of(register)[0].given_name_kana == "メイ"


def test_a_non_acceptance_request_is_withdrawn_at_the_counter(clerk: Client) -> None:
    with schema_context("nakatosa"):
        ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1988, 1, 1)))[0]
    clerk.post(
        f"{BASE}members/{ken.public_id}/non-acceptance/",
        {"kinds": ["marriage"], "notifier_capacity": "本人", **NOTIFIER},
    )
    with schema_context("nakatosa"):
        request = NonAcceptanceRequest.objects.get(person_key=ken.person_key)
    url = f"{BASE}members/{ken.public_id}/non-acceptance/withdraw/"
    assert "不受理申出の取下げ" in clerk.get(url).content.decode()
    response = clerk.post(url, {"request": request.pk, "notifier_capacity": "本人", **NOTIFIER})
    assert response.status_code == 302
    with schema_context("nakatosa"):
        request.refresh_from_db()
    assert request.withdrawn_on == date(2026, 11, 27)

"""The clerk's 戸籍 pages: search, the register with its history, the 届出 forms, certificates, 交付履歴, 広域交付.

Every page is exercised as a clerk; every form's error path is shown to write nothing (no Notification,
Entry, Member, Koseki or CertificateIssuance row); every display of a register writes an audit row with its
purpose; auditors read but never file or issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common.models import AuditEvent
from koseki.models import (
    CertificateIssuance,
    Entry,
    EntryKind,
    FuhyoEntry,
    Koseki,
    Member,
    Notification,
)
from koseki.views import PURPOSE_SESSION_KEY
from tests.koseki.factories import SHIMANTO_HONSEKI, make_koseki, member, members_of, single_head, yamada_family

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
BASE = "/koseki/"


@pytest.fixture(autouse=True)
def _frozen_day() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 27), tick=False):
        yield


@pytest.fixture
def yamada(db: Any) -> Koseki:
    with schema_context("nakatosa"):
        return yamada_family()


def _with_purpose(client: Client, purpose: str = "窓口での本人確認") -> Client:
    session = client.session
    session[PURPOSE_SESSION_KEY] = purpose
    session.save()
    return client


def _audit_rows(action: str, schema: str = "nakatosa") -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _counts(schema: str = "nakatosa") -> tuple[int, ...]:
    with schema_context(schema):
        return (
            Koseki.objects.count(),
            Member.objects.count(),
            Entry.objects.count(),
            Notification.objects.count(),
            CertificateIssuance.objects.count(),
        )


@pytest.fixture
def clerk(client_for: Any) -> Client:
    return client_for("tanaka", "nakatosa")


# --- 検索 ------------------------------------------------------------------------------------------


def test_search_by_member_kana_lists_the_register_and_is_audited(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        other = single_head()
    page = clerk.get(BASE)
    assert page.status_code == 200
    assert "利用目的" in page.content.decode()
    response = clerk.post(BASE, {"query": "さくら", "purpose": "出生届の受付", "include_closed": "on"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"{BASE}registers/{yamada.public_id}/" in body
    assert "山田\u3000太郎" in body
    assert f"{BASE}registers/{other.public_id}/" not in body
    [row] = _audit_rows("koseki.search")
    assert row.purpose == "出生届の受付"
    assert row.personal_data
    assert row.details == {"criteria": ["query"], "include_closed": True, "results": 1}
    assert clerk.session[PURPOSE_SESSION_KEY] == "出生届の受付"


def test_search_by_honseki_and_head(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        elsewhere = make_koseki(honseki=SHIMANTO_HONSEKI, family_name="高橋", family_name_kana="タカハシ")
    body = clerk.post(
        BASE, {"honseki": "高知県高岡郡中土佐町", "query": "山田太郎", "purpose": "照会"}
    ).content.decode()
    assert f"registers/{yamada.public_id}/" in body
    assert f"registers/{elsewhere.public_id}/" not in body


def test_search_needs_a_criterion_and_a_purpose(clerk: Client, yamada: Koseki) -> None:
    response = clerk.post(BASE, {"query": "", "purpose": ""})
    body = response.content.decode()
    assert "検索条件を入力してください" in body
    assert "利用目的を入力してください" in body
    assert _audit_rows("koseki.search") == []


# --- 戸籍の表示 ----------------------------------------------------------------------------------------


def test_register_asks_for_a_purpose_first_and_writes_nothing(clerk: Client, yamada: Koseki) -> None:
    response = clerk.get(f"{BASE}registers/{yamada.public_id}/")
    assert response.status_code == 200
    assert "koseki/purpose.html" in [t.name for t in response.templates]
    assert "花子" not in response.content.decode()
    assert _audit_rows("koseki.view") == []
    empty = clerk.get(f"{BASE}registers/{yamada.public_id}/", {"purpose": " "})
    assert "利用目的を入力してください" in empty.content.decode()
    given = clerk.get(f"{BASE}registers/{yamada.public_id}/", {"purpose": "婚姻届の審査"})
    assert given.status_code == 302
    assert given["Location"] == f"{BASE}registers/{yamada.public_id}/"


def test_register_reads_like_the_certificate_with_its_history(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        _, _, ichiro, sakura = members_of(yamada)
        birth = Entry.objects.get(member=ichiro, kind=EntryKind.BIRTH)
        Entry.objects.filter(pk=birth.pk).update(
            is_struck=True, struck_reason="出生地の誤記(職権訂正)", fields=[["出生地", "高知県高知市"]]
        )
        Member.objects.filter(pk=sakura.pk).update(is_removed=True, removed_on=date(2026, 1, 5), removed_reason="死亡")
    response = _with_purpose(clerk, "戸籍の確認").get(f"{BASE}registers/{yamada.public_id}/")
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "本籍",
        yamada.honseki,
        "戸籍事項",
        "【編製日】",
        "身分事項",
        "【出生日】",
        "【配偶者氏名】</span>山田花子",
    ):
        assert text in body, text
    assert body.index("太郎") < body.index("花子") < body.index("一郎") < body.index("桜")
    assert "ks-struck" in body
    assert "消除の理由: 出生地の誤記(職権訂正)" in body
    assert '<span class="ks-removed">除籍</span>' in body
    assert "死亡" in body
    [row] = _audit_rows("koseki.view")
    assert row.purpose == "戸籍の確認"
    assert row.personal_data
    assert row.object_id == str(yamada.pk)


def test_register_of_another_town_is_not_found(clerk: Client) -> None:
    with schema_context("shimanto"):
        theirs = yamada_family(honseki=SHIMANTO_HONSEKI)
    with schema_context("nakatosa"):
        assert not Koseki.objects.filter(pk=theirs.pk).exists()
    assert _with_purpose(clerk).get(f"{BASE}registers/{theirs.public_id}/").status_code == 404
    assert clerk.get(f"{BASE}registers/{theirs.public_id}/birth/").status_code == 404


def test_auditor_reads_but_cannot_file_or_issue(client_for: Any, yamada: Koseki) -> None:
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    page = auditor.get(f"{BASE}registers/{yamada.public_id}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "花子" in body
    assert "出生届" not in body
    assert "証明書の交付" not in body
    with schema_context("nakatosa"):
        taro = members_of(yamada)[0]
        entry = Entry.objects.filter(member=taro).first()
        assert entry is not None
    before = _counts()
    writes = [f"{BASE}registers/{yamada.public_id}/{action}/" for action in ("birth", "transfer", "certificate")]
    writes += [f"{BASE}members/{taro.public_id}/{action}/" for action in
               ("marriage", "divorce", "death", "split", "adoption", "furigana")]  # fmt: skip
    writes += [f"{BASE}entries/{entry.public_id}/correction/", f"{BASE}wide-area/"]
    for url in writes:
        assert auditor.get(url).status_code == 403, url
        refused = auditor.post(url, {"step": "issue"})
        assert refused.status_code == 403
        assert "戸籍の事務職員だけが行えます" in refused.content.decode()
    assert auditor.get(f"{BASE}registers/{yamada.public_id}/certificate/preview/").status_code == 403
    assert _counts() == before
    assert auditor.get(f"{BASE}certificates/").status_code == 200


@pytest.mark.parametrize("username", ["sato", "vendor"])
def test_a_teacher_or_vendor_never_reaches_the_register(client_for: Any, username: str) -> None:
    schema = "shimanto" if username == "sato" else "council"
    assert client_for(username, schema).get(BASE).status_code == 403


def test_anonymous_is_sent_to_login(client_for: Any) -> None:
    response = client_for(None, "nakatosa").get(BASE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- 証明書 ------------------------------------------------------------------------------------------

REQUEST = {"requester_name": "山田 太郎", "requester_relation": "self", "id_document": "運転免許証",
           "purpose": "パスポートの申請"}  # fmt: skip


def test_certificate_preview_then_issue(clerk: Client, yamada: Koseki) -> None:
    url = f"{BASE}registers/{yamada.public_id}/certificate/"
    assert "証明書の種類" in clerk.get(url).content.decode()
    confirm = clerk.post(url, {"kind": "full", "step": "preview", **REQUEST})
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert "交付内容の確認" in body
    assert "全部事項証明書" in body
    assert f'src="{url}preview/"' in body
    preview = clerk.get(f"{url}preview/")
    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert _counts()[4] == 0  # the 見本 is not an issuance
    assert [e.purpose for e in _audit_rows("koseki.certificate_preview")] == ["パスポートの申請"]

    issued = clerk.post(url, {"kind": "full", "step": "issue", **REQUEST})
    assert issued.status_code == 200
    assert issued["Content-Type"] == "application/pdf"
    assert issued["Content-Disposition"].startswith('attachment; filename="koseki-2026-')
    with schema_context("nakatosa"):
        issuance = CertificateIssuance.objects.get()
    assert (issuance.kind, issuance.fee, issuance.requester_relation) == ("full", 450, "self")
    assert issuance.id_document == "運転免許証"
    assert issuance.purpose == "パスポートの申請"
    [row] = _audit_rows("koseki.certificate_issue")
    assert row.purpose == "パスポートの申請"
    assert row.personal_data
    # The preview was for the confirmation just issued: it is gone.
    assert clerk.get(f"{url}preview/").status_code == 404


def test_individual_certificate_of_chosen_members(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        ichiro = members_of(yamada)[2]
    url = f"{BASE}registers/{yamada.public_id}/certificate/"
    missing = clerk.post(url, {"kind": "individual", "step": "preview", **REQUEST})
    assert missing.status_code == 400
    assert "記載する方を1人以上選んでください" in missing.content.decode()
    clerk.post(url, {"kind": "individual", "members": [ichiro.pk], "step": "preview", **REQUEST})
    response = clerk.post(url, {"kind": "individual", "members": [ichiro.pk], "step": "issue", **REQUEST})
    assert response["Content-Type"] == "application/pdf"
    with schema_context("nakatosa"):
        issuance = CertificateIssuance.objects.get()
    assert issuance.member_keys == [str(ichiro.person_key)]


def test_certificate_errors_write_nothing(clerk: Client, yamada: Koseki) -> None:
    url = f"{BASE}registers/{yamada.public_id}/certificate/"
    before = _counts()
    blank = clerk.post(url, {"kind": "full", "step": "issue"})
    body = blank.content.decode()
    assert blank.status_code == 400
    for message in ("請求者氏名を入力してください", "本人確認書類を入力してください", "利用目的を入力してください"):
        assert message in body
    # A 除籍全部事項証明書 of a current register is refused by the service, shown as the form's error.
    refused = clerk.post(url, {"kind": "closed_full", "step": "issue", **REQUEST})
    assert refused.status_code == 409
    assert "現在戸籍です" in refused.content.decode()
    assert _counts() == before
    assert _audit_rows("koseki.certificate_issue") == []


def test_closed_register_offers_the_closed_certificate(clerk: Client) -> None:
    with schema_context("nakatosa"):
        closed = make_koseki(family_name="鈴木", family_name_kana="スズキ", status="closed", closed_on=date(2020, 1, 1))
    form = clerk.get(f"{BASE}registers/{closed.public_id}/certificate/").context["form"]
    assert form.initial["kind"] == "closed_full"
    url = f"{BASE}registers/{closed.public_id}/certificate/"
    clerk.post(url, {"kind": "closed_full", "step": "preview", **REQUEST})
    assert clerk.post(url, {"kind": "closed_full", "step": "issue", **REQUEST})["Content-Type"] == "application/pdf"
    with schema_context("nakatosa"):
        assert CertificateIssuance.objects.get().fee == 750


def test_daily_issuances_lists_todays_certificates_with_fees(client_for: Any, clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        closed = make_koseki(family_name="鈴木", family_name_kana="スズキ", status="closed", closed_on=date(2020, 1, 1))
    clerk.post(f"{BASE}registers/{yamada.public_id}/certificate/", {"kind": "full", "step": "issue", **REQUEST})
    clerk.post(f"{BASE}registers/{yamada.public_id}/certificate/", {"kind": "full", "step": "issue", **REQUEST})
    clerk.post(f"{BASE}registers/{closed.public_id}/certificate/", {"kind": "closed_full", "step": "issue", **REQUEST})
    response = _with_purpose(client_for("auditor", "nakatosa")).get(f"{BASE}certificates/")  # it names requesters
    body = response.content.decode()
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.count, summary.fee) == (3, 450 * 2 + 750)
    assert "1650" in body
    assert "除籍全部事項証明書" in body
    assert "パスポートの申請" in body


# --- 広域交付 ----------------------------------------------------------------------------------------

WIDE = f"{BASE}wide-area/"


@pytest.fixture
def shimanto_register(db: Any) -> Koseki:
    with schema_context("shimanto"):
        return yamada_family(honseki=SHIMANTO_HONSEKI)


def _find(client: Client, **extra: str) -> Any:
    data = {"holding_schema": "shimanto", "honseki": SHIMANTO_HONSEKI, "head_name": "山田太郎",
            "purpose": "年金の請求", "step": "find", **extra}  # fmt: skip
    return client.post(WIDE, data)


REQUESTER = {"requester_family_name": "山田", "requester_given_name": "一郎", "requester_birth_date": "2006-04-03",
             "requester_relation": "self", "id_document": "マイナンバーカード"}  # fmt: skip


def _confirm(client: Client, form: dict[str, Any], number: str, **extra: str) -> Any:
    return client.post(WIDE, {**form, **REQUESTER, "koseki_number": number, "step": "preview", **extra})


def _hidden_fields(body: str) -> dict[str, str]:
    """What the confirmation page posts back with 「発行する」."""
    import re

    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', body))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_wide_area_issuance_from_the_other_towns_register(clerk: Client, shimanto_register: Koseki) -> None:
    page = clerk.get(WIDE)
    assert page.status_code == 200
    assert "四万十町" in page.content.decode()
    found = _find(clerk)
    body = found.content.decode()
    assert found.status_code == 200
    assert "交付する戸籍" in body
    assert SHIMANTO_HONSEKI in body
    assert "請求者の本籍" in body
    assert [e.purpose for e in _audit_rows("koseki.wide_area_search")] == ["年金の請求"]
    assert [e.purpose for e in _audit_rows("koseki.wide_area_lookup", "shimanto")] == ["年金の請求"]

    # 見本: every check runs, the PDF is shown in the page, both towns audit the view, nothing is issued.
    confirm = _confirm(clerk, found.context["form"].initial, shimanto_register.number)
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert "交付内容の確認" in body
    assert "発行する" in body
    preview_url = confirm.context["preview_url"]
    assert preview_url.startswith(f"{WIDE}?preview=")
    assert f'src="{preview_url}"' in body
    preview = clerk.get(preview_url)
    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF")
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in confirm["Content-Security-Policy"]  # the page itself is never framed
    assert _counts()[4] == 0
    assert _counts("shimanto")[4] == 0
    [viewed] = _audit_rows("koseki.wide_area_preview")
    assert viewed.purpose == "年金の請求"
    assert viewed.personal_data
    assert viewed.details["preview"] is True
    [disclosed] = _audit_rows("koseki.wide_area_disclosure", "shimanto")
    assert disclosed.details["preview"] is True
    from koseki.models import CertificateSerial

    with schema_context("nakatosa"):
        assert not CertificateSerial.objects.filter(last_number__gt=0).exists()

    issued = clerk.post(WIDE, {**_hidden_fields(body), "step": "issue"})
    assert issued.status_code == 200
    assert issued["Content-Type"] == "application/pdf"
    with schema_context("nakatosa"):
        issuance = CertificateIssuance.objects.get()
    assert issuance.wide_area
    assert issuance.koseki is None
    assert issuance.koseki_number == shimanto_register.number
    assert (issuance.fee, issuance.requester_relation, issuance.id_document) == (450, "self", "マイナンバーカード")
    assert issuance.serial == 1  # the 見本 took no number
    assert _counts("shimanto")[4] == 0  # the holding town only records (in its audit trail) that it disclosed
    assert [e.details.get("preview", False) for e in _audit_rows("koseki.wide_area_disclosure", "shimanto")] == [
        True,
        False,
    ]
    # The confirmed request is gone with its 見本: a second 「発行する」 does not issue again.
    assert clerk.get(preview_url).status_code == 404
    again = clerk.post(WIDE, {**_hidden_fields(body), "step": "issue"})
    assert again.status_code != 200 or again["Content-Type"] != "application/pdf"
    assert _counts()[4] == 1


def test_wide_area_issues_only_what_the_sample_showed(clerk: Client, shimanto_register: Koseki) -> None:
    form = _find(clerk).context["form"].initial
    direct = clerk.post(WIDE, {**form, **REQUESTER, "koseki_number": shimanto_register.number, "step": "issue"})
    assert direct.status_code == 400
    assert "見本で内容を確認してください" in direct.content.decode()
    body = _confirm(clerk, form, shimanto_register.number).content.decode()
    changed = clerk.post(WIDE, {**_hidden_fields(body), "id_document": "パスポート", "step": "issue"})
    assert changed.status_code == 400
    assert "見本で内容を確認してください" in changed.content.decode()
    edit = clerk.post(WIDE, {**_hidden_fields(body), "step": "edit"})
    assert edit.status_code == 200
    assert "内容を確認する" in edit.content.decode()
    assert edit.context["form"].initial["requester_given_name"] == "一郎"
    assert _counts()[4] == 0
    assert _audit_rows("koseki.wide_area_issue") == []


def test_wide_area_refusals_are_shown_in_japanese_and_write_nothing(clerk: Client, shimanto_register: Koseki) -> None:
    form = _find(clerk).context["form"].initial
    before = (_counts("nakatosa"), _counts("shimanto"))
    disclosed = len(_audit_rows("koseki.wide_area_disclosure", "shimanto"))
    third_party = _confirm(clerk, form, shimanto_register.number, requester_relation="other")
    assert third_party.status_code == 409
    assert "代理人" in third_party.content.decode()
    stranger = _confirm(clerk, form, shimanto_register.number, requester_family_name="佐藤", requester_given_name="健",
                        requester_birth_date="1995-01-15")  # fmt: skip
    assert stranger.status_code == 409
    assert "広域交付はできません" in stranger.content.decode()
    blank = clerk.post(WIDE, {**form, "koseki_number": shimanto_register.number, "step": "preview"})
    assert blank.status_code == 400
    assert "顔写真付きの本人確認書類を入力してください" in blank.content.decode()
    assert (_counts("nakatosa"), _counts("shimanto")) == before
    assert len(_audit_rows("koseki.wide_area_disclosure", "shimanto")) == disclosed
    assert _audit_rows("koseki.wide_area_preview") == []
    assert _audit_rows("koseki.wide_area_issue") == []


def test_wide_area_namesakes_need_the_requesters_honseki(clerk: Client, shimanto_register: Koseki) -> None:
    with schema_context("nakatosa"):
        # Another 山田一郎 born the same day, recorded in 中土佐町: the photo ID alone cannot tell them apart.
        make_koseki(members=[member("一郎", birth_date=date(2006, 4, 3))])
    form = _find(clerk).context["form"].initial
    ambiguous = _confirm(clerk, form, shimanto_register.number)
    assert ambiguous.status_code == 409
    assert "請求者の本籍を入力してください" in ambiguous.content.decode()
    assert _audit_rows("koseki.wide_area_preview") == []
    assert _counts()[4] == 0
    confirm = _confirm(clerk, form, shimanto_register.number, requester_honseki="四万十町琴平町１番地")
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert "交付内容の確認" in body
    assert "四万十町琴平町１番地" in body
    issued = clerk.post(WIDE, {**_hidden_fields(body), "step": "issue"})
    assert issued["Content-Type"] == "application/pdf"
    with schema_context("nakatosa"):
        assert CertificateIssuance.objects.get().requester_relation == "self"


def test_wide_area_search_that_finds_nothing(clerk: Client, shimanto_register: Koseki) -> None:
    response = _find(clerk, head_name="山田次郎")
    assert response.status_code == 200
    assert "該当する戸籍はありません" in response.content.decode()
    missing = clerk.post(WIDE, {"step": "find"})
    assert missing.status_code == 400
    assert "本籍を入力してください" in missing.content.decode()


# --- 届出 ------------------------------------------------------------------------------------------

NOTIFIER = {"notified_on": "令和8年11月25日", "notifier_name": "山田 太郎"}


def _member(koseki: Koseki, given_name: str) -> Member:
    with schema_context("nakatosa"):
        return Member.objects.select_related("koseki").get(koseki=koseki, given_name=given_name)


def test_birth_enters_the_child_in_the_parents_register(clerk: Client, yamada: Koseki) -> None:
    taro, hanako = _member(yamada, "太郎"), _member(yamada, "花子")
    url = f"{BASE}registers/{yamada.public_id}/birth/"
    form = clerk.get(url)
    assert form.status_code == 200
    assert "出生届" in form.content.decode()
    response = clerk.post(url, {"given_name": "次郎", "given_name_kana": "じろう", "sex": "1",
                                "birth_date": "令和8年11月20日", "birth_place": "高知県高岡郡中土佐町",
                                "father": taro.pk, "mother": hanako.pk, "notifier_capacity": "父",
                                **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}registers/{yamada.public_id}/"
    child = _member(yamada, "次郎")
    assert (child.given_name_kana, child.birth_date, child.father_key) == (
        "ジロウ",
        date(2026, 11, 20),
        taro.person_key,
    )
    assert [e.action for e in _audit_rows("koseki.birth")] == ["koseki.birth"]
    page = clerk.get(response["Location"]).content.decode()
    assert "出生届を受理しました" in page
    assert "次郎" in page
    with schema_context("nakatosa"):
        notification = Notification.objects.get()
    assert "届出の履歴(受付帳)" in page
    assert notification.number in page


def test_a_father_who_died_before_the_birth_can_be_chosen(clerk: Client, yamada: Koseki) -> None:
    from koseki import services

    with schema_context("nakatosa"):
        taro = _member(yamada, "太郎")
        services.record_death(
            actor=None, member=taro, died_on=date(2026, 6, 1), death_place="高知県高知市",
            notified_on=date(2026, 6, 2), notifier_name="山田花子", notifier_capacity="妻",
        )  # fmt: skip
    hanako = _member(yamada, "花子")
    url = f"{BASE}registers/{yamada.public_id}/birth/"
    form = clerk.get(url).content.decode()
    assert "【死亡により除籍】" in form  # 民法 第772条: still the father of a child born within 300 days
    response = clerk.post(url, {"given_name": "陽斗", "given_name_kana": "ハルト", "sex": "1",
                                "birth_date": "令和8年11月20日", "birth_place": "高知県高岡郡中土佐町",
                                "father": taro.pk, "mother": hanako.pk, "notifier_capacity": "母",
                                **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    child = _member(yamada, "陽斗")
    assert child.father_key == taro.person_key
    assert child.father_name == "山田太郎"


def test_birth_errors_write_nothing(clerk: Client, yamada: Koseki) -> None:
    taro, hanako = _member(yamada, "太郎"), _member(yamada, "花子")
    url = f"{BASE}registers/{yamada.public_id}/birth/"
    before = _counts()
    blank = clerk.post(url, {"notifier_capacity": "父"})
    body = blank.content.decode()
    assert blank.status_code == 400
    for message in ("子の名を入力してください", "男女の別を選んでください", "出生日を入力してください",
                    "届出日を入力してください", "父または母を選んでください"):  # fmt: skip
        assert message in body, message
    child = {"given_name": "次郎", "sex": "1", "birth_date": "2026-11-20", "birth_place": "中土佐町",
             "notifier_capacity": "父", **NOTIFIER}  # fmt: skip
    # 令和7年5月26日以後の出生: the service refuses a birth without furigana (令和5年法律第48号).
    no_kana = clerk.post(url, {**child, "father": taro.pk, "mother": hanako.pk})
    assert no_kana.status_code == 409
    assert "振り仮名の記載が必要です" in no_kana.content.decode()
    # Without the mother the child's koseki is unknown (戸籍法 第18条).
    no_mother = clerk.post(url, {**child, "given_name_kana": "ジロウ", "father": taro.pk})
    assert no_mother.status_code == 409
    assert "戸籍法第18条" in no_mother.content.decode()
    not_kana = clerk.post(url, {**child, "given_name_kana": "jiro", "father": taro.pk, "mother": hanako.pk})
    assert not_kana.status_code == 400
    assert "カタカナで入力してください" in not_kana.content.decode()
    assert _counts() == before


def test_marriage_with_an_outside_person_creates_a_new_register(clerk: Client, yamada: Koseki) -> None:
    ichiro = _member(yamada, "一郎")
    url = f"{BASE}members/{ichiro.public_id}/marriage/"
    assert "婚姻届" in clerk.get(url).content.decode()
    response = clerk.post(url, {
        "married_on": "2026-11-25", "surname_of": "husband", "new_honseki": "高知県高岡郡中土佐町久礼200番地",
        "spouse_source": "outside", "outside_family_name": "田村", "outside_given_name": "愛",
        "outside_family_name_kana": "タムラ", "outside_given_name_kana": "アイ", "outside_birth_date": "2005-02-03",
        "outside_father_name": "田村誠", "outside_mother_name": "田村恵", "outside_relationship": "長女",
        "outside_honseki": "東京都千代田区千代田1番", "outside_head_name": "田村誠", "notifier_capacity": "夫妻",
        **NOTIFIER,
    })  # fmt: skip
    assert response.status_code == 302
    with schema_context("nakatosa"):
        new = Koseki.objects.get(honseki="高知県高岡郡中土佐町久礼200番地")
        assert [(m.given_name, m.spouse_role) for m in members_of(new)] == [("一郎", "夫"), ("愛", "妻")]
        assert Member.objects.get(pk=ichiro.pk).is_removed
    assert response["Location"] == f"{BASE}registers/{new.public_id}/"


def test_marriage_picks_the_spouse_from_another_register(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        bride = single_head("美和", family_name="川村", family_name_kana="カワムラ", sex="2",
                            birth_date=date(1998, 3, 3), given_name_kana="ミワ")  # fmt: skip
        miwa = members_of(bride)[0]
    ichiro = _member(yamada, "一郎")
    url = f"{BASE}members/{ichiro.public_id}/marriage/"
    found = clerk.post(url, {"spouse_query": "かわむら", "spouse_source": "member", "step": "find"})
    body = found.content.decode()
    assert found.status_code == 200
    assert "川村\u3000美和" in body
    assert "入力してください" not in body  # searching is not filing: no field errors yet
    assert _audit_rows("koseki.search")[-1].details["picker"] == "婚姻届"
    before = _counts()
    response = clerk.post(url, {"spouse_query": "かわむら", "spouse_source": "member", "spouse": miwa.pk,
                                "married_on": "2026-11-25", "surname_of": "wife", "notifier_capacity": "夫妻",
                                **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}registers/{bride.public_id}/"  # 第16条: the wife already heads a register
    with schema_context("nakatosa"):
        assert [(m.given_name, m.spouse_role) for m in members_of(bride)] == [("美和", "妻"), ("一郎", "夫")]
    assert _counts()[3] == before[3] + 1


def test_marriage_refusals_write_nothing(clerk: Client, yamada: Koseki) -> None:
    taro = _member(yamada, "太郎")
    url = f"{BASE}members/{taro.public_id}/marriage/"
    before = _counts()
    outside = {"spouse_source": "outside", "outside_family_name": "田村", "outside_given_name": "愛",
               "outside_birth_date": "1990-02-03", "outside_honseki": "東京都千代田区千代田1番",
               "outside_head_name": "田村誠", "married_on": "2026-11-25", "surname_of": "husband",
               "notifier_capacity": "夫妻", **NOTIFIER}  # fmt: skip
    married = clerk.post(url, outside)
    assert married.status_code == 409
    assert "重ねて婚姻することができません" in married.content.decode()
    missing = clerk.post(url, {**outside, "outside_family_name": "", "outside_honseki": ""})
    body = missing.content.decode()
    assert missing.status_code == 400
    assert "相手方の氏を入力してください" in body
    assert "相手方の従前本籍を入力してください" in body
    no_pick = clerk.post(url, {**outside, "spouse_source": "member"})
    assert no_pick.status_code == 400
    assert "相手方を検索して選んでください" in no_pick.content.decode()
    assert _counts() == before


def test_divorce_with_a_new_register_for_the_wife(clerk: Client, yamada: Koseki) -> None:
    hanako = _member(yamada, "花子")
    url = f"{BASE}members/{hanako.public_id}/divorce/"
    assert "配偶者: 山田\u3000太郎" in clerk.get(url).content.decode()
    before = _counts()
    no_honseki = clerk.post(url, {"divorced_on": "2026-11-25", "new_koseki": "on", "notifier_capacity": "夫妻",
                                  **NOTIFIER})  # fmt: skip
    assert no_honseki.status_code == 400
    assert "新本籍を入力してください" in no_honseki.content.decode()
    assert _counts() == before
    response = clerk.post(url, {"divorced_on": "2026-11-25", "new_koseki": "on", "notifier_capacity": "夫妻",
                                "new_honseki": "高知県高岡郡中土佐町久礼300番地", **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    with schema_context("nakatosa"):
        assert Member.objects.get(pk=hanako.pk).is_removed
        assert Koseki.objects.filter(honseki="高知県高岡郡中土佐町久礼300番地").exists()
    assert [e.action for e in _audit_rows("koseki.divorce")] == ["koseki.divorce"]


def test_death_marks_the_member_removed(clerk: Client, yamada: Koseki) -> None:
    sakura = _member(yamada, "桜")
    url = f"{BASE}members/{sakura.public_id}/death/"
    before = _counts()
    late = clerk.post(url, {"died_on": "2026-11-26", "death_place": "高知県高知市", "notifier_capacity": "同居の親族",
                            **NOTIFIER})  # fmt: skip
    assert late.status_code == 400
    assert "死亡日が届出日より後になっています" in late.content.decode()
    assert _counts() == before
    response = clerk.post(url, {"died_on": "2026-11-20", "death_place": "高知県高知市",
                                "notifier_capacity": "同居の親族", **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}registers/{yamada.public_id}/"
    with schema_context("nakatosa"):
        removed = Member.objects.get(pk=sakura.pk)
    assert removed.is_removed
    assert removed.removed_on == date(2026, 11, 20)
    page = clerk.get(response["Location"]).content.decode()
    assert '<span class="ks-removed">除籍</span>' in page


def test_split_refuses_a_minor_and_splits_an_adult(clerk: Client, yamada: Koseki) -> None:
    sakura, ichiro = _member(yamada, "桜"), _member(yamada, "一郎")
    data = {"new_honseki": "高知県高岡郡中土佐町久礼400番地", "notifier_capacity": "本人", **NOTIFIER}
    before = _counts()
    minor = clerk.post(f"{BASE}members/{sakura.public_id}/split/", data)
    assert minor.status_code == 409
    assert "分籍は成年(18歳以上)に限られます(戸籍法第21条)" in minor.content.decode()
    assert _counts() == before
    response = clerk.post(f"{BASE}members/{ichiro.public_id}/split/", data)
    with schema_context("nakatosa"):
        new = Koseki.objects.get(honseki="高知県高岡郡中土佐町久礼400番地")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}registers/{new.public_id}/"


def test_transfer_within_the_town_and_a_refused_one(clerk: Client, yamada: Koseki) -> None:
    url = f"{BASE}registers/{yamada.public_id}/transfer/"
    page = clerk.get(url).content.decode()
    assert "中土佐町(管内転籍)" in page
    assert "四万十町(管外転籍)" in page
    before = _counts()
    wrong_town = clerk.post(url, {"new_honseki": "高知県高岡郡中土佐町久礼500番地", "target_schema": "shimanto",
                                  "notifier_capacity": "筆頭者", **NOTIFIER})  # fmt: skip
    assert wrong_town.status_code == 409
    assert "四万十町の区域にありません" in wrong_town.content.decode()
    assert _counts() == before
    response = clerk.post(url, {"new_honseki": "高知県高岡郡中土佐町久礼500番地", "target_schema": "",
                                "notifier_capacity": "筆頭者", **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    assert [e.action for e in _audit_rows("koseki.transfer")] == ["koseki.transfer"]


def test_adoption_needs_an_adoptive_parent(clerk: Client, yamada: Koseki) -> None:
    sakura = _member(yamada, "桜")
    url = f"{BASE}members/{sakura.public_id}/adoption/"
    assert "養子縁組届" in clerk.get(url).content.decode()
    before = _counts()
    response = clerk.post(url, {"adopted_on": "2026-11-25", "notifier_capacity": "養親及び養子", **NOTIFIER})
    assert response.status_code == 400
    assert "養父または養母を検索して選んでください" in response.content.decode()
    assert _counts() == before


def test_adoption_of_an_adult_by_a_couple_of_another_register(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        adopters = make_koseki(family_name="森", family_name_kana="モリ", members=[
            member("大介", birth_date=date(1960, 1, 1), given_name_kana="ダイスケ", spouse_role="夫"),
            member("由美", birth_date=date(1962, 2, 2), sex="2", given_name_kana="ユミ", spouse_role="妻"),
        ])  # fmt: skip
        daisuke, yumi = members_of(adopters)
    ichiro = _member(yamada, "一郎")
    url = f"{BASE}members/{ichiro.public_id}/adoption/"
    found = clerk.post(url, {"adoptive_father_query": "もり", "step": "find"}).content.decode()
    assert "森\u3000大介" in found
    assert "森\u3000由美" in found
    response = clerk.post(url, {"adoptive_father_query": "もり", "adoptive_father": daisuke.pk,
                                "adoptive_mother": yumi.pk, "adopted_on": "2026-11-25",
                                "notifier_capacity": "養親及び養子", **NOTIFIER})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert [e.action for e in _audit_rows("koseki.adoption")] == ["koseki.adoption"]


def test_furigana_notification_and_its_errors(clerk: Client, yamada: Koseki) -> None:
    ichiro = _member(yamada, "一郎")
    url = f"{BASE}members/{ichiro.public_id}/furigana/"
    assert "イチロウ" in clerk.get(url).content.decode()
    before = _counts()
    latin = clerk.post(url, {"given_name_kana": "ichiro", "notifier_capacity": "本人", **NOTIFIER})
    assert latin.status_code == 400
    assert "名の振り仮名はカタカナで入力してください" in latin.content.decode()
    nothing = clerk.post(url, {"notifier_capacity": "本人", **NOTIFIER})
    assert nothing.status_code == 400
    assert "少なくとも一方を入力してください" in nothing.content.decode()
    assert _counts() == before
    head_only = clerk.post(url, {"family_name_kana": "ヤマダ", "notifier_capacity": "本人", **NOTIFIER})
    assert head_only.status_code == 409
    assert "筆頭者" in head_only.content.decode()
    assert _counts() == before
    response = clerk.post(url, {"given_name_kana": "いちろー", "notifier_capacity": "本人", **NOTIFIER})
    assert response.status_code == 302, response.content.decode()[-3000:]
    with schema_context("nakatosa"):
        assert Member.objects.get(pk=ichiro.pk).given_name_kana == "イチロー"
    page = clerk.get(response["Location"]).content.decode()
    assert "振り仮名の履歴" in page
    assert "イチロー" in page


def test_register_shows_the_fuhyo_lines_and_issues_its_copy(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        taro = members_of(yamada)[0]
        FuhyoEntry.objects.create(
            koseki=yamada, member=taro, address="高知県高岡郡中土佐町久礼 3100", address_set_on=date(2020, 4, 1),
            source_event="転入",
        )  # fmt: skip
    body = _with_purpose(clerk).get(f"{BASE}registers/{yamada.public_id}/").content.decode()
    assert "戸籍の附票" in body
    assert "高知県高岡郡中土佐町久礼 3100" in body
    assert "令和2年4月1日" in body
    url = f"{BASE}registers/{yamada.public_id}/certificate/"
    clerk.post(url, {"kind": "fuhyo", "members": [taro.pk], "step": "preview", **REQUEST})
    assert clerk.get(f"{url}preview/")["Content-Type"] == "application/pdf"
    issued = clerk.post(url, {"kind": "fuhyo", "members": [taro.pk], "step": "issue", **REQUEST})
    assert issued["Content-Type"] == "application/pdf"
    with schema_context("nakatosa"):
        issuance = CertificateIssuance.objects.get()
    assert (issuance.kind, issuance.fee, issuance.member_keys) == ("fuhyo", 300, [str(taro.person_key)])


def test_correction_strikes_the_entry_and_records_the_corrected_one(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        birth = Entry.objects.get(member__given_name="一郎", kind=EntryKind.BIRTH)
    url = f"{BASE}entries/{birth.public_id}/correction/"
    form = clerk.get(url)
    assert form.status_code == 200
    assert "出生地:高知県高岡郡中土佐町" in form.content.decode()
    before = _counts()
    no_reason = clerk.post(url, {"mode": "replace", "fields_text": "出生地:高知県高知市"})
    assert no_reason.status_code == 400
    assert "訂正(消除)の理由を入力してください" in no_reason.content.decode()
    bad_line = clerk.post(url, {"reason": "誤記", "mode": "replace", "fields_text": "出生地 高知県高知市"})
    assert bad_line.status_code == 400
    assert "1行目は「項目名:内容」の形で入力してください" in bad_line.content.decode()
    assert _counts() == before
    response = clerk.post(url, {"reason": "出生地の誤記", "mode": "replace",
                                "fields_text": "出生日:平成18年4月3日\n出生地：高知県高知市\n"})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}registers/{yamada.public_id}/"
    with schema_context("nakatosa"):
        birth.refresh_from_db()
        assert birth.is_struck
        assert birth.struck_reason == "出生地の誤記"
        assert birth.replaced_by is not None
        assert birth.replaced_by.fields == [["出生日", "平成18年4月3日"], ["出生地", "高知県高知市"]]
    page = _with_purpose(clerk).get(response["Location"]).content.decode()
    assert "消除の理由: 出生地の誤記" in page
    assert "高知県高知市" in page
    again = clerk.post(url, {"reason": "再訂正", "mode": "strike"})
    assert again.status_code == 409
    assert "既に消除されています" in again.content.decode()


def test_transfer_to_the_other_town_closes_the_register_here(clerk: Client, yamada: Koseki) -> None:
    url = f"{BASE}registers/{yamada.public_id}/transfer/"
    response = clerk.post(url, {"new_honseki": "高知県高岡郡四万十町琴平町9番地", "target_schema": "shimanto",
                                "notifier_capacity": "筆頭者", **NOTIFIER})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}registers/{yamada.public_id}/"
    with schema_context("nakatosa"):
        yamada.refresh_from_db()
    assert yamada.is_closed
    with schema_context("shimanto"):
        moved = Koseki.objects.get(honseki="高知県高岡郡四万十町琴平町9番地")
        assert [m.given_name for m in members_of(moved)] == ["太郎", "花子", "一郎", "桜"]
    page = _with_purpose(clerk).get(response["Location"]).content.decode()
    assert "転籍届を受理しました" in page
    assert "除籍簿として保存されています" in page
    assert "出生届" not in page  # a closed register takes no more 届出


def test_register_page_reads_a_fixed_number_of_queries(clerk: Client, yamada: Koseki) -> None:
    with schema_context("nakatosa"):
        small = single_head()
    _with_purpose(clerk).get(f"{BASE}registers/{small.public_id}/")  # the session's first page reads more (roles, town)
    counts = []
    for koseki in (small, yamada):
        with CaptureQueriesContext(connection) as queries:
            assert clerk.get(f"{BASE}registers/{koseki.public_id}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts  # four members cost no more than one

"""The clerk's resident-register pages: search, resident page, 転入 / 転居 forms, certificates, 交付履歴."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common import audit
from common.models import AuditEvent
from resident_records import certificates, services, support
from resident_records.models import CertificateIssuance, ChangeEvent, Household, Resident, SupportScope
from resident_records.services import Versioned
from resident_records.views import PURPOSE_SESSION_KEY
from tenants.models import Person
from tests.resident_records.factories import family, move_in_family, person

TODAY = date(2026, 11, 27)
BASE = "/resident_records/"


@pytest.fixture(autouse=True)
def _frozen_day() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 27), tick=False):
        yield


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def registered(clerk: Person) -> dict[str, Any]:
    """A family that moved in on 1 April and moved house on 1 October (the head has a 個人番号)."""
    with schema_context("nakatosa"):
        members = family()
        members[0] = person(my_number="123456789018")
        household, residents = move_in_family(clerk, members=members)
        services.record_change_of_address(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 10, 1),
            notified_on=date(2026, 10, 2), address="高知県高岡郡中土佐町矢井賀 55",
        )  # fmt: skip
        household.refresh_from_db()
    return {"household": household, "head": residents[0], "residents": residents}


def _with_purpose(client: Client, purpose: str = "窓口での本人確認") -> Client:
    session = client.session
    session[PURPOSE_SESSION_KEY] = purpose
    session.save()
    return client


def _audit_rows(action: str) -> list[AuditEvent]:
    with schema_context("nakatosa"):
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _counts() -> tuple[int, int, int]:
    with schema_context("nakatosa"):
        return Resident.objects.count(), ChangeEvent.objects.count(), CertificateIssuance.objects.count()


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["sato", "vendor"])
def test_a_teacher_or_vendor_never_reaches_the_register(client_for: Any, username: str) -> None:
    schema = "shimanto" if username == "sato" else "council"
    response = client_for(username, schema).get(BASE)
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client_for: Any) -> None:
    response = client_for(None, "nakatosa").get(BASE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_auditor_reads_but_cannot_write(client_for: Any, registered: dict[str, Any]) -> None:
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    head = registered["head"]
    page = auditor.get(f"{BASE}residents/{head.atena_number}/")
    assert page.status_code == 200
    assert "山田 太郎" in page.content.decode()
    assert "証明書の交付" not in page.content.decode()  # no write buttons for an auditor
    before = _counts()
    household = registered["household"]
    for url, data in [
        (f"{BASE}move-in/", {}),
        (f"{BASE}households/{household.number}/change-of-address/", {"version": household.version}),
        (f"{BASE}residents/{head.atena_number}/certificate/", {"step": "issue"}),
        (f"{BASE}residents/{head.atena_number}/my-number/", {"purpose": "監査"}),
    ]:
        assert auditor.get(url).status_code in (403, 405)
        refused = auditor.post(url, data)
        assert refused.status_code == 403
        assert "事務職員だけが行えます" in refused.content.decode()
    assert _counts() == before
    assert _audit_rows("resident.reveal_my_number") == []


# --- 検索 ------------------------------------------------------------------------------------------


def test_search_finds_by_kana_and_is_audited_with_the_purpose(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    form = client.get(BASE)
    assert form.status_code == 200
    assert "利用目的" in form.content.decode()
    response = client.post(BASE, {"query": "やまだ", "purpose": "転入届の受付"})
    body = response.content.decode()
    assert response.status_code == 200
    for resident in registered["residents"]:
        assert resident.atena_number in body
    assert "令和8年10月1日" not in body
    assert "昭和55年5月1日" in body
    rows = _audit_rows("resident.search")
    assert len(rows) == 1
    assert rows[-1].purpose == "転入届の受付"
    assert rows[-1].personal_data
    assert "やまだ" not in str(rows[-1].details)  # criteria are not logged, only which ones were used
    assert rows[-1].details["criteria"] == ["query"]
    assert rows[-1].details["results"] == 3
    # The purpose is remembered for the next search.
    assert "転入届の受付" in client.get(BASE).content.decode()


def test_search_needs_a_purpose_and_a_criterion(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    no_purpose = client.post(BASE, {"query": "ヤマダ"}).content.decode()
    assert "利用目的を入力してください" in no_purpose
    nothing = client.post(BASE, {"purpose": "照会"}).content.decode()
    assert "検索条件を入力してください" in nothing
    bad_number = client.post(BASE, {"atena_number": "12345678901", "purpose": "照会"}).content.decode()
    assert "検査数字" in bad_number
    assert _audit_rows("resident.search") == []


def test_search_by_wareki_birth_year(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    body = client.post(BASE, {"birth_date": "平成24年", "address": "矢井賀", "purpose": "照会"}).content.decode()
    assert registered["residents"][2].atena_number in body
    assert registered["residents"][0].atena_number not in body


# --- 住民 ------------------------------------------------------------------------------------------


def test_resident_page_asks_for_a_purpose_first(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"{BASE}residents/{registered['head'].atena_number}/"
    ask = client.get(url)
    assert ask.status_code == 200
    assert "利用目的の入力" in ask.content.decode()
    assert _audit_rows("resident.view") == []
    stored = client.get(url, {"purpose": "国保の資格確認"})
    assert stored.status_code == 302
    page = client.get(url)
    assert "山田 太郎" in page.content.decode()
    rows = _audit_rows("resident.view")
    # One row for the page (docs/audit.md «One row per view»): the resident, listing the two other members shown
    # in the household table. Before, one row per member (3 rows).
    assert len(rows) == 1
    assert rows[0].object_repr == f"住民 {registered['head'].atena_number}"
    assert sorted(rows[0].details["persons"]) == sorted(r.atena_number for r in registered["residents"])
    assert rows[0].details["persons"][0] == registered["head"].atena_number
    assert rows[0].purpose == "国保の資格確認"
    assert rows[0].personal_data


class WorkerKilled(BaseException):
    """Stands for a gunicorn worker killed mid-request: no `except Exception` gets to tidy up."""


def test_a_resident_page_cut_off_half_way_leaves_none_of_its_audit_rows(
    client_for: Any, registered: dict[str, Any], monkeypatch: Any
) -> None:
    """docs/domain/bcp-reliability.md §5: the read and its audit row commit together: a worker killed after the row
    was written, before the page was built, leaves no row."""
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    record = audit.record
    calls: list[str] = []

    def killed_after_the_row(**kwargs: Any) -> Any:
        calls.append(kwargs["action"])
        record(**kwargs)
        raise WorkerKilled

    monkeypatch.setattr(audit, "record", killed_after_the_row)
    with pytest.raises(WorkerKilled):
        client.get(f"{BASE}residents/{registered['head'].atena_number}/")
    assert calls == ["resident.view"]
    assert _audit_rows("resident.view") == []

    monkeypatch.setattr(audit, "record", record)
    assert client.get(f"{BASE}residents/{registered['head'].atena_number}/").status_code == 200
    assert len(_audit_rows("resident.view")) == 1


def test_resident_page_shows_members_history_and_a_masked_number(client_for: Any, registered: dict[str, Any]) -> None:
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    body = client.get(f"{BASE}residents/{registered['head'].atena_number}/").content.decode()
    assert "●●●●●●●●9018" in body
    assert "123456789018" not in body
    # Members in certificate order: 世帯主, 妻, 子.
    assert body.index("山田 太郎") < body.index("山田 花子") < body.index("山田 一郎")
    assert "転入" in body
    assert "転居" in body
    assert "令和8年10月1日" in body
    assert "令和8年10月2日" in body
    assert "高知県高岡郡中土佐町矢井賀 55" in body


def test_as_of_shows_the_earlier_address(client_for: Any, registered: dict[str, Any]) -> None:
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    url = f"{BASE}residents/{registered['head'].atena_number}/"
    body = client.get(url, {"as_of": "令和8年9月30日"}).content.decode()
    assert "令和8年9月30日時点" in body
    assert "久礼 1234" in body
    before = client.get(url, {"as_of": "2026-03-31"}).content.decode()
    assert "記録されていません" in before
    bad = client.get(url, {"as_of": "きのう"}).content.decode()
    assert "日付を正しく入力してください" in bad


def test_reveal_my_number_once_and_audited(client_for: Any, registered: dict[str, Any]) -> None:
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    url = f"{BASE}residents/{registered['head'].atena_number}/my-number/"
    missing = client.post(url, {"purpose": ""})
    assert missing.status_code == 302
    assert _audit_rows("resident.reveal_my_number") == []
    response = client.post(url, {"purpose": "児童手当の申請受付"})
    assert "123456789018" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    row = _audit_rows("resident.reveal_my_number")[-1]
    assert row.purpose == "児童手当の申請受付"
    assert row.personal_data
    # Shown once: the page, loaded again, is masked.
    assert "123456789018" not in client.get(f"{BASE}residents/{registered['head'].atena_number}/").content.decode()


# --- 転入 ------------------------------------------------------------------------------------------


def _member(
    index: int, family_name: str, given: str, kana: str, given_kana: str, birth: str, sex: str, rel: str
) -> dict[str, str]:
    prefix = f"members-{index}-"
    return {
        prefix + "family_name": family_name,
        prefix + "given_name": given,
        prefix + "family_name_kana": kana,
        prefix + "given_name_kana": given_kana,
        prefix + "birth_date": birth,
        prefix + "sex": sex,
        prefix + "relationship": rel,
    }


def _move_in_data(**overrides: str) -> dict[str, str]:
    data = {
        "members-TOTAL_FORMS": "4",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "10",
        "event_date": "令和8年11月20日",
        "notified_on": "2026-11-25",
        "address": "高知県高岡郡中土佐町久礼 2000",
        "address_detail": "",
        "postal_code": "789-1301",
        "previous_address": "高知県高知市本町 1-1",
        "entry_kind": "move_in",
        **_member(0, "海野", "大輔", "うみの", "だいすけ", "昭和60年7月7日", "1", "世帯主"),
        **_member(1, "海野", "美咲", "ウミノ", "ミサキ", "S62.3.3", "2", "妻"),
        **_member(2, "海野", "陽太", "ウミノ", "ヨウタ", "2018-06-01", "1", "子"),
    }
    data.update(overrides)
    return data


def test_move_in_of_a_family(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    assert "転入する方 1" in client.get(f"{BASE}move-in/").content.decode()
    response = client.post(f"{BASE}move-in/", _move_in_data())
    assert response.status_code == 302
    with schema_context("nakatosa"):
        head = Resident.objects.get(family_name="海野", given_name="大輔")
        members = list(Resident.objects.filter(household=head.household).order_by("pk"))
        event = ChangeEvent.objects.filter(household=head.household).get()
    assert response["Location"] == f"{BASE}residents/{head.atena_number}/"
    assert [m.given_name for m in members] == ["大輔", "美咲", "陽太"]
    assert head.family_name_kana == "ウミノ"
    assert head.birth_date == date(1985, 7, 7)
    assert (event.event_date, event.notified_on, event.kind) == (date(2026, 11, 20), date(2026, 11, 25), "move_in")
    page = client.get(response["Location"]).content.decode()
    assert "転入を処理しました" in page
    assert "海野 陽太" in page


@pytest.mark.parametrize(
    ("entry_kind", "extra", "kind", "ex_officio"),
    [
        ("move_in_abroad", {"previous_address": "アメリカ合衆国 カリフォルニア州"}, "move_in_abroad", False),
        ("ex_officio", {"reason": "帰化による記載", "notified_on": ""}, "ex_officio_entry", True),
    ],
)
def test_move_in_from_abroad_and_ex_officio_entry(
    client_for: Any, entry_kind: str, extra: dict[str, str], kind: str, ex_officio: bool
) -> None:
    client = client_for("tanaka", "nakatosa")
    response = client.post(f"{BASE}move-in/", _move_in_data(entry_kind=entry_kind, **extra))
    assert response.status_code == 302
    with schema_context("nakatosa"):
        head = Resident.objects.get(family_name="海野", given_name="大輔")
        event = ChangeEvent.objects.filter(household=head.household).get()
    assert (event.kind, event.ex_officio) == (kind, ex_officio)


def test_ex_officio_entry_needs_a_reason(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    before = _counts()
    response = client.post(f"{BASE}move-in/", _move_in_data(entry_kind="ex_officio"))
    assert response.status_code == 200
    assert "職権記載の理由を入力してください。" in response.content.decode()
    assert _counts() == before


def test_move_in_shows_field_errors_and_writes_nothing(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    before = _counts()
    bad = _move_in_data(event_date="令和8年13月1日", address="", **{"members-1-sex": "", "members-2-birth_date": "x"})
    response = client.post(f"{BASE}move-in/", bad)
    body = response.content.decode()
    assert response.status_code == 200
    assert "日付を正しく入力してください(例: 令和8年4月1日 または 2026-04-01)" in body
    assert "住所を入力してください。" in body
    assert "性別を選んでください。" in body
    assert 'value="海野"' in body  # the clerk's input is kept
    assert _counts() == before


def test_move_in_service_errors_are_form_errors(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    before = _counts()
    future = client.post(f"{BASE}move-in/", _move_in_data(event_date="2026-12-01")).content.decode()
    assert "異動日に未来の日付は指定できません" in future
    no_head = client.post(f"{BASE}move-in/", _move_in_data(**{"members-0-relationship": "夫"})).content.decode()
    assert "世帯主を1人だけ指定してください" in no_head
    empty = {k: v for k, v in _move_in_data().items() if not k.startswith(("members-0", "members-1", "members-2"))}
    assert "転入する方を1人以上入力してください" in client.post(f"{BASE}move-in/", empty).content.decode()
    assert _counts() == before


# --- 転居 ------------------------------------------------------------------------------------------


def test_change_of_address(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    url = f"{BASE}households/{household.number}/change-of-address/"
    form = client.get(url).content.decode()
    assert f'name="version" value="{household.version}"' in form
    response = client.post(
        url,
        {"target_id": household.pk, "version": household.version, "event_date": "令和8年11月10日",
         "notified_on": "令和8年11月12日", "address": "高知県高岡郡中土佐町上ノ加江 9"},
    )  # fmt: skip
    assert response.status_code == 302
    with schema_context("nakatosa"):
        addresses = set(Resident.objects.filter(household=household).values_list("address", flat=True))
    assert addresses == {"高知県高岡郡中土佐町上ノ加江 9"}


def test_change_of_address_on_a_stale_version_keeps_the_input(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    before = _counts()
    response = client.post(
        f"{BASE}households/{household.number}/change-of-address/",
        {"target_id": household.pk, "version": household.version - 1, "event_date": "令和8年11月10日",
         "notified_on": "", "address": "高知県高岡郡中土佐町上ノ加江 9"},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert "他の職員が先に更新しました" in body
    assert 'value="高知県高岡郡中土佐町上ノ加江 9"' in body
    assert _counts() == before


def test_change_of_address_field_errors(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    body = client.post(
        f"{BASE}households/{household.number}/change-of-address/",
        {"target_id": household.pk, "version": household.version, "event_date": "", "address": ""},
    ).content.decode()
    assert "異動日を入力してください。" in body
    assert "住所を入力してください。" in body


# --- 証明書 ------------------------------------------------------------------------------------------


def _certificate_data(step: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "step": step,
        "kind": "residence_copy",
        "whole_household": "on",
        "head_and_relationship": "on",
        "requester_kind": "self",
        "requested_by": "本人",
        "purpose": "運転免許の更新",
    }
    data.update(overrides)
    return data


def test_certificate_preview_then_issue(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"{BASE}residents/{registered['head'].atena_number}/certificate/"
    assert "証明書の種類" in client.get(url).content.decode()
    preview = client.post(url, _certificate_data("preview")).content.decode()
    assert "交付内容の確認" in preview
    assert "世帯全員(3人)" in preview
    # In the order of the certificate (世帯主, 妻, 子), with the 続柄 asked for and 和暦 birth dates.
    table = preview[preview.index("<tbody>") :]
    assert table.index("山田 太郎") < table.index("山田 花子") < table.index("山田 一郎")
    assert "<td>妻</td>" in table
    assert "昭和57年8月12日" in table
    assert _counts()[2] == 0  # the preview issues nothing
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', preview)
    assert key is not None
    issued = client.post(url, _certificate_data("issue", idempotency_key=key[1]))
    with schema_context("nakatosa"):
        issuance = CertificateIssuance.objects.get()
    # The completion page names the 発行番号 and prints the PDF from there (docs/domain/resident_register.md §9).
    completion = f"{BASE}certificates/{quote(issuance.number)}/issued/"  # named by its 発行番号, not the row id
    assert issued.status_code == 302
    assert issued["Location"] == completion
    done = client.get(issued["Location"]).content.decode()
    assert issuance.number in done
    printed = client.get(f"{completion}pdf/")
    assert printed["Content-Type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")
    assert "attachment" in printed["Content-Disposition"]
    assert issuance.whole_household
    assert issuance.include_head_and_relationship
    assert issuance.purpose == "運転免許の更新"
    listed = _with_purpose(client).get(f"{BASE}certificates/").content.decode()  # the list names the requesters
    assert issuance.number in listed


def test_certificate_form_errors(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"{BASE}residents/{registered['head'].atena_number}/certificate/"
    body = client.post(
        url, _certificate_data("issue", whole_household="", requested_by="", purpose="")
    ).content.decode()
    assert "記載する方を1人以上選ぶか" in body
    assert "請求者を入力してください。" in body
    assert "利用目的を入力してください" in body
    assert _counts()[2] == 0


def test_certificate_is_refused_under_a_support_measure(
    client_for: Any, clerk: Person, registered: dict[str, Any]
) -> None:
    with schema_context("nakatosa"):
        support.apply_support_measure(
            actor=clerk, resident=registered["residents"][1], scopes=[SupportScope.CERTIFICATE]
        )
    client = client_for("tanaka", "nakatosa")
    response = client.post(
        f"{BASE}residents/{registered['head'].atena_number}/certificate/", _certificate_data("issue")
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "支援措置が設定されているため" in response.content.decode()
    assert _counts()[2] == 0
    assert len(_audit_rows("certificate.refused")) == 1


def test_void_an_issuance(client_for: Any, clerk: Person, registered: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        issuance, _ = certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[registered["head"]]
        )
    auditor = _with_purpose(client_for("auditor", "nakatosa"))
    assert "無効にする理由" not in auditor.get(f"{BASE}certificates/").content.decode()
    assert auditor.post(f"{BASE}certificates/{issuance.number}/void/", {"reason": "誤交付"}).status_code == 403
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    url = f"{BASE}certificates/{issuance.number}/void/"
    no_reason = client.post(url, {"reason": " "}, follow=True).content.decode()
    assert "無効にする理由を入力してください" in no_reason
    done = client.post(url, {"reason": "記載誤りによる再交付"}, follow=True).content.decode()
    assert f"発行番号 {issuance.number} を無効にしました" in done
    with schema_context("nakatosa"):
        issuance.refresh_from_db()
    assert issuance.void_reason == "記載誤りによる再交付"
    again = client.post(url, {"reason": "二重"}, follow=True).content.decode()
    assert "すでに無効にされています" in again


# --- 出生・転出届 -----------------------------------------------------------------------------------


def test_birth_joins_the_household(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    url = f"{BASE}households/{household.number}/birth/"
    form = client.get(url).content.decode()
    assert 'value="山田"' in form
    assert 'value="子"' in form
    data = {
        "target_id": household.pk, "version": household.version, "family_name": "山田", "given_name": "二郎",
        "family_name_kana": "やまだ", "given_name_kana": "じろう", "birth_date": "令和8年11月20日", "sex": "1",
        "relationship": "子", "notified_on": "令和8年11月26日",
    }  # fmt: skip
    bad = client.post(url, {**data, "birth_date": "令和8年11月31日", "sex": ""}).content.decode()
    assert "日付を正しく入力してください" in bad
    assert "性別を選んでください。" in bad
    stale = client.post(url, {**data, "version": household.version + 5}).content.decode()
    assert "この世帯は他の職員が先に更新しました" in stale
    response = client.post(url, data)
    assert response.status_code == 302
    with schema_context("nakatosa"):
        child = Resident.objects.get(household=household, given_name="二郎")
    assert child.given_name_kana == "ジロウ"
    assert child.became_resident_on == date(2026, 11, 20)
    assert child.address == "高知県高岡郡中土佐町矢井賀 55"


def test_planned_move_out_of_the_household(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    url = f"{BASE}households/{household.number}/move-out/"
    assert "転出予定日" in client.get(url).content.decode()
    missing = client.post(url, {"target_id": household.pk, "version": household.version, "event_date": ""})
    body = missing.content.decode()
    assert "転出予定日を入力してください。" in body
    assert "転出先の住所を入力してください。" in body
    with schema_context("nakatosa"):
        members = list(Resident.objects.filter(household=household).order_by("pk"))
    response = client.post(
        url,
        {"target_id": household.pk, "version": household.version, "event_date": "令和8年12月10日",
         "notified_on": "令和8年11月27日", "destination": "東京都千代田区霞が関 1-1",
         "members": [r.pk for r in members], **{f"version_{r.pk}": r.version for r in members}},
    )  # fmt: skip
    assert response.status_code == 302
    with schema_context("nakatosa"):
        planned = set(Resident.objects.filter(household=household).values_list("moving_out_on", flat=True))
    assert planned == {date(2026, 12, 10)}


def test_planned_move_out_of_one_member_only(client_for: Any, registered: dict[str, Any]) -> None:
    """A child moving away to study: only that member is chosen; the others stay as they were."""
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    with schema_context("nakatosa"):
        members = list(Resident.objects.filter(household=household).order_by("pk"))
    child = members[-1]
    response = client.post(
        f"{BASE}households/{household.number}/move-out/",
        {"target_id": household.pk, "version": household.version, "event_date": "令和8年12月10日",
         "notified_on": "令和8年11月27日", "destination": "京都府京都市左京区吉田本町",
         "members": [child.pk], **{f"version_{r.pk}": r.version for r in members}},
    )  # fmt: skip
    assert response.status_code == 302
    with schema_context("nakatosa"):
        planned = dict(Resident.objects.filter(household=household).values_list("pk", "moving_out_on"))
    assert planned[child.pk] == date(2026, 12, 10)
    assert all(planned[r.pk] is None for r in members[:-1])


def test_a_cancelled_event_is_struck_through_in_the_history(
    client_for: Any, clerk: Person, registered: dict[str, Any]
) -> None:
    with schema_context("nakatosa"):
        moved = ChangeEvent.objects.filter(household=registered["household"], kind="change_of_address").get()
        services.cancel_event(actor=clerk, event_id=moved.pk, reason="届出の誤り")
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    body = client.get(f"{BASE}residents/{registered['head'].atena_number}/").content.decode()
    assert '<tr class="rr-cancelled">' in body
    assert "取消済み" in body
    assert "届出の誤り" in body
    assert "高知県高岡郡中土佐町久礼 1234" in body  # the address before the cancelled 転居 is back


def test_death_of_a_member(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    son = registered["residents"][2]
    url = f"{BASE}residents/{son.atena_number}/death/"
    form = client.get(url).content.decode()
    assert "死亡日" in form
    assert "新しい世帯主" not in form
    with schema_context("nakatosa"):
        son.refresh_from_db()
    bad = client.post(url, {"target_id": son.pk, "version": son.version, "died_on": "2011-01-01"}).content.decode()
    assert "死亡日が生年月日より前になっています" in bad
    response = client.post(url, {"target_id": son.pk, "version": son.version, "died_on": "令和8年11月25日"})
    assert response.status_code == 302
    with schema_context("nakatosa"):
        son.refresh_from_db()
    assert (son.status, son.removed_on) == ("deceased", date(2026, 11, 25))


def test_death_of_the_head_needs_a_new_head_and_relationships(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    head, wife, son = registered["residents"]
    url = f"{BASE}residents/{head.atena_number}/death/"
    with schema_context("nakatosa"):
        head.refresh_from_db()
    assert "新しい世帯主" in client.get(url).content.decode()
    data = {"target_id": head.pk, "version": head.version, "died_on": "令和8年11月25日"}
    before = _counts()
    no_head = client.post(url, data).content.decode()
    assert "新しい世帯主を選んでください。" in no_head
    no_relationship = client.post(url, {**data, "new_head": wife.pk}).content.decode()
    assert "新しい世帯主との続柄が入力されていない世帯員がいます" in no_relationship
    assert _counts() == before
    done = client.post(url, {**data, "new_head": wife.pk, f"relationship_{son.pk}": "子"})
    assert done.status_code == 302
    with schema_context("nakatosa"):
        household = Household.objects.get(pk=registered["household"].pk)
        son.refresh_from_db()
    assert household.head_id == wife.pk
    assert son.relationship == "子"


def _queries(client: Client, method: str, url: str, data: dict[str, Any]) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_list_pages_do_not_query_per_row(client_for: Any, clerk: Person, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    client.post(BASE, {"query": "ヤマダ", "purpose": "照会"})  # the session and the purpose are stored
    one, body = _queries(client, "post", BASE, {"query": "ヤマダタロウ", "purpose": "照会"})
    assert body.count('class="rr-status') == 1
    with schema_context("nakatosa"):
        for given, kana in [("次郎", "ジロウ"), ("三郎", "サブロウ"), ("四郎", "シロウ")]:
            move_in_family(clerk, members=[person("山田", given, "ヤマダ", kana)])
    many, body = _queries(client, "post", BASE, {"query": "ヤマダ", "purpose": "照会"})
    assert body.count('class="rr-status') == 6
    assert many == one

    with schema_context("nakatosa"):
        certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[registered["head"]]
        )
    first, _ = _queries(client, "get", f"{BASE}certificates/", {})
    with schema_context("nakatosa"):
        certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", household=registered["household"]
        )
    second, body = _queries(client, "get", f"{BASE}certificates/", {})
    assert body.count('class="rr-number"') >= 5
    assert second == first


# --- 異動の取消し ------------------------------------------------------------------------------------


def _events(household: Household) -> list[tuple[str, int | None]]:
    with schema_context("nakatosa"):
        return list(ChangeEvent.objects.filter(household=household).order_by("pk").values_list("kind", "cancels_id"))


def test_history_offers_cancel_to_clerks_only(client_for: Any, registered: dict[str, Any]) -> None:
    head = registered["head"]
    with schema_context("nakatosa"):
        moved = ChangeEvent.objects.get(household=registered["household"], kind="change_of_address")
    cancel_url = f"{BASE}residents/{head.atena_number}/events/{moved.pk}/cancel/"
    clerk_page = (
        _with_purpose(client_for("tanaka", "nakatosa")).get(f"{BASE}residents/{head.atena_number}/").content.decode()
    )
    assert f'href="{cancel_url}"' in clerk_page
    assert clerk_page.count(">取消</a>") == 2
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    assert ">取消</a>" not in auditor.get(f"{BASE}residents/{head.atena_number}/").content.decode()
    before = _counts()
    for response in (auditor.get(cancel_url), auditor.post(cancel_url, {"reason": "監査"})):
        assert response.status_code == 403
        assert "事務職員だけが行えます" in response.content.decode()
    assert _counts() == before


def test_cancel_the_latest_event(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    head, household = registered["head"], registered["household"]
    with schema_context("nakatosa"):
        moved = ChangeEvent.objects.get(household=household, kind="change_of_address")
    url = f"{BASE}residents/{head.atena_number}/events/{moved.pk}/cancel/"
    form = client.get(url).content.decode()
    assert "転居" in form
    assert "令和8年10月1日" in form
    assert "取消しの理由" in form
    before = _counts()
    missing = client.post(url, {"reason": "  "}).content.decode()
    assert "取消しの理由を入力してください。" in missing
    assert _counts() == before
    response = client.post(url, {"reason": "届出内容の誤り"})
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}residents/{head.atena_number}/"
    with schema_context("nakatosa"):
        head.refresh_from_db()
    assert head.address == "高知県高岡郡中土佐町久礼 1234"  # the address before the 転居
    assert _events(household)[-1] == ("cancellation", moved.pk)
    page = _with_purpose(client).get(f"{BASE}residents/{head.atena_number}/").content.decode()
    assert "異動の取消しを処理しました。" in page
    assert "届出内容の誤り" in page
    assert f'href="{url}"' not in page  # a cancelled event offers no 取消 any more
    again = client.post(url, {"reason": "二重の取消し"}).content.decode()
    assert "この異動は既に取り消されています。" in again


def test_cancel_refuses_an_event_that_is_not_the_latest(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    head, household = registered["head"], registered["household"]
    with schema_context("nakatosa"):
        moved_in = ChangeEvent.objects.get(household=household, kind="move_in")
        cancellation_id = services.cancel_event(
            actor=Person.objects.get(username="tanaka"),
            event_id=ChangeEvent.objects.get(household=household, kind="change_of_address").pk,
            reason="誤り",
        ).pk
        services.record_change_of_address(
            actor=None, household=Versioned(household.pk, Household.objects.get(pk=household.pk).version),
            event_date=date(2026, 11, 1), notified_on=date(2026, 11, 1), address="高知県高岡郡中土佐町上ノ加江 9",
        )  # fmt: skip
    before = _counts()
    body = client.post(
        f"{BASE}residents/{head.atena_number}/events/{moved_in.pk}/cancel/", {"reason": "誤り"}
    ).content.decode()
    assert "先に後の異動を取り消してください" in body
    assert _counts() == before
    # A cancellation itself has no 取消 form.
    assert client.get(f"{BASE}residents/{head.atena_number}/events/{cancellation_id}/cancel/").status_code == 404


# --- 世帯主変更 --------------------------------------------------------------------------------------


def test_change_head(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    head, wife, son = registered["residents"]
    url = f"{BASE}households/{household.number}/change-head/"
    form = client.get(url).content.decode()
    assert f'<option value="{wife.pk}">' in form
    assert f'<option value="{head.pk}">' not in form
    assert f'name="relationship_{wife.pk}"' in form
    assert 'value="妻"' in form
    data = {"target_id": household.pk, "version": household.version, "event_date": "令和8年11月20日",
            "notified_on": "2026-11-27", "new_head": wife.pk, f"relationship_{head.pk}": "世帯主",
            f"relationship_{wife.pk}": "妻", f"relationship_{son.pk}": "子"}  # fmt: skip
    before = _counts()
    bad = client.post(url, {**data, "event_date": "令和8年2月30日", "new_head": ""}).content.decode()
    assert "日付を正しく入力してください" in bad
    assert "新しい世帯主を選んでください。" in bad
    two_heads = client.post(url, data).content.decode()
    assert "世帯主は1世帯に1人です" in two_heads
    assert 'value="子"' in two_heads
    missing = client.post(url, {**data, f"relationship_{head.pk}": ""}).content.decode()
    assert "新しい世帯主との続柄が入力されていない世帯員がいます" in missing
    assert _counts() == before
    response = client.post(url, {**data, f"relationship_{head.pk}": "夫"})
    assert response.status_code == 302
    with schema_context("nakatosa"):
        current = Household.objects.get(pk=household.pk)
        relationships = dict(Resident.objects.filter(household=household).values_list("pk", "relationship"))
    assert current.head_id == wife.pk
    assert relationships == {head.pk: "夫", wife.pk: "世帯主", son.pk: "子"}
    assert _events(household)[-1] == ("head_change", None)
    stale = client.post(url, {**data, "new_head": head.pk}).content.decode()  # the screen before the change
    assert "他の職員が先に更新しました" in stale


def test_head_change_is_linked_for_clerks_and_refused_to_auditors(client_for: Any, registered: dict[str, Any]) -> None:
    household, head = registered["household"], registered["head"]
    url = f"{BASE}households/{household.number}/change-head/"
    page = _with_purpose(client_for("tanaka", "nakatosa")).get(f"{BASE}residents/{head.atena_number}/").content.decode()
    assert f'href="{url}"' in page
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    assert f'href="{url}"' not in auditor.get(f"{BASE}residents/{head.atena_number}/").content.decode()
    before = _counts()
    assert auditor.get(url).status_code == 403
    assert auditor.post(url, {"version": household.version}).status_code == 403
    assert _counts() == before


# --- 誤記修正・職権修正 --------------------------------------------------------------------------------


def test_correction_items_are_the_services_whitelist() -> None:
    from resident_records.forms import CORRECTION_FIELDS

    assert len(CORRECTION_FIELDS) == len(set(CORRECTION_FIELDS))
    assert set(CORRECTION_FIELDS) == services.CORRECTABLE_FIELDS


def _correction_data(resident: Resident, **overrides: Any) -> dict[str, Any]:
    """What the correction form posts back unchanged, plus the clerk's edits."""
    from resident_records.forms import CORRECTION_FIELDS

    with schema_context("nakatosa"):
        resident.refresh_from_db()
    data: dict[str, Any] = {"target_id": resident.pk, "version": resident.version, "reason": "入力誤り"}
    for name in CORRECTION_FIELDS:
        value = getattr(resident, name)
        data[name] = value.isoformat() if isinstance(value, date) else (value or "")
    return {**data, **overrides}


def test_clerical_correction(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    wife = registered["residents"][1]
    url = f"{BASE}residents/{wife.atena_number}/correction/clerical/"
    form = client.get(url).content.decode()
    assert "誤記修正" in form
    assert 'value="花子"' in form
    assert 'value="昭和57年8月12日"' in form
    assert 'name="effective_on"' in form
    assert 'value="令和8年10月1日"' in form
    before = _counts()
    bad = client.post(url, _correction_data(wife, birth_date="令和8年13月1日", given_name="", reason="")).content
    body = bad.decode()
    assert "日付を正しく入力してください" in body
    assert "名を入力してください。" in body
    assert "修正の理由を入力してください。" in body
    unchanged = client.post(url, _correction_data(wife)).content.decode()
    assert "修正内容が現在の記載と同じです" in unchanged
    head_word = client.post(url, _correction_data(wife, relationship="世帯主")).content.decode()
    assert "世帯主変更で処理してください" in head_word
    assert _counts() == before
    response = client.post(url, _correction_data(wife, given_name="華子", given_name_kana="はなこ"))
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}residents/{wife.atena_number}/"
    with schema_context("nakatosa"):
        wife.refresh_from_db()
        event = ChangeEvent.objects.filter(household=registered["household"]).latest("pk")
        record = wife.records.latest("pk")
    assert (wife.given_name, wife.given_name_kana) == ("華子", "ハナコ")
    assert event.kind == "clerical_correction"
    assert event.details["fields"] == ["given_name"]
    assert event.reason == "入力誤り"
    assert record.effective_on == date(2026, 10, 1)
    page = _with_purpose(client).get(f"{BASE}residents/{wife.atena_number}/").content.decode()
    assert "誤記修正を処理しました。" in page
    assert "華子" in page


def test_ex_officio_correction_with_an_effective_date(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    head = registered["head"]
    url = f"{BASE}residents/{head.atena_number}/correction/ex_officio/"
    assert "職権修正" in client.get(url).content.decode()
    data = _correction_data(head, domicile="高知県高岡郡中土佐町久礼 1", effective_on="令和8年4月1日",
                            reason="戸籍の届出の通知による")  # fmt: skip
    future = client.post(url, {**data, "effective_on": "令和9年1月1日"}).content.decode()
    assert "修正の適用日は" in future
    response = client.post(url, data)
    assert response.status_code == 302
    with schema_context("nakatosa"):
        head.refresh_from_db()
        event = ChangeEvent.objects.filter(household=registered["household"]).latest("pk")
    assert head.domicile == "高知県高岡郡中土佐町久礼 1"
    assert event.kind == "ex_officio_correction"
    assert event.details["effective_on"] == "2026-04-01"


def test_correction_links_and_refusals(client_for: Any, registered: dict[str, Any]) -> None:
    head = registered["head"]
    clerk = client_for("tanaka", "nakatosa")
    page = _with_purpose(clerk).get(f"{BASE}residents/{head.atena_number}/").content.decode()
    for kind in ("clerical", "ex_officio"):
        assert f'href="{BASE}residents/{head.atena_number}/correction/{kind}/"' in page
    assert clerk.get(f"{BASE}residents/{head.atena_number}/correction/other/").status_code == 404
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    assert "誤記修正" not in auditor.get(f"{BASE}residents/{head.atena_number}/").content.decode()
    before = _counts()
    url = f"{BASE}residents/{head.atena_number}/correction/clerical/"
    assert auditor.get(url).status_code == 403
    assert auditor.post(url, _correction_data(head, given_name="太朗")).status_code == 403
    assert _counts() == before


# --- 転出確定・職権消除 ----------------------------------------------------------------------------


def test_confirm_move_out_of_the_household(client_for: Any, clerk: Person, registered: dict[str, Any]) -> None:
    household = registered["household"]
    with schema_context("nakatosa"):
        services.plan_move_out(
            actor=clerk, household=Versioned(household.pk, Household.objects.get(pk=household.pk).version),
            event_date=date(2026, 11, 20), notified_on=date(2026, 11, 18), destination="東京都千代田区霞が関 1-1",
        )  # fmt: skip
        residents = list(Resident.objects.filter(household=household).order_by("pk"))
    client = client_for("tanaka", "nakatosa")
    page = _with_purpose(client).get(f"{BASE}residents/{residents[0].atena_number}/").content.decode()
    url = f"{BASE}households/{household.number}/move-out-confirmation/"
    assert f'href="{url}"' in page
    form = client.get(url).content.decode()
    assert form.count('type="checkbox"') == 3
    assert form.count("checked") == 3
    assert 'value="令和8年11月20日"' in form  # the 転出予定日 is suggested
    data: dict[str, Any] = {
        "members": [r.pk for r in residents],
        "moved_on": "令和8年11月20日",
        "notice_received_on": "令和8年11月26日",
        **{f"version_{r.pk}": r.version for r in residents},
    }
    before = _counts()
    bad = client.post(url, {**data, "members": [], "notice_received_on": ""}).content.decode()
    assert "対象の住民を1人以上選んでください。" in bad
    assert "転入通知の受理日を入力してください。" in bad
    stale = client.post(url, {**data, f"version_{residents[1].pk}": residents[1].version - 1}).content.decode()
    assert "他の職員が先に更新しました" in stale
    assert _counts() == before
    response = client.post(url, data)
    assert response.status_code == 302
    with schema_context("nakatosa"):
        statuses = set(Resident.objects.filter(household=household).values_list("status", "removed_on"))
        dissolved_on = Household.objects.get(pk=household.pk).dissolved_on
    assert statuses == {("moved_out", date(2026, 11, 20))}
    assert dissolved_on == date(2026, 11, 20)
    assert _events(household)[-1] == ("move_out_confirmed", None)


def test_confirm_move_out_without_a_plan_is_refused(client_for: Any, registered: dict[str, Any]) -> None:
    household, head = registered["household"], registered["head"]
    client = client_for("tanaka", "nakatosa")
    url = f"{BASE}households/{household.number}/move-out-confirmation/"
    assert "先に転出届を処理してください" in client.get(url).content.decode()
    assert f'href="{url}"' not in _with_purpose(client).get(f"{BASE}residents/{head.atena_number}/").content.decode()
    before = _counts()
    body = client.post(
        url, {"members": [head.pk], "moved_on": "令和8年11月20日", "notice_received_on": "令和8年11月26日"}
    )
    assert "対象の住民の選択が正しくありません。" in body.content.decode()
    assert _counts() == before


def test_ex_officio_removal_of_the_head(client_for: Any, registered: dict[str, Any]) -> None:
    household = registered["household"]
    head, wife, son = registered["residents"]
    with schema_context("nakatosa"):
        versions = dict(Resident.objects.filter(household=household).values_list("pk", "version"))
    client = client_for("tanaka", "nakatosa")
    url = f"{BASE}households/{household.number}/ex-officio-removal/"
    form = client.get(url).content.decode()
    assert form.count('type="checkbox"') == 3
    assert "checked" not in form
    assert "新しい世帯主" in form
    data: dict[str, Any] = {
        "members": [head.pk],
        "event_date": "令和8年11月25日",
        "reason": "実態調査により居住の事実なし",
        **{f"version_{pk}": v for pk, v in versions.items()},
    }
    before = _counts()
    bad = client.post(url, {**data, "members": [], "reason": "", "event_date": "昨日"}).content.decode()
    assert "対象の住民を1人以上選んでください。" in bad
    assert "消除の理由を入力してください。" in bad
    assert "日付を正しく入力してください" in bad
    no_head = client.post(url, data).content.decode()
    assert "新しい世帯主を選んでください" in no_head
    no_relationship = client.post(url, {**data, "new_head": wife.pk}).content.decode()
    assert "新しい世帯主との続柄が入力されていない世帯員がいます" in no_relationship
    assert _counts() == before
    response = client.post(url, {**data, "new_head": wife.pk, f"relationship_{son.pk}": "子"})
    assert response.status_code == 302
    with schema_context("nakatosa"):
        head.refresh_from_db()
        son.refresh_from_db()
        current = Household.objects.get(pk=household.pk)
    assert (head.status, head.removed_on, head.removal_reason) == ("removed", date(2026, 11, 25), "職権消除")
    assert current.head_id == wife.pk
    assert son.relationship == "子"
    assert _events(household)[-1] == ("ex_officio_removal", None)


def test_departures_are_for_clerks_only(client_for: Any, registered: dict[str, Any]) -> None:
    household, head = registered["household"], registered["head"]
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    assert "職権消除" not in auditor.get(f"{BASE}residents/{head.atena_number}/").content.decode()
    before = _counts()
    for path in ("move-out-confirmation", "ex-officio-removal"):
        url = f"{BASE}households/{household.number}/{path}/"
        assert auditor.get(url).status_code == 403
        assert auditor.post(url, {"members": [head.pk], "reason": "監査"}).status_code == 403
    assert _counts() == before


# --- 世帯分離 ----------------------------------------------------------------------------------------


def _split_data(registered: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    household = registered["household"]
    with schema_context("nakatosa"):
        household.refresh_from_db()
        versions = dict(Resident.objects.filter(household=household).values_list("pk", "version"))
    data = {"target_id": household.pk, "version": household.version, "event_date": "令和8年11月20日",
            "notified_on": "令和8年11月27日", **{f"version_{pk}": v for pk, v in versions.items()}}  # fmt: skip
    return {**data, **overrides}


def test_split_a_member_into_a_new_household(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    head, wife, son = registered["residents"]
    url = f"{BASE}households/{household.number}/split/"
    page = _with_purpose(client).get(f"{BASE}residents/{head.atena_number}/").content.decode()
    assert f'href="{url}"' in page
    form = client.get(url).content.decode()
    assert "新しい世帯の世帯主" in form
    assert form.count('type="checkbox"') == 3
    before = _counts()
    bad = client.post(url, _split_data(registered, event_date="")).content.decode()
    assert "対象の住民を1人以上選んでください。" in bad
    assert "新しい世帯の世帯主を選んでください。" in bad
    assert "異動日を入力してください。" in bad
    wrong_head = client.post(url, _split_data(registered, members=[son.pk], new_head=wife.pk)).content.decode()
    assert "新しい世帯の世帯主は、分離する住民から選んでください" in wrong_head
    everyone = client.post(url, _split_data(registered, members=[head.pk, wife.pk, son.pk], new_head=son.pk))
    assert "世帯の全員を分離することはできません" in everyone.content.decode()
    assert _counts() == before
    response = client.post(url, _split_data(registered, members=[son.pk], new_head=son.pk))
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}residents/{son.atena_number}/"
    with schema_context("nakatosa"):
        son.refresh_from_db()
        new_household = Household.objects.get(pk=son.household_id)
    assert new_household.pk != household.pk
    assert new_household.head_id == son.pk
    assert son.relationship == "世帯主"
    assert _events(household)[-1] == ("household_split", None)


def test_split_of_the_head_needs_a_head_for_those_who_stay(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    household = registered["household"]
    head, wife, son = registered["residents"]
    url = f"{BASE}households/{household.number}/split/"
    before = _counts()
    no_head = client.post(url, _split_data(registered, members=[head.pk], new_head=head.pk)).content.decode()
    assert "新しい世帯主を選んでください" in no_head
    assert _counts() == before
    response = client.post(
        url,
        _split_data(registered, members=[head.pk], new_head=head.pk, remaining_head=wife.pk,
                    **{f"relationship_{son.pk}": "子"}),
    )  # fmt: skip
    assert response.status_code == 302
    with schema_context("nakatosa"):
        current = Household.objects.get(pk=household.pk)
        son.refresh_from_db()
        head.refresh_from_db()
    assert current.head_id == wife.pk
    assert son.relationship == "子"
    assert head.household_id != household.pk
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    assert auditor.get(url).status_code == 403
    assert auditor.post(url, {}).status_code == 403


# --- 世帯合併 ----------------------------------------------------------------------------------------


def test_merge_a_household_at_the_same_address(client_for: Any, clerk: Person, registered: dict[str, Any]) -> None:
    household, head = registered["household"], registered["head"]
    with schema_context("nakatosa"):
        other, (lodger,) = move_in_family(
            clerk, members=[person("鈴木", "一", "スズキ", "ハジメ")], address="高知県高岡郡中土佐町矢井賀 55"
        )
        elsewhere, _ = move_in_family(clerk, members=[person("佐藤", "二郎", "サトウ", "ジロウ")])
        household.refresh_from_db()
    client = _with_purpose(client_for("tanaka", "nakatosa"))
    url = f"{BASE}households/{household.number}/merge/"
    assert f'href="{url}"' in client.get(f"{BASE}residents/{head.atena_number}/").content.decode()
    assert "この世帯に加わる世帯の世帯番号" in client.get(url).content.decode()
    data = {"target_id": household.pk, "version": household.version, "event_date": "令和8年11月20日",
            "notified_on": "令和8年11月27日"}  # fmt: skip
    before = _counts()
    unknown = client.post(url, {**data, "absorbed_number": "99999999999"}).content.decode()
    assert "この世帯番号の世帯は見つかりません" in unknown
    found = client.post(url, {**data, "absorbed_number": other.number}).content.decode()
    assert "鈴木 一のこの世帯の世帯主との続柄" in found
    assert f'name="absorbed_id" value="{other.pk}"' in found
    assert "この世帯の世帯主との続柄を入力してください" not in found  # step 1 shows no errors
    assert _audit_rows("resident.view")[-1].details["merge_into"] == household.number
    step2 = {**data, "absorbed_number": other.number, "absorbed_id": other.pk, "absorbed_version": other.version}
    missing = client.post(url, step2).content.decode()
    assert "鈴木 一のこの世帯の世帯主との続柄を入力してください。" in missing
    far = {**data, "absorbed_number": elsewhere.number, "absorbed_id": elsewhere.pk,
           "absorbed_version": elsewhere.version, f"relationship_{elsewhere.head_id}": "同居人"}  # fmt: skip
    assert "住所(方書を含む)が異なる世帯は合併できません" in client.post(url, far).content.decode()
    assert _counts() == before
    response = client.post(url, {**step2, f"relationship_{lodger.pk}": "同居人"})
    assert response.status_code == 302
    with schema_context("nakatosa"):
        lodger.refresh_from_db()
        other.refresh_from_db()
    assert lodger.household_id == household.pk
    assert lodger.relationship == "同居人"
    assert other.dissolved_on == date(2026, 11, 20)
    assert _events(household)[-1] == ("household_merge", None)
    auditor = _with_purpose(client_for("auditor", "nakatosa"), "定期監査")
    assert auditor.get(url).status_code == 403
    assert auditor.post(url, step2).status_code == 403

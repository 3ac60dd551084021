"""Issue 10 §12: certificates at the counter — one certificate per confirmation screen however often it is
submitted, a completion page with the 発行番号, names and fees in the 交付履歴; the 転入 form's 本籍・筆頭者 and
住民票コード."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django_tenants.utils import schema_context

from resident_records import certificates
from resident_records.models import CertificateIssuance, Resident
from tenants.models import Person
from tests.resident_records.factories import move_in_family

BASE = "/resident_records/"
TODAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _frozen_day() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def head(db: Any) -> Resident:
    with schema_context("nakatosa"):
        _, residents = move_in_family(Person.objects.get(username="tanaka"))
    return residents[0]


def _data(step: str, **extra: Any) -> dict[str, Any]:
    return {"step": step, "kind": "residence_copy", "whole_household": "on", "requested_by": "本人",
            "requester_kind": "self", "purpose": "運転免許の更新", "fee": "300", **extra}  # fmt: skip


def test_double_submit_of_one_confirmation_issues_one_certificate(client_for: Any, head: Resident) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"{BASE}residents/{head.atena_number}/certificate/"
    confirm = client.post(url, _data("preview")).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', confirm)
    assert key is not None
    first = client.post(url, _data("issue", idempotency_key=key[1]))
    second = client.post(url, _data("issue", idempotency_key=key[1]))  # a double click, a reload
    with schema_context("nakatosa"):
        issued = list(CertificateIssuance.objects.all())
    assert len(issued) == 1  # before: two certificates, two 発行番号
    assert first["Location"] == second["Location"] == f"{BASE}certificates/{quote(issued[0].number)}/issued/"
    page = client.get(second["Location"]).content.decode()
    assert issued[0].number in page
    assert "既に発行されています" in page


def test_the_service_refuses_a_used_key_and_keeps_the_serial_gapless(head: Resident) -> None:
    clerk = Person.objects.get(username="tanaka")
    key = uuid.uuid4()
    with schema_context("nakatosa"):
        first, _ = certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[head],
            idempotency_key=key,
        )  # fmt: skip
        with pytest.raises(certificates.CertificateAlreadyIssued) as again:
            certificates.issue_certificate(
                actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[head],
                idempotency_key=key,
            )  # fmt: skip
        assert again.value.issuance.pk == first.pk
        following, _ = certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[head]
        )
    assert following.serial == first.serial + 1


def test_the_issuance_list_shows_names_and_fees(client_for: Any, head: Resident) -> None:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"):
        certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[head],
            options=certificates.CertificateOptions(fee=300),
        )  # fmt: skip
    client = client_for("tanaka", "nakatosa")
    client.get(f"{BASE}certificates/", {"purpose": "交付履歴の確認"})  # the purpose gate (common.purpose)
    body = client.get(f"{BASE}certificates/").content.decode()
    assert head.full_name in body  # before: only the 宛名番号
    assert "300円" in body


def test_the_move_in_form_takes_domicile_head_and_resident_code(client_for: Any, db: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    data = {
        "entry_kind": "move_in", "event_date": "令和8年11月20日", "notified_on": "令和8年11月27日",
        "address": "高知県高岡郡中土佐町久礼 88", "previous_address": "高知県高知市本町1丁目1番",
        "members-TOTAL_FORMS": "4", "members-INITIAL_FORMS": "0",
        "members-0-family_name": "本籍", "members-0-given_name": "太郎", "members-0-family_name_kana": "ホンセキ",
        "members-0-given_name_kana": "タロウ", "members-0-birth_date": "昭和55年5月1日", "members-0-sex": "1",
        "members-0-relationship": "世帯主", "members-0-domicile": "高知県高知市本町１丁目１番地",
        "members-0-domicile_head": "本籍 太郎", "members-0-resident_code": "１２３４５６７８９０１",
    }  # fmt: skip
    response = client.post(f"{BASE}move-in/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context("nakatosa"):
        resident = Resident.objects.get(family_name="本籍")
    assert (resident.domicile, resident.domicile_head) == ("高知県高知市本町１丁目１番地", "本籍 太郎")
    assert resident.resident_code == "12345678901"

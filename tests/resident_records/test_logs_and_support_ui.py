"""The 交付履歴 and 支援措置 alert APIs, the certificate preview (見本) and the 支援措置 screens."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from common.models import AuditEvent
from resident_records import certificates, support
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    Resident,
    SupportMeasure,
    SupportMeasureStatus,
    SupportScope,
    TemporaryRelease,
)
from tenants.models import Person, Role
from tests.resident_records.factories import move_in_family

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO)
ISSUANCES = "/api/v1/resident_records/issuances/"
ATTENTION = "/api/v1/resident_records/support-measures/attention/"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def residents(frozen: None, clerk: Person) -> list[Resident]:
    with schema_context("nakatosa"):
        _, members = move_in_family(clerk)
    return members


def _issue(clerk: Person, resident: Resident, kind: str = CertificateKind.RESIDENCE_COPY) -> CertificateIssuance:
    with schema_context("nakatosa"):
        issuance, _ = certificates.issue_certificate(
            actor=clerk, kind=kind, purpose="年金の手続", requested_by="本人", residents=[resident]
        )
    return issuance


def _audits(action: str) -> list[AuditEvent]:
    with schema_context("nakatosa"):
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- 交付履歴 API -------------------------------------------------------------------------------------


def test_issuance_log_json_filters_and_no_names(client_for: Any, clerk: Person, residents: list[Resident]) -> None:
    first = _issue(clerk, residents[0])
    second = _issue(clerk, residents[1], kind=CertificateKind.ENTRY_CERTIFICATE)
    with schema_context("nakatosa"):
        certificates.void_certificate(actor=clerk, issuance=second, reason="記載誤りのため")
    client = client_for("auditor", "nakatosa")

    response = client.get(ISSUANCES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    by_number = {row["number"]: row for row in body["results"]}
    assert by_number[first.number]["atena_numbers"] == [residents[0].atena_number]
    assert by_number[first.number]["issued_by_name"] == clerk.full_name
    assert by_number[first.number]["page_count"] == first.page_count
    assert by_number[second.number]["voided"] is True
    assert by_number[second.number]["void_reason"] == "記載誤りのため"
    text = response.content.decode()
    assert "山田" not in text
    assert "花子" not in text

    assert [r["number"] for r in client.get(ISSUANCES, {"voided": "true"}).json()["results"]] == [second.number]
    assert [r["number"] for r in client.get(ISSUANCES, {"voided": "false"}).json()["results"]] == [first.number]
    assert [r["number"] for r in client.get(ISSUANCES, {"kind": "entry_certificate"}).json()["results"]] == [
        second.number
    ]
    assert client.get(ISSUANCES, {"since": "2026-11-28"}).json()["count"] == 0
    assert client.get(ISSUANCES, {"since": "2026-11-27", "until": "2026-11-27"}).json()["count"] == 2
    assert client.get(ISSUANCES, {"until": "2026-11-26"}).json()["count"] == 0

    bad = client.get(ISSUANCES, {"since": "2026-13-45"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    reversed_period = client.get(ISSUANCES, {"since": "2026-11-28", "until": "2026-11-01"})
    assert reversed_period.status_code == 400

    rows = _audits("certificate.log_list")
    assert rows
    assert rows[-1].actor_username == "auditor"
    assert rows[0].details.get("voided") is None
    assert any(row.details.get("voided") == "True" for row in rows)


def test_issuance_log_csv_is_streamed_and_audited(client_for: Any, clerk: Person, residents: list[Resident]) -> None:
    issuance = _issue(clerk, residents[0])
    client = client_for("tanaka", "nakatosa")
    response = client.get(ISSUANCES, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["number", "kind", "kind_label"]
    assert table[1][0] == issuance.number
    assert table[1][-1] == residents[0].atena_number
    assert "山田" not in text
    assert _audits("certificate.log_export")


def test_teacher_is_refused_the_logs(client_for: Any, residents: list[Resident]) -> None:
    client = client_for("sato", "shimanto")
    for url in (ISSUANCES, ATTENTION):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


# --- 支援措置 alert API -------------------------------------------------------------------------------


def test_attention_list_shows_ending_and_lapsed_without_perpetrator(
    client_for: Any, clerk: Person, residents: list[Resident]
) -> None:
    with schema_context("nakatosa"):
        lapsed = support.apply_support_measure(
            actor=clerk, resident=residents[0], scopes=[SupportScope.CERTIFICATE],
            start_on=date(2025, 10, 1), end_on=date(2026, 9, 30), perpetrator="加害者 甲野",
        )  # fmt: skip
        ending = support.apply_support_measure(
            actor=clerk, resident=residents[1], scopes=[SupportScope.CERTIFICATE],
            start_on=date(2026, 1, 1), end_on=date(2026, 12, 20), perpetrator="加害者 乙野",
        )  # fmt: skip
        support.apply_support_measure(actor=clerk, resident=residents[2], scopes=[SupportScope.CERTIFICATE])
    response = client_for("auditor", "nakatosa").get(ATTENTION)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["atena_number"], r["status"], r["end_on"]) for r in results] == [
        (lapsed.resident.atena_number, "lapsed", "2026-09-30"),
        (ending.resident.atena_number, "ending_soon", "2026-12-20"),
    ]
    assert "加害者" not in response.content.decode()
    assert "perpetrator" not in results[0]
    assert _audits("support_measure.attention_list")


# --- 見本 (certificate preview) ------------------------------------------------------------------------


def _pdf_text(document: bytes) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "preview.pdf"
        path.write_bytes(document)
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout


def _certificate_post(resident: Resident, **extra: str) -> dict[str, Any]:
    return {
        "kind": CertificateKind.RESIDENCE_COPY,
        "members": [str(resident.pk)],
        "purpose": "年金の手続",
        "requester_kind": "self",
        "requested_by": "本人",
        **extra,
    }


def test_preview_service_is_watermarked_and_writes_no_issuance(clerk: Person, residents: list[Resident]) -> None:
    with schema_context("nakatosa"):
        before = CertificateIssuance.objects.count()
        document = certificates.preview_certificate(
            actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="年金の手続", residents=[residents[0]]
        )
        assert CertificateIssuance.objects.count() == before
        row = AuditEvent.objects.filter(action="resident.certificate_preview").order_by("-seq").first()
    assert document.startswith(b"%PDF")
    assert row is not None
    assert row.purpose == "年金の手続"
    assert row.object_repr == f"住民 {residents[0].atena_number}"
    assert row.details["persons"] == [residents[0].atena_number]
    text = _pdf_text(document)
    if text is not None:
        assert "見本" in text
        assert "住" in text
        assert "確認URL" not in text
        assert "発行番号　" not in text
        assert "第0000" not in text


def test_preview_page_serves_an_inline_pdf_in_a_frame(
    client_for: Any, clerk: Person, residents: list[Resident]
) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"/resident_records/residents/{residents[0].atena_number}/certificate/"
    confirm = client.post(url, _certificate_post(residents[0]))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    preview_url = f"/resident_records/residents/{residents[0].atena_number}/certificate/preview/"
    assert "<iframe" in page
    assert preview_url in page

    response = client.get(preview_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Cache-Control"] == "no-store"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "object-src 'self'" in policy
    assert "frame-src 'self'" in confirm["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in confirm["Content-Security-Policy"]
    text = _pdf_text(response.content)
    if text is not None:
        assert "見本" in text
    with schema_context("nakatosa"):
        assert not CertificateIssuance.objects.exists()

    # Without a confirmation in this session there is nothing to preview.
    assert client_for("yamamoto", "nakatosa").get(preview_url).status_code == 404


def test_preview_is_refused_under_a_support_measure(client_for: Any, clerk: Person, residents: list[Resident]) -> None:
    with schema_context("nakatosa"):
        support.apply_support_measure(actor=clerk, resident=residents[0], scopes=[SupportScope.CERTIFICATE])
        with pytest.raises(support.SupportMeasureBlocked):
            certificates.preview_certificate(
                actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="年金の手続", residents=[residents[0]]
            )
    client = client_for("tanaka", "nakatosa")
    url = f"/resident_records/residents/{residents[0].atena_number}/certificate/"
    confirm = client.post(url, _certificate_post(residents[0]))
    assert confirm.status_code == 403
    assert "支援措置が設定されている" in confirm.content.decode()
    assert "<iframe" not in confirm.content.decode()
    assert client.get(url + "preview/").status_code == 404
    with schema_context("nakatosa"):
        assert not CertificateIssuance.objects.exists()
        refused = AuditEvent.objects.filter(action="certificate.refused").order_by("-seq").first()
    assert refused is not None
    assert refused.details.get("preview") is True


# --- 支援措置 screens ---------------------------------------------------------------------------------


@pytest.fixture
def officer(new_person: Any) -> Person:
    person: Person = new_person("support-officer-ui", nakatosa=Role.SUPPORT_MEASURE_OFFICER)
    return person


def _with_purpose(client: Any, resident: Resident) -> None:
    response = client.get(f"/resident_records/residents/{resident.atena_number}/", {"purpose": "支援措置の申出の受付"})
    assert response.status_code == 302


def _measure(resident: Resident) -> SupportMeasure:
    with schema_context("nakatosa"):
        return SupportMeasure.objects.get(resident=resident)


def test_clerk_applies_a_measure_with_a_one_year_default(client_for: Any, residents: list[Resident]) -> None:
    client = client_for("tanaka", "nakatosa")
    _with_purpose(client, residents[1])
    url = f"/resident_records/residents/{residents[1].atena_number}/support/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "令和8年11月27日" in text
    assert "令和9年11月26日" in text
    assert "支援措置を決定する" in text

    empty = client.post(url, {"kind": "support", "start_on": "令和8年11月27日"})
    assert empty.status_code == 400
    assert "対象事務を1つ以上選んでください" in empty.content.decode()
    reversed_period = client.post(
        url, {"kind": "support", "scopes": ["certificate"], "start_on": "令和8年11月27日", "end_on": "令和8年11月1日"}
    )
    assert reversed_period.status_code == 400
    assert "終了日が開始日より前" in reversed_period.content.decode()
    with schema_context("nakatosa"):
        assert not SupportMeasure.objects.exists()

    done = client.post(
        url,
        {
            "kind": "support",
            "scopes": ["inspection", "certificate"],
            "start_on": "令和8年11月27日",
            "accompanying": [str(residents[2].pk)],
            "perpetrator": "加害者 甲野一郎",
        },
    )
    assert done.status_code == 302
    measure = _measure(residents[1])
    assert (measure.start_on, measure.end_on) == (date(2026, 11, 27), date(2027, 11, 26))
    assert measure.scopes == ["inspection", "certificate"]
    with schema_context("nakatosa"):
        assert list(measure.accompanying.all()) == [residents[2]]
    shown = client.get(url).content.decode()
    assert "有効" in shown
    assert "住民票の写し等の交付" in shown
    assert "甲野" not in shown
    # The accompanying person's page shows the measure too, without the perpetrator.
    _with_purpose(client, residents[2])
    resident_page = client.get(f"/resident_records/residents/{residents[2].atena_number}/").content.decode()
    assert "併せて支援を求める者" in resident_page
    assert "甲野" not in resident_page
    # The clerk cannot release: no release buttons, and the service refuses a forged request.
    assert f"/support-measures/{measure.public_id}/release/" not in shown
    refused = client.post(
        f"/resident_records/support-measures/{measure.public_id}/release/", {"reason": "再審査の結果"}
    )
    assert refused.status_code == 403
    assert "支援措置責任者だけが行えます" in refused.content.decode()
    assert _measure(residents[1]).status == SupportMeasureStatus.ACTIVE


def test_extension_opens_one_month_before_the_end(client_for: Any, clerk: Person, residents: list[Resident]) -> None:
    with schema_context("nakatosa"):
        early = support.apply_support_measure(
            actor=clerk, resident=residents[0], scopes=[SupportScope.CERTIFICATE], start_on=date(2026, 1, 1)
        )
        due = support.apply_support_measure(
            actor=clerk, resident=residents[1], scopes=[SupportScope.CERTIFICATE], start_on=date(2025, 12, 28)
        )
    client = client_for("tanaka", "nakatosa")
    _with_purpose(client, residents[0])
    page = client.get(f"/resident_records/residents/{residents[0].atena_number}/support/").content.decode()
    assert "延長は令和8年11月30日から" in page
    refused = client.post(f"/resident_records/support-measures/{early.public_id}/extend/", follow=True)
    assert "1か月前の令和8年11月30日から申し出ることができます" in refused.content.decode()
    assert _measure(residents[0]).end_on == date(2026, 12, 31)

    # Ends on 27 December 2026: the window opened today; one more year from the day after the end.
    extended = client.post(f"/resident_records/support-measures/{due.public_id}/extend/", follow=True)
    assert "令和9年12月27日まで延長しました" in extended.content.decode()
    assert _measure(residents[1]).end_on == date(2027, 12, 27)
    assert _audits("support_measure.extend")


def test_officer_releases_and_temporarily_releases(
    client_for: Any, clerk: Person, officer: Person, residents: list[Resident]
) -> None:
    with schema_context("nakatosa"):
        first = support.apply_support_measure(actor=clerk, resident=residents[0], scopes=[SupportScope.CERTIFICATE])
        second = support.apply_support_measure(actor=clerk, resident=residents[1], scopes=[SupportScope.CERTIFICATE])
    client = client_for("support-officer-ui", "nakatosa")
    _with_purpose(client, residents[0])
    page = client.get(f"/resident_records/residents/{residents[0].atena_number}/support/").content.decode()
    assert f"/support-measures/{first.public_id}/release/" in page
    assert "支援措置を決定する" not in page

    form = client.get(f"/resident_records/support-measures/{first.public_id}/temporary-release/")
    assert form.status_code == 200
    assert 'value="30"' in form.content.decode()
    missing = client.post(f"/resident_records/support-measures/{first.public_id}/temporary-release/", {"minutes": "30"})
    assert missing.status_code == 400
    assert "一時解除の目的を入力してください" in missing.content.decode()
    released = client.post(
        f"/resident_records/support-measures/{first.public_id}/temporary-release/",
        {"purpose": "本人からの住民票の写しの請求", "minutes": "30"},
        follow=True,
    )
    text = released.content.decode()
    assert "令和8年11月27日 10時30分に自動的に再設定されます" in text
    assert "一時解除中" in text
    assert "再設定" in text
    with schema_context("nakatosa"):
        assert support.blocking_measure(resident=residents[0], scope=SupportScope.CERTIFICATE) is None
        release = TemporaryRelease.objects.get(measure=first)
    assert release.relock_at == NOW + timedelta(minutes=30)

    blank = client.post(f"/resident_records/support-measures/{second.public_id}/release/", {"reason": "  "})
    assert blank.status_code == 400
    assert _measure(residents[1]).status == SupportMeasureStatus.ACTIVE
    done = client.post(
        f"/resident_records/support-measures/{second.public_id}/release/", {"reason": "申出者からの解除の申出"}
    )
    assert done.status_code == 302
    measure = _measure(residents[1])
    assert measure.status == SupportMeasureStatus.RELEASED
    assert measure.release_reason == "申出者からの解除の申出"
    again = client.post(f"/resident_records/support-measures/{second.public_id}/release/", {"reason": "重ねて"})
    assert again.status_code == 409
    assert "すでに解除されています" in again.content.decode()
    assert _audits("support_measure.release")
    assert _audits("support_measure.temporary_release")


def test_attention_page_and_auditor_reads_only(client_for: Any, clerk: Person, residents: list[Resident]) -> None:
    with schema_context("nakatosa"):
        lapsed = support.apply_support_measure(
            actor=clerk, resident=residents[0], scopes=[SupportScope.CERTIFICATE],
            start_on=date(2025, 10, 1), end_on=date(2026, 9, 30), perpetrator="加害者 丙野",
        )  # fmt: skip
        support.apply_support_measure(actor=clerk, resident=residents[1], scopes=[SupportScope.CERTIFICATE])
    client = client_for("auditor", "nakatosa")
    page = client.get("/resident_records/support-measures/attention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert residents[0].atena_number in text
    assert residents[1].atena_number not in text
    assert "期間経過" in text
    assert "丙野" not in text
    assert "山田" not in text
    assert client.post(f"/resident_records/support-measures/{lapsed.public_id}/extend/").status_code == 403
    refused = client.post(f"/resident_records/support-measures/{lapsed.public_id}/release/", {"reason": "監査"})
    assert refused.status_code == 403
    assert _measure(residents[0]).status == SupportMeasureStatus.ACTIVE


def test_a_household_preview_writes_one_row_listing_everyone_shown(clerk: Person, residents: list[Resident]) -> None:
    """docs/audit.md «One row per view»: before, one row per member printed (3 rows for this household)."""
    with schema_context("nakatosa"):
        before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        certificates.preview_certificate(
            actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="年金の手続", household=residents[0].household
        )
        rows = list(AuditEvent.objects.filter(action="resident.certificate_preview", seq__gt=before))
    assert len(rows) == 1
    assert sorted(rows[0].details["persons"]) == sorted(r.atena_number for r in residents)

"""Certificates: the printed 住民票の写し / 除票の写し, the 交付履歴, voiding, 支援措置 refusals, verification.

The printed text is read back with ``pdftotext`` (poppler-utils; CI installs it). Pages are separated by a
form feed in its output, which is how "the 認証文 on the last page only" is checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, include, path, reverse
from django_tenants.utils import schema_context

import config.urls
from common import verification
from common.errors import ValidationFailed
from common.models import AuditEvent
from resident_records import certificates, services, support
from resident_records.certificates import CertificateAlreadyVoid, CertificateOptions
from resident_records.errors import MyNumberNotAllowed
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    CertificateSerial,
    Household,
    RequesterKind,
    Resident,
    ResidentStatus,
    ResidentType,
    SupportScope,
)
from resident_records.support import SupportMeasureBlocked
from tenants.models import Person, Role
from tests.conftest import HOSTS
from tests.resident_records.factories import family, person

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 11, 27)
CODE = "ABCDEFGHJKLMNPQR"
ADDRESS = "高知県高岡郡中土佐町久礼6584番地1"
DOMICILE = "高知県高岡郡中土佐町久礼100番地"

# The verification page is mounted by config/urls.py; until it is, these tests mount it themselves.
try:
    reverse("verify:form")
    urlpatterns = config.urls.urlpatterns
except NoReverseMatch:
    urlpatterns = [*config.urls.urlpatterns, path("verify/", include("resident_records.urls_public"))]

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"
)


def pages_of(document: bytes) -> list[str]:
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    text = result.stdout.decode("utf-8")
    return [page for page in text.split("\f") if page.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def officer(new_person: Any) -> Person:
    officer: Person = new_person("cert-support-officer", nakatosa=Role.SUPPORT_MEASURE_OFFICER)
    return officer


@pytest.fixture
def in_nakatosa(db: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The first certificate of a test gets CODE, later ones SSSS…, TTTT… (the code is only stored hashed).
    codes = iter([CODE, *(letter * 16 for letter in "STUVWXYZ")])
    monkeypatch.setattr(certificates, "new_verification_code", lambda: next(codes))
    with schema_context("nakatosa"), time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        yield


def move_in(clerk: Person, members: list[Any] | None = None) -> Household:
    first = person(my_number="123456789018", resident_code="12345678901", domicile=DOMICILE, domicile_head="山田 太郎")
    event = services.record_move_in(
        actor=clerk,
        event_date=date(2026, 11, 20),
        notified_on=date(2026, 11, 24),
        address=ADDRESS,
        previous_address="高知県高知市本町1丁目1番1号",
        members=members or [first, *family()[1:]],
    )
    assert event.household is not None
    return event.household


def members_of(household: Household) -> list[Resident]:
    return list(Resident.objects.filter(household=household).order_by("pk"))


def issue(clerk: Person, **kwargs: Any) -> tuple[CertificateIssuance, bytes]:
    kwargs.setdefault("kind", CertificateKind.RESIDENCE_COPY)
    kwargs.setdefault("requester_kind", RequesterKind.SELF)
    return certificates.issue_certificate(actor=clerk, purpose="勤務先への提出", requested_by="本人", **kwargs)


# --- issuance ----------------------------------------------------------------------------------------


def test_whole_household_copy_writes_the_log_and_one_audit_row_per_resident(in_nakatosa: None, clerk: Person) -> None:
    household = move_in(clerk)
    before = AuditEvent.objects.count()
    issuance, document = issue(clerk, household=household, options=CertificateOptions(fee=300))
    assert document.startswith(b"%PDF")
    assert re.fullmatch(r"令和8年第\d{6}号", issuance.number)
    assert issuance.kind == CertificateKind.RESIDENCE_COPY
    assert issuance.whole_household
    assert issuance.household == household
    assert issuance.page_count >= 1
    assert issuance.fee == 300
    assert issuance.issued_by_id == clerk.pk
    assert issuance.issued_by_name == clerk.full_name
    assert (issuance.requested_by, issuance.purpose) == ("本人", "勤務先への提出")
    assert issuance.verification_code_sha256 == verification.code_digest(CODE)
    assert CODE not in str(CertificateIssuance.objects.filter(pk=issuance.pk).values().get())
    assert len(issuance.pdf_sha256) == 64
    assert set(issuance.residents.all()) == set(members_of(household))
    rows = list(AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[:3])
    assert AuditEvent.objects.count() == before + 3
    assert {r.action for r in rows} == {"certificate.issue"}
    assert all(r.personal_data and r.purpose == "勤務先への提出" for r in rows)
    assert all(r.details["number"] == issuance.number for r in rows)
    assert all("山田" not in r.object_repr for r in rows)


def test_numbers_follow_each_other_within_the_year(in_nakatosa: None, clerk: Person, monkeypatch: Any) -> None:
    household = move_in(clerk)
    codes = iter(["AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB"])
    monkeypatch.setattr(certificates, "new_verification_code", lambda: next(codes))
    first, _ = issue(clerk, household=household)
    second, _ = issue(clerk, household=household)
    assert (first.year, second.year) == (2026, 2026)
    assert second.serial == first.serial + 1
    assert CertificateSerial.objects.get(year=2026).last_number == second.serial


@needs_pdftotext
def test_printed_household_copy(in_nakatosa: None, clerk: Person) -> None:
    household = move_in(clerk)
    issuance, document = issue(clerk, household=household)
    pages = pages_of(document)
    assert len(pages) == issuance.page_count
    text = squash("".join(pages))
    assert "住民票" in text
    assert "中土佐町長" in text
    assert issuance.number in text
    # 和暦 dates: birth 1980-05-01, 住所を定めた年月日 2026-11-20 with the notice of 2026-11-24
    assert "昭和55年5月1日" in text
    assert "令和8年11月20日" in text
    assert "届出年月日令和8年11月24日" in text
    assert "山田太郎" in text
    assert "ヤマダタロウ" in text
    assert "高知県高知市本町1丁目1番1号" in text
    # Order: 世帯主, 妻, 子
    assert text.index("山田太郎") < text.index("山田花子") < text.index("山田一郎")
    # Omitted unless asked (§5.1), and the omission is stated.
    assert DOMICILE not in text
    assert "123456789018" not in text
    assert "12345678901" not in text
    assert "世帯主" not in text.replace("世帯主の氏名及び続柄", "")
    assert "記載を省略" in text
    # The verification code and URL on every page.
    for page in pages:
        assert "ABCD-EFGH-JKLM-NPQR" in page
        assert "http" in page
        assert "/verify/" in page


@needs_pdftotext
def test_the_attestation_is_on_the_last_page_only(in_nakatosa: None, clerk: Person) -> None:
    relatives = [
        person("山田", name, "ヤマダ", kana, birth=date(1950 + i, 1, 1), relationship="母" if i == 0 else "兄")
        for i, (name, kana) in enumerate(
            [("ウメ", "ウメ"), ("次郎", "ジロウ"), ("三郎", "サブロウ"), ("四郎", "シロウ")]
        )
    ]
    household = move_in(clerk, [person(), *family()[1:], *relatives])
    issuance, document = issue(clerk, household=household)
    pages = pages_of(document)
    assert issuance.page_count == len(pages) >= 2
    wording = "この写しは、世帯全員の住民票の原本と相違ないことを証明する。"
    assert wording in squash(pages[-1])
    assert not any(wording in squash(page) or "相違ない" in page for page in pages[:-1])
    for number, page in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in page
        assert issuance.number in squash(page)


@needs_pdftotext
def test_chosen_members_with_requested_items(in_nakatosa: None, clerk: Person) -> None:
    head, wife, _ = members_of(move_in(clerk))
    options = CertificateOptions(head_and_relationship=True, domicile=True, resident_code=True, my_number=True)
    issuance, document = issue(clerk, residents=[wife, head], options=options)
    assert not issuance.whole_household
    assert issuance.include_my_number
    text = squash("".join(pages_of(document)))
    assert "この写しは、住民票の原本と相違ないことを証明する。" in text
    assert "世帯全員" not in text
    assert DOMICILE in text
    assert "123456789018" in text
    assert "12345678901" in text
    assert "世帯主" in text
    assert "記載を省略" not in text
    assert text.index("山田太郎") < text.index("山田花子")  # household order, not the order asked


@needs_pdftotext
def test_foreign_residents_dates_are_western(in_nakatosa: None, clerk: Person) -> None:
    foreigner = person(
        "グエン",
        "ヴァン アン",
        "グエン",
        "ヴァンアン",
        birth=date(1995, 3, 14),
        resident_type=ResidentType.FOREIGN,
        nationality="ベトナム",
        residence_status="技能実習",
        residence_period_end=date(2028, 3, 31),
    )
    household = move_in(clerk, [foreigner])
    _, document = issue(clerk, household=household)
    text = squash("".join(pages_of(document)))
    assert "1995年3月14日" in text
    assert "2028年3月31日" in text
    assert "平成7年" not in text
    assert "ベトナム" in text
    assert "技能実習" in text
    assert "令和8年11月20日" in text  # the register's own dates stay 和暦


@needs_pdftotext
def test_a_pending_move_out_is_printed_only_from_its_planned_date(in_nakatosa: None, clerk: Person) -> None:
    household = move_in(clerk)
    Resident.objects.filter(household=household).update(
        moving_out_on=date(2026, 12, 10), moving_out_address="東京都千代田区千代田1番1号"
    )
    _, document = issue(clerk, household=household)
    assert "東京都千代田区" not in squash("".join(pages_of(document)))
    Resident.objects.filter(household=household).update(moving_out_on=date(2026, 11, 26))
    _, document = issue(clerk, household=household)
    text = squash("".join(pages_of(document)))
    assert "東京都千代田区千代田1番1号" in text
    assert "令和8年11月26日" in text


@needs_pdftotext
def test_removed_copy(in_nakatosa: None, clerk: Person) -> None:
    head, *_ = members_of(move_in(clerk))
    Resident.objects.filter(pk=head.pk).update(
        status=ResidentStatus.DECEASED, removed_on=date(2026, 11, 25), removal_reason="死亡"
    )
    head.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        issue(clerk, residents=[head])
    assert caught.value.code == "not_resident"
    issuance, document = issue(clerk, kind=CertificateKind.REMOVED_COPY, residents=[head])
    text = squash("".join(pages_of(document)))
    assert "除票" in text
    assert "死亡" in text
    assert "令和8年11月25日" in text
    assert "この写しは、除票の原本と相違ないことを証明する。" in text
    assert issuance.kind == CertificateKind.REMOVED_COPY


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"residents": []}, "no_residents"),
        ({"kind": "passport"}, "invalid_certificate_kind"),
        ({"purpose": " "}, "purpose_required"),
        ({"requested_by": ""}, "requester_required"),
    ],
)
def test_bad_requests_write_nothing(in_nakatosa: None, clerk: Person, kwargs: dict[str, Any], code: str) -> None:
    move_in(clerk)
    before = (CertificateIssuance.objects.count(), AuditEvent.objects.count())
    arguments: dict[str, Any] = {
        "actor": clerk,
        "kind": CertificateKind.RESIDENCE_COPY,
        "purpose": "提出",
        "requested_by": "本人",
        **kwargs,
    }
    with pytest.raises(ValidationFailed) as caught:
        certificates.issue_certificate(**arguments)
    assert caught.value.code == code
    assert (CertificateIssuance.objects.count(), AuditEvent.objects.count()) == before


def test_members_of_two_households_cannot_share_a_paper(in_nakatosa: None, clerk: Person) -> None:
    first = members_of(move_in(clerk))[0]
    second = members_of(move_in(clerk, [person("川村", "健", "カワムラ", "ケン")]))[0]
    with pytest.raises(ValidationFailed) as caught:
        issue(clerk, residents=[first, second])
    assert caught.value.code == "mixed_households"


# --- 支援措置 -------------------------------------------------------------------------------------------


def test_issuance_under_a_support_measure_is_refused_and_writes_nothing(
    in_nakatosa: None, clerk: Person, officer: Person
) -> None:
    household = move_in(clerk)
    _, wife, child = members_of(household)
    measure = support.apply_support_measure(
        actor=clerk, resident=wife, scopes=[SupportScope.CERTIFICATE], accompanying=[child]
    )
    serials = list(CertificateSerial.objects.values_list("year", "last_number"))
    before = AuditEvent.objects.count()
    for request in ({"household": household}, {"residents": [child]}):
        with pytest.raises(SupportMeasureBlocked) as caught:
            issue(clerk, **request)
        assert "支援措置責任者" in caught.value.message
    assert not CertificateIssuance.objects.exists()
    assert list(CertificateSerial.objects.values_list("year", "last_number")) == serials
    refusals = list(AuditEvent.objects.filter(seq__gt=0).order_by("seq").filter(action__startswith="certificate"))
    assert AuditEvent.objects.count() == before + 2
    assert [r.action for r in refusals] == ["certificate.refused", "certificate.refused"]
    assert all(r.personal_data and r.purpose == "勤務先への提出" for r in refusals)

    support.temporarily_release(actor=officer, measure=measure, purpose="本人への交付")
    issuance, _ = issue(clerk, household=household)
    assert issuance.residents.count() == 3
    later = time_machine.travel(datetime(2026, 11, 27, 11, 0, tzinfo=TOKYO), tick=False)
    with later, pytest.raises(SupportMeasureBlocked):
        issue(clerk, household=household)


# --- voiding -------------------------------------------------------------------------------------------


def test_void_once_with_a_reason(in_nakatosa: None, clerk: Person) -> None:
    issuance, _ = issue(clerk, household=move_in(clerk))
    with pytest.raises(ValidationFailed):
        certificates.void_certificate(actor=clerk, issuance=issuance, reason="  ")
    voided = certificates.void_certificate(actor=clerk, issuance=issuance, reason="記載誤りのため再交付")
    assert voided.voided_at is not None
    assert voided.voided_by_name == clerk.full_name
    row = AuditEvent.objects.get(action="certificate.void")
    assert row.object_id == str(issuance.pk)
    assert "記載誤り" in row.purpose
    with pytest.raises(CertificateAlreadyVoid):
        certificates.void_certificate(actor=clerk, issuance=issuance, reason="再度")
    for change in ({"purpose": "改ざん"}, {"voided_at": None, "void_reason": ""}):
        with pytest.raises(DatabaseError), transaction.atomic():
            CertificateIssuance.objects.filter(pk=issuance.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        CertificateIssuance.objects.filter(pk=issuance.pk).delete()


def test_the_log_refuses_edits_before_voiding_too(in_nakatosa: None, clerk: Person) -> None:
    issuance, _ = issue(clerk, household=move_in(clerk))
    with pytest.raises(DatabaseError), transaction.atomic():
        CertificateIssuance.objects.filter(pk=issuance.pk).update(page_count=99)


# --- verification ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [CODE, "abcd-efgh-jkLm-npqr", "ＡＢＣＤ－ＥＦＧＨ ＪＫＬＭ ＮＰＱＲ"])
def test_codes_are_read_as_typed(typed: str) -> None:
    assert verification.normalize_code(typed) == CODE
    assert verification.normalize_code("ABCD") is None
    assert verification.normalize_code("ABCDEFGHJKLMNPQ1") is None


def test_verification_service(in_nakatosa: None, clerk: Person) -> None:
    issuance, _ = issue(clerk, household=move_in(clerk))
    result = verification.verify_certificate(code="ABCD-EFGH-JKLM-NPQR")
    assert result is not None
    assert not result.voided
    assert (result.number, result.kind, result.issued_on, result.town) == (
        issuance.number,
        "住民票の写し",
        "令和8年11月27日",
        "中土佐町",
    )
    assert verification.verify_certificate(code="QQQQ-QQQQ-QQQQ-QQQQ") is None
    certificates.void_certificate(actor=clerk, issuance=issuance, reason="汚損")
    voided = verification.verify_certificate(code=CODE)
    assert voided is not None
    assert voided.voided
    assert voided.voided_on == "令和8年11月27日"
    rows = list(AuditEvent.objects.filter(action="certificate.verify").order_by("seq"))
    assert [r.details["result"] for r in rows] == ["genuine", "not_found", "void"]
    assert not any(r.personal_data for r in rows)


@pytest.fixture
def public_client(in_nakatosa: None) -> Client:
    cache.delete(verification.rate_key("127.0.0.1"))
    return Client(HTTP_HOST=HOSTS["nakatosa"])


@pytest.mark.urls(__name__)
def test_verification_page_answers_anyone_without_personal_data(public_client: Client, clerk: Person) -> None:
    household = move_in(clerk)
    issuance, _ = issue(
        clerk, household=household, options=CertificateOptions(head_and_relationship=True, domicile=True)
    )
    form = public_client.get("/verify/")
    assert form.status_code == 200
    assert "確認コード" in form.content.decode()
    assert public_client.get("/verify/", {"code": "abcd efgh jklm npqr"})["Location"] == f"/verify/{CODE}/"
    assert public_client.get("/verify/", {"code": "nonsense"}).status_code == 400

    genuine = public_client.get(f"/verify/{CODE}/")
    body = genuine.content.decode()
    assert genuine.status_code == 200
    assert issuance.number in body
    assert "住民票の写し" in body
    assert "令和8年11月27日" in body
    assert "有効" in body
    for resident in members_of(household):
        for private in (resident.family_name, resident.given_name, resident.family_name_kana, resident.atena_number):
            assert private not in body
    assert "久礼" not in body
    assert "高知市本町" not in body
    assert household.number not in body

    missing = public_client.get("/verify/QQQQQQQQQQQQQQQQ/")
    assert missing.status_code == 200
    assert "見つかりません" in missing.content.decode()
    assert issuance.number not in missing.content.decode()

    certificates.void_certificate(actor=clerk, issuance=issuance, reason="再交付")
    voided = public_client.get(f"/verify/{CODE}/")
    assert voided.status_code == 200
    assert "無効" in voided.content.decode()
    garbage = public_client.get("/verify/1/")  # cannot be a code: answered without a look-up or an audit row
    assert garbage.status_code == 200
    assert "見つかりません" in garbage.content.decode()
    rows = AuditEvent.objects.filter(action="certificate.verify")
    assert rows.count() == 3
    assert not rows.filter(personal_data=True).exists()
    assert not rows.exclude(actor_id=None).exists()


@pytest.mark.urls(__name__)
@override_settings(KYODO_VERIFY_RATE_PER_MINUTE=2)
def test_verification_page_is_rate_limited(public_client: Client) -> None:
    for _ in range(2):
        assert public_client.get("/verify/QQQQQQQQQQQQQQQQ/").status_code == 200
    assert public_client.get("/verify/not-a-code/").status_code == 200  # not counted
    refused = public_client.get("/verify/QQQQQQQQQQQQQQQQ/")
    assert refused.status_code == 429
    assert "待って" in refused.content.decode()
    assert AuditEvent.objects.filter(action="certificate.verify").count() == 2


@needs_pdftotext
def test_entry_certificate(in_nakatosa: None, clerk: Person) -> None:
    household = move_in(clerk)
    head = members_of(household)[0]
    issuance, document = issue(clerk, kind=CertificateKind.ENTRY_CERTIFICATE, residents=[head])
    text = squash("".join(pages_of(document)))
    assert "住民票記載事項証明書" in text
    assert "上記の事項は、住民票の原本と相違ないことを証明する。" in text
    assert "山田花子" not in text
    assert issuance.residents.get() == head
    with pytest.raises(ValidationFailed) as caught:
        issue(clerk, kind=CertificateKind.REMOVED_COPY, household=household)
    assert caught.value.code == "removed_copy_by_person"


# --- 個人番号: only for 本人 and the household (住基法 第12条第1項), printed as an audited reveal ---------------


@pytest.mark.parametrize("requester", [RequesterKind.AGENT, RequesterKind.THIRD_PARTY, RequesterKind.PUBLIC_BODY])
@pytest.mark.parametrize("step", ["confirm", "preview", "issue"])
def test_my_number_refused_to_anyone_but_the_person_and_the_household(
    in_nakatosa: None, clerk: Person, requester: str, step: str
) -> None:
    head, _, _ = members_of(move_in(clerk))
    before = AuditEvent.objects.count()
    options = CertificateOptions(my_number=True)
    with pytest.raises(MyNumberNotAllowed) as refused:
        if step == "confirm":
            certificates.ensure_issuable(
                actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="相続", residents=[head], options=options,
                requester_kind=requester,
            )  # fmt: skip
        elif step == "preview":
            certificates.preview_certificate(
                actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="相続", residents=[head], options=options,
                requester_kind=requester,
            )  # fmt: skip
        else:
            issue(clerk, residents=[head], options=options, requester_kind=requester)
    assert refused.value.code == "my_number_not_allowed_for_requester"
    assert "本人又は本人と同一の世帯に属する方" in refused.value.message
    assert not CertificateIssuance.objects.exists()
    assert not CertificateSerial.objects.filter(last_number__gt=0).exists()
    assert AuditEvent.objects.count() == before  # nothing was read


def test_a_third_party_certificate_without_my_number_is_issued(in_nakatosa: None, clerk: Person) -> None:
    head, _, _ = members_of(move_in(clerk))
    issuance, _ = issue(clerk, residents=[head], requester_kind=RequesterKind.THIRD_PARTY)
    assert issuance.requester_kind == RequesterKind.THIRD_PARTY
    assert not AuditEvent.objects.filter(action="resident.reveal_my_number").exists()


@needs_pdftotext
@pytest.mark.parametrize("requester", [RequesterKind.SELF, RequesterKind.SAME_HOUSEHOLD])
def test_printing_my_number_is_a_reveal_with_its_audit_row(in_nakatosa: None, clerk: Person, requester: str) -> None:
    head, wife, _ = members_of(move_in(clerk))
    issuance, document = issue(
        clerk, residents=[head, wife], options=CertificateOptions(my_number=True), requester_kind=requester
    )
    assert "123456789018" in squash("".join(pages_of(document)))
    # Only 太郎 has a 個人番号 registered: one reveal, of his, with the certificate's purpose and number.
    [reveal] = AuditEvent.objects.filter(action="resident.reveal_my_number")
    assert reveal.object_id == str(head.pk)
    assert reveal.personal_data
    assert reveal.purpose == "勤務先への提出"
    assert reveal.details == {"channel": "certificate", "number": issuance.number}


def test_the_preview_of_my_number_is_a_reveal_too(in_nakatosa: None, clerk: Person) -> None:
    head, _, _ = members_of(move_in(clerk))
    certificates.preview_certificate(
        actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="相続", residents=[head],
        options=CertificateOptions(my_number=True), requester_kind=RequesterKind.SELF,
    )  # fmt: skip
    [reveal] = AuditEvent.objects.filter(action="resident.reveal_my_number")
    assert reveal.details == {"channel": "certificate", "preview": True}


def test_the_counter_form_shows_the_refusal_in_japanese(client_for: Any, in_nakatosa: None, clerk: Person) -> None:
    head, _, _ = members_of(move_in(clerk))
    client = client_for("tanaka", "nakatosa")
    response = client.post(
        f"/resident_records/residents/{head.atena_number}/certificate/",
        {
            "step": "preview", "kind": CertificateKind.RESIDENCE_COPY, "members": [str(head.pk)], "my_number": "on",
            "requester_kind": RequesterKind.THIRD_PARTY, "requested_by": "株式会社テスト", "purpose": "債権回収",
        },
    )  # fmt: skip
    assert response.status_code == 403
    assert "個人番号を記載した住民票の写しは、本人又は本人と同一の世帯に属する方" in response.content.decode()

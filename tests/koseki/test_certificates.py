"""戸籍証明書 and 附票の写し: what is printed (read back with pdftotext), fees, 発行番号, refusals, 見本, the daily
cash report, 支援措置 on the 附票 (in this town and in the other one), and /verify/ for koseki certificates."""

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
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from common import verification
from common.errors import ValidationFailed
from common.models import AuditEvent
from common.wareki import to_wareki
from koseki import certificates
from koseki.certificates import CertificateKindMismatch, CertificateMembersRequired
from koseki.errors import MemberNotFound
from koseki.models import (
    CertificateIssuance,
    CertificateKind,
    CertificateSerial,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaStatus,
    Koseki,
    KosekiStatus,
    RequesterRelation,
)
from resident_records import services as resident_services
from resident_records import support
from resident_records.models import Resident, SupportScope
from resident_records.support import SupportMeasureBlocked
from tenants.models import Person
from tests.conftest import HOSTS
from tests.koseki.factories import make_koseki, member, members_of, yamada_family
from tests.resident_records.factories import person as resident_input

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
CODE = "ABCDEFGHJKLMNPQR"
PURPOSE = "年金の手続"

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def text_pages(document: bytes) -> list[str]:
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    return [page for page in result.stdout.decode("utf-8").split("\f") if page.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def printed(document: bytes) -> str:
    return squash("".join(text_pages(document)))


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def in_nakatosa(db: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The first certificate of a test gets CODE, later ones SSSS…, TTTT… (only the digest is stored).
    codes = iter([CODE, *(letter * 16 for letter in "STUVWXYZ")])
    monkeypatch.setattr(certificates, "new_verification_code", lambda: next(codes))
    with schema_context("nakatosa"), time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        yield


def realistic_koseki() -> Koseki:
    """山田家: 太郎 (筆頭者, 夫), 花子 (妻), 一郎 (長男), 桜 (長女, married away: 除籍), with a 転籍, a furigana
    entry and a struck (corrected) 出生 entry."""
    koseki = yamada_family(furigana_status=FuriganaStatus.FILED)
    taro, _, ichiro, sakura = members_of(koseki)
    Entry.objects.create(
        koseki=koseki,
        kind=EntryKind.TRANSFER,
        event_date=date(2010, 6, 1),
        fields=[["転籍日", "平成22年6月1日"], ["従前本籍", "高知県高知市本町1丁目5番地"]],
    )
    Entry.objects.create(
        koseki=koseki,
        member=ichiro,
        kind=EntryKind.BIRTH,
        event_date=ichiro.birth_date,
        fields=[["出生日", "平成18年4月3日"], ["出生地", "高知県高知市(誤記)"]],
        is_struck=True,
        struck_at=timezone.now(),
        struck_reason="出生地の誤記の職権訂正",
    )
    Entry.objects.create(
        koseki=koseki,
        member=taro,
        kind=EntryKind.FURIGANA,
        event_date=date(2025, 9, 1),
        fields=[["届出日", "令和7年9月1日"], ["氏の振り仮名", "ヤマダ"], ["名の振り仮名", "タロウ"]],
    )
    sakura.is_removed, sakura.removed_on, sakura.removed_reason = True, date(2026, 10, 10), "婚姻"
    sakura.save(update_fields=["is_removed", "removed_on", "removed_reason"])
    Entry.objects.create(
        koseki=koseki,
        member=sakura,
        kind=EntryKind.MARRIAGE,
        event_date=date(2026, 10, 10),
        fields=[
            ["婚姻日", "令和8年10月10日"],
            ["配偶者氏名", "鈴木翔"],
            ["新本籍", "高知県高岡郡中土佐町上ノ加江20番地"],
        ],
    )
    return koseki


def issue(clerk: Person, koseki: Koseki, kind: str = CertificateKind.FULL, **kwargs: Any) -> Any:
    kwargs.setdefault("requester_name", "山田　太郎")
    kwargs.setdefault("requester_relation", RequesterRelation.SELF)
    kwargs.setdefault("id_document", "運転免許証")
    kwargs.setdefault("purpose", PURPOSE)
    return certificates.issue_certificate(actor=clerk, koseki=koseki, kind=kind, **kwargs)


def nothing_written(before_audit: int) -> None:
    assert not CertificateIssuance.objects.exists()
    assert not CertificateSerial.objects.filter(last_number__gt=0).exists()
    assert AuditEvent.objects.count() == before_audit


# --- 全部事項証明書 ----------------------------------------------------------------------------------


def test_full_certificate_writes_the_log_the_fee_and_one_audit_row(in_nakatosa: None, clerk: Person) -> None:
    koseki = realistic_koseki()
    before = AuditEvent.objects.count()
    issued = issue(clerk, koseki)
    issuance = issued.issuance
    assert issued.pdf.startswith(b"%PDF")
    assert issued.code == "ABCD-EFGH-JKLM-NPQR"
    assert re.fullmatch(r"令和8年戸籍第\d{6}号", issuance.number)
    assert (issuance.kind, issuance.koseki, issuance.fee, issuance.wide_area) == (
        CertificateKind.FULL,
        koseki,
        450,
        False,
    )
    assert issuance.member_keys == [str(m.person_key) for m in members_of(koseki)]
    assert (issuance.koseki_number, issuance.honseki, issuance.head_name) == (
        koseki.number,
        koseki.honseki,
        "山田\u3000太郎",
    )
    assert (issuance.requester_relation, issuance.id_document, issuance.purpose) == ("self", "運転免許証", PURPOSE)
    assert issuance.issued_by_id == clerk.pk
    assert issuance.page_count >= 1
    assert issuance.verification_code_sha256 == verification.code_digest(CODE)
    assert CODE not in str(CertificateIssuance.objects.filter(pk=issuance.pk).values().get())
    [row] = AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[:1]
    assert AuditEvent.objects.count() == before + 1
    assert (row.action, row.personal_data, row.purpose) == ("koseki.certificate_issue", True, PURPOSE)
    assert row.details["number"] == issuance.number
    assert row.details["fee"] == 450
    assert row.details["members"] == 4
    assert "山田" not in row.object_repr
    assert koseki.number in row.object_repr


@needs_pdftotext
def test_printed_full_certificate_reads_like_the_real_one(in_nakatosa: None, clerk: Person) -> None:
    koseki = realistic_koseki()
    issued = issue(clerk, koseki)
    pages = text_pages(issued.pdf)
    assert len(pages) == issued.issuance.page_count
    text = squash("".join(pages))
    # Order: title, 本籍, 氏名, 戸籍事項 (編製, 転籍), then each person with 身分事項, 以下余白, 認証文.
    order = [
        "全部事項証明",
        "本籍高知県高岡郡中土佐町久礼１番地",
        "氏名山田太郎",
        "戸籍事項",
        "戸籍編製【編製日】平成１７年４月１日",
        "転籍【転籍日】平成２２年６月１日",
        "【従前本籍】高知県高知市本町１丁目５番地",
        "戸籍に記録されている者【名】太郎",
        "【生年月日】昭和５５年５月１日【配偶者区分】夫",
        "身分事項",
        "出生【出生日】昭和５５年５月１日",
        "氏名の振り仮名【届出日】令和７年９月１日",
        "【名】花子",
        "【名】一郎",
        "【名】桜",
        "婚姻【婚姻日】令和８年１０月１０日",
        "以下余白",
        "これは、戸籍に記録されている事項の全部を証明した書面である。",
        "令和８年１１月２７日",
        "中土佐町長",
    ]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [part for part, at in zip(order, positions, strict=True) if at == -1]
    assert positions == sorted(positions)
    assert "【父】山田太郎" in text
    assert "【母】山田花子" in text
    assert "【続柄】長男" in text
    assert "【名の振り仮名】イチロウ" in text
    assert "氏の振り仮名ヤマダ" in text
    # 桜 left on marriage: marked 除籍 in her block; the struck entry is not printed.
    assert "除籍" in text[text.index("【名】桜") - 10 : text.index("婚姻【婚姻日】令和８年１０月１０日")]
    assert "誤記" not in text
    assert "職権訂正" not in text
    # Digits of dates and places are full-width; the footer keeps the 発行番号 and code as printed.
    assert "昭和55年" not in text
    assert "1番地" not in text.replace("１番地", "")
    for page in pages:
        assert issued.issuance.number in squash(page)
        assert "ABCD-EFGH-JKLM-NPQR" in page
        assert "/verify/" in page


@needs_pdftotext
def test_a_long_register_runs_over_pages_with_the_attestation_on_the_last(in_nakatosa: None, clerk: Person) -> None:
    koseki = realistic_koseki()
    ichiro = members_of(koseki)[2]
    for year in range(2000, 2030):
        Entry.objects.create(
            koseki=koseki,
            member=ichiro,
            kind=EntryKind.CORRECTION,
            event_date=date(year, 1, 1) if year < 2026 else date(2026, 1, year - 2025),
            fields=[["訂正日", to_wareki(date(2026, 1, 1))], ["訂正事項", "記載事項"], ["記録の内容", "架空" * 10]],
        )
    issued = issue(clerk, koseki)
    pages = text_pages(issued.pdf)
    assert issued.issuance.page_count == len(pages) >= 2
    wording = "これは、戸籍に記録されている事項の全部を証明した書面である。"
    assert wording in squash(pages[-1])
    assert not any(wording in squash(page) for page in pages[:-1])
    for number, page in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in page


@needs_pdftotext
def test_a_register_written_by_the_notification_services(in_nakatosa: None, clerk: Person) -> None:
    """End to end with the 届出 services: a marriage compiles a register, a birth enters a child."""
    from koseki import services

    husband = services.OutsidePerson(
        family_name="川村", given_name="誠", birth_date=date(1994, 4, 4), sex="1", father_name="川村修",
        mother_name="川村恵", relationship="長男", honseki="高知県高知市本町1丁目5番地", head_name="川村修",
        family_name_kana="カワムラ", given_name_kana="マコト",
    )  # fmt: skip
    wife = services.OutsidePerson(
        family_name="森", given_name="光", birth_date=date(1996, 6, 6), sex="2", father_name="森剛",
        mother_name="森泉", relationship="長女", honseki="高知県須崎市西町2番地", head_name="森剛",
        family_name_kana="モリ", given_name_kana="ヒカリ",
    )  # fmt: skip
    notice = services.record_marriage(
        actor=clerk, husband=husband, wife=wife, surname_of="husband", married_on=date(2026, 3, 3),
        new_honseki="高知県高岡郡中土佐町久礼777番地", notified_on=date(2026, 3, 3),
    )  # fmt: skip
    koseki = Koseki.objects.get(number=notice.koseki_numbers[-1])
    makoto, hikari = members_of(koseki)
    services.record_birth(
        actor=clerk, mother=hikari, father=makoto, given_name="陽", given_name_kana="ハル", sex="1",
        birth_date=date(2026, 11, 1), birth_place="高知県高岡郡中土佐町", notified_on=date(2026, 11, 5),
        notifier_name="川村誠", notifier_capacity="父",
    )  # fmt: skip
    text = printed(issue(clerk, koseki).pdf)
    assert "本籍高知県高岡郡中土佐町久礼７７７番地" in text
    assert "氏名川村誠" in text
    assert text.index("【名】誠") < text.index("【名】光") < text.index("【名】陽")
    assert "婚姻【婚姻日】令和８年３月３日" in text
    assert "出生【出生日】令和８年１１月１日" in text
    assert "【父】川村誠" in text
    assert "【母】川村光" in text
    assert "【続柄】長男" in text


# --- 個人事項・除籍 ----------------------------------------------------------------------------------


@needs_pdftotext
def test_individual_certificate_prints_only_the_chosen(in_nakatosa: None, clerk: Person) -> None:
    koseki = realistic_koseki()
    ichiro = members_of(koseki)[2]
    issued = issue(clerk, koseki, CertificateKind.INDIVIDUAL, members=[ichiro])
    text = printed(issued.pdf)
    assert "個人事項証明" in text
    assert "【名】一郎" in text
    assert "【名】花子" not in text
    assert "【名】桜" not in text
    assert "【名】太郎" not in text
    assert "氏名山田太郎" in text
    assert "戸籍事項" in text
    assert "これは、戸籍中の一部の者について記録されている事項の全部を証明した書面である。" in text
    assert issued.issuance.member_keys == [str(ichiro.person_key)]
    assert issued.issuance.fee == 450


@needs_pdftotext
def test_closed_register_is_certified_as_joseki_for_750_yen(in_nakatosa: None, clerk: Person) -> None:
    koseki = make_koseki(
        members=[member("一", birth_date=date(1930, 2, 3), is_removed=True, removed_on=date(2020, 1, 5))],
        status=KosekiStatus.CLOSED,
        closed_on=date(2020, 1, 5),
    )
    Entry.objects.create(
        koseki=koseki, kind=EntryKind.CLOSED, event_date=date(2020, 1, 5), fields=[["消除日", "令和2年1月5日"]]
    )
    issued = issue(clerk, koseki, CertificateKind.CLOSED_FULL)
    assert issued.issuance.fee == 750
    assert issued.issuance.kind == CertificateKind.CLOSED_FULL
    text = printed(issued.pdf)
    assert text.index("除籍") < text.index("全部事項証明") < text.index("本籍")
    assert "消除【消除日】令和２年１月５日" in text
    assert "これは、除籍に記録されている事項の全部を証明した書面である。" in text
    one = issue(clerk, koseki, CertificateKind.INDIVIDUAL, members=members_of(koseki))
    assert one.issuance.fee == 750
    assert "これは、除籍中の一部の者について記録されている事項の全部を証明した書面である。" in printed(one.pdf)


@pytest.mark.parametrize(
    ("closed", "kind", "members", "error", "code"),
    [
        (True, CertificateKind.FULL, None, CertificateKindMismatch, "certificate_register_closed"),
        (False, CertificateKind.CLOSED_FULL, None, CertificateKindMismatch, "certificate_register_current"),
        (False, CertificateKind.INDIVIDUAL, None, CertificateMembersRequired, "certificate_members_required"),
        (False, CertificateKind.INDIVIDUAL, "other", MemberNotFound, "koseki_member_not_found"),
        (False, "tohon", None, ValidationFailed, "invalid_certificate_kind"),
    ],
)
def test_kind_refusals_write_nothing(
    in_nakatosa: None, clerk: Person, closed: bool, kind: str, members: Any, error: type, code: str
) -> None:
    koseki = make_koseki(status=KosekiStatus.CLOSED, closed_on=date(2020, 1, 5)) if closed else yamada_family()
    chosen = members_of(make_koseki(family_name="鈴木")) if members == "other" else None
    before = AuditEvent.objects.count()
    with pytest.raises(error) as caught:
        issue(clerk, koseki, kind, members=chosen)
    assert caught.value.code == code
    nothing_written(before)


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("purpose", "purpose_required"),
        ("requester_name", "requester_required"),
        ("id_document", "id_document_required"),
    ],
)
def test_requests_need_purpose_requester_and_id(in_nakatosa: None, clerk: Person, field: str, code: str) -> None:
    koseki = yamada_family()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        issue(clerk, koseki, **{field: "　 "})
    assert caught.value.code == code
    nothing_written(before)


# --- 発行番号, 見本, 日計 -----------------------------------------------------------------------------


def test_serial_is_gapless_across_refusals_and_restarts_each_year(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    first = issue(clerk, koseki).issuance
    with pytest.raises(CertificateKindMismatch):
        issue(clerk, koseki, CertificateKind.CLOSED_FULL)
    second = issue(clerk, koseki, CertificateKind.INDIVIDUAL, members=members_of(koseki)[:1]).issuance
    assert (first.year, second.year) == (2026, 2026)
    assert second.serial == first.serial + 1
    assert CertificateSerial.objects.get(year=2026).last_number == second.serial
    with time_machine.travel(datetime(2027, 1, 4, 9, 0, tzinfo=TOKYO), tick=False):
        third = issue(clerk, koseki).issuance
    assert (third.year, third.serial, third.number) == (2027, 1, "令和9年戸籍第000001号")


@needs_pdftotext
def test_preview_is_marked_and_audited_but_not_recorded(in_nakatosa: None, clerk: Person) -> None:
    koseki = realistic_koseki()
    before = AuditEvent.objects.count()
    document = certificates.preview_certificate(actor=clerk, koseki=koseki, kind=CertificateKind.FULL)
    text = printed(document)
    assert "見本" in text
    assert "【名】太郎" in text
    assert "/verify/" not in text
    assert "戸籍第" not in text
    assert not CertificateIssuance.objects.exists()
    assert not CertificateSerial.objects.exists()
    [row] = AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[:1]
    assert AuditEvent.objects.count() == before + 1
    assert row.action == "koseki.certificate_preview"
    assert row.personal_data
    assert row.purpose


def test_daily_cash_report_counts_and_fees_per_kind(in_nakatosa: None, clerk: Person) -> None:
    current = yamada_family()
    closed = make_koseki(family_name="高橋", status=KosekiStatus.CLOSED, closed_on=date(2020, 1, 5))
    issue(clerk, current)
    issue(clerk, current, CertificateKind.INDIVIDUAL, members=members_of(current)[:1])
    issue(clerk, closed, CertificateKind.CLOSED_FULL)
    issue(clerk, closed, CertificateKind.INDIVIDUAL, members=members_of(closed))
    with time_machine.travel(datetime(2026, 11, 28, 0, 30, tzinfo=TOKYO), tick=False):
        issue(clerk, current)  # the next day (Asia/Tokyo): not in the report of the 27th
    report = certificates.daily_issuances(day=date(2026, 11, 27))
    lines = {line.kind: line for line in report.lines}
    assert (lines["full"].count, lines["full"].fee) == (1, 450)
    assert (lines["individual"].count, lines["individual"].fee) == (2, 450 + 750)
    assert (lines["closed_full"].count, lines["closed_full"].fee) == (1, 750)
    assert (lines["fuhyo"].count, lines["fuhyo"].fee) == (0, 0)
    assert (report.count, report.fee) == (4, 450 + 450 + 750 + 750)
    assert lines["full"].label == "全部事項証明書"


# --- 附票の写し and 支援措置 --------------------------------------------------------------------------


def fuhyo_register() -> Koseki:
    koseki = yamada_family()
    taro, hanako, _, _ = members_of(koseki)
    for m, code in ((taro, "11111111111"), (hanako, "22222222222")):
        m.resident_code = code
        m.save(update_fields=["resident_code"])
    for address, on in (
        ("高知県高知市本町1丁目1番1号", date(2005, 4, 1)),
        ("高知県高岡郡中土佐町久礼1番地", date(2015, 3, 1)),
    ):
        FuhyoEntry.objects.create(koseki=koseki, member=taro, address=address, address_set_on=on, source_event="転入")
    return koseki


def move_in_resident(clerk: Person, *, code: str, given: str = "花子", sex: str = "2") -> Resident:
    event = resident_services.record_move_in(
        actor=clerk,
        event_date=date(2026, 11, 20),
        notified_on=date(2026, 11, 24),
        address="高知県高岡郡四万十町琴平町5番地" if clerk.username == "yamamoto" else "高知県高岡郡中土佐町久礼1番地",
        previous_address="高知県高知市本町1丁目1番1号",
        members=[
            resident_input("山田", given, "ヤマダ", "ハナコ", birth=date(1982, 8, 12), sex=sex, resident_code=code)
        ],
    )
    return Resident.objects.get(household_id=event.household_id)


@needs_pdftotext
def test_fuhyo_copy_prints_the_address_history(in_nakatosa: None, clerk: Person) -> None:
    koseki = fuhyo_register()
    issued = issue(clerk, koseki, CertificateKind.FUHYO)
    text = printed(issued.pdf)
    assert "戸籍の附票の写し" in text
    assert "筆頭者氏名山田太郎" in text
    assert text.index("高知県高知市本町１丁目１番１号") < text.index("【住所】高知県高岡郡中土佐町久礼１番地")
    assert "【住所を定めた年月日】平成２７年３月１日" in text
    assert "この写しは、戸籍の附票の原本と相違ないことを証明する。" in text
    assert issued.issuance.fee == certificates.FEE_FUHYO


def test_fuhyo_refused_under_a_support_measure_in_this_town(in_nakatosa: None, clerk: Person) -> None:
    koseki = fuhyo_register()
    hanako = move_in_resident(clerk, code="22222222222")
    support.apply_support_measure(actor=clerk, resident=hanako, scopes=[SupportScope.ATTACHED_RECORD])
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for preview in (False, True):
        with pytest.raises(SupportMeasureBlocked) as caught:
            if preview:
                certificates.preview_certificate(actor=clerk, koseki=koseki, kind=CertificateKind.FUHYO)
            else:
                issue(clerk, koseki, CertificateKind.FUHYO)
        assert "附票" in caught.value.message
        assert "支援措置責任者" in caught.value.message
    assert not CertificateIssuance.objects.exists()
    assert not CertificateSerial.objects.exists()
    # Besides the refusals, only the record of asking the other town about 太郎 (who has a 住民票コード).
    written = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    rows = [r for r in written if r.action == "koseki.certificate_refused"]
    assert {r.action for r in written} == {"koseki.certificate_refused", "support_measure.cross_town_query"}
    assert [bool(r.details.get("preview")) for r in rows] == [False, True]
    # The 戸籍証明書 itself is not covered by the 支援措置 (it holds no address).
    assert issue(clerk, koseki).issuance.kind == CertificateKind.FULL


def test_fuhyo_checks_the_town_where_the_person_lives(in_nakatosa: None, clerk: Person) -> None:
    koseki = fuhyo_register()
    yamamoto = Person.objects.get(username="yamamoto")
    with schema_context("shimanto"):
        hanako = move_in_resident(yamamoto, code="22222222222")
        shimanto_before = AuditEvent.objects.count()
    issued = issue(clerk, koseki, CertificateKind.FUHYO)  # nothing blocks yet: the read is audited there
    assert issued.issuance.kind == CertificateKind.FUHYO
    with schema_context("shimanto"):
        # One check per person with a 住民票コード (太郎, 花子); 花子 is found there.
        checks = list(AuditEvent.objects.filter(action="support_measure.cross_town_check").order_by("seq"))
        assert [c.details["result"] for c in checks] == ["clear", "clear"]
        assert all(c.personal_data and c.details["requesting_town"] == "394017" for c in checks)
        assert [c.object_id for c in checks] == ["", str(hanako.pk)]
        support.apply_support_measure(actor=yamamoto, resident=hanako, scopes=[SupportScope.ATTACHED_RECORD])
    with pytest.raises(SupportMeasureBlocked):
        issue(clerk, koseki, CertificateKind.FUHYO)
    assert CertificateIssuance.objects.count() == 1
    [refusal] = AuditEvent.objects.filter(action="koseki.certificate_refused")
    assert refusal.details["town"] == "394122"
    assert "measure" not in refusal.details
    queries = AuditEvent.objects.filter(action="support_measure.cross_town_query").order_by("seq")
    assert [q.details["result"] for q in queries] == ["clear", "clear", "clear", "blocked"]
    with schema_context("shimanto"):
        checks = list(AuditEvent.objects.filter(action="support_measure.cross_town_check").order_by("seq"))
        assert [c.details["result"] for c in checks] == ["clear", "clear", "clear", "blocked"]
        assert AuditEvent.objects.count() == shimanto_before + 5  # four checks + the measure's own row


# --- /verify/ ---------------------------------------------------------------------------------------


@pytest.fixture
def public_client(in_nakatosa: None) -> Client:
    cache.delete(verification.rate_key("127.0.0.1"))
    return Client(HTTP_HOST=HOSTS["nakatosa"])


def test_verify_page_answers_for_a_koseki_certificate_without_personal_data(
    public_client: Client, clerk: Person
) -> None:
    koseki = realistic_koseki()
    issued = issue(clerk, koseki)
    genuine = public_client.get(f"/verify/{CODE}/")
    body = genuine.content.decode()
    assert genuine.status_code == 200
    assert issued.issuance.number in body
    assert "全部事項証明書" in body
    assert "令和8年11月27日" in body
    assert "有効" in body
    assert "中土佐町" in body
    for private in ("山田", "太郎", "花子", "久礼", koseki.number):
        assert private not in body
    missing = public_client.get("/verify/QQQQQQQQQQQQQQQQ/")
    assert "見つかりません" in missing.content.decode()
    assert issued.issuance.number not in missing.content.decode()
    rows = list(AuditEvent.objects.filter(action="certificate.verify").order_by("seq"))
    assert [r.details["result"] for r in rows] == ["genuine", "not_found"]
    assert rows[0].object_type == "koseki.CertificateIssuance"
    assert not any(r.personal_data for r in rows)
    # The code of one town's paper is unknown to the other town's page.
    other = Client(HTTP_HOST=HOSTS["shimanto"]).get(f"/verify/{CODE}/")
    assert "見つかりません" in other.content.decode()

"""異動の取消し and the 戸籍の附票: cancelling the 転入, 転居 or 転出 that notified a 附票 line strikes (消除) that line
with the reason — in the same town and in the other town on the platform, audited in both (住基法 第19条第1項) —
the 附票の写し stops certifying it, and the register page shows it struck."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from koseki import certificates, fuhyo
from koseki.models import CertificateKind, Koseki, RequesterRelation
from koseki.views import PURPOSE_SESSION_KEY
from resident_records import services
from resident_records.models import ChangeEvent
from resident_records.services import PersonInput, Versioned
from tenants.models import Person
from tests.koseki.test_fuhyo import TODAY, actions, lines, make_register, move_in, resident

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "高知県高岡郡中土佐町上ノ加江 8"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def printed(document: bytes) -> str:
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    return re.sub(r"\s+", "", result.stdout.decode("utf-8"))


def change_address(event: ChangeEvent, *, on: date = date(2026, 9, 1), address: str = NEW_ADDRESS) -> ChangeEvent:
    """転居 in 中土佐町 of the household the 転入 ``event`` created."""
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        household = event.household
        assert household is not None
        household.refresh_from_db()
        return services.record_change_of_address(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=on, notified_on=on,
            address=address,
        )  # fmt: skip


def cancel(schema: str, event: ChangeEvent, reason: str) -> ChangeEvent:
    clerk = Person.objects.get(username="yamamoto")  # a clerk in both towns
    with schema_context(schema), time_machine.travel(TODAY, tick=False):
        return services.cancel_event(actor=clerk, event_id=event.pk, reason=reason)


def audit_rows(schema: str, action: str) -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def moved_within_nakatosa() -> tuple[Koseki, ChangeEvent, ChangeEvent]:
    """本籍 and 住所 in 中土佐町: a 転入 (久礼 77), then a 転居 (上ノ加江 8) — two 附票 lines."""
    koseki = make_register("nakatosa")
    entered = move_in("nakatosa", [resident(code="12345678901")], on=date(2026, 4, 1))
    moved = change_address(entered)
    return koseki, entered, moved


def test_each_line_names_the_event_that_caused_it(moved_within_nakatosa: Any) -> None:
    _, entered, moved = moved_within_nakatosa
    assert [(line.source_event, line.source_reference) for line in lines("nakatosa")] == [
        ("転入", f"nakatosa:{entered.pk}"),
        ("転居", f"nakatosa:{moved.pk}"),
    ]
    with schema_context("nakatosa"):
        row = AuditEvent.objects.filter(action="koseki.fuhyo_update").order_by("seq").last()
    assert row is not None
    assert row.details["source_reference"] == f"nakatosa:{moved.pk}"


def test_cancelling_a_change_of_address_strikes_its_line_with_the_reason(moved_within_nakatosa: Any) -> None:
    koseki, _, moved = moved_within_nakatosa
    cancel("nakatosa", moved, "転居先の誤り")

    first, second = lines("nakatosa")
    assert (first.address, first.is_struck, first.struck_reason, first.struck_at) == (
        "高知県高岡郡中土佐町久礼 77", False, "", None
    )  # fmt: skip
    assert second.address == NEW_ADDRESS
    assert second.is_struck
    assert second.struck_at is not None
    assert second.struck_reason == "中土佐町における転居の取消し(転居先の誤り)"
    (row,) = audit_rows("nakatosa", "koseki.fuhyo_strike")
    assert row.personal_data
    assert row.object_id == str(koseki.pk)
    assert row.purpose == fuhyo.PURPOSE_STRIKE
    assert row.details["fuhyo_entry"] == second.pk
    assert row.details["source_reference"] == f"nakatosa:{moved.pk}"
    assert audit_rows("nakatosa", "koseki.fuhyo_strike_notice") == []  # 本籍 here: no other town involved
    assert actions("shimanto") == []
    # The 附票 keeps the struck line as history: nothing was deleted.
    with schema_context("nakatosa"):
        assert [line.pk for line in fuhyo.fuhyo_lines(koseki=koseki)] == [first.pk, second.pk]
        assert [line.pk for line in fuhyo.certified_lines(koseki=koseki)] == [first.pk]


def test_striking_again_changes_nothing(moved_within_nakatosa: Any) -> None:
    _, _, moved = moved_within_nakatosa
    cancel("nakatosa", moved, "転居先の誤り")
    struck = lines("nakatosa")[1]
    before = actions("nakatosa")
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"):
        again = fuhyo.strike_lines_of_event(
            actor=clerk, reference=fuhyo.event_reference(moved.pk), reason="別の理由"
        )  # fmt: skip
    assert again == []
    after = lines("nakatosa")[1]
    assert (after.struck_reason, after.struck_at) == (struck.struck_reason, struck.struck_at)  # first reason stands
    assert actions("nakatosa") == before


def test_the_same_change_recorded_again_after_the_cancellation_gets_a_new_line(moved_within_nakatosa: Any) -> None:
    """The struck line no longer counts as 'already recorded': the corrected 異動 writes its own line."""
    _, entered, moved = moved_within_nakatosa
    cancel("nakatosa", moved, "届出日の入力誤り")
    again = change_address(entered)
    found = [(line.address, line.is_struck, line.source_reference) for line in lines("nakatosa")]
    assert found == [
        ("高知県高岡郡中土佐町久礼 77", False, f"nakatosa:{entered.pk}"),
        (NEW_ADDRESS, True, f"nakatosa:{moved.pk}"),
        (NEW_ADDRESS, False, f"nakatosa:{again.pk}"),
    ]


def test_cancelling_a_move_in_to_shimanto_strikes_the_nakatosa_lines_audited_in_both_towns() -> None:
    """The cross-town case: 本籍 中土佐町, 転入 into 四万十町, cancelled by 四万十町."""
    koseki = make_register("nakatosa")
    entered = move_in("shimanto", [resident(), resident("花子", date(1982, 8, 12))])
    assert [line.source_reference for line in lines("nakatosa")] == [f"shimanto:{entered.pk}"] * 2

    cancel("shimanto", entered, "別人の転入届を誤って処理")

    found = lines("nakatosa")
    assert [(line.member.given_name, line.is_struck) for line in found] == [("太郎", True), ("花子", True)]
    assert {line.struck_reason for line in found} == {"四万十町における転入の取消し(別人の転入届を誤って処理)"}
    assert lines("shimanto") == []  # nothing is written in the 住所地's own schema
    strikes = audit_rows("nakatosa", "koseki.fuhyo_strike")
    assert [row.details["fuhyo_entry"] for row in strikes] == [line.pk for line in found]
    assert {row.object_id for row in strikes} == {str(koseki.pk)}
    notices = audit_rows("shimanto", "koseki.fuhyo_strike_notice")
    assert [row.object_id for row in notices] == [str(line.pk) for line in found]
    assert all(row.personal_data and row.details["to_town_code"] == "394017" for row in notices)
    assert all(row.details["source_reference"] == f"shimanto:{entered.pk}" for row in notices)


def test_a_cancellation_that_rolls_back_strikes_nothing_in_either_town() -> None:
    make_register("nakatosa")
    entered = move_in("shimanto", [resident()])
    with pytest.raises(RuntimeError), transaction.atomic():
        cancel("shimanto", entered, "入力誤り")
        assert lines("nakatosa")[0].is_struck
        raise RuntimeError("the cancellation fails after the strike")
    (line,) = lines("nakatosa")
    assert not line.is_struck
    assert line.struck_reason == ""
    assert actions("nakatosa") == ["koseki.fuhyo_update"]
    assert actions("shimanto") == ["koseki.fuhyo_notice"]


def test_cancelling_an_event_that_wrote_no_line_changes_nothing(moved_within_nakatosa: Any) -> None:
    """A 転入 of a person whose 本籍 is off the platform wrote no 附票 line: its cancellation strikes nothing."""
    outsider = PersonInput(
        family_name="鈴木", given_name="一", family_name_kana="スズキ", given_name_kana="ハジメ",
        birth_date=date(1970, 1, 1), sex="1", relationship="世帯主", domicile="東京都千代田区霞が関1番地",
        domicile_head="鈴木 一",
    )  # fmt: skip
    entered = move_in("nakatosa", [outsider], address="高知県高岡郡中土佐町大野見 5")
    before = [(line.pk, line.is_struck) for line in lines("nakatosa")]
    audit_before = (actions("nakatosa"), actions("shimanto"))

    cancel("nakatosa", entered, "入力誤り")

    assert [(line.pk, line.is_struck) for line in lines("nakatosa")] == before
    assert all(not struck for _, struck in before)
    assert (actions("nakatosa"), actions("shimanto")) == audit_before


def test_the_service_refuses_a_blank_reason_and_another_towns_event() -> None:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"):
        with pytest.raises(ValidationFailed) as caught:
            fuhyo.strike_lines_of_event(actor=clerk, reference=fuhyo.event_reference(1), reason="  ")
        assert caught.value.code == "reason_required"
        with pytest.raises(ValueError, match="not an event of this town"):
            fuhyo.strike_lines_of_event(actor=clerk, reference="shimanto:1", reason="入力誤り")


@needs_pdftotext
def test_the_fuhyo_copy_no_longer_certifies_the_struck_address(moved_within_nakatosa: Any) -> None:
    koseki, _, moved = moved_within_nakatosa
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        before = printed(certificates.preview_certificate(actor=clerk, koseki=koseki, kind=CertificateKind.FUHYO))
    assert "上ノ加江８" in before
    assert "久礼７７" in before

    cancel("nakatosa", moved, "転居先の誤り")

    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        preview = printed(certificates.preview_certificate(actor=clerk, koseki=koseki, kind=CertificateKind.FUHYO))
        issued = certificates.issue_certificate(
            actor=clerk, koseki=koseki, kind=CertificateKind.FUHYO, members=None, requester_name="山田　太郎",
            requester_relation=RequesterRelation.SELF, id_document="運転免許証", purpose="年金の手続",
        )  # fmt: skip
    for text in (preview, printed(issued.pdf)):
        assert "上ノ加江" not in text
        assert "【住所】高知県高岡郡中土佐町久礼７７" in text


def test_the_register_page_shows_the_struck_line_with_its_reason(moved_within_nakatosa: Any, client_for: Any) -> None:
    koseki, _, moved = moved_within_nakatosa
    cancel("nakatosa", moved, "転居先の誤り")
    client = client_for("tanaka", "nakatosa")
    session = client.session
    session[PURPOSE_SESSION_KEY] = "窓口での本人確認"
    session.save()
    page = client.get(f"/koseki/registers/{koseki.public_id}/").content.decode()
    assert f"<s>{NEW_ADDRESS}</s>" in page
    assert "消除の理由: 中土佐町における転居の取消し(転居先の誤り)" in page
    assert "高知県高岡郡中土佐町久礼 77" in page

"""広域交付 (戸籍法 第120条の2): who may obtain another town's register, what is refused, what each town records.

The family used throughout (person keys link the appearances across the two towns):

    四万十町 (holding):  山田 一 (筆頭者, 夫) — ハル (妻) — 次郎 (二男)
    中土佐町:            山田 太郎 (筆頭者, 夫; son of 一 and ハル) — 花子 (妻) — 一郎 (長男)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from common import verification
from common.errors import ApplicationError, ValidationFailed
from common.models import AuditEvent
from koseki import certificates, wide_area
from koseki.errors import KosekiNotFound
from koseki.models import CertificateIssuance, CertificateKind, CertificateSerial, Koseki, KosekiStatus, Member
from koseki.models import RequesterRelation as Rel
from koseki.wide_area import RequesterIdentity
from tenants.models import Person
from tests.koseki.factories import NAKATOSA_HONSEKI, SHIMANTO_HONSEKI, make_koseki, member

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
PURPOSE = "相続手続のため"
CODE = "WIDEAREACODE2345"
HAJIME, HARU, TARO, ICHIRO = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

TARO_ID = RequesterIdentity("山田", "太郎", date(1980, 5, 1))
HANAKO_ID = RequesterIdentity("山田", "花子", date(1982, 8, 12))
ICHIRO_ID = RequesterIdentity("山田", "一郎", date(2006, 4, 3))
HAJIME_ID = RequesterIdentity("山田", "一", date(1950, 1, 10))
HARU_ID = RequesterIdentity("山田", "ハル", date(1952, 3, 3))
JIRO_ID = RequesterIdentity("山田", "次郎", date(1983, 9, 9))
STRANGER_ID = RequesterIdentity("佐藤", "一", date(1990, 1, 1))


@pytest.fixture
def family(db: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The first certificate of a test gets CODE; later ones fresh random codes (each code is unique).
    first, fresh = iter([CODE]), certificates.new_verification_code
    monkeypatch.setattr(certificates, "new_verification_code", lambda: next(first, None) or fresh())
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        with schema_context("shimanto"):
            parents = make_koseki(
                honseki=SHIMANTO_HONSEKI,
                members=[
                    member("一", birth_date=date(1950, 1, 10), spouse_role="夫", person_key=HAJIME),
                    member("ハル", birth_date=date(1952, 3, 3), sex="2", spouse_role="妻", person_key=HARU),
                    member("次郎", birth_date=date(1983, 9, 9), relationship="二男"),
                ],
                compiled_on=date(1978, 4, 1),
            )
        with schema_context("nakatosa"):
            make_koseki(
                members=[
                    member(
                        "太郎",
                        birth_date=date(1980, 5, 1),
                        spouse_role="夫",
                        person_key=TARO,
                        father_key=HAJIME,
                        mother_key=HARU,
                        father_name="山田一",
                        mother_name="山田ハル",
                    ),
                    member("花子", birth_date=date(1982, 8, 12), sex="2", spouse_role="妻"),
                    member("一郎", birth_date=date(2006, 4, 3), person_key=ICHIRO),
                ],
            )
            yield parents


@pytest.fixture
def tanaka(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def yamamoto(db: Any) -> Person:
    return Person.objects.get(username="yamamoto")


def request(
    actor: Person, number: str, who: RequesterIdentity, relation: str, *, preview: bool = False, **kwargs: Any
) -> Any:
    kwargs.setdefault("holding_schema", "shimanto")
    kwargs.setdefault("id_document", "マイナンバーカード")
    kwargs.setdefault("purpose", PURPOSE)
    service = wide_area.preview_wide_area_certificate if preview else wide_area.issue_wide_area_certificate
    return service(actor=actor, koseki_number=number, requester=who, requester_relation=relation, **kwargs)


def pdf_text(document: bytes) -> str:
    raw = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    return re.sub(r"\s+", "", raw.stdout.decode())


def counts() -> dict[str, tuple[int, int, int]]:
    """Issuances, serial counters and audit rows of each town."""
    result = {}
    for schema in ("nakatosa", "shimanto"):
        with schema_context(schema):
            result[schema] = (
                CertificateIssuance.objects.count(),
                CertificateSerial.objects.filter(last_number__gt=0).count(),
                AuditEvent.objects.count(),
            )
    return result


# --- issuance -------------------------------------------------------------------------------------


def test_issuance_records_in_both_towns(family: Koseki, tanaka: Person) -> None:
    before = counts()
    issued = request(tanaka, family.number, TARO_ID, Rel.DESCENDANT)
    issuance = issued.issuance
    assert issuance.wide_area
    assert issuance.koseki is None
    assert issuance.holding_town_code == "394122"
    assert (issuance.koseki_number, issuance.honseki, issuance.head_name) == (
        family.number,
        SHIMANTO_HONSEKI,
        "山田\u3000一",
    )
    assert (issuance.kind, issuance.fee, issuance.requester_relation) == (CertificateKind.FULL, 450, "descendant")
    assert issuance.requester_name == "山田\u3000太郎"
    assert issuance.id_document == "マイナンバーカード"
    assert re.fullmatch(r"令和8年戸籍第\d{6}号", issuance.number)
    after = counts()
    # 中土佐町 (issuing): the issuance, its serial and one audit row; 四万十町 (holding): one audit row only.
    assert after["nakatosa"] == (before["nakatosa"][0] + 1, 1, before["nakatosa"][2] + 1)
    assert after["shimanto"] == (before["shimanto"][0], before["shimanto"][1], before["shimanto"][2] + 1)
    with schema_context("nakatosa"):
        issue_row = AuditEvent.objects.order_by("-seq").first()
        assert issue_row is not None
        assert issue_row.action == "koseki.wide_area_issue"
        assert issue_row.details["holding_town"] == "394122"
        assert issue_row.purpose == PURPOSE
        assert issue_row.personal_data
        assert issue_row.object_type == "koseki.CertificateIssuance"
        # The paper is verifiable on the issuing town's page.
        found = verification.verify_certificate(code=CODE)
        assert found is not None
        assert found.number == issuance.number
        assert found.town == "中土佐町"
    with schema_context("shimanto"):
        disclosure = AuditEvent.objects.order_by("-seq").first()
        assert disclosure is not None
        assert disclosure.action == "koseki.wide_area_disclosure"
        assert disclosure.details["requesting_town"] == "394017"
        assert disclosure.actor_id == tanaka.pk
        assert disclosure.object_id == str(family.pk)
        assert "山田" not in disclosure.object_repr
        assert disclosure.personal_data
        assert disclosure.purpose == PURPOSE


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_paper_shows_the_holding_register_certified_by_the_issuing_town(family: Koseki, tanaka: Person) -> None:
    issued = request(tanaka, family.number, TARO_ID, Rel.DESCENDANT)
    text = pdf_text(issued.pdf)
    assert "本籍高知県高岡郡四万十町琴平町１番地" in text
    assert "氏名山田一" in text
    assert text.index("【名】一") < text.index("【名】ハル") < text.index("【名】次郎")
    assert "これは、戸籍に記録されている事項の全部を証明した書面である。" in text
    assert "中土佐町長" in text
    assert "四万十町長" not in text
    assert "nakatosa" in text


def test_closed_register_as_joseki_full(family: Koseki, tanaka: Person) -> None:
    with schema_context("shimanto"):
        closed = make_koseki(
            honseki=SHIMANTO_HONSEKI,
            family_name="山田",
            members=[member("吉", birth_date=date(1925, 5, 5), person_key=uuid.uuid4())],
            status=KosekiStatus.CLOSED,
            closed_on=date(2001, 2, 2),
        )
        Member.objects.filter(person_key=HAJIME).update(father_key=Member.objects.get(koseki=closed).person_key)
    with schema_context("nakatosa"):
        # 一郎's great-grandfather: three generations up, through both towns' registers.
        issued = request(tanaka, closed.number, ICHIRO_ID, Rel.DESCENDANT, kind=CertificateKind.CLOSED_FULL)
        assert issued.issuance.fee == 750
        assert issued.issuance.kind == CertificateKind.CLOSED_FULL
        with pytest.raises(certificates.CertificateKindMismatch) as caught:
            request(tanaka, closed.number, ICHIRO_ID, Rel.DESCENDANT)
        assert caught.value.code == "certificate_register_closed"


# --- entitlement matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "relation", "counter", "target"),
    [
        pytest.param(JIRO_ID, Rel.SELF, "nakatosa", "parents", id="self"),
        pytest.param(TARO_ID, Rel.DESCENDANT, "nakatosa", "parents", id="child"),
        pytest.param(ICHIRO_ID, Rel.DESCENDANT, "nakatosa", "parents", id="grandchild"),
        pytest.param(HAJIME_ID, Rel.ASCENDANT, "shimanto", "son", id="parent"),
        pytest.param(HANAKO_ID, Rel.SELF, "shimanto", "son", id="self-other-way"),
    ],
)
def test_entitled_requesters(
    family: Koseki, tanaka: Person, yamamoto: Person, who: RequesterIdentity, relation: str, counter: str, target: str
) -> None:
    number, holding = (family.number, "shimanto") if target == "parents" else (_son_number(), "nakatosa")
    with schema_context(counter):
        actor = tanaka if counter == "nakatosa" else yamamoto
        issued = request(actor, number, who, relation, holding_schema=holding)
        assert issued.issuance.requester_relation == relation
        assert issued.issuance.wide_area


def test_grandparent_through_both_towns(family: Koseki, yamamoto: Person) -> None:
    with schema_context("nakatosa"):
        # 一郎 has left for a register of his own (分籍): there, 一 is only his grandfather.
        own = make_koseki(
            honseki="高知県高岡郡中土佐町上ノ加江5番地",
            members=[member("一郎", birth_date=date(2006, 4, 3), person_key=ICHIRO, father_key=TARO)],
        )
    with schema_context("shimanto"):
        issued = request(yamamoto, own.number, HAJIME_ID, Rel.ASCENDANT, holding_schema="nakatosa")
        assert issued.issuance.requester_relation == "ascendant"
        assert issued.issuance.holding_town_code == "394017"


def test_spouse_of_someone_recorded(family: Koseki, tanaka: Person) -> None:
    with schema_context("shimanto"):
        # 一's register without ハル (she is recorded elsewhere): she asks as 配偶者.
        his = make_koseki(
            honseki="高知県高岡郡四万十町窪川1番地",
            members=[member("一", birth_date=date(1950, 1, 10), spouse_role="夫", person_key=HAJIME)],
        )
        Member.objects.filter(koseki=his).update(spouse_key=HARU)
    with schema_context("nakatosa"):
        issued = request(tanaka, his.number, HARU_ID, Rel.SPOUSE)
        assert issued.issuance.requester_relation == "spouse"
        # After 一's death (K1's 死亡届 clears the survivor's link, not the deceased's) she still may.
        with schema_context("shimanto"):
            Member.objects.filter(koseki=his).update(
                is_removed=True, removed_on=date(2026, 1, 1), removed_reason="死亡"
            )
            Member.objects.filter(person_key=HARU).update(spouse_key=None)
        assert request(tanaka, his.number, HARU_ID, Rel.SPOUSE).issuance.requester_relation == "spouse"
        # 花子 is 太郎's wife: 太郎's parents are her 姻族, not her 直系尊属 — refused.
        with pytest.raises(wide_area.WideAreaNotEntitled):
            request(tanaka, family.number, HANAKO_ID, Rel.SPOUSE)


W = wide_area
DESC = Rel.DESCENDANT
KEPT_OUT = datetime(2024, 2, 29, 10, 0, tzinfo=TOKYO)
REFUSALS: dict[str, tuple[RequesterIdentity, str, dict[str, Any], type[ApplicationError], str]] = {
    "sibling": (JIRO_ID, Rel.SELF, {"target": "son"}, W.WideAreaNotEntitled, "wide_area_not_entitled"),
    "stranger": (STRANGER_ID, Rel.SELF, {}, W.WideAreaNotEntitled, "wide_area_not_entitled"),
    "proxy": (TARO_ID, Rel.OTHER, {}, W.WideAreaProxyNotAllowed, "wide_area_proxy_not_allowed"),
    "mismatch": (ICHIRO_ID, Rel.SELF, {}, W.WideAreaRelationMismatch, "wide_area_relation_mismatch"),
    "individual": (TARO_ID, DESC, {"kind": "individual"}, W.WideAreaKindNotAllowed, "wide_area_kind_not_allowed"),
    "fuhyo": (TARO_ID, DESC, {"kind": "fuhyo"}, W.WideAreaKindNotAllowed, "wide_area_kind_not_allowed"),
    "no_photo_id": (TARO_ID, DESC, {"id_document": " "}, W.WideAreaPhotoIdRequired, "wide_area_photo_id_required"),
    "no_purpose": (TARO_ID, DESC, {"purpose": ""}, ValidationFailed, "purpose_required"),
    "same_town": (TARO_ID, DESC, {"holding_schema": "nakatosa"}, W.WideAreaSameTown, "wide_area_same_town"),
    "council": (TARO_ID, DESC, {"holding_schema": "council"}, W.WideAreaUnknownTown, "wide_area_unknown_town"),
    "no_register": (TARO_ID, DESC, {"number": "K-NONE"}, KosekiNotFound, "koseki_not_found"),
    "auditor": (TARO_ID, DESC, {"actor": "auditor"}, W.WideAreaNotClerk, "wide_area_not_clerk"),
    "before_law": (TARO_ID, DESC, {"on": KEPT_OUT}, W.WideAreaNotYetInForce, "wide_area_not_in_force"),
}  # fmt: skip


@pytest.mark.parametrize("preview", [False, True], ids=["issue", "preview"])
@pytest.mark.parametrize(("who", "relation", "kwargs", "error", "code"), list(REFUSALS.values()), ids=list(REFUSALS))
def test_refusals_write_nothing_anywhere(
    family: Koseki,
    tanaka: Person,
    yamamoto: Person,
    who: Any,
    relation: str,
    kwargs: dict[str, Any],
    error: type[ApplicationError],
    code: str,
    preview: bool,
) -> None:
    """The 見本 goes through the very checks of issuance: what issuing refuses, the 見本 refuses too."""
    options = dict(kwargs)
    number = options.pop("number", family.number)
    actor = Person.objects.get(username=options.pop("actor")) if "actor" in options else tanaka
    counter, holding = "nakatosa", options.pop("holding_schema", "shimanto")
    if options.pop("target", None) == "son":
        counter, holding, number, actor = "shimanto", "nakatosa", _son_number(), yamamoto
    on = options.pop("on", None)
    before = counts()
    clock = time_machine.travel(on or datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False)
    with schema_context(counter), clock, pytest.raises(error) as caught:
        request(actor, number, who, relation, holding_schema=holding, preview=preview, **options)
    assert caught.value.code == code
    assert counts() == before


# --- 見本 before issuing ---------------------------------------------------------------------------


def test_preview_is_audited_in_both_towns_and_issues_nothing(family: Koseki, tanaka: Person) -> None:
    before = counts()
    with schema_context("nakatosa"):
        document = request(tanaka, family.number, TARO_ID, Rel.DESCENDANT, preview=True)
    assert isinstance(document, bytes)
    assert document.startswith(b"%PDF")
    after = counts()
    # No issuance and no serial taken anywhere; one audit row (a view) in each town.
    assert after["nakatosa"] == (before["nakatosa"][0], before["nakatosa"][1], before["nakatosa"][2] + 1)
    assert after["shimanto"] == (before["shimanto"][0], before["shimanto"][1], before["shimanto"][2] + 1)
    with schema_context("nakatosa"):
        row = AuditEvent.objects.order_by("-seq").first()
        assert row is not None
        assert row.action == "koseki.wide_area_preview"
        assert row.personal_data
        assert row.purpose == PURPOSE
        assert row.details["preview"] is True
        assert row.details["holding_town"] == "394122"
        assert row.object_id == str(family.pk)
        assert "number" not in row.details
    with schema_context("shimanto"):
        row = AuditEvent.objects.order_by("-seq").first()
        assert row is not None
        assert row.action == "koseki.wide_area_disclosure"
        assert row.details["preview"] is True
        assert row.details["requesting_town"] == "394017"
        assert row.actor_id == tanaka.pk
        assert row.purpose == PURPOSE
    labels = wide_area.AUDIT_LABELS
    assert "見本" in labels["koseki.wide_area_preview"]
    assert "koseki.wide_area_disclosure" in labels
    # Issuing afterwards takes the first number of the year: the 見本 consumed none.
    with schema_context("nakatosa"):
        issued = request(tanaka, family.number, TARO_ID, Rel.DESCENDANT)
        assert issued.issuance.serial == 1


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_preview_is_marked_as_a_sample(family: Koseki, tanaka: Person) -> None:
    with schema_context("nakatosa"):
        text = pdf_text(request(tanaka, family.number, TARO_ID, Rel.DESCENDANT, preview=True))
    assert "見本" in text
    assert "本籍高知県高岡郡四万十町琴平町１番地" in text
    assert "【名】次郎" in text
    assert "中土佐町長" in text
    assert "令和8年戸籍第" not in text
    assert CODE not in text


# --- requester ambiguity (same name and birth date) -------------------------------------------------

OTHER_HONSEKI = "高知県高岡郡四万十町窪川９番地"


@pytest.fixture
def namesake(family: Koseki) -> Koseki:
    """Another 山田太郎, born the same day as 一's son, unrelated to the family, in a register of 四万十町."""
    with schema_context("shimanto"):
        return make_koseki(
            honseki=OTHER_HONSEKI, members=[member("太郎", birth_date=date(1980, 5, 1), person_key=uuid.uuid4())]
        )


def test_namesakes_without_honseki_are_refused_and_nothing_written(
    family: Koseki, namesake: Koseki, tanaka: Person
) -> None:
    before = counts()
    with schema_context("nakatosa"):
        for preview in (False, True):
            with pytest.raises(wide_area.WideAreaRequesterAmbiguous) as caught:
                request(tanaka, family.number, TARO_ID, Rel.DESCENDANT, preview=preview)
            assert caught.value.code == "wide_area_requester_ambiguous"
            assert "請求者の本籍" in caught.value.message
            assert "太郎" not in caught.value.message
            # The namesake may not pass for the son either: the same refusal, even for his own register.
            with pytest.raises(wide_area.WideAreaRequesterAmbiguous):
                request(tanaka, namesake.number, TARO_ID, Rel.SELF, preview=preview)
    assert counts() == before


def test_requester_honseki_tells_namesakes_apart(family: Koseki, namesake: Koseki, tanaka: Person) -> None:
    with schema_context("nakatosa"):
        # 太郎's own 本籍 as on the 請求書, in another width and with spaces: he is 一's son.
        son = RequesterIdentity("山田", "太郎", date(1980, 5, 1), honseki="高知県高岡郡中土佐町 久礼１番地")
        issued = request(tanaka, family.number, son, Rel.DESCENDANT)
        assert issued.issuance.requester_relation == "descendant"
        # The namesake, with his 本籍: recorded in his register, nothing to do with 一's.
        other = RequesterIdentity("山田", "太郎", date(1980, 5, 1), honseki="四万十町窪川9番地")
        assert request(tanaka, namesake.number, other, Rel.SELF).issuance.requester_relation == "self"
        before = counts()
        with pytest.raises(wide_area.WideAreaNotEntitled):
            request(tanaka, family.number, other, Rel.DESCENDANT)
        assert counts() == before


def test_requester_honseki_that_records_no_such_person(family: Koseki, tanaka: Person) -> None:
    with schema_context("nakatosa"):
        wrong = RequesterIdentity("山田", "太郎", date(1980, 5, 1), honseki=SHIMANTO_HONSEKI)
        before = counts()
        with pytest.raises(wide_area.WideAreaNotEntitled):
            request(tanaka, family.number, wrong, Rel.DESCENDANT, preview=True)
        assert counts() == before
        right = RequesterIdentity("山田", "太郎", date(1980, 5, 1), honseki=NAKATOSA_HONSEKI)
        assert request(tanaka, family.number, right, Rel.DESCENDANT).issuance.requester_relation == "descendant"


def test_one_person_in_several_registers_is_not_ambiguous(family: Koseki, tanaka: Person) -> None:
    with schema_context("shimanto"):
        # 太郎 also stays recorded (除籍 on his marriage) in a register of 四万十町: the same person key.
        make_koseki(
            honseki=OTHER_HONSEKI,
            members=[
                member(
                    "太郎",
                    birth_date=date(1980, 5, 1),
                    person_key=TARO,
                    is_removed=True,
                    removed_on=date(2005, 1, 1),
                    removed_reason="婚姻",
                )
            ],
        )
    with schema_context("nakatosa"):
        assert request(tanaka, family.number, TARO_ID, Rel.DESCENDANT).issuance.requester_relation == "descendant"


# --- search --------------------------------------------------------------------------------------


def test_find_registers_by_honseki_and_head_is_audited_in_both_towns(family: Koseki, tanaka: Person) -> None:
    before = counts()
    with schema_context("nakatosa"):
        found = wide_area.find_wide_area_registers(
            actor=tanaka, holding_schema="shimanto", honseki="四万十町琴平町１番地", head_name="山田 一"
        )
        assert [(r.koseki_number, r.town_name, r.closed) for r in found] == [(family.number, "四万十町", False)]
        assert (
            wide_area.find_wide_area_registers(
                actor=tanaka, holding_schema="shimanto", honseki="四万十町琴平町2番地", head_name="山田一"
            )
            == []
        )
    after = counts()
    assert after["nakatosa"][2] == before["nakatosa"][2] + 2
    assert after["shimanto"][2] == before["shimanto"][2] + 2
    with schema_context("shimanto"):
        rows = list(AuditEvent.objects.order_by("-seq")[:2])
        assert {r.action for r in rows} == {"koseki.wide_area_lookup"}
        assert all(r.personal_data for r in rows)
        assert [r.details["matches"] for r in rows] == [0, 1]


# --- helpers -------------------------------------------------------------------------------------


def _son_number() -> str:
    with schema_context("nakatosa"):
        return Koseki.objects.get(members__person_key=TARO).number

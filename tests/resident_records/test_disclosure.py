"""支援措置 across both registers and both towns (docs/domain/support_measures.md): one answer, every certificate,
every requester.

The protected person, 山田花子, has her 本籍 in one town (the 本籍地, which keeps her 附票) and lived there until
she moved to the other town (her 住所地 now), which decided the 支援措置. She has no 住民票コード, so nothing but
the registers' own links can find her. Every scenario runs in both directions (中土佐町 → 四万十町 and back).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common.models import AuditEvent
from koseki import certificates as koseki_certificates
from koseki import fuhyo
from koseki.certificates import FuhyoLineUnlinked
from koseki.models import CertificateIssuance as KosekiIssuance
from koseki.models import CertificateKind as KosekiKind
from koseki.models import FuhyoEntry, Koseki, KosekiStatus, Member, RequesterRelation
from resident_records import certificates, disclosure, services, support
from resident_records.forms_support import ApplySupportMeasureForm
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    RequesterKind,
    Resident,
    SupportMeasure,
    SupportScope,
)
from resident_records.services import Versioned
from resident_records.support import SupportMeasureBlocked
from tenants.models import Person, Role
from tests.koseki.test_fuhyo import make_register
from tests.koseki.test_fuhyo import resident as resident_input

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO)
HONSEKI = {"nakatosa": "高知県高岡郡中土佐町久礼1234番地", "shimanto": "高知県高岡郡四万十町琴平町5番地"}
ADDRESS = {"nakatosa": "高知県高岡郡中土佐町久礼 77", "shimanto": "高知県高岡郡四万十町琴平町 10"}
HIDDEN = {"nakatosa": "中土佐町久礼", "shimanto": "四万十町琴平町"}
DIRECTIONS = [("shimanto", "nakatosa"), ("nakatosa", "shimanto")]  # (住所地 now, 本籍地 and former 住所地)
PURPOSE = "年金の手続"


@dataclass
class Protected:
    home: str  # where she lives now; its 支援措置
    away: str  # her 本籍地 and former 住所地
    koseki: Koseki  # in ``away``
    hanako: Member  # in ``away``
    removed: Resident  # her 除票, in ``away``
    current: Resident  # in ``home``
    measure: SupportMeasure  # in ``home``


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="yamamoto")  # a clerk of both towns


@pytest.fixture(autouse=True)
def _now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _versioned(obj: Any) -> Versioned:
    obj.refresh_from_db()
    return Versioned(obj.pk, obj.version)


def moved_and_protected(clerk: Person, *, home: str, away: str, scopes: list[str] | None = None) -> Protected:
    """花子: 本籍 and first address in ``away``, moved on 2026-10-01 to ``home``, protected there."""
    koseki = make_register(away, honseki=HONSEKI[away])
    person = replace(resident_input("花子", date(1982, 8, 12), honseki=HONSEKI[away]), relationship="世帯主")
    with schema_context(away):
        event = services.record_move_in(
            actor=clerk, event_date=date(2026, 4, 1), notified_on=date(2026, 4, 1), address=ADDRESS[away],
            members=[person],
        )  # fmt: skip
        household = event.household
        services.plan_move_out(
            actor=clerk, household=_versioned(household), event_date=date(2026, 10, 1),
            notified_on=date(2026, 9, 25), destination=ADDRESS[home],
        )  # fmt: skip
    with schema_context(home):
        event = services.record_move_in(
            actor=clerk, event_date=date(2026, 10, 1), notified_on=date(2026, 10, 1), address=ADDRESS[home],
            previous_address=ADDRESS[away], members=[person],
        )  # fmt: skip
        current = Resident.objects.get(household=event.household)
        measure = support.apply_support_measure(actor=clerk, resident=current, scopes=scopes)
    with schema_context(away):
        removed = Resident.objects.get(household=household)
        services.confirm_move_out(
            actor=clerk, residents=[_versioned(removed)], moved_on=date(2026, 10, 1),
            notice_received_on=date(2026, 10, 5),
        )  # fmt: skip
        removed.refresh_from_db()
        hanako = Member.objects.get(koseki=koseki, given_name="花子")
    return Protected(home, away, koseki, hanako, removed, current, measure)


def _resident_certificate(
    clerk: Person, resident: Resident, kind: str, requester: str, step: str
) -> tuple[CertificateIssuance, bytes] | bytes | list[Resident]:
    common: dict[str, Any] = {"actor": clerk, "kind": kind, "purpose": PURPOSE, "residents": [resident]}
    if step == "issue":
        return certificates.issue_certificate(
            **common, requested_by="窓口の請求者", requester_kind=requester, options=certificates.CertificateOptions()
        )
    if step == "preview":
        return certificates.preview_certificate(**common, requester_kind=requester)
    return certificates.ensure_issuable(**common, requester_kind=requester)


# --- the matrix: every certificate kind × every requester kind, in both towns ------------------------------------


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
@pytest.mark.parametrize("kind", [CertificateKind.RESIDENCE_COPY, CertificateKind.ENTRY_CERTIFICATE])
@pytest.mark.parametrize("requester", RequesterKind.values)
@pytest.mark.parametrize("step", ["confirm", "preview", "issue"])
def test_the_town_where_she_lives_refuses_her_residence_certificates(
    clerk: Person, home: str, away: str, kind: str, requester: str, step: str
) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(home):
        with pytest.raises(SupportMeasureBlocked):
            _resident_certificate(clerk, protected.current, kind, requester, step)
        assert not CertificateIssuance.objects.exists()
        refusal = AuditEvent.objects.filter(action="certificate.refused").get()
        assert refusal.object_id == str(protected.current.pk)
        assert refusal.details["measure"] == protected.measure.pk


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
@pytest.mark.parametrize("requester", RequesterKind.values)
@pytest.mark.parametrize("step", ["confirm", "preview", "issue"])
def test_the_former_town_refuses_her_removed_copy_which_prints_the_new_address(
    clerk: Person, home: str, away: str, requester: str, step: str
) -> None:
    """The leak: the 除票の写し printed 転出先 because only the former town's own blocks were checked."""
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away):
        assert HIDDEN[home] in protected.removed.moving_out_address  # what the paper would print
        with pytest.raises(SupportMeasureBlocked) as refused:
            _resident_certificate(clerk, protected.removed, CertificateKind.REMOVED_COPY, requester, step)
        assert not CertificateIssuance.objects.exists()
        refusal = AuditEvent.objects.filter(action="certificate.refused").get()
    assert refused.value.details["town"] == next(t for t in disclosure.platform_towns() if t.schema_name == home).code
    assert "measure" not in refused.value.details  # an id of the other town means nothing here
    assert refusal.details["town"] == refused.value.details["town"]


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
@pytest.mark.parametrize("requester", RequesterRelation.values)
@pytest.mark.parametrize("preview", [False, True])
def test_the_honseki_town_refuses_her_fuhyo_which_prints_every_address(
    clerk: Person, home: str, away: str, requester: str, preview: bool
) -> None:
    """The leak: with no 住民票コード the 附票 was printed (the member was matched by that code only)."""
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away):
        assert protected.hanako.resident_code == ""
        for members in (None, [protected.hanako]):  # the whole 附票, and hers alone
            with pytest.raises(SupportMeasureBlocked):
                if preview:
                    koseki_certificates.preview_certificate(
                        actor=clerk, koseki=protected.koseki, kind=KosekiKind.FUHYO, members=members
                    )
                else:
                    koseki_certificates.issue_certificate(
                        actor=clerk, koseki=protected.koseki, kind=KosekiKind.FUHYO, members=members,
                        requester_name="山田　花子", requester_relation=requester, id_document="運転免許証",
                        purpose=PURPOSE,
                    )  # fmt: skip
        assert not KosekiIssuance.objects.exists()
        assert AuditEvent.objects.filter(action="koseki.certificate_refused").count() == 2


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
def test_the_koseki_certificate_itself_holds_no_address_and_is_issued(clerk: Person, home: str, away: str) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away):
        issued = koseki_certificates.issue_certificate(
            actor=clerk, koseki=protected.koseki, kind=KosekiKind.FULL, requester_name="山田　花子",
            requester_relation=RequesterRelation.SELF, id_document="運転免許証", purpose=PURPOSE,
        )  # fmt: skip
        assert issued.issuance.kind == KosekiKind.FULL


# --- the parts of the answer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
def test_each_fuhyo_line_is_linked_to_the_resident_that_sent_it(clerk: Person, home: str, away: str) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away):
        lines = list(FuhyoEntry.objects.filter(member=protected.hanako).order_by("address_set_on"))
    towns = {t.schema_name: t.code for t in disclosure.platform_towns()}
    assert [(line.source_town_code, line.resident_atena_number) for line in lines] == [
        (towns[away], protected.removed.atena_number),
        (towns[home], protected.current.atena_number),
    ]


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
def test_the_cross_town_read_is_audited_in_both_towns(clerk: Person, home: str, away: str) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away), pytest.raises(SupportMeasureBlocked):
        _resident_certificate(
            clerk, protected.removed, CertificateKind.REMOVED_COPY, RequesterKind.THIRD_PARTY, "issue"
        )
    with schema_context(home):
        [check] = AuditEvent.objects.filter(action="support_measure.cross_town_check")
    with schema_context(away):
        [query] = AuditEvent.objects.filter(action="support_measure.cross_town_query")
    assert check.personal_data
    assert check.purpose == PURPOSE
    assert check.object_id == str(protected.current.pk)
    assert check.details["result"] == "blocked"
    assert check.details["requester"] == RequesterKind.THIRD_PARTY
    assert query.details["result"] == "blocked"
    assert query.details["scope"] == SupportScope.REMOVED_CERTIFICATE
    assert query.object_id == str(protected.removed.pk)  # whom the question was about, by 宛名番号 only
    assert query.object_repr == f"住民 {protected.removed.atena_number}"


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
def test_the_honseki_register_page_warns_and_masks_her_addresses(
    clerk: Person, client_for: Any, home: str, away: str
) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away):
        shown = fuhyo.fuhyo_for_display(actor=clerk, koseki=protected.koseki, purpose=PURPOSE)
    assert shown.warning
    assert shown.protected_member_ids == {protected.hanako.pk}
    assert {line.address for line in shown.lines} == {fuhyo.MASKED_ADDRESS}

    client = client_for("yamamoto", away)
    client.get(f"/koseki/registers/{protected.koseki.public_id}/", {"purpose": PURPOSE})
    page = client.get(f"/koseki/registers/{protected.koseki.public_id}/").content.decode()
    assert "支援措置" in page
    assert HIDDEN[home] not in page
    assert HIDDEN[away] + "77" not in page.replace(" ", "")


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
def test_a_temporary_release_in_her_town_lets_the_former_town_issue_here_and_now(
    clerk: Person, new_person: Any, home: str, away: str
) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    officer = new_person("support-officer-x", **{home: Role.SUPPORT_MEASURE_OFFICER})
    with schema_context(home):
        support.temporarily_release(actor=officer, measure=protected.measure, purpose="本人の請求による交付")
    with schema_context(away):
        issuance, _ = _resident_certificate(  # type: ignore[misc]
            clerk, protected.removed, CertificateKind.REMOVED_COPY, RequesterKind.SELF, "issue"
        )
        assert issuance.kind == CertificateKind.REMOVED_COPY


def test_a_new_measure_covers_every_register_unless_narrowed(clerk: Person) -> None:
    protected = moved_and_protected(clerk, home="shimanto", away="nakatosa")
    assert set(protected.measure.scopes) == set(SupportScope.values)
    assert set(ApplySupportMeasureForm(accompanying_choices=[]).fields["scopes"].initial) == set(SupportScope.values)
    with schema_context("shimanto"):
        narrowed = support.apply_support_measure(
            actor=clerk, resident=protected.current, scopes=[SupportScope.CERTIFICATE]
        )
        row = AuditEvent.objects.filter(action="support_measure.apply").order_by("-seq").first()
    assert narrowed.scopes == [SupportScope.CERTIFICATE]
    assert row is not None
    assert SupportScope.ATTACHED_RECORD in row.details["narrowed"]


def test_a_measure_narrowed_to_the_residence_certificate_leaves_the_fuhyo_to_the_honseki_town(clerk: Person) -> None:
    protected = moved_and_protected(clerk, home="shimanto", away="nakatosa", scopes=[SupportScope.CERTIFICATE])
    with schema_context("nakatosa"):
        issued = koseki_certificates.issue_certificate(
            actor=clerk, koseki=protected.koseki, kind=KosekiKind.FUHYO, requester_name="山田　太郎",
            requester_relation=RequesterRelation.SPOUSE, id_document="運転免許証", purpose=PURPOSE,
        )  # fmt: skip
    assert issued.issuance.kind == KosekiKind.FUHYO


def test_an_unlinked_line_is_not_printed_when_someone_in_the_register_is_protected(clerk: Person) -> None:
    """A line written before the link existed may be the protected person's, put on another member by name."""
    protected = moved_and_protected(clerk, home="shimanto", away="nakatosa")
    with schema_context("nakatosa"):
        taro = Member.objects.get(koseki=protected.koseki, given_name="太郎")
        FuhyoEntry.objects.create(
            koseki=protected.koseki, member=taro, address="高知県高岡郡中土佐町久礼 5", address_set_on=date(2015, 4, 1),
            source_event="転入",
        )  # fmt: skip
        with pytest.raises(FuhyoLineUnlinked) as refused:
            koseki_certificates.issue_certificate(
                actor=clerk, koseki=protected.koseki, kind=KosekiKind.FUHYO, members=[taro],
                requester_name="山田　太郎", requester_relation=RequesterRelation.SELF, id_document="運転免許証",
                purpose=PURPOSE,
            )  # fmt: skip
        assert refused.value.code == "fuhyo_line_unlinked"
        assert not KosekiIssuance.objects.exists()


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
def test_the_former_towns_page_of_her_removed_entry_masks_the_new_address(
    clerk: Person, client_for: Any, home: str, away: str
) -> None:
    protected = moved_and_protected(clerk, home=home, away=away)
    client = client_for("yamamoto", away)
    session = client.session
    session["resident_records.purpose"] = PURPOSE
    session.save()
    page = client.get(f"/resident_records/residents/{protected.removed.atena_number}/").content.decode()
    assert "支援措置のため表示しません" in page
    assert HIDDEN[home] not in page
    with schema_context(away):
        [check_here] = AuditEvent.objects.filter(action="support_measure.cross_town_query")
    assert check_here.details["result"] == "blocked"


@pytest.mark.parametrize(("home", "away"), DIRECTIONS)
@pytest.mark.parametrize("requester", RequesterRelation.values)
def test_the_honseki_town_refuses_her_removed_fuhyo_of_a_closed_register(
    clerk: Person, home: str, away: str, requester: str
) -> None:
    """除附票の写し: the 附票 of a closed register (除籍) still holds every address."""
    protected = moved_and_protected(clerk, home=home, away=away)
    with schema_context(away):
        Koseki.objects.filter(pk=protected.koseki.pk).update(
            status=KosekiStatus.CLOSED, closed_on=date(2026, 11, 1), closed_reason="全員除籍"
        )
        protected.koseki.refresh_from_db()
        with pytest.raises(SupportMeasureBlocked) as refused:
            koseki_certificates.issue_certificate(
                actor=clerk, koseki=protected.koseki, kind=KosekiKind.FUHYO, requester_name="山田　花子",
                requester_relation=requester, id_document="運転免許証", purpose=PURPOSE,
            )  # fmt: skip
        assert not KosekiIssuance.objects.exists()
    assert refused.value.details["scope"] == SupportScope.REMOVED_ATTACHED_RECORD


def test_the_register_page_masks_unlinked_lines_too_but_flags_only_her(clerk: Person) -> None:
    protected = moved_and_protected(clerk, home="shimanto", away="nakatosa")
    with schema_context("nakatosa"):
        taro = Member.objects.get(koseki=protected.koseki, given_name="太郎")
        FuhyoEntry.objects.create(
            koseki=protected.koseki, member=taro, address="高知県高岡郡中土佐町久礼 5", address_set_on=date(2015, 4, 1),
            source_event="移行",
        )  # fmt: skip
        shown = fuhyo.fuhyo_for_display(actor=clerk, koseki=protected.koseki, purpose=PURPOSE)
    assert shown.protected_member_ids == {protected.hanako.pk}
    assert {line.address for line in shown.lines if line.member_id == taro.pk} == {fuhyo.MASKED_ADDRESS}


# --- many persons at once: one read per town, the same answer for each ------------------------------------------


def _family_from(clerk: Person, *, home: str, away: str, size: int) -> list[Resident]:
    """A household of ``size`` (川村, nobody protected) that moved from ``away`` into ``home``."""
    names = ["一郎", "二郎", "三郎", "四郎", "五郎", "六郎"][:size]
    members = [
        replace(
            resident_input(name, date(1990 + i, 4, 1), honseki=HONSEKI[away]), family_name="川村", relationship="子"
        )
        for i, name in enumerate(names)
    ]
    members[0] = replace(members[0], relationship="世帯主")
    with schema_context(home):
        event = services.record_move_in(
            actor=clerk, event_date=date(2026, 10, 1), notified_on=date(2026, 10, 1),
            address=f"{ADDRESS[home]}-{size}", previous_address=ADDRESS[away], members=members,
        )  # fmt: skip
        return list(Resident.objects.filter(household=event.household).order_by("pk"))


def test_a_household_from_another_town_is_read_there_once_for_all_its_members(clerk: Person) -> None:
    family = _family_from(clerk, home="shimanto", away="nakatosa", size=3)
    with schema_context("shimanto"):
        certificates.preview_certificate(
            actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose=PURPOSE, residents=family,
            requester_kind=RequesterKind.SELF,
        )  # fmt: skip
        [query] = AuditEvent.objects.filter(action="support_measure.cross_town_query")
    with schema_context("nakatosa"):
        [check] = AuditEvent.objects.filter(action="support_measure.cross_town_check")
    assert query.details["persons"] == [r.atena_number for r in family]
    assert query.details["result"] == "clear"
    assert check.details["asked"] == 3
    assert check.details["result"] == "clear"


def test_the_batched_answer_is_each_persons_own_answer(clerk: Person) -> None:
    protected = moved_and_protected(clerk, home="shimanto", away="nakatosa")
    family = _family_from(clerk, home="nakatosa", away="shimanto", size=2)
    with schema_context("nakatosa"):
        keys = disclosure.person_keys_for_residents([family[0], protected.removed, family[1]])
        asked: dict[str, Any] = {"actor": clerk, "scope": SupportScope.REMOVED_CERTIFICATE, "purpose": PURPOSE}
        together = disclosure.address_blocks(persons=keys, **asked)
        alone = [disclosure.address_block(person=key, **asked) for key in keys]
    assert together == alone
    assert [block is not None for block in together] == [False, True, False]


def test_the_check_across_the_towns_does_not_grow_with_the_household(clerk: Person) -> None:
    counts = []
    for size in (1, 6):
        family = _family_from(clerk, home="shimanto", away="nakatosa", size=size)
        with schema_context("shimanto"), CaptureQueriesContext(connection) as captured:
            disclosure.ensure_addresses_disclosable(
                actor=clerk, persons=disclosure.person_keys_for_residents(family), scope=SupportScope.CERTIFICATE,
                purpose=PURPOSE, subjects=family,
            )  # fmt: skip
        counts.append(len(captured.captured_queries))
    assert counts[1] == counts[0]

"""支援措置: the block, its period, extension, release by the 支援措置責任者 only, and temporary release."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from common.models import AuditEvent
from common.wareki import to_wareki
from resident_records import services, support
from resident_records.models import (
    Resident,
    SupportMeasure,
    SupportMeasureExtension,
    SupportMeasureKind,
    SupportMeasureStatus,
    SupportScope,
    TemporaryRelease,
)
from resident_records.support import (
    ExtensionTooEarly,
    NotSupportMeasureOfficer,
    SupportMeasureBlocked,
    SupportMeasureNotActive,
)
from tenants.models import Person, Role
from tests.resident_records.factories import family

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 11, 27)
ALL_SCOPES = [SupportScope.INSPECTION, SupportScope.CERTIFICATE, SupportScope.REMOVED_CERTIFICATE]


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def officer(new_person: Any) -> Person:
    person: Person = new_person("support-officer", nakatosa=Role.SUPPORT_MEASURE_OFFICER)
    return person


@pytest.fixture
def in_nakatosa(db: Any) -> Any:
    with schema_context("nakatosa"), time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        yield


@pytest.fixture
def household(in_nakatosa: None, clerk: Person) -> list[Resident]:
    event = services.record_move_in(
        actor=clerk,
        event_date=date(2026, 11, 20),
        notified_on=date(2026, 11, 20),
        address="高知県高岡郡中土佐町久礼1",
        members=family(),
    )
    return list(Resident.objects.filter(household=event.household).order_by("pk"))


def _apply(clerk: Person, victim: Resident, **kwargs: Any) -> SupportMeasure:
    return support.apply_support_measure(actor=clerk, resident=victim, scopes=ALL_SCOPES, **kwargs)


def test_default_period_is_one_year_as_in_the_standard() -> None:
    # 標準仕様書 §3.4: 令和2年4月1日 → 令和3年3月31日
    assert support.one_year_from(date(2020, 4, 1)) == date(2021, 3, 31)
    assert support.one_year_from(date(2026, 1, 31)) == date(2027, 1, 30)
    # 民法 第143条第2項: no 29 February in the next year → the last day of February
    assert support.one_year_from(date(2024, 2, 29)) == date(2025, 2, 28)
    assert support.extension_opens_on(date(2027, 3, 31)) == date(2027, 2, 28)
    assert support.extension_opens_on(date(2026, 12, 26)) == date(2026, 11, 26)


def test_apply_blocks_the_victim_and_accompanying_persons_but_not_others(
    household: list[Resident], clerk: Person
) -> None:
    head, wife, child = household
    before = AuditEvent.objects.count()
    measure = _apply(clerk, wife, accompanying=[child], perpetrator="元配偶者(県外在住)")
    assert measure.kind == SupportMeasureKind.SUPPORT
    assert (measure.start_on, measure.end_on) == (TODAY, date(2027, 11, 26))
    assert measure.decided_by_name == clerk.full_name
    for person in (wife, child):
        for scope in ALL_SCOPES:
            with pytest.raises(SupportMeasureBlocked) as caught:
                support.ensure_not_blocked(resident=person, scope=scope)
            assert "支援措置" in caught.value.message
            assert "支援措置責任者" in caught.value.message
            assert caught.value.status_code == 403
    support.ensure_not_blocked(resident=head, scope=SupportScope.CERTIFICATE)
    # A scope not chosen is not blocked.
    support.ensure_not_blocked(resident=wife, scope=SupportScope.ATTACHED_RECORD)
    rows = AuditEvent.objects.filter(action="support_measure.apply").order_by("seq")
    assert AuditEvent.objects.count() == before + 2
    assert [r.object_id for r in rows] == [str(wife.pk), str(child.pk)]
    assert all(r.personal_data and r.purpose == "支援措置の決定" for r in rows)
    assert all("元配偶者" not in str(r.details) and wife.family_name not in r.object_repr for r in rows)


def test_lapse_does_not_lift_the_block_and_the_alert_list_shows_it(household: list[Resident], clerk: Person) -> None:
    _, wife, child = household
    lapsing = _apply(clerk, wife, start_on=date(2025, 11, 1))  # ended 2026-10-31
    ending = _apply(clerk, child, start_on=date(2025, 12, 20))  # ends 2026-12-19, within a month
    later = _apply(clerk, household[0], start_on=date(2026, 6, 1))  # ends 2027-05-31
    assert lapsing.end_on < TODAY
    with pytest.raises(SupportMeasureBlocked):
        support.ensure_not_blocked(resident=wife, scope=SupportScope.CERTIFICATE)
    alerts = list(support.measures_needing_attention())
    assert lapsing in alerts
    assert ending in alerts
    assert later not in alerts
    assert alerts.index(lapsing) < alerts.index(ending)


def test_provisional_measure_blocks_and_can_be_confirmed(household: list[Resident], clerk: Person) -> None:
    wife = household[1]
    measure = _apply(clerk, wife, kind=SupportMeasureKind.PROVISIONAL)
    with pytest.raises(SupportMeasureBlocked):
        support.ensure_not_blocked(resident=wife, scope=SupportScope.INSPECTION)
    confirmed = support.confirm_provisional_measure(actor=clerk, measure=measure)
    assert confirmed.kind == SupportMeasureKind.SUPPORT
    with pytest.raises(DatabaseError), transaction.atomic():  # never back to provisional
        SupportMeasure.objects.filter(pk=measure.pk).update(kind=SupportMeasureKind.PROVISIONAL)


@pytest.mark.parametrize(
    ("scopes", "code"),
    [([], "support_scopes_required"), (["everything"], "invalid_support_scope")],
)
def test_bad_input_writes_nothing(household: list[Resident], clerk: Person, scopes: list[str], code: str) -> None:
    before = (SupportMeasure.objects.count(), AuditEvent.objects.count())
    with pytest.raises(support.ValidationFailed) as caught:
        support.apply_support_measure(actor=clerk, resident=household[1], scopes=scopes)
    assert caught.value.code == code
    assert (SupportMeasure.objects.count(), AuditEvent.objects.count()) == before


def test_extension_opens_one_month_before_the_end(household: list[Resident], clerk: Person) -> None:
    wife = household[1]
    measure = _apply(clerk, wife, start_on=date(2025, 12, 28))  # ends 2026-12-27, extension from 2026-11-27
    early = _apply(clerk, household[2], start_on=date(2025, 12, 29))  # ends 2026-12-28, extension from 11-28
    with pytest.raises(ExtensionTooEarly) as caught:
        support.extend_support_measure(actor=clerk, measure=early)
    assert to_wareki(date(2026, 11, 28)) in caught.value.message
    assert not SupportMeasureExtension.objects.filter(measure=early).exists()

    extension = support.extend_support_measure(actor=clerk, measure=measure)
    measure.refresh_from_db()
    # one more year from the day after the end
    assert (extension.previous_end_on, extension.new_end_on) == (date(2026, 12, 27), date(2027, 12, 27))
    assert measure.end_on == date(2027, 12, 27)
    assert AuditEvent.objects.filter(action="support_measure.extend", object_id=str(wife.pk)).exists()
    with pytest.raises(ExtensionTooEarly):  # the new end is a year away
        support.extend_support_measure(actor=clerk, measure=measure)


def test_a_lapsed_measure_can_be_extended_without_a_gap(household: list[Resident], clerk: Person) -> None:
    measure = _apply(clerk, household[1], start_on=date(2025, 4, 1))  # ended 2026-03-31
    support.extend_support_measure(actor=clerk, measure=measure)
    measure.refresh_from_db()
    assert measure.end_on == date(2027, 3, 31)


def test_only_the_support_officer_releases(
    household: list[Resident], clerk: Person, officer: Person, new_person: Any
) -> None:
    wife = household[1]
    measure = _apply(clerk, wife)
    auditor = Person.objects.get(username="auditor")
    elsewhere = new_person("officer-elsewhere", shimanto=Role.SUPPORT_MEASURE_OFFICER)
    expired = new_person("officer-expired", nakatosa=Role.SUPPORT_MEASURE_OFFICER, valid_to=date(2026, 3, 31))
    for person in (clerk, auditor, elsewhere, expired, None):
        with pytest.raises(NotSupportMeasureOfficer):
            support.release_support_measure(actor=person, measure=measure, reason="危険が去ったため")
        with pytest.raises(NotSupportMeasureOfficer):
            support.temporarily_release(actor=person, measure=measure, purpose="本人への交付")
    measure.refresh_from_db()
    assert measure.status == SupportMeasureStatus.ACTIVE
    assert not TemporaryRelease.objects.exists()

    with pytest.raises(support.ValidationFailed):
        support.release_support_measure(actor=officer, measure=measure, reason="  ")
    released = support.release_support_measure(actor=officer, measure=measure, reason="本人の申出により解除")
    assert released.status == SupportMeasureStatus.RELEASED
    assert released.released_by_name == officer.full_name
    support.ensure_not_blocked(resident=wife, scope=SupportScope.CERTIFICATE)
    row = AuditEvent.objects.get(action="support_measure.release")
    assert row.actor_id == officer.pk
    assert row.personal_data
    assert "解除" in row.purpose
    with pytest.raises(SupportMeasureNotActive):
        support.release_support_measure(actor=officer, measure=measure, reason="再度")
    # A release is final, even for a direct UPDATE.
    with pytest.raises(DatabaseError), transaction.atomic():
        SupportMeasure.objects.filter(pk=measure.pk).update(status=SupportMeasureStatus.ACTIVE, released_at=None)


@override_settings(KYODO_SUPPORT_RELEASE_MINUTES=30)
def test_temporary_release_relocks_by_itself(household: list[Resident], clerk: Person, officer: Person) -> None:
    _, wife, child = household
    measure = _apply(clerk, wife, accompanying=[child])
    release = support.temporarily_release(actor=officer, measure=measure, purpose="本人への住民票の写しの交付")
    assert release.relock_at - release.released_at == timedelta(minutes=30)
    support.ensure_not_blocked(resident=wife, scope=SupportScope.CERTIFICATE)
    support.ensure_not_blocked(resident=child, scope=SupportScope.CERTIFICATE)
    assert AuditEvent.objects.filter(action="support_measure.temporary_release").count() == 2
    with time_machine.travel(datetime(2026, 11, 27, 10, 29, 59, tzinfo=TOKYO), tick=False):
        support.ensure_not_blocked(resident=wife, scope=SupportScope.CERTIFICATE)
    relocked = time_machine.travel(datetime(2026, 11, 27, 10, 30, tzinfo=TOKYO), tick=False)
    with relocked, pytest.raises(SupportMeasureBlocked):
        support.ensure_not_blocked(resident=wife, scope=SupportScope.CERTIFICATE)
    measure.refresh_from_db()
    assert measure.status == SupportMeasureStatus.ACTIVE  # a temporary release never changes the measure


@override_settings(KYODO_SUPPORT_RELEASE_MINUTES=5)
def test_release_minutes_come_from_settings(household: list[Resident], clerk: Person, officer: Person) -> None:
    measure = _apply(clerk, household[1])
    release = support.temporarily_release(actor=officer, measure=measure, purpose="確認")
    assert release.relock_at - release.released_at == timedelta(minutes=5)


def test_decisions_and_history_cannot_be_edited(household: list[Resident], clerk: Person, officer: Person) -> None:
    measure = _apply(clerk, household[1], start_on=date(2025, 12, 28))
    support.extend_support_measure(actor=clerk, measure=measure)
    support.temporarily_release(actor=officer, measure=measure, purpose="確認")
    attempts = [
        lambda: SupportMeasure.objects.filter(pk=measure.pk).update(start_on=date(2026, 1, 1)),
        lambda: SupportMeasure.objects.filter(pk=measure.pk).update(end_on=date(2026, 12, 1)),  # shorter
        lambda: SupportMeasure.objects.filter(pk=measure.pk).delete(),
        lambda: SupportMeasureExtension.objects.filter(measure=measure).update(new_end_on=date(2030, 1, 1)),
        lambda: TemporaryRelease.objects.filter(measure=measure).update(relock_at=datetime(2030, 1, 1, tzinfo=TOKYO)),
        lambda: measure.accompanying.through.objects.filter(supportmeasure=measure).delete(),
    ]
    measure.accompanying.add(household[2])
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()

"""One truth about an address (docs/domain/resident_register.md §9): after any sequence of 異動 the current entry, the
as-of view, the API
and the certificate agree, on every date; the date rules that keep them in step (docs/domain/resident_register.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import ApplicationError, ValidationFailed
from resident_records import certificates, csv_io, selectors, services
from resident_records.errors import InvalidEventDate
from resident_records.models import Household, Resident, ResidentStatus
from resident_records.serializers import ResidentOut
from tenants.models import Person
from tests.resident_records.factories import move_in_family, person, versioned

TODAY = date(2026, 11, 27)
START = date(2026, 1, 5)
ADDRESSES = ("高知県高岡郡中土佐町久礼 1", "高知県高岡郡中土佐町矢井賀 2", "高知県高岡郡中土佐町上ノ加江 3")


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@contextmanager
def _in_town() -> Iterator[None]:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


# --- the rules, each with the case that slipped through before ------------------------------------------


def test_change_of_address_cannot_precede_the_last_event(clerk: Person) -> None:
    with _in_town():
        household, _ = move_in_family(clerk, on=date(2026, 5, 1))
        with pytest.raises(InvalidEventDate, match="直前の異動"):
            services.record_change_of_address(
                actor=clerk, household=versioned(household), event_date=date(2026, 3, 1), notified_on=TODAY,
                address=ADDRESSES[1],
            )  # fmt: skip


def test_change_of_address_stays_inside_the_town(clerk: Person) -> None:
    with _in_town():
        household, _ = move_in_family(clerk)
        with pytest.raises(ValidationFailed) as error:
            services.record_change_of_address(
                actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY,
                address="高知県高岡郡四万十町琴平町 5",
            )  # fmt: skip
        assert error.value.code == "change_of_address_outside_town"
        assert "転出届" in error.value.message
        # The town itself, written with or without its prefecture, is a 転居.
        services.record_change_of_address(
            actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY,
            address="高知県高岡郡中土佐町大野見 9",
        )  # fmt: skip


def test_as_of_before_becoming_resident_shows_no_residence(clerk: Person) -> None:
    with _in_town():
        _, (head, *_) = move_in_family(clerk, on=date(2026, 4, 1))
        # 住民となった年月日 corrected to later than the first record (the 転入 was entered with the wrong date).
        services.correct_clerical_error(
            actor=clerk, resident=versioned(head), reason="転入日の入力誤り",
            changes={"became_resident_on": date(2026, 4, 20), "address_set_on": date(2026, 4, 20)},
        )  # fmt: skip
        head.refresh_from_db()
        assert selectors.resident_as_of(head, date(2026, 4, 10)) is None
        assert csv_io.records_as_of([head], date(2026, 4, 10)) == {}
        assert selectors.resident_as_of(head, date(2026, 4, 20)) is not None


def test_address_set_on_never_precedes_becoming_resident(clerk: Person) -> None:
    with _in_town():
        _, (head, *_) = move_in_family(clerk, on=date(2026, 4, 1))
        with pytest.raises(ValidationFailed) as error:
            services.correct_clerical_error(
                actor=clerk, resident=versioned(head), reason="入力誤り",
                changes={"address_set_on": date(2026, 3, 1)},
            )  # fmt: skip
        assert error.value.code == "address_set_before_residence"


def test_change_of_address_cannot_precede_a_former_members_departure(clerk: Person) -> None:
    # The rule behind the sequence the property found (below): the child dies on 2026-09-01; a 転居 of the others
    # dated 2026-06-01 was accepted because only the members still living were checked. As of 2026-07-01 the
    # child, still a 住民 of the household then, read at the old address and the others at the new one.
    with _in_town():
        household, (head, _, child) = move_in_family(clerk, on=date(2026, 2, 1), address=ADDRESSES[0])
        services.record_death(
            actor=clerk, resident=versioned(child), died_on=date(2026, 9, 1), notified_on=date(2026, 9, 1)
        )
        household.refresh_from_db()
        with pytest.raises(InvalidEventDate, match="直前の異動"):
            services.record_change_of_address(
                actor=clerk, household=versioned(household), event_date=date(2026, 6, 1), notified_on=TODAY,
                address=ADDRESSES[1],
            )  # fmt: skip
        head.refresh_from_db()
        child.refresh_from_db()
        head_then, child_then = (selectors.resident_as_of(r, date(2026, 7, 1)) for r in (head, child))
        assert head_then is not None
        assert child_then is not None
        assert head_then.address == child_then.address == ADDRESSES[0]
        # On or after the departure the 転居 is accepted.
        services.record_change_of_address(
            actor=clerk, household=versioned(household), event_date=date(2026, 9, 1), notified_on=TODAY,
            address=ADDRESSES[1],
        )  # fmt: skip


def test_birth_before_the_households_move_is_refused(clerk: Person) -> None:
    with _in_town():
        household, _ = move_in_family(clerk, on=date(2026, 2, 1))
        services.record_change_of_address(
            actor=clerk, household=versioned(household), event_date=date(2026, 6, 1), notified_on=date(2026, 6, 1),
            address=ADDRESSES[1],
        )  # fmt: skip
        # Born in May at the old address: written at the new one from May, the child would have lived there
        # before the household did.
        with pytest.raises(InvalidEventDate, match="現在の住所を定めた日"):
            services.record_birth(
                actor=clerk, household=versioned(household),
                child=person(given="二郎", given_kana="ジロウ", birth=date(2026, 5, 20), relationship="子"),
                notified_on=date(2026, 6, 2),
            )  # fmt: skip


# --- the property: replay random 異動 and compare every view on every date ------------------------------

STEP = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 320), st.integers(0, len(ADDRESSES) - 1)),
    st.tuples(st.just("birth"), st.integers(0, 320), st.just(0)),
    st.tuples(st.just("plan_out"), st.integers(0, 340), st.just(0)),
    st.tuples(st.just("confirm_out"), st.integers(0, 320), st.just(0)),
    st.tuples(st.just("death"), st.integers(0, 320), st.just(0)),
    st.tuples(st.just("cancel"), st.just(0), st.just(0)),
)


def _replay(clerk: Person, start: int, steps: list[tuple[str, int, int]]) -> Household:
    household, _ = move_in_family(clerk, on=START + timedelta(days=start), address=ADDRESSES[0])
    births = 0
    for kind, offset, choice in steps:
        day = START + timedelta(days=offset)
        household.refresh_from_db()
        members = list(Resident.objects.filter(household=household, status=ResidentStatus.RESIDENT).order_by("pk"))
        try:
            with transaction.atomic():
                if kind == "move":
                    services.record_change_of_address(
                        actor=clerk, household=versioned(household), event_date=day, notified_on=min(day, TODAY),
                        address=ADDRESSES[choice],
                    )  # fmt: skip
                elif kind == "birth":
                    births += 1
                    services.record_birth(
                        actor=clerk, household=versioned(household), notified_on=min(day, TODAY),
                        child=person(given=f"子{births}", given_kana="コ", birth=day, relationship="子"),
                    )  # fmt: skip
                elif kind == "plan_out" and members:
                    services.plan_move_out(
                        actor=clerk, household=versioned(household), event_date=day, notified_on=TODAY,
                        destination="高知県高知市本町1丁目1番1号",
                    )  # fmt: skip
                elif kind == "confirm_out" and members:
                    services.confirm_move_out(
                        actor=clerk, residents=[versioned(m) for m in members], moved_on=day, notice_received_on=TODAY
                    )
                elif kind == "death" and members:
                    youngest = max(members, key=lambda m: (m.birth_date, m.pk))
                    if youngest.pk != household.head_id:
                        services.record_death(
                            actor=clerk, resident=versioned(youngest), died_on=day, notified_on=min(day, TODAY)
                        )
                elif kind == "cancel":
                    latest = household.events.exclude(kind="cancellation").order_by("-pk").first()
                    if latest is not None and not hasattr(latest, "cancelled_by"):
                        services.cancel_event(actor=clerk, event_id=latest.pk, reason="処理誤り")
        except ApplicationError:
            pass  # a refused 異動 writes nothing; the register must still agree with itself
    household.refresh_from_db()
    return household


def _address_view(record: Any) -> tuple[Any, ...] | None:
    if record is None:
        return None
    return (record.address, record.address_detail, record.address_set_on, record.status, record.household_id)


def _check_every_view(residents: list[Resident], client: Any) -> None:
    days = sorted({START - timedelta(days=1), TODAY} | {START + timedelta(days=n) for n in range(0, 330, 11)})
    for day in days:
        states = {}
        batch = csv_io.records_as_of(residents, day)
        for resident in residents:
            as_of = selectors.resident_as_of(resident, day)
            # The as-of view and the export's batch reader: one rule.
            assert _address_view(as_of) == _address_view(batch.get(resident.pk)), (resident, day)
            if as_of is None:
                continue
            assert day >= as_of.became_resident_on
            assert as_of.became_resident_on <= as_of.address_set_on <= max(day, as_of.became_resident_on)
            states[resident.pk] = as_of
        # A household lives at one address: its members as of any day agree.
        living = [s for s in states.values() if s.status == ResidentStatus.RESIDENT]
        by_household: dict[int, set[str]] = {}
        for state in living:
            by_household.setdefault(state.household_id, set()).add(state.address)
        assert all(len(addresses) == 1 for addresses in by_household.values()), (day, by_household)
    for resident in residents:
        resident.refresh_from_db()
        today = selectors.resident_as_of(resident, TODAY)
        if today is None:
            # Every record of theirs was cancelled (異動の取消し of the 転入): never a resident, the row is 消除.
            assert resident.status == ResidentStatus.REMOVED
            continue
        # The current entry (the resident page without a date) is the as-of view of today.
        assert _address_view(today) == _address_view(resident)
        if resident.status == ResidentStatus.RESIDENT:
            assert today is not None
            assert ResidentOut(today).data["address"] == resident.address
            # The certificate prints the current entry's address.
            assert certificates._address(resident).startswith(today.address)
    head = residents[0]
    response = client.get(f"/api/v1/resident_records/residents/{head.atena_number}/", {"purpose": "整合性の確認"})
    if response.status_code == 200:
        assert response.json()["address"] == head.address


def test_the_sequence_the_property_found(clerk: Person, client_for: Any) -> None:
    # The minimal example of the random replay (hypothesis seed 1): the second child is born on day 285 and dies
    # on day 296; a 転居 of the others was then accepted dated day 129, as only the living members' history was
    # checked. As of day 286 the child read at the old address and the rest of the household at the new one.
    steps = [("birth", 16, 0), ("birth", 285, 0), ("death", 296, 0), ("move", 129, 2), ("plan_out", 157, 0)]
    client = client_for("tanaka", "nakatosa")
    with _in_town():
        household = _replay(clerk, 16, steps)
        residents = list(Resident.objects.filter(records__household=household).distinct().order_by("pk"))
        _check_every_view(residents, client)
        # The 転居 dated before the child's death was refused; the 転出予定 after it was recorded.
        assert not household.events.filter(kind="change_of_address").exists()


@settings(
    max_examples=12,
    deadline=None,
    # Deterministic in CI (the same 12 sequences every run). Run it with random examples after a change to the
    # dating rules: remove derandomize, raise max_examples (300+) and pass several --hypothesis-seed values. The
    # sequence such a run found is test_the_sequence_the_property_found above.
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=st.integers(0, 60), steps=st.lists(STEP, min_size=1, max_size=6))
def test_every_view_agrees_on_every_date(
    clerk: Person, client_for: Any, start: int, steps: list[tuple[str, int, int]]
) -> None:
    client = client_for("tanaka", "nakatosa")
    with _in_town():
        sid = transaction.savepoint()
        try:
            household = _replay(clerk, start, steps)
            residents = list(Resident.objects.filter(records__household=household).distinct().order_by("pk"))
            _check_every_view(residents, client)
        finally:
            transaction.savepoint_rollback(sid)

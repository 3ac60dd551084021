"""The audited reads of the resident register (selectors) and the rules that moved out of forms and views.

One read, one way in: the resident page and the API's resident are built by ``selectors.view_resident`` and write
the same audit rows; a 異動 form's household is read by ``selectors.view_household``. The rules a form or a view
used to hold (at least one person moves in, the 職権 reason, which household a 世帯合併 absorbs) are the
services' now, and carry the field the page shows them on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from resident_records import selectors, services
from resident_records.errors import HouseholdNotFound, ReasonRequired
from resident_records.models import Household, Resident
from resident_records.services import Versioned
from tenants.models import Person
from tests.resident_records.factories import family, move_in_family, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def household(clerk: Person) -> tuple[Household, list[Resident]]:
    with schema_context("nakatosa"):
        return move_in_family(clerk, members=family())


def _rows_after(seq: int) -> list[AuditEvent]:
    with schema_context("nakatosa"):
        return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def _seq() -> int:
    with schema_context("nakatosa"):
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_view_resident_writes_one_row_listing_everyone_shown(
    clerk: Person, household: tuple[Household, list[Resident]]
) -> None:
    """docs/audit.md «One row per view»: before, one row per member shown (3 rows for this household)."""
    _, residents = household
    head = residents[0]
    start = _seq()
    with schema_context("nakatosa"):
        view = selectors.view_resident(actor=clerk, resident=head, purpose="窓口での本人確認")
    rows = _rows_after(start)
    assert view.household is not None
    assert len(view.household.members) == len(residents)
    assert len(rows) == 1
    assert rows[0].object_id == str(head.pk)
    assert rows[0].details["persons"] == [r.atena_number for r in [head, *residents[1:]]]
    assert (rows[0].action, rows[0].purpose, rows[0].personal_data) == ("resident.view", "窓口での本人確認", True)


def test_view_household_writes_one_row_for_the_household(
    clerk: Person, household: tuple[Household, list[Resident]]
) -> None:
    home, residents = household
    start = _seq()
    with schema_context("nakatosa"):
        selectors.view_household(actor=clerk, household=home, purpose="転居届の処理")
        selectors.view_household(actor=clerk, household=home, purpose="照会", as_of=date(2026, 12, 1))
    rows = _rows_after(start)
    assert len(rows) == 2
    assert {row.object_id for row in rows} == {str(home.pk)}
    assert sorted(rows[0].details["persons"]) == sorted(r.atena_number for r in residents)
    assert sorted(rows[1].details["persons"]) == sorted(r.atena_number for r in residents)


def test_an_auditor_finds_every_read_of_a_member_listed_in_a_household_row(
    clerk: Person, household: tuple[Household, list[Resident]]
) -> None:
    """The ``person`` filter (宛名番号) finds the head's page, which listed the child, and the household form."""
    from common.selectors import list_audit_events

    home, residents = household
    head, child = residents[0], residents[-1]
    start = _seq()
    with schema_context("nakatosa"):
        selectors.view_resident(actor=clerk, resident=head, purpose="照会")
        selectors.view_household(actor=clerk, household=home, purpose="転居届の処理")
        found = [row.seq for row in list_audit_events(person=child.atena_number) if row.seq > start]
    assert len(found) == 2


def test_the_page_and_the_api_read_a_resident_the_same_way(
    client_for: Any, household: tuple[Household, list[Resident]]
) -> None:
    """Before, the API wrote its own row (with a "channel" detail) and the page its own: two ways in."""
    _, residents = household
    head = residents[0]
    client = client_for("tanaka", "nakatosa")
    start = _seq()
    api = client.get(f"/api/v1/resident_records/residents/{head.atena_number}/", {"purpose": "照会"})
    assert api.status_code == 200
    api_rows = _rows_after(start)
    assert [(row.action, row.object_id, row.channel) for row in api_rows] == [("resident.view", str(head.pk), "api")]
    assert set(api_rows[0].details) == {"as_of", "persons"}
    start = _seq()
    page = client.get(f"/resident_records/residents/{head.atena_number}/", {"purpose": "照会"}, follow=True)
    assert page.status_code == 200
    page_rows = _rows_after(start)
    assert page_rows[0].action == "resident.view"
    assert page_rows[0].object_id == str(head.pk)
    assert page_rows[0].channel == "web"


def test_move_in_without_anyone_is_refused_by_the_service(clerk: Person) -> None:
    with schema_context("nakatosa"), pytest.raises(ValidationFailed) as info:
        services.record_move_in(
            actor=clerk, event_date=date(2026, 11, 1), notified_on=date(2026, 11, 2),
            address="高知県高岡郡中土佐町久礼 1", previous_address="高知県高知市", members=[],
        )  # fmt: skip
    assert info.value.message == "転入する方を1人以上入力してください。"


def test_ex_officio_entry_without_a_reason_is_refused_on_the_reason_field(clerk: Person) -> None:
    with schema_context("nakatosa"), pytest.raises(ReasonRequired) as info:
        services.record_ex_officio_entry(
            actor=clerk, event_date=date(2026, 11, 1), address="高知県高岡郡中土佐町久礼 1", members=[person()],
            reason="  ",
        )  # fmt: skip
    assert info.value.message == "職権記載の理由を入力してください。"
    assert info.value.details == {"field": "reason"}


def test_the_household_a_merge_absorbs_is_the_services_rule(
    clerk: Person, household: tuple[Household, list[Resident]]
) -> None:
    target, _ = household
    with schema_context("nakatosa"):
        other, _ = move_in_family(clerk, members=[person("鈴木", "一", "スズキ", "ハジメ")])
        assert services.household_to_merge(into=target, number=f" {other.number} ") == other
        for number in ("", "99999999999", target.number):
            with pytest.raises(HouseholdNotFound) as info:
                services.household_to_merge(into=target, number=number)
            assert info.value.details == {"field": "absorbed_number"}
        services.merge_households(
            actor=clerk, household=Versioned(target.pk, target.version), absorbed=Versioned(other.pk, other.version),
            relationships={r.pk: "同居人" for r in other.resident_set.all()}, event_date=date(2026, 11, 20),
            notified_on=date(2026, 11, 20),  # 住基法 第25条: a 届出 needs its 届出日
        )  # fmt: skip
        with pytest.raises(HouseholdNotFound):
            services.household_to_merge(into=target, number=other.number)  # dissolved by the merge


def test_a_departure_of_nobody_is_refused_by_the_service_on_the_members_field(
    clerk: Person, household: tuple[Household, list[Resident]]
) -> None:
    with schema_context("nakatosa"), pytest.raises(ValidationFailed) as info:
        services.record_ex_officio_removal(actor=clerk, residents=[], event_date=date(2026, 11, 1), reason="実態調査")
    assert info.value.message == "対象の住民を1人以上選んでください。"
    assert info.value.details == {"field": "members"}

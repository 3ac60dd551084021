"""The organisation (組織) and postings (配属) as of a date, and the 人事異動 batch."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from common.models import AuditEvent
from tenants import organisation
from tenants.models import OrgUnitKind, Posting
from tenants.organisation import Move, OrganisationError

APRIL_1 = date(2026, 4, 1)


@pytest.fixture
def org(towns: dict[str, Any]) -> dict[str, Any]:
    town = towns["nakatosa"]
    soumu = organisation.create_unit(
        actor=None,
        municipality=town,
        code="T100",
        name="総務課",
        kind=OrgUnitKind.DIVISION,
        valid_from=date(2020, 4, 1),
    )
    zaisei = organisation.create_unit(
        actor=None,
        municipality=town,
        code="T110",
        name="財政係",
        kind=OrgUnitKind.SECTION,
        parent=soumu,
        valid_from=date(2020, 4, 1),
    )
    jumin = organisation.create_unit(
        actor=None,
        municipality=town,
        code="T200",
        name="町民課",
        kind=OrgUnitKind.DIVISION,
        valid_from=date(2020, 4, 1),
    )
    return {"town": town, "soumu": soumu, "zaisei": zaisei, "jumin": jumin}


def test_a_unit_below_includes_its_sections(org: dict[str, Any]) -> None:
    ids = organisation.descendant_ids(org["soumu"], APRIL_1)
    assert ids == {org["soumu"].pk, org["zaisei"].pk}


def test_a_code_in_use_is_refused(org: dict[str, Any]) -> None:
    with pytest.raises(OrganisationError) as excinfo:
        organisation.create_unit(
            actor=None,
            municipality=org["town"],
            code="T100",
            name="別の課",
            kind=OrgUnitKind.DIVISION,
            valid_from=APRIL_1,
        )
    assert excinfo.value.code == "org_code_in_use"


def test_a_parent_of_another_town_is_refused(org: dict[str, Any], towns: dict[str, Any]) -> None:
    with pytest.raises(OrganisationError) as excinfo:
        organisation.create_unit(
            actor=None,
            municipality=towns["shimanto"],
            code="S100",
            name="総務課",
            kind=OrgUnitKind.DIVISION,
            parent=org["soumu"],
            valid_from=APRIL_1,
        )
    assert excinfo.value.code == "org_parent_other_town"


def test_two_primary_postings_at_once_are_refused(org: dict[str, Any], new_person: Any) -> None:
    clerk = new_person("org-clerk-1", nakatosa="clerk")
    organisation.post_person(actor=None, person=clerk, unit=org["soumu"], valid_from=date(2025, 4, 1))
    with pytest.raises(OrganisationError) as excinfo:
        organisation.post_person(actor=None, person=clerk, unit=org["jumin"], valid_from=APRIL_1)
    assert excinfo.value.code == "org_primary_overlap"


def test_a_secondary_posting_may_overlap(org: dict[str, Any], new_person: Any) -> None:
    clerk = new_person("org-clerk-2", nakatosa="clerk")
    organisation.post_person(actor=None, person=clerk, unit=org["soumu"], valid_from=date(2025, 4, 1))
    organisation.post_person(actor=None, person=clerk, unit=org["jumin"], valid_from=APRIL_1, is_primary=False)
    assert organisation.postings_on(APRIL_1, person=clerk).count() == 2


def test_the_transfer_batch_moves_people_on_its_date(org: dict[str, Any], new_person: Any) -> None:
    clerk = new_person("org-clerk-3", nakatosa="clerk")
    organisation.post_person(actor=None, person=clerk, unit=org["soumu"], valid_from=date(2025, 4, 1), title="主事")
    organisation.apply_transfers(
        actor=None, municipality=org["town"], effective_on=APRIL_1, moves=[Move(person=clerk, unit_code="T200")]
    )
    assert organisation.primary_unit(clerk, org["town"], date(2026, 3, 31)) == org["soumu"]
    assert organisation.primary_unit(clerk, org["town"], APRIL_1) == org["jumin"]
    moved = Posting.objects.get(person=clerk, unit=org["jumin"])
    assert moved.title == "主事"
    assert AuditEvent.objects.filter(action="organisation.transfer_batch").count() == 1


def test_a_batch_with_an_unknown_unit_writes_nothing(org: dict[str, Any], new_person: Any) -> None:
    clerk = new_person("org-clerk-4", nakatosa="clerk")
    other = new_person("org-clerk-5", nakatosa="clerk")
    organisation.post_person(actor=None, person=clerk, unit=org["soumu"], valid_from=date(2025, 4, 1))
    organisation.post_person(actor=None, person=other, unit=org["soumu"], valid_from=date(2025, 4, 1))
    moves = [Move(person=clerk, unit_code="T200"), Move(person=other, unit_code="NOPE")]
    with pytest.raises(OrganisationError) as excinfo:
        organisation.apply_transfers(actor=None, municipality=org["town"], effective_on=APRIL_1, moves=moves)
    assert excinfo.value.code == "org_transfer_invalid"
    assert organisation.primary_unit(clerk, org["town"], APRIL_1) == org["soumu"]


def test_a_unit_with_people_cannot_be_abolished(org: dict[str, Any], new_person: Any) -> None:
    clerk = new_person("org-clerk-6", nakatosa="clerk")
    organisation.post_person(actor=None, person=clerk, unit=org["jumin"], valid_from=date(2025, 4, 1))
    with pytest.raises(OrganisationError) as excinfo:
        organisation.end_unit(actor=None, unit=org["jumin"], valid_to=date(2026, 3, 31))
    assert excinfo.value.code == "org_has_postings"


def test_members_of_a_division_include_its_sections(org: dict[str, Any], new_person: Any) -> None:
    clerk = new_person("org-clerk-7", nakatosa="clerk")
    organisation.post_person(actor=None, person=clerk, unit=org["zaisei"], valid_from=date(2025, 4, 1))
    members = organisation.members_of(org["soumu"], APRIL_1, descendants=True)
    assert [p.person for p in members] == [clerk]

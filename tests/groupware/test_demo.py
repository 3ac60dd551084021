"""The demo groupware: organisations, schedules, bookings, requests at every stage, partly read notices."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from groupware.demo import seed_town
from groupware.models import Booking, Event, Notice, NoticeRead, RequestStatus, WorkflowRequest
from tenants.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_the_demo_town_has_every_part_and_a_second_run_changes_nothing(towns: dict[str, Any]) -> None:
    seed_town("council")
    seed_town("nakatosa")
    assert OrgUnit.objects.filter(municipality=towns["nakatosa"], kind="school").count() == 2
    with schema_context("nakatosa"):
        assert Event.objects.count() > 50
        assert Booking.objects.exists()
        statuses = set(WorkflowRequest.objects.values_list("status", flat=True))
        assert statuses == set(RequestStatus.values)
        reads = NoticeRead.objects.count()
        assert reads > 0
        assert Notice.objects.count() >= 3
    assert seed_town("nakatosa") == "already seeded, left as it is"

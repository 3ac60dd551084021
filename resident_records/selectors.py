"""Reads of the register: the state of a resident or a household as of any date."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from resident_records.models import HouseholdRecord, Resident, ResidentRecord


def effective_records() -> QuerySet[ResidentRecord]:
    """Records of events that were not cancelled (a cancelled event stays in the history, marked)."""
    return ResidentRecord.objects.filter(event__cancelled_by__isnull=True)


def resident_as_of(resident: Resident, day: date) -> ResidentRecord | None:
    """The resident's entry as it stood on ``day`` (None before the resident was registered here)."""
    return (
        effective_records()
        .filter(resident=resident, effective_on__lte=day)
        .order_by("-effective_on", "-recorded_at", "-id")
        .first()
    )


def history(resident: Resident) -> QuerySet[ResidentRecord]:
    """Every record of the resident, cancelled ones included, for the history timeline."""
    return resident.records.select_related("event", "event__cancelled_by").order_by("effective_on", "recorded_at", "id")


def household_members_as_of(household_id: int, day: date) -> list[ResidentRecord]:
    """Who belonged to the household on ``day``, each as their entry stood then (still 住民 on that day)."""
    candidates = (
        effective_records()
        .filter(effective_on__lte=day, resident__records__household_id=household_id)
        .values_list("resident_id", flat=True)
        .distinct()
    )
    members = []
    for resident in Resident.objects.filter(pk__in=candidates).order_by("pk"):
        record = resident_as_of(resident, day)
        if record is not None and record.household_id == household_id and record.status == "resident":
            members.append(record)
    return members


def household_head_as_of(household_id: int, day: date) -> HouseholdRecord | None:
    return (
        HouseholdRecord.objects.filter(
            household_id=household_id, effective_on__lte=day, event__cancelled_by__isnull=True
        )
        .order_by("-effective_on", "-recorded_at", "-id")
        .first()
    )

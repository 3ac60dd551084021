"""Building blocks for resident-register tests."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.utils import timezone

from common.models import Job, JobState
from resident_records import imports, services
from resident_records.models import Household, Resident
from resident_records.services import PersonInput, Versioned
from tenants.models import Person


def person(
    family: str = "山田",
    given: str = "太郎",
    family_kana: str = "ヤマダ",
    given_kana: str = "タロウ",
    *,
    birth: date = date(1980, 5, 1),
    sex: str = "1",
    relationship: str = "世帯主",
    **extra: Any,
) -> PersonInput:
    return PersonInput(
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        birth_date=birth,
        sex=sex,
        relationship=relationship,
        **extra,
    )


def family() -> list[PersonInput]:
    return [
        person(),
        person("山田", "花子", "ヤマダ", "ハナコ", birth=date(1982, 8, 12), sex="2", relationship="妻"),
        person("山田", "一郎", "ヤマダ", "イチロウ", birth=date(2012, 4, 3), relationship="子"),
    ]


def versioned(obj: Any) -> Versioned:
    """The id and version a clerk's screen would show for a resident or household (re-read from the DB)."""
    obj.refresh_from_db()
    return Versioned(obj.pk, obj.version)


def move_in_family(
    actor: Any,
    *,
    members: list[PersonInput] | None = None,
    on: date = date(2026, 4, 1),
    address: str = "高知県高岡郡中土佐町久礼 1234",
) -> tuple[Household, list[Resident]]:
    """A household moved in on ``on`` (default: 世帯主, 妻, 子); returns it and its residents in input order."""
    event = services.record_move_in(
        actor=actor, event_date=on, notified_on=on, address=address, members=members or family()
    )
    household = Household.objects.get(pk=event.household_id)
    return household, list(Resident.objects.filter(household=household).order_by("pk"))


def refused_import(clerk: Person) -> Job:
    """A finished import job of ``clerk`` whose report quotes a cell of the file (a birth date as typed)."""
    now = timezone.now()
    return Job.objects.create(
        public_id=uuid.uuid4(),
        kind=imports.IMPORT_JOB,
        state=JobState.FAILED,
        owner_id=clerk.pk,
        purpose="住民記録の移行",
        error_code="import_invalid",
        error_message="取込ファイルに誤りがあります。",
        error_report=[{"row": 2, "column": "生年月日", "message": "日付として読み取れません: 「昭和1O年」"}],
        error_total=1,
        created_at=now,
        finished_at=now,
    )

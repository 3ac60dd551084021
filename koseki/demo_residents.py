"""The demo towns' residents the demo 戸籍 are built from (koseki.demo): one register per (本籍, 筆頭者) of the
resident register's demo data, with the small date helpers the builder shares."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django_tenants.utils import schema_context

from common.text import normalize_search_text
from resident_records.models import Resident, ResidentStatus, ResidentType
from tenants.models import Municipality


@dataclass(frozen=True)
class DemoResident:
    """What the registers take from one resident (read from whichever town they live in)."""

    town_code: str
    schema: str
    atena_number: str
    household_id: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: str
    relationship: str
    domicile: str
    domicile_head: str
    address: str
    address_set_on: date
    resident_code: str

    @property
    def plain_name(self) -> str:
        return f"{self.family_name}{self.given_name}"


# (schema, household id) -> the foreign spouse's name and 国籍 (a 婚姻 entry names them; they have no koseki)
ForeignSpouses = dict[tuple[str, int], tuple[str, str]]


@dataclass
class ResidentGroup:
    honseki: str
    head_name: str
    residents: list[DemoResident] = field(default_factory=list)


def name_key(text: str) -> str:
    return normalize_search_text(text)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def town_prefix(honseki: str, town: Municipality) -> str:
    """「高知県高岡郡中土佐町」 of 「高知県高岡郡中土佐町久礼1234番地」: the 出生地 and 死亡地 of local events."""
    index = honseki.find(town.name)
    return honseki[: index + len(town.name)] if index >= 0 else town.name


def read_residents(towns: list[Municipality]) -> tuple[list[DemoResident], ForeignSpouses]:
    """Every Japanese 住民 with a 本籍 in every platform town, and each town's foreign spouses by household."""
    residents: list[DemoResident] = []
    foreign_spouses: ForeignSpouses = {}
    for town in towns:
        with schema_context(town.schema_name):
            rows = Resident.objects.filter(status=ResidentStatus.RESIDENT).order_by("atena_number")
            for r in rows.filter(resident_type=ResidentType.JAPANESE).exclude(domicile=""):
                residents.append(
                    DemoResident(
                        town_code=town.code or "",
                        schema=town.schema_name,
                        atena_number=r.atena_number,
                        household_id=r.household_id,
                        family_name=r.family_name,
                        given_name=r.given_name,
                        family_name_kana=r.family_name_kana,
                        given_name_kana=r.given_name_kana,
                        birth_date=r.birth_date,
                        sex=r.sex,
                        relationship=r.relationship,
                        domicile=r.domicile,
                        domicile_head=r.domicile_head,
                        address=" ".join(f"{r.address} {r.address_detail}".split()),
                        address_set_on=r.address_set_on,
                        resident_code=r.resident_code,
                    )
                )
            spouses = rows.filter(resident_type=ResidentType.FOREIGN, relationship__in=["妻", "夫"])
            for r in spouses:
                foreign_spouses[town.schema_name, r.household_id] = (f"{r.family_name}　{r.given_name}", r.nationality)
    return residents, foreign_spouses

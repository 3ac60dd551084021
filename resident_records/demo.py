"""Realistic demo residents for a depopulating town of western Kōchi (中土佐町, 四万十町), fed to bulk.py.

Deterministic for a given seed and day. The shapes follow what such a town's register looks like:
* many elderly (roughly 45 % aged 65 or over): people living alone, elderly couples, an elderly parent
  living with an unmarried child; fewer young families; some three-generation households;
* relationships (続柄) as the register writes them to the head: 世帯主, 妻 / 夫, 子, 子の妻, 孫, 父, 母;
* ages are consistent: a child was born when each parent was 20–45;
* 本籍 mostly in the town itself, a tenth elsewhere; a few foreign residents (technical interns, spouses,
  permanent residents) with 在留資格 and 在留期間, some with a 通称 (住基法施行令 第30条の26).

Names and readings come from ``data/family_names.tsv`` and ``data/given_names.tsv`` (given names by
generation, so a 90-year-old is 幸子 rather than 陽菜), place names from ``data/places.tsv``.

個人番号 are left empty unless ``my_number_share`` asks for them: a random number with a valid check digit
may be a real person's number, so the demo does not invent them; benchmarks ask for them (in a scratch
town that is dropped afterwards) to measure the encryption cost.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django_tenants.utils import schema_context
from stdnum.jp import in_ as individual_number

from common.dates import local_today
from common.errors import ApplicationError, ValidationFailed
from resident_records.bulk import BulkLoadResult, HouseholdInput, load_households
from resident_records.models import Resident, ResidentType, Sex
from resident_records.services import HEAD, PersonInput
from tenants.models import Municipality

DATA = Path(__file__).resolve().parent / "data"

PREFECTURE_DISTRICT = "高知県高岡郡"
TOWN_NAMES = {"nakatosa": "中土佐町", "shimanto": "四万十町"}
OTHER_DOMICILES = [
    "高知県高知市本町一丁目",
    "高知県須崎市西町",
    "高知県四万十市中村大橋通",
    "高知県土佐市高岡町",
    "愛媛県松山市一番町",
    "香川県高松市番町",
    "大阪府大阪市北区梅田",
    "東京都千代田区霞が関",
]

# (weight, kind) of household shapes in a town where about 45 % of residents are 65 or over.
HOUSEHOLD_SHAPES = [
    (26, "single_elderly"),
    (23, "elderly_couple"),
    (11, "single_adult"),
    (6, "couple_without_children"),
    (13, "couple_with_children"),
    (3, "single_parent"),
    (8, "three_generations"),
    (8, "elderly_with_child"),
    (2, "foreign_single"),
]

# 国籍・地域, 在留資格, family names (ローマ字, フリガナ), given names (ローマ字, フリガナ)
FOREIGN_PROFILES = [
    (
        "ベトナム",
        "技能実習",
        [("NGUYEN", "グエン"), ("TRAN", "チャン"), ("LE", "レ"), ("PHAM", "ファム"), ("HOANG", "ホアン")],
        [("VAN HUNG", "ヴァン フン"), ("THI LAN", "ティ ラン"), ("THI HOA", "ティ ホア"), ("VAN NAM", "ヴァン ナム")],
    ),
    (
        "インドネシア",
        "特定技能",
        [("SAPUTRA", "サプトラ"), ("WIJAYA", "ウィジャヤ"), ("PRATAMA", "プラタマ")],
        [("ADI", "アディ"), ("BUDI", "ブディ"), ("DEWI", "デウィ"), ("RINA", "リナ")],
    ),
]
# Spouses of Japanese residents: a different 在留資格 and no household of their own.
SPOUSE_PROFILE = (
    "フィリピン",
    ["日本人の配偶者等", "永住者"],
    [("SANTOS", "サントス"), ("REYES", "レイエス"), ("CRUZ", "クルス"), ("GARCIA", "ガルシア")],
    [("MARIA", "マリア"), ("ANA", "アナ"), ("JOCELYN", "ジョセリン"), ("ROSALIE", "ロザリー")],
)
# Permanent residents from China, some registered with a Japanese-style 通称.
CHINESE_PROFILE = (
    [("王", "ワン"), ("李", "リー"), ("張", "チャン"), ("劉", "リュウ")],
    [("秀英", "シウイン"), ("麗", "リー"), ("偉", "ウェイ"), ("静", "ジン")],
)


SELF = "\0self"  # person(domicile_head=SELF): the person heads their own 戸籍


@dataclass(frozen=True)
class Name:
    kanji: str
    kana: str


@dataclass(frozen=True)
class Place:
    name: str
    postal_code: str
    weight: int


def _rows(filename: str) -> list[list[str]]:
    lines = (DATA / filename).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@cache
def family_names() -> tuple[list[Name], list[int]]:
    rows = _rows("family_names.tsv")
    return [Name(r[0], r[1]) for r in rows], [int(r[2]) for r in rows]


@cache
def given_names() -> dict[tuple[str, str], list[Name]]:
    names: dict[tuple[str, str], list[Name]] = {}
    for sex, generation, kanji, kana in _rows("given_names.tsv"):
        names.setdefault((sex, generation), []).append(Name(kanji, kana))
    return names


@cache
def places(town_key: str) -> list[Place]:
    return [Place(r[1], r[2], int(r[3])) for r in _rows("places.tsv") if r[0] == town_key]


def town_key(schema_name: str) -> str:
    """Demo towns use their own place names; any other town (a bench town) borrows 四万十町's."""
    return schema_name if schema_name in TOWN_NAMES else "shimanto"


def _generation(birth: date) -> str:
    return "old" if birth.year <= 1955 else "mid" if birth.year <= 1989 else "young"


class _Generator:
    def __init__(self, key: str, seed: int, today: date, my_number_share: float) -> None:
        self.rng = random.Random(f"{key}:{seed}")  # noqa: S311  (reproducible demo data, not a secret)
        self.today = today
        self.town = f"{PREFECTURE_DISTRICT}{TOWN_NAMES.get(key, TOWN_NAMES['shimanto'])}"
        self.places = places(key)
        # The other demo town on the platform: some families keep their 本籍 there (koseki demo, 広域交付).
        other_key = next(k for k in TOWN_NAMES if k != key)
        self.other_town = f"{PREFECTURE_DISTRICT}{TOWN_NAMES[other_key]}"
        self.other_places = places(other_key)
        self.place_weights = list(accumulate(p.weight for p in self.places))  # cumulative: choices() is O(log n)
        self.families, weights = family_names()
        self.family_weights = list(accumulate(weights))
        self.shapes = [getattr(self, f"_{shape}") for _, shape in HOUSEHOLD_SHAPES]
        self.shape_weights = list(accumulate(weight for weight, _ in HOUSEHOLD_SHAPES))
        self.my_number_share = my_number_share
        self.serial = 0
        # A stride coprime with 10**11 walks through distinct 11-digit bodies: numbers never repeat.
        self.number_offset = self.rng.randrange(10**11)

    # --- small pieces ---------------------------------------------------------------------------

    def born(self, age: int) -> date:
        """A birthday giving exactly ``age`` full years today."""
        latest = _years_before(self.today, age)
        earliest = _years_before(self.today, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def elderly_age(self) -> int:
        # Skewed towards the late 70s and 80s, as in the town's pyramid; a few centenarians.
        return min(104, 65 + int(self.rng.triangular(0, 35, 14)))

    def family(self) -> Name:
        return self.rng.choices(self.families, cum_weights=self.family_weights)[0]

    def given(self, sex: str, birth: date) -> Name:
        return self.rng.choice(given_names()[(sex, _generation(birth))])

    def address(self) -> tuple[str, str]:
        place = self.rng.choices(self.places, cum_weights=self.place_weights)[0]
        number = self.rng.randint(1, 2500)
        branch = f"{self.rng.randint(1, 12)}" if self.rng.random() < 0.3 else ""
        address = f"{self.town}{place.name}{number}番地" + (branch if branch else "")
        return address, place.postal_code

    def domicile(self) -> str:
        draw = self.rng.random()
        if draw < 0.85:  # most families keep their 本籍 where they live
            place = self.rng.choices(self.places, cum_weights=self.place_weights)[0]
            return f"{self.town}{place.name}{self.rng.randint(1, 2500)}番地"
        if draw < 0.9:  # some in the neighbouring town of the council
            place = self.rng.choice(self.other_places)
            return f"{self.other_town}{place.name}{self.rng.randint(1, 2500)}番地"
        return f"{self.rng.choice(OTHER_DOMICILES)}{self.rng.randint(1, 30)}番地"

    def numbers(self) -> dict[str, Any]:
        self.serial += 1
        body = (self.number_offset + self.serial * 7_919_999_993) % 10**11
        code = f"{(body * 3 + 12_345) % 10**11:011d}"  # 住民票コード: opaque 11 digits (docs/domain/check_digits.md)
        result: dict[str, Any] = {"resident_code": code}
        if self.rng.random() < self.my_number_share:
            digits = f"{body:011d}"
            result["my_number"] = digits + individual_number.calc_check_digit(digits)
        return result

    def person(
        self,
        family: Name,
        sex: str,
        age: int,
        relationship: str,
        *,
        domicile: str = "",
        domicile_head: str = "",
    ) -> PersonInput:
        birth = self.born(age)
        given = self.given(sex, birth)
        return PersonInput(
            family_name=family.kanji,
            given_name=given.kanji,
            family_name_kana=family.kana,
            given_name_kana=given.kana,
            birth_date=birth,
            sex=sex,
            relationship=relationship,
            domicile=domicile,
            # 筆頭者: the person themself when they head their own 戸籍.
            domicile_head=f"{family.kanji} {given.kanji}" if domicile_head == SELF else domicile_head,
            **self.numbers(),
        )

    def child_age(self, *parent_ages: int, max_age: int = 24) -> int | None:
        """An age at which every parent was 20–45 at the birth (None when impossible)."""
        # One year of margin each side: birthdays fall anywhere in the year, so a parent who is 21 years
        # older than the child was 20 or 21 at the birth.
        low = max([0] + [age - 44 for age in parent_ages])
        high = min([max_age] + [age - 21 for age in parent_ages])
        return self.rng.randint(low, high) if low <= high else None

    # --- households -----------------------------------------------------------------------------

    def household(self) -> HouseholdInput:
        members = self.rng.choices(self.shapes, cum_weights=self.shape_weights)[0]()
        address, postal_code = self.address()
        adults = [m for m in members if m.relationship in {HEAD, "妻", "夫", "父", "母", "子の妻"}]
        youngest_adult = min(_age(m.birth_date, self.today) for m in adults)
        # 住所を定めた年月日: some day after the youngest adult turned 18 (or was born, for a local family).
        span = max(30, (youngest_adult - 18) * 365)
        moved_in_on = self.today - timedelta(days=self.rng.randint(30, span))
        members = [_born_here_after(m, moved_in_on) for m in members]
        return HouseholdInput(
            members=members,
            address=address,
            postal_code=postal_code,
            moved_in_on=moved_in_on,
            address_detail=f"町営住宅{self.rng.randint(1, 40)}号" if self.rng.random() < 0.04 else "",
        )

    def _single_elderly(self) -> list[PersonInput]:
        family = self.family()
        sex = Sex.FEMALE if self.rng.random() < 0.68 else Sex.MALE  # widows outnumber widowers
        head_of_register = self._late_husband(family) if sex == Sex.FEMALE else ""
        return [
            self.person(
                family, sex, self.elderly_age(), HEAD, domicile=self.domicile(), domicile_head=head_of_register or SELF
            )
        ]

    def _elderly_couple(self) -> list[PersonInput]:
        family = self.family()
        husband_age = min(100, self.elderly_age() + self.rng.randint(0, 3))
        return self._couple(family, husband_age, max(60, husband_age - self.rng.randint(0, 5)))

    def _single_adult(self) -> list[PersonInput]:
        sex = Sex.MALE if self.rng.random() < 0.6 else Sex.FEMALE
        return [
            self.person(
                self.family(), sex, self.rng.randint(19, 64), HEAD, domicile=self.domicile(), domicile_head=SELF
            )
        ]

    def _couple(self, family: Name, husband_age: int, wife_age: int) -> list[PersonInput]:
        domicile = self.domicile()
        husband = self.person(family, Sex.MALE, husband_age, HEAD, domicile=domicile, domicile_head=SELF)
        head_name = husband.domicile_head
        if self.rng.random() < 0.03 and wife_age < 60:
            return [husband, self.foreign_spouse(wife_age)]
        wife = self.person(family, Sex.FEMALE, wife_age, "妻", domicile=domicile, domicile_head=head_name)
        return [husband, wife]

    def _couple_without_children(self) -> list[PersonInput]:
        husband_age = self.rng.randint(25, 64)
        return self._couple(self.family(), husband_age, max(20, husband_age - self.rng.randint(0, 5)))

    def _couple_with_children(self) -> list[PersonInput]:
        family = self.family()
        wife_age = self.rng.randint(26, 52)
        husband_age = min(wife_age + self.rng.randint(0, 5), 57)
        members = self._couple(family, husband_age, wife_age)
        members += self.children(family, members[0], husband_age, wife_age, self.rng.choice([1, 2, 2, 3]), "子")
        return members

    def _single_parent(self) -> list[PersonInput]:
        family = self.family()
        mother_age = self.rng.randint(25, 50)
        mother = self.person(family, Sex.FEMALE, mother_age, HEAD, domicile=self.domicile(), domicile_head=SELF)
        return [mother, *self.children(family, mother, mother_age, mother_age, self.rng.choice([1, 1, 2]), "子")]

    def _three_generations(self) -> list[PersonInput]:
        family = self.family()
        if self.rng.random() < 0.5:
            # A middle-aged head, spouse and children, with the head's widowed mother (or both parents).
            head_age = self.rng.randint(42, 62)
            wife_age = max(36, head_age - self.rng.randint(0, 5))
            members = self._couple(family, head_age, wife_age)
            members += self.children(family, members[0], head_age, wife_age, self.rng.choice([1, 2]), "子")
            mother_age = min(100, head_age + self.rng.randint(22, 38))
            parents_domicile = self.domicile()
            father_name = self._late_husband(family)
            if self.rng.random() < 0.35 and mother_age < 92:
                father_age = mother_age + self.rng.randint(0, 4)
                father = self.person(family, Sex.MALE, father_age, "父", domicile=parents_domicile, domicile_head=SELF)
                father_name = father.domicile_head
                members.append(father)
            mother = self.person(
                family, Sex.FEMALE, mother_age, "母", domicile=parents_domicile, domicile_head=father_name
            )
            return [*members, mother]
        # An elderly head and spouse, their son with his wife, and grandchildren.
        head_age = self.rng.randint(66, 84)
        wife_age = max(62, head_age - self.rng.randint(0, 4))
        members = self._couple(family, head_age, wife_age)
        son_age = self.child_age(head_age, wife_age, max_age=55) or 40
        son = self.person(family, Sex.MALE, max(25, son_age), "子", domicile=self.domicile(), domicile_head=SELF)
        daughter_in_law_age = max(22, _age(son.birth_date, self.today) - self.rng.randint(0, 4))
        daughter_in_law = self.person(
            family, Sex.FEMALE, daughter_in_law_age, "子の妻", domicile=son.domicile, domicile_head=son.domicile_head
        )
        members += [son, daughter_in_law]
        members += self.children(
            family, son, _age(son.birth_date, self.today), daughter_in_law_age, self.rng.choice([1, 2]), "孫"
        )
        return members

    def _elderly_with_child(self) -> list[PersonInput]:
        family = self.family()
        head_age = self.rng.randint(70, 92)
        if self.rng.random() < 0.5:
            members = self._couple(family, head_age, max(65, head_age - self.rng.randint(0, 5)))
            parent_ages = [head_age, _age(members[1].birth_date, self.today)]
        else:
            members = self._single_elderly_of(family, head_age)
            parent_ages = [head_age]
        age = self.child_age(*parent_ages, max_age=60)
        if age is not None and age >= 30:
            sex = self.rng.choice([Sex.MALE, Sex.FEMALE])
            head = members[0]
            members.append(
                self.person(family, sex, age, "子", domicile=head.domicile, domicile_head=head.domicile_head)
            )
        return members

    def _single_elderly_of(self, family: Name, age: int) -> list[PersonInput]:
        domicile_head = self._late_husband(family)
        return [self.person(family, Sex.FEMALE, age, HEAD, domicile=self.domicile(), domicile_head=domicile_head)]

    def _late_husband(self, family: Name) -> str:
        return f"{family.kanji} {self.rng.choice(given_names()[(Sex.MALE, 'old')]).kanji}"

    def children(
        self, family: Name, parent: PersonInput, father_age: int, mother_age: int, count: int, relationship: str
    ) -> list[PersonInput]:
        ages: list[int] = []
        for _ in range(count * 3):  # siblings at least two years apart (twins are left out of the demo)
            age = self.child_age(father_age, mother_age)
            if age is not None and all(abs(age - other) >= 2 for other in ages):
                ages.append(age)
            if len(ages) == count:
                break
        kids = []
        for age in sorted(ages, reverse=True):
            sex = self.rng.choice([Sex.MALE, Sex.FEMALE])
            kids.append(
                self.person(
                    family, sex, age, relationship, domicile=parent.domicile, domicile_head=parent.domicile_head
                )
            )
        return kids

    # --- foreign residents (住基法 第30条の45) --------------------------------------------------------

    def _foreign_single(self) -> list[PersonInput]:
        if self.rng.random() < 0.25:
            return [self.chinese_permanent_resident()]
        nationality, status, families, givens = self.rng.choice(FOREIGN_PROFILES)
        family, family_kana = self.rng.choice(families)
        given, given_kana = self.rng.choice(givens)
        return [
            PersonInput(
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                birth_date=self.born(self.rng.randint(20, 34)),
                sex=self.rng.choice([Sex.MALE, Sex.FEMALE]),
                relationship=HEAD,
                resident_type=ResidentType.FOREIGN,
                nationality=nationality,
                residence_status=status,
                residence_period_end=self.today + timedelta(days=self.rng.randint(30, 1000)),
                **self.numbers(),
            )
        ]

    def chinese_permanent_resident(self) -> PersonInput:
        families, givens = CHINESE_PROFILE
        family, family_kana = self.rng.choice(families)
        given, given_kana = self.rng.choice(givens)
        sex = self.rng.choice([Sex.MALE, Sex.FEMALE])
        birth = self.born(self.rng.randint(35, 75))
        alias: dict[str, Any] = {}
        if self.rng.random() < 0.5:
            alias_family, alias_given = self.family(), self.given(sex, birth)
            alias = {
                "alias": f"{alias_family.kanji} {alias_given.kanji}",
                "alias_kana": f"{alias_family.kana} {alias_given.kana}",
            }
        return PersonInput(
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            birth_date=birth,
            sex=sex,
            relationship=HEAD,
            resident_type=ResidentType.FOREIGN,
            nationality="中国",
            residence_status="永住者",
            **alias,
            **self.numbers(),
        )

    def foreign_spouse(self, age: int) -> PersonInput:
        nationality, statuses, families, givens = SPOUSE_PROFILE
        family, family_kana = self.rng.choice(families)
        given, given_kana = self.rng.choice(givens)
        status = self.rng.choice(statuses)
        return PersonInput(
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            birth_date=self.born(age),
            sex=Sex.FEMALE,
            relationship="妻",
            resident_type=ResidentType.FOREIGN,
            nationality=nationality,
            residence_status=status,
            # 永住者 have no period of stay; 日本人の配偶者等 are granted 1, 3 or 5 years.
            residence_period_end=None
            if status == "永住者"
            else self.today + timedelta(days=self.rng.randint(60, 5 * 365)),
            **self.numbers(),
        )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _with(person: PersonInput, **changes: Any) -> PersonInput:
    return replace(person, **changes)


def _born_here_after(person: PersonInput, moved_in_on: date) -> PersonInput:
    # Children born after the household settled here became residents on their birthday (出生).
    if person.birth_date > moved_in_on:
        return _with(person, extra={**person.extra, "became_resident_on": person.birth_date})
    return person


def generate(
    town: str, count: int, seed: int = 0, *, today: date | None = None, my_number_share: float = 0.0
) -> Iterator[HouseholdInput]:
    """Households for ``town`` (a schema name) totalling exactly ``count`` residents."""
    if count < 0:
        raise ValueError("count must not be negative")
    generator = _Generator(town_key(town), seed, today or local_today(), my_number_share)
    remaining = count
    while remaining > 0:
        household = generator.household()
        members = list(household.members)[:remaining]  # the head comes first, so a cut keeps the head
        remaining -= len(members)
        yield _with_members(household, members)


def _with_members(household: HouseholdInput, members: list[PersonInput]) -> HouseholdInput:
    return replace(household, members=members)


# --- seeding a town ------------------------------------------------------------------------------

DEMO_RESIDENTS = {"nakatosa": 6_500, "shimanto": 16_000}  # about the real towns' populations
SEED_PURPOSE = "デモ用住民データの登録(架空の住民)"


class TownNotFound(ApplicationError):
    code = "town_not_found"
    message = "指定された町が見つかりません。"
    status_code = 404


def seed_town(*, schema: str, count: int, seed: int = 0, only_if_empty: bool = True) -> BulkLoadResult | None:
    """Fill one town with ``count`` generated residents; None when it already has residents (idempotent)."""
    town = Municipality.objects.filter(schema_name=schema, kind=Municipality.Kind.TOWN).first()
    if town is None:
        raise TownNotFound(f"町のスキーマ「{schema}」が見つかりません。", details={"schema": schema})
    if count < 1:
        raise ValidationFailed("登録する住民の数は1以上を指定してください。", code="invalid_count")
    with schema_context(schema), transaction.atomic():
        # Two seeders started at once must not both see an empty register: hold the table until commit.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE resident_records_resident IN SHARE ROW EXCLUSIVE MODE")
        if only_if_empty and Resident.objects.exists():
            return None
        return load_households(actor=None, households=generate(schema, count, seed), purpose=SEED_PURPOSE)


def seed_demo(write: Callable[[str], None]) -> None:
    """`manage.py seed_demo`: the demo towns' residents (registered in apps.ready; idempotent)."""
    for schema, count in DEMO_RESIDENTS.items():
        started = time.perf_counter()
        result = seed_town(schema=schema, count=count, seed=2026)
        if result is None:
            write(f"  {schema}: residents already registered, left as they are.")
        else:
            seconds = time.perf_counter() - started
            write(f"  {schema}: {result.residents} residents in {result.households} households ({seconds:.1f} s)")

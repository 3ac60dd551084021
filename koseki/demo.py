"""Demo registers (戸籍) consistent with the demo resident register: the same people, the same 本籍.

For each town on the platform, every Japanese resident of ANY platform town whose 本籍 names this town is
placed in the koseki of that 本籍 and 筆頭者 (住民票の「本籍・筆頭者」, 住基法 第7条第5号): a koseki per
(本籍, 筆頭者) pair, so most registers hold people living in the same town and a few hold people living
in the other one. Residents whose 本籍 is outside the platform have their registers elsewhere and are left
out. The registers follow the Family Register Act as the demo households suggest:

* a married couple (戸籍法 第16条): compiled by 婚姻 on the marriage day, 筆頭者 and 配偶者 with 出生 and
  婚姻 entries, their children (第18条) with 出生 entries and 続柄 長男, 長女, 二男 … by birth order;
* a widow whose 筆頭者 (her late husband) is not a resident: he is in the register, 除籍 by 死亡;
* a single adult heading their own register: compiled by 分籍 (第21条);
* a single parent heading a register with children: compiled by 離婚 (婚氏続称), the children 入籍;
* a Japanese spouse of a foreign resident: compiled by 婚姻, the 婚姻 entry naming the spouse's 国籍.

Members carry the resident's 住民票コード (the 附票 link, koseki.fuhyo) and 氏名の振り仮名 (通知済 in 2025, then
職権記載 on 2026-05-26 or a 届出); each resident has a 附票 line with their address. Parents' names of the
筆頭者 and spouse, and birth places, are invented (fictitious, like every demo person).

Deterministic for the same residents (a random generator per register, seeded by its 本籍 and 筆頭者) and
idempotent: a town that has registers already is left as it is. Loaded by koseki.importer.load_registers.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django_tenants.utils import schema_context

from common.dates import local_today
from koseki.demo_residents import (
    DemoResident,
    ForeignSpouses,
    ResidentGroup,
    age_on,
    day_between,
    name_key,
    read_residents,
    town_prefix,
    years_after,
)
from koseki.fuhyo import EVENT_IMPORT, active_towns, town_for_honseki
from koseki.importer import (
    EntryInput,
    FuhyoInput,
    FuriganaInput,
    LoadResult,
    MemberInput,
    RegisterInput,
    load_registers,
    person_key_of,
    wareki_text,
)
from koseki.models import CompiledReason, EntryKind, FuriganaStatus, Koseki
from resident_records.demo import DEMO_RESIDENTS, family_names, given_names, places, town_key
from tenants.models import Municipality

SEED_PURPOSE = "デモ用戸籍データの登録(架空の戸籍)"
FURIGANA_NOTICE_FROM = date(2025, 6, 2)  # the 本籍地 mailed the planned furigana from June 2025
FURIGANA_EX_OFFICIO_ON = date(2026, 5, 26)  # 令和5年法律第48号 附則: 職権記載 from this day
BIRTH_PLACES = ["高知県高知市", "高知県須崎市", "高知県四万十市"]
SONS = ["長男", "二男", "三男", "四男", "五男"]
DAUGHTERS = ["長女", "二女", "三女", "四女", "五女"]


class _Builder:
    """Builds the RegisterInput of one (本籍, 筆頭者) group."""

    def __init__(self, group: ResidentGroup, town: Municipality, today: date, foreign: ForeignSpouses) -> None:
        self.group, self.town, self.today, self.foreign = group, town, today, foreign
        self.rng = random.Random(f"koseki-demo:{name_key(group.honseki)}:{name_key(group.head_name)}")  # noqa: S311
        self.families, self.family_weights = family_names()
        self.local = town_prefix(group.honseki, town)
        self.places = places(town_key(town.schema_name))

    # --- invented people around the residents ----------------------------------------------------

    def given(self, sex: str, birth: date) -> str:
        generation = "old" if birth.year <= 1955 else "mid" if birth.year <= 1989 else "young"
        return self.rng.choice(given_names()[(sex, generation)]).kanji

    def other_family(self) -> str:
        return self.rng.choices(self.families, weights=self.family_weights)[0].kanji

    def parents_of(self, family_name: str, birth: date) -> tuple[str, str]:
        parents_birth = birth - timedelta(days=365 * self.rng.randint(24, 36))
        return (
            f"{family_name}{self.given('1', parents_birth)}",
            f"{family_name}{self.given('2', parents_birth)}",
        )

    def elsewhere(self) -> str:
        """Another 本籍 of the town (the spouse's parents' register, 【従前戸籍】)."""
        place = self.rng.choice(self.places).name if self.places else ""
        return f"{self.local}{place}{self.rng.randint(1, 2500)}番地"

    def birthplace(self) -> str:
        return self.local if self.rng.random() < 0.7 else self.rng.choice(BIRTH_PLACES)

    # --- entries -----------------------------------------------------------------------------------

    def birth_entry(self, birth: date, notifier: str) -> EntryInput:
        notified = min(self.today, birth + timedelta(days=self.rng.randint(1, 13)))  # 戸籍法 第49条: 14日以内
        return EntryInput(
            kind=EntryKind.BIRTH,
            event_date=birth,
            notified_on=notified,
            notifier=notifier,
            fields=[
                ["出生日", wareki_text(birth)],
                ["出生地", self.birthplace()],
                ["届出日", wareki_text(notified)],
                ["届出人", notifier],
            ],
        )

    def marriage_entry(self, on: date, spouse: str, former: str, *, nationality: str = "") -> EntryInput:
        fields = [["婚姻日", wareki_text(on)], ["配偶者氏名", spouse]]
        if nationality:
            fields.append(["配偶者の国籍", nationality])
        fields.append(["従前戸籍", former])
        return EntryInput(kind=EntryKind.MARRIAGE, event_date=on, notified_on=on, fields=fields)

    # --- members -----------------------------------------------------------------------------------

    def member(
        self, position: int, resident: DemoResident | None, *, relationship: str, father: str, mother: str, **extra: Any
    ) -> MemberInput:
        if resident is None:
            return MemberInput(
                position=position, relationship=relationship, father_name=father, mother_name=mother, **extra
            )
        member = MemberInput(
            position=position,
            family_name=resident.family_name,
            given_name=resident.given_name,
            family_name_kana=resident.family_name_kana,
            given_name_kana=resident.given_name_kana,
            birth_date=resident.birth_date,
            sex=resident.sex,
            relationship=relationship,
            father_name=father,
            mother_name=mother,
            resident_code=resident.resident_code,
            person_key=person_key_of(f"demo-resident:{resident.schema}:{resident.atena_number}"),
            **extra,
        )
        member.fuhyo.append(
            FuhyoInput(
                address=resident.address,
                address_set_on=resident.address_set_on,
                source_event=EVENT_IMPORT,
                source_town_code=resident.town_code,
            )
        )
        self.furigana(member)
        return member

    def furigana(self, member: MemberInput) -> None:
        """氏名の振り仮名 (令和5年法律第48号): notified in 2025, then a 届出 or, from 2026-05-26, 職権記載."""
        if not (member.family_name_kana and member.given_name_kana):
            return
        notice = day_between(self.rng, FURIGANA_NOTICE_FROM, FURIGANA_NOTICE_FROM + timedelta(days=120))
        if notice > self.today:
            return
        kana = {"family_name_kana": member.family_name_kana, "given_name_kana": member.given_name_kana}
        member.furigana.append(FuriganaInput(status=FuriganaStatus.NOTIFIED, effective_on=notice, **kana))
        member.furigana_status = FuriganaStatus.NOTIFIED
        if self.rng.random() < 0.15:
            filed = day_between(self.rng, notice + timedelta(days=7), FURIGANA_EX_OFFICIO_ON - timedelta(days=1))
            if filed <= self.today:
                member.furigana.append(
                    FuriganaInput(status=FuriganaStatus.FILED, effective_on=filed, notifier="本人", **kana)
                )
                member.furigana_status = FuriganaStatus.FILED
        elif self.today >= FURIGANA_EX_OFFICIO_ON:
            member.furigana.append(
                FuriganaInput(status=FuriganaStatus.EX_OFFICIO, effective_on=FURIGANA_EX_OFFICIO_ON, **kana)
            )
            member.furigana_status = FuriganaStatus.EX_OFFICIO

    # --- the register ------------------------------------------------------------------------------

    def build(self) -> RegisterInput:
        people = sorted(self.group.residents, key=lambda r: (r.birth_date, r.atena_number))
        head_key = name_key(self.group.head_name)
        head = next((r for r in people if name_key(r.plain_name) == head_key), None)
        if head is None and not head_key:
            head = people[0]  # no 筆頭者 on the 住民票: the eldest stands for it
        if head is None:
            # The 筆頭者 on the 住民票 lives nowhere on the platform: in the demo, a widow's late husband, or the
            # late father of the children who live here.
            eldest = people[0]
            if eldest.sex == "2" and age_on(eldest.birth_date, self.today) >= 40:
                return self.widow_register(eldest, people[1:])
            return self.orphan_register(people)
        rest = [r for r in people if r is not head]
        # The spouse is of the other sex and of the 筆頭者's generation; everyone else is a child (第6条).
        spouses = [r for r in rest if r.sex != head.sex and abs((r.birth_date - head.birth_date).days) < 15 * 365]
        spouse = min(spouses, key=lambda r: abs((r.birth_date - head.birth_date).days)) if spouses else None
        children = [r for r in rest if r is not spouse]
        foreign = self.foreign.get((head.schema, head.household_id))
        if spouse is not None:
            return self.couple_register(head, spouse, children)
        if foreign is not None and head.relationship in {"世帯主", "夫", "妻"}:
            return self.foreign_marriage_register(head, children, *foreign)
        if children and head.sex == "2":
            return self.divorce_register(head, children)
        return self.split_register(head, children)

    def _register(self, head_family: str, kana: str, compiled_on: date, reason: str) -> RegisterInput:
        register = RegisterInput(
            honseki=self.group.honseki,
            family_name=head_family,
            family_name_kana=kana,
            compiled_on=compiled_on,
            compiled_reason=reason,
        )
        register.entries.append(
            EntryInput(kind=EntryKind.COMPILED, event_date=compiled_on, fields=[["編製日", wareki_text(compiled_on)]])
        )
        return register

    def marriage_day(self, husband_birth: date, wife_birth: date, children: list[DemoResident]) -> date:
        earliest = max(years_after(husband_birth, 20), years_after(wife_birth, 18))
        latest = min([self.today - timedelta(days=60), *(c.birth_date - timedelta(days=300) for c in children)])
        if latest < earliest:
            latest = earliest = max(years_after(husband_birth, 18), years_after(wife_birth, 16))
        return day_between(self.rng, earliest, min(latest, years_after(earliest, 8)))

    def add_children(
        self, register: RegisterInput, children: list[DemoResident], father: str, mother: str, parent_role: str
    ) -> None:
        sons = daughters = 0
        for child in sorted(children, key=lambda c: c.birth_date):
            if child.sex == "1":
                relationship, sons = SONS[min(sons, len(SONS) - 1)], sons + 1
            else:
                relationship, daughters = DAUGHTERS[min(daughters, len(DAUGHTERS) - 1)], daughters + 1
            member = self.member(
                len(register.members) + 1, child, relationship=relationship, father=father, mother=mother
            )
            member.entries.append(self.birth_entry(child.birth_date, parent_role))
            register.members.append(member)

    def couple_register(self, head: DemoResident, spouse: DemoResident, children: list[DemoResident]) -> RegisterInput:
        husband, wife = (head, spouse) if head.sex == "1" else (spouse, head)
        married = self.marriage_day(husband.birth_date, wife.birth_date, children)
        register = self._register(head.family_name, head.family_name_kana, married, CompiledReason.MARRIAGE)
        head_parents = self.parents_of(head.family_name, head.birth_date)
        spouse_family = self.other_family()
        spouse_parents = self.parents_of(spouse_family, spouse.birth_date)
        head_member = self.member(
            1,
            head,
            relationship=self.rng.choice(SONS[:2] if head.sex == "1" else DAUGHTERS[:2]),
            father=head_parents[0],
            mother=head_parents[1],
            is_head=True,
            spouse_role="夫" if head.sex == "1" else "妻",
        )
        spouse_member = self.member(
            2,
            spouse,
            relationship=self.rng.choice(DAUGHTERS[:3] if spouse.sex == "2" else SONS[:3]),
            father=spouse_parents[0],
            mother=spouse_parents[1],
            spouse_role="妻" if spouse.sex == "2" else "夫",
        )
        head_member.spouse_key, spouse_member.spouse_key = spouse_member.person_key, head_member.person_key
        head_member.entries += [
            self.birth_entry(head.birth_date, "父"),
            self.marriage_entry(married, spouse.plain_name, f"{self.group.honseki}　{head_parents[0]}"),
        ]
        spouse_member.entries += [
            self.birth_entry(spouse.birth_date, "父"),
            self.marriage_entry(married, head.plain_name, f"{self.elsewhere()}　{spouse_parents[0]}"),
        ]
        register.members += [head_member, spouse_member]
        self.add_children(register, children, husband.plain_name, wife.plain_name, "父")
        return register

    # long: one demo family's register written out as data, in the order of its events
    def widow_register(self, widow: DemoResident, children: list[DemoResident]) -> RegisterInput:
        """The 筆頭者 named on the 住民票 is not a resident: the demo's late husband, 除籍 by 死亡."""
        family, given = self.split_head_name(widow.family_name)
        husband_birth = widow.birth_date - timedelta(days=self.rng.randint(0, 5 * 365))
        married = self.marriage_day(husband_birth, widow.birth_date, children)
        died = day_between(
            self.rng,
            max(married + timedelta(days=365), self.today - timedelta(days=20 * 365)),
            self.today - timedelta(days=90),
        )
        register = self._register(family, widow.family_name_kana, married, CompiledReason.MARRIAGE)
        husband_parents = self.parents_of(family, husband_birth)
        widow_parents = self.parents_of(self.other_family(), widow.birth_date)
        husband = self.member(
            1,
            None,
            relationship=self.rng.choice(SONS[:3]),
            father=husband_parents[0],
            mother=husband_parents[1],
            family_name=family,
            given_name=given,
            family_name_kana=widow.family_name_kana,
            birth_date=husband_birth,
            sex="1",
            is_head=True,
            spouse_role="夫",
            removed_on=died,
            removed_reason="死亡",
            person_key=uuid.uuid5(uuid.NAMESPACE_OID, f"{self.group.honseki}:{given}"),
        )
        wife = self.member(
            2,
            widow,
            relationship=self.rng.choice(DAUGHTERS[:3]),
            father=widow_parents[0],
            mother=widow_parents[1],
            spouse_role="妻",
        )
        husband.spouse_key, wife.spouse_key = wife.person_key, husband.person_key
        notified = min(self.today, died + timedelta(days=self.rng.randint(1, 6)))  # 戸籍法 第86条: 7日以内
        husband.entries += [
            self.birth_entry(husband_birth, "父"),
            self.marriage_entry(married, widow.plain_name, f"{self.group.honseki}　{husband_parents[0]}"),
            EntryInput(
                kind=EntryKind.DEATH,
                event_date=died,
                notified_on=notified,
                notifier=f"親族　{widow.plain_name}",
                fields=[
                    ["死亡日", wareki_text(died)],
                    ["死亡時分", f"午前{self.rng.randint(1, 11)}時{self.rng.randint(0, 59)}分"],
                    ["死亡地", self.local],
                    ["届出日", wareki_text(notified)],
                    ["届出人", f"親族　{widow.plain_name}"],
                ],
            ),
        ]
        wife.entries += [
            self.birth_entry(widow.birth_date, "父"),
            self.marriage_entry(married, f"{family}{given}", f"{self.elsewhere()}　{widow_parents[0]}"),
        ]
        register.members += [husband, wife]
        self.add_children(register, children, f"{family}{given}", widow.plain_name, "父")
        return register

    def deceased(self, position: int, family: str, given: str, birth: date, sex: str, **extra: Any) -> MemberInput:
        """A parent who died (除籍 by 死亡, 戸籍法 第86条), with 出生 and 死亡 entries."""
        parents = self.parents_of(family if sex == "1" else self.other_family(), birth)
        died = day_between(self.rng, max(years_after(birth, 50), self.today - timedelta(days=25 * 365)),
                        self.today - timedelta(days=90))  # fmt: skip
        notified = min(self.today, died + timedelta(days=self.rng.randint(1, 6)))
        member = self.member(
            position, None, relationship=self.rng.choice(SONS[:3] if sex == "1" else DAUGHTERS[:3]),
            father=parents[0], mother=parents[1], family_name=family, given_name=given, birth_date=birth, sex=sex,
            removed_on=died, removed_reason="死亡",
            person_key=uuid.uuid5(uuid.NAMESPACE_OID, f"{self.group.honseki}:{given}:{birth}"), **extra,
        )  # fmt: skip
        member.entries += [
            self.birth_entry(birth, "父"),
            EntryInput(
                kind=EntryKind.DEATH, event_date=died, notified_on=notified, notifier="親族",
                fields=[["死亡日", wareki_text(died)], ["死亡地", self.local], ["届出日", wareki_text(notified)],
                        ["届出人", "親族"]],
            ),
        ]  # fmt: skip
        return member

    def orphan_register(self, children: list[DemoResident]) -> RegisterInput:
        """Only children of the 筆頭者 live on the platform: their parents' register, both parents 除籍 by 死亡
        (unmarried children stay in their parents' register, 戸籍法 第6条)."""
        family, given = self.split_head_name(children[0].family_name)
        eldest = children[0].birth_date
        father_birth = eldest - timedelta(days=365 * self.rng.randint(26, 34))
        mother_birth = father_birth + timedelta(days=self.rng.randint(0, 4 * 365))
        mother_given = self.given("2", mother_birth)
        married = day_between(self.rng, eldest - timedelta(days=5 * 365), eldest - timedelta(days=300))
        register = self._register(family, children[0].family_name_kana, married, CompiledReason.MARRIAGE)
        father = self.deceased(1, family, given, father_birth, "1", is_head=True, spouse_role="夫")
        mother = self.deceased(2, family, mother_given, mother_birth, "2", spouse_role="妻")
        father.spouse_key, mother.spouse_key = mother.person_key, father.person_key
        father.entries.insert(
            1, self.marriage_entry(married, f"{family}{mother_given}", f"{self.group.honseki}　{father.father_name}")
        )
        mother.entries.insert(
            1, self.marriage_entry(married, f"{family}{given}", f"{self.elsewhere()}　{mother.father_name}")
        )
        register.members += [father, mother]
        self.add_children(register, children, f"{family}{given}", f"{family}{mother_given}", "父")
        return register

    def split_head_name(self, family_name: str) -> tuple[str, str]:
        """The 筆頭者 name of the 住民票 (「山本 一郎」) as 氏 and 名."""
        parts = self.group.head_name.split()
        if len(parts) >= 2:
            return parts[0], "".join(parts[1:])
        text = "".join(parts)
        return (family_name, text[len(family_name) :] or text) if text.startswith(family_name) else (family_name, text)

    def foreign_marriage_register(
        self, head: DemoResident, children: list[DemoResident], spouse_name: str, nationality: str
    ) -> RegisterInput:
        """A Japanese person marrying a foreign national gets a register of their own (戸籍法 第16条第3項)."""
        married = day_between(self.rng, years_after(head.birth_date, 22), self.today - timedelta(days=60))
        register = self._register(head.family_name, head.family_name_kana, married, CompiledReason.MARRIAGE)
        parents = self.parents_of(head.family_name, head.birth_date)
        member = self.member(
            1,
            head,
            relationship=self.rng.choice(SONS[:2] if head.sex == "1" else DAUGHTERS[:2]),
            father=parents[0],
            mother=parents[1],
            is_head=True,
        )
        member.entries += [
            self.birth_entry(head.birth_date, "父"),
            self.marriage_entry(married, spouse_name, f"{self.group.honseki}　{parents[0]}", nationality=nationality),
        ]
        register.members.append(member)
        self.add_children(register, children, head.plain_name, spouse_name.replace("　", ""), "父")
        return register

    def divorce_register(self, head: DemoResident, children: list[DemoResident]) -> RegisterInput:
        """A mother heading a register with her children: compiled on 離婚 (婚氏続称, 民法 第767条第2項)."""
        youngest = max(c.birth_date for c in children)
        divorced = day_between(
            self.rng, youngest + timedelta(days=30), max(youngest + timedelta(days=30), self.today - timedelta(days=30))
        )
        register = self._register(head.family_name, head.family_name_kana, divorced, CompiledReason.DIVORCE)
        parents = self.parents_of(self.other_family(), head.birth_date)
        former_husband = f"{head.family_name}{self.given('1', head.birth_date)}"
        former = f"{self.group.honseki}　{former_husband}"
        member = self.member(
            1, head, relationship=self.rng.choice(DAUGHTERS[:3]), father=parents[0], mother=parents[1], is_head=True
        )
        member.entries += [
            self.birth_entry(head.birth_date, "父"),
            EntryInput(
                kind=EntryKind.DIVORCE,
                event_date=divorced,
                notified_on=divorced,
                notifier="夫妻",
                fields=[["離婚日", wareki_text(divorced)], ["配偶者氏名", former_husband], ["従前戸籍", former]],
            ),
        ]
        register.members.append(member)
        self.add_children(register, children, former_husband, head.plain_name, "父")
        for child in register.members[1:]:
            entered = day_between(
                self.rng,
                divorced + timedelta(days=7),
                max(divorced + timedelta(days=7), min(self.today, divorced + timedelta(days=90))),
            )
            child.entries.append(
                EntryInput(
                    kind=EntryKind.ENTRY,
                    event_date=entered,
                    notified_on=entered,
                    notifier="親権者母",
                    fields=[
                        ["届出日", wareki_text(entered)],
                        ["入籍事由", "母の氏を称する入籍"],
                        ["届出人", "親権者母"],
                        ["従前戸籍", former],
                    ],
                )
            )
        return register

    def split_register(self, head: DemoResident, children: list[DemoResident]) -> RegisterInput:
        """A single adult heading a register of their own: compiled by 分籍 (戸籍法 第21条)."""
        start = years_after(head.birth_date, 20)
        split = day_between(self.rng, start, min(self.today - timedelta(days=30), years_after(start, 15)))
        register = self._register(head.family_name, head.family_name_kana, split, CompiledReason.SPLIT)
        parents = self.parents_of(head.family_name, head.birth_date)
        member = self.member(
            1,
            head,
            relationship=self.rng.choice(SONS[:3] if head.sex == "1" else DAUGHTERS[:3]),
            father=parents[0],
            mother=parents[1],
            is_head=True,
        )
        member.entries += [
            self.birth_entry(head.birth_date, "父"),
            EntryInput(
                kind=EntryKind.SPLIT,
                event_date=split,
                notified_on=split,
                notifier="本人",
                fields=[["分籍日", wareki_text(split)], ["従前戸籍", f"{self.group.honseki}　{parents[0]}"]],
            ),
        ]
        register.members.append(member)
        # Anyone else sharing this 本籍 and 筆頭者 on the 住民票 (not a child of the 筆頭者 by age) is left as
        # a child entry only when the ages allow it; otherwise the 住民票 and the register would disagree.
        plausible = [c for c in children if c.birth_date >= years_after(head.birth_date, 16)]
        self.add_children(
            register,
            plausible,
            head.plain_name if head.sex == "1" else "",
            head.plain_name if head.sex == "2" else "",
            "父" if head.sex == "1" else "母",
        )
        return register


def build_registers(
    schema: str, *, today: date | None = None, residents: tuple[list[DemoResident], ForeignSpouses] | None = None
) -> list[RegisterInput]:
    """The registers of ``schema``'s 本籍, built from the residents of every platform town (``residents``:
    already read by ``read_residents``, when several towns are seeded at once)."""
    towns = active_towns()
    town = next((t for t in towns if t.schema_name == schema), None)
    if town is None:
        return []
    people, foreign = residents if residents is not None else read_residents(towns)
    cache: dict[str, Municipality | None] = {}
    groups: dict[tuple[str, str], ResidentGroup] = {}
    for resident in people:
        if resident.domicile not in cache:
            cache[resident.domicile] = town_for_honseki(resident.domicile, towns=towns)
        home = cache[resident.domicile]
        if home is None or home.schema_name != schema:
            continue
        key = (name_key(resident.domicile), name_key(resident.domicile_head))
        group = groups.setdefault(key, ResidentGroup(" ".join(resident.domicile.split()), resident.domicile_head))
        group.residents.append(resident)
    day = today or local_today()
    return [_Builder(groups[key], town, day, foreign).build() for key in sorted(groups)]


def has_registers(schema: str) -> bool:
    with schema_context(schema):
        return Koseki.objects.exists()


def seed_town_registers(
    *,
    schema: str,
    only_if_empty: bool = True,
    residents: tuple[list[DemoResident], ForeignSpouses] | None = None,
) -> LoadResult | None:
    """Fill one town's 戸籍 from the residents (idempotent): None when it has registers already or nobody's
    本籍 is in it."""
    if only_if_empty and has_registers(schema):
        return None  # checked first: building the registers of a whole town takes a while
    registers = build_registers(schema, residents=residents)
    with schema_context(schema), transaction.atomic():
        # Two seeders at once must not both find the town empty: hold the table until commit.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE koseki_koseki IN SHARE ROW EXCLUSIVE MODE")
        if (only_if_empty and Koseki.objects.exists()) or not registers:
            return None
        return load_registers(
            actor=None, registers=registers, purpose=SEED_PURPOSE, notifier_name="デモデータ",
            details={"source": "demo"},
        )  # fmt: skip


def seed_demo_registers(schemas: list[str] | None = None) -> dict[str, LoadResult | None]:
    """The registers of every platform town (or the given ones), after the residents were seeded; the
    residents of all towns are read once."""
    names = sorted(schemas or [t.schema_name for t in active_towns()])
    todo = [schema for schema in names if not has_registers(schema)]
    residents = read_residents(active_towns()) if todo else None
    return {
        schema: seed_town_registers(schema=schema, residents=residents) if schema in todo else None for schema in names
    }


def seed_demo(write: Callable[[str], None]) -> None:
    """`manage.py seed_demo`: the 戸籍 of the demo towns, after every town's residents (a register may hold
    people living in the other town); registered in apps.ready, idempotent."""
    for schema, loaded in seed_demo_registers(list(DEMO_RESIDENTS)).items():
        done = f"{loaded.registers} koseki ({loaded.members} persons)" if loaded else "koseki left as they are"
        write(f"  {schema}: {done}")

"""What the loader takes: registers, members, entries, furigana and 附票 lines (the CSV parser and the demo
build these), and the person keys that link a person across registers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from common.text import normalize_search_text
from koseki.fuhyo import EVENT_IMPORT
from koseki.models import (
    CompiledReason,
    KosekiStatus,
    Notification,
)

# person_key of a source system's person id: the same id gives the same key in every register and on every
# import (uuid5), so a person who appears in several registers of the file is linked across them.
PERSON_KEY_NAMESPACE = uuid.UUID("6f1d2c1e-3b7a-5c55-9a51-6b6f73656b69")


# --- what the loader takes (the CSV parser and the demo build these) -------------------------------


@dataclass
class EntryInput:
    kind: str
    event_date: date
    fields: list[list[str]]
    notified_on: date | None = None
    notifier: str = ""
    accepted_on: date | None = None
    accepted_by: str = ""


@dataclass
class FuhyoInput:
    address: str
    address_set_on: date
    source_event: str = EVENT_IMPORT
    source_town_code: str = ""


@dataclass
class FuriganaInput:
    status: str
    effective_on: date
    family_name_kana: str
    given_name_kana: str
    notifier: str = ""


@dataclass
class MemberInput:
    position: int
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    relationship: str
    family_name_kana: str = ""
    given_name_kana: str = ""
    furigana_status: str = ""
    father_name: str = ""
    mother_name: str = ""
    father_key: uuid.UUID | None = None
    mother_key: uuid.UUID | None = None
    adoptive_father_name: str = ""
    adoptive_mother_name: str = ""
    adoptive_father_key: uuid.UUID | None = None
    adoptive_mother_key: uuid.UUID | None = None
    adoptive_relationship: str = ""
    is_head: bool = False
    spouse_role: str = ""
    spouse_key: uuid.UUID | None = None
    person_key: uuid.UUID | None = None
    removed_on: date | None = None
    removed_reason: str = ""
    resident_code: str = ""
    entries: list[EntryInput] = field(default_factory=list)
    fuhyo: list[FuhyoInput] = field(default_factory=list)
    furigana: list[FuriganaInput] = field(default_factory=list)


@dataclass
class RegisterInput:
    honseki: str
    family_name: str
    compiled_on: date
    compiled_reason: str = CompiledReason.IMPORTED
    family_name_kana: str = ""
    status: str = KosekiStatus.CURRENT
    closed_on: date | None = None
    closed_reason: str = ""
    transferred_to: str = ""
    members: list[MemberInput] = field(default_factory=list)
    entries: list[EntryInput] = field(default_factory=list)  # 戸籍事項
    source_key: str = ""  # the 戸籍キー of the file (errors name it; not kept on the register)
    source_row: int = 0


@dataclass
class LoadResult:
    notification: Notification
    registers: int = 0
    members: int = 0
    entries: int = 0
    fuhyo_lines: int = 0
    first_number: str = ""
    last_number: str = ""


def person_key_of(source_id: str) -> uuid.UUID:
    """A source system's person id as a person_key: a UUID is taken as is, any other text hashed (uuid5)."""
    text = source_id.strip()
    try:
        return uuid.UUID(text)
    except ValueError:
        return uuid.uuid5(PERSON_KEY_NAMESPACE, text)


def plain_key(text: str) -> str:
    return normalize_search_text(text)


def derive_keys(register: RegisterInput) -> None:
    """Fill the keys the file (or the demo) left empty, from what the register itself says.

    * person_key: a new UUID (the person is known only by this appearance);
    * spouse_key: the one member of the register with the other 配偶者区分 (夫 ↔ 妻) who is not 除籍;
    * father_key / mother_key: the member of the register whose 氏名 is the one written in 【父】/【母】
      (a child in its parents' register, 戸籍法 第18条).
    """
    for member in register.members:
        if member.person_key is None:
            member.person_key = uuid.uuid4()
    by_name: dict[str, list[MemberInput]] = defaultdict(list)
    for member in register.members:
        by_name[plain_key(f"{member.family_name}{member.given_name}")].append(member)
        by_name[plain_key(member.given_name)].append(member)
    for member in register.members:
        if member.spouse_key is None and member.spouse_role in {"夫", "妻"}:
            other = "妻" if member.spouse_role == "夫" else "夫"
            spouses = [m for m in register.members if m.spouse_role == other and m.removed_on is None]
            if len(spouses) == 1:
                member.spouse_key = spouses[0].person_key
        for attribute, name, sex in (("father_key", member.father_name, "1"), ("mother_key", member.mother_name, "2")):
            if getattr(member, attribute) is not None or not name:
                continue
            parents = [p for p in by_name.get(plain_key(name), []) if p.sex == sex and p.birth_date < member.birth_date]
            if len(parents) == 1:
                setattr(member, attribute, parents[0].person_key)

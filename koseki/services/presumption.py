"""嫡出推定 (民法 第772条, as amended by 令和4年法律第102号, in force 2024-04-01): whose child the register
presumes a newborn to be, read from the mother's marriages as the registers recorded them.

docs/domain/koseki.md (嫡出推定):
* a child born during a marriage is presumed the husband's, even when conceived before it (第772条第1項後段);
* a child born within 300 days after a marriage ended (離婚, or the husband's death) is presumed the former
  husband's (第772条第2項) — unless the mother married again before the birth: then the later husband's
  (第772条第3項);
* a child born more than 300 days after the end is not presumed a child of that marriage;
* 再婚禁止期間 (former 第733条) no longer exists, so the later marriage may begin at any time.

A marriage starts on its 婚姻 entry and ends on a 離婚 or 配偶者の死亡 entry of one of the mother's appearances
(she appears once per register she passed through, all sharing her ``person_key``). The husband is the one the
ending 届出 names (its Notification); a register migrated without 届出 gives his name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from koseki.models import Entry, EntryKind, Koseki, Member

PRESUMPTION_DAYS = 300  # 民法 第772条第2項


@dataclass(frozen=True)
class Marriage:
    started_on: date | None  # None: before anything the registers recorded
    ended_on: date | None  # None: in force
    husband: Member | None  # his row in the marriage's register, when known
    husband_name: str
    foreign: bool = False  # a foreign husband: in no register (戸籍法 第6条), named by the 婚姻 entry


@dataclass(frozen=True)
class Presumption:
    father: Member | None
    father_name: str
    after_end: bool  # 第772条第2項: born after the marriage ended (離婚 or the husband's death)
    register: Koseki | None  # the register of the marriage (the child's, 民法 第790条第1項ただし書)
    foreign: bool = False  # the presumed father is a foreign national, named only

    @property
    def wording(self) -> str:
        return "婚姻の解消後300日以内の出生" if self.after_end else "婚姻中の出生"


def _husband_from_notification(entry: Entry) -> Member | None:
    details = entry.notification.details if entry.notification is not None else {}
    pk = details.get("husband_id") if entry.kind == EntryKind.DIVORCE else details.get("member_id")
    return Member.objects.select_related("koseki").filter(pk=pk).first() if pk else None


def _name_in(entry: Entry) -> str:
    return next((str(value) for label, value in entry.fields if label == "配偶者氏名"), "")


def _foreign(entry: Entry) -> bool:
    return any(label == "配偶者の国籍" for label, _value in entry.fields)


def mother_marriages(mother: Member) -> list[Marriage]:
    """The mother's marriages in the order they began, the one in force (if any) last."""
    entries = list(
        Entry.objects.select_related("notification")
        .filter(
            member__person_key=mother.person_key,
            kind__in=[EntryKind.MARRIAGE, EntryKind.DIVORCE, EntryKind.SPOUSE_DEATH],
            is_struck=False,
        )
        .order_by("event_date", "id")
    )
    starts = sorted({e.event_date for e in entries if e.kind == EntryKind.MARRIAGE})
    ends: dict[date, Entry] = {}
    for entry in entries:
        if entry.kind != EntryKind.MARRIAGE:
            ends.setdefault(entry.event_date, entry)  # one line per register the 届出 wrote; one end
    marriages: list[Marriage] = []
    for ended_on, entry in sorted(ends.items()):
        began = [d for d in starts if d <= ended_on and all(d > m.ended_on for m in marriages if m.ended_on)]
        husband = _husband_from_notification(entry)
        marriages.append(
            Marriage(
                started_on=began[-1] if began else None,
                ended_on=ended_on,
                husband=husband,
                husband_name=_name_in(entry) or (f"{husband.family_name}{husband.given_name}" if husband else ""),
                foreign=_foreign(entry),
            )
        )
    if mother.spouse_key is not None:
        husband = (
            Member.objects.select_related("koseki")
            .filter(person_key=mother.spouse_key)
            .order_by("is_removed", "-pk")
            .first()
        )
        later = [d for d in starts if all(m.ended_on is None or d > m.ended_on for m in marriages)]
        # A foreign husband has no register row: his name is the one the 婚姻 entry records.
        opening = [e for e in entries if e.kind == EntryKind.MARRIAGE and later and e.event_date == later[-1]]
        if husband is not None:
            name = f"{husband.family_name}{husband.given_name}"
        else:
            name = _name_in(opening[0]) if opening else ""
        marriages.append(
            Marriage(
                started_on=later[-1] if later else None,
                ended_on=None,
                husband=husband,
                husband_name=name,
                foreign=husband is None and any(_foreign(e) for e in opening),
            )
        )
    return marriages


def presumed_father(*, mother: Member, birth_date: date) -> Presumption | None:
    """Whose child a child of ``mother`` born on ``birth_date`` is presumed to be (None: nobody's)."""
    begun = [m for m in mother_marriages(mother) if m.started_on is None or m.started_on <= birth_date]
    if not begun:
        return None
    latest = begun[-1]  # 第772条第3項: of two marriages, the later one decides
    after_end = latest.ended_on is not None and latest.ended_on < birth_date
    if after_end and latest.ended_on is not None and birth_date > latest.ended_on + timedelta(days=PRESUMPTION_DAYS):
        return None
    return Presumption(
        father=latest.husband,
        father_name=latest.husband_name,
        after_end=after_end,
        register=latest.husband.koseki if latest.husband is not None else None,
        foreign=latest.foreign,
    )

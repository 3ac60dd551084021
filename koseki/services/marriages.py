"""身分の届出 (戸籍法 第16条〜第21条, docs/domain/koseki.md): 婚姻 (離婚: koseki.services.divorces).

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from django.db import transaction

from koseki.errors import (
    AlreadyMarried,
    HonsekiRequired,
    KosekiRuleError,
    MarriageAdoptiveRelatives,
    MarriageCloseRelatives,
    MarriageInLaws,
    MarriagePartiesInvalid,
    MarriageUnderAge,
)
from koseki.models import CompiledReason, EntryKind, Koseki, Member, Notification, NotificationKind
from koseki.services import kinship
from koseki.services.common import (
    ADULT_AGE,
    OutsidePerson,
    add_entry,
    age_on,
    check_dates,
    close_if_empty,
    compile_koseki,
    compiled_entry,
    ensure_open,
    enter_member,
    finish_notification,
    fresh_current_member,
    leave_for_new_register,
    lock_members,
    lock_registers,
    new_notification,
    remove_member,
)
from koseki.services.non_acceptance import ensure_accepted
from koseki.services.text import koseki_label, plain_name, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.marriage": "戸籍: 婚姻届",
}


# --- 婚姻 ----------------------------------------------------------------------------------------

_SPOUSE_ROLE = {"husband": "夫", "wife": "妻"}


def party_label(party: Member | OutsidePerson) -> str:
    return plain_name(party.family_name, party.given_name)


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_marriage(
    *,
    actor: Person | None,
    husband: Member | OutsidePerson,
    wife: Member | OutsidePerson,
    surname_of: Literal["husband", "wife"],
    married_on: date,
    new_honseki: str = "",
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "夫妻",
    appeared_in_person: bool = False,
) -> Notification:
    """婚姻届 (戸籍法第74条). A party's 不受理申出 refuses it unless the parties filed it in person (第27条の2).

    第16条: a new koseki is compiled for the couple, headed by the spouse whose
    surname they keep — unless that spouse already heads a koseki, which the other spouse then enters. Each
    spouse who leaves a koseki of this town is marked 除籍 there (婚姻), with entries in both registers."""
    check_dates(event_date=married_on, notified_on=notified_on, event_label="婚姻日")
    foreign = [p for p in (husband, wife) if isinstance(p, OutsidePerson) and p.is_foreign]
    if foreign:
        return _record_foreign_marriage(
            actor=actor,
            husband=husband,
            wife=wife,
            married_on=married_on,
            new_honseki=new_honseki,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            appeared_in_person=appeared_in_person,
        )
    _check_parties(husband, wife, surname_of=surname_of)
    honseki = " ".join(new_honseki.split())

    with transaction.atomic():
        h, w = _lock_parties(husband, wife, married_on=married_on, appeared_in_person=appeared_in_person)
        parties: dict[str, Member | OutsidePerson] = {"husband": h, "wife": w}
        keeper = parties[surname_of]
        joiner = parties["wife" if surname_of == "husband" else "husband"]

        registers = lock_registers(m.koseki_id for m in (keeper, joiner) if isinstance(m, Member))
        for koseki in registers.values():
            ensure_open(koseki)
        # 第16条 ただし書: the spouse whose surname is kept already heads a koseki — the other one enters it.
        keeper_is_head = isinstance(keeper, Member) and keeper.is_head
        if not keeper_is_head and not honseki:
            honseki = _keeper_honseki(keeper, registers)

        notification = _marriage_notification(
            actor=actor,
            parties=(h, w),
            kosekis=list(registers.values()),
            married_on=married_on,
            notified_on=notified_on,
            notifier=(notifier_name, notifier_capacity),
            details={"surname_of": surname_of, "new_honseki": honseki, "new_koseki": not keeper_is_head},
        )
        family_name, family_kana = keeper.family_name, keeper.family_name_kana
        target = _couple_register(keeper, registers=registers, honseki=honseki, notification=notification)
        changed: list[Koseki] = [*registers.values(), target]

        placed = _place_couple(
            keeper,
            joiner,
            surname_of=surname_of,
            target=target,
            registers=registers,
            family=(family_name, family_kana),
            married_on=married_on,
            notification=notification,
        )
        _link_spouses(placed["husband"], placed["wife"])
        for koseki in registers.values():
            close_if_empty(koseki, on=notified_on, reason="婚姻", notification=notification)
        _finish_marriage(actor=actor, notification=notification, target=target, changed=changed)
    return notification


def _place_couple(
    keeper: Member | OutsidePerson,
    joiner: Member | OutsidePerson,
    *,
    surname_of: str,
    target: Koseki,
    registers: dict[int, Koseki],
    family: tuple[str, str],
    married_on: date,
    notification: Notification,
) -> dict[str, Member]:
    """Both spouses in the couple's register, the keeper of the surname first; by role (husband, wife)."""
    joiner_side = "wife" if surname_of == "husband" else "husband"
    placed: dict[str, Member] = {}
    for side, party, is_keeper in ((surname_of, keeper, True), (joiner_side, joiner, False)):
        placed[side] = _place_spouse(
            party,
            spouse=joiner if is_keeper else keeper,
            target=target,
            registers=registers,
            family=family,
            role=_SPOUSE_ROLE[side],
            is_keeper=is_keeper,
            surname_of=surname_of,
            married_on=married_on,
            notification=notification,
        )
    return placed


def _check_parties(husband: Member | OutsidePerson, wife: Member | OutsidePerson, *, surname_of: str) -> None:
    if surname_of not in _SPOUSE_ROLE:
        raise MarriagePartiesInvalid("婚姻後の夫婦の氏(夫の氏・妻の氏)を選んでください(民法第750条)。")
    if husband.sex != "1" or wife.sex != "2":
        raise MarriagePartiesInvalid("夫と妻の男女の別が届書と一致しません(民法第739条・戸籍法第74条)。")


def _keeper_honseki(keeper: Member | OutsidePerson, registers: dict[int, Koseki]) -> str:
    """The couple's new 本籍 when none was given: the keeper's present one (an outside keeper must give one)."""
    if isinstance(keeper, Member):
        return registers[keeper.koseki_id].honseki
    raise HonsekiRequired("夫婦の新しい本籍を入力してください(戸籍法第16条・第30条)。")


def _marriage_notification(
    *,
    actor: Person | None,
    parties: tuple[Member | OutsidePerson, Member | OutsidePerson],
    kosekis: list[Koseki],
    married_on: date,
    notified_on: date,
    notifier: tuple[str, str],
    details: dict[str, object],
) -> Notification:
    """The 受付帳 line of a 婚姻届: both parties as they stood, and how the couple's register is found."""
    h, w = parties
    name, capacity = notifier
    return new_notification(
        actor=actor,
        kind=NotificationKind.MARRIAGE,
        event_date=married_on,
        notified_on=notified_on,
        notifier_name=name or f"{party_label(h)}・{party_label(w)}",
        notifier_capacity=capacity,
        kosekis=kosekis,
        details={"husband": _party_details(h), "wife": _party_details(w), **details},
    )


def _finish_marriage(
    *, actor: Person | None, notification: Notification, target: Koseki, changed: list[Koseki]
) -> None:
    """The 受付帳 and the audit row name the register the couple ended in."""
    notification.details["koseki_number"] = target.number
    finish_notification(
        actor=actor,
        action="koseki.marriage",
        notification=notification,
        details={"koseki_id": target.pk},
        changed=changed,
    )


def _couple_register(
    keeper: Member | OutsidePerson, *, registers: dict[int, Koseki], honseki: str, notification: Notification
) -> Koseki:
    """戸籍法 第16条: the register of the spouse whose surname is kept if they head one, else a new one."""
    if isinstance(keeper, Member) and keeper.is_head:
        return registers[keeper.koseki_id]
    target = compile_koseki(
        honseki=honseki,
        family_name=keeper.family_name,
        head_given_name=keeper.given_name,
        family_name_kana=keeper.family_name_kana,
        compiled_on=notification.notified_on,
        reason=CompiledReason.MARRIAGE,
    )
    compiled_entry(target, on=notification.notified_on, notification=notification)
    return target


def _link_spouses(husband: Member, wife: Member) -> None:
    """spouse_key is what makes a second marriage refusable (民法 第732条)."""
    husband.spouse_key, wife.spouse_key = wife.person_key, husband.person_key
    for member in (husband, wife):
        member.save(update_fields=["spouse_key"])


def _lock_parties(
    husband: Member | OutsidePerson, wife: Member | OutsidePerson, *, married_on: date, appeared_in_person: bool
) -> tuple[Member | OutsidePerson, Member | OutsidePerson]:
    """The parties as locked rows, checked: two people, no 不受理申出 (戸籍法 第27条の2), no impediment
    (民法 第734条〜第736条), neither married (第732条), both of age (第731条)."""
    locked = lock_members(p.pk for p in (husband, wife) if isinstance(p, Member))
    h = fresh_current_member(husband, locked, label="夫") if isinstance(husband, Member) else husband
    w = fresh_current_member(wife, locked, label="妻") if isinstance(wife, Member) else wife
    if isinstance(h, Member) and isinstance(w, Member) and h.person_key == w.person_key:
        raise MarriagePartiesInvalid("夫と妻に同じ方が指定されています。")
    ensure_accepted(
        kind=NotificationKind.MARRIAGE,
        parties=[p for p in (h, w) if isinstance(p, Member)],
        appeared_in_person=appeared_in_person,
    )
    if isinstance(h, Member) and isinstance(w, Member):
        _check_impediments(h, w)
    for label, party in (("夫", h), ("妻", w)):
        if isinstance(party, Member):
            _check_party(label, party, married_on)
        elif age_on(party.birth_date, married_on) < ADULT_AGE:
            raise MarriageUnderAge(
                f"{label}({party.full_name})は婚姻の日に18歳未満です。婚姻は18歳にならなければできません(民法第731条)。"
            )
    return h, w


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def _place_spouse(
    party: Member | OutsidePerson,
    *,
    spouse: Member | OutsidePerson,
    target: Koseki,
    registers: dict[int, Koseki],
    family: tuple[str, str],
    role: str,
    is_keeper: bool,
    surname_of: str,
    married_on: date,
    notification: Notification,
) -> Member:
    """One spouse's row in the couple's register, with the 婚姻 entries of the register they leave and enter."""
    capacity = notification.notifier_capacity
    spouse_name = plain_name(family[0], spouse.given_name)
    if isinstance(party, Member) and party.koseki_id == target.pk:
        # The head stays where they are; only their 配偶者区分 and 身分事項 change.
        party.spouse_role = role
        party.save(update_fields=["spouse_role"])
        add_entry(
            koseki=target,
            member=party,
            kind=EntryKind.MARRIAGE,
            event_date=married_on,
            fields=[["婚姻日", wareki(married_on)], ["配偶者氏名", spouse_name]],
            notification=notification,
            notifier=capacity,
        )
        return party
    if isinstance(party, Member):
        old = registers[party.koseki_id]
        remove_member(party, on=notification.notified_on, reason="婚姻")
        add_entry(
            koseki=old,
            member=party,
            kind=EntryKind.MARRIAGE,
            event_date=married_on,
            fields=[
                ["婚姻日", wareki(married_on)],
                ["配偶者氏名", plain_name(spouse.family_name, spouse.given_name)],
                ["新本籍", target.honseki],
                ["称する氏", f"{_SPOUSE_ROLE[surname_of]}の氏"],
            ],
            notification=notification,
            notifier=capacity,
        )
        former = koseki_label(old)
    else:
        former = f"{party.honseki}\u3000{party.head_name}".strip()
    new_member = enter_member(
        koseki=target,
        source=party,
        family_name=family[0],
        family_name_kana=family[1],
        is_head=is_keeper and target.pk not in registers,
        spouse_role=role,
    )
    add_entry(
        koseki=target,
        member=new_member,
        kind=EntryKind.MARRIAGE,
        event_date=married_on,
        fields=[["婚姻日", wareki(married_on)], ["配偶者氏名", spouse_name], ["従前戸籍", former]],
        notification=notification,
        notifier=capacity,
    )
    return new_member


_IMPEDIMENTS: dict[str, type[KosekiRuleError]] = {
    "734_direct": MarriageCloseRelatives,
    "734_collateral": MarriageCloseRelatives,
    "735": MarriageInLaws,
    "736": MarriageAdoptiveRelatives,
}


def _check_impediments(h: Member, w: Member) -> None:
    """民法第734条〜第736条 (docs/domain/koseki.md, 婚姻の障害), as far as the registers' keys show them."""
    found = kinship.impediment(h.person_key, w.person_key)
    if found is not None:
        raise _IMPEDIMENTS[found](details={"husband_id": h.pk, "wife_id": w.pk, "article": found})


def _check_party(label: str, party: Member, married_on: date) -> None:
    if party.spouse_key is not None:
        raise AlreadyMarried(
            f"{label}({party.full_name})には配偶者があるため、重ねて婚姻することができません(民法第732条)。",
            details={"member_id": party.pk},
        )
    if age_on(party.birth_date, married_on) < ADULT_AGE:
        raise MarriageUnderAge(
            f"{label}({party.full_name})は婚姻の日に18歳未満です。婚姻は18歳にならなければできません(民法第731条)。"
        )


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def _record_foreign_marriage(
    *,
    actor: Person | None,
    husband: Member | OutsidePerson,
    wife: Member | OutsidePerson,
    married_on: date,
    new_honseki: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    appeared_in_person: bool,
) -> Notification:
    """婚姻 with a foreign national (docs/domain/koseki.md, 外国人との婚姻). The foreign spouse has no 戸籍 and
    is never written as a member (戸籍法 第6条); the Japanese spouse keeps their surname (民法 第750条 is about
    spouses who share one) and their 身分事項 names the spouse, 国籍 and 生年月日. A Japanese spouse who is not
    筆頭者 gets a new koseki (戸籍法 第16条第3項), at the 本籍 stated or the present one."""
    japanese, foreigner = (husband, wife) if isinstance(wife, OutsidePerson) and wife.is_foreign else (wife, husband)
    if not isinstance(japanese, Member) or not isinstance(foreigner, OutsidePerson):
        raise MarriagePartiesInvalid(
            "外国人との婚姻は、本町の戸籍に記録されている日本人の当事者について記載します(戸籍法第6条)。"
        )
    if husband.sex != "1" or wife.sex != "2":
        raise MarriagePartiesInvalid("夫と妻の男女の別が届書と一致しません(民法第739条・戸籍法第74条)。")
    role = "夫" if japanese is husband else "妻"
    with transaction.atomic():
        person = fresh_current_member(japanese, lock_members([japanese.pk]), label=role)
        ensure_accepted(kind=NotificationKind.MARRIAGE, parties=[person], appeared_in_person=appeared_in_person)
        _check_party(role, person, married_on)
        if age_on(foreigner.birth_date, married_on) < ADULT_AGE:
            raise MarriageUnderAge(f"{'妻' if role == '夫' else '夫'}は婚姻の日に18歳未満です(民法第731条)。")
        registers = lock_registers([person.koseki_id])
        old = registers[person.koseki_id]
        ensure_open(old)
        honseki = " ".join(new_honseki.split()) or old.honseki
        spouse_key = uuid.uuid4()  # stands for the foreign spouse in spouse_key (民法第732条), no member behind it
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.MARRIAGE,
            event_date=married_on,
            notified_on=notified_on,
            notifier_name=notifier_name or f"{party_label(person)}・{foreigner.foreign_name}",
            notifier_capacity=notifier_capacity,
            kosekis=[old],
            details={
                "husband" if role == "夫" else "wife": _party_details(person),
                "wife" if role == "夫" else "husband": {
                    **_party_details(foreigner),
                    "nationality": foreigner.nationality,
                    "person_key": str(spouse_key),
                },
                "foreign_marriage": True,
                "new_koseki": not person.is_head,
            },
        )
        spouse_fields = [
            ["婚姻日", wareki(married_on)],
            ["配偶者氏名", foreigner.foreign_name],
            ["配偶者の国籍", foreigner.nationality.strip()],
            ["配偶者の生年月日", wareki(foreigner.birth_date)],
        ]
        target, placed = _place_japanese_spouse(
            person, old=old, honseki=honseki, fields=spouse_fields, notification=notification
        )
        changed = [old, target]
        placed.spouse_role, placed.spouse_key = role, spouse_key
        placed.save(update_fields=["spouse_role", "spouse_key"])
        _finish_marriage(actor=actor, notification=notification, target=target, changed=changed)
    return notification


def _place_japanese_spouse(
    person: Member, *, old: Koseki, honseki: str, fields: list[list[str]], notification: Notification
) -> tuple[Koseki, Member]:
    """戸籍法 第16条第3項: a 筆頭者 stays with the 婚姻 entry; anyone else leaves for a new register they head."""
    married_on, on, capacity = notification.event_date, notification.notified_on, notification.notifier_capacity
    if person.is_head:
        add_entry(
            koseki=old,
            member=person,
            kind=EntryKind.MARRIAGE,
            event_date=married_on,
            fields=fields,
            notification=notification,
            notifier=capacity,
        )
        return old, person
    target = leave_for_new_register(
        person,
        old=old,
        honseki=honseki,
        on=on,
        compiled=CompiledReason.MARRIAGE,
        removed="婚姻",
        notification=notification,
    )
    add_entry(
        koseki=old,
        member=person,
        kind=EntryKind.MARRIAGE,
        event_date=married_on,
        fields=[*fields, ["新本籍", target.honseki]],
        notification=notification,
        notifier=capacity,
    )
    placed = enter_member(koseki=target, source=person, is_head=True)
    add_entry(
        koseki=target,
        member=placed,
        kind=EntryKind.MARRIAGE,
        event_date=married_on,
        fields=[*fields, ["従前戸籍", koseki_label(old)]],
        notification=notification,
        notifier=capacity,
    )
    close_if_empty(old, on=on, reason="婚姻", notification=notification)
    return target, placed


def _party_details(party: Member | OutsidePerson) -> dict[str, object]:
    if isinstance(party, Member):
        return {
            "member_id": party.pk,
            "person_key": str(party.person_key),
            "family_name": party.family_name,
            "family_name_kana": party.family_name_kana,
            "given_name": party.given_name,
            "koseki_id": party.koseki_id,
        }
    return {
        "outside": True,
        "family_name": party.family_name,
        "family_name_kana": party.family_name_kana,
        "given_name": party.given_name,
        "birth_date": str(party.birth_date),
        "honseki": party.honseki,
        "head_name": party.head_name,
    }

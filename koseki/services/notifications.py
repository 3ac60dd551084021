"""身分の届出: 出生, 婚姻, 離婚, 死亡, 分籍, 養子縁組 (戸籍法 第16条〜第21条, DOMAIN.md §5).

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.db import transaction

from koseki.errors import (
    AdopteeOlder,
    AdopterUnderAge,
    AdoptionInvalid,
    AdoptionSpouseRequired,
    AlreadyMarried,
    BirthFatherNotSpouse,
    BirthParentsUnknown,
    DeathDateInvalid,
    FuriganaRequired,
    HonsekiRequired,
    KosekiConflict,
    KosekiValidationError,
    MarriageCloseRelatives,
    MarriagePartiesInvalid,
    MarriageUnderAge,
    NotMarriedToEachOther,
    SplitHeadOrSpouse,
    SplitMinor,
)
from koseki.models import (
    CompiledReason,
    EntryKind,
    FuriganaRecord,
    FuriganaStatus,
    Koseki,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services.common import (
    ADOPTER_AGE,
    ADULT_AGE,
    FURIGANA_LAW_IN_FORCE,
    OutsidePerson,
    add_entry,
    age_on,
    audit_notification,
    bump,
    check_dates,
    close_if_empty,
    compile_koseki,
    compiled_entry,
    ensure_open,
    enter_member,
    fresh_current_member,
    katakana,
    koseki_label,
    lock_members,
    lock_registers,
    new_notification,
    next_position,
    plain_name,
    refresh_search_text,
    remove_member,
    wareki,
)
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.birth": "戸籍: 出生届",
    "koseki.marriage": "戸籍: 婚姻届",
    "koseki.divorce": "戸籍: 離婚届",
    "koseki.death": "戸籍: 死亡届",
    "koseki.split": "戸籍: 分籍届",
    "koseki.adoption": "戸籍: 養子縁組届",
}

_KANJI_DIGITS = "〇一二三四五六七八九"


def _ordinal(n: int) -> str:
    """長 for the first child, then 二, 三 … 十, 十一 … (続柄 as the register writes it: 長男, 二男, 十一女)."""
    if n == 1:
        return "長"
    tens, ones = divmod(n, 10)
    text = ("" if tens <= 1 else _KANJI_DIGITS[tens]) + ("十" if tens else "") + (_KANJI_DIGITS[ones] if ones else "")
    return text


def _relationship(*, sex: str, mother: Member, father: Member | None, birth_date: date) -> str:
    """続柄 (長男/二男/長女 …): the child's rank among the same parents' children of the same sex, born earlier
    (戸籍法施行規則 附録第6号; for a child of unmarried parents, among the mother's such children, 平成16年
    民一第3008号通達). Counted over every appearance in this town by person_key, so a sibling who has left
    still counts."""
    siblings = Member.objects.filter(mother_key=mother.person_key, sex=sex, birth_date__lte=birth_date)
    siblings = siblings.filter(father_key=father.person_key) if father is not None else siblings.filter(father_key=None)
    rank = siblings.values("person_key").distinct().count() + 1
    return _ordinal(rank) + ("男" if sex == "1" else "女")


# --- 出生 ----------------------------------------------------------------------------------------


def record_birth(
    *,
    actor: Person | None,
    mother: Member | None,
    father: Member | None,
    given_name: str,
    given_name_kana: str,
    sex: str,
    birth_date: date,
    birth_place: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    family_name_kana: str = "",
) -> Notification:
    """出生届 (戸籍法第49条). The child takes the surname of its parents if they are married to each other,
    else its mother's (民法第790条), and enters the koseki of the parent(s) whose surname it takes (第18条). A
    mother who is neither 筆頭者 nor spouse gets a new koseki with the child (第17条)."""
    check_dates(event_date=birth_date, notified_on=notified_on, event_label="出生日")
    given_name = " ".join(given_name.split())
    if not given_name or sex not in ("1", "2"):
        raise KosekiValidationError("子の名と男女の別を入力してください。", code="birth_child_invalid")
    if mother is None:
        # Maternity is established by the birth itself: without the mother the child's koseki is unknown.
        raise BirthParentsUnknown()
    given_kana = katakana(given_name_kana, label="名の振り仮名")
    family_kana_input = katakana(family_name_kana, label="氏の振り仮名")

    with transaction.atomic():
        locked = lock_members([m.pk for m in (mother, father) if m is not None])
        mother = fresh_current_member(mother, locked, label="母")
        if father is not None:
            # The father may have died before the birth (民法第772条): he need not be a current member.
            if father.pk not in locked:
                raise KosekiConflict()
            father = locked[father.pk]
        married = father is not None and (
            father.koseki_id == mother.koseki_id
            and bool(mother.spouse_role)
            and bool(father.spouse_role)
            and (father.spouse_key == mother.person_key or mother.spouse_key == father.person_key)
        )
        if father is not None and not married:
            raise BirthFatherNotSpouse(details={"father_id": father.pk, "mother_id": mother.pk})
        if father is None and mother.spouse_key is not None:
            # 民法第772条: a child born to a married woman is presumed her husband's; the 届出 names him.
            raise BirthParentsUnknown(
                "母は婚姻中のため、子は夫の子と推定されます(民法第772条)。父として夫を指定してください。",
                code="birth_father_presumed",
            )
        registers = lock_registers([mother.koseki_id])
        parents_koseki = registers[mother.koseki_id]
        ensure_open(parents_koseki)

        family_kana = parents_koseki.family_name_kana or mother.family_name_kana or family_kana_input
        if family_kana_input and not family_kana:
            family_kana = family_kana_input
        if birth_date >= FURIGANA_LAW_IN_FORCE and not (given_kana and family_kana):
            raise FuriganaRequired(details={"birth_date": str(birth_date)})

        # 第17条: the mother heads a new koseki when she is neither 筆頭者 nor spouse where she stands.
        needs_new = not mother.is_head and not mother.spouse_role
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.BIRTH,
            event_date=birth_date,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[parents_koseki],
            details={
                "child": {"given_name": given_name, "given_name_kana": given_kana, "sex": sex},
                "birth_date": str(birth_date),
                "birth_place": birth_place,
                "mother_id": mother.pk,
                "father_id": father.pk if father is not None else None,
                "article_17_new_koseki": needs_new,
            },
        )
        changed = [parents_koseki]
        if needs_new:
            target = compile_koseki(
                honseki=parents_koseki.honseki,
                family_name=mother.family_name,
                head_given_name=mother.given_name,
                family_name_kana=family_kana,
                compiled_on=notified_on,
                reason=CompiledReason.BIRTH,
            )
            compiled_entry(target, on=notified_on, notification=notification)
            remove_member(mother, on=notified_on, reason="子の出生")
            add_entry(
                koseki=parents_koseki,
                member=mother,
                kind=EntryKind.REMOVAL,
                event_date=notified_on,
                fields=[
                    ["届出日", wareki(notified_on)],
                    ["除籍事由", "子の出生届出"],
                    ["新本籍", target.honseki],
                ],
                notification=notification,
                notifier=notifier_capacity,
            )
            new_mother = enter_member(koseki=target, source=mother, is_head=True)
            add_entry(
                koseki=target,
                member=new_mother,
                kind=EntryKind.ENTRY,
                event_date=notified_on,
                fields=[
                    ["届出日", wareki(notified_on)],
                    ["入籍事由", "子の出生届出"],
                    ["従前戸籍", koseki_label(parents_koseki)],
                ],
                notification=notification,
                notifier=notifier_capacity,
            )
            close_if_empty(parents_koseki, on=notified_on, reason="子の出生", notification=notification)
            changed.append(target)
            mother_in_target = new_mother
        else:
            target = parents_koseki
            mother_in_target = mother

        furigana_filed = birth_date >= FURIGANA_LAW_IN_FORCE
        child = Member.objects.create(
            koseki=target,
            position=next_position(target),
            family_name=target.family_name,
            given_name=given_name,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            furigana_status=FuriganaStatus.FILED if furigana_filed else FuriganaStatus.NONE,
            birth_date=birth_date,
            sex=sex,
            father_name=plain_name(father.family_name, father.given_name) if father is not None else "",
            mother_name=plain_name(mother.family_name, mother.given_name),
            father_key=father.person_key if father is not None else None,
            mother_key=mother.person_key,
            relationship=_relationship(sex=sex, mother=mother, father=father, birth_date=birth_date),
        )
        add_entry(
            koseki=target,
            member=child,
            kind=EntryKind.BIRTH,
            event_date=birth_date,
            fields=[
                ["出生日", wareki(birth_date)],
                ["出生地", " ".join(birth_place.split())],
                ["届出日", wareki(notified_on)],
                ["届出人", notifier_capacity],
            ],
            notification=notification,
            notifier=notifier_capacity,
        )
        if furigana_filed:
            # 戸籍法第13条第2項: from 2025-05-26 the 出生届 states the furigana, recorded as 届出.
            FuriganaRecord.objects.create(
                member=child,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                status=FuriganaStatus.FILED,
                effective_on=notified_on,
                notifier=notifier_capacity,
                notification=notification,
            )
        if target.family_name_kana != family_kana and not target.family_name_kana:
            target.family_name_kana = family_kana
            Koseki.objects.filter(pk=target.pk).update(family_name_kana=family_kana)
        notification.koseki_numbers = list(dict.fromkeys(k.number for k in changed))
        notification.details["child_member_id"] = child.pk
        notification.save(update_fields=["koseki_numbers", "details"])
        for koseki in changed:
            refresh_search_text(koseki)
        bump(*changed)
        audit_notification(
            actor=actor,
            action="koseki.birth",
            notification=notification,
            details={"child": plain_name(target.family_name, given_name), "mother_id": mother_in_target.pk},
        )
    return notification


# --- 婚姻 ----------------------------------------------------------------------------------------

_SPOUSE_ROLE = {"husband": "夫", "wife": "妻"}


def _party_label(party: Member | OutsidePerson) -> str:
    return plain_name(party.family_name, party.given_name)


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
) -> Notification:
    """婚姻届 (戸籍法第74条). 第16条: a new koseki is compiled for the couple, headed by the spouse whose
    surname they keep — unless that spouse already heads a koseki, which the other spouse then enters. Each
    spouse who leaves a koseki of this town is marked 除籍 there (婚姻), with entries in both registers."""
    check_dates(event_date=married_on, notified_on=notified_on, event_label="婚姻日")
    if surname_of not in _SPOUSE_ROLE:
        raise MarriagePartiesInvalid("婚姻後の夫婦の氏(夫の氏・妻の氏)を選んでください(民法第750条)。")
    if husband.sex != "1" or wife.sex != "2":
        raise MarriagePartiesInvalid("夫と妻の男女の別が届書と一致しません(民法第739条・戸籍法第74条)。")
    honseki = " ".join(new_honseki.split())

    with transaction.atomic():
        members = [p for p in (husband, wife) if isinstance(p, Member)]
        locked = lock_members(m.pk for m in members)
        parties: dict[str, Member | OutsidePerson] = {}
        for role, party, label in (("husband", husband, "夫"), ("wife", wife, "妻")):
            parties[role] = fresh_current_member(party, locked, label=label) if isinstance(party, Member) else party
        h, w = parties["husband"], parties["wife"]
        if isinstance(h, Member) and isinstance(w, Member) and h.person_key == w.person_key:
            raise MarriagePartiesInvalid("夫と妻に同じ方が指定されています。")
        if isinstance(h, Member) and isinstance(w, Member) and _blood_relatives(h, w):
            raise MarriageCloseRelatives(details={"husband_id": h.pk, "wife_id": w.pk})
        for label, party in (("夫", h), ("妻", w)):
            if isinstance(party, Member) and (party.spouse_key is not None):
                raise AlreadyMarried(
                    f"{label}({party.full_name})には配偶者があるため、重ねて婚姻することができません(民法第732条)。",
                    details={"member_id": party.pk},
                )
            if age_on(party.birth_date, married_on) < ADULT_AGE:
                raise MarriageUnderAge(
                    f"{label}({party.full_name})は婚姻の日に18歳未満です。婚姻は18歳にならなければできません(民法第731条)。"
                )
        keeper = parties[surname_of]
        joiner = parties["wife" if surname_of == "husband" else "husband"]
        keeper_role, joiner_role = (
            _SPOUSE_ROLE[surname_of],
            _SPOUSE_ROLE["wife" if surname_of == "husband" else "husband"],
        )

        registers = lock_registers(m.koseki_id for m in (keeper, joiner) if isinstance(m, Member))
        for koseki in registers.values():
            ensure_open(koseki)
        # 第16条 ただし書: the spouse whose surname is kept already heads a koseki — the other one enters it.
        keeper_is_head = isinstance(keeper, Member) and keeper.is_head
        if not keeper_is_head and not honseki:
            if isinstance(keeper, Member):
                honseki = registers[keeper.koseki_id].honseki
            else:
                raise HonsekiRequired("夫婦の新しい本籍を入力してください(戸籍法第16条・第30条)。")

        notification = new_notification(
            actor=actor,
            kind=NotificationKind.MARRIAGE,
            event_date=married_on,
            notified_on=notified_on,
            notifier_name=notifier_name or f"{_party_label(h)}・{_party_label(w)}",
            notifier_capacity=notifier_capacity,
            kosekis=list(registers.values()),
            details={
                "husband": _party_details(h),
                "wife": _party_details(w),
                "surname_of": surname_of,
                "new_honseki": honseki,
                "new_koseki": not keeper_is_head,
            },
        )
        family_name, family_kana = keeper.family_name, keeper.family_name_kana
        changed: list[Koseki] = list(registers.values())
        if keeper_is_head:
            assert isinstance(keeper, Member)
            target = registers[keeper.koseki_id]
        else:
            target = compile_koseki(
                honseki=honseki,
                family_name=family_name,
                head_given_name=keeper.given_name,
                family_name_kana=family_kana,
                compiled_on=notified_on,
                reason=CompiledReason.MARRIAGE,
            )
            compiled_entry(target, on=notified_on, notification=notification)
            changed.append(target)

        placed: dict[str, Member] = {}
        for role, party, is_keeper in (
            (surname_of, keeper, True),
            ("wife" if surname_of == "husband" else "husband", joiner, False),
        ):
            spouse = joiner if is_keeper else keeper
            spouse_name = plain_name(family_name, spouse.given_name)
            if isinstance(party, Member) and party.koseki_id == target.pk:
                # The head stays where they are; only their 配偶者区分 and 身分事項 change.
                party.spouse_role = keeper_role if is_keeper else joiner_role
                party.save(update_fields=["spouse_role"])
                placed[role] = party
                add_entry(
                    koseki=target,
                    member=party,
                    kind=EntryKind.MARRIAGE,
                    event_date=married_on,
                    fields=[["婚姻日", wareki(married_on)], ["配偶者氏名", spouse_name]],
                    notification=notification,
                    notifier=notifier_capacity,
                )
                continue
            if isinstance(party, Member):
                old = registers[party.koseki_id]
                remove_member(party, on=notified_on, reason="婚姻")
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
                    notifier=notifier_capacity,
                )
                former = koseki_label(old)
            else:
                former = f"{party.honseki}\u3000{party.head_name}".strip()
            new_member = enter_member(
                koseki=target,
                source=party,
                family_name=family_name,
                family_name_kana=family_kana,
                is_head=is_keeper and target.pk not in registers,
                spouse_role=keeper_role if is_keeper else joiner_role,
            )
            placed[role] = new_member
            add_entry(
                koseki=target,
                member=new_member,
                kind=EntryKind.MARRIAGE,
                event_date=married_on,
                fields=[
                    ["婚姻日", wareki(married_on)],
                    ["配偶者氏名", spouse_name],
                    ["従前戸籍", former],
                ],
                notification=notification,
                notifier=notifier_capacity,
            )
        # Link the spouses (spouse_key is what makes a second marriage refusable, 民法第732条).
        placed["husband"].spouse_key = placed["wife"].person_key
        placed["wife"].spouse_key = placed["husband"].person_key
        for m in placed.values():
            m.save(update_fields=["spouse_key"])
        for koseki in registers.values():
            close_if_empty(koseki, on=notified_on, reason="婚姻", notification=notification)
        notification.koseki_numbers = list(dict.fromkeys(k.number for k in changed))
        notification.details["koseki_number"] = target.number
        notification.save(update_fields=["koseki_numbers", "details"])
        for koseki in changed:
            refresh_search_text(koseki)
        bump(*changed)
        audit_notification(
            actor=actor, action="koseki.marriage", notification=notification, details={"koseki_id": target.pk}
        )
    return notification


def _blood_relatives(a: Member, b: Member) -> bool:
    """民法第734条, as far as the register's keys show it: parent and child, or siblings (same father or mother)."""
    if a.person_key in (b.father_key, b.mother_key) or b.person_key in (a.father_key, a.mother_key):
        return True
    shared = {a.father_key, a.mother_key} & {b.father_key, b.mother_key}
    return bool(shared - {None})


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


# --- 離婚 ----------------------------------------------------------------------------------------


def _former_appearance(member: Member) -> Member | None:
    """The register the reverting spouse left by this marriage (復籍先), if it is in this town."""
    return (
        Member.objects.select_related("koseki")
        .filter(person_key=member.person_key, is_removed=True, removed_reason="婚姻")
        .exclude(koseki_id=member.koseki_id)
        .order_by("-removed_on", "-pk")
        .first()
    )


def _former_surname(member: Member, former: Member | None) -> tuple[str, str, str]:
    """(氏, 氏の振り仮名, 従前戸籍) the reverting spouse returns to (民法第767条第1項)."""
    if former is not None:
        return former.family_name, former.family_name_kana, koseki_label(former.koseki)
    from koseki.models import Notification as NotificationModel

    marriages = NotificationModel.objects.filter(kind=NotificationKind.MARRIAGE, entries__member=member).distinct()
    for notification in marriages.order_by("-processed_at"):
        for role in ("husband", "wife"):
            party = notification.details.get(role, {})
            if party.get("outside") and party.get("given_name") == member.given_name:
                head = f"{party.get('honseki', '')}\u3000{party.get('head_name', '')}".strip()
                return str(party["family_name"]), str(party.get("family_name_kana", "")), head
    return member.family_name, member.family_name_kana, ""


def record_divorce(
    *,
    actor: Person | None,
    husband: Member,
    wife: Member,
    divorced_on: date,
    new_koseki: bool = False,
    new_honseki: str = "",
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "夫妻",
) -> Notification:
    """離婚届 (戸籍法第76条). The spouse who took the other's surname reverts to the former one (民法第767条) and,
    under 第19条, returns to the former koseki — or gets a new koseki when that koseki is closed or on request.
    A former koseki outside this town is recorded as 入籍戸籍; that town writes the return."""
    check_dates(event_date=divorced_on, notified_on=notified_on, event_label="離婚日")
    honseki = " ".join(new_honseki.split())
    with transaction.atomic():
        locked = lock_members([husband.pk, wife.pk])
        h = fresh_current_member(husband, locked, label="夫")
        w = fresh_current_member(wife, locked, label="妻")
        if not (
            h.koseki_id == w.koseki_id
            and h.spouse_key == w.person_key
            and w.spouse_key == h.person_key
            and h.spouse_role == "夫"
            and w.spouse_role == "妻"
        ):
            raise NotMarriedToEachOther(details={"husband_id": h.pk, "wife_id": w.pk})
        if not (h.is_head or w.is_head):
            raise NotMarriedToEachOther(
                "夫婦のいずれも筆頭者ではないため、婚姻の戸籍を特定できません(戸籍法第16条)。",
                code="divorce_head_missing",
            )
        keeper, leaver = (h, w) if h.is_head else (w, h)
        former = _former_appearance(leaver)
        former_surname, former_kana, former_label = _former_surname(leaver, former)
        registers = lock_registers([h.koseki_id] + ([former.koseki_id] if former is not None else []))
        couple = registers[h.koseki_id]
        ensure_open(couple)
        former_koseki = registers.get(former.koseki_id) if former is not None else None
        back_to_former = not new_koseki and former_koseki is not None and not former_koseki.is_closed
        if not back_to_former and (new_koseki or former_koseki is not None) and not honseki:
            if former_koseki is not None:
                honseki = former_koseki.honseki
            else:
                raise HonsekiRequired("新しい戸籍の本籍を入力してください(戸籍法第19条第1項ただし書)。")
        make_new = new_koseki or (former_koseki is not None and former_koseki.is_closed)
        if former_koseki is None and not new_koseki:
            make_new = False  # returns to a koseki of another municipality, which records the return

        notification = new_notification(
            actor=actor,
            kind=NotificationKind.DIVORCE,
            event_date=divorced_on,
            notified_on=notified_on,
            notifier_name=notifier_name
            or f"{plain_name(h.family_name, h.given_name)}・{plain_name(w.family_name, w.given_name)}",
            notifier_capacity=notifier_capacity,
            kosekis=list(registers.values()),
            details={
                "husband_id": h.pk,
                "wife_id": w.pk,
                "reverting": "husband" if leaver is h else "wife",
                "former_surname": former_surname,
                "destination": "former" if back_to_former else ("new" if make_new else "outside"),
                "new_honseki": honseki if make_new else "",
            },
        )
        changed = [couple]
        for m in (keeper, leaver):
            m.spouse_key = None
            m.spouse_role = ""
            m.save(update_fields=["spouse_key", "spouse_role"])
        add_entry(
            koseki=couple,
            member=keeper,
            kind=EntryKind.DIVORCE,
            event_date=divorced_on,
            fields=[["離婚日", wareki(divorced_on)], ["配偶者氏名", plain_name(leaver.family_name, leaver.given_name)]],
            notification=notification,
            notifier=notifier_capacity,
        )
        remove_member(leaver, on=notified_on, reason="離婚")
        destination: Koseki | None = None
        if back_to_former:
            assert former_koseki is not None
            destination = former_koseki
        elif make_new:
            destination = compile_koseki(
                honseki=honseki,
                family_name=former_surname,
                head_given_name=leaver.given_name,
                family_name_kana=former_kana,
                compiled_on=notified_on,
                reason=CompiledReason.DIVORCE,
            )
            compiled_entry(destination, on=notified_on, notification=notification)
        leave_fields = [
            ["離婚日", wareki(divorced_on)],
            ["配偶者氏名", plain_name(keeper.family_name, keeper.given_name)],
        ]
        if destination is not None and destination is not former_koseki:
            leave_fields.append(["新本籍", destination.honseki])
        elif destination is not None:
            leave_fields.append(["入籍戸籍", koseki_label(destination)])
        elif former_label:
            leave_fields.append(["入籍戸籍", former_label])
        add_entry(
            koseki=couple,
            member=leaver,
            kind=EntryKind.DIVORCE,
            event_date=divorced_on,
            fields=leave_fields,
            notification=notification,
            notifier=notifier_capacity,
        )
        if destination is not None:
            returned = enter_member(
                koseki=destination,
                source=leaver,
                family_name=former_surname,
                family_name_kana=former_kana,
                # Back in the former koseki they are again what they were there (a returning head stays head).
                is_head=former.is_head if (back_to_former and former is not None) else True,
            )
            add_entry(
                koseki=destination,
                member=returned,
                kind=EntryKind.DIVORCE,
                event_date=divorced_on,
                fields=[
                    ["離婚日", wareki(divorced_on)],
                    ["配偶者氏名", plain_name(keeper.family_name, keeper.given_name)],
                    ["従前戸籍", koseki_label(couple)],
                ],
                notification=notification,
                notifier=notifier_capacity,
            )
            if destination not in changed:
                changed.append(destination)
        notification.koseki_numbers = list(dict.fromkeys(k.number for k in changed))
        notification.save(update_fields=["koseki_numbers"])
        for koseki in changed:
            refresh_search_text(koseki)
        bump(*changed)
        audit_notification(actor=actor, action="koseki.divorce", notification=notification)
    return notification


# --- 死亡 ----------------------------------------------------------------------------------------


def record_death(
    *,
    actor: Person | None,
    member: Member,
    died_on: date,
    death_place: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
) -> Notification:
    """死亡届 (戸籍法第86条): the deceased is marked 除籍; the marriage ends (民法第728条 applies to in-laws only on
    declaration), so the survivor's spouse link is cleared and a 配偶者の死亡 entry written for them."""
    check_dates(event_date=died_on, notified_on=notified_on, event_label="死亡日")
    with transaction.atomic():
        spouse_ids: list[int] = []
        if member.spouse_key is not None:
            spouse_ids = list(
                Member.objects.filter(
                    koseki_id=member.koseki_id, person_key=member.spouse_key, is_removed=False
                ).values_list("pk", flat=True)
            )
        locked = lock_members([member.pk, *spouse_ids])
        deceased = fresh_current_member(member, locked)
        if died_on < deceased.birth_date:
            raise DeathDateInvalid()
        survivor = next(
            (
                m
                for m in locked.values()
                if deceased.spouse_key is not None and m.person_key == deceased.spouse_key and not m.is_removed
            ),
            None,
        )
        registers = lock_registers([deceased.koseki_id])
        koseki = registers[deceased.koseki_id]
        ensure_open(koseki)
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.DEATH,
            event_date=died_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[koseki],
            details={"member_id": deceased.pk, "died_on": str(died_on), "death_place": death_place},
        )
        remove_member(deceased, on=died_on, reason="死亡")
        add_entry(
            koseki=koseki,
            member=deceased,
            kind=EntryKind.DEATH,
            event_date=died_on,
            fields=[
                ["死亡日", wareki(died_on)],
                ["死亡地", " ".join(death_place.split())],
                ["届出日", wareki(notified_on)],
                ["届出人", notifier_capacity],
            ],
            notification=notification,
            notifier=notifier_capacity,
        )
        if survivor is not None:
            survivor.spouse_key = None
            survivor.save(update_fields=["spouse_key"])
            # The survivor keeps 配偶者区分 on the register (still 配偶者 of the 筆頭者, 第21条) but may remarry.
            add_entry(
                koseki=koseki,
                member=survivor,
                kind=EntryKind.SPOUSE_DEATH,
                event_date=died_on,
                fields=[["配偶者の死亡日", wareki(died_on)]],
                notification=notification,
            )
        close_if_empty(koseki, on=notified_on, reason="死亡", notification=notification)
        refresh_search_text(koseki)
        bump(koseki)
        audit_notification(actor=actor, action="koseki.death", notification=notification)
    return notification


# --- 分籍 ----------------------------------------------------------------------------------------


def record_split(
    *,
    actor: Person | None,
    member: Member,
    new_honseki: str,
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "本人",
) -> Notification:
    """分籍届 (戸籍法第21条・第100条): an adult (18+) who is neither 筆頭者 nor spouse leaves into a new koseki,
    which is compiled on the 届出日 (分籍 takes effect by the 届出)."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    honseki = " ".join(new_honseki.split())
    if not honseki:
        raise HonsekiRequired("分籍後の新しい本籍を入力してください(戸籍法第21条)。")
    with transaction.atomic():
        locked = lock_members([member.pk])
        person = fresh_current_member(member, locked)
        if person.is_head or person.spouse_role:
            raise SplitHeadOrSpouse(details={"member_id": person.pk})
        if age_on(person.birth_date, notified_on) < ADULT_AGE:
            raise SplitMinor(details={"member_id": person.pk, "birth_date": str(person.birth_date)})
        registers = lock_registers([person.koseki_id])
        old = registers[person.koseki_id]
        ensure_open(old)
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.SPLIT,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name or plain_name(person.family_name, person.given_name),
            notifier_capacity=notifier_capacity,
            kosekis=[old],
            details={"member_id": person.pk, "new_honseki": honseki},
        )
        new = compile_koseki(
            honseki=honseki,
            family_name=person.family_name,
            head_given_name=person.given_name,
            family_name_kana=person.family_name_kana or old.family_name_kana,
            compiled_on=notified_on,
            reason=CompiledReason.SPLIT,
        )
        compiled_entry(new, on=notified_on, notification=notification)
        remove_member(person, on=notified_on, reason="分籍")
        add_entry(
            koseki=old,
            member=person,
            kind=EntryKind.SPLIT,
            event_date=notified_on,
            fields=[["分籍日", wareki(notified_on)], ["新本籍", new.honseki]],
            notification=notification,
            notifier=notifier_capacity,
        )
        moved = enter_member(koseki=new, source=person, is_head=True)
        add_entry(
            koseki=new,
            member=moved,
            kind=EntryKind.SPLIT,
            event_date=notified_on,
            fields=[["分籍日", wareki(notified_on)], ["従前戸籍", koseki_label(old)]],
            notification=notification,
            notifier=notifier_capacity,
        )
        notification.koseki_numbers = [old.number, new.number]
        notification.save(update_fields=["koseki_numbers"])
        for koseki in (old, new):
            refresh_search_text(koseki)
        bump(old, new)
        audit_notification(actor=actor, action="koseki.split", notification=notification)
    return notification


# --- 養子縁組 ------------------------------------------------------------------------------------


def record_adoption(
    *,
    actor: Person | None,
    adoptee: Member,
    adoptive_father: Member | None,
    adoptive_mother: Member | None,
    adopted_on: date,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
) -> Notification:
    """養子縁組届 (戸籍法第66条). The adoptee takes the adopters' surname (民法第810条) and enters their koseki
    (戸籍法第18条第3項) — unless married with the marital surname (民法第810条ただし書) or heading a koseki with
    a spouse, in which case only the 養親 are recorded. An adopter who is neither 筆頭者 nor spouse gets a new
    koseki first (第17条, which covers 養子 too)."""
    check_dates(event_date=adopted_on, notified_on=notified_on, event_label="縁組日")
    adopters_in = [a for a in (adoptive_father, adoptive_mother) if a is not None]
    if not adopters_in:
        raise AdoptionInvalid("養父または養母を指定してください。")
    if (adoptive_father is not None and adoptive_father.sex != "1") or (
        adoptive_mother is not None and adoptive_mother.sex != "2"
    ):
        raise AdoptionInvalid("養父・養母の男女の別が届書と一致しません。")
    with transaction.atomic():
        locked = lock_members([adoptee.pk, *(a.pk for a in adopters_in)])
        child = fresh_current_member(adoptee, locked, label="養子")
        father = fresh_current_member(adoptive_father, locked, label="養父") if adoptive_father is not None else None
        mother = fresh_current_member(adoptive_mother, locked, label="養母") if adoptive_mother is not None else None
        adopters = [a for a in (father, mother) if a is not None]
        if any(a.person_key == child.person_key for a in adopters):
            raise AdoptionInvalid("養親と養子に同じ方が指定されています。")
        if (
            father is not None
            and mother is not None
            and not (father.koseki_id == mother.koseki_id and father.spouse_key == mother.person_key)
        ):
            raise AdoptionInvalid("養父と養母は婚姻中の夫婦でなければなりません(民法第795条・第796条)。")
        for a in adopters:
            if age_on(a.birth_date, adopted_on) < ADOPTER_AGE:
                raise AdopterUnderAge(details={"member_id": a.pk})
            if a.birth_date >= child.birth_date:
                raise AdopteeOlder(details={"member_id": a.pk})
        if age_on(child.birth_date, adopted_on) < ADULT_AGE and len(adopters) == 1 and adopters[0].spouse_key:
            raise AdoptionSpouseRequired()
        principal = adopters[0]
        registers = lock_registers([child.koseki_id, principal.koseki_id])
        for koseki in registers.values():
            ensure_open(koseki)
        source = registers[child.koseki_id]
        # 民法第810条ただし書: a spouse who took the marital surname keeps it; a married 筆頭者 keeps the koseki.
        stays = bool(child.spouse_key) or (child.is_head and bool(child.spouse_role))
        moves = not stays and child.koseki_id != principal.koseki_id
        needs_new = moves and not principal.is_head and not principal.spouse_role

        notification = new_notification(
            actor=actor,
            kind=NotificationKind.ADOPTION,
            event_date=adopted_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=list(registers.values()),
            details={
                "adoptee_id": child.pk,
                "adoptive_father_id": father.pk if father is not None else None,
                "adoptive_mother_id": mother.pk if mother is not None else None,
                "moves": moves,
                "article_17_new_koseki": needs_new,
                # Adopting a minor needs the family court's permission unless the child is a 直系卑属 of the
                # adopter or spouse (民法第798条): the clerk checks the 許可審判書; recorded here.
                "minor": age_on(child.birth_date, adopted_on) < ADULT_AGE,
            },
        )
        changed = list(registers.values())
        adoptive_relationship = "養子" if child.sex == "1" else "養女"
        names = {
            "father": plain_name(father.family_name, father.given_name) if father is not None else "",
            "mother": plain_name(mother.family_name, mother.given_name) if mother is not None else "",
        }
        adoptee_fields = [["縁組日", wareki(adopted_on)], ["養父氏名", names["father"]], ["養母氏名", names["mother"]]]
        target = registers[principal.koseki_id]
        if needs_new:
            target = compile_koseki(
                honseki=target.honseki,
                family_name=principal.family_name,
                head_given_name=principal.given_name,
                family_name_kana=principal.family_name_kana,
                compiled_on=notified_on,
                reason=CompiledReason.ADOPTION,
            )
            compiled_entry(target, on=notified_on, notification=notification)
            old_principal_koseki = registers[principal.koseki_id]
            remove_member(principal, on=notified_on, reason="養子縁組")
            add_entry(
                koseki=old_principal_koseki,
                member=principal,
                kind=EntryKind.REMOVAL,
                event_date=notified_on,
                fields=[["届出日", wareki(notified_on)], ["除籍事由", "養子縁組届出"], ["新本籍", target.honseki]],
                notification=notification,
            )
            new_principal = enter_member(koseki=target, source=principal, is_head=True)
            add_entry(
                koseki=target,
                member=new_principal,
                kind=EntryKind.ENTRY,
                event_date=notified_on,
                fields=[
                    ["届出日", wareki(notified_on)],
                    ["入籍事由", "養子縁組届出"],
                    ["従前戸籍", koseki_label(old_principal_koseki)],
                ],
                notification=notification,
            )
            changed.append(target)
            principal = new_principal
            if father is not None and father.pk == adopters[0].pk:
                father = new_principal
            elif mother is not None:
                mother = new_principal
        for adopter in (father, mother):
            if adopter is None:
                continue
            add_entry(
                koseki=registers.get(adopter.koseki_id) or target,
                member=adopter,
                kind=EntryKind.ADOPTION,
                event_date=adopted_on,
                fields=[["縁組日", wareki(adopted_on)], ["養子氏名", plain_name(child.family_name, child.given_name)]],
                notification=notification,
                notifier=notifier_capacity,
            )
        adoptive = {
            "adoptive_father_name": names["father"],
            "adoptive_mother_name": names["mother"],
            "adoptive_father_key": father.person_key if father is not None else None,
            "adoptive_mother_key": mother.person_key if mother is not None else None,
            "adoptive_relationship": adoptive_relationship,
        }
        if moves:
            remove_member(child, on=notified_on, reason="養子縁組")
            add_entry(
                koseki=source,
                member=child,
                kind=EntryKind.ADOPTION,
                event_date=adopted_on,
                fields=[*adoptee_fields, ["入籍戸籍", koseki_label(target)]],
                notification=notification,
                notifier=notifier_capacity,
            )
            for name, value in adoptive.items():
                setattr(child, name, value)
            placed = enter_member(
                koseki=target,
                source=child,
                family_name=target.family_name,
                family_name_kana=target.family_name_kana or principal.family_name_kana,
            )
            add_entry(
                koseki=target,
                member=placed,
                kind=EntryKind.ADOPTION,
                event_date=adopted_on,
                fields=[*adoptee_fields, ["従前戸籍", koseki_label(source)]],
                notification=notification,
                notifier=notifier_capacity,
            )
            close_if_empty(source, on=notified_on, reason="養子縁組", notification=notification)
        else:
            for name, value in adoptive.items():
                setattr(child, name, value)
            child.save(update_fields=list(adoptive))
            add_entry(
                koseki=source,
                member=child,
                kind=EntryKind.ADOPTION,
                event_date=adopted_on,
                fields=adoptee_fields,
                notification=notification,
                notifier=notifier_capacity,
            )
        notification.koseki_numbers = list(dict.fromkeys(k.number for k in changed))
        notification.save(update_fields=["koseki_numbers"])
        for koseki in changed:
            refresh_search_text(koseki)
        bump(*changed)
        audit_notification(actor=actor, action="koseki.adoption", notification=notification)
    return notification

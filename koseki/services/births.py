"""身分の届出 (戸籍法 第16条〜第21条, DOMAIN.md §5): 出生.

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q

from koseki.errors import (
    BirthFatherNotSpouse,
    BirthParentsUnknown,
    FuriganaRequired,
    KosekiConflict,
    KosekiValidationError,
    MemberAlreadyRemoved,
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
    FURIGANA_LAW_IN_FORCE,
    add_entry,
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
from resident_records.services import koseki_births
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.birth": "戸籍: 出生届",
}


_KANJI_DIGITS = "〇一二三四五六七八九"

# Who may be named as a parent in a 出生届: a current member, or a father who died before the birth (民法 第772条:
# a child born within 300 days of the end of the marriage is the husband's). One rule for the page's choices and
# for record_birth.
_MAY_BE_PARENT = Q(is_removed=False) | Q(sex="1", removed_reason="死亡")


def birth_parent_candidates(*, koseki: Koseki) -> list[Member]:
    """The members of ``koseki`` a 出生届 may name as mother or father, in 記載順."""
    return list(
        Member.objects.filter(koseki=koseki).filter(_MAY_BE_PARENT).select_related("koseki").order_by("position")
    )


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


def _parent(member: Member) -> koseki_births.Parent:
    return koseki_births.Parent(
        family_name=member.family_name,
        given_name=member.given_name,
        birth_date=member.birth_date,
        resident_code=member.resident_code,
    )


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
            # The father may have died before the birth (民法第772条): he need not be a current member, but a
            # father removed for any other reason (婚姻, 分籍 ...) has left this register and cannot be named here.
            if father.pk not in locked:
                raise KosekiConflict()
            father = locked[father.pk]
            if not Member.objects.filter(_MAY_BE_PARENT, pk=father.pk).exists():
                raise MemberAlreadyRemoved(
                    f"父({father.full_name})は既にこの戸籍から除籍されています({father.removed_reason})。",
                    details={"member_id": father.pk},
                )
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
        # The resident register of the town enters the child (or leaves its clerk a task), in this transaction.
        koseki_births.enter_birth_from_koseki(
            actor=actor,
            birth=koseki_births.BirthAccepted(
                notification_id=notification.pk,
                family_name=target.family_name,
                given_name=given_name,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                sex=sex,
                birth_date=birth_date,
                notified_on=notified_on,
                honseki=target.honseki,
                head_name=f"{target.family_name} {target.head_given_name}",
                mother=_parent(mother),
                father=_parent(father) if father is not None else None,
            ),
        )
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

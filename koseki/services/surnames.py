"""Surnames a person takes by a 届出 alone: 離婚の際に称していた氏を称する届 (婚氏続称, 戸籍法 第77条の2, 民法
第767条第2項) and the 入籍届 of a child taking a parent's surname (民法 第791条, 戸籍法 第98条).
docs/domain/koseki.md (婚氏続称, 入籍).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from koseki import deadlines
from koseki.errors import SurnameFilingInvalid
from koseki.models import CompiledReason, EntryKind, Koseki, Member, Notification, NotificationKind
from koseki.services.common import (
    add_entry,
    check_dates,
    close_if_empty,
    current_members,
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
from koseki.services.names import change_own_surname
from koseki.services.text import koseki_label, plain_name, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.marital_surname": "戸籍: 離婚の際に称していた氏を称する届",
    "koseki.child_surname": "戸籍: 入籍届",
}

MARITAL_SURNAME_MONTHS = 3  # 民法 第767条第2項: 離婚の日から三箇月以内


# --- 婚氏続称 (戸籍法 第77条の2) -------------------------------------------------------------------------


def _last_divorce(member: Member) -> tuple[date, str, str]:
    """(離婚日, 氏, 氏の振り仮名) the person had in the marriage they left last by 離婚."""
    left = (
        Member.objects.filter(person_key=member.person_key, is_removed=True, removed_reason="離婚")
        .order_by("-removed_on", "-pk")
        .first()
    )
    entry = (
        left.entries.filter(kind=EntryKind.DIVORCE, is_struck=False).order_by("-event_date").first()
        if left is not None
        else None
    )
    if left is None or entry is None:
        raise SurnameFilingInvalid(
            "離婚により婚姻前の氏に復した記録がありません(戸籍法第77条の2)。", code="marital_surname_no_divorce"
        )
    return entry.event_date, left.family_name, left.family_name_kana


def record_marital_surname(
    *,
    actor: Person | None,
    member: Member,
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "本人",
) -> Notification:
    """婚氏続称: within three months of the divorce, the spouse who reverted takes back the surname of the marriage.
    Alone in their register (as 筆頭者) the register's 氏 changes; otherwise a new register is compiled for them
    under that surname (戸籍法 第19条第3項)."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    with transaction.atomic():
        person = fresh_current_member(member, lock_members([member.pk]))
        divorced_on, surname, kana = _last_divorce(person)
        last_day = deadlines.months_end(divorced_on, MARITAL_SURNAME_MONTHS)
        if notified_on > last_day:
            raise SurnameFilingInvalid(
                f"離婚の日から3か月を経過しています({wareki(last_day)}まで、民法第767条第2項)。家庭裁判所の許可を得て"
                "戸籍法第107条第1項の氏の変更届をしてください。",
                code="marital_surname_too_late",
            )
        if surname == person.family_name:
            raise SurnameFilingInvalid("既に婚姻中の氏を称しています。", code="marital_surname_same")
        register = lock_registers([person.koseki_id])[person.koseki_id]
        ensure_open(register)
        alone = person.is_head and not [m for m in current_members(register) if m.pk != person.pk]
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.MARITAL_SURNAME,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name or plain_name(person.family_name, person.given_name),
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={"member_id": person.pk, "divorced_on": str(divorced_on), "family_name": surname},
        )
        new = change_own_surname(
            person=person,
            register=register,
            alone=alone,
            family_name=surname,
            family_kana=kana,
            reason="戸籍法77条の2の届出",
            on=notified_on,
            notification=notification,
            capacity=notifier_capacity,
        )
        changed = [register]
        if new is not None:
            changed.append(new)
            close_if_empty(register, on=notified_on, reason="氏の変更", notification=notification)
        finish_notification(actor=actor, action="koseki.marital_surname", notification=notification, changed=changed)
    return notification


# --- 入籍 (民法 第791条) ---------------------------------------------------------------------------------


def _needs_permission(child: Member, parent: Member) -> bool:
    """民法 第791条第2項: while the parents are married to each other, a child whose surname differs because a
    parent changed theirs needs no court; every other change of a child's surname does (第1項)."""
    other = child.mother_key if parent.person_key == child.father_key else child.father_key
    return not (other is not None and parent.spouse_key == other)


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_child_surname(
    *,
    actor: Person | None,
    child: Member,
    parent: Member,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    court_permission_on: date | None = None,
) -> Notification:
    """入籍届 (子の氏の変更): the child takes the father's or mother's surname and enters that parent's register
    (戸籍法 第18条, 第98条). Under 15 the 法定代理人 files (民法 第791条第3項). A parent who is neither 筆頭者 nor
    spouse where they stand gets a new register first (戸籍法 第17条)."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    if court_permission_on is not None and court_permission_on > notified_on:
        raise SurnameFilingInvalid("家庭裁判所の許可の日が届出日より後になっています。", code="child_surname_date")
    with transaction.atomic():
        locked = lock_members([child.pk, parent.pk])
        kid = fresh_current_member(child, locked, label="子")
        mother_or_father = fresh_current_member(parent, locked, label="父母")
        if mother_or_father.person_key not in (kid.father_key, kid.mother_key):
            raise SurnameFilingInvalid(
                "指定された方は、この子の父又は母として記載されていません。", code="child_surname_not_parent"
            )
        if kid.koseki_id == mother_or_father.koseki_id or kid.family_name == mother_or_father.family_name:
            raise SurnameFilingInvalid(
                "子は既に父又は母と同じ氏を称しています(民法第791条)。", code="child_surname_same"
            )
        if court_permission_on is None and _needs_permission(kid, mother_or_father):
            raise SurnameFilingInvalid(
                "父又は母の氏を称するには家庭裁判所の許可が必要です(民法第791条第1項)。許可の審判の日を入力してください。",
                code="child_surname_permission_required",
            )
        registers = lock_registers([kid.koseki_id, mother_or_father.koseki_id])
        for koseki in registers.values():
            ensure_open(koseki)
        source = registers[kid.koseki_id]
        label = "父" if mother_or_father.person_key == kid.father_key else "母"
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.CHILD_SURNAME,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=list(registers.values()),
            details={
                "child_id": kid.pk,
                "parent_id": mother_or_father.pk,
                "court_permission_on": str(court_permission_on) if court_permission_on else None,
            },
        )
        changed = list(registers.values())
        target = registers[mother_or_father.koseki_id]
        if not mother_or_father.is_head and not mother_or_father.spouse_role:
            target = _parent_register(parent=mother_or_father, old=target, on=notified_on, notification=notification)
            changed.append(target)
        reason = f"{label}の氏を称する入籍"
        remove_member(kid, on=notified_on, reason="入籍")
        add_entry(
            koseki=source,
            member=kid,
            kind=EntryKind.ENTRY,
            event_date=notified_on,
            fields=[["届出日", wareki(notified_on)], ["除籍事由", reason], ["入籍戸籍", koseki_label(target)]],
            notification=notification,
            notifier=notifier_capacity,
        )
        placed = enter_member(
            koseki=target, source=kid, family_name=target.family_name, family_name_kana=target.family_name_kana
        )
        add_entry(
            koseki=target,
            member=placed,
            kind=EntryKind.ENTRY,
            event_date=notified_on,
            fields=[["届出日", wareki(notified_on)], ["入籍事由", reason], ["従前戸籍", koseki_label(source)]],
            notification=notification,
            notifier=notifier_capacity,
        )
        close_if_empty(source, on=notified_on, reason="入籍", notification=notification)
        finish_notification(actor=actor, action="koseki.child_surname", notification=notification, changed=changed)
    return notification


def _parent_register(*, parent: Member, old: Koseki, on: date, notification: Notification) -> Koseki:
    """戸籍法 第17条: the parent the child joins heads a new register with the same 氏 and 本籍."""
    new = leave_for_new_register(
        parent,
        old=old,
        honseki=old.honseki,
        on=on,
        compiled=CompiledReason.CHILD_SURNAME,
        removed="子の入籍",
        notification=notification,
    )
    add_entry(
        koseki=old,
        member=parent,
        kind=EntryKind.REMOVAL,
        event_date=on,
        fields=[["届出日", wareki(on)], ["除籍事由", "子の入籍届出"], ["新本籍", new.honseki]],
        notification=notification,
    )
    moved = enter_member(koseki=new, source=parent, is_head=True)
    add_entry(
        koseki=new,
        member=moved,
        kind=EntryKind.ENTRY,
        event_date=on,
        fields=[["届出日", wareki(on)], ["入籍事由", "子の入籍届出"], ["従前戸籍", koseki_label(old)]],
        notification=notification,
    )
    close_if_empty(old, on=on, reason="子の入籍", notification=notification)
    return new

"""身分の届出 (戸籍法 第16条〜第21条, docs/domain/koseki.md): 死亡, 分籍.

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from koseki.errors import DeathDateInvalid, HonsekiRequired, SplitHeadOrSpouse, SplitMinor
from koseki.models import CompiledReason, EntryKind, Member, Notification, NotificationKind
from koseki.services.common import (
    ADULT_AGE,
    add_entry,
    age_on,
    audit_notification,
    bump,
    check_dates,
    close_if_empty,
    ensure_open,
    enter_member,
    fresh_current_member,
    leave_for_new_register,
    lock_members,
    lock_registers,
    new_notification,
    remove_member,
)
from koseki.services.text import koseki_label, plain_name, refresh_search_text, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.death": "戸籍: 死亡届",
    "koseki.split": "戸籍: 分籍届",
}


# --- 死亡 ----------------------------------------------------------------------------------------


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_death(
    *,
    actor: Person | None,
    member: Member,
    died_on: date,
    death_place: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    learned_on: date | None = None,
    died_abroad: bool = False,
) -> Notification:
    """死亡届 (戸籍法第86条): the deceased is marked 除籍; the marriage ends (民法第728条 applies to in-laws only on
    declaration), so the survivor's spouse link is cleared and a 配偶者の死亡 entry written for them. The 7 days
    run from the day the notifier learned of the death (``learned_on``, the death itself when not stated); three
    months for a death abroad (``died_abroad``)."""
    check_dates(event_date=died_on, notified_on=notified_on, event_label="死亡日")
    if learned_on is not None and not died_on <= learned_on <= notified_on:
        raise DeathDateInvalid("死亡の事実を知った日は、死亡日から届出日までの日付で入力してください。")
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
            period_start=learned_on or died_on,
            abroad=died_abroad,
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


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
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
        new = leave_for_new_register(
            person,
            old=old,
            honseki=honseki,
            on=notified_on,
            compiled=CompiledReason.SPLIT,
            removed="分籍",
            notification=notification,
        )
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

"""身分の届出 (戸籍法 第16条〜第21条, docs/domain/koseki.md): 離婚, and a divorce decided abroad.

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from koseki.errors import (
    HonsekiRequired,
    NotMarriedToEachOther,
)
from koseki.models import CompiledReason, Entry, EntryKind, Koseki, Member, Notification, NotificationKind
from koseki.services.common import (
    add_entry,
    audit_notification,
    bump,
    check_dates,
    compile_koseki,
    compiled_entry,
    ensure_open,
    enter_member,
    finish_notification,
    fresh_current_member,
    lock_members,
    lock_registers,
    new_notification,
    remove_member,
)
from koseki.services.marriages import party_label
from koseki.services.non_acceptance import ensure_accepted
from koseki.services.text import koseki_label, plain_name, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.divorce": "戸籍: 離婚届",
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


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
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
    appeared_in_person: bool = False,
) -> Notification:
    """離婚届 (戸籍法第76条). A party's 不受理申出 refuses it unless the parties filed it in person (第27条の2).

    The spouse who took the other's surname reverts to the former one (民法第767条) and,
    under 第19条, returns to the former koseki — or gets a new koseki when that koseki is closed or on request.
    A former koseki outside this town is recorded as 入籍戸籍; that town writes the return."""
    check_dates(event_date=divorced_on, notified_on=notified_on, event_label="離婚日")
    honseki = " ".join(new_honseki.split())
    with transaction.atomic():
        h, w = _lock_couple(husband, wife, appeared_in_person=appeared_in_person)
        keeper, leaver = (h, w) if h.is_head else (w, h)
        former = _former_appearance(leaver)
        former_surname, former_kana, former_label = _former_surname(leaver, former)
        registers = lock_registers([h.koseki_id] + ([former.koseki_id] if former is not None else []))
        couple = registers[h.koseki_id]
        ensure_open(couple)
        former_koseki = registers.get(former.koseki_id) if former is not None else None
        back_to_former = not new_koseki and former_koseki is not None and not former_koseki.is_closed
        if not back_to_former and (new_koseki or former_koseki is not None) and not honseki:
            honseki = _former_honseki(former_koseki)
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
        _unlink_spouses(
            keeper,
            leaver,
            couple=couple,
            divorced_on=divorced_on,
            notification=notification,
            notifier=notifier_capacity,
        )
        destination = _return_leaver(
            leaver,
            keeper=keeper,
            couple=couple,
            former=former,
            former_koseki=former_koseki,
            back_to_former=back_to_former,
            make_new=make_new,
            honseki=honseki,
            former_name=(former_surname, former_kana, former_label),
            divorced_on=divorced_on,
            notification=notification,
        )
        if destination is not None and destination not in changed:
            changed.append(destination)
        finish_notification(actor=actor, action="koseki.divorce", notification=notification, changed=changed)
    return notification


def _lock_couple(husband: Member, wife: Member, *, appeared_in_person: bool) -> tuple[Member, Member]:
    """The spouses locked and re-read: married to each other in one register that one of them heads."""
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
    ensure_accepted(kind=NotificationKind.DIVORCE, parties=[h, w], appeared_in_person=appeared_in_person)
    if not (h.is_head or w.is_head):
        raise NotMarriedToEachOther(
            "夫婦のいずれも筆頭者ではないため、婚姻の戸籍を特定できません(戸籍法第16条)。",
            code="divorce_head_missing",
        )
    return h, w


def _former_honseki(former_koseki: Koseki | None) -> str:
    """The 本籍 of a new register when none was given: the former register's (第19条第1項ただし書)."""
    if former_koseki is not None:
        return former_koseki.honseki
    raise HonsekiRequired("新しい戸籍の本籍を入力してください(戸籍法第19条第1項ただし書)。")


def _unlink_spouses(
    keeper: Member,
    leaver: Member,
    *,
    couple: Koseki,
    divorced_on: date,
    notification: Notification,
    notifier: str,
) -> None:
    """Neither is the other's spouse any more; the 離婚 entry of the one who stays in the couple's register."""
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
        notifier=notifier,
    )


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def _return_leaver(
    leaver: Member,
    *,
    keeper: Member,
    couple: Koseki,
    former: Member | None,
    former_koseki: Koseki | None,
    back_to_former: bool,
    make_new: bool,
    honseki: str,
    former_name: tuple[str, str, str],
    divorced_on: date,
    notification: Notification,
) -> Koseki | None:
    """戸籍法 第19条: the spouse who reverts leaves the couple's register for the former one, a new one, or (None)
    a register of another municipality, which records the return."""
    notified_on, notifier_capacity = notification.notified_on, notification.notifier_capacity
    former_surname, former_kana, former_label = former_name
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
    return destination


def record_foreign_divorce(
    *,
    actor: Person | None,
    member: Member,
    divorced_on: date,
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "夫妻",
    appeared_in_person: bool = False,
) -> Notification:
    """離婚届 of a Japanese national married to a foreign national (docs/domain/koseki.md, 外国人との婚姻): the
    foreign spouse is in no register, so only the Japanese spouse's 身分事項 records the 離婚; their register and
    surname do not change (a surname taken under 第107条第2項 reverts only by 第107条第3項 within three months)."""
    check_dates(event_date=divorced_on, notified_on=notified_on, event_label="離婚日")
    with transaction.atomic():
        person = fresh_current_member(member, lock_members([member.pk]))
        spouse = _foreign_spouse_of(person)
        if spouse is None:
            raise NotMarriedToEachOther(
                "この方には、外国人配偶者との婚姻の記録がありません(戸籍法第76条)。", code="divorce_no_foreign_spouse"
            )
        ensure_accepted(kind=NotificationKind.DIVORCE, parties=[person], appeared_in_person=appeared_in_person)
        register = lock_registers([person.koseki_id])[person.koseki_id]
        ensure_open(register)
        role = "husband" if person.spouse_role == "夫" else "wife"
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.DIVORCE,
            event_date=divorced_on,
            notified_on=notified_on,
            notifier_name=notifier_name or f"{party_label(person)}・{spouse['name']}",
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={
                f"{role}_id": person.pk,
                "foreign_spouse": spouse,
                "foreign_marriage": True,
            },
        )
        add_entry(
            koseki=register,
            member=person,
            kind=EntryKind.DIVORCE,
            event_date=divorced_on,
            fields=[
                ["離婚日", wareki(divorced_on)],
                ["配偶者氏名", spouse["name"]],
                ["配偶者の国籍", spouse["nationality"]],
            ],
            notification=notification,
            notifier=notifier_capacity,
        )
        person.spouse_key, person.spouse_role = None, ""
        person.save(update_fields=["spouse_key", "spouse_role"])
        bump(register)
        audit_notification(actor=actor, action="koseki.divorce", notification=notification)
    return notification


def _foreign_spouse_of(member: Member) -> dict[str, str] | None:
    """The foreign spouse of a marriage in force, as the 婚姻 entry names them (None: no such marriage)."""
    if member.spouse_key is None or Member.objects.filter(person_key=member.spouse_key).exists():
        return None
    entry = (
        Entry.objects.filter(member__person_key=member.person_key, kind=EntryKind.MARRIAGE, is_struck=False)
        .order_by("-event_date", "-id")
        .first()
    )
    fields = {str(label): str(value) for label, value in (entry.fields if entry is not None else [])}
    if "配偶者の国籍" not in fields:
        return None
    return {"name": fields.get("配偶者氏名", ""), "nationality": fields["配偶者の国籍"]}

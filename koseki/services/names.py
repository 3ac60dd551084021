"""氏・名の変更 (docs/domain/koseki.md, 氏名の変更): 氏の変更届 with the family court's permission (戸籍法 第107条
第1項), 名の変更届 (第107条の2), and the 外国人との婚姻による氏の変更届 (第107条第2項), which needs no permission
within six months of the marriage.

Each runs in one transaction, writes one Notification, the entries, and one audit row; a refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from koseki import deadlines
from koseki.errors import KosekiValidationError, NameChangeInvalid
from koseki.models import CompiledReason, Entry, EntryKind, Koseki, Member, Notification, NotificationKind
from koseki.services.common import (
    add_entry,
    audit_notification,
    bump,
    check_dates,
    compile_koseki,
    compiled_entry,
    current_members,
    ensure_open,
    enter_member,
    finish_notification,
    fresh_current_member,
    lock_members,
    lock_registers,
    new_notification,
    remove_member,
)
from koseki.services.text import katakana, koseki_label, plain_name, refresh_search_text, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.surname_change": "戸籍: 氏の変更届",
    "koseki.given_name_change": "戸籍: 名の変更届",
    "koseki.foreign_spouse_surname": "戸籍: 外国人との婚姻による氏の変更届",
}

FOREIGN_SURNAME_MONTHS = 6  # 戸籍法 第107条第2項: 婚姻の日から六箇月以内


@dataclass(frozen=True)
class Filing:
    """The 受付帳 particulars every 届出 carries."""

    notified_on: date
    notifier_name: str
    notifier_capacity: str


def _new_name(value: str, label: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise KosekiValidationError(f"変更後の{label}を入力してください。", code="name_change_required")
    if len(text) > 50:
        raise KosekiValidationError(f"変更後の{label}は50文字以内で入力してください。", code="name_change_too_long")
    return text


def _check_permission(court_permission_on: date | None, notified_on: date) -> date:
    if court_permission_on is None:
        raise NameChangeInvalid(
            "氏又は名の変更には家庭裁判所の許可が必要です。許可の審判の日を入力してください(戸籍法第107条・第107条の2)。",
            code="name_change_permission_required",
        )
    if court_permission_on > notified_on:
        raise NameChangeInvalid(
            "家庭裁判所の許可の日が届出日より後になっています。", code="name_change_permission_date"
        )
    return court_permission_on


def rename_register(
    *, koseki: Koseki, family_name: str, family_kana: str, reason: str, on: date, notification: Notification
) -> list[Member]:
    """The register's 氏 changes for everyone in it (戸籍事項 and every current member's 身分事項)."""
    former = koseki.family_name
    add_entry(
        koseki=koseki,
        member=None,
        kind=EntryKind.SURNAME_CHANGE,
        event_date=on,
        fields=[["氏変更日", wareki(on)], ["氏変更の事由", reason], ["従前の記録 氏", former]],
        notification=notification,
    )
    Koseki.objects.filter(pk=koseki.pk).update(family_name=family_name, family_name_kana=family_kana)
    koseki.family_name, koseki.family_name_kana = family_name, family_kana
    members = current_members(koseki)
    for member in members:
        Member.objects.filter(pk=member.pk).update(family_name=family_name, family_name_kana=family_kana)
    return members


def record_surname_change(
    *,
    actor: Person | None,
    koseki: Koseki,
    family_name: str,
    family_name_kana: str,
    court_permission_on: date | None,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str = "筆頭者及び配偶者",
) -> Notification:
    """氏の変更届 (戸籍法 第107条第1項): with the family court's permission (やむを得ない事由), the 筆頭者 and spouse
    change the surname of the register, and so of everyone in it."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    permission = _check_permission(court_permission_on, notified_on)
    name = _new_name(family_name, "氏")
    kana = katakana(family_name_kana, required=True, label="氏の振り仮名")
    with transaction.atomic():
        register = lock_registers([koseki.pk])[koseki.pk]
        ensure_open(register)
        if name == register.family_name:
            raise NameChangeInvalid("変更後の氏が現在の氏と同じです。", code="name_change_same")
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.SURNAME_CHANGE,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={"former": register.family_name, "family_name": name, "court_permission_on": str(permission)},
        )
        rename_register(
            koseki=register,
            family_name=name,
            family_kana=kana,
            reason="戸籍法107条1項の届出",
            on=notified_on,
            notification=notification,
        )
        refresh_search_text(register)
        bump(register)
        audit_notification(actor=actor, action="koseki.surname_change", notification=notification)
    return notification


def record_given_name_change(
    *,
    actor: Person | None,
    member: Member,
    given_name: str,
    given_name_kana: str,
    court_permission_on: date | None,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str = "本人",
) -> Notification:
    """名の変更届 (戸籍法 第107条の2): with the family court's permission (正当な事由). A 筆頭者's new name is also
    the register's 筆頭者氏名."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    permission = _check_permission(court_permission_on, notified_on)
    name = _new_name(given_name, "名")
    kana = katakana(given_name_kana, required=True, label="名の振り仮名")
    with transaction.atomic():
        person = fresh_current_member(member, lock_members([member.pk]))
        register = lock_registers([person.koseki_id])[person.koseki_id]
        ensure_open(register)
        if name == person.given_name:
            raise NameChangeInvalid("変更後の名が現在の名と同じです。", code="name_change_same")
        former = person.given_name
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.GIVEN_NAME_CHANGE,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name or plain_name(person.family_name, former),
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={
                "member_id": person.pk,
                "former": former,
                "given_name": name,
                "court_permission_on": str(permission),
            },
        )
        add_entry(
            koseki=register,
            member=person,
            kind=EntryKind.GIVEN_NAME_CHANGE,
            event_date=notified_on,
            fields=[["名の変更日", wareki(notified_on)], ["従前の記録 名", former]],
            notification=notification,
            notifier=notifier_capacity,
        )
        Member.objects.filter(pk=person.pk).update(given_name=name, given_name_kana=kana)
        if person.is_head:
            Koseki.objects.filter(pk=register.pk).update(head_given_name=name)
        refresh_search_text(register)
        bump(register)
        audit_notification(actor=actor, action="koseki.given_name_change", notification=notification)
    return notification


def _foreign_marriage(member: Member) -> tuple[date, str]:
    """(婚姻日, the foreign spouse's 氏) of the member's marriage in force with a foreign national."""
    if member.spouse_key is None:
        raise NameChangeInvalid(
            "外国人配偶者との婚姻が継続していません(戸籍法第107条第2項)。", code="foreign_marriage_missing"
        )
    notifications = Notification.objects.filter(kind=NotificationKind.MARRIAGE, details__foreign_marriage=True)
    key = str(member.spouse_key)
    for notification in notifications.order_by("-processed_at"):
        for role in ("husband", "wife"):
            party = notification.details.get(role, {})
            if party.get("person_key") == key and party.get("outside"):
                return notification.event_date, str(party.get("family_name", ""))
    entry = (
        Entry.objects.filter(member__person_key=member.person_key, kind=EntryKind.MARRIAGE, is_struck=False)
        .order_by("-event_date")
        .first()
    )
    nationality = {label: value for label, value in (entry.fields if entry else [])}
    if entry is None or "配偶者の国籍" not in nationality:
        raise NameChangeInvalid(
            "外国人配偶者との婚姻が継続していません(戸籍法第107条第2項)。", code="foreign_marriage_missing"
        )
    return entry.event_date, str(nationality.get("配偶者氏名", "")).split("、")[0]


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_foreign_spouse_surname(
    *,
    actor: Person | None,
    member: Member,
    family_name: str,
    family_name_kana: str,
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "本人",
) -> Notification:
    """外国人との婚姻による氏の変更届 (戸籍法 第107条第2項): within six months of the marriage, without the court,
    the Japanese spouse takes the foreign spouse's surname. Alone in the register, the register's 氏 changes;
    with others in it (children), a new register is compiled for the filer (戸籍法 第20条の2第1項)."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    name = _new_name(family_name, "氏")
    kana = katakana(family_name_kana, required=True, label="氏の振り仮名")
    with transaction.atomic():
        person = fresh_current_member(member, lock_members([member.pk]))
        married_on, spouse_surname = _foreign_marriage(person)
        last_day = deadlines.months_end(married_on, FOREIGN_SURNAME_MONTHS)
        if notified_on > last_day:
            raise NameChangeInvalid(
                f"婚姻の日から6か月を経過しています({wareki(last_day)}まで)。家庭裁判所の許可を得て、"
                "戸籍法第107条第1項の氏の変更届をしてください。",
                code="foreign_surname_too_late",
            )
        if spouse_surname and name != spouse_surname:
            raise NameChangeInvalid(
                f"変更後の氏は、外国人配偶者の称している氏({spouse_surname})に限られます(戸籍法第107条第2項)。",
                code="foreign_surname_mismatch",
            )
        register = lock_registers([person.koseki_id])[person.koseki_id]
        ensure_open(register)
        others = [m for m in current_members(register) if m.pk != person.pk]
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.FOREIGN_SPOUSE_SURNAME,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name or plain_name(person.family_name, person.given_name),
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={
                "member_id": person.pk,
                "former": person.family_name,
                "family_name": name,
                "married_on": str(married_on),
                "new_koseki": bool(others) or not person.is_head,
            },
        )
        new = change_own_surname(
            person=person,
            register=register,
            alone=person.is_head and not others,
            family_name=name,
            family_kana=kana,
            reason="戸籍法107条2項の届出",
            on=notified_on,
            notification=notification,
            capacity=notifier_capacity,
        )
        changed = [register] if new is None else [register, new]
        finish_notification(
            actor=actor, action="koseki.foreign_spouse_surname", notification=notification, changed=changed
        )
    return notification


def change_own_surname(
    *,
    person: Member,
    register: Koseki,
    alone: bool,
    family_name: str,
    family_kana: str,
    reason: str,
    on: date,
    notification: Notification,
    capacity: str,
) -> Koseki | None:
    """The filer's own 氏 changes (戸籍法 第77条の2, 第107条第2項): alone in their register as 筆頭者, the
    register's 氏 changes with an entry for them; otherwise they move into a new register (``into_new_register``,
    戸籍法 第20条の2第1項・第19条第3項), which is returned."""
    if not alone:
        return into_new_register(
            person=person,
            old=register,
            family_name=family_name,
            family_kana=family_kana,
            reason=reason,
            on=on,
            notification=notification,
            capacity=capacity,
        )
    rename_register(
        koseki=register,
        family_name=family_name,
        family_kana=family_kana,
        reason=reason,
        on=on,
        notification=notification,
    )
    add_entry(
        koseki=register,
        member=person,
        kind=EntryKind.SURNAME_CHANGE,
        event_date=on,
        fields=[["氏変更日", wareki(on)], ["氏変更の事由", reason]],
        notification=notification,
        notifier=capacity,
    )
    return None


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def into_new_register(
    *,
    person: Member,
    old: Koseki,
    family_name: str,
    family_kana: str,
    reason: str,
    on: date,
    notification: Notification,
    capacity: str,
) -> Koseki:
    """戸籍法 第20条の2第1項 (and 第19条第3項): the filer alone moves into a new register under the new 氏."""
    new = compile_koseki(
        honseki=old.honseki,
        family_name=family_name,
        head_given_name=person.given_name,
        family_name_kana=family_kana,
        compiled_on=on,
        reason=CompiledReason.SURNAME_CHANGE,
    )
    compiled_entry(new, on=on, notification=notification)
    remove_member(person, on=on, reason="氏の変更")
    add_entry(
        koseki=old,
        member=person,
        kind=EntryKind.SURNAME_CHANGE,
        event_date=on,
        fields=[
            ["氏変更日", wareki(on)],
            ["氏変更の事由", reason],
            ["新本籍", new.honseki],
            ["変更後の氏", family_name],
        ],
        notification=notification,
        notifier=capacity,
    )
    placed = enter_member(
        koseki=new,
        source=person,
        family_name=family_name,
        family_name_kana=family_kana,
        is_head=True,
        spouse_role=person.spouse_role,
        spouse_key=person.spouse_key,
    )
    add_entry(
        koseki=new,
        member=placed,
        kind=EntryKind.SURNAME_CHANGE,
        event_date=on,
        fields=[
            ["氏変更日", wareki(on)],
            ["氏変更の事由", reason],
            ["従前戸籍", koseki_label(old)],
            ["従前の記録 氏", person.family_name],
        ],
        notification=notification,
        notifier=capacity,
    )
    if person.spouse_key is not None:
        Member.objects.filter(pk=person.pk).update(spouse_key=None)  # the link lives on in the new register
    return new

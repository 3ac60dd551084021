"""氏名の振り仮名 (令和5年法律第48号, in force 2025-05-26; docs/domain/koseki.md).

* 通知: the 本籍地 mails each person the planned furigana (record_planned_furigana, status 通知済).
* 氏/名の振り仮名の届 (record_furigana, status 届出). Who files: 氏 — the 筆頭者; if they have left the koseki,
  the spouse; if the spouse has also left, a child. 名 — the person named; from 15 to 17 the person or the
  legal representative; under 15 the legal representative.
* 職権記載 (record_furigana_ex_officio, status 職権記載): from 2026-05-26 the town records the notified
  furigana of everyone who filed nothing, with the 管轄法務局's permission.

Furigana is katakana only, normalised with common.text.to_katakana. Every change appends a FuriganaRecord,
so the member's history shows each notice, 届出 and 職権記載 in order.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from common import audit
from common.dates import local_today
from koseki.errors import FuriganaNotEntitled, FuriganaNothingToRecord, FuriganaTooEarly, InvalidKosekiDate
from koseki.models import (
    EntryKind,
    FuriganaRecord,
    FuriganaStatus,
    Koseki,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services.common import (
    FURIGANA_EX_OFFICIO_FROM,
    FURIGANA_LAW_IN_FORCE,
    add_entry,
    age_on,
    audit_notification,
    bump,
    check_dates,
    ensure_open,
    fresh_current_member,
    lock_members,
    lock_registers,
    new_notification,
)
from koseki.services.text import katakana, refresh_search_text, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.family_name_furigana": "戸籍: 氏の振り仮名の届",
    "koseki.given_name_furigana": "戸籍: 名の振り仮名の届",
    "koseki.furigana_notice": "戸籍: 振り仮名の通知(通知済)",
    "koseki.furigana_ex_officio": "戸籍: 振り仮名の職権記載",
}

HEAD, SPOUSE, CHILD, SELF, REPRESENTATIVE = "筆頭者", "配偶者", "子", "本人", "法定代理人"
# Words a clerk types in 届出人の資格 for a legal representative of a minor (民法第818条・第838条).
_REPRESENTATIVE_WORDS = {REPRESENTATIVE, "親権者", "父", "母", "未成年後見人", "養父", "養母"}
_SPOUSE_WORDS = {SPOUSE, "夫", "妻"}


def _family_name_filer(members: list[Member]) -> str:
    """Who files the 氏の振り仮名の届 for this koseki (改正法附則: 筆頭者 → 配偶者 → 子)."""
    if any(m.is_head and not m.is_removed for m in members):
        return HEAD
    if any(m.spouse_role and not m.is_head and not m.is_removed for m in members):
        return SPOUSE
    return CHILD


def _capacity_of(member: Member, capacity: str) -> str:
    word = "".join(capacity.split())
    if word == SELF:
        return HEAD if member.is_head else SPOUSE if member.spouse_role else CHILD
    if word in _SPOUSE_WORDS:
        return SPOUSE
    if word in {"子", "長男", "長女", "二男", "二女", "三男", "三女"}:
        return CHILD
    return word


def _given_name_filers(member: Member, on: date) -> set[str]:
    age = age_on(member.birth_date, on)
    if age >= 18:
        return {SELF}
    if age >= 15:
        return {SELF} | _REPRESENTATIVE_WORDS
    return set(_REPRESENTATIVE_WORDS)


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_furigana(
    *,
    actor: Person | None,
    member: Member,
    family_name_kana: str = "",
    given_name_kana: str = "",
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
) -> Notification:
    """氏の振り仮名の届 and/or 名の振り仮名の届 for ``member``. The 氏 applies to everyone in the koseki who bears it.

    One Notification: kind 氏の振り仮名の届 when the 氏 is filed (the 名 then rides on the same 届書), else
    名の振り仮名の届."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    if notified_on < FURIGANA_LAW_IN_FORCE:
        raise FuriganaTooEarly("振り仮名の届は令和7年5月26日からです(令和5年法律第48号)。")
    family_kana = katakana(family_name_kana, label="氏の振り仮名")
    given_kana = katakana(given_name_kana, label="名の振り仮名")
    if not family_kana and not given_kana:
        raise FuriganaNothingToRecord("届け出る氏または名の振り仮名を入力してください。")
    with transaction.atomic():
        # Lock order everywhere: members (by pk), then registers (by pk).
        locked = lock_members(Member.objects.filter(koseki_id=member.koseki_id).values_list("pk", flat=True))
        all_members = list(locked.values())
        person = fresh_current_member(member, locked)
        koseki = lock_registers([person.koseki_id])[person.koseki_id]
        ensure_open(koseki)
        capacity = "".join(notifier_capacity.split())
        if family_kana:
            entitled = _family_name_filer(all_members)
            if _capacity_of(person, capacity) != entitled:
                raise FuriganaNotEntitled(
                    f"氏の振り仮名の届は{entitled}がします(令和5年法律第48号附則、筆頭者→配偶者→子の順)。"
                    f"届出人の資格「{notifier_capacity}」では届出できません。",
                    details={"entitled": entitled, "capacity": notifier_capacity},
                )
        if given_kana:
            allowed = _given_name_filers(person, notified_on)
            if capacity not in allowed:
                age = age_on(person.birth_date, notified_on)
                who = "本人" if age >= 18 else "本人または法定代理人" if age >= 15 else "法定代理人"
                raise FuriganaNotEntitled(
                    f"{person.full_name}さん({age}歳)の名の振り仮名の届は{who}がします(令和5年法律第48号附則)。"
                    f"届出人の資格「{notifier_capacity}」では届出できません。",
                    details={"allowed": sorted(allowed), "capacity": notifier_capacity},
                )
        kind = NotificationKind.FAMILY_NAME_FURIGANA if family_kana else NotificationKind.GIVEN_NAME_FURIGANA
        notification = new_notification(
            actor=actor,
            kind=kind,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[koseki],
            details={"member_id": person.pk, "family_name_kana": family_kana, "given_name_kana": given_kana},
        )
        affected = [m for m in all_members if not m.is_removed] if family_kana else [person]
        for m in affected:
            fields = [["届出日", wareki(notified_on)]]
            if family_kana:
                m.family_name_kana = family_kana
                fields.append(["氏の振り仮名", family_kana])
            if given_kana and m.pk == person.pk:
                m.given_name_kana = given_kana
                fields.append(["名の振り仮名", given_kana])
            fields.append(["届出人", notifier_capacity])
            m.furigana_status = FuriganaStatus.FILED
            m.version += 1
            m.save(update_fields=["family_name_kana", "given_name_kana", "furigana_status", "version"])
            FuriganaRecord.objects.create(
                member=m,
                family_name_kana=m.family_name_kana,
                given_name_kana=m.given_name_kana,
                status=FuriganaStatus.FILED,
                effective_on=notified_on,
                notifier=notifier_capacity,
                notification=notification,
            )
            add_entry(
                koseki=koseki,
                member=m,
                kind=EntryKind.FURIGANA,
                event_date=notified_on,
                fields=fields,
                notification=notification,
                notifier=notifier_capacity,
            )
        if family_kana:
            koseki.family_name_kana = family_kana
            Koseki.objects.filter(pk=koseki.pk).update(family_name_kana=family_kana)
        refresh_search_text(koseki)
        bump(koseki)
        action = "koseki.family_name_furigana" if family_kana else "koseki.given_name_furigana"
        audit_notification(actor=actor, action=action, notification=notification)
    return notification


def record_planned_furigana(
    *,
    actor: Person | None,
    member: Member,
    family_name_kana: str,
    given_name_kana: str,
    notice_on: date,
) -> FuriganaRecord:
    """The 本籍地's notice of the planned furigana (通知済). It is not yet a 記載 in the register: no entry and no
    Notification, only the member's status and history — the 職権記載 later records exactly this."""
    if notice_on < FURIGANA_LAW_IN_FORCE:
        raise FuriganaTooEarly("振り仮名の通知は令和7年5月26日からです(令和5年法律第48号)。")
    if notice_on > local_today():
        raise InvalidKosekiDate("通知日に未来の日付は指定できません。")
    family_kana = katakana(family_name_kana, required=True, label="氏の振り仮名")
    given_kana = katakana(given_name_kana, required=True, label="名の振り仮名")
    with transaction.atomic():
        person = fresh_current_member(member, lock_members([member.pk]))
        koseki = lock_registers([person.koseki_id])[person.koseki_id]
        ensure_open(koseki)
        if person.furigana_status in (FuriganaStatus.FILED, FuriganaStatus.EX_OFFICIO):
            raise FuriganaNothingToRecord(
                f"{person.full_name}さんの振り仮名は既に記載されています({person.get_furigana_status_display()})。"
            )
        person.family_name_kana, person.given_name_kana = family_kana, given_kana
        person.furigana_status = FuriganaStatus.NOTIFIED
        person.version += 1
        person.save(update_fields=["family_name_kana", "given_name_kana", "furigana_status", "version"])
        record = FuriganaRecord.objects.create(
            member=person,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            status=FuriganaStatus.NOTIFIED,
            effective_on=notice_on,
        )
        refresh_search_text(koseki)
        bump(koseki)
        audit.record(
            actor=actor,
            action="koseki.furigana_notice",
            obj=person,
            purpose="振り仮名の通知",
            personal_data=True,
            details={"koseki": koseki.number, "notice_on": str(notice_on)},
        )
    return record


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_furigana_ex_officio(*, actor: Person | None, koseki: Koseki, on: date) -> Notification:
    """職権記載 (令和5年法律第48号附則): from 2026-05-26 the notified furigana of every current member who filed
    nothing is recorded by the town, with the 管轄法務局's permission (the clerk confirms it before calling)."""
    if on < FURIGANA_EX_OFFICIO_FROM:
        raise FuriganaTooEarly("振り仮名の職権記載は令和8年5月26日からです(令和5年法律第48号附則)。")
    if on > local_today():
        raise InvalidKosekiDate("記載日に未来の日付は指定できません。")
    with transaction.atomic():
        members = list(
            Member.objects.select_for_update()
            .filter(koseki_id=koseki.pk, is_removed=False, furigana_status=FuriganaStatus.NOTIFIED)
            .order_by("pk")
        )
        register = lock_registers([koseki.pk])[koseki.pk]
        ensure_open(register)
        if not members:
            raise FuriganaNothingToRecord("通知済で届出のない方がいないため、職権で記載する振り仮名はありません。")
        notices = {
            r.member_id: r
            for r in FuriganaRecord.objects.filter(member__in=members, status=FuriganaStatus.NOTIFIED).order_by(
                "recorded_at", "id"
            )
        }  # the latest notice of each member wins
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.FURIGANA_EX_OFFICIO,
            event_date=on,
            notified_on=on,
            notifier_name="職権",
            notifier_capacity="職権",
            kosekis=[register],
            details={"members": [m.pk for m in members]},
        )
        for m in sorted(members, key=lambda x: x.position):
            notice = notices.get(m.pk)
            family_kana = notice.family_name_kana if notice else m.family_name_kana
            given_kana = notice.given_name_kana if notice else m.given_name_kana
            m.family_name_kana, m.given_name_kana = family_kana, given_kana
            m.furigana_status = FuriganaStatus.EX_OFFICIO
            m.version += 1
            m.save(update_fields=["family_name_kana", "given_name_kana", "furigana_status", "version"])
            FuriganaRecord.objects.create(
                member=m,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                status=FuriganaStatus.EX_OFFICIO,
                effective_on=on,
                notifier="職権",
                notification=notification,
            )
            add_entry(
                koseki=register,
                member=m,
                kind=EntryKind.FURIGANA,
                event_date=on,
                fields=[
                    ["記録日", wareki(on)],
                    ["氏の振り仮名", family_kana],
                    ["名の振り仮名", given_kana],
                    ["記録事由", "職権(令和5年法律第48号附則)"],
                ],
                notification=notification,
                notifier="職権",
            )
            if m.is_head and not register.family_name_kana:
                register.family_name_kana = family_kana
                Koseki.objects.filter(pk=register.pk).update(family_name_kana=family_kana)
        refresh_search_text(register)
        bump(register)
        audit_notification(actor=actor, action="koseki.furigana_ex_officio", notification=notification)
    return notification

"""身分の届出 (戸籍法 第16条〜第21条, docs/domain/koseki.md): 養子縁組.

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import transaction

from koseki.errors import (
    AdopteeOlder,
    AdopterUnderAge,
    AdoptionCourtPermissionRequired,
    AdoptionInvalid,
    AdoptionProxyNotAllowed,
    AdoptionProxyRequired,
    AdoptionSpouseRequired,
)
from koseki.models import CompiledReason, EntryKind, Koseki, Member, Notification, NotificationKind
from koseki.services import kinship
from koseki.services.common import (
    ADOPTER_AGE,
    ADULT_AGE,
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
    lock_members,
    lock_registers,
    new_notification,
    remove_member,
)
from koseki.services.non_acceptance import ensure_accepted
from koseki.services.text import koseki_label, plain_name, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.adoption": "戸籍: 養子縁組届",
}


# --- 養子縁組 ------------------------------------------------------------------------------------


def _check_adopters(child: Member, father: Member | None, mother: Member | None, *, adopted_on: date) -> None:
    """民法 第792条〜第796条: adopters of age, not younger than the adoptee, a couple adopting a minor together."""
    adopters = [a for a in (father, mother) if a is not None]
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


PROXY_AGE = 15  # 民法第797条: under 15 the 法定代理人 consents to the adoption (代諾)


def _check_minor_adoption(
    *, child: Member, adopters: list[Member], adopted_on: date, court_permission_on: date | None, consenting_proxy: str
) -> str:
    """民法第797条・第798条 (docs/domain/koseki.md, 未成年者の養子縁組); returns the 代諾者 as printed."""
    age = age_on(child.birth_date, adopted_on)
    proxy = " ".join(consenting_proxy.split())
    if age < PROXY_AGE and not proxy:
        raise AdoptionProxyRequired(details={"member_id": child.pk, "age": age})
    if age >= PROXY_AGE and proxy:
        raise AdoptionProxyNotAllowed(details={"member_id": child.pk, "age": age})
    if court_permission_on is not None and court_permission_on > adopted_on:
        raise AdoptionInvalid("家庭裁判所の許可の日が縁組日より後になっています。", code="adoption_permission_date")
    if age < ADULT_AGE and court_permission_on is None:
        ascendants = kinship.ancestors(child.person_key)
        own_line = {a.person_key for a in adopters} | {a.spouse_key for a in adopters if a.spouse_key}
        if not own_line & ascendants.keys():
            raise AdoptionCourtPermissionRequired(details={"member_id": child.pk, "age": age})
    return proxy


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
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
    court_permission_on: date | None = None,
    consenting_proxy: str = "",
    appeared_in_person: bool = False,
) -> Notification:
    """養子縁組届 (戸籍法第66条). A minor adoptee needs the family court's permission (民法第798条,
    ``court_permission_on``) unless a 直系卑属 of the adopter or the adopter's spouse, and under 15 the 代諾者
    consents and files for them (民法第797条, ``consenting_proxy``, printed as 【代諾者】).

    The adoptee takes the adopters' surname (民法第810条) and enters their koseki
    (戸籍法第18条第3項) — unless married with the marital surname (民法第810条ただし書) or heading a koseki with
    a spouse, in which case only the 養親 are recorded. An adopter who is neither 筆頭者 nor spouse gets a new
    koseki first (第17条, which covers 養子 too)."""
    check_dates(event_date=adopted_on, notified_on=notified_on, event_label="縁組日")
    _check_named_adopters(adoptive_father, adoptive_mother)
    with transaction.atomic():
        child, father, mother, proxy = _lock_parties(
            adoptee,
            adoptive_father,
            adoptive_mother,
            adopted_on=adopted_on,
            court_permission_on=court_permission_on,
            consenting_proxy=consenting_proxy,
            appeared_in_person=appeared_in_person,
        )
        adopters = [a for a in (father, mother) if a is not None]
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
                **_parties_details(child, father, mother, adopted_on=adopted_on),
                "moves": moves,
                "article_17_new_koseki": needs_new,
                "court_permission_on": str(court_permission_on) if court_permission_on else None,
                "consenting_proxy": proxy,
            },
        )
        changed = list(registers.values())
        names, adoptee_fields = _adoptee_fields(father, mother, adopted_on=adopted_on, proxy=proxy)
        target = registers[principal.koseki_id]
        if needs_new:
            target, new_principal = _compile_for_adopter(
                principal, old=target, on=notified_on, notification=notification
            )
            changed.append(target)
            principal = new_principal
            if father is not None and father.pk == adopters[0].pk:
                father = new_principal
            elif mother is not None:
                mother = new_principal
        adoptive = _record_adopters(
            child, father, mother, names=names, target=target, registers=registers, notification=notification
        )
        _place_adoptee(
            child,
            source=source,
            target=target if moves else None,
            adoptive=adoptive,
            fields=adoptee_fields,
            family_kana=target.family_name_kana or principal.family_name_kana,
            adopted_on=adopted_on,
            notification=notification,
        )
        finish_notification(actor=actor, action="koseki.adoption", notification=notification, changed=changed)
    return notification


def _check_named_adopters(father: Member | None, mother: Member | None) -> None:
    if father is None and mother is None:
        raise AdoptionInvalid("養父または養母を指定してください。")
    if (father is not None and father.sex != "1") or (mother is not None and mother.sex != "2"):
        raise AdoptionInvalid("養父・養母の男女の別が届書と一致しません。")


def _parties_details(
    child: Member, father: Member | None, mother: Member | None, *, adopted_on: date
) -> dict[str, object]:
    adopters = [a for a in (father, mother) if a is not None]
    return {
        "adoptee_id": child.pk,
        "adoptive_father_id": father.pk if father is not None else None,
        "adoptive_mother_id": mother.pk if mother is not None else None,
        # Adopting a minor needs the family court's permission unless the child is a 直系卑属 of the
        # adopter or spouse (民法第798条): the clerk checks the 許可審判書; recorded here.
        "minor": age_on(child.birth_date, adopted_on) < ADULT_AGE,
        "adoptee_key": str(child.person_key),
        "adopter_keys": [str(a.person_key) for a in adopters],
    }


def _adoptee_fields(
    father: Member | None, mother: Member | None, *, adopted_on: date, proxy: str
) -> tuple[dict[str, str], list[list[str]]]:
    """The adopters' names, and the 記録事項 of the adoptee's 縁組 entry (with the 代諾者 who consented)."""
    names = {
        "father": plain_name(father.family_name, father.given_name) if father is not None else "",
        "mother": plain_name(mother.family_name, mother.given_name) if mother is not None else "",
    }
    fields = [["縁組日", wareki(adopted_on)], ["養父氏名", names["father"]], ["養母氏名", names["mother"]]]
    if proxy:
        fields.append(["代諾者", proxy])
    return names, fields


def _lock_parties(
    adoptee: Member,
    adoptive_father: Member | None,
    adoptive_mother: Member | None,
    *,
    adopted_on: date,
    court_permission_on: date | None,
    consenting_proxy: str,
    appeared_in_person: bool,
) -> tuple[Member, Member | None, Member | None, str]:
    """The parties as locked rows, checked (民法 第792条〜第798条, 戸籍法 第27条の2); returns the 代諾者 too."""
    locked = lock_members([adoptee.pk, *(a.pk for a in (adoptive_father, adoptive_mother) if a is not None)])
    child = fresh_current_member(adoptee, locked, label="養子")
    father = fresh_current_member(adoptive_father, locked, label="養父") if adoptive_father is not None else None
    mother = fresh_current_member(adoptive_mother, locked, label="養母") if adoptive_mother is not None else None
    adopters = [a for a in (father, mother) if a is not None]
    if any(a.person_key == child.person_key for a in adopters):
        raise AdoptionInvalid("養親と養子に同じ方が指定されています。")
    ensure_accepted(kind=NotificationKind.ADOPTION, parties=[child, *adopters], appeared_in_person=appeared_in_person)
    _check_adopters(child, father, mother, adopted_on=adopted_on)
    proxy = _check_minor_adoption(
        child=child,
        adopters=adopters,
        adopted_on=adopted_on,
        court_permission_on=court_permission_on,
        consenting_proxy=consenting_proxy,
    )
    return child, father, mother, proxy


def _record_adopters(
    child: Member,
    father: Member | None,
    mother: Member | None,
    *,
    names: dict[str, str],
    target: Koseki,
    registers: dict[int, Koseki],
    notification: Notification,
) -> dict[str, object]:
    """The 養親's 身分事項, and the adoptive items the adoptee's row takes (養父・養母・続柄)."""
    adopted_on = notification.event_date
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
            notifier=notification.notifier_capacity,
        )
    return {
        "adoptive_father_name": names["father"],
        "adoptive_mother_name": names["mother"],
        "adoptive_father_key": father.person_key if father is not None else None,
        "adoptive_mother_key": mother.person_key if mother is not None else None,
        "adoptive_relationship": "養子" if child.sex == "1" else "養女",
    }


def _compile_for_adopter(
    principal: Member, *, old: Koseki, on: date, notification: Notification
) -> tuple[Koseki, Member]:
    """戸籍法 第17条 (which covers 養子 too): an adopter who is neither 筆頭者 nor spouse heads a new register."""
    target = compile_koseki(
        honseki=old.honseki,
        family_name=principal.family_name,
        head_given_name=principal.given_name,
        family_name_kana=principal.family_name_kana,
        compiled_on=on,
        reason=CompiledReason.ADOPTION,
    )
    compiled_entry(target, on=on, notification=notification)
    remove_member(principal, on=on, reason="養子縁組")
    add_entry(
        koseki=old,
        member=principal,
        kind=EntryKind.REMOVAL,
        event_date=on,
        fields=[["届出日", wareki(on)], ["除籍事由", "養子縁組届出"], ["新本籍", target.honseki]],
        notification=notification,
    )
    moved = enter_member(koseki=target, source=principal, is_head=True)
    add_entry(
        koseki=target,
        member=moved,
        kind=EntryKind.ENTRY,
        event_date=on,
        fields=[["届出日", wareki(on)], ["入籍事由", "養子縁組届出"], ["従前戸籍", koseki_label(old)]],
        notification=notification,
    )
    return target, moved


def _place_adoptee(
    child: Member,
    *,
    source: Koseki,
    target: Koseki | None,
    adoptive: Mapping[str, object],
    fields: list[list[str]],
    family_kana: str,
    adopted_on: date,
    notification: Notification,
) -> None:
    """The adoptee enters the adopters' register under their surname (``target``), or stays where they are with
    the 養親 recorded (民法 第810条ただし書)."""
    capacity = notification.notifier_capacity
    on = notification.notified_on
    for name, value in adoptive.items():
        setattr(child, name, value)
    if target is None:
        child.save(update_fields=list(adoptive))
        add_entry(
            koseki=source,
            member=child,
            kind=EntryKind.ADOPTION,
            event_date=adopted_on,
            fields=fields,
            notification=notification,
            notifier=capacity,
        )
        return
    remove_member(child, on=on, reason="養子縁組")
    add_entry(
        koseki=source,
        member=child,
        kind=EntryKind.ADOPTION,
        event_date=adopted_on,
        fields=[*fields, ["入籍戸籍", koseki_label(target)]],
        notification=notification,
        notifier=capacity,
    )
    placed = enter_member(koseki=target, source=child, family_name=target.family_name, family_name_kana=family_kana)
    add_entry(
        koseki=target,
        member=placed,
        kind=EntryKind.ADOPTION,
        event_date=adopted_on,
        fields=[*fields, ["従前戸籍", koseki_label(source)]],
        notification=notification,
        notifier=capacity,
    )
    close_if_empty(source, on=on, reason="養子縁組", notification=notification)

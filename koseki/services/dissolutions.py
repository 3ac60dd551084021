"""養子離縁届 (戸籍法 第70条〜第73条, 民法 第811条〜第817条; docs/domain/koseki.md, 離縁).

The adoptive relation ends: the adoptee's 養父/養母 are no longer in force, both sides' 身分事項 record the 離縁,
and an adoptee who took the adopters' surname returns to the former one (民法 第816条) and to the former register
(戸籍法 第19条第1項) — or a new one when that register is closed, lies outside this town, or on request.
A 離縁 by judgment (裁判離縁) is filed within 10 days of the judgment becoming final (第73条, 第63条). The
adoptive relation stays on the 受付帳, so 民法 第736条 still bars a marriage after it (koseki.services.kinship).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from koseki.errors import DissolutionInvalid, HonsekiRequired
from koseki.models import CompiledReason, EntryKind, Koseki, Member, Notification, NotificationKind
from koseki.services.common import (
    add_entry,
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

AUDIT_LABELS = {"koseki.dissolution": "戸籍: 養子離縁届"}

_ADOPTIVE_FIELDS = (
    "adoptive_father_name",
    "adoptive_mother_name",
    "adoptive_father_key",
    "adoptive_mother_key",
    "adoptive_relationship",
)


def _adopters(child: Member) -> list[Member]:
    keys = [k for k in (child.adoptive_father_key, child.adoptive_mother_key) if k is not None]
    rows = Member.objects.filter(person_key__in=keys).order_by("is_removed", "-pk")
    return list({m.person_key: m for m in reversed(list(rows))}.values())


def _former_appearance(child: Member) -> Member | None:
    """The register the adoptee left by the adoption (復籍先), if it is in this town."""
    return (
        Member.objects.select_related("koseki")
        .filter(person_key=child.person_key, is_removed=True, removed_reason="養子縁組")
        .exclude(koseki_id=child.koseki_id)
        .order_by("-removed_on", "-pk")
        .first()
    )


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_dissolution(
    *,
    actor: Person | None,
    adoptee: Member,
    dissolved_on: date,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str = "養親及び養子",
    judgment_on: date | None = None,
    new_koseki: bool = False,
    new_honseki: str = "",
    appeared_in_person: bool = False,
) -> Notification:
    """養子離縁届 with every adoptive parent in force (民法 第811条; a married couple of adopters together for a
    minor, 第811条の2). A party's 不受理申出 refuses a 協議離縁 unless the parties filed in person (第27条の2)."""
    event_on = judgment_on or dissolved_on
    check_dates(event_date=event_on, notified_on=notified_on, event_label="離縁日")
    with transaction.atomic():
        child, adopters = _lock_parties(adoptee, by_judgment=judgment_on is not None, appeared=appeared_in_person)
        principal = next((a for a in adopters if a.koseki_id == child.koseki_id and not a.is_removed), None)
        # 民法第816条: an adoptee who took the adopters' surname by entering their register returns to the former.
        reverts = principal is not None and not child.spouse_role and not child.is_head
        former = _former_appearance(child) if reverts else None
        registers = lock_registers(
            [child.koseki_id, *(a.koseki_id for a in adopters), *([former.koseki_id] if former else [])]
        )
        source = registers[child.koseki_id]
        ensure_open(source)
        back = reverts and former is not None and not new_koseki and not registers[former.koseki_id].is_closed
        honseki = " ".join(new_honseki.split()) or (former.koseki.honseki if former is not None else "")
        if reverts and not back and not honseki:
            raise HonsekiRequired("復氏する養子の新しい本籍を入力してください(戸籍法第19条第1項ただし書)。")
        names = {"father": child.adoptive_father_name, "mother": child.adoptive_mother_name}
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.DISSOLUTION,
            event_date=event_on,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=list(registers.values()),
            details={
                "adoptee_id": child.pk,
                "adoptee_key": str(child.person_key),
                "adopter_keys": [str(a.person_key) for a in adopters],
                "judgment_on": str(judgment_on) if judgment_on else None,
                "destination": ("former" if back else "new") if reverts else "stays",
            },
            period_start=judgment_on,
        )
        dated = ["離縁の裁判確定日", wareki(judgment_on)] if judgment_on else ["離縁日", wareki(dissolved_on)]
        child_fields = [dated, ["養父氏名", names["father"]], ["養母氏名", names["mother"]]]
        _dissolve(
            child,
            adopters,
            registers=registers,
            dated=dated,
            event_on=event_on,
            notification=notification,
            notifier=notifier_capacity,
        )
        changed = list(registers.values())
        if not reverts:
            add_entry(
                koseki=source,
                member=child,
                kind=EntryKind.DISSOLUTION,
                event_date=event_on,
                fields=child_fields,
                notification=notification,
                notifier=notifier_capacity,
            )
        else:
            changed.append(
                _return(
                    child=child,
                    source=source,
                    former=former,
                    back=back,
                    honseki=honseki,
                    fields=child_fields,
                    on=notified_on,
                    event_on=event_on,
                    notification=notification,
                    capacity=notifier_capacity,
                )
            )
        finish_notification(actor=actor, action="koseki.dissolution", notification=notification, changed=changed)
    return notification


def _lock_parties(adoptee: Member, *, by_judgment: bool, appeared: bool) -> tuple[Member, list[Member]]:
    """The adoptee locked and re-read, with the adoptive parents in force (locked too); a 協議離縁 is refused
    while a party's 不受理申出 stands and the parties did not appear in person (戸籍法 第27条の2)."""
    child = fresh_current_member(adoptee, lock_members([adoptee.pk]), label="養子")
    if child.adoptive_father_key is None and child.adoptive_mother_key is None:
        raise DissolutionInvalid("この方には縁組中の養親が記載されていません。", code="dissolution_not_adopted")
    adopters = _adopters(child)
    lock_members(a.pk for a in adopters)
    if not by_judgment:
        ensure_accepted(kind=NotificationKind.DISSOLUTION, parties=[child, *adopters], appeared_in_person=appeared)
    return child, adopters


def _dissolve(
    child: Member,
    adopters: list[Member],
    *,
    registers: dict[int, Koseki],
    dated: list[str],
    event_on: date,
    notification: Notification,
    notifier: str,
) -> None:
    """The 離縁 entry of each adoptive parent, and the adoptee no longer names them."""
    for adopter in adopters:
        add_entry(
            koseki=registers[adopter.koseki_id],
            member=adopter,
            kind=EntryKind.DISSOLUTION,
            event_date=event_on,
            fields=[dated, ["養子氏名", plain_name(child.family_name, child.given_name)]],
            notification=notification,
            notifier=notifier,
        )
    for name in _ADOPTIVE_FIELDS:
        setattr(child, name, None if name.endswith("_key") else "")
    child.version += 1
    child.save(update_fields=[*_ADOPTIVE_FIELDS, "version"])


def _return(
    *,
    child: Member,
    source: Koseki,
    former: Member | None,
    back: bool,
    honseki: str,
    fields: list[list[str]],
    on: date,
    event_on: date,
    notification: Notification,
    capacity: str,
) -> Koseki:
    """復籍 (back to the former register, where the adoptee is again what they were) or a new register."""
    surname = former.family_name if former is not None else child.family_name
    kana = former.family_name_kana if former is not None else child.family_name_kana
    if back:
        assert former is not None
        destination = former.koseki
    else:
        destination = compile_koseki(
            honseki=honseki,
            family_name=surname,
            head_given_name=child.given_name,
            family_name_kana=kana,
            compiled_on=on,
            reason=CompiledReason.DISSOLUTION,
        )
        compiled_entry(destination, on=on, notification=notification)
    remove_member(child, on=on, reason="養子離縁")
    where = ["入籍戸籍", koseki_label(destination)] if back else ["新本籍", destination.honseki]
    add_entry(
        koseki=source,
        member=child,
        kind=EntryKind.DISSOLUTION,
        event_date=event_on,
        fields=[*fields, where],
        notification=notification,
        notifier=capacity,
    )
    returned = enter_member(
        koseki=destination,
        source=child,
        family_name=surname,
        family_name_kana=kana,
        is_head=former.is_head if back and former is not None else True,
    )
    add_entry(
        koseki=destination,
        member=returned,
        kind=EntryKind.DISSOLUTION,
        event_date=event_on,
        fields=[*fields, ["従前戸籍", koseki_label(source)]],
        notification=notification,
        notifier=capacity,
    )
    close_if_empty(source, on=on, reason="養子離縁", notification=notification)
    return destination

"""認知届 (戸籍法 第60条〜第65条, 民法 第779条〜第787条; docs/domain/koseki.md, 認知).

A father acknowledges a child the register records without a father. The child keeps its surname and register
(a change of surname is the 入籍届, 民法 第791条); both the child's and the father's 身分事項 record the 認知.
An adult child must consent (民法 第782条). A 認知 by judgment (裁判認知) is filed within 10 days of the judgment
becoming final (第63条); a 任意認知 takes effect by the 届出 and has no period.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from koseki.errors import AcknowledgmentInvalid
from koseki.models import EntryKind, Member, Notification, NotificationKind
from koseki.services.common import (
    ADULT_AGE,
    OutsidePerson,
    add_entry,
    age_on,
    check_dates,
    ensure_open,
    finish_notification,
    fresh_current_member,
    lock_members,
    lock_registers,
    new_notification,
)
from koseki.services.non_acceptance import ensure_accepted
from koseki.services.text import koseki_label, plain_name, wareki
from tenants.models import Person

AUDIT_LABELS = {"koseki.acknowledgment": "戸籍: 認知届"}


def _check(child: Member, father: Member | OutsidePerson, *, on: date, child_consent: bool) -> None:
    if child.father_key is not None or child.father_name:
        raise AcknowledgmentInvalid(
            "この子には既に父が記載されています。父の記載のある子(嫡出推定を受ける子を含む)は認知できません"
            "(民法第779条・第772条)。",
            code="acknowledgment_father_recorded",
        )
    if father.sex != "1":
        raise AcknowledgmentInvalid("認知をする者(父)の男女の別が正しくありません。", code="acknowledgment_not_father")
    if isinstance(father, Member) and father.person_key == child.person_key:
        raise AcknowledgmentInvalid("認知をする者と子に同じ方が指定されています。", code="acknowledgment_same_person")
    if father.birth_date >= child.birth_date:
        raise AcknowledgmentInvalid("認知をする者が子より年少です。", code="acknowledgment_father_younger")
    if age_on(child.birth_date, on) >= ADULT_AGE and not child_consent:
        raise AcknowledgmentInvalid(
            "成年の子を認知するには、その子の承諾が必要です(民法第782条)。承諾書の添付を確認してください。",
            code="acknowledgment_consent_required",
        )


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_acknowledgment(
    *,
    actor: Person | None,
    child: Member,
    father: Member | OutsidePerson,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str = "父",
    judgment_on: date | None = None,
    child_consent: bool = False,
    appeared_in_person: bool = False,
) -> Notification:
    """認知届. ``judgment_on`` is the day a 認知の裁判 became final (裁判認知, filed by the one who sued); without
    it the father acknowledges by the 届出 (任意認知), which a 不受理申出 of his refuses (戸籍法 第27条の2)."""
    event_on = judgment_on or notified_on
    check_dates(event_date=event_on, notified_on=notified_on, event_label="裁判確定日")
    with transaction.atomic():
        locked = lock_members([child.pk, *([father.pk] if isinstance(father, Member) else [])])
        person = fresh_current_member(child, locked, label="子")
        acknowledger = fresh_current_member(father, locked, label="父") if isinstance(father, Member) else father
        _check(person, acknowledger, on=event_on, child_consent=child_consent)
        if judgment_on is None and isinstance(acknowledger, Member):
            ensure_accepted(
                kind=NotificationKind.ACKNOWLEDGMENT, parties=[acknowledger], appeared_in_person=appeared_in_person
            )
        ids = [person.koseki_id, *([acknowledger.koseki_id] if isinstance(acknowledger, Member) else [])]
        registers = lock_registers(ids)
        for koseki in registers.values():
            ensure_open(koseki)
        child_register = registers[person.koseki_id]
        father_name = plain_name(acknowledger.family_name, acknowledger.given_name)
        if isinstance(acknowledger, Member):
            father_register = koseki_label(registers[acknowledger.koseki_id])
        else:
            father_register = f"{acknowledger.honseki}\u3000{acknowledger.head_name}".strip()
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.ACKNOWLEDGMENT,
            event_date=event_on,
            notified_on=notified_on,
            notifier_name=notifier_name or father_name,
            notifier_capacity=notifier_capacity,
            kosekis=list(registers.values()),
            details={
                "child_id": person.pk,
                "father_id": acknowledger.pk if isinstance(acknowledger, Member) else None,
                "father_name": father_name,
                "judgment_on": str(judgment_on) if judgment_on else None,
                "child_consent": child_consent,
            },
            # 裁判認知: 10 days from the judgment (第63条); a 任意認知 has no period (koseki.deadlines).
            period_start=judgment_on,
        )
        dated = ["認知の裁判確定日", wareki(judgment_on)] if judgment_on else ["認知日", wareki(notified_on)]
        add_entry(
            koseki=child_register,
            member=person,
            kind=EntryKind.ACKNOWLEDGMENT,
            event_date=event_on,
            fields=[dated, ["認知者氏名", father_name], ["認知者の戸籍", father_register]],
            notification=notification,
            notifier=notifier_capacity,
        )
        if isinstance(acknowledger, Member):
            add_entry(
                koseki=registers[acknowledger.koseki_id],
                member=acknowledger,
                kind=EntryKind.ACKNOWLEDGMENT,
                event_date=event_on,
                fields=[
                    dated,
                    ["認知した子の氏名", plain_name(person.family_name, person.given_name)],
                    ["認知した子の戸籍", koseki_label(child_register)],
                ],
                notification=notification,
                notifier=notifier_capacity,
            )
        person.father_name = father_name
        person.father_key = acknowledger.person_key if isinstance(acknowledger, Member) else None
        person.version += 1
        person.save(update_fields=["father_name", "father_key", "version"])
        finish_notification(
            actor=actor, action="koseki.acknowledgment", notification=notification, changed=list(registers.values())
        )
    return notification

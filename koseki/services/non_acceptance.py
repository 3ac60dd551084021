"""不受理申出 (戸籍法 第27条の2第3項〜第5項; docs/domain/koseki.md, 不受理申出).

A person who fears that a 婚姻・離婚・縁組・離縁・認知 届 will be filed without their will asks the town not to
accept one. While the 申出 stands, such a 届 in which the person is a party is refused — unless the person came
to the counter and filed it themselves, identity confirmed (第27条の2第1項・第3項). The 申出 stays until the person
withdraws it (取下げ); both are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import transaction

from koseki.errors import KosekiValidationError, NonAcceptanceRefused
from koseki.models import Member, NonAcceptanceRequest, Notification, NotificationKind
from koseki.services.common import (
    audit_notification,
    check_dates,
    fresh_current_member,
    lock_members,
    lock_registers,
    new_notification,
)
from koseki.services.text import plain_name
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.non_acceptance": "戸籍: 不受理申出",
    "koseki.non_acceptance_withdrawn": "戸籍: 不受理申出の取下げ",
}

# The 届出 a 不受理申出 may cover (第27条の2第3項).
COVERED = (
    NotificationKind.MARRIAGE,
    NotificationKind.DIVORCE,
    NotificationKind.ADOPTION,
    NotificationKind.DISSOLUTION,
    NotificationKind.ACKNOWLEDGMENT,
)


def ensure_accepted(*, kind: str, parties: Iterable[Member], appeared_in_person: bool = False) -> None:
    """Refuse a 届出 of ``kind`` while a party has a 不受理申出 for it in force, unless the parties came in person.
    Runs inside the 届出's transaction; writes nothing."""
    if appeared_in_person:
        return
    keys = [m.person_key for m in parties]
    if not keys:
        return
    for request in NonAcceptanceRequest.objects.filter(person_key__in=keys, withdrawn_on__isnull=True):
        if kind in request.kinds:
            label = NotificationKind(kind).label
            raise NonAcceptanceRefused(
                f"当事者から{label}の不受理申出({request.filed_on:%Y年%m月%d日})がされているため、本人が窓口に出頭して"
                "届け出た場合を除き、受理できません(戸籍法第27条の2第3項)。",
                details={"request_id": request.pk, "kind": kind},
            )


def record_non_acceptance(
    *,
    actor: Person | None,
    member: Member,
    kinds: Sequence[str],
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "本人",
) -> NonAcceptanceRequest:
    """不受理申出 by the person (出頭, identity confirmed) for the kinds of 届出 named."""
    check_dates(event_date=notified_on, notified_on=notified_on)
    chosen = [k for k in COVERED if k in set(kinds)]
    if not chosen or set(kinds) - set(COVERED):
        raise KosekiValidationError(
            "不受理申出の対象は、婚姻・協議離婚・養子縁組・協議離縁・認知の届出から選んでください(戸籍法第27条の2第3項)。",
            code="non_acceptance_kinds",
        )
    with transaction.atomic():
        person = fresh_current_member(member, lock_members([member.pk]))
        register = lock_registers([person.koseki_id])[person.koseki_id]
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.NON_ACCEPTANCE,
            event_date=notified_on,
            notified_on=notified_on,
            notifier_name=notifier_name or plain_name(person.family_name, person.given_name),
            notifier_capacity=notifier_capacity,
            kosekis=[register],
            details={"member_id": person.pk, "kinds": chosen},
        )
        request = NonAcceptanceRequest.objects.create(
            person_key=person.person_key, member=person, kinds=chosen, filed_on=notified_on, notification=notification
        )
        audit_notification(actor=actor, action="koseki.non_acceptance", notification=notification)
    return request


def withdraw_non_acceptance(
    *, actor: Person | None, request: NonAcceptanceRequest, withdrawn_on: date, reason: str = "本人の取下げ"
) -> NonAcceptanceRequest:
    """取下げ by the person: the 申出 stays on record, no longer in force."""
    check_dates(event_date=withdrawn_on, notified_on=withdrawn_on)
    with transaction.atomic():
        locked = NonAcceptanceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.withdrawn_on is not None:
            raise KosekiValidationError("この不受理申出は既に取り下げられています。", code="non_acceptance_withdrawn")
        locked.withdrawn_on, locked.withdrawn_reason = withdrawn_on, " ".join(reason.split())[:200]
        locked.save(update_fields=["withdrawn_on", "withdrawn_reason"])
        notification = Notification.objects.get(pk=locked.notification_id)
        audit_notification(
            actor=actor,
            action="koseki.non_acceptance_withdrawn",
            notification=notification,
            details={"withdrawn_on": str(withdrawn_on)},
        )
    return locked


def requests_of(member: Member) -> list[NonAcceptanceRequest]:
    return list(NonAcceptanceRequest.objects.filter(person_key=member.person_key).order_by("-filed_on", "-pk"))

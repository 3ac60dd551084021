"""職権訂正 (戸籍法第24条第2項): a wrong entry is never edited. It stays, struck (消除) with the reason, and points
at the entry that replaces it (replaced_by); a 訂正 entry records when and why."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from common.dates import local_today
from koseki.errors import CorrectionFieldsInvalid, CorrectionReasonRequired, EntryAlreadyStruck, EntryNotFound
from koseki.models import Entry, EntryKind, Member, NotificationKind
from koseki.services.common import add_entry, audit_notification, bump, lock_members, lock_registers, new_notification
from koseki.services.text import wareki
from tenants.models import Person

AUDIT_LABELS = {"koseki.correction": "戸籍: 職権訂正"}


def _clean_fields(fields: list[list[str]]) -> list[list[str]]:
    cleaned: list[list[str]] = []
    for pair in fields:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CorrectionFieldsInvalid(details={"pair": str(pair)})
        label, value = (" ".join(str(part).split()) for part in pair)
        if not label or not value:
            raise CorrectionFieldsInvalid(details={"pair": [label, value]})
        cleaned.append([label, value])
    if not cleaned:
        raise CorrectionFieldsInvalid("訂正後の記録事項を1項目以上入力してください。")
    return cleaned


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def correct_entry(*, actor: Person | None, entry: Entry, reason: str, fields: list[list[str]] | None) -> Entry:
    """Strike ``entry`` with ``reason``; with ``fields``, write the corrected entry and link it. Returns the new
    entry, or the struck one when nothing replaces it (消除 only)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CorrectionReasonRequired()
    new_fields = _clean_fields(fields) if fields is not None else None
    today = local_today()
    with transaction.atomic():
        if entry.member_id is not None:
            lock_members([entry.member_id])
        koseki = lock_registers([entry.koseki_id]).get(entry.koseki_id)
        old = Entry.objects.select_for_update().filter(pk=entry.pk).first()
        if old is None or koseki is None:
            raise EntryNotFound()
        if old.is_struck:
            raise EntryAlreadyStruck(details={"entry_id": old.pk})
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.CORRECTION,
            event_date=today,
            notified_on=today,
            notifier_name="職権",
            notifier_capacity="職権",
            kosekis=[koseki],
            details={
                "entry_id": old.pk,
                "kind": old.kind,
                "reason": reason,
                "old_fields": old.fields,
                "new_fields": new_fields,
            },
        )
        replacement: Entry | None = None
        if new_fields is not None:
            replacement = Entry.objects.create(
                koseki=koseki,
                member_id=old.member_id,
                kind=old.kind,
                event_date=old.event_date,
                notified_on=old.notified_on,
                notifier=old.notifier,
                accepted_on=old.accepted_on,
                accepted_by=old.accepted_by,
                fields=new_fields,
                notification=old.notification,
            )
        old.is_struck, old.struck_at, old.struck_reason = True, timezone.now(), reason[:200]
        old.replaced_by = replacement
        old.save(update_fields=["is_struck", "struck_at", "struck_reason", "replaced_by"])
        member = Member.objects.filter(pk=old.member_id).first() if old.member_id is not None else None
        add_entry(
            koseki=koseki,
            member=member,
            kind=EntryKind.CORRECTION,
            event_date=today,
            fields=[
                ["訂正日", wareki(today)],
                ["訂正事項", old.get_kind_display()],
                ["訂正事由", reason],
                ["従前の記録", "、".join(f"【{label}】{value}" for label, value in old.fields)],
            ],
            notification=notification,
            notifier="職権",
        )
        bump(koseki)
        audit_notification(
            actor=actor,
            action="koseki.correction",
            notification=notification,
            details={"entry_id": old.pk, "replaced_by": replacement.pk if replacement else None, "reason": reason},
        )
    return replacement if replacement is not None else old

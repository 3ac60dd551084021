"""The notification centre (通知) and its e-mail copies (docs/domain/groupware.md §5).

``notify`` is called inside the transaction of the service whose event it announces (a booking awaiting
approval, a new schedule entry): the notification commits or rolls back with it, and the e-mail is sent only
after commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from groupware.models import Notification
from tenants.models import Person

SENDER = "kyodo-groupware@localhost"


def notify(*, recipient_ids: Iterable[int], kind: str, text: str, url: str = "") -> list[Notification]:
    ids = sorted(set(recipient_ids))
    rows = Notification.objects.bulk_create(
        Notification(recipient_id=pk, kind=kind, text=text[:300], url=url) for pk in ids
    )
    addresses = list(
        Person.objects.filter(pk__in=ids, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if addresses:
        messages = [(f"[Kyodo] {text[:60]}", f"{text}\n\n{url}", SENDER, [address]) for address in addresses]
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return rows


def mark_read(*, actor: Person, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them when no ids are given). Not audited: it changes only
    the reader's own inbox state."""
    with transaction.atomic():
        rows = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
        if notification_ids is not None:
            rows = rows.filter(pk__in=list(notification_ids))
        return rows.update(read_at=timezone.now())

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
from django_tenants.utils import schema_context

from groupware.models import Notification
from tenants.access import memberships_in_force_of
from tenants.models import Municipality, Person

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


def home_schemas(person_ids: Iterable[int]) -> dict[int, str]:
    """The schema of each person's notification centre: the town where they work (their first membership in force
    of a town, by 団体コード), else the council's; people with no membership in force are left out (§5.5)."""
    rows = memberships_in_force_of(person_ids).values_list(
        "person_id", "municipality__kind", "municipality__code", "municipality__schema_name"
    )
    found: dict[int, str] = {}
    # A town before the council (by kind, not alphabetically: "council" < "town"), then by 団体コード.
    for person_id, _kind, _code, schema in sorted(
        rows, key=lambda r: (r[0], r[1] != Municipality.Kind.TOWN, r[2] or "")
    ):
        found.setdefault(person_id, schema)
    return found


def notify_where_they_work(*, recipient_ids: Iterable[int], kind: str, text: str, url: str = "") -> int:
    """``notify`` each person in the notification centre of the town where they work (``home_schemas``), for
    items that live in the council's schema and are read from every host (chat, meetings). Call inside the
    announcing service's transaction; returns how many were notified."""
    by_schema: dict[str, list[int]] = {}
    for person_id, schema in home_schemas(recipient_ids).items():
        by_schema.setdefault(schema, []).append(person_id)
    for schema, ids in sorted(by_schema.items()):
        with schema_context(schema):
            notify(recipient_ids=ids, kind=kind, text=text, url=url)
    return sum(len(ids) for ids in by_schema.values())


def mark_read(*, actor: Person, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them when no ids are given). Not audited: it changes only
    the reader's own inbox state."""
    with transaction.atomic():
        rows = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
        if notification_ids is not None:
            rows = rows.filter(pk__in=list(notification_ids))
        return rows.update(read_at=timezone.now())

"""Services of the disaster HQ (災害対策本部, docs/domain/disaster-hq.md): opened with a declared disaster, shared
by both towns and the council; every entry is audited in the council trail and in the stricken town's trail.

Who may write (§2): a member holding 事務職員 or 情報システム担当 on the host the request is made on, where that
host is the council or the town the thing belongs to (the stricken town for its tasks, timeline and damage
reports; the shelter's town for a shelter). Staff of the other town help through emergency memberships of disaster
mode (bcp.disaster), so their writes are made on the stricken town's host and their own town's trail stays clean.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from bcp.disaster import _audit_both
from bcp.hq_models import DamageReport, HqChecklistTemplate, HqEntry, HqTask, Shelter
from bcp.models import Disaster
from bcp.uploads import image_kind
from common.errors import ApplicationError, PermissionDenied
from tenants.access import active_roles
from tenants.models import Municipality, Person, Role

AUDIT_LABELS = {
    "bcp.hq_open": "災害対策本部: 本部の設置",
    "bcp.hq_task_done": "災害対策本部: チェックリスト項目の完了",
    "bcp.hq_entry": "災害対策本部: 経過の記録",
    "bcp.hq_shelter": "災害対策本部: 避難所の状況更新",
    "bcp.hq_damage": "災害対策本部: 被害報告",
}

WRITER_ROLES: frozenset[str] = frozenset({Role.CLERK, Role.IT_ADMIN})


class HqError(ApplicationError):
    code = "hq_error"


class HqWriteRefused(PermissionDenied):
    code = "hq_write_refused"
    message = "この本部の記録は、被災町または協議会の職員(事務職員・情報システム担当)が行います。"


class HqClosed(HqError):
    code = "hq_closed"
    message = "この災害モードは解除されています。本部の記録は閲覧のみです。"


class TaskAlreadyDone(HqError):
    code = "hq_task_already_done"
    message = "この項目は既に完了しています。"


class TextRequired(HqError):
    code = "hq_text_required"
    message = "内容を入力してください。"


class OccupancyInvalid(HqError):
    code = "hq_occupancy_invalid"
    message = "避難者数は0以上、収容人数の2倍以下で入力してください。"


class LocationInvalid(HqError):
    code = "hq_location_invalid"
    message = "場所を入力してください(緯度は-90〜90、経度は-180〜180)。"


def may_write(*, actor: Person, host: Municipality, owner: Municipality) -> bool:
    if host.kind != Municipality.Kind.COUNCIL and host.pk != owner.pk:
        return False
    return bool(WRITER_ROLES & active_roles(actor, host))


def _require_writer(*, actor: Person, host: Municipality, owner: Municipality) -> None:
    if not may_write(actor=actor, host=host, owner=owner):
        raise HqWriteRefused(details={"host": host.schema_name, "town": owner.schema_name})


def _entry(*, disaster: Disaster, kind: str, text: str, actor: Person | None, host: Municipality | None) -> HqEntry:
    return HqEntry.objects.create(
        disaster=disaster,
        kind=kind,
        text=text,
        actor_name=(actor.get_full_name() or actor.username) if actor else "システム",
        town_name=host.name if host else "",
    )


def _name(actor: Person) -> str:
    return (actor.get_full_name() or actor.username)[:100]


def open_hq(*, actor: Person, disaster: Disaster) -> list[HqTask]:
    """Copy the council's template set into the new disaster's checklist; called inside declare_disaster's
    transaction, so an HQ exists exactly when a disaster does."""
    with transaction.atomic():
        tasks = HqTask.objects.bulk_create(
            HqTask(
                disaster=disaster,
                kind=template.kind,
                position=template.position,
                title=template.title,
                owner=template.owner,
                due_at=disaster.declared_at + timedelta(minutes=template.due_minutes),
            )
            for template in HqChecklistTemplate.objects.filter(is_active=True).order_by("kind", "position", "pk")
        )
        _entry(disaster=disaster, kind="open", text=f"災害対策本部を設置({disaster.title})", actor=actor, host=None)
        _audit_both(
            actor=actor,
            action="bcp.hq_open",
            town=disaster.municipality,
            obj=disaster,
            details={"tasks": len(tasks)},
        )
    return tasks


def _open_disaster(disaster: Disaster) -> Disaster:
    locked = Disaster.objects.select_for_update().select_related("municipality").get(pk=disaster.pk)
    if locked.ended_at is not None:
        raise HqClosed()
    return locked


def complete_task(*, actor: Person, host: Municipality, task: HqTask) -> HqTask:
    with transaction.atomic():
        disaster = _open_disaster(task.disaster)
        _require_writer(actor=actor, host=host, owner=disaster.municipality)
        locked = HqTask.objects.select_for_update().get(pk=task.pk)
        if locked.done_at is not None:
            raise TaskAlreadyDone()
        locked.done_at = timezone.now()
        locked.done_by_name = _name(actor)
        locked.save(update_fields=["done_at", "done_by_name"])
        _entry(disaster=disaster, kind="task", text=f"完了: {locked.title}", actor=actor, host=host)
        _audit_both(
            actor=actor, action="bcp.hq_task_done", town=disaster.municipality, obj=locked, details={"task": locked.pk}
        )
    return locked


def add_entry(*, actor: Person, host: Municipality, disaster: Disaster, text: str) -> HqEntry:
    text = (text or "").strip()
    if not text:
        raise TextRequired()
    with transaction.atomic():
        disaster = _open_disaster(disaster)
        _require_writer(actor=actor, host=host, owner=disaster.municipality)
        entry = _entry(disaster=disaster, kind="note", text=text[:2000], actor=actor, host=host)
        _audit_both(actor=actor, action="bcp.hq_entry", town=disaster.municipality, obj=entry, details={})
    return entry


def update_shelter(*, actor: Person, host: Municipality, shelter: Shelter, occupancy: int, is_open: bool) -> Shelter:
    """Staff on site report the count and whether the shelter is open; recorded on the timeline of the town's open
    disaster, if there is one."""
    with transaction.atomic():
        locked = Shelter.objects.select_for_update().select_related("municipality").get(pk=shelter.pk)
        _require_writer(actor=actor, host=host, owner=locked.municipality)
        if not 0 <= occupancy <= locked.capacity * 2 or (not is_open and occupancy):
            raise OccupancyInvalid(details={"occupancy": occupancy, "capacity": locked.capacity})
        before = (locked.is_open, locked.occupancy)
        locked.occupancy, locked.is_open = occupancy, is_open
        locked.updated_at, locked.updated_by_name = timezone.now(), _name(actor)
        locked.save(update_fields=["occupancy", "is_open", "updated_at", "updated_by_name"])
        disaster = Disaster.objects.filter(municipality=locked.municipality, ended_at__isnull=True).first()
        state = "開設" if is_open else "閉鎖"
        if disaster is not None:
            _entry(
                disaster=disaster,
                kind="shelter",
                text=f"避難所 {locked.name}: {state} {occupancy}/{locked.capacity}人",
                actor=actor,
                host=host,
            )
        _audit_both(
            actor=actor,
            action="bcp.hq_shelter",
            town=locked.municipality,
            obj=locked,
            details={"before": list(before), "is_open": is_open, "occupancy": occupancy},
        )
    return locked


def _coordinate(value: Decimal | None, limit: int) -> Decimal | None:
    if value is not None and not -limit <= value <= limit:
        raise LocationInvalid(details={"value": str(value)})
    return value


# long: the report's checks (text, place, coordinates, photo) and its writes read best in the order they happen
def report_damage(
    *,
    actor: Person,
    host: Municipality,
    disaster: Disaster,
    title: str,
    location: str,
    description: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    photo: UploadedFile | None = None,
) -> DamageReport:
    """A damage report with an optional photo (JPEG/PNG, checked on its bytes, stored in Django's storage)."""
    title, location = (title or "").strip(), (location or "").strip()
    if not title:
        raise TextRequired()
    if not location:
        raise LocationInvalid()
    latitude, longitude = _coordinate(latitude, 90), _coordinate(longitude, 180)
    kind, extension = image_kind(photo) if photo is not None else ("", "")
    stored: list[str] = []
    try:
        with transaction.atomic():
            disaster = _open_disaster(disaster)
            _require_writer(actor=actor, host=host, owner=disaster.municipality)
            report = DamageReport(
                disaster=disaster,
                reported_by=actor,
                reported_by_name=_name(actor),
                town_name=host.name,
                title=title[:200],
                location=location[:200],
                description=description.strip(),
                latitude=latitude,
                longitude=longitude,
                photo_type=kind,
            )
            if photo is not None:
                # A generated name: the uploader's file name never reaches the storage path.
                report.photo.save(f"damage{extension}", photo, save=False)
                stored.append(report.photo.name)
            report.save()
            text = f"被害報告: {report.title}({report.location})"
            _entry(disaster=disaster, kind="damage", text=text, actor=actor, host=host)
            _audit_both(
                actor=actor,
                action="bcp.hq_damage",
                town=disaster.municipality,
                obj=report,
                details={"title": report.title, "photo": bool(photo)},
            )
    except BaseException:
        # Nothing written: a photo stored before the transaction failed is removed with it.
        for name in stored:
            default_storage.delete(name)
        raise
    return report

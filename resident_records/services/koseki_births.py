"""An accepted 出生届 reaches the resident register (docs/domain/resident_register.md §9;
docs/domain/resident_register.md §出生).

koseki (the module above this one: docs/ARCHITECTURE.md) calls ``enter_birth_from_koseki`` inside the 届出's
transaction with the facts of the birth (``BirthAccepted``); it enters the 出生 異動 through ``record_birth`` — the
same service as the clerk's form — when a parent lives in this town and the household can be told; otherwise it
leaves a ClerkTask, so the birth is never typed twice and never lost:
* a parent is found by 住民票コード when the koseki member carries it, else by 氏名 and 生年月日 (one match only);
* the child's 続柄 follows the parent's: the 世帯主 or their spouse → 子; a child of the 世帯主 → 孫;
  anything else is for the clerk to decide (a task);
* a refusal of ``record_birth`` (e.g. a 転居 after the birth) becomes a task carrying its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from common import audit
from common.errors import ApplicationError, NotFound
from resident_records.models import ChangeEvent, ClerkTask, ClerkTaskKind, ClerkTaskStatus, Resident, ResidentStatus
from resident_records.selectors import relationship_group
from resident_records.services.births_deaths import record_birth
from resident_records.services.common import HEAD, PersonInput, Versioned
from tenants.models import Person


@dataclass(frozen=True)
class Parent:
    family_name: str
    given_name: str
    birth_date: date
    resident_code: str  # 住民票コード recorded on the member when the registers were linked (may be empty)


@dataclass(frozen=True)
class BirthAccepted:
    """The facts of an accepted 出生届 the resident register needs."""

    notification_id: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: str  # "1" 男, "2" 女
    birth_date: date
    notified_on: date
    honseki: str
    head_name: str  # 筆頭者
    mother: Parent
    father: Parent | None


SPOUSES = frozenset({"妻", "夫", "未届の妻", "未届の夫"})


def _find_parent(parent: Parent) -> Resident | None:
    living = Resident.objects.select_related("household").filter(status=ResidentStatus.RESIDENT)
    if parent.resident_code:
        by_code = list(living.filter(resident_code=parent.resident_code)[:2])
        if len(by_code) == 1:
            return by_code[0]
    by_name = list(
        living.filter(
            family_name=" ".join(parent.family_name.split()),
            given_name=" ".join(parent.given_name.split()),
            birth_date=parent.birth_date,
        )[:2]
    )
    return by_name[0] if len(by_name) == 1 else None


def _child_relationship(parent: Resident) -> str | None:
    """The child's 続柄 to the 世帯主, from its parent's (住民基本台帳事務処理要領の続柄)."""
    if parent.pk == parent.household.head_id or parent.relationship in SPOUSES or parent.relationship == HEAD:
        return "子"
    if relationship_group(parent.relationship) == (1, 2):
        return "孫"
    return None


def _task(*, actor: Person | None, kind: str, birth: BirthAccepted, summary: str) -> ClerkTask:
    task = ClerkTask.objects.create(
        kind=kind,
        summary=summary,
        details={
            "notification_id": birth.notification_id,
            "birth_date": birth.birth_date.isoformat(),
            "notified_on": birth.notified_on.isoformat(),
            "honseki": birth.honseki,
        },
        source_reference=f"koseki.birth:{birth.notification_id}",
    )
    audit.record(
        actor=actor,
        action="resident.clerk_task",
        obj=task,
        purpose="出生届の受理による住民票の記載",
        personal_data=True,
        details={"kind": kind, "notification": birth.notification_id},
    )
    return task


def enter_birth_from_koseki(*, actor: Person | None, birth: BirthAccepted) -> ChangeEvent | ClerkTask:
    """The 出生 異動 for an accepted 出生届, or a task for the resident clerk (see the module docstring)."""
    parent = _find_parent(birth.mother) or (_find_parent(birth.father) if birth.father is not None else None)
    if parent is None:
        return _task(
            actor=actor, kind=ClerkTaskKind.BIRTH_ELSEWHERE, birth=birth,
            summary="出生届を受理しましたが、父母とも本町の住民として見つかりません。子の住所地の市区町村への"
            "通知(住民基本台帳法 第9条第2項)を確認してください。",
        )  # fmt: skip
    relationship = _child_relationship(parent)
    if relationship is None:
        return _task(
            actor=actor, kind=ClerkTaskKind.BIRTH_UNPLACED, birth=birth,
            summary=f"出生届を受理しました。親(宛名番号 {parent.atena_number})の続柄「{parent.relationship}」から子の"
            "世帯主との続柄を決められないため、出生届の画面から記載してください。",
        )  # fmt: skip
    child = PersonInput(
        family_name=birth.family_name,
        given_name=birth.given_name,
        family_name_kana=birth.family_name_kana,
        given_name_kana=birth.given_name_kana,
        birth_date=birth.birth_date,
        sex=birth.sex,
        relationship=relationship,
        domicile=birth.honseki,
        domicile_head=birth.head_name,
    )
    try:
        with transaction.atomic():
            return record_birth(
                actor=actor,
                household=Versioned(parent.household_id, parent.household.version),
                child=child,
                notified_on=birth.notified_on,
            )
    except ApplicationError as exc:
        return _task(
            actor=actor, kind=ClerkTaskKind.BIRTH_UNPLACED, birth=birth,
            summary=f"出生届を受理しましたが、住民票に記載できませんでした({exc.message})。確認のうえ記載してください。",
        )  # fmt: skip


@transaction.atomic
def complete_clerk_task(*, actor: Person | None, public_id: UUID) -> ClerkTask:
    """The clerk marks a task 処理済み (once); audited like its creation."""
    task = ClerkTask.objects.select_for_update().filter(public_id=public_id, status=ClerkTaskStatus.OPEN).first()
    if task is None:
        raise NotFound("未処理の処理待ちが見つかりません。", code="clerk_task_not_found")
    task.status = ClerkTaskStatus.DONE
    task.done_at = timezone.now()
    task.done_by_name = actor.full_name if actor else ""
    task.save(update_fields=["status", "done_at", "done_by_name"])
    audit.record(actor=actor, action="resident.clerk_task_done", obj=task, details={"kind": task.kind})
    return task

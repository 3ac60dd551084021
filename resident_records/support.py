"""支援措置 (support measures for victims of DV, stalking, child abuse and similar), as services.

住民記録システム標準仕様書 §1.1.16, §3.1, §3.4; docs/domain/support_measures.md; 住基法 第12条第6項 and
事務処理要領:
* a measure blocks, for the 支援対象者 and every accompanying person, the issuance of 住民票の写し等, 除票,
  附票 and 閲覧 (every scope unless the decision narrows them); ``blocking_measure`` is this town's rule, and
  ``resident_records.disclosure`` the one answer every certificate, page and list asks, across the towns;
* the default period is one year (令和2年4月1日 → 令和3年3月31日); extension is possible from one month
  before the end, for one more year from the day after the end;
* lapse does NOT lift the block: only a release by the 支援措置責任者 does (status 解除);
* the 支援措置責任者 may release a block temporarily; it re-locks by itself, because the check compares
  ``relock_at`` with the clock — no job, nothing to forget. A temporary release is never sent to other systems.

Decisions are never edited (see the triggers of migration 0004): an extension is a new row (and moves
``end_on`` later), a release sets its fields once, a temporary release is a new row.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from common import audit
from common.dates import local_today
from common.errors import ApplicationError, PermissionDenied, ValidationFailed
from common.tenancy import current_schema
from common.wareki import to_wareki
from resident_records.models import (
    Resident,
    SupportMeasure,
    SupportMeasureExtension,
    SupportMeasureKind,
    SupportMeasureStatus,
    SupportScope,
    TemporaryRelease,
)
from tenants.models import Membership, Person, Role

DEFAULT_RELEASE_MINUTES = 30
# The law's default is every scope (住民票の写し等, 除票, 閲覧, 戸籍の附票 and 除附票: 住基法 第12条第6項, 第12条の3
# 第7項, 第11条の2, 第15条の4, 第20条第5項; 事務処理要領 第5-10); narrowing is an explicit choice at the decision
# (docs/domain/support_measures.md).
DEFAULT_SCOPES: tuple[str, ...] = tuple(SupportScope.values)

# Japanese names of this module's audit actions (registered with common.audit_labels by the app config).
AUDIT_LABELS = {
    "support_measure.apply": "支援措置: 決定",
    "support_measure.confirm": "支援措置: 仮支援措置からの決定",
    "support_measure.extend": "支援措置: 延長",
    "support_measure.release": "支援措置: 解除",
    "support_measure.temporary_release": "支援措置: 一時解除",
    "support_measure.attention_list": "支援措置: 期限到来・経過の一覧",
    "support_measure.view": "支援措置: 照会",
}


class SupportMeasureBlocked(ApplicationError):
    code = "support_measure_blocked"
    message = (
        "この方には支援措置が設定されているため、住民票の写し等の交付・閲覧はできません。"
        "支援措置責任者に連絡してください。"
    )
    status_code = 403


class NotSupportMeasureOfficer(PermissionDenied):
    code = "not_support_measure_officer"
    message = "支援措置の解除・一時解除は、この町の支援措置責任者だけが行えます。"


class SupportMeasureNotActive(ApplicationError):
    code = "support_measure_not_active"
    message = "この支援措置はすでに解除されています。"
    status_code = 409


class ExtensionTooEarly(ValidationFailed):
    code = "support_extension_too_early"
    message = "支援措置の延長は、終了日の1か月前から申し出ることができます。"


# --- period arithmetic ----------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the last day of the month when there is none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def one_year_from(start: date) -> date:
    """The last day of a one-year period starting on ``start``: 令和2年4月1日 → 令和3年3月31日.

    民法 第143条: the period ends on the day before the day corresponding to the start one year later; when
    there is no such day (a period starting on 29 February), it ends on the last day of that month.
    """
    if start.month == 2 and start.day == 29 and not calendar.isleap(start.year + 1):
        return date(start.year + 1, 2, 28)
    return _add_months(start, 12) - timedelta(days=1)


def extension_opens_on(end_on: date) -> date:
    """The first day an extension may be made: one month before the end (標準仕様書 §3.4)."""
    return _add_months(end_on, -1)


def release_minutes() -> int:
    return int(getattr(settings, "KYODO_SUPPORT_RELEASE_MINUTES", DEFAULT_RELEASE_MINUTES))


# --- reads ----------------------------------------------------------------------------------------------


def measures_covering(resident: Resident) -> QuerySet[SupportMeasure]:
    """Measures in force for ``resident``, as 支援対象者 or as an accompanying person, lapsed ones included."""
    return (
        SupportMeasure.objects.filter(status=SupportMeasureStatus.ACTIVE)
        .filter(Q(resident=resident) | Q(accompanying=resident))
        .distinct()
    )


def is_temporarily_released(measure: SupportMeasure) -> bool:
    now = timezone.now()
    return measure.temporary_releases.filter(released_at__lte=now, relock_at__gt=now).exists()


def blocking_measures(*, residents: Iterable[Resident], scope: str) -> dict[int, SupportMeasure]:
    """The measure that blocks ``scope`` right now for each of ``residents`` that one blocks, by resident id — in
    one query however many they are. The rule: a measure in force (lapsed ones included) naming the resident as
    支援対象者 or accompanying person, covering ``scope``, not temporarily released; the lowest id when several."""
    ids = {resident.pk for resident in residents}
    if not ids:
        return {}
    now = timezone.now()
    through = SupportMeasure.accompanying.through
    measures = (
        SupportMeasure.objects.filter(status=SupportMeasureStatus.ACTIVE, scopes__contains=[scope])
        .filter(
            Q(resident_id__in=ids) | Q(pk__in=through.objects.filter(resident_id__in=ids).values("supportmeasure_id"))
        )
        # A subquery, so that both conditions apply to the same release row.
        .exclude(pk__in=TemporaryRelease.objects.filter(released_at__lte=now, relock_at__gt=now).values("measure_id"))
        .annotate(
            covered_accompanying=ArraySubquery(
                through.objects.filter(supportmeasure_id=OuterRef("pk")).values("resident_id")
            )
        )
        .order_by("pk")
    )
    found: dict[int, SupportMeasure] = {}
    for measure in measures:
        for resident_id in (measure.resident_id, *measure.covered_accompanying):
            if resident_id in ids:
                found.setdefault(resident_id, measure)
    return found


def blocking_measure(*, resident: Resident, scope: str) -> SupportMeasure | None:
    """The measure that blocks ``scope`` for ``resident`` right now, or None (``blocking_measures`` for one)."""
    return blocking_measures(residents=[resident], scope=scope).get(resident.pk)


def ensure_none_blocked(*, residents: Iterable[Resident], scope: str) -> None:
    """Refuse issuance or 閲覧 when any of ``residents`` is under 支援措置 (also when lapsed, also for accompanying
    persons), in one query; the refusal names the first of them by id, as checking them one by one would.

    The message names neither the measure nor the reason: it is shown at the counter.
    """
    if scope not in SupportScope.values:
        raise ValueError(scope)
    people = sorted(residents, key=lambda r: r.pk)
    blocked = blocking_measures(residents=people, scope=scope)
    for resident in people:
        measure = blocked.get(resident.pk)
        if measure is not None:
            raise SupportMeasureBlocked(
                details={
                    "resident": resident.pk,
                    "atena_number": resident.atena_number,
                    "scope": scope,
                    "measure": measure.pk,
                }
            )


def ensure_not_blocked(*, resident: Resident, scope: str) -> None:
    """``ensure_none_blocked`` for one person."""
    ensure_none_blocked(residents=[resident], scope=scope)


def measures_needing_attention(*, today: date | None = None) -> QuerySet[SupportMeasure]:
    """Measures in force whose end is within one month, or already passed (still blocking): the alert list. Each
    carries ``temporarily_released_now`` (``is_temporarily_released``, read with the list: no query per row)."""
    day = today or local_today()
    now = timezone.now()
    released = TemporaryRelease.objects.filter(measure=OuterRef("pk"), released_at__lte=now, relock_at__gt=now)
    return (
        SupportMeasure.objects.filter(status=SupportMeasureStatus.ACTIVE, end_on__lte=_add_months(day, 1))
        .select_related("resident")
        .annotate(temporarily_released_now=Exists(released))
        .order_by("end_on", "pk")
    )


def is_support_measure_officer(person: Person | None) -> bool:
    """An active 支援措置責任者 membership in the town of the current schema (evaluated today, Asia/Tokyo)."""
    if person is None:
        return False
    return (
        Membership.objects.active()
        .filter(person=person, municipality__schema_name=current_schema(), role=Role.SUPPORT_MEASURE_OFFICER)
        .exists()
    )


# --- writes ---------------------------------------------------------------------------------------------


def _require_officer(actor: Person | None) -> None:
    if not is_support_measure_officer(actor):
        raise NotSupportMeasureOfficer()


def _audit(
    actor: Person | None,
    action: str,
    measure: SupportMeasure,
    residents: Iterable[Resident],
    purpose: str,
    **details: object,
) -> None:
    for resident in residents:
        audit.record(
            actor=actor,
            action=f"support_measure.{action}",
            obj=resident,
            purpose=purpose,
            personal_data=True,
            details={"measure": measure.pk, **details},
        )


def _covered(measure: SupportMeasure) -> list[Resident]:
    return [measure.resident, *measure.accompanying.order_by("pk")]


def _lock(measure: SupportMeasure) -> SupportMeasure:
    locked = SupportMeasure.objects.select_for_update().select_related("resident").get(pk=measure.pk)
    if locked.status != SupportMeasureStatus.ACTIVE:
        raise SupportMeasureNotActive(details={"measure": locked.pk})
    return locked


@transaction.atomic
def apply_support_measure(
    *,
    actor: Person | None,
    resident: Resident,
    scopes: Sequence[str] | None = None,
    kind: str = SupportMeasureKind.SUPPORT,
    start_on: date | None = None,
    end_on: date | None = None,
    accompanying: Sequence[Resident] = (),
    perpetrator: str = "",
    note: str = "",
) -> SupportMeasure:
    """Decide a 支援措置 (or record a 仮支援措置 while the application is examined).

    Without ``scopes`` the measure covers every scope (``DEFAULT_SCOPES``); a narrower choice is recorded as such
    in the audit row (``narrowed``).
    """
    if kind not in SupportMeasureKind.values:
        raise ValidationFailed("支援措置の種別が正しくありません。", code="invalid_support_kind")
    chosen = list(dict.fromkeys(DEFAULT_SCOPES if scopes is None else scopes))
    if not chosen:
        raise ValidationFailed("支援措置の対象事務を1つ以上選んでください。", code="support_scopes_required")
    unknown = [s for s in chosen if s not in SupportScope.values]
    if unknown:
        raise ValidationFailed(
            "支援措置の対象事務が正しくありません。", code="invalid_support_scope", details={"scopes": unknown}
        )
    start = start_on or local_today()
    end = end_on or one_year_from(start)
    if end < start:
        raise ValidationFailed("支援措置の終了日が開始日より前になっています。", code="invalid_support_period")
    others = [r for r in dict.fromkeys(accompanying) if r.pk != resident.pk]
    measure = SupportMeasure.objects.create(
        resident=resident,
        kind=kind,
        scopes=chosen,
        start_on=start,
        end_on=end,
        perpetrator=perpetrator.strip(),
        note=note.strip()[:500],
        decided_at=timezone.now(),
        decided_by_id=actor.pk if actor else None,
        decided_by_name=actor.full_name if actor else "",
    )
    measure.accompanying.set(others)
    label = SupportMeasureKind(kind).label
    _audit(
        actor,
        "apply",
        measure,
        [resident, *others],
        f"{label}の決定",
        kind=kind,
        scopes=chosen,
        narrowed=sorted(set(DEFAULT_SCOPES) - set(chosen)),
        start_on=start.isoformat(),
        end_on=end.isoformat(),
    )
    return measure


@transaction.atomic
def confirm_provisional_measure(*, actor: Person | None, measure: SupportMeasure) -> SupportMeasure:
    """The decision after a 仮支援措置: it becomes a 支援措置 with the same period (標準仕様書 §3.4)."""
    locked = _lock(measure)
    if locked.kind != SupportMeasureKind.PROVISIONAL:
        raise ValidationFailed("この支援措置は仮支援措置ではありません。", code="not_provisional")
    locked.kind = SupportMeasureKind.SUPPORT
    locked.save(update_fields=["kind"])
    _audit(actor, "confirm", locked, _covered(locked), "仮支援措置から支援措置への決定")
    return locked


@transaction.atomic
def extend_support_measure(*, actor: Person | None, measure: SupportMeasure) -> SupportMeasureExtension:
    """延長: from one month before the end, one more year from the day after the end (標準仕様書 §3.4).

    A lapsed measure (still blocking) may be extended too; the new period still follows the old end, so
    there is never a gap.
    """
    locked = _lock(measure)
    today = local_today()
    opens = extension_opens_on(locked.end_on)
    if today < opens:
        raise ExtensionTooEarly(
            f"支援措置の延長は、終了日({to_wareki(locked.end_on)})の1か月前の"
            f"{to_wareki(opens)}から申し出ることができます。",
            details={"end_on": locked.end_on.isoformat(), "opens_on": opens.isoformat()},
        )
    previous = locked.end_on
    locked.end_on = one_year_from(previous + timedelta(days=1))
    locked.save(update_fields=["end_on"])
    extension = SupportMeasureExtension.objects.create(
        measure=locked,
        previous_end_on=previous,
        new_end_on=locked.end_on,
        decided_at=timezone.now(),
        decided_by_id=actor.pk if actor else None,
        decided_by_name=actor.full_name if actor else "",
    )
    _audit(
        actor,
        "extend",
        locked,
        _covered(locked),
        "支援措置の延長",
        previous_end_on=previous.isoformat(),
        end_on=locked.end_on.isoformat(),
    )
    return extension


@transaction.atomic
def release_support_measure(*, actor: Person | None, measure: SupportMeasure, reason: str) -> SupportMeasure:
    """解除 after review, by the 支援措置責任者 only. Final: a new block is a new decision."""
    _require_officer(actor)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed("支援措置を解除する理由を入力してください。", code="release_reason_required")
    locked = _lock(measure)
    locked.status = SupportMeasureStatus.RELEASED
    locked.released_at = timezone.now()
    locked.released_by_id = actor.pk if actor else None
    locked.released_by_name = actor.full_name if actor else ""
    locked.release_reason = reason[:500]
    locked.save(update_fields=["status", "released_at", "released_by_id", "released_by_name", "release_reason"])
    _audit(actor, "release", locked, _covered(locked), f"支援措置の解除: {reason}"[:200])
    return locked


@transaction.atomic
def temporarily_release(
    *, actor: Person | None, measure: SupportMeasure, purpose: str, minutes: int | None = None
) -> TemporaryRelease:
    """一時解除 by the 支援措置責任者, e.g. to let the 支援対象者 themself obtain a copy.

    Re-locks by itself after KYODO_SUPPORT_RELEASE_MINUTES (30) minutes: ``ensure_not_blocked`` compares
    ``relock_at`` with the clock.
    """
    _require_officer(actor)
    purpose = " ".join(purpose.split())
    if not purpose:
        raise ValidationFailed("一時解除の目的を入力してください。", code="release_purpose_required")
    length = release_minutes() if minutes is None else minutes
    if not 1 <= length <= 24 * 60:
        raise ValidationFailed("一時解除の時間は1分から24時間までで指定してください。", code="invalid_release_minutes")
    locked = _lock(measure)
    now = timezone.now()
    release = TemporaryRelease.objects.create(
        measure=locked,
        released_at=now,
        relock_at=now + timedelta(minutes=length),
        purpose=purpose[:500],
        released_by_id=actor.pk if actor else None,
        released_by_name=actor.full_name if actor else "",
    )
    _audit(
        actor,
        "temporary_release",
        locked,
        _covered(locked),
        f"支援措置の一時解除: {purpose}"[:200],
        relock_at=release.relock_at.isoformat(),
    )
    return release

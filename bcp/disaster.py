"""Disaster mode (docs/bcp.md §6): a disaster declared for one town, and emergency memberships for staff of the
other town who act for it while it lasts.

Who decides: the council's IT staff (an ``it_admin`` membership at the council, working on the council host)
declare and end a disaster and grant or revoke emergency access. A town hall hit by a tsunami may have no IT
staff left to do it, and the council runs the shared platform for both towns (協議会規約: 共同電算の運用は協議会
事務局が行う), so the decision sits with the council, never with a town acting for itself.

An emergency grant is a real ``tenants.Membership`` (``is_emergency=True``, ``valid_to`` = the local date of the
expiry) plus an ``EmergencyGrant`` that carries the exact ``expires_at``. Memberships are dated by day;
``tenants.access.active_roles`` additionally drops an emergency membership whose grant has expired (to the
minute) or been revoked, so access ends on time even before the expiry task has run.

Every step is audited twice: in the council trail (public schema, where the Membership lives) and in the trail
of the town the emergency member acts for, so that town's own audit shows who was let in, used it and left.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp.models import Disaster, EmergencyGrant
from common import audit
from common.dates import local_today
from common.errors import ApplicationError, PermissionDenied
from common.health import DEPENDENCY_ERRORS, note_degraded
from tenants import live
from tenants import services as tenant_services
from tenants.models import Membership, Municipality, Person, Role

AUDIT_LABELS = {
    "bcp.disaster_declare": "BCP: 災害モードの宣言",
    "bcp.disaster_end": "BCP: 災害モードの解除",
    "bcp.emergency_grant": "BCP: 緊急応援の付与",
    "bcp.emergency_revoke": "BCP: 緊急応援の取消し",
    "bcp.emergency_expired": "BCP: 緊急応援の期限切れ",
    "bcp.emergency_use": "BCP: 緊急応援による利用",
}

# Roles that may be lent to the stricken town. A person lends only a role they hold in their own town: a
# teacher or a vendor never becomes a clerk of another town through an emergency (情報セキュリティポリシー:
# アクセス権は職務に応じて付与).
GRANTABLE_ROLES = (Role.CLERK, Role.IT_ADMIN)
MAX_GRANT_HOURS = 72  # three days; a longer need is a new grant, decided again
USE_SESSION_KEY = "bcp.emergency_use"


class DisasterError(ApplicationError):
    code = "disaster_error"


class NotCouncilStaff(PermissionDenied):
    code = "not_council_it_admin"
    message = "災害モードの宣言・解除と緊急応援の付与は、協議会の情報システム担当が行います。"


class NotATown(DisasterError):
    code = "not_a_town"
    message = "災害モードは構成団体(町)に対してのみ宣言できます。"


class DisasterAlreadyActive(DisasterError):
    code = "disaster_already_active"
    message = "この町には既に災害モードが宣言されています。"


class DisasterEnded(DisasterError):
    code = "disaster_ended"
    message = "この災害モードは既に解除されています。"


class TitleRequired(DisasterError):
    code = "disaster_title_required"
    message = "災害名を入力してください。"


class RoleNotGrantable(DisasterError):
    code = "emergency_role_not_grantable"
    message = "緊急応援で付与できる役割は「事務職員」「情報システム担当」のみです。"


class NoHomeMembership(DisasterError):
    code = "emergency_no_home_membership"
    message = "この職員は、他の構成団体で同じ役割の所属を持たないため、緊急応援を付与できません。"


class AlreadyMember(DisasterError):
    code = "emergency_already_member"
    message = "この職員は、既にこの町で同じ役割の所属を持っています。"


class AlreadyGranted(DisasterError):
    code = "emergency_already_granted"
    message = "この職員には、この町で同じ役割の有効な緊急応援が既にあります。"


class GrantSameDay(DisasterError):
    code = "emergency_grant_same_day"
    message = "本日この職員に同じ役割の緊急応援を付与した記録があります。同じ日の再付与はできません。"


class InvalidHours(DisasterError):
    code = "emergency_invalid_hours"
    message = f"有効時間は 1〜{MAX_GRANT_HOURS} 時間で指定してください。"


class GrantNotActive(DisasterError):
    code = "emergency_grant_not_active"
    message = "この緊急応援は既に取り消されたか、期限が切れています。"


# --- Reads --------------------------------------------------------------------------------------------------


def active_disaster(municipality: Municipality | None) -> Disaster | None:
    if municipality is None or municipality.kind != Municipality.Kind.TOWN:
        return None
    return Disaster.objects.filter(municipality=municipality, ended_at__isnull=True).first()


def active_disasters() -> QuerySet[Disaster]:
    return Disaster.objects.filter(ended_at__isnull=True).select_related("municipality").order_by("declared_at")


def live_grants(*, at: datetime | None = None) -> QuerySet[EmergencyGrant]:
    at = at or timezone.now()
    return EmergencyGrant.objects.filter(revoked_at__isnull=True, expires_at__gt=at)


def is_council_it_admin(person: Person) -> bool:
    return (
        Membership.objects.active()
        .filter(person=person, municipality__kind=Municipality.Kind.COUNCIL, role=Role.IT_ADMIN)
        .exists()
    )


def candidate_people(*, disaster: Disaster) -> QuerySet[Person]:
    """People who may be granted: staff holding a grantable role in another town on the platform."""
    home = Membership.objects.active().filter(
        municipality__kind=Municipality.Kind.TOWN, role__in=GRANTABLE_ROLES, is_emergency=False
    )
    home = home.exclude(municipality=disaster.municipality_id)
    return Person.objects.filter(pk__in=home.values("person_id"), is_active=True).order_by("full_name_kana", "username")


# --- Services -----------------------------------------------------------------------------------------------


def _require_council_it_admin(actor: Person) -> None:
    if not is_council_it_admin(actor):
        raise NotCouncilStaff()


def _audit_both(
    *, actor: Person | None, action: str, town: Municipality, obj: Any, details: dict[str, Any], role: str | None = None
) -> None:
    audit.record(actor=actor, action=action, obj=obj, details=details, council=True, role=role)
    with schema_context(town.schema_name):
        audit.record(actor=actor, action=action, obj=obj, details=details, role=role)


def declare_disaster(*, actor: Person, municipality: Municipality, title: str, description: str = "") -> Disaster:
    _require_council_it_admin(actor)
    title = " ".join((title or "").split())
    if not title:
        raise TitleRequired()
    if municipality.kind != Municipality.Kind.TOWN or not municipality.is_active:
        raise NotATown()
    try:
        with transaction.atomic():
            disaster = Disaster.objects.create(
                municipality=municipality, title=title[:200], description=description.strip(), declared_by=actor
            )
            _audit_both(
                actor=actor,
                action="bcp.disaster_declare",
                town=municipality,
                obj=disaster,
                details={"municipality": municipality.schema_name, "title": disaster.title},
            )
            # The HQ opens with the disaster, in the same transaction (docs/domain/disaster-hq.md §1).
            from bcp.hq import open_hq  # bcp.hq builds on this module's audit helper

            open_hq(actor=actor, disaster=disaster)
    except IntegrityError as exc:
        # bcp_one_open_disaster_per_town: two IT staff declaring at once, or a second declaration.
        raise DisasterAlreadyActive(details={"municipality": municipality.schema_name}) from exc
    return disaster


def end_disaster(*, actor: Person, disaster: Disaster) -> Disaster:
    """End the disaster; every emergency grant it allowed is revoked with it."""
    _require_council_it_admin(actor)
    with transaction.atomic():
        locked = Disaster.objects.select_for_update().select_related("municipality").get(pk=disaster.pk)
        if locked.ended_at is not None:
            raise DisasterEnded()
        now = timezone.now()
        revoked = [
            _revoke(actor=actor, grant=grant, now=now, reason="災害モードの解除")
            for grant in live_grants(at=now).filter(disaster=locked).select_related("membership__person").order_by("pk")
        ]
        locked.ended_at = now
        locked.ended_by = actor
        locked.save(update_fields=["ended_at", "ended_by"])
        _audit_both(
            actor=actor,
            action="bcp.disaster_end",
            town=locked.municipality,
            obj=locked,
            details={"municipality": locked.municipality.schema_name, "revoked_grants": [g.pk for g in revoked]},
        )
    return locked


# long: one grant checked and written in one transaction: the checks of the declaration, each membership and its audit
# row read best in sequence
def grant_emergency_access(
    *, actor: Person, disaster: Disaster, person: Person, role: str, hours: int, note: str = ""
) -> EmergencyGrant:
    _require_council_it_admin(actor)
    if role not in GRANTABLE_ROLES:
        raise RoleNotGrantable(details={"role": role})
    if not 1 <= int(hours) <= MAX_GRANT_HOURS:
        raise InvalidHours(details={"hours": hours})
    with transaction.atomic():
        disaster = Disaster.objects.select_for_update().select_related("municipality").get(pk=disaster.pk)
        if disaster.ended_at is not None:
            raise DisasterEnded()
        town = disaster.municipality
        # Only staff of another town on the platform, lending a role they hold there.
        home = (
            Membership.objects.active()
            .filter(person=person, role=role, is_emergency=False, municipality__kind=Municipality.Kind.TOWN)
            .exclude(municipality=town)
            .select_related("municipality")
            .first()
        )
        if home is None or not person.is_active:
            raise NoHomeMembership(details={"person": person.username, "role": role})
        if Membership.objects.active().filter(person=person, municipality=town, role=role, is_emergency=False).exists():
            raise AlreadyMember(details={"person": person.username, "role": role})
        if (
            live_grants()
            .filter(membership__person=person, membership__municipality=town, membership__role=role)
            .exists()
        ):
            raise AlreadyGranted(details={"person": person.username, "role": role})
        today = local_today()
        if Membership.objects.filter(person=person, municipality=town, role=role, valid_from=today).exists():
            # (person, town, role, valid_from) is unique, and grant_membership would otherwise rewrite that row.
            raise GrantSameDay(details={"person": person.username, "role": role})
        now = timezone.now()
        expires_at = now + timedelta(hours=int(hours))
        membership = tenant_services.grant_membership(
            actor=actor,
            person=person,
            municipality=town,
            role=role,
            valid_from=today,
            valid_to=timezone.localdate(expires_at),
            section=f"緊急応援({home.municipality.name})"[:100],
            is_emergency=True,
            note=(note.strip() or f"災害モード「{disaster.title}」による緊急応援")[:200],
        )
        grant = EmergencyGrant.objects.create(
            disaster=disaster, membership=membership, granted_by=actor, granted_at=now, expires_at=expires_at
        )
        _audit_both(
            actor=actor,
            action="bcp.emergency_grant",
            town=town,
            obj=grant,
            details={
                "person": person.username,
                "role": role,
                "home": home.municipality.schema_name,
                "municipality": town.schema_name,
                "expires_at": expires_at.isoformat(),
                "hours": int(hours),
                "disaster": disaster.pk,
            },
        )
    return grant


def _end_membership(membership: Membership, *, on: datetime) -> None:
    # The membership may not end before it began (membership_period_ordered); the grant's own time stops
    # access to the minute, the date keeps the membership list honest.
    end = max(membership.valid_from, timezone.localdate(on))
    if membership.valid_to is None or membership.valid_to > end:
        Membership.objects.filter(pk=membership.pk).update(valid_to=end)
        membership.valid_to = end


def _revoke(*, actor: Person, grant: EmergencyGrant, now: datetime, reason: str) -> EmergencyGrant:
    grant.revoked_at = now
    grant.save(update_fields=["revoked_at"])
    _end_membership(grant.membership, on=now)
    live.access_changed([grant.membership.person_id])  # an open chat socket of the helper closes (tenants.live)
    town = Municipality.objects.get(pk=grant.membership.municipality_id)
    _audit_both(
        actor=actor,
        action="bcp.emergency_revoke",
        town=town,
        obj=grant,
        details={"person": grant.membership.person.username, "role": grant.membership.role, "reason": reason},
    )
    return grant


def revoke_emergency_access(*, actor: Person, grant: EmergencyGrant, reason: str = "") -> EmergencyGrant:
    _require_council_it_admin(actor)
    with transaction.atomic():
        locked = EmergencyGrant.objects.select_for_update().select_related("membership__person").get(pk=grant.pk)
        now = timezone.now()
        if locked.revoked_at is not None or locked.expires_at <= now:
            raise GrantNotActive()
        return _revoke(actor=actor, grant=locked, now=now, reason=reason.strip() or "取消し")


def expire_grants(*, now: datetime | None = None) -> list[EmergencyGrant]:
    """Record each grant that ran out (once), and end its membership. Access already stopped at expires_at."""
    now = now or timezone.now()
    done: list[EmergencyGrant] = []
    due = EmergencyGrant.objects.filter(expires_at__lte=now, revoked_at__isnull=True, expiry_logged_at__isnull=True)
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # skip_locked: a second beat run at the same moment leaves this grant to the first one.
            grant = (
                EmergencyGrant.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("membership__person", "membership__municipality")
                .filter(pk=pk, expiry_logged_at__isnull=True, revoked_at__isnull=True)
                .first()
            )
            if grant is None:
                continue
            grant.expiry_logged_at = now
            grant.save(update_fields=["expiry_logged_at"])
            _end_membership(grant.membership, on=grant.expires_at)
            _audit_both(
                actor=None,
                action="bcp.emergency_expired",
                town=grant.membership.municipality,
                obj=grant,
                details={
                    "person": grant.membership.person.username,
                    "role": grant.membership.role,
                    "expires_at": grant.expires_at.isoformat(),
                },
                role="system",
            )
            done.append(grant)
    return done


def record_emergency_use(request: HttpRequest, *, user: Any = None, api: bool = False) -> None:
    """Called once a request is let in (the access middleware for pages, IsActiveMember for the API): the first
    request of each session and hour by an emergency member — for the API, of each person and hour, as token
    calls have no session — writes ``bcp.emergency_use`` into the trail of the town being used."""
    tenant = getattr(request, "tenant", None)
    user = user if user is not None else getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated or tenant.kind != Municipality.Kind.TOWN:
        return
    if not getattr(request, "_kyodo_emergency", False):
        return  # set by tenants.access.request_roles: nothing to record (and no query) for everyone else
    now = timezone.now()
    stamp = f"{tenant.schema_name}:{timezone.localtime(now):%Y%m%d%H}"
    if api:
        # cache.add is atomic: one row per person, town and hour even with concurrent API calls. The database
        # name keeps databases sharing one Redis (test databases, a restored copy) apart.
        key = f"{USE_SESSION_KEY}:{connection.settings_dict['NAME']}:{user.pk}:{stamp}"
        try:
            first = cache.add(key, 1, timeout=3600)
        except DEPENDENCY_ERRORS as exc:
            # Redis is away (common.health): fail open towards the trail — a second row in the hour rather than
            # a missing one, and the API call goes on.
            note_degraded("cache.emergency_use_dedup_skipped", exc)
            first = True
        if not first:
            return
        session: Any = {}
    else:
        session = getattr(request, "session", None)
        if session is None or session.get(USE_SESSION_KEY) == stamp:
            return
    grants = list(
        live_grants(at=now)
        .filter(membership__person=user, membership__municipality=tenant)
        .select_related("membership")
        .order_by("pk")
    )
    session[USE_SESSION_KEY] = stamp
    if not grants:
        return
    with transaction.atomic():
        for grant in grants:
            updates: dict[str, Any] = {"last_used_at": now}
            if grant.first_used_at is None:
                updates["first_used_at"] = now
            EmergencyGrant.objects.filter(pk=grant.pk).update(**updates)
            audit.record(
                actor=user,
                action="bcp.emergency_use",
                obj=grant,
                details={"role": grant.membership.role, "path": request.path[:200], "expires_at": grant.expires_at},
            )

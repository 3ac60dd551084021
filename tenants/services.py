"""Council operations: provisioning towns, memberships, API tokens, switching towns.

Each function takes an explicit ``actor`` (None for the system itself, e.g. a command run by the
operator on the server) and writes its audit row.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from common import audit
from common.tenancy import use_public_schema
from tenants import live
from tenants.codes import is_valid_local_government_code
from tenants.errors import (
    InvalidDomain,
    InvalidMunicipalityCode,
    InvalidSchemaName,
    InvalidSwitchTicket,
    MunicipalityConflict,
    NoMembership,
    ProvisioningFailed,
)
from tenants.models import ApiToken, Domain, Membership, Municipality, Person, SwitchTicket

# PostgreSQL identifiers, lower case so that they never need quoting; "pg_" is reserved by PostgreSQL.
_SCHEMA_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_RESERVED_SCHEMAS = {"public", "information_schema", "council_archive"}
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


@dataclass(frozen=True)
class ProvisionResult:
    municipality: Municipality
    created: bool


def validate_schema_name(schema: str) -> None:
    if not _SCHEMA_RE.match(schema) or schema.startswith("pg_") or schema in _RESERVED_SCHEMAS:
        raise InvalidSchemaName(details={"schema": schema})


def _validate(*, code: str | None, kind: str, schema: str, domain: str) -> None:
    validate_schema_name(schema)
    if (kind == Municipality.Kind.TOWN or code) and not (code and is_valid_local_government_code(code)):
        raise InvalidMunicipalityCode(details={"code": code})
    if not _DOMAIN_RE.match(domain):
        raise InvalidDomain(details={"domain": domain})


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def provision_municipality(
    *,
    actor: Person | None,
    schema: str,
    name: str,
    domain: str,
    code: str | None = None,
    kana: str = "",
    kind: str = Municipality.Kind.TOWN,
    brand_color: str | None = None,
) -> ProvisionResult:
    """Create, migrate and seed a town (idempotent for the same arguments).

    Refuses — with nothing created — a wrong check digit, an invalid schema name, and a code, schema
    or domain already used by another municipality.
    """
    domain = domain.strip().lower()
    code = (code or "").strip() or None
    _validate(code=code, kind=kind, schema=schema, domain=domain)

    existing = Municipality.objects.filter(schema_name=schema).first()
    if existing is not None:
        same = (
            existing.code == code
            and existing.name == name
            and existing.kind == kind
            and Domain.objects.filter(tenant=existing, domain=domain).exists()
        )
        if not same:
            raise MunicipalityConflict(
                f"スキーマ名 {schema} は既に「{existing.name}」で使用されています(内容が異なります)。",
                details={"schema": schema},
            )
        # Same arguments: finish whatever an interrupted run left undone, then report "exists".
        existing.create_schema(check_if_exists=True, verbosity=0)
        _seed(existing, actor=actor)
        return ProvisionResult(existing, created=False)

    if code and Municipality.objects.filter(code=code).exists():
        raise MunicipalityConflict(f"団体コード {code} は既に登録されています。", details={"code": code})
    if Domain.objects.filter(domain=domain).exists():
        raise MunicipalityConflict(f"ホスト名 {domain} は既に使用されています。", details={"domain": domain})
    if schema_exists(schema):
        raise MunicipalityConflict(
            f"データベースにスキーマ {schema} が既に存在します(自治体としては未登録)。",
            details={"schema": schema},
        )

    with transaction.atomic():
        municipality = Municipality.objects.create(
            schema_name=schema,
            name=name,
            name_kana=kana,
            code=code,
            kind=kind,
            **({"brand_color": brand_color} if brand_color else {}),
        )
        Domain.objects.create(tenant=municipality, domain=domain, is_primary=True)
    try:
        # Migrating a schema runs many transactions; on failure everything is removed again so that
        # a refused or failed provisioning leaves nothing behind.
        municipality.create_schema(check_if_exists=True, verbosity=0)
        _seed(municipality, actor=actor)
        audit.record(
            actor=actor,
            action="municipality.provision",
            obj=municipality,
            details={"code": code, "schema": schema, "domain": domain, "kind": kind},
            council=True,
        )
    except Exception as exc:
        use_public_schema()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        Domain.objects.filter(tenant=municipality).delete()
        Municipality.objects.filter(pk=municipality.pk).delete()
        raise ProvisioningFailed(details={"schema": schema, "error": str(exc)[:500]}) from exc
    return ProvisionResult(municipality, created=True)


def _seed(municipality: Municipality, *, actor: Person | None) -> None:
    """Initial rows of a new town: the first link of its audit chain."""
    with schema_context(municipality.schema_name):
        from common.models import AuditEvent

        if not AuditEvent.objects.exists():
            audit.record(
                actor=actor,
                action="municipality.seed",
                obj=municipality,
                details={"name": municipality.name, "code": municipality.code},
            )


# --- Memberships -----------------------------------------------------------------------------------


def grant_membership(
    *,
    actor: Person | None,
    person: Person,
    municipality: Municipality,
    role: str,
    valid_from: date,
    valid_to: date | None = None,
    section: str = "",
    is_emergency: bool = False,
    note: str = "",
) -> Membership:
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            person=person,
            municipality=municipality,
            role=role,
            valid_from=valid_from,
            defaults={"valid_to": valid_to, "section": section, "is_emergency": is_emergency, "note": note},
        )
        audit.record(
            actor=actor,
            action="membership.grant",
            obj=membership,
            details={
                "person": person.username,
                "municipality": municipality.schema_name,
                "role": role,
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
                "emergency": is_emergency,
            },
            council=True,
        )
        # A grant edited to end earlier (or a new role) changes what the person's open sockets may reach.
        live.access_changed([person.pk])
    return membership


# --- API tokens ------------------------------------------------------------------------------------


def issue_api_token(
    *, actor: Person, municipality: Municipality, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue a bearer token; the caller has already checked the session passed 2FA."""
    if not Membership.objects.active().filter(person=actor, municipality=municipality).exists():
        raise NoMembership()
    max_days = settings.KYODO_API_TOKEN_TTL_DAYS
    days = max(1, min(days or max_days, max_days))
    raw = ApiToken.new_raw_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            person=actor,
            municipality=municipality,
            name=name[:100] or "API",
            key_prefix=raw[:12],
            key_digest=ApiToken.digest(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(
            actor=actor,
            action="api_token.issue",
            obj=(("tenants.ApiToken", token.pk, token.key_prefix)),
            details={"expires_at": token.expires_at.isoformat(), "name": token.name},
        )
    return token, raw


def revoke_api_token(*, actor: Person, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record(actor=actor, action="api_token.revoke", obj=("tenants.ApiToken", token.pk, token.key_prefix))


# --- Switching towns -------------------------------------------------------------------------------
# docs/security.md "Switching towns": a random, single-use ticket bound to the issuing session, carried in a
# POST body. Nothing in it is signed with SECRET_KEY, so knowing the key (the local settings' one is public)
# forges no login.


def create_switch_ticket(
    *,
    actor: Person,
    source: Municipality,
    target: Municipality,
    session_key: str,
    otp_device_id: str | None,
) -> str:
    """A single-use, short-lived ticket that carries a verified login to another town's host.

    Sessions are per host; the ticket lets staff working at the other town's terminal (e.g. in a
    disaster) move between the towns they belong to without typing their password again. It is valid
    only while ``session_key`` (the session that asked for it) is alive.
    """
    if not Membership.objects.active().filter(person=actor, municipality=target).exists():
        raise NoMembership()
    if not session_key:
        raise InvalidSwitchTicket()
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # Spent and expired tickets are worthless; clearing them here keeps the table at a handful of rows.
        SwitchTicket.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
        SwitchTicket.objects.create(
            person=actor,
            source=source,
            target=target,
            digest=SwitchTicket.digest_of(raw),
            session_key=session_key,
            otp_device_id=otp_device_id or "",
            created_at=now,
            expires_at=now + timedelta(seconds=settings.KYODO_SWITCH_TOKEN_SECONDS),
        )
        audit.record(actor=actor, action="town_switch.depart", details={"to": target.schema_name})
    return raw


def redeem_switch_ticket(*, ticket: str, target: Municipality, origin_host: str) -> tuple[Person, str | None]:
    """Spend a ticket at ``target``: the person and the 2FA device the issuing session was verified with.

    ``origin_host`` is the host of the page that posted the ticket (the request's Origin). It must be one of
    the issuing town's hosts: another site cannot post a ticket of its own to sign a visitor in (login CSRF).
    """
    now = timezone.now()
    if not ticket or len(ticket) > 100:
        raise InvalidSwitchTicket()
    with transaction.atomic():
        # Claimed with one conditional UPDATE: of two concurrent arrivals with the same ticket, one wins.
        claimed = SwitchTicket.objects.filter(
            digest=SwitchTicket.digest_of(ticket), target=target, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            raise InvalidSwitchTicket()
        issued = SwitchTicket.objects.select_related("person", "source").get(digest=SwitchTicket.digest_of(ticket))
        if not _session_is_alive(issued.session_key, person_id=issued.person_id, now=now):
            raise InvalidSwitchTicket()
        if not Domain.objects.filter(tenant_id=issued.source_id, domain=origin_host.lower()).exists():
            raise InvalidSwitchTicket()
        person = issued.person
        if not person.is_active or not Membership.objects.active().filter(person=person, municipality=target).exists():
            raise NoMembership()
        audit.record(actor=person, action="town_switch.arrive", details={"from": issued.source.schema_name})
    return person, issued.otp_device_id or None


def _session_is_alive(session_key: str, *, person_id: int, now: datetime) -> bool:
    """The issuing session still exists, has not expired and is still this person's (not logged out)."""
    session = Session.objects.filter(session_key=session_key, expire_date__gt=now).first()
    return session is not None and session.get_decoded().get(SESSION_KEY) == str(person_id)


# --- signing in (the pages in tenants.views and django-axes's signals call these) -----------------------------


def record_sign_in(*, person: Person, roles: Iterable[str]) -> None:
    """The password step succeeded in this town (the second factor follows: mfa.verify_second_factor)."""
    audit.record(actor=person, action="auth.login", details={"stage": "password"}, role=",".join(sorted(roles)))


def refuse_sign_in(*, person: Person, reason: str) -> None:
    audit.record(actor=person, action="auth.login_refused", details={"reason": reason})


def record_sign_out(*, person: Person, session_key: str | None = None) -> None:
    """The person signed out: the audit row, and the session's live connections (chat) close (tenants.live)."""
    audit.record(actor=person, action="auth.logout")
    live.end_session(session_key)


def record_failed_sign_in(*, username: str) -> None:
    """A wrong password for ``username`` (a person only if that login id exists)."""
    name = username[:64]
    audit.record(
        actor=Person.objects.filter(username=name).first(), action="auth.login_failed", details={"username": name}
    )


def record_lockout(*, username: str, ip_address: str | None) -> None:
    """django-axes locked the login id out after repeated failures."""
    name = username[:64]
    audit.record(
        actor=Person.objects.filter(username=name).first(),
        action="auth.locked_out",
        details={"username": name, "ip_address": ip_address},
    )


# --- IT staff's admin and the daily membership log -------------------------------------------------------------


def _is_council_model(obj: Model) -> bool:
    """A model of an app that lives only in the public schema (tenants, bcp, …): council-level data."""
    config = apps.get_app_config(obj._meta.app_label)
    return config.name not in settings.TENANT_APPS and config.name in settings.SHARED_APPS


def record_admin_change(*, actor: Person | None, obj: Model, action: str, message: Any) -> None:
    """An admin add, change or delete (inside the admin's own transaction): council data on the council trail."""
    audit.record(
        actor=actor,
        action=f"admin.{action}",
        obj=obj,
        details={"model": obj._meta.label, "message": str(message)[:500]},
        council=_is_council_model(obj),
    )
    # An account switched off or a membership ended in the admin: the person's open sockets re-check (tenants.live).
    if isinstance(obj, Person):
        live.access_changed([obj.pk])
    elif isinstance(obj, Membership):
        live.access_changed([obj.person_id])


def log_membership_transitions(*, today: date) -> int:
    """Note in the council trail every membership that took effect ``today`` or ended the day before.

    Access itself needs no job (it is evaluated per request); this only leaves the auditors a record of when
    transfers and emergency memberships actually started and lapsed. Safe to re-run: each note carries a key.
    """
    from common.models import AuditEvent

    written = 0
    started = Membership.objects.filter(valid_from=today).select_related("person", "municipality")
    ended = Membership.objects.filter(valid_to=today - timedelta(days=1)).select_related("person", "municipality")
    for action, memberships in (("membership.started", started), ("membership.ended", ended)):
        for membership in memberships:
            key = f"{action}:{membership.pk}:{today.isoformat()}"
            if AuditEvent.objects.filter(action=action, details__key=key).exists():
                continue
            audit.record(
                actor=None,
                action=action,
                obj=membership,
                details={
                    "key": key,
                    "person": membership.person.username,
                    "municipality": membership.municipality.schema_name,
                    "role": membership.role,
                    "emergency": membership.is_emergency,
                },
                council=True,
            )
            written += 1
    return written

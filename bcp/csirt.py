"""The council's CSIRT register and its versioned policy documents (docs/bcp.md §8).

自治体情報セキュリティポリシーに関するガイドライン (総務省) asks each body to keep a CSIRT that records every
incident — detection, severity, the towns affected, what was done and when — and to keep its security policy
and ICT-BCP under version control. The council keeps one register for both towns (共通の情報セキュリティポリシー).

Incidents carry a 管理番号 ``CSIRT-<year>-<NNN>`` numbered per calendar year (Asia/Tokyo) of registration. Their
timeline is only ever appended to: there is no service that edits or deletes an IncidentEvent, the admin shows
them read-only, and every status change is itself an event. Policy documents are versioned: each change is a
new version with the SHA-256 of its body; an approved version is never changed again.

Writes are the council's (an it_admin membership at the council); every write is audited in the council trail.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from bcp.disaster import is_council_it_admin
from bcp.models import Incident, IncidentEvent, IncidentSeverity, IncidentStatus, PolicyDocument, PolicyKind
from common import audit
from common.errors import ApplicationError, PermissionDenied
from tenants.models import Municipality, Person

AUDIT_LABELS = {
    "bcp.incident_create": "BCP: インシデントの登録",
    "bcp.incident_event": "BCP: インシデント経過の記録",
    "bcp.incident_status": "BCP: インシデントの状態変更",
    "bcp.policy_version": "BCP: 規程文書の新しい版の作成",
    "bcp.policy_approve": "BCP: 規程文書の承認",
}

NUMBER_PREFIX = "CSIRT"
NUMBER_RE = re.compile(rf"^{NUMBER_PREFIX}-(\d{{4}})-(\d{{3,}})$")

# Timeline entries a person writes; "status" and "resolution" come only from a status change.
EVENT_KINDS = {
    "detection": "検知",
    "action": "対応",
    "communication": "連絡・報告",
    "status": "状態変更",
    "resolution": "解決",
}
WRITABLE_EVENT_KINDS = ("detection", "action", "communication")

# Allowed status changes. CLOSED is final (the record is complete); a resolved incident may be reopened.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IncidentStatus.OPEN: (IncidentStatus.CONTAINED, IncidentStatus.RESOLVED),
    IncidentStatus.CONTAINED: (IncidentStatus.OPEN, IncidentStatus.RESOLVED),
    IncidentStatus.RESOLVED: (IncidentStatus.OPEN, IncidentStatus.CLOSED),
    IncidentStatus.CLOSED: (),
}


class CsirtError(ApplicationError):
    code = "csirt_error"


class NotCsirtStaff(PermissionDenied):
    code = "not_council_it_admin"
    message = "CSIRT台帳と規程文書の更新は、協議会の情報システム担当が行います。"


class InvalidIncident(CsirtError):
    code = "incident_invalid"
    message = "インシデントの入力内容に誤りがあります。"


class InvalidTransition(CsirtError):
    code = "incident_invalid_transition"
    message = "この状態からは指定の状態に変更できません。"


class IncidentClosed(CsirtError):
    code = "incident_closed"
    message = "完了したインシデントには経過を追加できません。"


class PolicyApproved(CsirtError):
    code = "policy_version_approved"
    message = "承認済みの版は変更できません。改定は新しい版として作成してください。"


class PolicyNotLatest(CsirtError):
    code = "policy_version_not_latest"
    message = "承認できるのは最新の版だけです。"


class PolicyUnchanged(CsirtError):
    code = "policy_unchanged"
    message = "前の版と本文・表題が同じです。変更がなければ新しい版は作成できません。"


class InvalidPolicy(CsirtError):
    code = "policy_invalid"
    message = "規程文書の入力内容に誤りがあります。"


def _require_staff(actor: Person) -> None:
    if not is_council_it_admin(actor):
        raise NotCsirtStaff()


# --- Incidents ----------------------------------------------------------------------------------------------


def next_incident_number(year: int) -> str:
    """The next 管理番号 of ``year``. Call inside the transaction that holds the year's advisory lock."""
    prefix = f"{NUMBER_PREFIX}-{year:04d}-"
    numbers = Incident.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(m.group(2)) for n in numbers if (m := NUMBER_RE.match(n))), default=0)
    return f"{prefix}{last + 1:03d}"


def create_incident(
    *,
    actor: Person,
    title: str,
    severity: str,
    detected_at: datetime,
    summary: str,
    affected_towns: list[Municipality],
) -> Incident:
    _require_staff(actor)
    title = " ".join((title or "").split())
    errors = {}
    if not title:
        errors["title"] = "件名を入力してください。"
    if severity not in IncidentSeverity.values:
        errors["severity"] = "重大度を選択してください。"
    if not (summary or "").strip():
        errors["summary"] = "概要を入力してください。"
    if detected_at > timezone.now():
        errors["detected_at"] = "検知日時に未来の日時は指定できません。"
    if any(town.kind != Municipality.Kind.TOWN for town in affected_towns):
        errors["affected_towns"] = "影響を受けた団体には構成団体(町)を選択してください。"
    if errors:
        raise InvalidIncident(" ".join(errors.values()), details=errors)
    year = timezone.localdate().year
    with transaction.atomic():
        # Serialise numbering per year: two registrations at once must not take the same number.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"bcp.incident_number.{year}"])
        incident = Incident.objects.create(
            number=next_incident_number(year),
            title=title[:200],
            severity=severity,
            detected_at=detected_at,
            summary=summary.strip(),
            reported_by=actor,
        )
        incident.affected_towns.set(affected_towns)
        IncidentEvent.objects.create(
            incident=incident, occurred_at=detected_at, kind="detection", description=summary.strip(), actor=actor
        )
        audit.record(
            actor=actor,
            action="bcp.incident_create",
            obj=incident,
            details={
                "number": incident.number,
                "severity": severity,
                "affected_towns": sorted(t.schema_name for t in affected_towns),
            },
            council=True,
        )
    return incident


def add_incident_event(
    *, actor: Person, incident: Incident, kind: str, occurred_at: datetime, description: str
) -> IncidentEvent:
    _require_staff(actor)
    if kind not in WRITABLE_EVENT_KINDS:
        raise InvalidIncident("経過の種別を選択してください。", details={"kind": kind})
    if not (description or "").strip():
        raise InvalidIncident("内容を入力してください。", details={"description": "required"})
    if occurred_at > timezone.now():
        raise InvalidIncident("日時に未来の日時は指定できません。", details={"occurred_at": occurred_at.isoformat()})
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.status == IncidentStatus.CLOSED:
            raise IncidentClosed()
        event = IncidentEvent.objects.create(
            incident=locked, occurred_at=occurred_at, kind=kind, description=description.strip(), actor=actor
        )
        audit.record(
            actor=actor,
            action="bcp.incident_event",
            obj=locked,
            details={"number": locked.number, "event": event.pk, "kind": kind},
            council=True,
        )
    return event


def change_incident_status(*, actor: Person, incident: Incident, status: str, note: str = "") -> Incident:
    _require_staff(actor)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if status not in TRANSITIONS.get(locked.status, ()):
            raise InvalidTransition(details={"from": locked.status, "to": status})
        previous = locked.status
        now = timezone.now()
        locked.status = status
        locked.closed_at = now if status == IncidentStatus.CLOSED else None
        locked.save(update_fields=["status", "closed_at"])
        text = f"{IncidentStatus(previous).label} → {IncidentStatus(status).label}"
        if note.strip():
            text += f": {note.strip()}"
        IncidentEvent.objects.create(
            incident=locked,
            occurred_at=now,
            kind="resolution" if status == IncidentStatus.RESOLVED else "status",
            description=text,
            actor=actor,
        )
        audit.record(
            actor=actor,
            action="bcp.incident_status",
            obj=locked,
            details={"number": locked.number, "from": previous, "to": status},
            council=True,
        )
    return locked


def incidents_for(tenant: Municipality) -> QuerySet[Incident]:
    """The council sees the whole register; a town sees the incidents that affected it."""
    incidents = Incident.objects.prefetch_related("affected_towns").order_by("-detected_at", "-pk")
    if tenant.kind != Municipality.Kind.COUNCIL:
        incidents = incidents.filter(affected_towns=tenant)
    return incidents


# --- Policy documents ---------------------------------------------------------------------------------------


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _normalise(body: str) -> str:
    # One newline convention, so that a browser's CRLF does not make every line differ from the last version.
    return body.replace("\r\n", "\n").replace("\r", "\n").rstrip() + "\n"


def create_policy_version(
    *,
    actor: Person,
    kind: str,
    title: str,
    body: str,
    change_summary: str = "",
    effective_on: date | None = None,
) -> PolicyDocument:
    """A change is always a new version (never an edit of an existing one)."""
    _require_staff(actor)
    if kind not in PolicyKind.values:
        raise InvalidPolicy("文書の種類を選択してください。", details={"kind": kind})
    title = " ".join((title or "").split())
    if not title or not (body or "").strip():
        raise InvalidPolicy("表題と本文を入力してください。")
    body = _normalise(body)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"bcp.policy.{kind}"])
        latest = PolicyDocument.objects.filter(kind=kind).order_by("-version").first()
        if latest is not None and latest.body == body and latest.title == title:
            raise PolicyUnchanged()
        version = (PolicyDocument.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
        document = PolicyDocument.objects.create(
            kind=kind,
            version=version,
            title=title[:200],
            body=body,
            change_summary=change_summary.strip()[:500],
            effective_on=effective_on,
            created_by=actor,
            sha256=body_sha256(body),
        )
        audit.record(
            actor=actor,
            action="bcp.policy_version",
            obj=document,
            details={"kind": kind, "version": version, "sha256": document.sha256},
            council=True,
        )
    return document


def approve_policy_version(*, actor: Person, document: PolicyDocument) -> PolicyDocument:
    _require_staff(actor)
    with transaction.atomic():
        locked = PolicyDocument.objects.select_for_update().get(pk=document.pk)
        if locked.approved_at is not None:
            raise PolicyApproved()
        newest = PolicyDocument.objects.filter(kind=locked.kind).aggregate(v=Max("version"))["v"]
        if locked.version != newest:
            raise PolicyNotLatest()
        if body_sha256(locked.body) != locked.sha256:
            raise PolicyApproved("本文のハッシュが記録と一致しません。承認できません。", code="policy_hash_mismatch")
        locked.approved_at = timezone.now()
        locked.approved_by = actor
        locked.save(update_fields=["approved_at", "approved_by"])
        audit.record(
            actor=actor,
            action="bcp.policy_approve",
            obj=locked,
            details={"kind": locked.kind, "version": locked.version, "sha256": locked.sha256},
            council=True,
        )
    return locked


def current_policy(kind: str) -> PolicyDocument | None:
    """The version in force: the newest approved one."""
    return PolicyDocument.objects.filter(kind=kind, approved_at__isnull=False).order_by("-version").first()


def previous_version(document: PolicyDocument) -> PolicyDocument | None:
    return PolicyDocument.objects.filter(kind=document.kind, version__lt=document.version).order_by("-version").first()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    sign: str  # "+", "−", " ", "@" — the change is told by a sign, not by colour alone
    text: str


def policy_diff(document: PolicyDocument, previous: PolicyDocument | None) -> list[DiffLine]:
    old = previous.body.splitlines() if previous is not None else []
    lines = []
    for raw in difflib.unified_diff(old, document.body.splitlines(), lineterm="", n=2):
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            lines.append(DiffLine("hunk", "@", raw))
        elif raw.startswith("+"):
            lines.append(DiffLine("add", "+", raw[1:]))
        elif raw.startswith("-"):
            lines.append(DiffLine("remove", "−", raw[1:]))
        else:
            lines.append(DiffLine("context", " ", raw[1:]))
    return lines

"""Every page renders for the people allowed to see it: no route answers a server error.

Routes are enumerated from the URL configuration (as in the isolation suite), so a new page is covered
without editing this file. Every parameter of every route is filled with a real row written here through the
services (the test database holds the demo council without residents) — a 宛名番号, 世帯番号, 異動, 発行番号, 戸籍,
支援措置, 取込, 災害, … — never a placeholder: a route whose parameter has no real row fails the test until one is
named in ``_real_rows``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp import csirt
from bcp import disaster as disasters
from bcp.backup import raise_alert
from bcp.models import AlertSeverity, Backup, BackupCopy, PolicyKind
from common.dates import local_today
from common.town_settings import MAYOR_NAME, record_setting
from koseki.models import Entry, Member
from resident_records import certificates, support
from resident_records.models import (
    CertificateKind,
    ChangeEvent,
    ClerkTask,
    ClerkTaskKind,
)
from tenants.models import Municipality, Person
from tenants.services import issue_api_token
from tests.bcp.conftest import make_fs_site
from tests.koseki.factories import yamada_family
from tests.resident_records.factories import move_in_family, person, refused_import
from tests.support.module_rows import module_rows, seed_module_demos
from tests.support.routes import Route, all_routes
from tests.support.shared_rows import written_once

_ADMIN_MODEL = re.compile(r"^/?admin/(?P<app>\w+)/(?P<model>\w+)/")

VIEWERS = [("it_admin", "council"), ("it_admin", "nakatosa"), ("auditor", "nakatosa"), ("tanaka", "nakatosa")]
SKIPPED = ("logout", "switch")  # these end the session or leave the host; covered by their own tests
VERIFICATION_CODE = "ABCDEFGHJKLMNPQR"

RealRows = dict[tuple[str, str], str]  # (route name or "*", parameter) -> a real value


def _real_rows(viewer: Person, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RealRows:
    """A real row for every route parameter: the demo town's register, and rows written through the services."""
    it_admin = Person.objects.get(username="it_admin")
    clerk = Person.objects.get(username="tanaka")
    towns = {t.schema_name: t for t in Municipality.objects.all()}
    with schema_context("nakatosa"):
        household, (resident, *_) = move_in_family(clerk)
        event = ChangeEvent.objects.filter(records__resident=resident).order_by("-pk").first()
        assert event is not None
        # A 支援措置 for someone of another household, so that the resident above stays certifiable.
        _, (protected,) = move_in_family(
            clerk, members=[person("鈴木", "花", "スズキ", "ハナ", birth=date(1990, 3, 3), sex="2")],
            address="高知県高岡郡中土佐町矢井賀 2",
        )  # fmt: skip
        measure = support.apply_support_measure(actor=clerk, resident=protected)
        monkeypatch.setattr(certificates, "new_verification_code", lambda: VERIFICATION_CODE)
        issuance, _ = certificates.issue_certificate(
            actor=clerk, kind=CertificateKind.RESIDENCE_COPY, purpose="本人確認のため", requested_by="本人",
            household=household, residents=[resident],
        )  # fmt: skip
        job = refused_import(viewer)
        task = ClerkTask.objects.create(
            kind=ClerkTaskKind.values[0], summary="出生届の住所地が町外", source_reference=f"test:{uuid.uuid4()}"
        )
        koseki = yamada_family()
        member = Member.objects.filter(koseki=koseki).order_by("pk").first()
        entry = Entry.objects.filter(koseki=koseki).order_by("pk").first()
        assert member is not None
        assert entry is not None
    # The council's rows (public schema): a 災害 in 四万十町 with a grant to a 中土佐町 clerk, an incident, a policy.
    declared = disasters.declare_disaster(actor=it_admin, municipality=towns["shimanto"], title="豪雨災害")
    grant = disasters.grant_emergency_access(actor=it_admin, disaster=declared, person=clerk, role="clerk", hours=8)
    incident = csirt.create_incident(
        actor=it_admin, title="不審メール", severity="high", detected_at=timezone.now() - timedelta(hours=1),
        summary="職員端末でEDRが検知", affected_towns=[towns["nakatosa"]],
    )  # fmt: skip
    policy = csirt.create_policy_version(
        actor=it_admin, kind=PolicyKind.ICT_BCP, title="ICT-BCP", body="第1条 目的", change_summary="初版"
    )
    token, _ = issue_api_token(actor=viewer, municipality=towns["nakatosa"], name="画面の確認")
    # The rows the platform's admin lists: a backup site, a night's backup and its copy, an alert, a town setting.
    site = make_fs_site(tmp_path / "site", set_up=False)
    backup = Backup.objects.create(schema_name="nakatosa", municipality_name="中土佐町", scheduled_for=local_today())
    BackupCopy.objects.create(backup=backup, site=site)
    raise_alert(kind="backup_failed", severity=AlertSeverity.WARNING, message="バックアップが遅れています。", site=site)
    with schema_context(schema):
        record_setting(actor=it_admin, key=MAYOR_NAME, value="池田　洋光", effective_from=local_today())
    rows: RealRows = {
        ("*", "atena_number"): resident.atena_number,
        ("*", "number"): household.number,
        ("*", "event_id"): str(event.pk),
        ("resident_records:correction", "kind"): "clerical",
        ("resident_records:void_issuance", "number"): issuance.number,
        ("*", "issuance_number"): issuance.number,
        ("verify:result", "code"): certificates.format_code(VERIFICATION_CODE),
        ("accounts:revoke_token", "pk"): str(token.pk),
        ("bcp:grant_revoke", "pk"): str(grant.pk),
        ("bcp:policy_kind", "kind"): policy.kind,
        ("bcp:policy_new", "kind"): policy.kind,
        # The admin's own parameters: an app's index, the "view on site" shortcut, a person's password form.
        ("*", "app_label"): "tenants",
        ("*", "content_type_id"): str(ContentType.objects.get_for_model(Person).pk),
        ("admin:view_on_site", "object_id"): str(viewer.pk),
        ("*", "id"): str(viewer.pk),
        ("*", "url"): "kyodo-unknown/",  # the admin's catch-all: a path no admin page has
    }
    by_prefix: list[tuple[str, str, str]] = [
        ("resident_records:support_", "public_id", str(measure.public_id)),
        ("resident_records:import_job", "public_id", str(job.public_id)),
        ("api:resident_records:import_job", "public_id", str(job.public_id)),
        ("resident_records:complete_clerk_task", "public_id", str(task.public_id)),
        ("koseki:members", "public_id", str(member.public_id)),
        ("koseki:correction", "public_id", str(entry.public_id)),
        ("koseki:", "public_id", str(koseki.public_id)),
        ("bcp:disaster", "pk", str(declared.pk)),
        ("bcp:grant", "pk", str(declared.pk)),
        ("bcp:incident", "pk", str(incident.pk)),
        ("bcp:policy", "pk", str(policy.pk)),
        *module_rows(viewer=viewer, schema=schema, it_admin=it_admin, disaster=declared, host=declared.municipality),
    ]
    member_views = {r.name for r in all_routes() if r.name and r.route.startswith("koseki/members/")}
    for route in all_routes():
        for name, _converter in route.params():
            if not route.name or (route.name, name) in rows:
                continue
            prefix = "koseki:members" if route.name in member_views else route.name
            found = next((v for p, n, v in by_prefix if n == name and prefix.startswith(p)), None)
            if found is not None:
                rows[(route.name, name)] = found
    return rows


# Apps whose rows live in the council's schema whatever the host (the meetings: docs/domain/meetings.md §1).
COUNCIL_APPS = {"groupware_meetings"}


def _values(schema: str, rows: RealRows, missing: list[str]) -> Callable[[Route, str, str], str]:
    def values(route: Route, name: str, converter: str) -> str:
        match = _ADMIN_MODEL.match(route.route)
        if match and name == "object_id":
            try:
                model = apps.get_model(match["app"], match["model"])
            except LookupError:
                missing.append(f"{route} {name}")
                return "1"
            label = model._meta.app_label
            where = "public" if label in ("tenants", "bcp") else "council" if label in COUNCIL_APPS else schema
            with schema_context(where):
                pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            if pk is None:
                missing.append(f"{route} {name} (no {model.__name__} row)")
            return str(pk or 1)
        value = rows.get((route.name or "", name)) or rows.get(("*", name))
        if value is None:
            missing.append(f"{route} {name}")
            return "1"
        return value

    return values


@pytest.fixture(scope="module")
def _module_demos(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The modules' demo loaders (the slow part of the rows) run once for the four viewers, in a transaction
    rolled back after the last of them; each viewer's own rows are still written in its test."""
    yield from written_once(django_db_blocker, seed_module_demos)


@pytest.mark.parametrize(("username", "schema"), VIEWERS, ids=[f"{u}@{s}" for u, s in VIEWERS])
def test_no_page_answers_a_server_error(
    _module_demos: None, client_for: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, username: str, schema: str
) -> None:
    viewer = Person.objects.get(username=username)
    rows = _real_rows(viewer, schema, monkeypatch, tmp_path)
    client = client_for(username, schema)
    failures: list[str] = []
    missing: list[str] = []
    built: list[str] = []
    for route in all_routes():
        if any(word in route.route for word in SKIPPED):
            continue
        path = route.build(_values(schema, rows, missing))
        built.append(path)
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"{path} -> {response.status_code}")
    assert not failures, failures
    # Every parameter was a real row: no placeholder was used.
    assert not missing, "\n".join(sorted(set(missing)))
    # ... and the path the router resolved holds it (Route.build falls back to placeholders when a value
    # does not resolve to its route).
    assert f"/resident_records/residents/{rows[('*', 'atena_number')]}/" in built
    assert f"/bcp/incidents/{rows[('bcp:incident', 'pk')]}/" in built

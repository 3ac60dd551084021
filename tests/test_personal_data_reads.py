"""No read of personal data without a purpose and an audit row (docs/security.md, CONTRIBUTING.md), for every route.

The pages of the resident register and the koseki module are enumerated from the URL configuration
(tests.support.routes), so a page added later is covered without editing this file: it is either behind the
purpose gate (common.purpose.PurposeGate) or listed below with the reason it shows nobody's details. Each gated
page is opened with real rows of 中土佐町 and must write personal-data audit rows carrying the purpose; opened
without a purpose, it shows the purpose page and writes nothing. Object ids in their URLs are 宛名番号, 世帯番号
or opaque UUIDs, never row ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from common.models import AuditEvent, Job
from common.purpose import intrinsic_purpose, reads_personal_data
from koseki.models import Entry, Koseki, Member
from koseki.views import PREVIEW_SESSION_KEY as KOSEKI_PREVIEW
from koseki.views import PURPOSE_SESSION_KEY as KOSEKI_PURPOSE
from resident_records import certificates, services
from resident_records.models import CertificateIssuance, ChangeEvent, Household, RequesterKind, Resident
from resident_records.services import Versioned
from resident_records.views import PREVIEW_SESSION_KEY as RESIDENT_PREVIEW
from resident_records.views import PURPOSE_SESSION_KEY as RESIDENT_PURPOSE
from resident_records.views import issued_pdf_key
from tenants.models import Person
from tests.koseki.factories import yamada_family
from tests.resident_records.factories import family, move_in_family, refused_import
from tests.support.routes import Route, api_routes, browser_routes

pytestmark = pytest.mark.django_db

PERSONAL_MODULES = {"resident_records", "koseki"}
ROUTES = [r for r in browser_routes() if set(r.namespaces) & PERSONAL_MODULES]
GATED = [r for r in ROUTES if reads_personal_data(r.callback)]
ASKING = [r for r in GATED if not intrinsic_purpose(r.callback)]  # pages that ask the clerk for the purpose

# Pages of these modules that show nobody's details. Adding a name here is a reviewed decision.
NO_PERSON_SHOWN = {
    "resident_records:search": "GET is the empty form; results come by POST through selectors.find_residents",
    "resident_records:move_in": "an empty form for persons not yet registered",
    "resident_records:import": "the upload form; the file is read by the job, csv_io.import_csv audits it",
    "resident_records:import_job_status": "state, progress and counts; the row errors are left out (errors_limit=0)",
    "resident_records:inspection": "the form; the 閲覧 list is built by inspection.prepare_inspection_list (audited)",
    "resident_records:reveal_my_number": "POST only; selectors.reveal_my_number audits with its own purpose",
    "resident_records:void_issuance": "POST only: a 発行番号 and a reason",
    "resident_records:support_attention": "宛名番号 and dates only; audited as support_measure.attention_list",
    "resident_records:support_extend": "POST only, on a measure (named by its public_id)",
    "resident_records:support_release": "a measure's dates and scopes, no names (named by its public_id)",
    "resident_records:support_temporary_release": "a measure's dates and scopes, no names (named by its public_id)",
    "resident_records:clerk_tasks": "処理待ち: kinds and summaries naming 宛名番号 only, never names",
    "resident_records:complete_clerk_task": "POST only, on a task (named by its public_id)",
    "koseki:search": "GET is the empty form; results come by POST through selectors.search_registers",
    "koseki:wide_area": "GET is the empty form; the other town's registers are read by koseki.wide_area (audited)",
    "koseki:naturalization": "an empty form for a person in no register yet (帰化届・国籍取得届)",
}

# The API: a read of personal data takes ?purpose= (serializers.PurposeQuery) and goes through the same selector.
API_ROUTES = [r for r in api_routes() if (module := r.module()) is not None and module.key in PERSONAL_MODULES]
API_NO_PERSON_SHOWN = {
    "api:resident_records:events": "the 異動 log: event facts and numbers, no names (audited as resident.event_list)",
    "api:resident_records:import": "POST only; csv_io.import_csv audits the check and the load",
    "api:resident_records:import_job": "a job's progress and row errors (row numbers, column names, messages)",
    "api:resident_records:issuances": "the 交付履歴 without names (audited as certificate.log_list)",
    "api:resident_records:support_attention": "宛名番号 and dates only (audited as support_measure.attention_list)",
    "api:koseki:issuances": "the 交付履歴 without names (audited as koseki.issuance_log)",
    "api:koseki:notifications": "the 受付帳 without names (audited as koseki.notification_log)",
}
API_READS = [r for r in API_ROUTES if r.name not in API_NO_PERSON_SHOWN]

SESSION_PURPOSE = "住民からの相談への対応"
SEQUENTIAL_ID = re.compile(r"^\d{1,9}$")


@dataclass(frozen=True)
class Rows:
    resident: Resident
    household: Household
    event: ChangeEvent
    koseki: Koseki
    member: Member
    entry: Entry
    job: Job
    issuance: CertificateIssuance

    def value(self, route: Route, name: str, converter: str) -> str:
        if name == "atena_number":
            return self.resident.atena_number
        if name == "number":
            return self.household.number
        if name == "issuance_number":
            return self.issuance.number
        if name == "event_id":
            return str(self.event.pk)
        if name == "kind":
            return "clerical"
        if name == "public_id":
            if "import/" in f"/{route.route}":
                return str(self.job.public_id)
            if "/members/" in f"/{route.route}":
                return str(self.member.public_id)
            if "/entries/" in f"/{route.route}":
                return str(self.entry.public_id)
            return str(self.koseki.public_id)
        raise AssertionError(f"no real value for <{converter}:{name}> in {route}")


@pytest.fixture
def rows(db: Any) -> Rows:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"):
        household, residents = move_in_family(clerk, members=family())
        services.record_change_of_address(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 10, 1),
            notified_on=date(2026, 10, 2), address="高知県高岡郡中土佐町矢井賀 55",
        )  # fmt: skip
        household.refresh_from_db()
        head = Resident.objects.select_related("household").get(pk=residents[0].pk)
        event = ChangeEvent.objects.filter(records__resident=head).order_by("-pk").first()
        koseki = yamada_family()
        member = Member.objects.filter(koseki=koseki).order_by("position").first()
        entry = Entry.objects.filter(koseki=koseki, member=member).order_by("pk").first()
        job = refused_import(clerk)
        issuance, _ = certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="本人", residents=[head]
        )
    assert event is not None
    assert member is not None
    assert entry is not None
    return Rows(
        resident=head, household=household, event=event, koseki=koseki, member=member, entry=entry, job=job,
        issuance=issuance,
    )  # fmt: skip


def _with_session(client: Client, **values: Any) -> Client:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()
    return client


def _confirmed_resident_certificate(client: Client, rows: Rows) -> None:
    preview = {
        "kind": "residence_copy",
        "members": [str(rows.resident.pk)],
        "whole_household": False,
        "head_and_relationship": False,
        "domicile": False,
        "resident_code": False,
        "my_number": False,
        "purpose": "運転免許の更新",
        "requester_kind": RequesterKind.SELF.value,  # who asks decides what may be printed (住基法 第12条)
    }
    _with_session(client, **{RESIDENT_PREVIEW: {str(rows.resident.pk): preview}})


def _issued_pdf_waiting(client: Client, rows: Rows) -> None:
    """The PDF of an issuance waits for the clerk who issued it (views.issued_pdf_key), just after the issue."""
    user_id = Person.objects.get(username="tanaka").pk
    key = issued_pdf_key(schema="nakatosa", user_id=user_id, issuance_number=rows.issuance.number)
    # Cache keys carry the schema (django_tenants.cache.make_key): set it as the town's request will read it.
    with schema_context("nakatosa"):
        cache.set(key, b"%PDF-1.4 issued", 600)


def _confirmed_koseki_certificate(client: Client, rows: Rows) -> None:
    preview = {"kind": "full", "members": [], "purpose": "旅券の申請"}
    _with_session(client, **{KOSEKI_PREVIEW: {str(rows.koseki.pk): preview}})


# What a page needs before it can show anything: the 見本 is fetched after the clerk confirmed a request.
PREPARE: dict[str, Callable[[Client, Rows], None]] = {
    "resident_records:certificate_preview": _confirmed_resident_certificate,
    "koseki:certificate_preview": _confirmed_koseki_certificate,
    "resident_records:issued_pdf": _issued_pdf_waiting,
}
REQUEST_PURPOSE = {"resident_records:certificate_preview": "運転免許の更新", "koseki:certificate_preview": "旅券の申請"}


def _personal_rows_since(seq: int) -> list[AuditEvent]:
    with schema_context("nakatosa"):
        return list(AuditEvent.objects.filter(seq__gt=seq, personal_data=True).order_by("seq"))


def _last_seq() -> int:
    with schema_context("nakatosa"):
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _ids(routes: list[Route]) -> list[str]:
    return [r.name or str(r) for r in routes]


def test_the_walk_covers_the_personal_data_pages() -> None:
    names = {r.name for r in GATED}
    assert {"resident_records:resident", "resident_records:death", "resident_records:certificate",
            "koseki:register", "koseki:birth", "koseki:issuances"} <= names  # fmt: skip


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_every_page_is_gated_or_shows_nobody(route: Route) -> None:
    gated = reads_personal_data(route.callback)
    assert gated or route.name in NO_PERSON_SHOWN, f"{route} shows data without the purpose gate"
    assert not (gated and route.name in NO_PERSON_SHOWN), f"{route} is gated: remove it from NO_PERSON_SHOWN"


@pytest.mark.parametrize("route", ROUTES + API_ROUTES, ids=_ids(ROUTES + API_ROUTES))
def test_no_object_is_named_by_a_row_id(route: Route) -> None:
    for name, converter in route.params():
        if name == "event_id":
            continue  # an 異動 of the resident the URL names by 宛名番号; looked up among that resident's events only
        assert converter != "int", f"{route}: <{converter}:{name}> is a guessable sequence"


@pytest.mark.parametrize("route", GATED, ids=_ids(GATED))
def test_each_read_writes_audit_rows_with_its_purpose(client_for: Any, rows: Rows, route: Route) -> None:
    client = _with_session(
        client_for("tanaka", "nakatosa"), **{RESIDENT_PURPOSE: SESSION_PURPOSE, KOSEKI_PURPOSE: SESSION_PURPOSE}
    )
    if route.name in PREPARE:
        PREPARE[route.name](client, rows)
    path = route.build(rows.value)
    assert not any(SEQUENTIAL_ID.match(part) for part in path.split("/") if part not in {str(rows.event.pk)})
    start = _last_seq()
    response = client.get(path)
    assert response.status_code == 200, path
    written = _personal_rows_since(start)
    assert written, f"{path} showed personal data without an audit row"
    # The 見本 is audited with the purpose stated on the certificate request (what the requester will use it for).
    expected = REQUEST_PURPOSE.get(route.name or "") or intrinsic_purpose(route.callback) or SESSION_PURPOSE
    assert {row.purpose for row in written} == {expected}
    assert {row.actor_username for row in written} == {"tanaka"}


@pytest.mark.parametrize("route", ASKING, ids=_ids(ASKING))
def test_without_a_purpose_only_the_purpose_page_is_shown(client_for: Any, rows: Rows, route: Route) -> None:
    client = client_for("tanaka", "nakatosa")
    path = route.build(rows.value)
    start = _last_seq()
    response = client.get(path)
    assert response.status_code == 200
    assert response.templates[0].name.endswith("/purpose.html")
    assert _personal_rows_since(start) == []
    given = client.get(path, {"purpose": "  国民健康保険の資格確認 "})
    assert given.status_code == 302
    assert given["Location"] == path


def test_a_page_that_forgets_its_selector_is_refused(rf: Any) -> None:
    """The gate refuses to answer a personal-data page built without an audited read (a view's bug)."""
    from django.contrib.sessions.backends.cache import SessionStore

    from common.purpose import UnauditedRead
    from resident_records.views import personal_data_page

    @personal_data_page()
    def forgetful(request: Any, *, purpose: str) -> Any:
        from django.http import HttpResponse

        return HttpResponse("山田 太郎")

    request = rf.get("/resident_records/x/")
    request.session = SessionStore()
    request.session[RESIDENT_PURPOSE] = SESSION_PURPOSE
    with pytest.raises(UnauditedRead):
        forgetful(request)


def test_issuance_list_names_requesters_only_with_a_purpose(client_for: Any, rows: Rows) -> None:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"):
        from resident_records import certificates

        certificates.issue_certificate(
            actor=clerk, kind="residence_copy", purpose="照会", requested_by="請求者 甲野", residents=[rows.resident]
        )
        assert CertificateIssuance.objects.exists()
    client = client_for("tanaka", "nakatosa")
    assert "請求者 甲野" not in client.get("/resident_records/certificates/").content.decode()
    shown = _with_session(client, **{RESIDENT_PURPOSE: SESSION_PURPOSE}).get("/resident_records/certificates/")
    assert "請求者 甲野" in shown.content.decode()


def test_the_api_walk_covers_the_personal_data_endpoints() -> None:
    assert {r.name for r in API_READS} >= {"api:resident_records:resident", "api:resident_records:household"}
    assert set(API_NO_PERSON_SHOWN) <= {r.name for r in API_ROUTES}, "a listed endpoint no longer exists"


@pytest.mark.parametrize("route", API_READS, ids=_ids(API_READS))
def test_each_api_read_needs_a_purpose_and_writes_audit_rows(client_for: Any, rows: Rows, route: Route) -> None:
    client = client_for("tanaka", "nakatosa")
    path = route.build(rows.value)
    start = _last_seq()
    refused = client.get(path)
    assert refused.status_code == 400
    assert _personal_rows_since(start) == []
    response = client.get(path, {"purpose": "国民健康保険の資格確認", "format": "json"})
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code == 200, path
    written = _personal_rows_since(start)
    assert written, f"{path} answered personal data without an audit row"
    assert {row.purpose for row in written} == {"国民健康保険の資格確認"}

"""Rows for every API list endpoint, so that tests/test_statement_counts.py can page through each of them.

That test finds the list endpoints itself (every paginated GET in the OpenAPI schema); a module that adds a list
registers here, under the route's name, a function that creates ``count`` rows the list shows at 中土佐町
(nakatosa). A list without one fails that test with a message naming it.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Person

RowMaker = Callable[[int], "dict[str, str] | None"]  # returns the list's URL parameters, if it has any
LIST_ROWS: dict[str, RowMaker] = {}


def list_rows(name: str) -> Callable[[RowMaker], RowMaker]:
    def register(maker: RowMaker) -> RowMaker:
        LIST_ROWS[name] = maker
        return maker

    return register


def _clerk() -> Person:
    return Person.objects.get(username="tanaka")


@list_rows("api:audit:events")
def _audit_events(count: int) -> None:
    from common import audit

    with schema_context("nakatosa"):
        for _ in range(count):
            audit.record(actor=None, action="test.list_row")


@list_rows("api:resident_records:events")
def _change_events(count: int) -> None:
    from tests.resident_records.factories import move_in_family, person

    with schema_context("nakatosa"):
        for number in range(count):
            move_in_family(
                _clerk(), members=[person("鈴木", f"{number}", "スズキ", "ハジメ")], address=f"久礼 {number}"
            )


@list_rows("api:resident_records:issuances")
def _resident_issuances(count: int) -> None:
    from resident_records.models import CertificateIssuance, CertificateKind
    from tests.resident_records.factories import move_in_family, person

    with schema_context("nakatosa"):
        _, residents = move_in_family(
            _clerk(), members=[person(), person("山田", "花子", "ヤマダ", "ハナコ", relationship="妻")]
        )
        for serial in range(1, count + 1):
            issuance = CertificateIssuance.objects.create(
                number=f"2099-L{serial:06d}", year=2099, serial=serial, kind=CertificateKind.RESIDENCE_COPY,
                requested_by="本人", purpose="年金の手続", page_count=1,
                verification_code_sha256=hashlib.sha256(f"list{serial}".encode()).hexdigest(), pdf_sha256="0" * 64,
            )  # fmt: skip
            issuance.residents.set(residents)


@list_rows("api:resident_records:support_attention")
def _support_attention(count: int) -> None:
    from resident_records.models import SupportMeasure, SupportMeasureKind, SupportScope
    from tests.resident_records.factories import move_in_family, person

    today = timezone.localdate()
    with schema_context("nakatosa"):
        for number in range(count):
            _, (resident,) = move_in_family(
                _clerk(), members=[person("佐藤", f"{number}", "サトウ", "ハジメ")], address=f"久礼 {number}"
            )
            SupportMeasure.objects.create(
                resident=resident, kind=SupportMeasureKind.SUPPORT, scopes=[SupportScope.INSPECTION],
                start_on=today - timedelta(days=300), end_on=today + timedelta(days=10),
            )  # fmt: skip


@list_rows("api:koseki:issuances")
def _koseki_issuances(count: int) -> None:
    from koseki.models import CertificateIssuance, CertificateKind, RequesterRelation

    with schema_context("nakatosa"):
        for serial in range(1, count + 1):
            CertificateIssuance.objects.create(
                number=f"2099-K{serial:06d}", year=2099, serial=serial, kind=CertificateKind.FULL,
                koseki_number=f"K{serial:010d}", honseki="高知県高岡郡中土佐町久礼1番地", head_name="山田　太郎",
                requester_name="山田　太郎", requester_relation=RequesterRelation.SELF, id_document="運転免許証",
                purpose="年金の手続", fee=450, member_keys=["a"], issued_at=datetime(2026, 11, 2, 3, tzinfo=UTC),
                issued_by_name="田中 美咲", pdf_sha256="0" * 64,
                verification_code_sha256=hashlib.sha256(f"klist{serial}".encode()).hexdigest(),
            )  # fmt: skip


@list_rows("api:koseki:notifications")
def _koseki_notifications(count: int) -> None:
    from koseki.models import Notification, NotificationKind

    day = date(2026, 11, 2)
    with schema_context("nakatosa"):
        for serial in range(1, count + 1):
            Notification.objects.create(
                number=f"2099-{serial:06d}", kind=NotificationKind.BIRTH, event_date=day, notified_on=day,
                accepted_on=day, notifier_name="山田　太郎", notifier_capacity="父",
                koseki_numbers=[f"K{serial:010d}"], details={}, actor_name="田中 美咲",
            )  # fmt: skip


@list_rows("api:bcp:drills")
def _restore_drills(count: int) -> None:
    from bcp.models import DrillStatus, RestoreDrill
    from tests.bcp.test_restore import make_site

    site = make_site(Path(tempfile.mkdtemp(prefix="kyodo-list-rows-")), name=f"list-{uuid.uuid4().hex[:8]}")
    for _ in range(count):
        RestoreDrill.objects.create(schema_name="nakatosa", site=site, status=DrillStatus.PASSED)


# --- Finance, payroll and water: each module's demo loader fills 中土佐町 (the lists show what it wrote) ----------


def _finance_demo(count: int) -> None:
    from finance import demo

    demo.seed_town("nakatosa", demo._staff())  # about 60 節, hundreds of 支出負担行為, 調定 and journal lines


for _name in ("commitments", "payments", "revenues", "journal"):
    list_rows(f"api:finance:{_name}")(_finance_demo)


@list_rows("api:finance:budgets")
def _finance_budgets(count: int) -> None:
    """The demo's 当初予算 (45 節) and the next year's as the finance tests enact it, until there are ``count``."""
    from finance import demo
    from finance.models import BudgetAmount
    from tests.finance.factories import make_budget, make_people

    _finance_demo(count)
    with schema_context("nakatosa"):
        people = make_people("lists")
        year = demo.YEAR
        while BudgetAmount.objects.count() < count:
            year += 1
            make_budget(people, year=year)


def _water_demo(count: int) -> None:
    from water_billing import demo

    demo.seed_town("nakatosa", count)  # count connections, a year of readings, bills and payments


for _name in ("connections", "readings", "bills", "payments", "ledger"):
    list_rows(f"api:water_billing:{_name}")(_water_demo)


@list_rows("api:payroll:runs")
def _payroll_runs(count: int) -> None:
    from payroll import demo
    from payroll.services import runs

    demo.seed_town(schema="nakatosa", count=2, seed=2026)
    with schema_context("nakatosa"):
        for month in range(count):
            year, index = divmod(month, 12)
            pay_month = date(2030 + year, index + 1, 1)
            runs.create_run(actor=None, kind="regular", pay_month=pay_month, paid_on=pay_month.replace(day=21))


@list_rows("api:payroll:run_lines")
def _payroll_run_lines(count: int) -> dict[str, str]:
    from payroll import demo
    from payroll.models import PayRun

    demo.seed_town(schema="nakatosa", count=count, seed=2026)  # a year of runs of count staff
    with schema_context("nakatosa"):
        run = PayRun.objects.order_by("pk").first()
        assert run is not None
        return {"public_id": str(run.public_id)}


@list_rows("api:water_billing:arrears")
def _water_arrears(count: int) -> None:
    """The demo's bills, ``count`` of them past their 納期限 left unpaid (as if their payments never came)."""
    from water_billing import demo
    from water_billing.models import Bill, BillState, Payment

    demo.seed_town("nakatosa", count)
    with schema_context("nakatosa"):
        overdue = list(
            Bill.objects.filter(due_on__lt=timezone.localdate()).order_by("pk").values_list("pk", flat=True)[:count]
        )
        Payment.objects.filter(bill_id__in=overdue).delete()
        Bill.objects.filter(pk__in=overdue).update(state=BillState.UNPAID, paid_amount=0)


@list_rows("api:groupware:notices")
def _groupware_notices(count: int) -> None:
    """Town-wide notices (every office role reads them), published a day before the tests' frozen day."""
    from groupware.services import bulletin

    published = timezone.now() - timedelta(days=1)
    with schema_context("nakatosa"):
        for number in range(count):
            bulletin.post_notice(actor=_clerk(), title=f"お知らせ{number}", body="本文", publish_from=published)


# Lists of the caller's own rows: the statement-count test calls them as this person (not a fresh member).
LIST_CALLERS: dict[str, str] = {
    "api:groupware:requests": "tanaka",
    "api:groupware:requests_awaiting": "tanaka",
}


def _groupware_requests(count: int, *, applicant: str, approver: str) -> None:
    """``count`` requests of one form, each applied for by ``applicant`` and waiting for ``approver``."""
    from groupware.models import StepKind
    from groupware.services import workflow
    from groupware.services.workflow import StepSpec

    with schema_context("nakatosa"):
        form = workflow.define_form(
            actor=Person.objects.get(username="it_admin"),
            code=f"LIST{uuid.uuid4().hex[:6].upper()}",
            name="一覧用の申請",
            fields=[{"name": "note", "label": "内容", "type": "text", "required": True}],
            steps=[StepSpec(StepKind.ANY, [Person.objects.get(username=approver).pk])],
        )
        actor = Person.objects.get(username=applicant)
        for number in range(count):
            workflow.submit_request(actor=actor, form_id=form.pk, title=f"申請{number}", data={"note": "内容"})


@list_rows("api:groupware:requests")
def _groupware_my_requests(count: int) -> None:
    _groupware_requests(count, applicant="tanaka", approver="yamamoto")


@list_rows("api:groupware:requests_awaiting")
def _groupware_requests_awaiting(count: int) -> None:
    _groupware_requests(count, applicant="yamamoto", approver="tanaka")

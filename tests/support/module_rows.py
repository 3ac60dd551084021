"""Real rows of the finance, payroll, water, groupware, HQ/camera and website modules for tests/test_pages_render.py.

The test database holds the demo council only; each module's own demo loader (the one `manage.py seed_demo` runs)
fills 中土佐町 here with a small count, and the rows the routes name are read back from what it wrote. Rows no demo
loader writes (an attachment, a damage report, a camera alert, a feed token) are written through the services.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F, Model
from django_tenants.utils import schema_context

from common.dates import local_today
from tenants.models import Municipality, Person

ModuleRows = list[tuple[str, str, str]]  # (route name prefix, parameter, value), as _real_rows' by_prefix


def _write(_line: str) -> None:
    """The demo loaders report progress lines; the test has no use for them."""


def _pk(model: type[Model], **filters: Any) -> str:
    row = model._default_manager.filter(**filters).order_by("pk").first()
    assert row is not None, f"no {model.__name__} row"
    return str(row.pk)


def _public_id(model: type[Model], **filters: Any) -> str:
    row = model._default_manager.filter(**filters).order_by("pk").first()
    assert row is not None, f"no {model.__name__} row"
    return str(row.public_id)  # type: ignore[attr-defined]


def _text_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "添付資料".encode(), content_type="text/plain")


def hq_rows(*, it_admin: Person, disaster: Any, host: Municipality) -> ModuleRows:
    """The HQ of a declared 災害 (its checklist from the demo templates), a damage report, a camera's alert."""
    from bcp import cameras, hq, hq_demo
    from bcp.hq_models import HqTask, RiverCamera, Shelter
    from tests.bcp.hq_support import jpeg_bytes, png_bytes, upload

    hq_demo.seed_demo(_write)
    tasks = hq.open_hq(actor=it_admin, disaster=disaster)
    damage = hq.report_damage(
        actor=it_admin, host=host, disaster=disaster, title="町道の路肩崩落", location="中土佐町久礼",
        latitude=Decimal("33.33"), longitude=Decimal("133.23"), photo=upload("damage.png", png_bytes()),
    )  # fmt: skip
    camera = RiverCamera.objects.filter(municipality=host).order_by("pk").first()
    assert camera is not None
    token = cameras.rotate_token(actor=it_admin, host=host, camera=camera)
    cameras.ingest_reading(
        token=token, host=host, level_cm=camera.danger_cm + 10, image=upload("frame.jpg", jpeg_bytes(), "image/jpeg")
    )
    alert = camera.alerts.order_by("pk").first()
    assert alert is not None
    task = tasks[0] if tasks else HqTask.objects.filter(disaster=disaster).order_by("pk").first()
    assert task is not None
    return [
        ("hq:task_done", "task_pk", str(task.pk)),
        ("hq:damage_photo", "pk", str(damage.pk)),
        ("hq:shelter", "pk", _pk(Shelter, municipality=host)),
        ("hq:camera", "pk", str(camera.pk)),
        ("hq:alert_ack", "pk", str(alert.pk)),
        ("hq:", "pk", str(disaster.pk)),
    ]


def finance_rows() -> ModuleRows:
    from finance import demo
    from finance.models import Assessment, BudgetLine, Commitment, PaymentOrder, Vendor

    demo.seed_town("nakatosa", demo._staff())
    with schema_context("nakatosa"):
        order = PaymentOrder.objects.order_by("pk").first()
        assessment = Assessment.objects.order_by("pk").first()
        assert order is not None
        assert assessment is not None
        return [
            ("finance:ledger", "pk", _pk(BudgetLine)),
            ("finance:vendor", "public_id", str(Vendor.objects.order_by("pk").values_list("public_id", flat=True)[0])),
            ("finance:payment_notice", "number", assessment.number),
            ("finance:commitment", "number", Commitment.objects.order_by("pk").values_list("number", flat=True)[0]),
            ("finance:inspect", "number", order.commitment.number),
            ("finance:order", "number", order.commitment.number),
            ("finance:order_pdf", "number", order.number),
            ("finance:audit", "number", order.number),
        ]


def payroll_rows() -> ModuleRows:
    from payroll import demo
    from payroll.models import PayRun, Payslip, SalaryTableVersion, Staff
    from payroll.services.staff import create_transfer_batch

    demo.seed_town(schema="nakatosa", count=3, seed=2026)
    with schema_context("nakatosa"):
        staff = Staff.objects.order_by("pk").first()
        assert staff is not None
        batch = create_transfer_batch(
            actor=Person.objects.get(username="jinji"), effective_on=date(2027, 4, 1), title="人事異動",
            lines=[{"staff_number": staff.number, "unit_code": "P02", "unit_name": "税務課", "grade": 2, "step": 1}],
        )  # fmt: skip
        version = SalaryTableVersion.objects.select_related("table").order_by("pk").first()
        payslip = Payslip.objects.order_by("pk").first()
        assert version is not None
        assert payslip is not None
        run = _public_id(PayRun)
        # The demo loader locks the 2025 年末調整 (settled in January 2026) and one 再年末調整.
        return [
            ("payroll:year_end_readjust_action", "action", "approve"),
            ("payroll:year_end_readjust", "public_id", str(staff.public_id)),
            ("payroll:year_end_action", "action", "calculate"),
            ("payroll:year_end", "year", "2025"),
            ("api:payroll:year_end", "year", "2025"),
            ("payroll:year_end_declaration", "public_id", str(staff.public_id)),
            ("payroll:run_action", "action", "calculate"),
            ("payroll:salary_table", "code", version.table.code),
            ("payroll:salary_table", "day", version.effective_from.isoformat()),
            ("payroll:transfer", "public_id", str(batch.public_id)),
            ("payroll:staff", "number", staff.number),
            ("payroll:appoint", "number", staff.number),
            ("payroll:appoint", "kind", "raise"),
            ("payroll:", "public_id", run),
            ("api:payroll:run_lines", "public_id", run),
            ("api:payroll:payment_report", "year", str(payslip.run.paid_on.year)),
            ("payslips:statement_pdf", "year", str(payslip.run.paid_on.year)),
            ("payslips:", "public_id", str(payslip.public_id)),
        ]


def water_rows(*, schema: str) -> ModuleRows:
    from tests.water_billing.factories import nakatosa_tariff
    from water_billing import demo
    from water_billing.models import Bill, BillingRun, Connection, MoveTask, Notice, NoticeKind, Period, Tariff
    from water_billing.services import arrears, moves, plans

    demo.seed_town("nakatosa", 40)  # enough that a few bills stay unpaid (the demo's arrears)
    with schema_context(schema):
        if not Tariff.objects.exists():  # the council's admin lists its own 料金表
            nakatosa_tariff()
    with schema_context("nakatosa"):
        bill = Bill.objects.order_by("pk").first()
        connection = Connection.objects.order_by("pk").first()
        period = Period.objects.order_by("pk").first()
        assert bill is not None
        assert connection is not None
        assert period is not None
        rows: ModuleRows = [
            ("water_billing:bill_pdf", "number", bill.number),
            ("water_billing:connection", "tap_number", connection.tap_number),
            ("water_billing:reading_entry", "tap_number", connection.tap_number),
            ("water_billing:arrears_step", "tap_number", connection.tap_number),
            ("water_billing:route", "code", period.code),
            ("water_billing:run", "public_id", _public_id(BillingRun)),
        ]
        # A 督促状 for a bill left unpaid (a year on, every demo bill is past its 納期限), and the 異動 task of the
        # family _real_rows moved in.
        unpaid = Bill.objects.filter(paid_amount__lt=F("total")).order_by("pk").first()
        assert unpaid is not None
        arrears.issue_notice(
            actor=None, connection=unpaid.connection, kind=NoticeKind.DUNNING, today=local_today() + timedelta(days=365)
        )
        moves.pull_moves(actor=Person.objects.get(username="suido"))
        # A 分納 plan for the same customer's arrears, agreed after the 督促状.
        day = local_today() + timedelta(days=365)
        owed = sum(
            b.balance for b in Bill.objects.filter(connection=unpaid.connection, state="unpaid", due_on__lte=day)
        )
        plan = plans.record_plan(actor=None, connection=unpaid.connection, agreed_on=day, installments=[(day, owed)])
        rows += [
            ("water_billing:notice_pdf", "public_id", _public_id(Notice)),
            ("water_billing:move_resolve", "public_id", _public_id(MoveTask)),
            ("water_billing:plan", "public_id", str(plan.public_id)),
        ]
        return rows


def groupware_rows(*, viewer: Person) -> ModuleRows:
    from groupware import demo
    from groupware.models import (
        Booking,
        CabinetFile,
        Event,
        Facility,
        WorkflowForm,
    )
    from groupware.services import bulletin, cabinet, facilities, schedule, workflow

    demo.seed_town("council")
    demo.seed_town("nakatosa")
    clerk = Person.objects.get(username="tanaka")
    council_staff = Person.objects.get(username="council_staff")
    with schema_context("council"):
        council_notice = bulletin.post_notice(
            actor=council_staff, title="協議会からのお知らせ", body="資料を添付します。", files=[_text_file("資料.txt")]
        )
        council_file = council_notice.attachments.order_by("pk").first()
    with schema_context("nakatosa"):
        token = schedule.issue_feed(actor=viewer)
        notice = bulletin.post_notice(
            actor=clerk, title="庁内のお知らせ", body="資料を添付します。", allow_comments=True,
            files=[_text_file("資料.txt")],
        )  # fmt: skip
        notice_file = notice.attachments.order_by("pk").first()
        folder = cabinet.create_folder(actor=Person.objects.get(username="it_admin"), name="共有資料")
        cabinet.upload_file(actor=clerk, folder_id=folder.pk, upload=_text_file("議事録.txt"))
        day = local_today() + timedelta(days=30)
        form = WorkflowForm.objects.filter(allows_attachments=True).order_by("pk").first()
        assert form is not None
        request = workflow.submit_request(
            actor=clerk, form_id=form.pk, title="出張の申請", files=[_text_file("行程.txt")],
            data={"destination": "高知県庁", "starts_at": demo._at(day, 9).isoformat(),
                  "ends_at": demo._at(day, 17).isoformat(), "purpose": "事務打合せ"},
        )  # fmt: skip
        request_file = request.attachments.order_by("pk").first()
        # An entry with a council participant is kept in the council's schema (groupware.md §2.8).
        council_event = schedule.create_event(
            actor=clerk, title="協議会との打合せ", starts_at=demo._at(day, 13), ends_at=demo._at(day, 14),
            participant_ids=[council_staff.pk],
        )  # fmt: skip
    with schema_context("council"):
        council_facility = Facility.objects.order_by("pk").first()
        assert council_facility is not None
        common = Facility.objects.filter(unit_code="", is_active=True).order_by("pk").first()
        assert common is not None
        council_booking = Booking.objects.filter(facility=common).order_by("pk").first()
    if council_booking is None:
        with schema_context("nakatosa"):  # a council room booked from the town (its cancel route, §3.6)
            council_booking = facilities.book_council_facility(
                actor=clerk, facility_id=common.pk, starts_at=demo._at(day, 7), ends_at=demo._at(day, 8),
                purpose="打合せ",
            )  # fmt: skip
    with schema_context("nakatosa"):
        assert council_file is not None
        assert notice_file is not None
        assert request_file is not None
        return [
            ("groupware:event", "pk", _pk(Event)),
            ("groupware:book", "pk", _pk(Facility)),
            ("groupware:booking_", "pk", _pk(Booking)),
            ("groupware:request_new", "form_id", str(form.pk)),
            ("groupware:request_file", "file_id", str(request_file.pk)),
            ("groupware:request_action", "action", "withdraw"),
            ("groupware:request", "pk", str(request.pk)),
            ("groupware:notice_file", "file_id", str(notice_file.pk)),
            ("groupware:notice", "pk", str(notice.pk)),
            ("groupware:council_notice_file", "file_id", str(council_file.pk)),
            ("groupware:council_notice", "pk", str(council_notice.pk)),
            ("groupware:folder", "pk", str(folder.pk)),
            ("groupware:file", "pk", _pk(CabinetFile)),
            ("calendar_feed:feed", "token", token),
            # The REST notices and requests (groupware/api_notices.py) on the same rows as the pages.
            ("api:groupware:notice", "pk", str(notice.pk)),
            ("groupware:council_event", "pk", str(council_event.pk)),
            ("groupware:council_booking_", "pk", str(council_booking.pk)),
            ("groupware:council_book", "pk", str(council_facility.pk)),
            ("api:groupware:council_notice", "pk", str(council_notice.pk)),
            ("api:groupware:request", "pk", str(request.pk)),
        ]


def meetings_rows(*, viewer: Person) -> ModuleRows:
    """A meeting of 中土佐町 the viewer takes part in, with an agenda item and its PDF (docs/domain/meetings.md)."""
    from datetime import datetime, time

    from common.dates import TOKYO
    from groupware.meetings.documents import agenda_pdf
    from groupware.meetings.services import meetings

    clerk = Person.objects.get(username="tanaka")
    starts = datetime.combine(local_today() + timedelta(days=2), time(14), tzinfo=TOKYO)
    with schema_context("nakatosa"):
        meeting = meetings.create_meeting(
            actor=clerk, title="画面確認の会議", starts_at=starts, ends_at=starts + timedelta(hours=1),
            participant_ids=[viewer.pk],
        )  # fmt: skip
        item = meetings.add_agenda_item(actor=clerk, meeting_id=meeting.pk, title="議事")
        pdf = SimpleUploadedFile("次第.pdf", agenda_pdf(meeting, [item]), content_type="application/pdf")
        document = meetings.upload_document(actor=clerk, meeting_id=meeting.pk, upload=pdf, agenda_item_id=item.pk)
    return [
        ("groupware:meetings:", "pk", str(meeting.pk)),
        ("groupware:meetings:", "document_id", str(document.pk)),
        ("groupware:meetings:participant_remove", "person_id", str(viewer.pk)),
        ("api:groupware:meetings:", "meeting_id", str(meeting.pk)),
    ]


def website_rows() -> ModuleRows:
    from website import demo
    from website.models import Article

    demo.seed_demo(_write)
    with schema_context("nakatosa"):
        return [("website:", "pk", _pk(Article))]


def directory_rows(*, viewer: Person) -> ModuleRows:
    from tenants.models import OrgUnit

    unit = OrgUnit.objects.filter(municipality__schema_name="nakatosa").order_by("pk").first()
    assert unit is not None
    return [
        ("api:directory:scim_user", "person_id", str(viewer.pk)),
        ("api:directory:scim_group", "code", unit.code),
    ]


def chat_rows(*, it_admin: Person) -> ModuleRows:
    """A council-wide channel (every staff viewer reaches it) with a message, its attachment and a reply."""
    from groupware.chat import services

    with schema_context("council"):
        channel = services.create_channel(actor=it_admin, kind="council", name="協議会全体(画面確認)")
    message = services.post_message(
        actor=it_admin, channel_id=channel.pk, body="資料を共有します。", files=[_text_file("資料.txt")]
    )
    services.post_message(actor=it_admin, channel_id=channel.pk, body="補足です。", parent_id=message.pk)
    with schema_context("council"):  # the chat's rows are in the council's schema
        attachment = message.attachments.order_by("pk").first()
    assert attachment is not None
    return [
        ("chat:file", "pk", str(attachment.pk)),
        ("chat:thread", "message_id", str(message.pk)),
        ("chat:remove_member", "person_id", str(it_admin.pk)),
        ("chat:", "pk", str(channel.pk)),
        ("api:chat:", "pk", str(channel.pk)),
    ]


def seed_module_demos() -> None:
    """The demo loaders the rows above read back from, with the same arguments (each is idempotent: once a town
    holds its rows, the loader leaves it as it is). tests/test_pages_render.py runs this once for its module, so
    that each viewer's call of the functions above finds the demos written and only adds its own rows."""
    from bcp import hq_demo
    from finance import demo as finance_demo
    from groupware import demo as groupware_demo
    from payroll import demo as payroll_demo
    from water_billing import demo as water_demo
    from website import demo as website_demo

    hq_demo.seed_demo(_write)
    finance_demo.seed_town("nakatosa", finance_demo._staff())
    payroll_demo.seed_town(schema="nakatosa", count=3, seed=2026)
    water_demo.seed_town("nakatosa", 40)
    groupware_demo.seed_town("council")
    groupware_demo.seed_town("nakatosa")
    website_demo.seed_demo(_write)


def module_rows(*, viewer: Person, schema: str, it_admin: Person, disaster: Any, host: Municipality) -> ModuleRows:
    return [
        *hq_rows(it_admin=it_admin, disaster=disaster, host=host),
        *finance_rows(),
        *payroll_rows(),
        *water_rows(schema=schema),
        *meetings_rows(viewer=viewer),
        *groupware_rows(viewer=viewer),
        *website_rows(),
        *directory_rows(viewer=viewer),
        *chat_rows(it_admin=it_admin),
    ]

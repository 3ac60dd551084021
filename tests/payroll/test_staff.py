"""職員, 発令 and the 人事異動 batch (docs/domain/payroll.md §3) and 給料表 versions (§4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from common.errors import ApplicationError
from common.models import AuditEvent
from payroll.errors import PayrollInputError, SelfApproval, StepOutsideTable
from payroll.models import Appointment, Correction, Payslip, SalaryTableVersion, Staff
from payroll.services import runs
from payroll.services.common import appointment_on
from payroll.services.salary_tables import (
    approve_salary_table,
    import_salary_table,
    parse_salary_csv,
    revision_differences,
)
from payroll.services.staff import (
    apply_transfer_batch,
    create_transfer_batch,
    preview_transfer_batch,
    record_appointment,
)
from tenants.models import OrgUnitKind
from tenants.organisation import create_unit, post_person, postings_on
from tests.payroll.factories import TABLE, hire, salary_csv

APRIL = date(2026, 4, 1)


def test_hire_writes_the_staff_member_and_the_first_appointment(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "3001")
    appointment = appointment_on(staff.pk, date(2024, 4, 1))
    assert appointment is not None
    assert appointment.kind == "hire"
    assert appointment_on(staff.pk, date(2024, 3, 31)) is None


def test_duplicate_staff_number_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "3002")
    with pytest.raises(PayrollInputError) as raised:
        hire(officer, "3002")
    assert raised.value.code == "payroll_duplicate_staff"


def test_a_step_outside_the_table_writes_nothing(officers: Any, table: Any) -> None:
    officer, _ = officers
    with pytest.raises(StepOutsideTable):
        hire(officer, "3003", grade=9, step=1)
    assert not Staff.objects.filter(number="3003").exists()


def test_an_appointment_keeps_the_rest_of_the_state(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "3004", unit_code="0201", unit_name="住民課")
    record_appointment(actor=officer, staff=staff, effective_on=APRIL, kind="promotion", grade=2, step=5)
    after = appointment_on(staff.pk, APRIL)
    assert after is not None
    assert (after.unit_code, after.grade, after.step) == ("0201", 2, 5)


def test_appointment_after_leaving_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "3005")
    record_appointment(actor=officer, staff=staff, effective_on=date(2025, 4, 1), kind="leaving")
    with pytest.raises(PayrollInputError) as raised:
        record_appointment(actor=officer, staff=staff, effective_on=APRIL, kind="raise", step=14)
    assert raised.value.code == "payroll_already_left"


@pytest.fixture
def units(nakatosa: Any) -> tuple[Any, Any]:
    return (
        create_unit(actor=None, municipality=nakatosa, code="P01", name="総務課", kind=OrgUnitKind.DIVISION,
                    valid_from=date(2020, 4, 1)),
        create_unit(actor=None, municipality=nakatosa, code="P02", name="税務課", kind=OrgUnitKind.DIVISION,
                    valid_from=date(2020, 4, 1)),
    )  # fmt: skip


def test_transfer_batch_preview_apply_moves_unit_and_step_together(
    officers: Any, table: Any, units: tuple[Any, Any], nakatosa: Any, new_person: Any
) -> None:
    officer, approver = officers
    person = new_person("shokuin3006", nakatosa="clerk")
    post_person(actor=None, person=person, unit=units[0], valid_from=date(2024, 4, 1))
    staff = hire(officer, "3006", person_id=person.pk, unit_code="P01", unit_name="総務課")
    batch = create_transfer_batch(
        actor=officer,
        effective_on=APRIL,
        title="令和8年4月1日 人事異動",
        lines=[{"staff_number": "3006", "unit_code": "P02", "unit_name": "税務課", "grade": 2, "step": 1}],
    )
    preview = preview_transfer_batch(batch=batch)
    assert preview.ok
    assert preview.lines[0]["to_unit"] == "税務課"
    assert not Appointment.objects.filter(staff=staff, effective_on=APRIL).exists()  # the preview writes nothing
    apply_transfer_batch(actor=approver, batch=batch, municipality=nakatosa)
    after = appointment_on(staff.pk, APRIL)
    assert after is not None
    assert (after.unit_code, after.grade, after.step, after.kind) == ("P02", 2, 1, "transfer")
    posting = postings_on(APRIL, person=person, municipality=nakatosa).get(is_primary=True)
    assert posting.unit.code == "P02"
    assert AuditEvent.objects.filter(action="payroll.transfer_apply", object_id=str(batch.pk)).exists()


def test_transfer_batch_cannot_be_applied_by_its_author(officers: Any, table: Any, nakatosa: Any) -> None:
    officer, _ = officers
    hire(officer, "3007")
    batch = create_transfer_batch(
        actor=officer, effective_on=APRIL, title="異動", lines=[{"staff_number": "3007", "step": 14}]
    )
    with pytest.raises(SelfApproval):
        apply_transfer_batch(actor=officer, batch=batch, municipality=nakatosa)


def test_a_bad_line_stops_the_whole_batch(officers: Any, table: Any, nakatosa: Any) -> None:
    officer, approver = officers
    hire(officer, "3008")
    hire(officer, "3009")
    batch = create_transfer_batch(
        actor=officer,
        effective_on=APRIL,
        title="異動",
        lines=[{"staff_number": "3008", "step": 14}, {"staff_number": "3009", "step": 999}],
    )
    assert preview_transfer_batch(batch=batch).errors
    with pytest.raises(PayrollInputError):
        apply_transfer_batch(actor=approver, batch=batch, municipality=nakatosa)
    assert not Appointment.objects.filter(effective_on=APRIL).exists()


# --- 給料表 ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["級,号給,月額\n1,1,abc", "1,1,100\n1,1,200", "級,号給,月額\n", "0,1,100"],
)
def test_bad_salary_csv_is_refused(text: str) -> None:
    with pytest.raises(PayrollInputError):
        parse_salary_csv(text)


def test_salary_csv_rows() -> None:
    assert parse_salary_csv('級,号給,月額\n1,1,"146,100"\n1,2,147600') == [(1, 1, 146_100), (1, 2, 147_600)]


def test_the_importer_cannot_approve(officers: Any, nakatosa: Any) -> None:
    officer, _ = officers
    version = import_salary_table(actor=officer, table_code="x", table_name="x", effective_from=APRIL, text="1,1,100")
    with pytest.raises(SelfApproval):
        approve_salary_table(actor=officer, version=version)


def test_a_retroactive_revision_pays_the_difference_for_each_locked_month(officers: Any, table: Any) -> None:
    officer, approver = officers
    staff = hire(officer, "3010")
    for month in (date(2026, 4, 1), date(2026, 5, 1)):
        run = runs.create_run(actor=officer, kind="regular", pay_month=month, paid_on=month.replace(day=17))
        run = runs.approve_run(actor=approver, run=runs.calculate_run(actor=officer, run=run))
        runs.lock_run(actor=approver, run=run)
    revised = import_salary_table(
        actor=officer, table_code=TABLE, table_name="行政職給料表(一)", effective_from=date(2026, 4, 1),
        text=salary_csv(raise_=1_000),
    )  # fmt: skip
    preview = revision_differences(version=revised)
    assert [(d.pay_month, d.amount) for d in preview] == [(date(2026, 4, 1), 1_000), (date(2026, 5, 1), 1_000)]
    assert not Correction.objects.exists()  # shown before approval, nothing written
    approve_salary_table(actor=approver, version=revised)
    june = runs.calculate_run(
        actor=officer,
        run=runs.create_run(actor=officer, kind="regular", pay_month=date(2026, 6, 1), paid_on=date(2026, 6, 19)),
    )
    slip = Payslip.objects.get(run=june, staff=staff)
    differences = sorted(slip.lines.filter(code="difference").values_list("label", "amount"))
    assert differences == [("差額支給(2026年4月分)", 1_000), ("差額支給(2026年5月分)", 1_000)]
    assert slip.lines.get(code="base").amount == 166_000
    assert SalaryTableVersion.objects.get(pk=revised.pk).approved


@pytest.mark.parametrize(
    ("declared", "code"),
    [({"children": -1}, "payroll_unknown_dependents"), ({"tax_dependents": -2}, "payroll_unknown_dependents"),
     ({"rent": -1}, "payroll_invalid_amount"), ({"withholding_column": "丙"}, "payroll_invalid_column")],
)  # fmt: skip
def test_bad_declared_values_are_refused_and_nothing_written(
    officers: Any, table: Any, declared: dict[str, Any], code: str
) -> None:
    officer, _ = officers
    with pytest.raises(ApplicationError) as raised:
        hire(officer, "3099", **declared)
    assert raised.value.code == code
    assert not Staff.objects.filter(number="3099").exists()

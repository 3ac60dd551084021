"""The 発令 pages of the 人事担当 (docs/domain/payroll.md §3.6–§3.7, §4a): a form per kind, a preview of the effect
before anything is written, Japanese errors, the 発令 history; the 特殊勤務実績 page (§5.8)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from common.models import AuditEvent, TownSetting
from payroll.models import Appointment, SpecialDutyEntry, Staff
from payroll.services import runs
from tests.conftest import make_client
from tests.payroll.factories import hire

HOST = "nakatosa.localhost"


@pytest.fixture
def people(officers: Any, table: Any, new_person: Any) -> dict[str, Any]:
    personnel = new_person("jinji1", nakatosa="personnel")
    staff = hire(officers[0], "8001")
    return {"officer": officers[0], "approver": officers[1], "personnel": personnel, "staff": staff}


def client(person: Any) -> Any:
    connection.set_schema_to_public()
    return make_client(HOST, person)


def appointments(towns: Any, number: str = "8001") -> list[str]:
    connection.set_tenant(towns["nakatosa"])
    return list(
        Appointment.objects.filter(staff__number=number).order_by("effective_on").values_list("kind", flat=True)
    )


RAISE = {"effective_on": "令和8年10月15日", "grade": "1", "step": "14", "note": ""}


def test_a_raise_is_previewed_before_it_is_recorded(people: dict[str, Any], towns: Any) -> None:
    page = client(people["personnel"]).post("/payroll/staff/8001/raise/", RAISE).content.decode()
    assert "1級14号給" in page
    assert appointments(towns) == ["hire"]


def test_the_preview_shows_the_new_monthly_pay(people: dict[str, Any]) -> None:
    page = client(people["personnel"]).post("/payroll/staff/8001/raise/", RAISE).content.decode()
    assert "171,000円" in page


def test_the_preview_shows_the_day_rate_of_the_month(people: dict[str, Any]) -> None:
    # October 2026: 31 days, 9 週休日 → 22 勤務日; 1–14 October: 10 of them.
    page = client(people["personnel"]).post("/payroll/staff/8001/raise/", RAISE).content.decode()
    assert "2026年10月の給料は日割(発令前 10日・発令後 12日 / 基礎 22日" in page


def test_confirming_records_the_raise(people: dict[str, Any], towns: Any) -> None:
    response = client(people["personnel"]).post("/payroll/staff/8001/raise/", {**RAISE, "confirm": "1"})
    assert response["Location"] == "/payroll/staff/8001/"
    assert appointments(towns) == ["hire", "raise"]


def test_a_step_outside_the_table_is_refused_in_japanese(people: dict[str, Any], towns: Any) -> None:
    response = client(people["personnel"]).post(
        "/payroll/staff/8001/promotion/", {**RAISE, "step": "99", "confirm": "1"}
    )
    assert "1級99号給はありません" in response.content.decode()
    assert appointments(towns) == ["hire"]


def test_a_transfer_changes_the_unit(people: dict[str, Any], towns: Any) -> None:
    data = {"effective_on": "R8.10.1", "unit_code": "0201", "unit_name": "税務課", "note": "", "confirm": "1"}
    client(people["personnel"]).post("/payroll/staff/8001/transfer/", data)
    connection.set_tenant(towns["nakatosa"])
    assert Appointment.objects.get(staff__number="8001", kind="transfer").unit_name == "税務課"


def test_leaving_is_entered_as_the_last_day_in_service(people: dict[str, Any], towns: Any) -> None:
    data = {"last_day": "令和9年3月31日", "resident_tax_on_leaving": "ordinary", "note": "", "confirm": "1"}
    client(people["personnel"]).post("/payroll/staff/8001/leaving/", data)
    connection.set_tenant(towns["nakatosa"])
    assert Appointment.objects.get(staff__number="8001", kind="leaving").effective_on == date(2027, 4, 1)


def test_leave_and_return(people: dict[str, Any], towns: Any) -> None:
    personnel = client(people["personnel"])
    personnel.post("/payroll/staff/8001/childcare/", {"effective_on": "2026-11-01", "note": "", "confirm": "1"})
    personnel.post("/payroll/staff/8001/return/", {"effective_on": "2027-02-01", "note": "", "confirm": "1"})
    assert appointments(towns) == ["hire", "childcare", "return"]


def test_a_leave_states_its_reason_and_shows_its_ratio_before_it_is_recorded(
    people: dict[str, Any], towns: Any
) -> None:
    personnel = client(people["personnel"])
    data = {"effective_on": "2026-11-01", "leave_reason": "illness", "leave_pay_ratio": "", "note": ""}
    preview = personnel.post("/payroll/staff/8001/leave/", data).content.decode()
    assert "100分の80(2027-10-31まで、以後は無給)" in preview
    assert appointments(towns) == ["hire"]
    client(people["personnel"]).post("/payroll/staff/8001/leave/", {**data, "confirm": "1"})
    assert appointments(towns) == ["hire", "leave"]
    history = client(people["personnel"]).get("/payroll/staff/8001/").content.decode()
    assert "心身の故障(病気休職)・給与 100分の80" in history


def test_a_leave_ratio_above_the_ordinance_is_refused_on_the_page(people: dict[str, Any], towns: Any) -> None:
    data = {"effective_on": "2026-11-01", "leave_reason": "criminal", "leave_pay_ratio": "70", "confirm": "1"}
    response = client(people["personnel"]).post("/payroll/staff/8001/leave/", data)
    assert response.status_code == 400
    assert "100分の0から100分の60までです" in response.content.decode()
    assert appointments(towns) == ["hire"]


def test_a_return_without_leave_is_refused(people: dict[str, Any], towns: Any) -> None:
    response = client(people["personnel"]).post(
        "/payroll/staff/8001/return/", {"effective_on": "2026-11-01", "note": "", "confirm": "1"}
    )
    assert "休職・育児休業中ではありません" in response.content.decode()
    assert appointments(towns) == ["hire"]


def test_an_appointment_in_a_locked_month_is_refused(people: dict[str, Any], towns: Any) -> None:
    run = runs.create_run(
        actor=people["officer"], kind="regular", pay_month=date(2026, 10, 1), paid_on=date(2026, 10, 16)
    )
    run = runs.approve_run(actor=people["approver"], run=runs.calculate_run(actor=people["officer"], run=run))
    runs.lock_run(actor=people["approver"], run=run)
    response = client(people["personnel"]).post("/payroll/staff/8001/raise/", {**RAISE, "confirm": "1"})
    assert "確定済みのため" in response.content.decode()
    assert appointments(towns) == ["hire"]


def test_a_bad_date_is_a_form_error(people: dict[str, Any], towns: Any) -> None:
    response = client(people["personnel"]).post("/payroll/staff/8001/raise/", {**RAISE, "effective_on": "昨日"})
    assert response.status_code == 200
    assert "日付" in response.content.decode()


def test_an_auditor_cannot_record(people: dict[str, Any], towns: Any, new_person: Any) -> None:
    auditor = new_person("kansa_pay", nakatosa="auditor")
    response = client(auditor).post("/payroll/staff/8001/raise/", {**RAISE, "confirm": "1"})
    assert response.status_code == 403


def test_an_unknown_kind_is_not_found(people: dict[str, Any]) -> None:
    assert client(people["personnel"]).get("/payroll/staff/8001/revision/").status_code == 404


HIRE = {
    "number": "8101",
    "name": "高知 花子",
    "name_kana": "コウチ ハナコ",
    "birth_date": "平成10年5月1日",
    "hired_on": "令和8年10月15日",
    "unit_code": "0101",
    "unit_name": "総務課",
    "job_type": "general",
    "table_code": "gyosei1",
    "grade": "1",
    "step": "10",
}


def test_a_hire_is_previewed_with_its_first_months_day_rate(people: dict[str, Any], towns: Any) -> None:
    page = client(people["personnel"]).post("/payroll/hire/", HIRE).content.decode()
    assert "2026年10月の給料は日割(発令後 12日 / 基礎 22日" in page
    connection.set_tenant(towns["nakatosa"])
    assert not Staff.objects.filter(number="8101").exists()


def test_a_confirmed_hire_is_recorded(people: dict[str, Any], towns: Any) -> None:
    response = client(people["personnel"]).post("/payroll/hire/", {**HIRE, "confirm": "1"})
    assert response["Location"] == "/payroll/staff/8101/"
    assert appointments(towns, "8101") == ["hire"]


def test_a_duplicate_staff_number_is_refused(people: dict[str, Any]) -> None:
    page = client(people["personnel"]).post("/payroll/hire/", {**HIRE, "number": "8001"}).content.decode()
    assert "職員番号 8001 は既に登録されています" in page


def test_the_history_lists_the_appointments_and_is_audited(people: dict[str, Any], towns: Any) -> None:
    page = client(people["personnel"]).get("/payroll/staff/8001/").content.decode()
    assert "1級10号給" in page
    connection.set_tenant(towns["nakatosa"])
    assert AuditEvent.objects.filter(action="payroll.staff_history").latest("seq").purpose == "発令の確認・登録"


def test_the_staff_list_finds_by_number(people: dict[str, Any]) -> None:
    page = client(people["personnel"]).get("/payroll/staff/?q=8001").content.decode()
    assert "/payroll/staff/8001/" in page


def test_special_duty_csv_page(people: dict[str, Any], towns: Any) -> None:
    connection.set_tenant(towns["nakatosa"])
    TownSetting.objects.create(
        key="payroll.special_duty.kinds", value="kiken:危険作業手当:day:290", effective_from=date(2020, 1, 1)
    )
    upload = SimpleUploadedFile("duty.csv", b"8001,kiken,2\n")
    client(people["officer"]).post("/payroll/special-duties/", {"pay_month": "令和8年10月1日", "file": upload})
    connection.set_tenant(towns["nakatosa"])
    assert SpecialDutyEntry.objects.get(staff__number="8001").count == 2


def test_an_unknown_special_duty_kind_in_the_csv_is_shown(people: dict[str, Any]) -> None:
    upload = SimpleUploadedFile("duty.csv", b"8001,nothing,2\n")
    page = client(people["officer"]).post("/payroll/special-duties/", {"pay_month": "令和8年10月1日", "file": upload})
    assert "この月の設定にありません" in page.content.decode()


# --- 再度の任用 of a 会計年度任用職員: the new 任期の末日 on the page (§5.9) ------------------------------------------

PART_TIMER = {"job_type": "fiscal_part_monthly", "table_code": "", "grade": None, "step": None}
REAPPOINT = {"effective_on": "令和9年4月1日", "term_ends_on": "令和10年3月31日", "note": ""}


@pytest.fixture
def part_timer(people: dict[str, Any]) -> Staff:
    return hire(people["officer"], "8201", **PART_TIMER, monthly_amount=132_000, hired_on=date(2026, 4, 1),
                weekly_hours=29, term_ends_on=date(2027, 3, 31))  # fmt: skip


def terms(towns: Any, number: str) -> list[Any]:
    connection.set_tenant(towns["nakatosa"])
    return list(Appointment.objects.filter(staff__number=number).order_by("effective_on").values_list(
        "kind", "term_ends_on", "weekly_hours"))  # fmt: skip


def test_a_reappointment_shows_the_new_term_before_it_is_recorded(part_timer: Staff, people: dict[str, Any],
                                                                   towns: Any) -> None:  # fmt: skip
    page = client(people["personnel"]).post("/payroll/staff/8201/reappoint/", REAPPOINT).content.decode()
    assert "任期の末日" in page
    assert "2027-03-31" in page
    assert "<mark>2028-03-31</mark>" in page
    assert [kind for kind, *_ in terms(towns, "8201")] == ["hire"]


def test_a_confirmed_reappointment_records_the_term_and_hours(part_timer: Staff, people: dict[str, Any],
                                                              towns: Any) -> None:  # fmt: skip
    posted = {**REAPPOINT, "weekly_hours": "30", "confirm": "1"}
    response = client(people["personnel"]).post("/payroll/staff/8201/reappoint/", posted)
    assert response["Location"] == "/payroll/staff/8201/"
    assert terms(towns, "8201")[-1] == ("reappoint", date(2028, 3, 31), 30)
    history = client(people["personnel"]).get("/payroll/staff/8201/").content.decode()
    assert "(任期 2028年3月31日まで)" in history


@pytest.mark.parametrize(
    ("number", "posted", "message"),
    [
        ("8201", {"term_ends_on": "令和9年3月31日"}, "任期の末日は会計年度任用職員についてのみ、発令日以後の日"),
        ("8001", {}, "任期の末日は会計年度任用職員についてのみ"),  # a 一般職 has no 任期
        ("8201", {"term_ends_on": ""}, "任期の末日"),  # required on a 再度の任用
        ("8201", {"term_ends_on": "令和10年2月30日"}, "日付"),
    ],
)
def test_a_bad_term_is_refused_in_japanese_and_nothing_written(
    part_timer: Staff, people: dict[str, Any], towns: Any, number: str, posted: dict[str, str], message: str
) -> None:
    data = {**REAPPOINT, **posted, "confirm": "1"}
    response = client(people["personnel"]).post(f"/payroll/staff/{number}/reappoint/", data)
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert "reappoint" not in [kind for kind, *_ in terms(towns, number)]


def test_the_service_refuses_a_reappointment_without_a_term(part_timer: Staff, people: dict[str, Any]) -> None:
    from common.errors import ApplicationError
    from payroll.services.staff import record_appointment

    with pytest.raises(ApplicationError) as caught:
        record_appointment(actor=people["officer"], staff=part_timer, effective_on=date(2027, 4, 1), kind="reappoint")
    assert caught.value.code == "payroll_invalid_term"

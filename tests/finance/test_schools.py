"""Schools: a 配当 from 教育費, a teacher's 物品購入依頼 for the school of their posting, the school office's
支出負担行為 within the 配当, and a teacher who sees nothing but their own school."""

from __future__ import annotations

from datetime import date

import pytest

from finance import services
from finance.errors import BudgetExceeded, FinanceError
from finance.models import BudgetLine, PurchaseRequest, PurchaseRequestStatus, Side
from finance.services import schools
from tenants import organisation
from tenants.models import Municipality, OrgUnitKind, Person, Role
from tests.conftest import HOSTS, make_client
from tests.finance.factories import Budget, People, budget, in_nakatosa, people
from tests.support.people import make_person

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)


@pytest.fixture
def school_world(people: People, budget: Budget) -> dict[str, object]:
    town = Municipality.objects.get(schema_name="nakatosa")
    units = {
        code: organisation.create_unit(
            actor=None, municipality=town, code=code, name=name, kind=OrgUnitKind.SCHOOL, valid_from=date(2020, 4, 1)
        )
        for code, name in (("S01", "久礼小学校"), ("S02", "上ノ加江小学校"))
    }
    for code, name in (("10", "教育費"), ("10-02", "小学校費"), ("10-02-01", "学校管理費")):
        services.add_subject(actor=people.finance, year=budget.year, side=Side.EXPENDITURE, code=code, name=name)
    moku = budget.year.subjects.get(code="10-02-01")
    line = services.add_budget_line(actor=people.finance, moku=moku, setsu="10")
    services.enact_budget(actor=people.finance, year=budget.year, number=1, decided_on=DAY, amounts={line: 1_000_000})
    teacher = make_person("f_teacher1", nakatosa=Role.TEACHER)
    other_teacher = make_person("f_teacher2", nakatosa=Role.TEACHER)
    office = make_person("f_office", nakatosa=Role.SCHOOL_OFFICE)
    organisation.post_person(actor=None, person=teacher, unit=units["S01"], valid_from=date(2026, 4, 1))
    organisation.post_person(actor=None, person=other_teacher, unit=units["S02"], valid_from=date(2026, 4, 1))
    organisation.post_person(actor=None, person=office, unit=units["S01"], valid_from=date(2026, 4, 1))
    services_allot = schools.allot_to_school
    services_allot(actor=people.finance, line=line, school_code="S01", amount=300_000, on=DAY)
    services_allot(actor=people.finance, line=line, school_code="S02", amount=200_000, on=DAY)
    return {"line": line, "teacher": teacher, "other": other_teacher, "office": office}


def request(world: dict[str, object], amount: int = 50_000) -> PurchaseRequest:
    teacher = world["teacher"]
    assert isinstance(teacher, Person)
    return schools.request_purchase(actor=teacher, item="理科実験用ビーカー", quantity=20, estimated_amount=amount)


def test_a_request_belongs_to_the_teachers_school(school_world: dict[str, object]) -> None:
    assert request(school_world).school_code == "S01"


def test_the_office_commits_within_the_allotment(school_world: dict[str, object]) -> None:
    purchase = request(school_world)
    office, line = school_world["office"], school_world["line"]
    assert isinstance(office, Person) and isinstance(line, BudgetLine)  # noqa: PT018 (narrowing types)
    commitment = schools.commit_purchase_request(
        actor=office, request=purchase, line=line, amount=48_000, payee_name="高知理科商会", committed_on=DAY
    )
    assert (commitment.department_code, PurchaseRequest.objects.get(pk=purchase.pk).status) == (
        "S01",
        PurchaseRequestStatus.COMMITTED,
    )


def test_the_allotment_is_a_hard_stop_for_the_school(school_world: dict[str, object]) -> None:
    purchase = request(school_world, amount=400_000)
    office, line = school_world["office"], school_world["line"]
    assert isinstance(office, Person) and isinstance(line, BudgetLine)  # noqa: PT018 (narrowing types)
    with pytest.raises(BudgetExceeded):
        schools.commit_purchase_request(
            actor=office, request=purchase, line=line, amount=300_001, payee_name="高知理科商会", committed_on=DAY
        )


def test_allotments_cannot_exceed_the_setsu(people: People, school_world: dict[str, object]) -> None:
    line = school_world["line"]
    assert isinstance(line, BudgetLine)
    with pytest.raises(BudgetExceeded):
        schools.allot_to_school(actor=people.finance, line=line, school_code="S01", amount=500_001, on=DAY)


def test_a_teacher_without_a_school_cannot_request(in_nakatosa: None, budget: Budget) -> None:
    loose = make_person("f_loose", nakatosa=Role.TEACHER)
    with pytest.raises(FinanceError):
        schools.request_purchase(actor=loose, item="x", quantity=1, estimated_amount=1)


def test_the_teacher_sees_their_schools_balance(school_world: dict[str, object]) -> None:
    teacher = school_world["teacher"]
    assert isinstance(teacher, Person)
    body = make_client(HOSTS["nakatosa"], teacher).get("/finance/school/").content.decode()
    assert ("久礼小学校" in body, "300,000円" in body, "上ノ加江" in body) == (True, True, False)


def test_the_teacher_does_not_see_the_other_schools_requests(school_world: dict[str, object]) -> None:
    other = school_world["other"]
    assert isinstance(other, Person)
    request(school_world)
    body = make_client(HOSTS["nakatosa"], other).get("/finance/school/").content.decode()
    assert "ビーカー" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/finance/entry/",
        "/finance/inbox/",
        "/finance/transfer/",
        "/finance/settlement/",
        "/finance/ledger/1/",
        "/finance/cost-sharing/",
        "/api/v1/finance/journal/",
        "/api/v1/finance/commitments/",
    ],
)
def test_the_teacher_sees_nothing_else(school_world: dict[str, object], path: str) -> None:
    teacher = school_world["teacher"]
    assert isinstance(teacher, Person)
    assert make_client(HOSTS["nakatosa"], teacher).get(path).status_code == 403


def test_the_module_tile_takes_a_teacher_to_the_school(school_world: dict[str, object]) -> None:
    teacher = school_world["teacher"]
    assert isinstance(teacher, Person)
    assert make_client(HOSTS["nakatosa"], teacher).get("/finance/")["Location"] == "/finance/school/"


def test_a_teacher_files_a_request_on_the_page(school_world: dict[str, object]) -> None:
    teacher = school_world["teacher"]
    assert isinstance(teacher, Person)
    make_client(HOSTS["nakatosa"], teacher).post(
        "/finance/school/", {"item": "画用紙", "quantity": "100", "estimated_amount": "3,000", "reason": "図工"}
    )
    assert PurchaseRequest.objects.get().school_name == "久礼小学校"

"""The clerk's pages and the auditors' API: thin over the services, the refusals shown in Japanese."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from finance import services
from finance.models import Commitment, CommitmentStatus, JournalLine, OrderStatus, PaymentOrder, Vendor, VendorKind
from tenants.models import Person, Role
from tests.conftest import HOSTS, make_client
from tests.finance.factories import Budget, People, budget, in_nakatosa, people
from tests.support.people import make_person

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)


def client(person: Person) -> Client:
    return make_client(HOSTS["nakatosa"], person)


@pytest.fixture
def vendor(people: People) -> Vendor:
    return services.register_vendor(
        actor=people.clerk,
        kind=VendorKind.CORPORATION,
        name="株式会社土佐文具",
        name_kana="ｶ)ﾄｻﾌﾞﾝｸﾞ",
        bank_code="0001",
        branch_code="001",
        account_type="1",
        account_number="1234567",
    )


def entry(person: Person, budget: Budget, amount: str, vendor: Vendor | None = None) -> Any:
    return client(person).post(
        "/finance/entry/",
        {
            "committed_on": "令和8年11月27日",
            "line": budget.supplies.pk,
            "vendor": vendor.pk if vendor else "",
            "payee_name": "" if vendor else "土佐文具",
            "amount": amount,
            "purpose": "コピー用紙",
            "kind": "normal",
        },
    )


def test_the_entry_takes_grouped_digits_and_wareki(people: People, budget: Budget) -> None:
    response = entry(people.clerk, budget, "1,000")
    commitment = Commitment.objects.get()
    assert (response.status_code, response["Location"], commitment.amount) == (
        302,
        f"/finance/commitments/{commitment.number}/",
        1_000,
    )


def test_an_over_budget_entry_is_refused_on_the_page(people: People, budget: Budget) -> None:
    response = entry(people.clerk, budget, "1,000,001")
    assert (response.status_code, "予算現額 1,000,000円" in response.content.decode()) == (400, True)


def test_an_over_budget_entry_writes_nothing(people: People, budget: Budget) -> None:
    entry(people.clerk, budget, "1,000,001")
    assert JournalLine.objects.filter(kind="commitment").count() == 0


def test_a_non_numeric_amount_is_a_form_error(people: People, budget: Budget) -> None:
    assert entry(people.clerk, budget, "千円").status_code == 400


def test_the_balance_endpoint_gives_the_remaining_budget(people: People, budget: Budget) -> None:
    entry(people.clerk, budget, "250,000")
    response = client(people.clerk).get(f"/finance/entry/balance/?line={budget.supplies.pk}")
    assert json.loads(response.content)["available"] == 750_000


def test_commitment_to_payment_through_the_pages(people: People, budget: Budget, vendor: Vendor) -> None:
    entry(people.clerk, budget, "300,000", vendor)
    number = Commitment.objects.get().number
    client(people.inspector).post(f"/finance/commitments/{number}/inspect/", {"inspected_on": "R8.11.27"})
    client(people.orderer).post(
        f"/finance/commitments/{number}/order/", {"amount": "300,000", "pay_on": "2026-12-10", "method": "transfer"}
    )
    order = PaymentOrder.objects.get()
    client(people.accountant).post(f"/finance/orders/{order.number}/audit/", {"decision": "approve", "note": ""})
    response = client(people.cashier).post(
        "/finance/pay/", {"order": [order.number], "paid_on": "令和8年12月10日", "method": "transfer"}
    )
    assert (response["Content-Type"], PaymentOrder.objects.get().status, Commitment.objects.get().status) == (
        "application/octet-stream",
        OrderStatus.PAID,
        CommitmentStatus.PAID,
    )


def test_a_payment_naming_an_unknown_order_is_refused_and_pays_nothing(
    people: People, budget: Budget, vendor: Vendor
) -> None:
    """Before, an unknown 支出命令 number was dropped silently and the rest of the batch was paid."""
    entry(people.clerk, budget, "300,000", vendor)
    number = Commitment.objects.get().number
    client(people.inspector).post(f"/finance/commitments/{number}/inspect/", {"inspected_on": "R8.11.27"})
    client(people.orderer).post(
        f"/finance/commitments/{number}/order/", {"amount": "300,000", "pay_on": "2026-12-10", "method": "transfer"}
    )
    order = PaymentOrder.objects.get()
    client(people.accountant).post(f"/finance/orders/{order.number}/audit/", {"decision": "approve", "note": ""})
    response = client(people.cashier).post(
        "/finance/pay/", {"order": [order.number, "NO-SUCH-ORDER"], "paid_on": "令和8年12月10日", "method": "transfer"}
    )
    assert "NO-SUCH-ORDER が見つかりません" in response.content.decode()
    assert PaymentOrder.objects.get().status != OrderStatus.PAID


def test_self_inspection_is_refused_on_the_page(people: People, budget: Budget) -> None:
    entry(people.clerk, budget, "1,000")
    number = Commitment.objects.get().number
    response = client(people.clerk).post(f"/finance/commitments/{number}/inspect/", {"inspected_on": "R8.11.27"})
    assert (response.status_code, "職務の分離" in response.content.decode()) == (403, True)


def test_a_transfer_through_the_page(people: People, budget: Budget) -> None:
    response = client(people.finance).post(
        "/finance/transfer/",
        {
            "source": budget.salaries.pk,
            "target": budget.supplies.pk,
            "amount": "50,000",
            "on": "令和8年11月27日",
            "reason": "用紙代の不足",
        },
    )
    assert "流用しました" in response.content.decode()


def test_the_execution_page_shows_the_chart_and_figures(people: People, budget: Budget) -> None:
    entry(people.clerk, budget, "1,000")
    body = client(people.finance).get("/finance/?year=2026").content.decode()
    assert ("<svg" in body, "1,000,000" in body) == (True, True)


def test_the_execution_csv_streams(people: People, budget: Budget) -> None:
    response = client(people.finance).get("/finance/?year=2026&format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "科目(目),節・名称,予算現額,負担行為済額,支出済額,残額,執行率"


def test_the_execution_by_department_sums_the_division(people: People, budget: Budget) -> None:
    response = client(people.finance).get("/finance/?year=2026&format=csv&by=department&side=expenditure")
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[1].startswith("T100,,161600000,")


def test_the_pdfs_render(people: People, budget: Budget, vendor: Vendor) -> None:
    entry(people.clerk, budget, "1,000", vendor)
    number = Commitment.objects.get().number
    assert client(people.finance).get(f"/finance/commitments/{number}/pdf/").content.startswith(b"%PDF")


def test_the_ledger_page_lists_every_entry(people: People, budget: Budget) -> None:
    entry(people.clerk, budget, "1,000")
    body = client(people.finance).get(f"/finance/ledger/{budget.supplies.pk}/").content.decode()
    assert "999,000" in body


def test_a_teacher_cannot_open_the_execution_report(people: People, budget: Budget) -> None:
    teacher = make_person("f_teacher", nakatosa=Role.TEACHER)
    assert client(teacher).get("/finance/?format=csv").status_code == 302  # to their school's page, nothing else


def test_the_auditor_lists_commitments_by_kou(
    people: People, budget: Budget, django_assert_max_num_queries: Any
) -> None:
    entry(people.clerk, budget, "1,000")
    auditor = make_person("f_auditor", nakatosa=Role.AUDITOR)
    api = client(auditor)
    with django_assert_max_num_queries(25):
        response = api.get("/api/v1/finance/commitments/?budget_code=02-01")
    assert [row["number"] for row in response.json()["results"]] == [Commitment.objects.get().number]


def test_a_filter_on_another_kou_finds_nothing(people: People, budget: Budget) -> None:
    entry(people.clerk, budget, "1,000")
    auditor = make_person("f_auditor", nakatosa=Role.AUDITOR)
    assert client(auditor).get("/api/v1/finance/commitments/?budget_code=02-02").json()["count"] == 0


def test_the_journal_exports_as_csv(people: People, budget: Budget) -> None:
    auditor = make_person("f_auditor", nakatosa=Role.AUDITOR)
    response = client(auditor).get("/api/v1/finance/journal/?format=csv&year=2026&setsu=10")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 2  # header, the two 需用費 budget lines


def test_a_vendor_is_registered_on_the_page(people: People, budget: Budget) -> None:
    response = client(people.clerk).post(
        "/finance/vendors/",
        {
            "kind": "corporation",
            "name": "株式会社久礼印刷",
            "name_kana": "ｶ)ｸﾚｲﾝｻﾂ",
            "corporate_number": "7000012050002",
            "invoice_number": "",
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "1",
        },
    )
    assert (response.status_code, Vendor.objects.get().account_number) == (302, "0000001")


def test_an_invalid_corporate_number_is_shown_on_the_page(people: People, budget: Budget) -> None:
    response = client(people.clerk).post(
        "/finance/vendors/",
        {
            "kind": "corporation",
            "name": "株式会社久礼印刷",
            "name_kana": "ｶ)ｸﾚｲﾝｻﾂ",
            "corporate_number": "8000012050002",
        },
    )
    assert (response.status_code, "法人番号" in response.content.decode()) == (400, True)


def test_an_individual_is_listed_without_their_name(people: People, budget: Budget) -> None:
    services.register_vendor(actor=people.clerk, kind=VendorKind.INDIVIDUAL, name="山田 太郎", name_kana="ﾔﾏﾀﾞ ﾀﾛｳ")
    assert "山田" not in client(people.clerk).get("/finance/vendors/").content.decode()

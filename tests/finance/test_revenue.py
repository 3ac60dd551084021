"""Revenue: 調定 → 収納 → 収入済, 還付 and 不納欠損, each a new journal line."""

from __future__ import annotations

from datetime import date

import pytest

from finance import services
from finance.errors import FinanceError, InvalidAmount, OutsideFiscalPeriod, RoleRequired
from finance.models import Assessment, AssessmentStatus
from finance.services.revenue import ReceiptImportRejected, assessment_figures
from tests.finance.factories import Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)


@pytest.fixture
def assessment(people: People, budget: Budget) -> Assessment:
    return services.assess_revenue(
        actor=people.clerk,
        line=budget.tax,
        payer_name="高知 一郎",
        amount=120_000,
        purpose="令和8年度 町民税 第3期",
        assessed_on=DAY,
        due_on=date(2026, 12, 31),
    )


def test_an_assessment_is_numbered(assessment: Assessment) -> None:
    assert assessment.number == "R2026-000001"


def test_an_assessment_on_an_expenditure_setsu_is_refused(people: People, budget: Budget) -> None:
    with pytest.raises(FinanceError):
        services.assess_revenue(
            actor=people.clerk, line=budget.supplies, payer_name="x", amount=1, purpose="x", assessed_on=DAY, due_on=DAY
        )


def test_full_receipt_marks_it_received(people: People, assessment: Assessment) -> None:
    services.record_receipt(actor=people.accountant, assessment=assessment, amount=120_000, received_on=DAY)
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.RECEIVED


def test_a_partial_receipt_leaves_the_rest_outstanding(people: People, assessment: Assessment) -> None:
    services.record_receipt(actor=people.accountant, assessment=assessment, amount=20_000, received_on=DAY)
    assert assessment_figures(assessment).outstanding == 100_000


def test_receiving_more_than_outstanding_is_refused(people: People, assessment: Assessment) -> None:
    with pytest.raises(InvalidAmount):
        services.record_receipt(actor=people.accountant, assessment=assessment, amount=120_001, received_on=DAY)


def test_a_receipt_in_the_closing_period_counts_for_the_old_year(people: People, assessment: Assessment) -> None:
    services.record_receipt(actor=people.accountant, assessment=assessment, amount=1, received_on=date(2027, 5, 31))
    assert assessment_figures(assessment).received == 1


def test_a_receipt_after_31_may_is_refused(people: People, assessment: Assessment) -> None:
    with pytest.raises(OutsideFiscalPeriod):
        services.record_receipt(actor=people.accountant, assessment=assessment, amount=1, received_on=date(2027, 6, 1))


def test_only_the_accountant_receives(people: People, assessment: Assessment) -> None:
    with pytest.raises(RoleRequired):
        services.record_receipt(actor=people.clerk, assessment=assessment, amount=1, received_on=DAY)


def test_a_rebate_lowers_both_assessed_and_received(people: People, assessment: Assessment) -> None:
    services.record_receipt(actor=people.accountant, assessment=assessment, amount=120_000, received_on=DAY)
    services.record_rebate(
        actor=people.accountant, assessment=assessment, amount=20_000, on=date(2027, 1, 10), reason="更正による減額"
    )
    figures = assessment_figures(assessment)
    assert (figures.assessed, figures.received) == (100_000, 100_000)


def test_a_write_off_closes_what_is_outstanding(people: People, assessment: Assessment) -> None:
    services.record_receipt(actor=people.accountant, assessment=assessment, amount=20_000, received_on=DAY)
    services.write_off(
        actor=people.finance, assessment=assessment, amount=100_000, on=date(2027, 3, 31), reason="地方税法第18条の時効"
    )
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.WRITTEN_OFF


def test_a_write_off_above_outstanding_is_refused(people: People, assessment: Assessment) -> None:
    with pytest.raises(InvalidAmount):
        services.write_off(actor=people.finance, assessment=assessment, amount=120_001, on=DAY, reason="時効")


def csv_bytes(*rows: str) -> bytes:
    return ("\ufeff調定番号,収納日,金額\n" + "\n".join(rows) + "\n").encode("utf-8")


def test_a_bank_csv_records_the_receipts(people: People, assessment: Assessment) -> None:
    count = services.import_receipts(
        actor=people.accountant,
        data=csv_bytes(f"{assessment.number},2026-12-01,20000", f'{assessment.number},R8.12.2,"1,000"'),
        today=DAY.replace(month=12, day=5),
    )
    assert (count, assessment_figures(assessment).received) == (2, 21_000)


def test_a_bad_row_refuses_the_whole_file(people: People, assessment: Assessment) -> None:
    with pytest.raises(ReceiptImportRejected) as excinfo:
        services.import_receipts(
            actor=people.accountant,
            data=csv_bytes(f"{assessment.number},2026-12-01,20000", f"{assessment.number},2026-12-01,abc"),
            today=date(2026, 12, 5),
        )
    assert (excinfo.value.details["errors"][0]["row"], assessment_figures(assessment).received) == (3, 0)


def test_an_unknown_assessment_refuses_the_whole_file(people: People, assessment: Assessment) -> None:
    with pytest.raises(ReceiptImportRejected):
        services.import_receipts(
            actor=people.accountant,
            data=csv_bytes(f"{assessment.number},2026-12-01,20000", "R2026-999999,2026-12-01,1"),
            today=date(2026, 12, 5),
        )
    assert assessment_figures(assessment).received == 0

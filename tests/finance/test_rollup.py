"""The journal's monthly rollup: kept with every insert, equal to the journal's own sums, checked by
verify_ledger and recomputable from the journal (docs/domain/finance.md §7)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from finance import rollup, selectors, services
from finance.models import JournalLine, JournalRollup
from tests.finance.factories import TODAY, Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures


@pytest.fixture
def spent(people: People, budget: Budget) -> Budget:
    services.commit_expenditure(
        actor=people.clerk,
        line=budget.supplies,
        amount=12_345,
        purpose="コピー用紙",
        committed_on=TODAY,
        payee_name="土佐文具",
    )
    return budget


def test_the_rollup_agrees_with_the_journal(spent: Budget) -> None:
    assert rollup.check() is None


def test_the_rollup_sums_what_the_journal_sums(spent: Budget) -> None:
    journal = JournalLine.objects.filter(line=spent.supplies).aggregate(total=Sum("amount"))["total"]
    assert JournalRollup.objects.filter(line=spent.supplies).aggregate(total=Sum("total"))["total"] == journal


def test_the_report_reads_the_committed_figure(spent: Budget) -> None:
    row = next(r for r in selectors.execution_by_line(year=2026) if r.setsu == "10" and r.budget_code == "02-01-02")
    assert row.committed == 12_345


def test_a_tampered_rollup_is_found(spent: Budget) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE finance_journalrollup SET total = total + 1 WHERE kind = 'commitment'")
    assert rollup.check() is not None


def test_rebuild_recomputes_from_the_journal(spent: Budget) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE finance_journalrollup SET total = total + 1 WHERE kind = 'commitment'")
    rollup.rebuild()
    assert rollup.check() is None


def test_verify_ledger_checks_the_rollup(spent: Budget) -> None:
    out = StringIO()
    call_command("verify_ledger", "--schema", "nakatosa", "--ledger", "finance.JournalLine", stdout=out)
    assert "OK      nakatosa finance.JournalRollup" in out.getvalue()


def test_verify_ledger_reports_a_tampered_rollup(spent: Budget) -> None:
    from django.core.management.base import CommandError

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM finance_journalrollup WHERE kind = 'commitment'")
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--schema", "nakatosa", "--ledger", "finance.JournalLine", stdout=StringIO())

"""common.ledger through finance's journal: append-only in the database, and an edited, deleted, reordered or
other-town line is found by verify (and by ``manage.py verify_ledger``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from common import ledger
from common.ledger import LedgerOutsideTransaction
from finance import services
from finance.models import BudgetLine, JournalLine
from tests.finance.factories import Budget, People, budget, in_nakatosa, make_budget, make_people, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)


@contextmanager
def attacker_with_superuser_rights() -> Iterator[Any]:
    """Someone with direct database access who switches the protective triggers off."""
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred: fire their checks now, or the table cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE finance_journalline DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            cursor.execute("ALTER TABLE finance_journalline ENABLE TRIGGER USER")


@pytest.fixture
def journal(people: People, budget: Budget) -> list[JournalLine]:
    for amount in (10_000, 20_000, 30_000):
        services.commit_expenditure(
            actor=people.clerk,
            line=budget.supplies,
            amount=amount,
            purpose="用紙",
            committed_on=DAY,
            payee_name="土佐文具",
        )
    return list(JournalLine.objects.order_by("seq"))


def report() -> ledger.LedgerReport:
    return ledger.verify(JournalLine)


def test_an_untouched_journal_verifies(journal: list[JournalLine]) -> None:
    assert report().intact


def test_the_lines_are_numbered_without_gaps(journal: list[JournalLine]) -> None:
    assert [line.seq for line in journal] == list(range(1, len(journal) + 1))


def test_update_is_refused_by_the_database(journal: list[JournalLine]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalLine.objects.filter(pk=journal[-1].pk).update(amount=1)


def test_delete_is_refused_by_the_database(journal: list[JournalLine]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalLine.objects.filter(pk=journal[-1].pk).delete()


def test_truncate_is_refused_by_the_database(journal: list[JournalLine]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE finance_journalline CASCADE")


def test_an_edited_amount_is_found(journal: list[JournalLine]) -> None:
    with attacker_with_superuser_rights() as cursor:
        cursor.execute("UPDATE finance_journalline SET amount = amount + 1 WHERE seq = %s", [journal[-2].seq])
    assert report().first_break == ledger.LedgerBreak(
        journal[-2].seq, "行の内容がハッシュと一致しません: 行が書き換えられているか、別の自治体の行です"
    )


def test_a_deleted_line_is_found(journal: list[JournalLine]) -> None:
    with attacker_with_superuser_rights() as cursor:
        cursor.execute("DELETE FROM finance_journalline WHERE seq = %s", [journal[-2].seq])
    broken = report().first_break
    assert broken is not None
    assert broken.seq == journal[-1].seq


def test_reordered_lines_are_found(journal: list[JournalLine]) -> None:
    first, second = journal[-2], journal[-1]
    with attacker_with_superuser_rights() as cursor:
        cursor.execute("UPDATE finance_journalline SET seq = -1 WHERE id = %s", [first.pk])
        cursor.execute("UPDATE finance_journalline SET seq = %s WHERE id = %s", [first.seq, second.pk])
        cursor.execute("UPDATE finance_journalline SET seq = %s WHERE id = %s", [second.seq, first.pk])
    broken = report().first_break
    assert broken is not None
    assert broken.seq == first.seq


def test_a_line_copied_from_another_town_is_found(journal: list[JournalLine]) -> None:
    """The schema is part of each hash: 中土佐町's chain replayed, byte for byte, into 四万十町 does not verify."""
    columns = [field.column for field in JournalLine._meta.concrete_fields if field.column != "id"]
    names = ", ".join(columns)
    line_ids = sorted({line.line_id for line in journal} | set(JournalLine.objects.values_list("line_id", flat=True)))
    with schema_context("shimanto"):
        template = make_budget(make_people(prefix="s", schema="shimanto")).supplies
        # The copied lines name 中土佐町's 節 ids: give 四万十町 節 rows with the same ids so that only the
        # schema differs between the original and the copy.
        for index, line_id in enumerate(line_ids):
            if not BudgetLine.objects.filter(pk=line_id).exists():
                BudgetLine.objects.create(
                    pk=line_id,
                    fiscal_year=template.fiscal_year,
                    side=template.side,
                    moku=template.moku,
                    budget_code=template.budget_code,
                    setsu=template.setsu,
                    saisetsu=f"{50 + index:02d}",
                    name="複製",
                )
        with attacker_with_superuser_rights() as cursor:
            cursor.execute("DELETE FROM finance_journalline")
            cursor.execute(
                f"INSERT INTO shimanto.finance_journalline ({names}) "
                f"SELECT {names} FROM nakatosa.finance_journalline ORDER BY seq"
            )
        copied = ledger.verify(JournalLine, "shimanto")
    assert copied.first_break == ledger.LedgerBreak(
        1, "行の内容がハッシュと一致しません: 行が書き換えられているか、別の自治体の行です"
    )


def test_append_refuses_to_run_outside_a_transaction(budget: Budget, people: People) -> None:
    # pytest-django wraps each test in a transaction: leave it to see the refusal of a bare append.
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(LedgerOutsideTransaction):
            ledger.append(JournalLine, [JournalLine()])
    finally:
        connection.in_atomic_block = saved


def test_the_command_reports_an_intact_journal(journal: list[JournalLine]) -> None:
    out = io.StringIO()
    call_command("verify_ledger", schema="nakatosa", ledger="finance.JournalLine", stdout=out)
    assert "OK      nakatosa finance.JournalLine: 3" in out.getvalue().replace(str(len(journal)), "3")


def test_the_command_fails_on_a_broken_journal(journal: list[JournalLine]) -> None:
    with attacker_with_superuser_rights() as cursor:
        cursor.execute("UPDATE finance_journalline SET memo = 'x' WHERE seq = 1")
    with pytest.raises(CommandError):
        call_command("verify_ledger", schema="nakatosa", ledger="finance.JournalLine", stdout=io.StringIO())

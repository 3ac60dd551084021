"""The journal's monthly rollup (``finance.JournalRollup``): a derived cache the 予算執行状況表 reads instead of
scanning every journal line (docs/domain/finance.md §7).

It is kept by a statement trigger on ``finance_journalline`` in the same transaction as the insert (the journal
is append-only, so an insert is the only change to follow); ``rebuild`` recomputes it from the journal and
``check`` compares the two (run by ``verify_ledger``). The journal stays the only truth: a rollup that disagrees
is rebuilt, never the other way round.
"""

from __future__ import annotations

from django.db import connection, transaction

GROUPED = """
SELECT line_id, fiscal_year, account_code, side, budget_code, setsu, saisetsu, department_code, kind,
       date_trunc('month', posted_on)::date AS month, SUM(amount) AS total, COUNT(*) AS lines
FROM {source}
GROUP BY line_id, fiscal_year, account_code, side, budget_code, setsu, saisetsu, department_code, kind,
         date_trunc('month', posted_on)::date
"""

_INSERT = """
INSERT INTO finance_journalrollup (line_id, fiscal_year, account_code, side, budget_code, setsu, saisetsu,
    department_code, kind, month, total, lines)
""" + GROUPED.format(source="{source}")

TRIGGER_SQL = (
    """
CREATE OR REPLACE FUNCTION finance_journal_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
"""
    + _INSERT.format(source="new_lines")
    + """
ON CONFLICT (line_id, kind, month, department_code) DO UPDATE
    SET total = finance_journalrollup.total + EXCLUDED.total, lines = finance_journalrollup.lines + EXCLUDED.lines;
    RETURN NULL;
END;
$$;
CREATE TRIGGER finance_journalline_rollup AFTER INSERT ON finance_journalline
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION finance_journal_rollup();
"""
    + _INSERT.format(source="finance_journalline")
    + ";"
)
REVERSE_SQL = """
DROP TRIGGER IF EXISTS finance_journalline_rollup ON finance_journalline;
DROP FUNCTION IF EXISTS finance_journal_rollup();
"""

_DIFFERENCES = """
SELECT count(*) FROM ({grouped}) AS journal
FULL OUTER JOIN finance_journalrollup AS rollup
    ON rollup.line_id = journal.line_id AND rollup.kind = journal.kind AND rollup.month = journal.month
   AND rollup.department_code = journal.department_code
WHERE journal.line_id IS NULL OR rollup.id IS NULL OR rollup.total <> journal.total
   OR rollup.lines <> journal.lines OR rollup.fiscal_year <> journal.fiscal_year
   OR rollup.account_code <> journal.account_code OR rollup.side <> journal.side
   OR rollup.budget_code <> journal.budget_code OR rollup.setsu <> journal.setsu
   OR rollup.saisetsu <> journal.saisetsu
""".format(grouped=GROUPED.format(source="finance_journalline"))


def check() -> str | None:
    """None when the rollup of the current town equals the journal's own sums, else what differs."""
    with connection.cursor() as cursor:
        cursor.execute(_DIFFERENCES)
        differences = cursor.fetchone()[0]
    if differences:
        return f"月次集計が仕訳と {differences} 件一致しません(finance.rollup.rebuild で仕訳から再計算してください)"
    return None


def rebuild() -> None:
    """Recompute the current town's rollup from the journal (the rollup is a cache; the journal is the truth)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE finance_journalline IN SHARE MODE")
        cursor.execute("DELETE FROM finance_journalrollup")
        cursor.execute(_INSERT.format(source="finance_journalline"))

"""The audit trail: one-line writes, chain verification, database-level append-only, tamper detection."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from common import audit
from common.errors import PurposeRequired
from common.models import AuditEvent
from tenants.models import Person


@contextmanager
def attacker_with_superuser_rights(schema: str) -> Iterator[Any]:
    """Simulate someone with direct database access who switches the protective triggers off."""
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE common_auditevent DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            cursor.execute("ALTER TABLE common_auditevent ENABLE TRIGGER USER")


@pytest.fixture
def tanaka(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


def _write_rows(actor: Person, n: int = 5) -> list[AuditEvent]:
    """``n`` rows in 中土佐町's trail, chained by the sequencer (as they are seconds after a real commit)."""
    with schema_context("nakatosa"):
        rows = [
            audit.record(actor=actor, action=f"test.step{i}", obj=("test.Thing", i, f"thing {i}")) for i in range(n)
        ]
        audit.chain_pending("nakatosa")
        for row in rows:
            row.refresh_from_db()
    return rows


def test_record_is_one_line_and_writes_an_unchained_row(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        before = AuditEvent.objects.count()
        rows = [audit.record(actor=tanaka, action=f"test.step{i}") for i in range(3)]
        assert AuditEvent.objects.count() == before + 3
        assert rows[2].seq == rows[0].seq + 2
        assert rows[0].actor_username == "tanaka"
        assert rows[0].trail == "nakatosa"
        assert AuditEvent.objects.filter(pk__in=[r.pk for r in rows], chain_seq=None, row_hash=None).count() == 3


def test_the_sequencer_chains_the_rows_in_order(tanaka: Person) -> None:
    rows = _write_rows(tanaka, 3)
    assert rows[1].prev_hash == rows[0].row_hash
    assert rows[2].prev_hash == rows[1].row_hash
    assert [r.chain_seq for r in rows] == [rows[0].chain_seq, rows[0].chain_seq + 1, rows[0].chain_seq + 2]
    assert audit.chain_pending("nakatosa") == 0  # nothing left
    assert audit.verify_chain("nakatosa").intact


def test_verification_chains_what_is_pending_first(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        row = audit.record(actor=tanaka, action="test.pending")
    report = audit.verify_chain("nakatosa")
    assert report.intact
    with schema_context("nakatosa"):
        row.refresh_from_db()
    assert row.chain_seq is not None


def test_a_row_left_unchained_too_long_is_reported(tanaka: Person, settings: Any) -> None:
    audit.chain_pending("nakatosa")
    with schema_context("nakatosa"):
        stale = audit.record(actor=tanaka, action="test.never_chained")
    settings.KYODO_AUDIT_UNCHAINED_MAX_AGE_SECONDS = 0
    report = audit.verify_chain("nakatosa", chain_first=False)  # as if the sequencer were not running
    assert report.first_break is not None
    assert report.first_break.row_id == stale.pk
    assert "連鎖されていない" in report.first_break.reason


def test_a_young_unchained_row_is_counted_not_reported(tanaka: Person) -> None:
    audit.chain_pending("nakatosa")
    with schema_context("nakatosa"):
        audit.record(actor=tanaka, action="test.just_written")
    report = audit.verify_chain("nakatosa", chain_first=False)
    assert report.intact
    assert report.unchained == 1


def test_each_town_has_its_own_trail(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        audit.record(actor=tanaka, action="test.only_here")
    with schema_context("shimanto"):
        assert not AuditEvent.objects.filter(action="test.only_here").exists()
    council_row = audit.record(actor=tanaka, action="test.council", council=True)
    assert council_row.trail == "public"
    with schema_context("public"):
        assert AuditEvent.objects.filter(pk=council_row.pk, action="test.council").exists()


def test_personal_data_needs_a_purpose(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        with pytest.raises(PurposeRequired):
            audit.record(actor=tanaka, action="resident.view", personal_data=True)
        with pytest.raises(PurposeRequired):
            audit.record(actor=tanaka, action="resident.view", personal_data=True, purpose="   ")
        row = audit.record(actor=tanaka, action="resident.view", personal_data=True, purpose="住民票の写し交付")
        assert row.purpose == "住民票の写し交付"


def test_database_enforces_purpose_for_personal_data(tanaka: Person) -> None:
    with schema_context("nakatosa"), pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.create(
            seq=10**9, occurred_at="2026-01-01T00:00:00Z", trail="nakatosa", action="x", personal_data=True,
            purpose="", prev_hash="0" * 64, row_hash="f" * 64,
        )  # fmt: skip


def test_rolled_back_operation_leaves_no_audit_row(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        before = AuditEvent.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(actor=tanaka, action="test.doomed")
            raise RuntimeError("business rule failed")
        assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("statement", ["UPDATE common_auditevent SET action = 'x'", "DELETE FROM common_auditevent"])
def test_database_refuses_update_and_delete(tanaka: Person, statement: str) -> None:
    with schema_context("nakatosa"):
        _write_rows(tanaka, 1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_database_refuses_to_change_a_chained_rows_link(tanaka: Person) -> None:
    [row] = _write_rows(tanaka, 1)
    with (
        schema_context("nakatosa"),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE common_auditevent SET chain_seq = chain_seq + 1000000 WHERE id = %s", [row.pk])


def test_database_refuses_content_changed_while_chaining(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        row = audit.record(actor=tanaka, action="test.unchained")
    with (
        schema_context("nakatosa"),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE common_auditevent SET chain_seq = 1000000000000, prev_hash = 'x', row_hash = 'y', purpose = 'z' "
            "WHERE id = %s",
            [row.pk],
        )


@pytest.mark.parametrize("schema", ["nakatosa", "shimanto", "council", "public"])
def test_every_schema_has_the_append_only_triggers(db: Any, schema: str) -> None:
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'common_auditevent' AND n.nspname = %s",
            [schema],
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"common_auditevent_no_update_delete", "common_auditevent_no_truncate"}


def test_database_refuses_truncate(tanaka: Person) -> None:
    with (
        schema_context("nakatosa"),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE common_auditevent")


def _verify_command(schema: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit_chain", "--schema", schema, stdout=out)
    except CommandError as exc:
        return 1, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_verify_command_passes_on_intact_chain(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        _write_rows(tanaka, 3)
    code, output = _verify_command("nakatosa")
    assert code == 0
    assert "chain intact" in output


def test_edited_row_is_detected(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        rows = _write_rows(tanaka, 4)
    with attacker_with_superuser_rights("nakatosa") as cursor:
        cursor.execute("UPDATE common_auditevent SET purpose = 'changed' WHERE id = %s", [rows[2].pk])
    code, output = _verify_command("nakatosa")
    assert code == 1
    assert f"seq={rows[2].seq}" in output
    assert "書き換え" in output


def test_deleted_row_is_detected(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        rows = _write_rows(tanaka, 4)
    with attacker_with_superuser_rights("nakatosa") as cursor:
        cursor.execute("DELETE FROM common_auditevent WHERE id = %s", [rows[1].pk])
    code, output = _verify_command("nakatosa")
    assert code == 1
    assert f"seq={rows[2].seq}" in output  # the row after the gap is the first broken one


def test_row_inserted_out_of_order_is_detected(tanaka: Person) -> None:
    """A forged row slipped between two real ones, with a re-numbered tail, still breaks the chain."""
    with schema_context("nakatosa"):
        rows = _write_rows(tanaka, 3)
    with attacker_with_superuser_rights("nakatosa") as cursor:
        shift = "UPDATE common_auditevent SET chain_seq = chain_seq + %s WHERE chain_seq >= %s"
        cursor.execute(shift, [10**9, rows[1].chain_seq])
        cursor.execute(shift, [1 - 10**9, 10**9])
        forged = {
            "seq": 10**12, "chain_seq": rows[1].chain_seq, "occurred_at": rows[1].occurred_at, "trail": "nakatosa",
            "actor_id": None,
            "actor_username": "", "actor_name": "", "role": "", "action": "forged", "object_type": "",
            "object_id": "", "object_repr": "", "personal_data": False, "purpose": "", "client_ip": None,
            "terminal": "", "channel": "", "request_id": "", "details": {}, "prev_hash": rows[0].row_hash,
        }  # fmt: skip
        forged["row_hash"] = audit.compute_row_hash(forged)
        with schema_context("nakatosa"):
            AuditEvent.objects.create(**forged)
    report = audit.verify_chain("nakatosa")
    assert not report.intact
    assert report.first_break is not None
    assert report.first_break.chain_seq == rows[1].chain_seq + 1
    assert report.first_break.seq == rows[1].seq


def test_row_copied_from_another_town_is_detected(tanaka: Person) -> None:
    with schema_context("shimanto"):
        audit.record(actor=tanaka, action="test.foreign")
    audit.chain_pending("shimanto")
    audit.chain_pending("nakatosa")
    with schema_context("shimanto"):
        foreign = AuditEvent.objects.get(action="test.foreign")
    with schema_context("nakatosa"):
        last = AuditEvent.objects.exclude(chain_seq=None).order_by("-chain_seq").first()
        assert last is not None
        assert last.chain_seq is not None
    with attacker_with_superuser_rights("nakatosa"), schema_context("nakatosa"):
        AuditEvent.objects.create(
            **{f: getattr(foreign, f) for f in audit.HASHED_FIELDS if f not in {"seq", "prev_hash"}},
            seq=10**12, chain_seq=last.chain_seq + 1, prev_hash=last.row_hash, row_hash=foreign.row_hash,
        )  # fmt: skip
    report = audit.verify_chain("nakatosa")
    assert not report.intact
    assert report.first_break is not None
    assert report.first_break.chain_seq == last.chain_seq + 1


def test_unknown_schema_is_refused(db: Any) -> None:
    code, output = _verify_command("nowhere")
    assert code == 1
    assert "Unknown schema" in output


def test_rows_cut_from_the_end_are_detected_by_the_anchor(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        rows = _write_rows(tanaka, 3)
    code, _ = _verify_command("nakatosa")  # a successful verification anchors the head in public
    assert code == 0
    with attacker_with_superuser_rights("nakatosa") as cursor:
        cursor.execute("DELETE FROM common_auditevent WHERE chain_seq >= %s", [rows[1].chain_seq])
    code, output = _verify_command("nakatosa")
    assert code == 1
    assert "末尾" in output
    assert f"chain_seq={rows[2].chain_seq}" in output


def test_tail_rewritten_with_recomputed_hashes_is_detected_by_the_anchor(tanaka: Person) -> None:
    with schema_context("nakatosa"):
        rows = _write_rows(tanaka, 2)
    assert _verify_command("nakatosa")[0] == 0
    last = rows[-1]
    fields = {f: getattr(last, f) for f in (*audit.HASHED_FIELDS, "chain_seq")}
    fields["purpose"] = "書き換えた目的"
    new_hash = audit.compute_row_hash(fields)
    with attacker_with_superuser_rights("nakatosa") as cursor:
        cursor.execute(
            "UPDATE common_auditevent SET purpose = %s, row_hash = %s WHERE id = %s",
            [fields["purpose"], new_hash, last.pk],
        )
    report = audit.verify_chain("nakatosa")
    assert not report.intact
    assert report.first_break is not None
    assert report.first_break.chain_seq == last.chain_seq


def test_actions_have_japanese_labels_for_auditors() -> None:
    from common.audit_labels import action_label

    assert action_label("auth.login") == "ログイン"
    assert action_label("resident.move_in") == "住民記録: 転入"
    assert action_label("something.unknown") == "something.unknown"


def test_every_action_written_by_the_code_has_a_japanese_label() -> None:
    """A new audit action without a label would show its raw code to auditors."""
    import re
    from pathlib import Path

    from common.audit_labels import ACTION_LABELS

    root = Path(__file__).resolve().parents[2]
    written: set[str] = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert sorted(written - set(ACTION_LABELS)) == []

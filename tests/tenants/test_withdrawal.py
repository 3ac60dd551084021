"""withdraw_municipality: archive, prove by restoring, then withdraw (and drop) — or change nothing.

pg_dump and pg_restore run in other processes and cannot see a test's uncommitted transaction, so these
tests work on committed, uniquely named towns (schema wd_<random>) that the module fixture provisions and
removes again afterwards. Nothing is truncated or flushed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from common import audit
from common.errors import ApplicationError
from common.models import AuditEvent
from tenants import services, withdrawal
from tenants.codes import local_government_check_digit
from tenants.models import Domain, Membership, Municipality, Person, Role

TownFactory = Callable[[], Municipality]
# An object label with a line break, a comma and quotes: the CSV export must keep such a row as one record.
AWKWARD_TEXT = '改行を\n含む, "引用符" の文'


def _unused_code() -> str:
    # Made-up prefecture 98 (there is none), so no demo or real town code is ever taken.
    taken = set(Municipality.objects.exclude(code=None).values_list("code", flat=True))
    for _ in range(1000):
        five = f"98{secrets.randbelow(1000):03d}"
        code = f"{five}{local_government_check_digit(five)}"
        if code not in taken:
            return code
    raise AssertionError("no unused test code left")


def require_test_database() -> None:
    """Fail, touching nothing, unless the connection points at pytest-django's test database.

    pytest-django creates the test database only when a collected test asks for one (the `db` fixture
    or a django_db mark). These tests commit, so without that check a run that selected only them
    (e.g. with -k) would write into the configured, real database. The refusal test below uses `db`,
    which is what makes a plain run of this file set the test database up.
    """
    name = connection.settings_dict["NAME"]
    if name != connection.creation._get_test_db_name():
        pytest.fail(f"not the test database ({name}); include a test that uses the db fixture in this run")


@pytest.fixture(scope="module")
def make_town(django_db_setup: Any, django_db_blocker: Any) -> Iterator[TownFactory]:
    """Provision committed throwaway towns, each with one clerk and a few audit rows; remove them all after."""
    schemas: list[str] = []
    usernames: list[str] = []

    require_test_database()

    def factory() -> Municipality:
        token = secrets.token_hex(4)
        schema, username = f"wd_{token}", f"wd-clerk-{token}"
        with django_db_blocker.unblock():
            town = services.provision_municipality(
                actor=None,
                schema=schema,
                name=f"脱退テスト町{token}",
                domain=f"wd-{token}.localhost",
                code=_unused_code(),
            ).municipality
            schemas.append(schema)
            clerk = Person.objects.create_user(username, "not-used-0123", full_name="脱退 テスト")
            usernames.append(username)
            Membership.objects.create(person=clerk, municipality=town, role=Role.CLERK, valid_from=date(2020, 4, 1))
            with schema_context(schema):
                for n in range(3):
                    audit.record(actor=clerk, action="test.withdrawal_fixture", obj=("test.Note", n, AWKWARD_TEXT))
        return town

    yield factory

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for schema in schemas:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        Membership.objects.filter(municipality__schema_name__in=schemas).delete()
        Domain.objects.filter(tenant__schema_name__in=schemas).delete()
        Municipality.objects.filter(schema_name__in=schemas).delete()
        Person.objects.filter(username__in=usernames).delete()


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Database access outside pytest-django's per-test transaction: every write here is committed."""
    require_test_database()
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="module")
def bystander(make_town: TownFactory) -> Municipality:
    """A town that refusal tests point at or look at; it must come out of every test unchanged."""
    return make_town()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _council_withdrawals(schema: str) -> list[AuditEvent]:
    with schema_context("public"):
        return list(AuditEvent.objects.filter(action="municipality.withdraw", details__schema=schema))


_SCRATCH_NAMES: list[str] = []


@pytest.fixture(autouse=True)
def _recorded_scratch_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Note the scratch databases this test's withdrawals create (other runs may verify at the same time)."""
    real_name = withdrawal._scratch_database_name
    _SCRATCH_NAMES.clear()

    def recorded() -> str:
        name = real_name()
        _SCRATCH_NAMES.append(name)
        return name

    monkeypatch.setattr(withdrawal, "_scratch_database_name", recorded)


def _scratch_databases() -> list[str]:
    """The scratch databases this test created that still exist (the service must always drop them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", [_SCRATCH_NAMES])
        return [row[0] for row in cursor.fetchall()]


def _assert_untouched(town: Municipality, archive_root: Path) -> None:
    town.refresh_from_db()
    assert town.status == Municipality.Status.ACTIVE
    assert town.withdrawn_at is None
    assert schema_exists(town.schema_name)
    assert Domain.objects.filter(tenant=town).exists()
    assert _council_withdrawals(town.schema_name) == []
    assert list(archive_root.iterdir()) == [], "a failed withdrawal must leave no (partial) archive"
    assert _scratch_databases() == []


# --- Success -------------------------------------------------------------------------------------------


def test_withdrawal_writes_verified_archive_and_marks_town_withdrawn(
    committed: None, make_town: TownFactory, tmp_path: Path
) -> None:
    town = make_town()
    schema = town.schema_name

    report = withdrawal.withdraw_municipality(actor=None, schema=schema, archive_dir=tmp_path)

    archive = report.archive_dir
    assert archive.parent == tmp_path
    assert archive.name.startswith(f"{schema}-")
    assert archive.name.endswith("Z")
    manifest = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["municipality"] == {
        "name": town.name,
        "name_kana": "",
        "code": town.code,
        "schema": schema,
        "domains": [Domain.objects.get(tenant=town).domain],
    }
    assert manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL)")
    assert manifest["postgresql_server_version"]
    assert manifest["app_version"] not in ("", "unknown")
    assert manifest["verification"]["result"] == "passed"
    assert _sha256(archive / "manifest.json") == report.manifest_sha256

    # Every file is listed with its true hash and size; the listing covers the dump and one CSV per table.
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file()} - {
        "manifest.json",
        "manifest.sha256",
    }
    assert set(listed) == on_disk
    assert f"{schema}.dump" in listed
    for rel, entry in listed.items():
        assert entry["sha256"] == _sha256(archive / rel)
        assert entry["bytes"] == (archive / rel).stat().st_size
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        town_tables = {row[0] for row in cursor.fetchall()}
    assert set(manifest["tables"]) == town_tables  # every table of the town, whatever apps it has
    assert {"common_auditevent", "django_migrations", "resident_records_resident"} <= town_tables
    assert {f"csv/{table}.csv" for table in manifest["tables"]} == on_disk - {f"{schema}.dump"}

    # CSV record counts (a quoted field may hold a line break) match the manifest and the report.
    for table, info in manifest["tables"].items():
        assert withdrawal.csv_row_count(archive / info["csv"]) == info["rows"] == report.row_counts[table]
    # seed + 3 fixture rows + the export row written before the dump
    assert manifest["tables"]["common_auditevent"]["rows"] == 5
    audit_csv = (archive / "csv" / "common_auditevent.csv").read_text(encoding="utf-8")
    assert "municipality.withdraw_export" in audit_csv
    assert AWKWARD_TEXT.replace('"', '""') in audit_csv

    checked = subprocess.run(
        ["sha256sum", "-c", "manifest.sha256"], cwd=archive, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == len(listed) + 1

    toc = subprocess.run(
        ["pg_restore", "--list", str(archive / f"{schema}.dump")], capture_output=True, text=True, check=True
    ).stdout
    assert f"SCHEMA - {schema}" in toc
    assert "TABLE DATA" in toc
    assert "common_auditevent" in toc

    town.refresh_from_db()
    assert town.status == Municipality.Status.WITHDRAWN
    assert town.withdrawn_at is not None
    assert schema_exists(schema), "without --drop the schema stays"
    assert Domain.objects.filter(tenant=town).exists()
    assert len(_SCRATCH_NAMES) == 1
    assert _scratch_databases() == []

    # Memberships are not edited; the withdrawn status alone stops them granting access.
    membership = Membership.objects.get(municipality=town)
    assert membership.valid_to is None
    assert not Membership.objects.active().filter(pk=membership.pk).exists()

    with schema_context(schema):
        town_rows = list(AuditEvent.objects.order_by("seq").values_list("action", "details"))
        assert audit.verify_chain(schema).intact
    assert town_rows[-1] == ("municipality.withdraw_export", {"archive": str(archive), "drop": False})
    [council_row] = _council_withdrawals(schema)
    assert council_row.details["archive"] == str(archive)
    assert council_row.details["manifest_sha256"] == report.manifest_sha256
    assert council_row.details["schema_dropped"] is False
    assert council_row.details["rows"] == report.total_rows
    assert council_row.object_id == str(town.pk)

    with pytest.raises(withdrawal.WithdrawalRefused) as again:
        withdrawal.withdraw_municipality(actor=None, schema=schema, archive_dir=tmp_path)
    assert again.value.code == "already_withdrawn"
    assert [p.name for p in tmp_path.iterdir()] == [archive.name]


def test_command_with_drop_removes_schema_only_after_verification(
    committed: None, make_town: TownFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = make_town()
    schema = town.schema_name
    seen_at_verification: list[bool] = []
    real_restore = withdrawal._restored_row_counts

    def spying_restore(**kwargs: Any) -> dict[str, int]:
        seen_at_verification.append(schema_exists(schema))
        return real_restore(**kwargs)

    monkeypatch.setattr(withdrawal, "_restored_row_counts", spying_restore)
    out = StringIO()

    call_command("withdraw_municipality", "--schema", schema, "--archive", str(tmp_path), "--drop", stdout=out)

    assert seen_at_verification == [True], "the restore proof runs while the schema still exists"
    assert not schema_exists(schema)
    assert not Domain.objects.filter(tenant=town).exists()
    town.refresh_from_db()
    assert town.status == Municipality.Status.WITHDRAWN
    [archive] = list(tmp_path.iterdir())
    output = out.getvalue()
    assert "脱退処理が完了しました" in output
    assert str(archive) in output
    assert "スキーマとホスト名を削除しました" in output
    assert (archive / f"{schema}.dump").stat().st_size > 0
    [council_row] = _council_withdrawals(schema)
    assert council_row.details["schema_dropped"] is True
    assert council_row.details["manifest_sha256"] == _sha256(archive / "manifest.json")


# --- Refusals: nothing changes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("no_such_town", "municipality_not_found"),
        ("public", "withdrawal_public_schema"),
        ("council", "withdrawal_not_a_town"),
    ],
)
def test_refuses_unknown_public_and_council(
    db: Any, bystander: Municipality, tmp_path: Path, target: str, code: str
) -> None:
    # `db`, not `committed`: a refusal writes nothing, and this test is what makes pytest-django create
    # the test database when this file runs on its own (see require_test_database).
    council_before = Municipality.objects.get(schema_name="council")
    with pytest.raises(ApplicationError) as refused:
        withdrawal.withdraw_municipality(actor=None, schema=target, archive_dir=tmp_path)
    assert refused.value.code == code
    council_after = Municipality.objects.get(schema_name="council")
    assert council_after.status == council_before.status == Municipality.Status.ACTIVE
    assert schema_exists("council")
    _assert_untouched(bystander, tmp_path)


def test_refuses_already_withdrawn_town_without_touching_it(
    committed: None, make_town: TownFactory, tmp_path: Path
) -> None:
    town = make_town()
    withdrawn_at = datetime(2016, 4, 1, tzinfo=UTC)
    Municipality.objects.filter(pk=town.pk).update(status=Municipality.Status.WITHDRAWN, withdrawn_at=withdrawn_at)
    with pytest.raises(CommandError) as refused:
        call_command("withdraw_municipality", "--schema", town.schema_name, "--archive", str(tmp_path), "--drop")
    assert "既に脱退済みです" in str(refused.value)
    assert "[already_withdrawn]" in str(refused.value)
    town.refresh_from_db()
    assert town.withdrawn_at == withdrawn_at
    assert schema_exists(town.schema_name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["missing", "regular_file"])
def test_refuses_unusable_archive_directory(
    committed: None, bystander: Municipality, tmp_path: Path, kind: str
) -> None:
    archive_root = tmp_path / "archive"
    if kind == "regular_file":
        archive_root.write_text("not a directory")
    with pytest.raises(withdrawal.WithdrawalRefused) as refused:
        withdrawal.withdraw_municipality(actor=None, schema=bystander.schema_name, archive_dir=archive_root)
    assert refused.value.code == "archive_dir_not_writable"
    assert "退避先ディレクトリ" in refused.value.message
    with schema_context(bystander.schema_name):
        assert not AuditEvent.objects.filter(action="municipality.withdraw_export").exists()
    (tmp_path / "archive").unlink(missing_ok=True)
    _assert_untouched(bystander, tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permission bits")
def test_refuses_read_only_archive_directory(committed: None, bystander: Municipality, tmp_path: Path) -> None:
    archive_root = tmp_path / "archive"
    archive_root.mkdir(mode=0o500)
    try:
        with pytest.raises(withdrawal.WithdrawalRefused) as refused:
            withdrawal.withdraw_municipality(actor=None, schema=bystander.schema_name, archive_dir=archive_root)
        assert refused.value.code == "archive_dir_not_writable"
        assert list(archive_root.iterdir()) == []
    finally:
        archive_root.chmod(0o700)
    archive_root.rmdir()
    _assert_untouched(bystander, tmp_path)


def test_never_overwrites_an_existing_archive(
    committed: None, bystander: Municipality, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(withdrawal.timezone, "now", lambda: fixed)
    earlier = tmp_path / f"{bystander.schema_name}-20260401T000000Z"
    earlier.mkdir()
    (earlier / "manifest.json").write_text("earlier archive")
    with pytest.raises(withdrawal.WithdrawalRefused) as refused:
        withdrawal.withdraw_municipality(actor=None, schema=bystander.schema_name, archive_dir=tmp_path)
    assert refused.value.code == "archive_exists"
    assert (earlier / "manifest.json").read_text() == "earlier archive"
    shutil.rmtree(earlier)
    _assert_untouched(bystander, tmp_path)


# --- Failures after the export started: the town stays active, nothing is dropped ----------------------


def test_restore_mismatch_leaves_town_active_and_removes_archive(
    committed: None, make_town: TownFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = make_town()
    real_restore = withdrawal._restored_row_counts

    def one_row_lost(**kwargs: Any) -> dict[str, int]:
        counts = real_restore(**kwargs)
        counts["common_auditevent"] -= 1
        return counts

    monkeypatch.setattr(withdrawal, "_restored_row_counts", one_row_lost)
    with pytest.raises(withdrawal.WithdrawalFailed) as failed:
        withdrawal.withdraw_municipality(actor=None, schema=town.schema_name, archive_dir=tmp_path, drop=True)
    assert failed.value.code == "withdrawal_failed"
    assert failed.value.details["step"] == "verify_restore"
    assert failed.value.details["mismatches"] == {"common_auditevent": {"expected": 5, "restored": 4}}
    assert len(_SCRATCH_NAMES) == 1, "the real restore ran (and its scratch database must be gone)"
    assert "一致しません" in failed.value.message
    _assert_untouched(town, tmp_path)
    with schema_context("public"):
        [failure_row] = AuditEvent.objects.filter(action="municipality.withdraw_failed", object_id=str(town.pk))
    assert failure_row.details["code"] == "withdrawal_failed"
    assert failure_row.details["details"]["step"] == "verify_restore"
    assert Membership.objects.active().filter(municipality=town).exists()


def _fake_pg_bin(directory: Path, **scripts: str) -> Path:
    """A KYODO_PG_BIN directory: the real client tools, except the ones given as shell scripts."""
    directory.mkdir()
    for name in ("pg_dump", "pg_restore"):
        target = directory / name
        if name in scripts:
            target.write_text("#!/bin/sh\n" + scripts[name])
            target.chmod(0o755)
        else:
            real = shutil.which(name)
            assert real is not None
            target.symlink_to(real)
    return directory


def test_failing_pg_restore_leaves_town_active(
    committed: None, make_town: TownFactory, tmp_path: Path, settings: Any
) -> None:
    town = make_town()
    real_restore = shutil.which("pg_restore")
    settings.KYODO_PG_BIN = str(
        _fake_pg_bin(
            tmp_path / "bin",
            pg_restore=(
                f'if [ "$1" = "--version" ]; then exec {real_restore} --version; fi\n'
                'echo "pg_restore: error: could not execute query: simulated failure" >&2\nexit 1\n'
            ),
        )
    )
    archive_root = tmp_path / "archive"
    archive_root.mkdir()
    with pytest.raises(CommandError) as failed:
        call_command("withdraw_municipality", "--schema", town.schema_name, "--archive", str(archive_root), "--drop")
    message = str(failed.value)
    assert "一時データベースに復元できませんでした" in message
    assert "simulated failure" in message
    _assert_untouched(town, archive_root)


@pytest.mark.parametrize(
    ("scripts", "expected"),
    [
        ({}, "pg_dump が KYODO_PG_BIN"),
        ({"pg_dump": 'echo "pg_dump (PostgreSQL) 9.6.24"\n'}, "pg_dump のバージョン (9)"),
    ],
)
def test_missing_or_old_pg_dump_is_refused_before_anything_is_written(
    committed: None,
    bystander: Municipality,
    tmp_path: Path,
    settings: Any,
    scripts: dict[str, str],
    expected: str,
) -> None:
    bin_dir = tmp_path / "bin"
    if scripts:
        _fake_pg_bin(bin_dir, **scripts)
    else:
        bin_dir.mkdir()
    settings.KYODO_PG_BIN = str(bin_dir)
    archive_root = tmp_path / "archive"
    archive_root.mkdir()
    with pytest.raises(withdrawal.WithdrawalFailed) as failed:
        withdrawal.withdraw_municipality(actor=None, schema=bystander.schema_name, archive_dir=archive_root)
    assert expected in failed.value.message
    assert failed.value.details["step"] == "find_tools"
    _assert_untouched(bystander, archive_root)


def test_command_line_exits_non_zero_with_japanese_message(committed: None, tmp_path: Path) -> None:
    db = connection.settings_dict
    url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=quote(db["USER"] or ""),
        password=quote(db["PASSWORD"] or ""),
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        name=quote(db["NAME"]),
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "manage.py", "withdraw_municipality", "--schema", "public", "--archive", str(tmp_path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "public スキーマ(協議会の共通データ)は脱退処理の対象にできません" in result.stderr
    assert list(tmp_path.iterdir()) == []

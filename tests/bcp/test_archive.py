"""The artifact: a consistent pg_dump → zstd → age, its manifest, and the inverse primitives restores use."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyrage
import pytest
from django.db import connection

from bcp import archive
from bcp.errors import ArtifactTampered, DumpFailed, KeyNotConfigured, WrongKey

pytestmark = pytest.mark.django_db

OTHER_KEY = "AGE-SECRET-KEY-1AL593TDTJVDWQ8ZEUZ86PRKHKFYW06ENYJ8X45S2VRSDXHQPNY9Q3TTZUG"  # test-only


@pytest.fixture(scope="module")
def nakatosa_dump(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> archive.DumpResult:
    with django_db_blocker.unblock():
        target = tmp_path_factory.mktemp("artifact") / archive.ARTIFACT_NAME
        return archive.dump_schema(schema="nakatosa", target=target, key_refs=["dev"])


def test_the_artifact_is_an_encrypted_compressed_pg_dump_of_the_schema(
    nakatosa_dump: archive.DumpResult, tmp_path: Path
) -> None:
    result = nakatosa_dump
    assert result.path.is_file()
    assert not list(result.path.parent.glob(".*part*"))  # nothing half-written left beside it
    assert result.size_bytes == result.path.stat().st_size
    assert result.sha256 == archive.sha256_file(result.path)
    assert result.path.read_bytes().startswith(b"age-encryption.org/v1")
    assert b"nakatosa" not in result.path.read_bytes()  # encrypted, not merely compressed

    dump = tmp_path / "dump.pgc"
    assert archive.decrypt_to(result.path, dump, key_ref="dev") == result.dump_bytes
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert "TABLE nakatosa common_auditevent" in listing
    assert "SCHEMA - nakatosa" in listing


def test_the_manifest_describes_every_table_as_in_the_live_schema(nakatosa_dump: archive.DumpResult) -> None:
    key = archive.artifact_key_for("nakatosa", nakatosa_dump.snapshot_at)
    manifest = archive.build_manifest(nakatosa_dump, artifact_key=key)
    assert key.startswith("nakatosa/")
    assert key.endswith("/dump.pgc.zst.age")
    assert manifest["format_version"] == archive.FORMAT_VERSION
    assert manifest["artifact"]["sha256"] == nakatosa_dump.sha256
    assert manifest["artifact"]["size"] == nakatosa_dump.size_bytes
    assert manifest["dump_size"] == nakatosa_dump.dump_bytes
    assert manifest["postgresql_version"]
    assert "pg_dump" in manifest["pg_dump_version"]
    assert manifest["app_version"]
    assert manifest["key_ref"] == "dev"
    assert "AGE-SECRET-KEY" not in json.dumps(manifest)  # a reference, never the key
    with connection.cursor() as cursor:
        live = archive.table_checksums(cursor, "nakatosa")
    assert manifest["tables"] == live  # the demo town is committed and unchanged since the dump
    assert manifest["tables"]["common_auditevent"]["rows"] >= 1
    assert archive.parse_manifest(archive.manifest_bytes(manifest)) == manifest


def test_checksums_see_a_changed_row_and_leave_the_session_settings_alone() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW TimeZone")
        zone_before = cursor.fetchone()[0]
        before = archive.table_checksums(cursor, "public")
        cursor.execute("UPDATE public.tenants_municipality SET name = name || '!' WHERE schema_name = 'nakatosa'")
        after = archive.table_checksums(cursor, "public")
        cursor.execute("SHOW TimeZone")
        assert cursor.fetchone()[0] == zone_before
    assert before["tenants_municipality"]["rows"] == after["tenants_municipality"]["rows"]
    assert before["tenants_municipality"]["checksum"] != after["tenants_municipality"]["checksum"]
    assert archive.compare_checksums(before, after) == [
        {
            "table": "tenants_municipality",
            "problem": "mismatch",
            "expected": before["tenants_municipality"],
            "actual": after["tenants_municipality"],
        }
    ]
    assert before["tenants_person"] == after["tenants_person"]


def test_a_wrong_key_is_refused_and_leaves_no_output(
    nakatosa_dump: archive.DumpResult, tmp_path: Path, settings: Any
) -> None:
    settings.KYODO_BACKUP_KEYS = {**settings.KYODO_BACKUP_KEYS, "other": OTHER_KEY}
    out = tmp_path / "dump.pgc"
    with pytest.raises(WrongKey) as caught:
        archive.decrypt_to(nakatosa_dump.path, out, key_ref="other")
    assert caught.value.code == "bcp_wrong_key"
    assert not out.exists()


def test_a_flipped_byte_is_refused_by_the_authenticated_encryption(
    nakatosa_dump: archive.DumpResult, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.age"
    data = bytearray(nakatosa_dump.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    out = tmp_path / "dump.pgc"
    with pytest.raises(ArtifactTampered):
        archive.decrypt_to(tampered, out, key_ref="dev")
    assert not out.exists()
    assert archive.sha256_file(tampered) != nakatosa_dump.sha256


def test_a_missing_key_fails_before_anything_is_dumped(tmp_path: Path) -> None:
    target = tmp_path / archive.ARTIFACT_NAME
    with pytest.raises(KeyNotConfigured):
        archive.dump_schema(schema="nakatosa", target=target, key_refs=["nowhere"])
    assert list(tmp_path.iterdir()) == []


def test_a_failed_pg_dump_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / archive.ARTIFACT_NAME
    with pytest.raises(DumpFailed) as caught:
        archive.dump_schema(schema="no_such_town", target=target, key_refs=["dev"])
    assert "no matching schemas" in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_an_artifact_for_two_keys_opens_with_either(tmp_path: Path, settings: Any) -> None:
    settings.KYODO_BACKUP_KEYS = {**settings.KYODO_BACKUP_KEYS, "other": OTHER_KEY}
    artifact = tmp_path / "a.age"
    plain = b"pg_dump archive " * 50_000
    count, size, sha = archive.encrypt_stream(io.BytesIO(plain), artifact, key_refs=["dev", "other"])
    assert count == len(plain)
    assert size == artifact.stat().st_size
    assert sha == archive.sha256_file(artifact)
    assert size < len(plain) // 10  # zstd did its work before encryption
    for ref in ("dev", "other"):
        out = tmp_path / f"{ref}.out"
        archive.decrypt_to(artifact, out, key_ref=ref)
        assert out.read_bytes() == plain


def test_the_test_key_is_the_fixed_test_only_key() -> None:
    # Every process of a test run (pytest, Celery workers) must share it; see config/settings/test.py.
    identity = pyrage.x25519.Identity.from_str(OTHER_KEY)
    assert str(identity.to_public()).startswith("age1")
    assert archive.recipient_for("dev") is not None


class _EndlessDump:
    """A 48 MiB stand-in for pg_dump's stdout, produced on demand; records how much is asked for at once."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size)
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return os.urandom(size // 2) + bytes(size - size // 2)


def test_the_pipeline_streams_and_never_holds_the_dump_in_memory(tmp_path: Path) -> None:
    source = _EndlessDump(48 * 1024 * 1024)
    tracemalloc.start()
    try:
        count, size, _sha = archive.encrypt_stream(source, tmp_path / "big.age", key_refs=["dev"])  # type: ignore[arg-type]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 48 * 1024 * 1024
    assert size == (tmp_path / "big.age").stat().st_size
    assert 0 < source.largest_read <= archive.CHUNK
    assert peak < 8 * 1024 * 1024  # a few blocks in flight, not the 48 MiB dump


@pytest.fixture
def busy_schema(django_db_blocker: Any) -> Iterator[str]:
    """A committed scratch schema with one table (pg_dump reads committed data only); dropped afterwards."""
    name = f"bcp_consistency_{secrets.token_hex(4)}"
    with django_db_blocker.unblock(), psycopg.connect(archive.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
        conn.execute(f'CREATE TABLE "{name}".ledger (id bigserial PRIMARY KEY, note text NOT NULL)')
        conn.execute(f"INSERT INTO \"{name}\".ledger (note) SELECT 'row ' || n FROM generate_series(1, 1000) n")
        try:
            yield name
        finally:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_the_dump_and_the_manifest_are_one_snapshot_while_clerks_keep_writing(
    busy_schema: str, tmp_path: Path, monkeypatch: Any, django_db_blocker: Any
) -> None:
    read = archive._CountingReader.read

    def slow_read(self: Any, size: int = -1) -> bytes:
        time.sleep(0.3)  # keep pg_dump streaming while the writer commits
        return read(self, size)

    monkeypatch.setattr(archive._CountingReader, "read", slow_read)
    stop = threading.Event()

    def clerk() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute(f"INSERT INTO \"{busy_schema}\".ledger (note) VALUES ('written during the backup')")
                time.sleep(0.005)

    with django_db_blocker.unblock():
        conninfo = archive.conninfo()
        writer = threading.Thread(target=clerk)
        writer.start()
        try:
            time.sleep(0.1)
            result = archive.dump_schema(schema=busy_schema, target=tmp_path / "a.age", key_refs=["dev"])
            time.sleep(0.1)
        finally:
            stop.set()
            writer.join()
        with psycopg.connect(conninfo) as conn:
            live_rows = conn.execute(f'SELECT count(*) FROM "{busy_schema}".ledger').fetchone()[0]  # type: ignore[index]

    dump = tmp_path / "a.pgc"
    archive.decrypt_to(result.path, dump, key_ref="dev")
    data = subprocess.run(
        ["pg_restore", "--data-only", "--table=ledger", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    copy_block = data.split("FROM stdin;\n", 1)[1].split("\n\\.\n", 1)[0]
    dumped_rows = len(copy_block.splitlines())
    assert result.tables["ledger"]["rows"] == dumped_rows  # the manifest describes exactly the dump
    assert dumped_rows > 1000  # rows committed before the snapshot are in
    assert live_rows > dumped_rows  # rows committed during the dump are not, in either

"""The logical-replication standby (docs/bcp.md §5), end to end on two throwaway PostgreSQL clusters.

The primary cluster (wal_level = logical) starts as a copy of this run's test database — the real migrated
project with the demo council — and the commands under test run in subprocesses whose DATABASE_URL points at
a cluster (``setup_standby``, ``standby_status``, ``provision_municipality`` on the primary; ``promote_standby``
and ``verify_audit_chain`` with DATABASE_URL = the standby), so they see exactly what an operator's shell
sees. The rows are then checked on both servers with psycopg.

The end-to-end test is one function on purpose: its steps build on each other (setup, writes, a new town,
an outage, promotion) and pytest-xdist would otherwise spread them over workers with a cluster pair each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from bcp import standby as standby_service
from bcp.models import BackupSite, BcpAlert, LagSample, Standby
from bcp.standby_tasks import sample_replication_lag
from common.models import AuditEvent
from resident_records.numbering import with_check_digit
from tests.support import pgcluster
from tests.support.processes import database_url, free_port

ROOT = Path(settings.BASE_DIR)


@dataclass
class Pair:
    primary: pgcluster.PgCluster
    standby: pgcluster.PgCluster
    primary_dsn: str
    standby_dsn: str

    def env(self, *, database: str, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database,
            "KYODO_STANDBY_DSNS": json.dumps({"inland": self.standby_dsn}),
            "KYODO_DB_CONN_MAX_AGE": "0",
            **extra,
        }

    def manage(
        self, *args: str, on: str = "primary", check: bool = True, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        database = self.primary_dsn if on == "primary" else self.standby_dsn
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(database=database, **extra),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"--- primary log ---\n{self.primary.log_tail()}\n--- standby log ---\n{self.standby.log_tail()}"
            )
        return result

    def on_primary(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        return _query(self.primary_dsn, query, params)

    def on_standby(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        return _query(self.standby_dsn, query, params)

    def until_on_standby(self, query: str, params: Any = None, *, expect: Any, timeout: float = 20) -> None:
        arrived = pgcluster.wait_until(lambda: self.on_standby(query, params) == expect, timeout=timeout)
        assert arrived, f"standby never showed {expect!r} for {query!r}: {self.on_standby(query, params)!r}"


def _query(dsn: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall()) if cursor.description else []


@pytest.fixture
def pair(django_db_setup: None, django_db_blocker: Any) -> Iterator[Pair]:
    reason = pgcluster.missing_reason()
    if reason:
        pytest.skip(reason)
    with (
        pgcluster.running_cluster("primary", **pgcluster.LOGICAL_PRIMARY) as primary,
        pgcluster.running_cluster("standby", **pgcluster.LOGICAL_STANDBY) as standby,
    ):
        result = Pair(primary, standby, primary.create_database("kyodo"), standby.create_database("kyodo"))
        with django_db_blocker.unblock():
            _copy_test_database_to(result.primary_dsn)
        yield result


def _copy_test_database_to(dsn: str) -> None:
    """The primary starts as a copy of this run's test database: the real migrated project with the demo
    council (what migrate_schemas + seed_demo would build, in a second instead of several)."""
    source = database_url(connection.settings_dict)
    password = connection.settings_dict.get("PASSWORD") or ""
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    # Piped: psql restores while pg_dump is still dumping.
    with tempfile.TemporaryFile() as dump_errors:
        dump = subprocess.Popen(
            ["pg_dump", "--no-owner", "--no-privileges", f"--dbname={source}"],
            stdout=subprocess.PIPE, stderr=dump_errors, env=env,
        )  # fmt: skip
        assert dump.stdout is not None
        try:
            subprocess.run(
                ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={dsn}"],
                stdin=dump.stdout, capture_output=True, check=True,
            )  # fmt: skip
        finally:
            dump.stdout.close()
            dumped = dump.wait(timeout=120)
        dump_errors.seek(0)
        assert dumped == 0, dump_errors.read().decode(errors="replace")
    # Standby rows another test of this worker may have committed are not this test's.
    _query(
        dsn, "DELETE FROM bcp_lagsample; DELETE FROM bcp_standby; DELETE FROM bcp_bcpalert WHERE kind LIKE 'standby%'"
    )


def _new_households(pair: Pair, schema: str, count: int) -> list[str]:
    """Households written on the primary as the app does: 世帯番号 from the town's own sequence."""
    numbers = []
    for _ in range(count):
        [(serial,)] = pair.on_primary(f"SELECT nextval('{schema}.resident_records_household_seq')")
        number = with_check_digit(int(serial))
        pair.on_primary(
            f"INSERT INTO {schema}.resident_records_household (number, created_on, version) VALUES (%s, %s, 1)",
            [number, date(2026, 4, 1)],
        )
        numbers.append(number)
    return numbers


def test_standby_replicates_measures_lag_adds_towns_and_promotes(pair: Pair) -> None:
    # --- Setup: every town schema and public, structure copied, rows copied, recorded and audited ------------
    pair.on_standby("CREATE ROLE kyodo_app LOGIN")  # roles are not replicated: the operator creates it
    setup = pair.manage("setup_standby", "--name", "inland", "--app-role", "kyodo_app")
    assert "論理レプリケーションを作成しました" in setup.stdout
    assert "初期複写: 完了" in setup.stdout
    towns = {"public"} | {
        row[0]
        for row in pair.on_primary(
            "SELECT schema_name FROM tenants_municipality m WHERE status <> 'withdrawn' AND schema_name NOT LIKE "
            "'bench\\_%' AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = m.schema_name)"
        )
    }
    assert {"council", "nakatosa", "shimanto"} <= towns
    published = pair.on_primary(
        "SELECT n.nspname FROM pg_publication_namespace pn JOIN pg_namespace n ON n.oid = pn.pnnspid"
    )
    assert {row[0] for row in published} == towns
    assert pair.on_standby("SELECT subname, subenabled FROM pg_subscription") == [("kyodo_sub_inland", True)]
    [(schemas, set_up_at)] = pair.on_primary("SELECT schemas, set_up_at FROM bcp_standby WHERE name = 'inland'")
    assert set(schemas) == towns
    assert set_up_at is not None
    assert pair.on_primary("SELECT count(*) FROM public.common_auditevent WHERE action = 'bcp.standby.setup'") == [(1,)]
    for table in ("public.tenants_person", "nakatosa.common_auditevent", "shimanto.common_auditevent"):
        assert pair.on_standby(f"SELECT count(*) FROM {table}") == pair.on_primary(f"SELECT count(*) FROM {table}")
    # Kyodo's own role cannot write on the standby while it replicates.
    app_on_standby = pair.standby.dsn("kyodo").replace(f"{pair.standby.user}@", "kyodo_app@")
    assert _query(app_on_standby, "SHOW default_transaction_read_only") == [("on",)]
    # The pg_trgm extension the town indexes need came along.
    assert pair.on_standby("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'") == [("pg_trgm",)]

    # --- Writes on the primary arrive: inserts in two towns, an update and a delete in public -----------------
    nakatosa_numbers = _new_households(pair, "nakatosa", 3)
    shimanto_numbers = _new_households(pair, "shimanto", 2)
    pair.on_primary("UPDATE public.tenants_municipality SET name_kana = 'ナカトサ' WHERE schema_name = 'nakatosa'")
    pair.on_primary("DELETE FROM public.tenants_domain WHERE domain = 'council.localhost'")
    pair.until_on_standby(
        "SELECT number FROM nakatosa.resident_records_household WHERE number = ANY(%s) ORDER BY number",
        [nakatosa_numbers],
        expect=[(n,) for n in nakatosa_numbers],
    )
    pair.until_on_standby(
        "SELECT number FROM shimanto.resident_records_household WHERE number = ANY(%s) ORDER BY number",
        [shimanto_numbers],
        expect=[(n,) for n in shimanto_numbers],
    )
    pair.until_on_standby(
        "SELECT name_kana FROM public.tenants_municipality WHERE schema_name = 'nakatosa'", expect=[("ナカトサ",)]
    )
    pair.until_on_standby(
        "SELECT count(*) FROM public.tenants_domain WHERE domain = 'council.localhost'", expect=[(0,)]
    )

    # --- The append-only triggers: present on the standby, silent for the apply worker, firm for local writes --
    # A change the primary's trigger would refuse is forced through on the primary (trigger disabled for one
    # statement); the standby's enabled trigger must not stop the apply worker from storing it.
    pair.on_primary(
        "ALTER TABLE nakatosa.common_auditevent DISABLE TRIGGER common_auditevent_no_update_delete;"
        "UPDATE nakatosa.common_auditevent SET purpose = 'replicated-past-trigger' WHERE seq = 1;"
        "ALTER TABLE nakatosa.common_auditevent ENABLE TRIGGER common_auditevent_no_update_delete;"
    )
    pair.until_on_standby(
        "SELECT purpose FROM nakatosa.common_auditevent WHERE seq = 1", expect=[("replicated-past-trigger",)]
    )
    assert pair.on_standby(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'common_auditevent_no_update_delete' "
        "AND tgrelid = 'nakatosa.common_auditevent'::regclass"
    ) == [("O",)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        pair.on_standby("UPDATE nakatosa.common_auditevent SET purpose = 'x' WHERE seq = 1")
    pair.on_primary(  # put the row back so the chain verifies after promotion
        "ALTER TABLE nakatosa.common_auditevent DISABLE TRIGGER common_auditevent_no_update_delete;"
        "UPDATE nakatosa.common_auditevent SET purpose = '' WHERE seq = 1;"
        "ALTER TABLE nakatosa.common_auditevent ENABLE TRIGGER common_auditevent_no_update_delete;"
    )
    pair.until_on_standby("SELECT purpose FROM nakatosa.common_auditevent WHERE seq = 1", expect=[("",)])

    # --- A town provisioned later is reported unprotected, then added by a re-run ------------------------------
    pair.manage(
        "provision_municipality", "--name", "試験町", "--schema", "tosacho", "--domain", "tosacho.localhost",
        "--code", "394050",
    )  # fmt: skip
    # --- Lag: measured by heartbeat, stored as LagSample and on the Standby ------------------------------------
    status = pair.manage("standby_status")
    assert "待機系 inland: 正常" in status.stdout, status.stdout
    assert "未複製のスキーマ: tosacho" in status.stdout  # provisioned after the setup: not protected yet
    [(lag, lag_bytes, checked)] = pair.on_primary(
        "SELECT last_lag_seconds, last_lag_bytes, last_checked_at FROM bcp_standby WHERE name = 'inland'"
    )
    assert lag is not None
    assert 0 <= lag < 5
    assert lag_bytes is not None
    assert checked is not None
    [(samples, measured)] = pair.on_primary("SELECT count(*), count(lag_seconds) FROM bcp_lagsample")
    assert samples == measured == 1

    # --- The re-run: the new town, plus what a migration would have added meanwhile (DDL is not replicated) ---
    # Nothing is written to these before the re-run: the apply worker would stop on a table the standby lacks.
    pair.on_primary(
        "CREATE TABLE nakatosa.bcp_probe_added (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text);"
        "CREATE TABLE nakatosa.bcp_probe_keyless (note text);"
        "INSERT INTO nakatosa.bcp_probe_keyless VALUES ('before');"
        "ALTER TABLE shimanto.resident_records_household ADD COLUMN probe_note text;"
    )
    rerun = pair.manage("setup_standby", "--name", "inland")
    assert "論理レプリケーションを更新しました" in rerun.stdout
    assert "追加したスキーマ: tosacho" in rerun.stdout
    assert "構造を複写したテーブル: nakatosa.bcp_probe_added, nakatosa.bcp_probe_keyless" in rerun.stdout
    assert "追加した列: shimanto.resident_records_household.probe_note" in rerun.stdout
    assert "REPLICA IDENTITY FULL にしたテーブル: nakatosa.bcp_probe_keyless" in rerun.stdout
    # Without REPLICA IDENTITY FULL this UPDATE would fail on the primary itself (no key, published table).
    pair.on_primary("UPDATE nakatosa.bcp_probe_keyless SET note = 'after'")
    pair.on_primary("INSERT INTO nakatosa.bcp_probe_added (note) VALUES ('new table')")
    pair.on_primary("UPDATE shimanto.resident_records_household SET probe_note = 'new column'")
    pair.until_on_standby("SELECT note FROM nakatosa.bcp_probe_keyless", expect=[("after",)])
    pair.until_on_standby("SELECT note FROM nakatosa.bcp_probe_added", expect=[("new table",)])
    pair.until_on_standby(
        "SELECT DISTINCT probe_note FROM shimanto.resident_records_household", expect=[("new column",)]
    )
    assert (
        pair.on_standby("SELECT count(*) FROM tosacho.common_auditevent")
        == pair.on_primary("SELECT count(*) FROM tosacho.common_auditevent")
        != [(0,)]
    )
    tosacho_numbers = _new_households(pair, "tosacho", 2)
    pair.until_on_standby(
        "SELECT number FROM tosacho.resident_records_household WHERE number = ANY(%s) ORDER BY number",
        [tosacho_numbers],
        expect=[(n,) for n in tosacho_numbers],
    )
    assert pair.on_primary("SELECT count(*) FROM public.common_auditevent WHERE action = 'bcp.standby.setup'") == [(2,)]

    # --- An outage of the standby: the beat task samples a lag beyond the RPO and raises one alert -------------
    pair.on_standby("ALTER SUBSCRIPTION kyodo_sub_inland DISABLE")
    outage_numbers = _new_households(pair, "nakatosa", 1)
    sample_task = "from bcp.standby_tasks import sample_replication_lag as t; print(t())"
    # A 1-second RPO target keeps the test short: the heartbeat is awaited for the target plus half a second.
    pair.manage("shell", "-c", sample_task, KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS="1", KYODO_STANDBY_RPO_SECONDS="1")
    [(severity, message)] = pair.on_primary(
        "SELECT severity, message FROM bcp_bcpalert WHERE kind = 'standby_lag' AND resolved_at IS NULL"
    )
    assert severity == "critical"
    assert "目標 RPO 1 秒を超えています" in message
    pair.on_standby("ALTER SUBSCRIPTION kyodo_sub_inland ENABLE")
    # Caught up first (a loaded CI machine may take seconds to restart the apply worker), then sampled.
    pair.until_on_standby(
        "SELECT count(*) FROM nakatosa.resident_records_household WHERE number = %s", outage_numbers, expect=[(1,)],
        timeout=60,
    )  # fmt: skip
    pair.manage("shell", "-c", sample_task)
    assert pair.on_primary("SELECT count(*) FROM bcp_bcpalert WHERE kind = 'standby_lag' AND resolved_at IS NULL") == [
        (0,)
    ]
    last_numbers = _new_households(pair, "nakatosa", 1)
    pair.until_on_standby(
        "SELECT count(*) FROM nakatosa.resident_records_household WHERE number = %s", last_numbers, expect=[(1,)]
    )

    # --- Promotion: refused on the primary; on the standby the subscription goes and sequences move past use ----
    refused = pair.manage("promote_standby", "--name", "inland", check=False)
    assert refused.returncode != 0
    assert "standby_not_a_standby" in refused.stderr
    assert pair.on_primary("SELECT count(*) FROM pg_publication") == [(1,)]

    [(max_household,)] = pair.on_standby(
        "SELECT max(left(number, -1)::bigint) FROM nakatosa.resident_records_household"
    )
    [(max_content_type,)] = pair.on_standby("SELECT max(id) FROM public.django_content_type")
    promoted = pair.manage("promote_standby", "--name", "inland", on="standby")
    assert "昇格しました" in promoted.stdout
    assert "次の手順" in promoted.stdout
    assert pair.on_standby("SELECT count(*) FROM pg_subscription") == [(0,)]
    [(next_serial,)] = pair.on_standby("SELECT nextval('nakatosa.resident_records_household_seq')")
    assert next_serial == max_household + 1
    [(new_content_type,)] = pair.on_standby(  # an identity column of public
        "INSERT INTO public.django_content_type (app_label, model) VALUES ('bcp_test', 'after_failover') RETURNING id"
    )
    assert new_content_type > max_content_type
    pair.on_standby(  # a household insert on the promoted standby does not collide with a replicated one
        "INSERT INTO nakatosa.resident_records_household (number, created_on, version) VALUES (%s, %s, 1)",
        [with_check_digit(next_serial + 1), date(2026, 4, 1)],
    )
    assert _query(app_on_standby, "SHOW default_transaction_read_only") == [("off",)]
    [(promoted_at,)] = pair.on_standby("SELECT details->>'promoted_at' FROM bcp_standby WHERE name = 'inland'")
    assert promoted_at
    # The promotion is in the council trail of the promoted server, and every replicated chain still verifies.
    assert pair.on_standby("SELECT count(*) FROM public.common_auditevent WHERE action = 'bcp.standby.promote'") == [
        (1,)
    ]
    verified = pair.manage("verify_audit_chain", "--no-anchor", on="standby")
    assert verified.stdout.count("chain intact") >= len(towns) + 1
    assert "BROKEN" not in verified.stdout
    # A second run is harmless: the sequences are only re-checked, never lowered.
    again = pair.manage("promote_standby", "--name", "inland", on="standby")
    assert "昇格済み" in again.stdout
    [(after,)] = pair.on_standby("SELECT last_value FROM nakatosa.resident_records_household_seq")
    assert after >= next_serial


# --- In-process checks against the test database (whose server has wal_level = replica) ---------------------


@pytest.mark.django_db
def test_setup_refuses_without_logical_wal_level_and_writes_nothing() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW wal_level")
        if cursor.fetchone()[0] == "logical":
            pytest.skip("the test database's server already has wal_level = logical")
    standby = Standby.objects.create(name="nolog", dsn_ref="nolog")
    with (
        override_settings(KYODO_STANDBY_DSNS={"nolog": "postgres://nobody@127.0.0.1:1/none"}),
        pytest.raises(standby_service.WalLevelNotLogical) as refused,
    ):
        standby_service.setup_standby(standby=standby)
    assert refused.value.code == "standby_wal_level_not_logical"
    assert "wal_level = logical" in refused.value.message
    standby.refresh_from_db()
    assert standby.set_up_at is None
    assert standby.schemas == []
    assert not AuditEvent.objects.filter(action="bcp.standby.setup").exists()


@pytest.mark.django_db
def test_register_refuses_unknown_dsn_ref_and_bad_names() -> None:
    with override_settings(KYODO_STANDBY_DSNS={}), pytest.raises(standby_service.StandbyDsnMissing):
        standby_service.register_standby(name="inland", dsn_ref="nowhere")
    with pytest.raises(standby_service.InvalidStandbyName):
        standby_service.register_standby(name="Inland; DROP", dsn_ref="x")
    with (
        override_settings(KYODO_STANDBY_DSNS={"inland": "postgres://x@127.0.0.1/kyodo"}),
        pytest.raises(standby_service.StandbySiteNotFound),
    ):
        standby_service.register_standby(name="inland", site_name="nowhere")
    assert not Standby.objects.exists()

    site = BackupSite.objects.create(
        name="inland-dc", role="inland", storage_kind="filesystem", location="/nonexistent", encryption_key_ref="k"
    )
    with override_settings(KYODO_STANDBY_DSNS={"inland": "postgres://x@127.0.0.1/kyodo"}):
        standby = standby_service.register_standby(name="inland", site_name="inland-dc")
        again = standby_service.register_standby(name="inland")
    assert again.pk == standby.pk
    assert again.site == site
    assert (standby.dsn_ref, standby.subscription, standby.publication) == ("inland", "kyodo_sub_inland", "kyodo_pub")


@pytest.mark.django_db
def test_unreachable_standby_is_a_null_sample_and_one_critical_alert() -> None:
    standby = Standby.objects.create(name="gone", dsn_ref="gone", schemas=["public"])
    port = free_port()
    with override_settings(KYODO_STANDBY_DSNS={"gone": f"postgres://postgres@127.0.0.1:{port}/kyodo"}):
        sample_replication_lag()
        sample_replication_lag()
    samples = LagSample.objects.filter(standby=standby)
    assert samples.count() == 2
    assert not samples.exclude(lag_seconds=None).exists()
    standby.refresh_from_db()
    assert standby.last_lag_seconds is None
    assert standby.last_checked_at is not None
    alerts = BcpAlert.objects.filter(kind="standby_lag", resolved_at=None)
    assert [(a.severity, a.details["standby"]) for a in alerts] == [("critical", "gone")]
    assert "計測できません" in alerts[0].message
    # The demo towns are not in this standby's schemas: that is reported too, once.
    missing = BcpAlert.objects.get(kind="standby_schema_missing", resolved_at=None)
    assert {"council", "nakatosa", "shimanto"} <= set(missing.details["schemas"])

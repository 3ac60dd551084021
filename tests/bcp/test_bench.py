"""The BCP benchmarks run end to end at a tiny size: their JSON line and their clean-up — never their speed.

They commit (a bench town is provisioned, backed up and restored), so they run outside the rolled-back test
transaction like tests/test_bench.py; ``replication_lag`` starts two PostgreSQL clusters and is exercised by
tests/bcp/test_standby.py's setup instead.
"""

from __future__ import annotations

import pytest

from bcp.models import Backup, BackupSite, RestoreDrill
from tests.test_bench import _bench_leftovers, _run, committed  # noqa: F401  (fixture)


@pytest.mark.usefixtures("committed")
def test_backup_bench_compares_with_plain_pg_dump() -> None:
    (line,) = _run("backup", "--repeat", "1")
    assert line["scenario"] == "backup" and line["unit"] == "MB/s"
    assert line["median"] > 0 and line["baseline_median"] > 0 and line["schemas"] == ["nakatosa", "shimanto"]
    assert isinstance(line["meets_target"], bool) and line["target_ratio"] == 0.8


@pytest.mark.usefixtures("committed")
def test_restore_bench_restores_and_verifies_a_generated_town() -> None:
    sites, backups, drills = BackupSite.objects.count(), Backup.objects.count(), RestoreDrill.objects.count()
    (line,) = _run("restore", "--repeat", "1", "--residents", "60")
    assert line["scenario"] == "restore" and line["residents"] == 60 and line["tables"] > 10
    assert line["rows"] >= 60 and line["median"] > 0 and line["target_seconds"] == 60.0
    assert set(line["steps_median_seconds"]) >= {"decrypt", "pg_restore", "compare"}
    # Nothing of the run is left behind: no bench schema, site, backup or drill.
    assert (BackupSite.objects.count(), Backup.objects.count(), RestoreDrill.objects.count()) == (
        sites,
        backups,
        drills,
    )
    assert _bench_leftovers() == {"schemas": [], "municipalities": [], "domains": []}

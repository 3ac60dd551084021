"""The BCP benchmarks run end to end at a tiny size: their JSON line and their clean-up — never their speed.

They commit (a bench town is provisioned, backed up and restored), so they run outside the rolled-back test
transaction like tests/test_bench.py; ``replication_lag`` starts two PostgreSQL clusters and is exercised by
tests/bcp/test_standby.py's setup instead.
"""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from bcp.models import Backup, BackupSite, RestoreDrill
from resident_records.bulk import load_households
from resident_records.demo import generate
from tenants.bench import bench_towns
from tests.test_bench import _bench_leftovers, _run, committed  # noqa: F401  (fixture)


@pytest.mark.usefixtures("committed")
def test_backup_bench_refuses_towns_without_data() -> None:
    # The test database's demo towns hold no residents: an empty schema would measure pg_dump's start-up.
    with pytest.raises(CommandError, match="住民データのある自治体"):
        _run("backup", "--repeat", "1")


@pytest.mark.usefixtures("committed")
def test_backup_bench_compares_with_pg_dump_through_the_same_compressor() -> None:
    with bench_towns() as towns:
        town = towns.provision("backupdata")
        with schema_context(town.schema_name):
            load_households(actor=None, households=generate(town.schema_name, 40, 1), purpose="ベンチマークの試験")
        (line,) = _run("backup", "--repeat", "1")
    assert line["scenario"] == "backup"
    assert line["unit"] == "MB/s"
    assert line["median"] > 0
    assert line["baseline_median"] > 0
    assert line["schemas"] == [town.schema_name]  # only towns that hold residents
    assert "zstd level 3" in line["baseline"]
    assert line["zstd_level"] == 3
    assert line["plain_pg_dump_zstd_mb"] > 0
    assert isinstance(line["meets_target"], bool)
    assert line["target_ratio"] == 0.8


@pytest.mark.usefixtures("committed")
def test_restore_bench_restores_and_verifies_a_generated_town() -> None:
    sites, backups, drills = BackupSite.objects.count(), Backup.objects.count(), RestoreDrill.objects.count()
    (line,) = _run("restore", "--repeat", "1", "--residents", "60")
    assert line["scenario"] == "restore"
    assert line["residents"] == 60
    assert line["tables"] > 10
    assert line["rows"] >= 60
    assert line["median"] > 0
    assert line["target_seconds"] == 60.0
    assert set(line["steps_median_seconds"]) >= {"decrypt", "pg_restore", "compare", "install"}
    assert "install into the live database" in line["measured"]
    assert line["drill_median"] > 0
    # Nothing of the run is left behind: no bench schema, site, backup or drill.
    assert (BackupSite.objects.count(), Backup.objects.count(), RestoreDrill.objects.count()) == (
        sites,
        backups,
        drills,
    )
    assert _bench_leftovers() == {"schemas": [], "municipalities": [], "domains": []}

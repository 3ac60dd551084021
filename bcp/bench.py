"""Benchmarks of the BCP module: ``backup``, ``restore`` and ``replication_lag`` (see their modules)."""

from bcp import bench_backup as bench_backup
from bcp import bench_replication as bench_replication
from bcp import bench_restore as bench_restore

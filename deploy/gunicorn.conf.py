"""Gunicorn configuration for the Kyodo web tier (config.asgi:application, uvicorn workers).

Usage, from the project root (the directory holding manage.py):

    gunicorn -c deploy/gunicorn.conf.py config.asgi:application

The workers are uvicorn's (uvicorn_worker.UvicornWorker): HTTP reaches Django through its ASGI handler with the
same middleware as under WSGI, and the chat's WebSocket (/ws/chat/…) reaches its consumer (config/asgi.py,
docs/domain/chat.md §3). KYODO_WORKER_CLASS=sync or gthread with config.wsgi:application still serves HTTP alone
(no live chat: the chat pages then poll).

Every knob is read from a KYODO_* environment variable (see deploy/systemd/kyodo.env.example);
unset or empty variables fall back to the defaults below. Nothing here is machine-specific: the
project root is derived from this file's location.

Database connections: each worker process takes its connections from its own pool (psycopg_pool; between
KYODO_DB_POOL_MIN_SIZE and KYODO_DB_POOL_MAX_SIZE, default 2 and 4), so one web host opens up to workers x
KYODO_DB_POOL_MAX_SIZE connections. Add up all web hosts plus Celery concurrency (plus beat, and a few for
commands) and keep the total under PostgreSQL's max_connections (deploy/README.md).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _cpu_count() -> int:
    # sched_getaffinity honours CPU pinning (taskset, systemd CPUAffinity=, container cpusets);
    # os.cpu_count() would report every core of the machine.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# The WSGI module defaults to production settings as well; set it here too so that the master
# process and every hook see the same value even when the environment forgot it.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# --- Application ----------------------------------------------------------------------------------
wsgi_app = "config.asgi:application"  # the command-line argument, when given, takes precedence
chdir = str(PROJECT_ROOT)  # gunicorn also puts this directory on sys.path, so `config` imports
proc_name = "kyodo-web"

# The app is loaded once in the master and the workers are forked from it (copy-on-write): a recycled worker
# starts in milliseconds instead of re-importing Django (about a second of CPU each time). The danger of
# preloading is a connection opened during the import — a PostgreSQL or Redis socket inherited by every worker,
# whose bytes the workers would then interleave. Nothing in Kyodo's import opens one, and ``pre_fork`` below
# (run in the master before every fork) closes whatever the master might hold, so each worker opens its own.
# `systemctl restart` (not reload) is needed to load new code. KYODO_PRELOAD=0 turns preloading off.
preload_app = _env("KYODO_PRELOAD", "1") not in {"0", "false", "no"}


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each worker is forked: no database or cache connection may be inherited, and the
    preloaded app's objects are frozen out of the garbage collector's generations."""
    if not preload_app:
        return
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    # A connection pool opened in the master would hand its sockets (and its dead threads) to every worker.
    for connection in connections.all(initialized_only=True):
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL's wrapper only
        if close_pool is not None:
            close_pool()
    caches.close_all()
    # gc.freeze() (what the Python documentation advises before a fork): the ~200,000 objects of the loaded app
    # move to the permanent generation, so a worker's full collections no longer walk them. Without it a view
    # that builds many objects (the group week: 13,000 occurrences) triggered a full collection every few
    # requests that cost more than the view itself (170 ms; docs/performance.md "Garbage collection"). It also
    # keeps the collector from writing to the shared pages, which would copy them into every worker.
    gc.freeze()


# --- Socket ---------------------------------------------------------------------------------------
# Comma/space separated; e.g. "127.0.0.1:8000", "10.0.0.11:8000" (web host behind a separate nginx,
# firewalled so that only nginx can reach it) or "unix:/run/kyodo-web/gunicorn.sock".
bind = [b for b in _env("KYODO_BIND", "127.0.0.1:8000").replace(",", " ").split() if b]
backlog = _env_int("KYODO_BACKLOG", 2048)

# --- Workers --------------------------------------------------------------------------------------
workers = _env_int("KYODO_WORKERS", 2 * _cpu_count() + 1)
threads = _env_int("KYODO_THREADS", 1)
# uvicorn workers serve HTTP and WebSocket from one event loop per process; Django runs each synchronous view in
# a thread of its own, so KYODO_THREADS matters only to the WSGI worker classes (sync, gthread).
worker_class = _env("KYODO_WORKER_CLASS", "uvicorn_worker.UvicornWorker")

# A worker silent for this many seconds is killed and replaced (the request gets a 502 from nginx). A uvicorn
# worker's heartbeat runs on its event loop, so a slow view no longer silences it: the bound of a request is the
# database's statement timeout derived from this value (KYODO_WEB_STATEMENT_TIMEOUT_MS, common.timeouts).
# Keep nginx's proxy_read_timeout a little above it (deploy/nginx/kyodo.conf).
timeout = _env_int("KYODO_TIMEOUT", 30)
# On SIGTERM / SIGHUP, workers get this long to finish their in-flight requests.
graceful_timeout = _env_int("KYODO_GRACEFUL_TIMEOUT", 30)
# Keep-alive with nginx (uvicorn and gthread workers; sync workers close after each response). nginx's
# upstream keepalive_timeout must be SHORTER than this, or nginx may reuse a connection gunicorn is
# just closing and answer 502.
keepalive = _env_int("KYODO_KEEPALIVE", 5)

# Recycle each worker after about max_requests requests so that slow leaks (caches that only grow,
# fragmented memory) cannot accumulate. With the app preloaded a recycle is a fork (milliseconds), so the rate
# costs far below 1 % of CPU at 5,000 requests; the jitter (a fifth) spreads the recycles so workers never all
# restart at once. 0 disables recycling.
max_requests = _env_int("KYODO_MAX_REQUESTS", 5000)
max_requests_jitter = _env_int("KYODO_MAX_REQUESTS_JITTER", max(max_requests // 5, 0))

# Heartbeat files on tmpfs: on a disk-backed /tmp the heartbeat fchmod can stall workers.
# systemd's RuntimeDirectory= (kyodo-web.service) provides a private directory under /run.
_runtime_dir = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
if _runtime_dir:
    worker_tmp_dir = _runtime_dir
elif os.path.isdir("/dev/shm"):  # noqa: S108 -- gunicorn creates its files there with mkstemp
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# gunicorn 25.1+ opens a control socket for `gunicornc`; by default under $HOME, which the
# hardened unit cannot write. Put it in the runtime directory (older versions ignore the setting).
if os.environ.get("KYODO_CONTROL_SOCKET"):
    control_socket = os.environ["KYODO_CONTROL_SOCKET"]
elif _runtime_dir:
    control_socket = os.path.join(_runtime_dir, "gunicorn.ctl")

# --- Proxy ----------------------------------------------------------------------------------------
# Addresses allowed to set X-Forwarded-Proto/-For for gunicorn's own purposes (wsgi.url_scheme).
# Django itself trusts X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER, so the real protection is
# that only nginx can reach `bind`: with nginx on other hosts, list their addresses (or CIDR) here
# AND firewall the port.
forwarded_allow_ips = _env("KYODO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- Logging (stdout/stderr -> journald under systemd) --------------------------------------------
loglevel = _env("KYODO_LOG_LEVEL", "info").lower()
errorlog = _env("KYODO_ERROR_LOG", "-")
accesslog = _env("KYODO_ACCESS_LOG", "-")
# Host (which town), the X-Request-ID the response carries (nginx's $request_id, or the id Django
# generated when the request did not come through nginx), client address as forwarded by nginx,
# and the request duration in milliseconds.
access_log_format = _env(
    "KYODO_ACCESS_LOG_FORMAT",
    '%(h)s "%({x-forwarded-for}i)s" %({host}i)s [%({x-request-id}o)s] %(t)s "%(r)s" %(s)s %(b)s '
    '%(M)sms "%(f)s" "%(a)s"',
)

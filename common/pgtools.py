"""PostgreSQL client tools (pg_dump, pg_restore) and the connection parameters they share with Django.

Used by the town withdrawal archive (tenants.withdrawal), the BCP backups (bcp.archive) and restores
(bcp.restore). The tools come from ``KYODO_PG_BIN`` (``./kyodo up`` points it at the embedded server's) or PATH,
and must be at least the server's major version: an older pg_dump refuses a newer server, or worse, misses its
newer object types. The password reaches them through PGPASSWORD, never the command line, where `ps` shows it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

from common.errors import ApplicationError

_TOOL_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# libpq connection options that may appear in DATABASES["default"]["OPTIONS"], with their environment
# variables, so the tools reach the database exactly as Django does.
_LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class PgToolUnusable(ApplicationError):
    """A client tool is missing, does not run, or is older than the server. Callers re-raise it as the error of
    their own operation (withdrawal, backup, restore), keeping the message."""

    code = "pg_tool_unusable"
    message = "PostgreSQL のクライアントツールを使用できません。"
    status_code = 500

    @property
    def facts(self) -> dict[str, Any]:
        """The details (always a mapping here), for the caller's own error."""
        return dict(self.details) if isinstance(self.details, dict) else {}


@dataclass(frozen=True)
class PgTools:
    pg_dump: str
    pg_restore: str
    pg_dump_version: str
    pg_restore_version: str
    server_version: str


def tool_path(name: str) -> str:
    configured = getattr(settings, "KYODO_PG_BIN", "")
    if configured:
        candidate = Path(configured) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise PgToolUnusable(f"{name} が KYODO_PG_BIN ({configured}) に見つかりません。", details={"tool": name})
    found = shutil.which(name)
    if found is None:
        raise PgToolUnusable(
            f"{name} が見つかりません。PostgreSQL クライアントをインストールするか、KYODO_PG_BIN を設定してください。",
            details={"tool": name},
        )
    return found


def tool_version(path: str) -> tuple[int, str]:
    """The major version and the ``--version`` line of a client tool."""
    try:
        text = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PgToolUnusable(f"{path} を実行できません: {exc}", details={"tool": path}) from exc
    match = _TOOL_VERSION.search(text)
    if match is None:
        raise PgToolUnusable(f"{path} のバージョンを判別できません: {text}", details={"tool": path})
    return int(match.group(1)), text


def pg_tools() -> PgTools:
    """pg_dump and pg_restore, refused when older than the server of the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int, current_setting('server_version')")
        server_num, server_version = cursor.fetchone()
    server_major = server_num // 10000
    paths = {name: tool_path(name) for name in ("pg_dump", "pg_restore")}
    versions = {}
    for name, path in paths.items():
        major, text = tool_version(path)
        if major < server_major:
            raise PgToolUnusable(
                f"{name} のバージョン ({major}) がデータベースサーバー ({server_major}) より古いため使用できません。"
                "サーバーと同じかそれ以降の PostgreSQL クライアントを KYODO_PG_BIN で指定してください。",
                details={"tool": name, "tool_major": major, "server_major": server_major},
            )
        versions[name] = text
    return PgTools(
        pg_dump=paths["pg_dump"],
        pg_restore=paths["pg_restore"],
        pg_dump_version=versions["pg_dump"],
        pg_restore_version=versions["pg_restore"],
        server_version=server_version,
    )


def libpq_params(dbname: str | None = None) -> dict[str, str]:
    """Connection parameters of DATABASES["default"] (the live database, or ``dbname`` on the same server)."""
    config = connection.settings_dict
    params = {
        "dbname": dbname or config["NAME"],
        "host": config.get("HOST") or "",
        "port": str(config.get("PORT") or ""),
        "user": config.get("USER") or "",
        "password": config.get("PASSWORD") or "",
    }
    options = config.get("OPTIONS") or {}
    params.update({key: str(options[key]) for key in _LIBPQ_ENV if key in options and key not in params})
    return {key: value for key, value in params.items() if value}


def conninfo(dbname: str | None = None) -> str:
    return make_conninfo(**libpq_params(dbname))


def tool_env(dbname: str | None = None) -> dict[str, str]:
    """The environment of a client tool run: this process's, plus the PG* variables of the database."""
    env = dict(os.environ)
    env.update({_LIBPQ_ENV[key]: value for key, value in libpq_params(dbname).items()})
    return env

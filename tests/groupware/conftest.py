from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from tenants import organisation
from tenants.models import OrgUnitKind, Posting

SINCE = date(2020, 4, 1)


@pytest.fixture
def nakatosa(towns: dict[str, Any]) -> Iterator[Any]:
    with schema_context("nakatosa"):
        yield towns["nakatosa"]


@pytest.fixture
def units(towns: dict[str, Any]) -> dict[str, Any]:
    """中土佐町: 総務課 (T100) > 情報係 (T110); 町民課 (T200); 久礼小学校 (S01)."""
    town = towns["nakatosa"]

    def unit(code: str, name: str, kind: str, parent: Any = None) -> Any:
        return organisation.create_unit(
            actor=None, municipality=town, code=code, name=name, kind=kind, parent=parent, valid_from=SINCE
        )

    soumu = unit("T100", "総務課", OrgUnitKind.DIVISION)
    return {
        "soumu": soumu,
        "joho": unit("T110", "情報係", OrgUnitKind.SECTION, soumu),
        "jumin": unit("T200", "町民課", OrgUnitKind.DIVISION),
        "school": unit("S01", "久礼小学校", OrgUnitKind.SCHOOL),
    }


@pytest.fixture
def post() -> Any:
    def factory(person: Any, unit: Any, *, primary: bool = True, manager: bool = False) -> Posting:
        return Posting.objects.create(
            person=person, unit=unit, is_primary=primary, is_manager=manager, valid_from=SINCE
        )

    return factory


@pytest.fixture
def application(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real ASGI application (config.asgi) for the chat socket tests. channels closes "old" connections around
    each database call; inside the test's transaction that would close the test's own connection (the consumer's
    calls run in this thread and see the test's rows), so that is switched off for the test."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    from config.asgi import application

    return application

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from tests.payroll.factories import salary_table


@pytest.fixture
def nakatosa(towns: Any) -> Iterator[Any]:
    connection.set_tenant(towns["nakatosa"])
    yield towns["nakatosa"]
    connection.set_schema_to_public()


@pytest.fixture
def officers(nakatosa: Any, new_person: Any) -> tuple[Any, Any]:
    """Two 給与担当: the one who calculates and the one who approves."""
    return (
        new_person("kyuyo1", nakatosa="payroll_officer"),
        new_person("kyuyo2", nakatosa="payroll_officer"),
    )


@pytest.fixture
def table(officers: tuple[Any, Any]) -> Any:
    return salary_table(*officers)

"""Who sees what inside the module: a teacher reaches only their school's page (docs/domain/finance.md §10)."""

from __future__ import annotations

from collections.abc import Iterable

from tenants.models import Role

# The module's roles that see the town's budget; a teacher holding none of them sees only their school.
STAFF_ROLES = frozenset(
    {Role.FINANCE_OFFICER, Role.ACCOUNTANT, Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.AUDITOR, Role.COUNCIL_STAFF}
)


def teacher_only(roles: Iterable[str]) -> bool:
    return not STAFF_ROLES.intersection(roles)

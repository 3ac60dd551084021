"""The usage metrics finance measures for the cost sharing (common.usage): staff accounts and stored data."""

from __future__ import annotations

from datetime import date

from django.db import connection

from common.tenancy import current_schema
from tenants.models import Membership


def active_staff_accounts(since: date, until: date) -> int:
    """Persons holding a membership of the town on the last day of the period (職員アカウント数)."""
    return (
        Membership.objects.active_on(until)
        .filter(municipality__schema_name=current_schema(), is_emergency=False)
        .values("person_id")
        .distinct()
        .count()
    )


def stored_megabytes(since: date, until: date) -> int:
    """The size of the town's schema today, tables with their indexes and TOAST, in MB (保存データ量)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            [current_schema()],
        )
        row = cursor.fetchone()
    return int(row[0] if row else 0) // (1024 * 1024)

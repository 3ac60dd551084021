"""migrate_schemas skips towns that withdrew and whose schema was dropped (withdraw_municipality --drop).

Their Municipality row stays as the council's record of membership history, but there is no schema left to
migrate; django-tenants would otherwise stop the whole deploy with MigrationSchemaMissing. Selected with the
EXECUTOR environment variable, which config/settings/base.py defaults to "kyodo".
"""

from __future__ import annotations

from typing import Any

from django_tenants.migration_executors.base import MigrationExecutor
from django_tenants.migration_executors.standard import StandardExecutor
from django_tenants.utils import get_tenant_model, schema_exists


class KyodoExecutor(StandardExecutor, MigrationExecutor):  # listed directly so get_executor() finds it
    codename = "kyodo"

    def run_migrations(self, tenants: Any = None) -> None:
        schemas = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in schemas:
            # The public schema first, on its own: before it is migrated there is no tenant table to ask.
            super().run_migrations(tenants=[self.PUBLIC_SCHEMA_NAME])
            schemas.remove(self.PUBLIC_SCHEMA_NAME)
        if not schemas:
            return
        withdrawn = set(
            get_tenant_model()
            .objects.filter(status="withdrawn", schema_name__in=schemas)
            .values_list("schema_name", flat=True)
        )
        kept = [s for s in schemas if s not in withdrawn or schema_exists(s)]
        super().run_migrations(tenants=kept)

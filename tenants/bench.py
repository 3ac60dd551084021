"""Bench towns and the platform's own scenarios (``manage.py bench provision migrate``).

``bench_towns()`` gives a scenario scratch schemas named ``bench_<run id>_<label>``, provisioned like real towns
and dropped afterwards with their Municipality and Domain rows, whatever happens; nothing else is touched.
The framework (registry, figures, concurrency) is common/bench.py.
"""

from __future__ import annotations

import contextlib
import secrets
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, load_command_class
from django.db import connection
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION

from common.bench import BENCH_SCHEMA_PREFIX, BenchOptions, comparison, round_figure, scenario, timed
from common.tenancy import use_public_schema
from tenants.codes import local_government_check_digit
from tenants.models import Domain, Municipality
from tenants.services import provision_municipality

# --- Bench towns -----------------------------------------------------------------------------------------


@dataclass
class BenchTowns:
    """Schemas created by one bench run: ``bench_<run id>_<label>``, all removed by :meth:`cleanup`."""

    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    schemas: list[str] = field(default_factory=list)
    _codes: set[str] = field(default_factory=set)

    @property
    def prefix(self) -> str:
        return f"{BENCH_SCHEMA_PREFIX}{self.run_id}_"

    def name(self, label: str) -> str:
        # Recorded before anything is created, so a run that fails half-way is still cleaned up.
        schema = f"{self.prefix}{label}"
        self.schemas.append(schema)
        return schema

    def unused_code(self) -> str:
        # Made-up prefecture 99 (there is none), so no real town's 団体コード is ever taken.
        taken = set(Municipality.objects.exclude(code=None).values_list("code", flat=True)) | self._codes
        for five in (f"99{n:03d}" for n in range(1000)):
            code = f"{five}{local_government_check_digit(five)}"
            if code not in taken:
                self._codes.add(code)
                return code
        raise ImproperlyConfigured("bench: no unused 99xxx municipality code left; remove old bench towns")

    def provision(self, label: str) -> Municipality:
        schema = self.name(label)
        return provision_municipality(
            actor=None,
            schema=schema,
            name=f"ベンチマーク町 {schema}",
            domain=f"{schema.replace('_', '-')}.bench.invalid",
            code=self.unused_code(),
        ).municipality

    def cleanup(self) -> None:
        use_public_schema()
        mine = [schema for schema in self.schemas if schema.startswith(self.prefix)]
        with connection.cursor() as cursor:
            for schema in mine:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        Domain.objects.filter(tenant__schema_name__in=mine).delete()
        Municipality.objects.filter(schema_name__in=mine).delete()


@contextlib.contextmanager
def bench_towns() -> Iterator[BenchTowns]:
    towns = BenchTowns()
    try:
        yield towns
    finally:
        towns.cleanup()


def plain_migrate(schema: str) -> None:
    """An empty schema migrated by django-tenants, as TenantMixin.create_schema does: no validation, no seed."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)


def migrate_tenants(schemas: Sequence[str]) -> None:
    """What ``migrate_schemas --tenant`` runs for all tenants, with the tenant list limited to ``schemas``.

    The same executor and options as the command; only the list differs, so the bench never migrates
    (or, with pending migrations, changes) a town it did not create.
    """
    command = load_command_class("django_tenants", "migrate_schemas")
    parser = command.create_parser("manage.py", "migrate_schemas")
    options = vars(parser.parse_args(["--tenant", "--noinput", "--verbosity", "0", "--skip-checks"]))
    executor = GET_EXECUTOR_FUNCTION(codename=options["executor"])(args=(), options=options)
    executor.run_migrations(tenants=list(schemas))


# --- Scenarios -------------------------------------------------------------------------------------------


@scenario("provision")
def provision_scenario(options: BenchOptions) -> dict[str, Any]:
    """provision_municipality (validation, rows, migrate, audit seed) vs a plain migrate of an empty schema."""
    measured: list[float] = []
    baseline: list[float] = []
    with bench_towns() as towns:
        plain_migrate(towns.name("warmup"))  # imports and migration graph loading, not timed
        for run_no in range(options.repeat):
            steps = [
                (measured, lambda n=run_no: towns.provision(f"p{n}")),
                (baseline, lambda n=run_no: plain_migrate(towns.name(f"m{n}"))),
            ]
            # Alternating which goes first keeps a slow first call (cold caches) from favouring one side.
            for samples, step in steps if run_no % 2 == 0 else reversed(steps):
                samples.append(timed(step))
    return comparison(
        unit="s",
        samples=measured,
        baseline="plain migrate of one schema (CREATE SCHEMA + migrate_schemas --schema, no validation or seed)",
        baseline_samples=baseline,
        warmup_runs=1,
    )


@scenario("migrate")
def migrate_scenario(options: BenchOptions) -> dict[str, Any]:
    """A no-op tenant migrate over N towns vs the same no-op migrate of one town, extrapolated to N towns.

    The towns are provisioned for real (not cloned): django-tenants' clone_schema would install a helper
    function in the public schema and copy the template's audit rows with the wrong trail name. Their
    creation is not timed. The measured command pays its per-call set-up (argument parsing, executor, the
    withdrawn-town query) once; so does the baseline: N × the one-town time, less (N − 1) × that set-up, which
    is measured in the same run as a migrate over no town. A ratio near 1 means the all-towns migrate scales
    linearly with the number of towns; above 1, something per town (tenant listing, connection churn) grows
    with the town count.
    """
    measured: list[float] = []
    single: list[float] = []
    setup: list[float] = []
    with bench_towns() as towns:
        schemas = [towns.provision(f"t{n:03d}").schema_name for n in range(options.towns)]
        migrate_tenants(schemas[:1])  # warm-up, not timed
        for _ in range(options.repeat):
            measured.append(timed(lambda: migrate_tenants(schemas)))
            single.append(timed(lambda: migrate_tenants(schemas[:1])))
            setup.append(timed(lambda: migrate_tenants([])))
    setup_median = statistics.median(setup)
    per_town = [max(one - setup_median, 0.0) for one in single]
    return comparison(
        unit="s",
        samples=measured,
        baseline=(
            f"one set-up (a migrate over no town) + {options.towns} × the no-op migrate of one town less its set-up "
            "(linear extrapolation, measured in this run)"
        ),
        baseline_samples=[setup_median + options.towns * value for value in per_town],
        towns=options.towns,
        single_town_median=round_figure(statistics.median(single)),
        per_call_setup_seconds=round_figure(setup_median),
        warmup_runs=1,
    )


from tenants import bench_audit  # noqa: E402, F401  (registers the audit_write scenario)

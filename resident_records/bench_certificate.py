"""Benchmark ``resident_certificate``: eight clerks issuing 住民票の写し at once.

Each of the eight threads (a clerk at a counter) issues the 住民票の写し of a whole household of its own through
the real service (``certificates.issue_certificate``): the 支援措置 check, the year's serial row locked until
commit (gapless 発行番号), the 交付履歴 row, the audit rows and the PDF. Reported: p50/p95/p99 latency per
certificate and certificates per second.

Baseline, measured in the same run by the same eight threads on the same households: the same certificate read,
laid out and drawn (``_prepare``, ``_layout``, ``pdf.render``) without the serial lock and without any row
written. The ratio of the p95s is what serialising the issuance and writing its records costs a clerk. The
households live in a scratch town ``bench_<run id>_certificate`` filled by the demo generator and dropped
afterwards, whatever happens (common.bench).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django_tenants.utils import schema_context

from common import pdf
from common.bench import BenchOptions, concurrent_comparison, run_concurrently, scenario
from common.dates import local_today
from resident_records.bulk import load_households
from resident_records.certificates import CertificateOptions, _layout, _prepare, issue_certificate
from resident_records.demo import generate
from resident_records.models import CertificateKind, Household, RequesterKind, Resident, ResidentStatus
from tenants.bench import bench_towns

CLERKS = 8
ISSUES_PER_REPEAT = 5  # --repeat 3 (the default): 15 per clerk, 120 certificates per side and run
HOUSEHOLD_POOL = 400  # generated residents: enough for eight households of two or more
PURPOSE = "性能測定用の架空データ(ベンチマーク)"


def _households(count: int) -> tuple[list[Household], int]:
    """``count`` households of two or more current residents, and how many residents they hold in all."""
    sizes = (
        Resident.objects.filter(status=ResidentStatus.RESIDENT)
        .values("household")
        .annotate(members=Count("pk"))
        .filter(members__gte=2)
        .order_by("household")[:count]
    )
    chosen = {row["household"]: row["members"] for row in sizes}
    if len(chosen) < count:
        raise RuntimeError("bench: too few households of two or more in the generated town")
    return list(Household.objects.filter(pk__in=chosen).order_by("pk")), sum(chosen.values())


def render_only(household: Household) -> bytes:
    """The certificate as issuance draws it, without the serial, the 交付履歴 and the audit rows."""
    ordered, head, whole = _prepare(kind=CertificateKind.RESIDENCE_COPY, household=household, residents=())
    layout = _layout(
        kind=CertificateKind.RESIDENCE_COPY,
        options=CertificateOptions(),
        ordered=ordered,
        head=head,
        whole=whole,
        today=local_today(),
        number="令和8年第000000号",
        verification_code="0000-0000-0000",
        my_numbers={},
    )
    document, _pages = pdf.render(layout)
    return document


@scenario("resident_certificate")
def resident_certificate_scenario(options: BenchOptions) -> dict[str, Any]:
    per_worker = max(2, options.repeat * ISSUES_PER_REPEAT)
    with bench_towns() as towns:
        town = towns.provision("certificate")
        with schema_context(town.schema_name):
            load_households(actor=None, households=generate(town.schema_name, HOUSEHOLD_POOL, 1), purpose=PURPOSE)
            households, members = _households(CLERKS)
            for household in households:  # fonts, imports and query plans, not timed
                render_only(household)

        def issue(worker: int, number: int) -> None:
            issue_certificate(
                actor=None,
                kind=CertificateKind.RESIDENCE_COPY,
                purpose=PURPOSE,
                requested_by="本人",
                requester_kind=RequesterKind.SELF,
                household=households[worker],
            )

        def render(worker: int, number: int) -> None:
            render_only(households[worker])

        runs: dict[str, list[Any]] = {"issue": [], "render": []}
        for run_no in range(2):  # each side twice, alternating, so neither always meets the colder cache
            for side in ("issue", "render") if run_no == 0 else ("render", "issue"):
                task = issue if side == "issue" else render
                runs[side].append(
                    run_concurrently(task, workers=CLERKS, per_worker=per_worker, schema=town.schema_name)
                )
    return concurrent_comparison(
        measured=runs["issue"],
        baseline=runs["render"],
        baseline_description=(
            f"the same {CLERKS} clerks only reading, laying out and drawing the same certificates (no serial lock, "
            "no 交付履歴 row, no audit rows), in the same run"
        ),
        clerks=CLERKS,
        household_members=members,
    )

"""Usage the platform measures per town, for the council's cost sharing (利用割 of the 協議会負担金).

Each app registers what it can count in its AppConfig.ready (common imports no app): a metric belongs to one
component of the formula — ``staff`` (active staff accounts), ``certificates`` (certificates issued) or
``storage`` (data stored) — and its ``measure(since, until)`` runs inside the town's schema. The cost-sharing
service sums the metrics of each component per town (docs/domain/finance.md §9).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

COMPONENTS: dict[str, str] = {
    "staff": "職員アカウント数",
    "certificates": "証明書交付件数",
    "storage": "保存データ量(MB)",
}


@dataclass(frozen=True)
class UsageMetric:
    key: str
    label: str
    component: str
    measure: Callable[[date, date], int]  # (since, until) inclusive, in the current town's schema


_METRICS: dict[str, UsageMetric] = {}


def register_usage_metric(metric: UsageMetric) -> None:
    if metric.component not in COMPONENTS:
        raise ValueError(f"unknown usage component {metric.component!r}")
    _METRICS[metric.key] = metric


def usage_metrics() -> list[UsageMetric]:
    return sorted(_METRICS.values(), key=lambda metric: metric.key)


def measure_usage(since: date, until: date) -> dict[str, int]:
    """Every registered metric of the current town, by key."""
    return {metric.key: int(metric.measure(since, until)) for metric in usage_metrics()}

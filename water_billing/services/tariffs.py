"""料金表 versions (docs/domain/water_billing.md §2): created, never edited; every creation audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from common import audit
from common.errors import ValidationFailed
from water_billing import rules
from water_billing.models import Service, Supply, Tariff, TariffBase, TariffTier


def record_tariff(
    *,
    actor: Any,
    service: str,
    supply: str = Supply.MAIN,
    effective_from: date,
    bases: Sequence[rules.Base],
    tiers: Sequence[rules.Tier],
    basis: str = "",
) -> Tariff:
    """A new tariff version from its 施行日: checked whole (bases present, tiers not overlapping), then written."""
    if service not in Service.values or supply not in Supply.values:
        raise ValidationFailed("料金表の区分が正しくありません。", code="tariff_invalid")
    if not bases:
        raise rules.TariffInvalid("基本料金を1件以上入力してください。", code="tariff_no_base")
    diameters = [b.diameter_mm for b in bases]
    if len(set(diameters)) != len(diameters):
        raise rules.TariffInvalid("同じ口径の基本料金が2件あります。", code="tariff_duplicate_base")
    included = max(b.included_m3 for b in bases)
    rules.validate_tiers(tiers, included_m3=included)
    try:
        with transaction.atomic():
            tariff = Tariff.objects.create(
                service=service,
                supply=supply,
                effective_from=effective_from,
                basis=" ".join(basis.split())[:200],
                recorded_by_id=getattr(actor, "pk", None),
                recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
            )
            TariffBase.objects.bulk_create(
                TariffBase(tariff=tariff, diameter_mm=b.diameter_mm, charge=b.charge, included_m3=b.included_m3)
                for b in bases
            )
            TariffTier.objects.bulk_create(
                TariffTier(tariff=tariff, from_m3=t.from_m3, to_m3=t.to_m3, price=t.price) for t in tiers
            )
            audit.record(
                actor=actor,
                action="water.tariff.record",
                obj=tariff,
                details={
                    "service": service,
                    "supply": supply,
                    "effective_from": effective_from.isoformat(),
                    "bases": [[b.diameter_mm, b.charge, b.included_m3] for b in bases],
                    "tiers": [[t.from_m3, t.to_m3, t.price] for t in tiers],
                    "basis": tariff.basis,
                },
            )
    except IntegrityError:
        raise ValidationFailed(
            "同じ施行日の料金表が既に登録されています(登録済みの料金表は変更できません)。", code="tariff_exists"
        ) from None
    return tariff

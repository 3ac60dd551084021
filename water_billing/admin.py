"""料金表 in the town's admin (docs/domain/water_billing.md §2): the town's IT staff add a version with its 施行日;
a version is never changed or deleted. The service ``record_tariff`` checks it (overlapping tiers refused) and
writes the audit row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from common.errors import ApplicationError
from tenants.admin_site import TownModelAdmin
from water_billing import rules
from water_billing.models import Tariff
from water_billing.services.tariffs import record_tariff

BASES_HELP = "1行に1口径: 口径(mm),基本料金(円/月),基本水量(m³)。下水道など全口径共通は口径を空欄(例: ,1000,10)。"
TIERS_HELP = "1行に1区分: から(m³),まで(m³、上限なしは空欄),単価(円/m³)。例: 11,,120"


def _numbers(text: str, label: str) -> list[list[int | None]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.replace("，", ",").split(",")]
        if len(cells) != 3 or not all(cell.isdigit() for cell in cells if cell):
            raise forms.ValidationError(f"{label}の{number}行目は「数,数,数」の形で入力してください。")
        rows.append([int(cell) if cell else None for cell in cells])
    return rows


class TariffForm(forms.ModelForm):
    bases = forms.CharField(label="基本料金", widget=forms.Textarea(attrs={"rows": 7}), help_text=BASES_HELP)
    tiers = forms.CharField(label="従量料金", widget=forms.Textarea(attrs={"rows": 5}), help_text=TIERS_HELP)

    class Meta:
        model = Tariff
        fields = ["service", "supply", "effective_from", "basis"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            bases = [rules.Base(d, c or 0, i or 0) for d, c, i in _numbers(data.get("bases", ""), "基本料金")]
            tiers = [rules.Tier(f or 0, t, p or 0) for f, t, p in _numbers(data.get("tiers", ""), "従量料金")]
            # The service's own check, shown as a form error (the admin only parses; the service decides again).
            rules.validate_tiers(tiers, included_m3=max((b.included_m3 for b in bases), default=0))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        data["parsed"] = (bases, tiers)
        return data


@admin.register(Tariff)
class TariffAdmin(TownModelAdmin):
    form = TariffForm
    list_display = ["service", "supply", "effective_from", "basis", "recorded_by_name", "recorded_at"]
    list_filter = ["service", "supply"]
    ordering = ["service", "supply", "-effective_from"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A recorded version is shown read-only: its 基本料金 and 従量料金 rows, not the add form's text boxes (whose
        names are the reverse relations ``bases``/``tiers``, which the read-only view would try to call)."""
        if obj is None:
            return super().get_fields(request, obj)
        return [*TariffForm.Meta.fields, "base_rows", "tier_rows", "recorded_by_name", "recorded_at"]

    @admin.display(description="基本料金")
    def base_rows(self, obj: Tariff) -> str:
        return "、".join(str(base) for base in obj.bases.order_by("pk"))

    @admin.display(description="従量料金")
    def tier_rows(self, obj: Tariff) -> str:
        return "、".join(str(tier) for tier in obj.tiers.order_by("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a version is never changed: add a new one with its 施行日

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Tariff, form: Any, change: bool) -> None:
        bases, tiers = form.cleaned_data["parsed"]
        try:
            row = record_tariff(
                actor=request.user, service=obj.service, supply=obj.supply, effective_from=obj.effective_from,
                bases=bases, tiers=tiers, basis=obj.basis,
            )  # fmt: skip
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        obj.pk, obj.recorded_at = row.pk, row.recorded_at

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        pass  # record_tariff audited the addition inside its transaction

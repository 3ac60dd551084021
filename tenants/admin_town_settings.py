"""Per-town settings in the admin (common.TownSetting, docs/domain/town-settings.md): a new value is a new row with its
施行日, never an edit. Registered here, by the platform layer, because the town admin is tenants' (common imports no
app); the service ``common.town_settings.record_setting`` validates and writes the audit row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from common import town_settings
from common.errors import ApplicationError
from common.models import TownSetting
from tenants.admin_site import TownModelAdmin


class TownSettingForm(forms.ModelForm):
    key = forms.ChoiceField(label="設定項目", choices=())

    class Meta:
        model = TownSetting
        fields = ["key", "value", "effective_from", "basis"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A recorded value is shown read-only (never changed): its page's form has no fields to set up.
        key = self.fields.get("key")
        if isinstance(key, forms.ChoiceField):
            key.choices = [(s.key, s.label) for s in town_settings.specs()]
        if "value" in self.fields:
            self.fields["value"].help_text = " / ".join(
                f"{s.label}: {s.help_text}" for s in town_settings.specs() if s.help_text
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key, value, effective_from = data.get("key"), data.get("value"), data.get("effective_from")
        if key and value is not None and effective_from is not None:
            # The service's checks, shown as a form error (the admin only parses, the service decides).
            try:
                town_settings.validate(key=key, value=value, effective_from=effective_from)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(TownSetting)
class TownSettingAdmin(TownModelAdmin):
    """Per-town values with a 施行日 (手数料, 町長の氏名, 公開URL): a new value is a new row, never an edit.

    The town's IT staff add rows here; the service writes the audit row (so Django's log is not used twice)."""

    form = TownSettingForm
    list_display = ["key_label", "value", "effective_from", "basis", "recorded_by_name", "recorded_at"]
    list_filter = ["key"]
    ordering = ["key", "-effective_from"]

    @admin.display(description="設定項目", ordering="key")
    def key_label(self, obj: TownSetting) -> str:
        try:
            return town_settings.spec(obj.key).label
        except ApplicationError:
            return obj.key

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a recorded value is never changed: record a new one with its 施行日

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TownSetting, form: Any, change: bool) -> None:
        row = town_settings.record_setting(
            actor=request.user, key=obj.key, value=obj.value, effective_from=obj.effective_from, basis=obj.basis
        )
        obj.pk, obj.recorded_at = row.pk, row.recorded_at

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        pass  # town_settings.record_setting audited the addition inside its transaction

"""The admin of the organisation (組織 and 配属, docs/domain/organisation.md) for IT staff.

On a town host, that town's units and postings; on the council host, everyone's. Effective-dated and never
overwritten: a unit or posting is added through tenants.organisation (create_unit / post_person) and ended by its
廃止日 / 終了日 (end_unit / end_posting) — the only field that changes afterwards. A rename or a move is a new row
(the 人事異動 applies moves in one step); nothing is deleted. The services write the council trail, so the admin
logs no second row of its own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from common.errors import ApplicationError
from tenants import organisation
from tenants.admin_site import TownModelAdmin, council_admin_allowed
from tenants.models import Municipality, OrgUnit, Person, Posting

UNIT_FIELDS = ["code", "name", "name_kana", "kind", "parent", "sort_order", "valid_from"]
POSTING_FIELDS = ["unit", "title", "is_primary", "is_manager", "valid_from", "valid_to", "note"]


def _town(request: HttpRequest) -> Municipality | None:
    tenant = getattr(request, "tenant", None)
    return None if tenant is None or tenant.kind == Municipality.Kind.COUNCIL else tenant


class _ThroughServiceForm(forms.ModelForm):
    """A form whose clean() performs the change through the organisation service (inside the admin's
    transaction), so that a refusal shows as a form error; save_model then keeps the service's row."""

    request: HttpRequest
    done: Model | None = None

    def perform(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.done = self.perform(data)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return data

    def _post_clean(self) -> None:
        # The service has saved (or refused) the row; the model's own full_clean would only see the stale copy.
        return None


def _end_date(data: dict[str, Any], label: str) -> Any:
    valid_to = data.get("valid_to")
    if valid_to is None:
        raise ApplicationError(f"{label}を入力してください(取り消すことはできません)。", code="org_period")
    return valid_to


class UnitAddForm(_ThroughServiceForm):
    municipality = forms.ModelChoiceField(Municipality.objects.all(), label="自治体", required=False)

    class Meta:
        model = OrgUnit
        fields = UNIT_FIELDS

    def perform(self, data: dict[str, Any]) -> Model:
        municipality = _town(self.request) or data.get("municipality")
        if municipality is None:
            raise ApplicationError("自治体を選んでください。", code="org_unit_incomplete")
        return organisation.create_unit(
            actor=self.request.user,  # type: ignore[arg-type]
            municipality=municipality,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            valid_from=data["valid_from"],
            parent=data.get("parent"),
            name_kana=data.get("name_kana") or "",
            sort_order=data.get("sort_order") or 0,
        )


class UnitEndForm(_ThroughServiceForm):
    class Meta:
        model = OrgUnit
        fields = ["valid_to"]

    def perform(self, data: dict[str, Any]) -> Model:
        valid_to = _end_date(data, "廃止日")
        return organisation.end_unit(actor=self.request.user, unit=self.instance, valid_to=valid_to)  # type: ignore[arg-type]


class PostingAddForm(_ThroughServiceForm):
    username = forms.CharField(label="職員ID", max_length=150)

    class Meta:
        model = Posting
        fields = POSTING_FIELDS

    def clean_username(self) -> Person:
        person = Person.objects.filter(username=self.cleaned_data["username"].strip(), is_active=True).first()
        if person is None:
            raise forms.ValidationError("この職員IDは登録されていません。")
        return person

    def perform(self, data: dict[str, Any]) -> Model:
        return organisation.post_person(
            actor=self.request.user,  # type: ignore[arg-type]
            person=data["username"],
            unit=data["unit"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
            title=data.get("title") or "",
            is_primary=bool(data.get("is_primary")),
            is_manager=bool(data.get("is_manager")),
            note=data.get("note") or "",
        )


class PostingEndForm(_ThroughServiceForm):
    class Meta:
        model = Posting
        fields = ["valid_to"]

    def perform(self, data: dict[str, Any]) -> Model:
        valid_to = _end_date(data, "終了日")
        return organisation.end_posting(actor=self.request.user, posting=self.instance, valid_to=valid_to)  # type: ignore[arg-type]


class _OrganisationAdmin(TownModelAdmin):
    """Shared rules: this town's rows on a town host (its IT staff), all of them on the council host."""

    add_form: type[_ThroughServiceForm]
    end_form: type[_ThroughServiceForm]
    add_fields: list[str]
    shown_fields: list[str]
    town_path = "municipality"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)
        town = _town(request)
        return rows if town is None else rows.filter(**{self.town_path: town})

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = self.end_form if obj is not None else self.add_form
        kwargs["fields"] = ["valid_to"] if obj is not None else self.get_fields(request, obj)
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return self.shown_fields
        return self.add_fields if _town(request) is not None else ["municipality", *self.add_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A live row changes only its end date (an ended one only shows: see has_change_permission).
        return [] if obj is None else [f for f in self.shown_fields if f != "valid_to"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        town = _town(request)
        if db_field.name in {"unit", "parent"} and town is not None:
            kwargs["queryset"] = OrgUnit.objects.filter(municipality=town, valid_to__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        done = form.done
        if done is not None:
            obj.pk = done.pk
            obj.refresh_from_db()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and (_town(request) is not None or council_admin_allowed(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An ended unit or posting is history: it stays as it was.
        return self._allowed(request, obj) and (obj is None or obj.valid_to is None)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the organisation's history: ended, never deleted

    def _allowed(self, request: HttpRequest, obj: Any) -> bool:
        town = _town(request)
        if town is None:
            return council_admin_allowed(request)
        return super().has_view_permission(request) and (obj is None or self._town_id(obj) == town.pk)

    def _town_id(self, obj: Any) -> int:
        return int(obj.municipality_id)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None  # audited by the organisation service

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None  # audited by the organisation service


@admin.register(OrgUnit)
class OrgUnitAdmin(_OrganisationAdmin):
    add_form = UnitAddForm
    end_form = UnitEndForm
    add_fields = UNIT_FIELDS
    shown_fields = [*UNIT_FIELDS, "valid_to"]
    list_display = ["code", "name", "kind", "parent", "municipality", "valid_from", "valid_to"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_kana"]
    ordering = ["municipality", "sort_order", "code", "valid_from"]


@admin.register(Posting)
class PostingAdmin(_OrganisationAdmin):
    add_form = PostingAddForm
    end_form = PostingEndForm
    add_fields = ["username", *POSTING_FIELDS]
    shown_fields = ["person", *POSTING_FIELDS]
    town_path = "unit__municipality"
    list_display = ["person", "unit", "title", "is_primary", "is_manager", "valid_from", "valid_to"]
    list_filter = ["is_primary", "is_manager"]
    search_fields = ["person__username", "person__full_name", "unit__code", "unit__name"]
    list_select_related = ["person", "unit"]
    ordering = ["unit__code", "person__username", "valid_from"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.shown_fields if obj is not None else self.add_fields

    def _town_id(self, obj: Any) -> int:
        return int(obj.unit.municipality_id)

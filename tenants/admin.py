from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from tenants import (
    admin_audit,  # noqa: F401  (registers the audit trail's admin)
    admin_organisation,  # noqa: F401  (registers the organisation's admin: units and postings)
    admin_town_settings,  # noqa: F401  (registers the per-town settings' admin)
    services,
)
from tenants.admin_site import CouncilInline, CouncilModelAdmin, TownModelAdmin, council_admin_allowed
from tenants.models import ApiToken, Domain, Membership, Municipality, Person, Role


class DomainInline(CouncilInline):
    model = Domain
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(CouncilModelAdmin):
    list_display = ["name", "code", "schema_name", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "name_kana", "code", "schema_name"]
    inlines = [DomainInline]
    # Schemas are created and archived only through provision_municipality / withdraw_municipality,
    # which validate, migrate and verify; the admin edits descriptive fields and status.
    readonly_fields = ["schema_name", "code", "kind", "created_at", "withdrawn_at"]
    fields = [
        "name",
        "name_kana",
        "code",
        "schema_name",
        "kind",
        "status",
        "brand_color",
        "created_at",
        "withdrawn_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(CouncilInline):
    model = Membership
    extra = 0
    fields = ["municipality", "role", "section", "valid_from", "valid_to", "is_emergency", "note"]


class PersonCreationForm(AdminUserCreationForm):
    class Meta:
        model = Person
        fields = ["username", "full_name", "full_name_kana", "email"]


class PersonChangeForm(UserChangeForm):
    class Meta:
        model = Person
        fields = "__all__"


@admin.register(Person)
class PersonAdmin(CouncilModelAdmin, UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    list_display = ["username", "full_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "is_demo"]
    search_fields = ["username", "full_name", "full_name_kana", "email"]
    ordering = ["username"]
    filter_horizontal = ()
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("氏名・連絡先", {"fields": ["full_name", "full_name_kana", "email"]}),
        ("状態", {"fields": ["is_active", "is_demo", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "full_name_kana", "email",
                                                 "password1", "password2"]}),
    ]  # fmt: skip
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]


class TownMembershipForm(forms.ModelForm):
    """A town's IT staff grant their own town's memberships: the person by 職員ID (the council keeps identities,
    the town only chooses among them), the town itself implied by the host."""

    username = forms.CharField(label="職員ID", max_length=150, help_text="協議会が登録した職員IDを入力します。")

    class Meta:
        model = Membership
        fields = ["role", "section", "valid_from", "valid_to", "note"]

    def clean_username(self) -> Person:
        name = self.cleaned_data["username"].strip()
        person = Person.objects.filter(username=name, is_active=True).first()
        if person is None:
            raise forms.ValidationError("この職員IDは登録されていません(職員IDは協議会で登録します)。")
        return person

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        if role in COUNCIL_ONLY_ROLES:
            raise forms.ValidationError("この役割は協議会でのみ付与できます。")
        return role


# Roles a town does not grant itself: the council's own staff and its vendors.
COUNCIL_ONLY_ROLES = frozenset({Role.COUNCIL_STAFF, Role.VENDOR})


@admin.register(Membership)
class MembershipAdmin(TownModelAdmin):
    """Memberships: every town's on the council host; on a town host, that town's own (docs/ARCHITECTURE.md,
    "Access") — its IT staff grant and end their staff's roles, the identities stay the council's. Emergency
    memberships come only from disaster mode (bcp) and are read-only here; a membership is ended with its 終了日,
    never deleted."""

    list_display = ["person", "municipality", "role", "section", "valid_from", "valid_to", "is_emergency"]
    list_filter = ["role", "is_emergency"]
    search_fields = ["person__username", "person__full_name", "section"]
    date_hierarchy = "valid_from"

    def _town(self, request: HttpRequest) -> Municipality | None:
        tenant = getattr(request, "tenant", None)
        return None if tenant is None or tenant.kind == Municipality.Kind.COUNCIL else tenant

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        rows = super().get_queryset(request).select_related("person", "municipality")
        town = self._town(request)
        return rows if town is None else rows.filter(municipality=town)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return self.list_filter if self._town(request) is not None else ["municipality", *self.list_filter]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if self._town(request) is not None and obj is None:
            kwargs["form"] = TownMembershipForm
            kwargs["fields"] = ["username", *TownMembershipForm.Meta.fields]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self._town(request) is not None and obj is None:
            return ["username", *TownMembershipForm.Meta.fields]
        return ["person", "municipality", "role", "section", "valid_from", "valid_to", "is_emergency", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        if self._town(request) is not None:
            # A town changes the end date, section and note of its own grants; who, where, what and since when
            # stay as granted (a new role is a new membership), and emergency grants belong to disaster mode.
            editable = set() if obj.is_emergency else {"section", "valid_to", "note"}
            return [f for f in self.get_fields(request, obj) if f not in editable]
        return []

    def get_autocomplete_fields(self, request: HttpRequest) -> Any:
        return ["person"] if self._town(request) is None else []

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and (
            self._town(request) is not None or council_admin_allowed(request)
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Membership history is the council's record of who could act where and when: end it, never delete it.
        return self._town(request) is None and council_admin_allowed(request)

    def _allowed(self, request: HttpRequest, obj: Any) -> bool:
        town = self._town(request)
        if town is None:
            return council_admin_allowed(request)
        return super().has_view_permission(request) and (obj is None or obj.municipality_id == town.pk)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        town = self._town(request)
        if town is not None and not change:
            data = form.cleaned_data
            # The same service as every other grant (audited in the council trail).
            granted = services.grant_membership(
                actor=request.user,  # type: ignore[arg-type]
                person=data["username"],
                municipality=town,
                role=data["role"],
                section=data.get("section") or "",
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
                note=data.get("note") or "",
            )
            obj.pk = granted.pk
            obj.person, obj.municipality = granted.person, granted.municipality
            return
        super().save_model(request, obj, form, change)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        if self._town(request) is None:  # a town's grant was audited by grant_membership
            super().log_addition(request, obj, message)


@admin.register(ApiToken)
class ApiTokenAdmin(CouncilModelAdmin):
    list_display = ["key_prefix", "person", "municipality", "name", "created_at", "expires_at", "revoked_at"]
    list_filter = ["municipality"]
    readonly_fields = ["person", "municipality", "name", "key_prefix", "key_digest", "created_at", "expires_at",
                       "last_used_at"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

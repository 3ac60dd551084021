from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

from tenants import admin_audit  # noqa: F401  (registers the audit trail's admin)
from tenants.admin_site import CouncilInline, CouncilModelAdmin
from tenants.models import ApiToken, Domain, Membership, Municipality, Person


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


@admin.register(Membership)
class MembershipAdmin(CouncilModelAdmin):
    list_display = ["person", "municipality", "role", "section", "valid_from", "valid_to", "is_emergency"]
    list_filter = ["municipality", "role", "is_emergency"]
    search_fields = ["person__username", "person__full_name", "section"]
    autocomplete_fields = ["person"]
    date_hierarchy = "valid_from"


@admin.register(ApiToken)
class ApiTokenAdmin(CouncilModelAdmin):
    list_display = ["key_prefix", "person", "municipality", "name", "created_at", "expires_at", "revoked_at"]
    list_filter = ["municipality"]
    readonly_fields = ["person", "municipality", "name", "key_prefix", "key_digest", "created_at", "expires_at",
                       "last_used_at"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

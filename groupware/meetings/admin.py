"""The admin of the meetings (docs/domain/meetings.md §9) for the council's 情報システム担当, on the council host
(the meetings live in the council's schema; a town host shows nothing of them).

Read-mostly, as the organisation's admin (tenants/admin_organisation.py): a meeting, its participants, agenda,
documents (name, size, SHA-256 — never the PDF) and the versions of its minutes (who and when — never the text)
are shown read-only. The only changes are the two an organiser may need help with, made through the audited
services: inviting more participants by 職員ID and cancelling the meeting with a reason (both notify the
participants). Nothing is added, edited or deleted directly; a cancelled meeting is read-only. The services write
the audit rows, so the admin logs no second row of its own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from common.errors import ApplicationError
from groupware.meetings.models import AgendaItem, Document, Meeting, Minutes, Participant
from groupware.meetings.services import changes
from tenants.admin_site import CouncilModelAdmin, council_admin_allowed
from tenants.models import Person

MEETING_FIELDS = [
    "title", "starts_at", "ends_at", "place", "description", "host_name", "organiser_name", "created_at",
    "cancelled_at", "cancelled_by_name", "cancel_reason",
]  # fmt: skip


class MeetingChangeForm(forms.ModelForm):
    """Performs the change through the meetings' services inside the admin's transaction (clean), so that a
    refusal shows as a form error; the model's own save is skipped (save_model)."""

    request: HttpRequest
    add_usernames = forms.CharField(
        label="参加者の追加(職員ID、空白または改行で区切る)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label="中止の理由(入力すると会議を中止し、参加者に通知します)", required=False, max_length=200
    )

    class Meta:
        model = Meeting
        fields: list[str] = []

    def clean_add_usernames(self) -> list[int]:
        names = self.cleaned_data["add_usernames"].split()
        found = dict(Person.objects.filter(username__in=names, is_active=True).values_list("username", "pk"))
        missing = [name for name in names if name not in found]
        if missing:
            raise forms.ValidationError(f"登録されていない職員IDです: {', '.join(missing)}")
        return [found[name] for name in names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        ids, reason = data.get("add_usernames") or [], (data.get("reason") or "").strip()
        if not ids and not reason:
            raise forms.ValidationError("追加する参加者の職員IDか、中止の理由を入力してください。")
        actor: Person = self.request.user  # type: ignore[assignment]
        try:
            if ids:
                changes.add_participants(actor=actor, meeting_id=self.instance.pk, participant_ids=ids)
            if reason:
                changes.cancel_meeting(actor=actor, meeting_id=self.instance.pk, reason=reason)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return data

    def _post_clean(self) -> None:
        return None  # the service saved (or refused); the model's full_clean would only see the stale copy


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ParticipantInline(_ReadOnlyInline):
    model = Participant
    fields = ["person_id", "person_name", "affiliation", "attendance"]


class AgendaInline(_ReadOnlyInline):
    model = AgendaItem
    fields = ["order", "title", "presenter"]


class DocumentInline(_ReadOnlyInline):
    model = Document
    fields = ["name", "agenda_item", "size", "sha256", "uploaded_by_name", "uploaded_at"]


class MinutesInline(_ReadOnlyInline):
    model = Minutes
    fields = ["version", "state", "written_by_name", "updated_at", "confirmed_by_name", "confirmed_at"]


@admin.register(Meeting)
class MeetingAdmin(CouncilModelAdmin):
    form = MeetingChangeForm
    inlines = [ParticipantInline, AgendaInline, DocumentInline, MinutesInline]
    list_display = ["title", "starts_at", "host_name", "organiser_name", "participant_count", "state"]
    list_filter = ["host_name"]
    search_fields = ["title", "organiser_name", "participants__person_name"]
    ordering = ["-starts_at", "-pk"]
    readonly_fields = MEETING_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        return super().get_queryset(request).annotate(participant_total=Count("participants"))

    @admin.display(description="参加者数", ordering="participant_total")
    def participant_count(self, obj: Meeting) -> int:
        return int(getattr(obj, "participant_total", 0))

    @admin.display(description="状態")
    def state(self, obj: Meeting) -> str:
        return "中止" if obj.is_cancelled else "開催予定・開催済み"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = obj is not None and self.has_change_permission(request, obj)
        return [*MEETING_FIELDS, *(["add_usernames", "reason"] if editable else [])]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a meeting is recorded on the meeting pages by its organiser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request) and (obj is None or not obj.is_cancelled)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a meeting is cancelled (中止), never deleted

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.refresh_from_db()  # the service saved it

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None  # the inlines are read-only

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        return []  # nothing is logged here (log_change): the services audit

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None  # audited by the meetings' services

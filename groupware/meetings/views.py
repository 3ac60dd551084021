"""The meeting pages (ペーパーレス会議, Web会議) under /groupware/meetings/: they parse input, call one service or
selector and render (docs/domain/meetings.md). A meeting the reader does not take part in answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import ApplicationError
from common.http import PREVIEW_CSP
from groupware import selectors as groupware_selectors
from groupware.meetings import selectors
from groupware.meetings.forms import (
    AddParticipantsForm,
    AgendaItemForm,
    CancelForm,
    DocumentForm,
    MeetingForm,
    MinutesForm,
    RescheduleForm,
    attendance_from,
)
from groupware.meetings.models import Attendance
from groupware.meetings.services import changes, meetings, minutes, sharing, web_meetings
from tenants.access import person_of


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    unread = groupware_selectors.unread_count(actor=person_of(request))
    return render(request, template, {"nav": "meetings", "unread": unread, **context})


def _refused(form: Any, exc: ApplicationError) -> None:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("groupware:meetings:meeting", args=[pk]) + (f"#{anchor}" if anchor else ""))


@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    return _page(request, "groupware_meetings/list.html", meetings=selectors.meetings_for(actor=person_of(request)))


@require_http_methods(["GET", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None, people=selectors.participant_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = meetings.create_meeting(
                actor=person_of(request), title=data["title"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                place=data["place"], description=data["description"], participant_ids=data["participants"],
            )  # fmt: skip
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "会議を登録しました。")
            return _back(meeting.pk)
    return _page(request, "groupware_meetings/new.html", form=form)


@require_GET
def meeting_view(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.meeting_page(actor=person_of(request), meeting_id=pk)
    if page is None:
        raise Http404
    draft = page.draft
    return _page(
        request,
        "groupware_meetings/meeting.html",
        page=page,
        attendance_choices=Attendance.choices,
        agenda_form=AgendaItemForm(),
        document_form=DocumentForm(agenda=[(row.item.pk, str(row.item)) for row in page.agenda]),
        minutes_form=MinutesForm(
            initial={
                "body": draft.body if draft else (page.confirmed.body if page.confirmed else ""),
                "version": draft.version if draft else None,
            }
        ),
        share_channels=(
            selectors.share_channels(person_of(request)) if page.web_meeting and not page.meeting.is_cancelled else []
        ),
        **(_organiser_forms(page) if page.can_organise else {}),
    )


def _organiser_forms(page: selectors.MeetingPage) -> dict[str, Any]:
    """The forms only the organiser of a meeting not cancelled sees: add participants, move it, cancel it."""
    taking_part = {p.person_id for p in page.participants}
    meeting = page.meeting
    return {
        "add_form": AddParticipantsForm(
            people=[(pk, label) for pk, label in selectors.participant_choices() if pk not in taking_part]
        ),
        "reschedule_form": RescheduleForm(
            initial={"starts_at": meeting.starts_at, "ends_at": meeting.ends_at, "place": meeting.place}
        ),
        "cancel_form": CancelForm(),
    }


def _act(request: HttpRequest, pk: int, anchor: str, done: str, action: Any) -> HttpResponse:
    try:
        action()
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(pk, anchor)


@require_POST
def agenda_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = AgendaItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, "議題を200文字以内で入力してください。")
        return _back(pk, "agenda")
    return _act(
        request, pk, "agenda", "議題を追加しました。",
        lambda: meetings.add_agenda_item(actor=person_of(request), meeting_id=pk, **form.cleaned_data),
    )  # fmt: skip


@require_POST
def document_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    agenda = [(int(v), v) for v in [request.POST.get("agenda_item", "")] if v.isdigit()]
    form = DocumentForm(request.POST, request.FILES, agenda=agenda)
    if not form.is_valid():
        messages.error(request, "PDFファイルを選んでください。")
        return _back(pk, "documents")
    return _act(
        request, pk, "documents", "会議資料を登録しました。",
        lambda: meetings.upload_document(
            actor=person_of(request), meeting_id=pk, upload=form.cleaned_data["file"],
            agenda_item_id=form.cleaned_data["agenda_item"],
        ),
    )  # fmt: skip


@require_GET
def document_view(request: HttpRequest, pk: int, document_id: int) -> HttpResponse:
    """The reading page: the PDF in the browser's own viewer, framed from this site."""
    document = selectors.document_for(actor=person_of(request), meeting_id=pk, document_id=document_id)
    if document is None:
        raise Http404
    return _page(request, "groupware_meetings/document.html", document=document, meeting_id=pk)


@require_GET
def document_pdf_view(request: HttpRequest, pk: int, document_id: int) -> FileResponse:
    """The PDF itself, inline (audited read), framed by this site only and never cached."""
    try:
        document, handle = selectors.open_document(actor=person_of(request), meeting_id=pk, document_id=document_id)
    except ApplicationError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="application/pdf", as_attachment=False, filename=document.name)
    response["Cache-Control"] = "no-store"
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["X-Content-Type-Options"] = "nosniff"
    # As common.http.pdf_preview: frame-ancestors 'self' and object-src 'self' for this one response.
    setattr(response, "_csp_replace", PREVIEW_CSP)  # noqa: B010
    return response


@require_POST
def participants_view(request: HttpRequest, pk: int) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("participants") if v.isdigit()]
    if not ids:
        messages.error(request, "追加する参加者を選んでください。")
        return _back(pk, "participants")
    return _act(
        request, pk, "participants", "参加者を追加しました(通知を送りました)。",
        lambda: changes.add_participants(actor=person_of(request), meeting_id=pk, participant_ids=ids),
    )  # fmt: skip


@require_POST
def participant_remove_view(request: HttpRequest, pk: int, person_id: int) -> HttpResponse:
    return _act(
        request, pk, "participants", "参加者から外しました(本人に通知しました)。",
        lambda: changes.remove_participant(actor=person_of(request), meeting_id=pk, person_id=person_id),
    )  # fmt: skip


@require_POST
def reschedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "開始・終了の日時を正しく入力してください(例: 2026-04-01 09:00)。")
        return _back(pk, "change")
    return _act(
        request, pk, "change", "日時・場所を変更しました(参加者に通知しました)。",
        lambda: changes.reschedule_meeting(actor=person_of(request), meeting_id=pk, **form.cleaned_data),
    )  # fmt: skip


@require_POST
def cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "中止の理由を200文字以内で入力してください。")
        return _back(pk, "change")
    return _act(
        request, pk, "", "会議を中止しました(参加者に通知しました)。",
        lambda: changes.cancel_meeting(actor=person_of(request), meeting_id=pk, reason=form.cleaned_data["reason"]),
    )  # fmt: skip


@require_POST
def attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    ids = [int(key.removeprefix("attendance_")) for key in request.POST if key.removeprefix("attendance_").isdigit()]
    return _act(
        request, pk, "participants", "出欠を記録しました。",
        lambda: meetings.record_attendance(
            actor=person_of(request), meeting_id=pk, attendance=attendance_from(request.POST, ids)
        ),
    )  # fmt: skip


@require_POST
def minutes_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = MinutesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "議事録の本文を入力してください。")
        return _back(pk, "minutes")
    return _act(
        request, pk, "minutes", "議事録(案)を保存しました。",
        lambda: minutes.save_draft(
            actor=person_of(request), meeting_id=pk, body=form.cleaned_data["body"],
            version=form.cleaned_data["version"],
        ),
    )  # fmt: skip


@require_POST
def minutes_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    version = request.POST.get("version", "")
    if not version.isdigit():
        messages.error(request, "確定する版を指定してください。")
        return _back(pk, "minutes")
    return _act(
        request, pk, "minutes", "議事録を確定しました。",
        lambda: minutes.confirm(actor=person_of(request), meeting_id=pk, version=int(version)),
    )  # fmt: skip


@require_POST
def meeting_web_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, "web", "Web会議のURLを発行しました。",
        lambda: web_meetings.for_meeting(actor=person_of(request), meeting_id=pk),
    )  # fmt: skip


@require_POST
def share_view(request: HttpRequest, pk: int) -> HttpResponse:
    """「チャットで共有」: post the meeting's Web会議 link to a chat channel the reader reaches."""
    channel = request.POST.get("channel", "")
    if not channel.isdigit():
        messages.error(request, "共有するチャンネルを選んでください。")
        return _back(pk, "web")
    try:
        sharing.share_in_chat(actor=person_of(request), meeting_id=pk, channel_id=int(channel))
    except ApplicationError as exc:
        if exc.code == "meeting_not_found":
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "Web会議のURLをチャットに投稿しました。")
    return _back(pk, "web")


def _event_web(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    try:
        web_meetings.for_event(actor=person_of(request), event_id=pk, council_wide=council_wide)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "Web会議のURLを発行しました。")
    return redirect("groupware:council_event" if council_wide else "groupware:event", pk=pk)


@require_POST
def event_web_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Generate the Web会議 of a schedule entry (its organiser), back to the entry's page."""
    return _event_web(request, pk, council_wide=False)


@require_POST
def council_event_web_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The same for an entry across towns, kept in the council's schema (groupware.md §2.8)."""
    return _event_web(request, pk, council_wide=True)

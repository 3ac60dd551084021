"""Forms of the meeting pages: they parse input; the services decide (CONTRIBUTING.md, rule 3)."""

from __future__ import annotations

from typing import Any

from django import forms

from common.text import PrintableTextValidator
from groupware.forms import LocalDateTimeField
from groupware.meetings.models import Attendance


class MeetingForm(forms.Form):
    title = forms.CharField(label="会議名", max_length=200, validators=[PrintableTextValidator("会議名", 200)])
    starts_at = LocalDateTimeField(label="開始")
    ends_at = LocalDateTimeField(label="終了")
    place = forms.CharField(label="場所", max_length=200, required=False)
    description = forms.CharField(label="概要", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    participants = forms.TypedMultipleChoiceField(
        label="参加者", coerce=int, required=False, help_text="両町・協議会の職員から選びます(主催者は自動で参加)。"
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = people  # type: ignore[attr-defined]
        self.fields["participants"].widget.attrs["size"] = "8"


class AddParticipantsForm(forms.Form):
    participants = forms.TypedMultipleChoiceField(
        label="追加する参加者", coerce=int, help_text="追加した職員には通知が届きます。"
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = people  # type: ignore[attr-defined]
        self.fields["participants"].widget.attrs["size"] = "6"


class RescheduleForm(forms.Form):
    starts_at = LocalDateTimeField(label="開始")
    ends_at = LocalDateTimeField(label="終了")
    place = forms.CharField(label="場所", max_length=200, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label="中止の理由", max_length=200, help_text="参加者全員に通知されます。")


class AgendaItemForm(forms.Form):
    title = forms.CharField(label="議題", max_length=200)
    presenter = forms.CharField(label="説明者", max_length=100, required=False)


class DocumentForm(forms.Form):
    file = forms.FileField(label="会議資料(PDF、20MBまで)", widget=forms.ClearableFileInput(attrs={"accept": ".pdf"}))
    agenda_item = forms.TypedChoiceField(label="対象の議題", coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, agenda: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [("", "会議全体"), *agenda]  # type: ignore[attr-defined]


class MinutesForm(forms.Form):
    body = forms.CharField(label="議事録(案)", widget=forms.Textarea(attrs={"rows": 12}), max_length=100_000)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def attendance_from(data: Any, person_ids: list[int]) -> dict[int, str]:
    """The 出欠 posted for each participant (``attendance_<id>``); unknown values go on to the service, which
    refuses them."""
    found: dict[int, str] = {}
    for pk in person_ids:
        value = data.get(f"attendance_{pk}")
        if value is not None:
            found[pk] = str(value)
    return found


ATTENDANCE_CHOICES = Attendance.choices

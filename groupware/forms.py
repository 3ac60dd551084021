"""Forms of the groupware pages: they parse input; the services decide (CONTRIBUTING.md, rule 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms

from common.dates import TOKYO
from common.text import PrintableTextValidator

REPEAT_CHOICES = [
    ("", "繰り返さない"),
    ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "平日毎日"),
    ("FREQ=WEEKLY", "毎週"),
    ("FREQ=WEEKLY;INTERVAL=2", "隔週"),
    ("FREQ=MONTHLY", "毎月(同じ日)"),
    ("custom", "RRULE を直接指定"),
]


class LocalDateTimeField(forms.DateTimeField):
    """A datetime typed on the page (Asia/Tokyo wall-clock time)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"])
        kwargs.setdefault("error_messages", {"invalid": "日時を正しく入力してください(例: 2026-04-01 09:00)。"})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=TOKYO) if result.tzinfo is None else result.astimezone(TOKYO)


class EventForm(forms.Form):
    title = forms.CharField(label="件名", max_length=200, validators=[PrintableTextValidator("件名", 200)])
    starts_at = LocalDateTimeField(label="開始")
    ends_at = LocalDateTimeField(label="終了")
    all_day = forms.BooleanField(label="終日", required=False)
    location = forms.CharField(label="場所", max_length=200, required=False)
    description = forms.CharField(label="内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_private = forms.BooleanField(
        label="非公開(他の職員には「予定あり」とだけ表示)", required=False
    )
    repeat = forms.ChoiceField(label="繰り返し", choices=REPEAT_CHOICES, required=False)
    rrule = forms.CharField(
        label="RRULE", max_length=300, required=False, help_text="例: FREQ=WEEKLY;BYDAY=MO;COUNT=10"
    )
    participants = forms.TypedMultipleChoiceField(label="参加者", coerce=int, required=False)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = people  # type: ignore[attr-defined]
        self.fields["participants"].widget.attrs["size"] = "8"

    def rule(self) -> str:
        repeat = self.cleaned_data.get("repeat") or ""
        return str(self.cleaned_data.get("rrule") or "") if repeat == "custom" else repeat


class BookingForm(forms.Form):
    starts_at = LocalDateTimeField(label="開始")
    ends_at = LocalDateTimeField(label="終了")
    purpose = forms.CharField(label="利用目的", max_length=200, validators=[PrintableTextValidator("利用目的", 200)])


class FreeSlotForm(forms.Form):
    people = forms.TypedMultipleChoiceField(label="対象者", coerce=int)
    first_day = forms.DateField(label="開始日", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="日数", min_value=1, max_value=31, initial=5)
    minutes = forms.IntegerField(label="所要時間(分)", min_value=15, max_value=480, initial=60)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = people  # type: ignore[attr-defined]

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
    is_private = forms.BooleanField(label="非公開(他の職員には「予定あり」とだけ表示)", required=False)
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


class RequestForm(forms.Form):
    """A request of one workflow form: the title, the form's own fields, attachments where allowed."""

    title = forms.CharField(label="件名", max_length=200, validators=[PrintableTextValidator("件名", 200)])

    def __init__(self, *args: Any, definition: Any, people: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in definition.fields:
            kind, label, required = field["type"], field["label"], field["required"]
            if kind == "textarea":
                widget: Any = forms.Textarea(attrs={"rows": 4})
            elif kind == "date":
                widget = forms.DateInput(attrs={"type": "date"})
            elif kind == "datetime":
                widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
            elif kind == "number":
                widget = forms.NumberInput()
            else:
                widget = forms.TextInput()
            # Parsed and checked by the service (workflow.clean_data), the one place of the form's rules.
            self.fields[f"f_{field['name']}"] = forms.CharField(
                label=label, required=required, max_length=4000, widget=widget
            )
        if definition.allows_attachments:
            self.fields["files"] = forms.FileField(
                label="添付ファイル(10MBまで)", required=False, widget=MultipleFileInput()
            )
        if people is not None:
            self.fields["applicant"] = forms.TypedChoiceField(
                label="申請者(代理申請のとき)", coerce=int, required=False, choices=[("", "自分"), *people]
            )

    def values(self) -> dict[str, Any]:
        return {name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("f_")}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="コメント", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FormDefinitionForm(forms.Form):
    code = forms.CharField(label="様式コード", max_length=20)
    name = forms.CharField(label="様式名", max_length=100)
    description = forms.CharField(label="説明", max_length=300, required=False)
    fields_spec = forms.CharField(
        label="入力項目",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="1行に1項目: 名前|表示名|種類(text, textarea, date, datetime, number)|必須(yes/no)",
    )
    steps_spec = forms.CharField(
        label="経路",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="1行に1ステップ: 種類(all, any, circulate)|職員ID(カンマ区切り)|所属長を含める(yes/no)",
    )
    allows_attachments = forms.BooleanField(label="添付ファイル可", required=False)
    route_editable = forms.BooleanField(label="申請者が経路を変更できる", required=False)
    creates = forms.ChoiceField(
        label="承認後に作成", required=False, choices=[("", "なし"), ("schedule", "予定(starts_at, ends_at が必要)")]
    )

    def field_list(self) -> list[dict[str, Any]]:
        rows = []
        for line in self.cleaned_data["fields_spec"].splitlines():
            parts = [part.strip() for part in line.split("|")]
            if not any(parts):
                continue
            parts += [""] * (4 - len(parts))
            rows.append(
                {"name": parts[0], "label": parts[1], "type": parts[2] or "text", "required": parts[3] == "yes"}
            )
        return rows

    def step_list(self) -> list[tuple[str, list[int], bool]]:
        rows = []
        for line in self.cleaned_data["steps_spec"].splitlines():
            parts = [part.strip() for part in line.split("|")]
            if not any(parts):
                continue
            parts += [""] * (3 - len(parts))
            ids = [int(pk) for pk in parts[1].replace("、", ",").split(",") if pk.strip().isdigit()]
            rows.append((parts[0], ids, parts[2] == "yes"))
        return rows


class DelegationForm(forms.Form):
    kind = forms.ChoiceField(label="種別", choices=[("approve", "代理承認"), ("apply", "代理申請")])
    proxy = forms.TypedChoiceField(label="代理者", coerce=int)
    valid_from = forms.DateField(label="開始日", widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label="終了日", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proxy"].choices = people  # type: ignore[attr-defined]


class NoticeForm(forms.Form):
    title = forms.CharField(label="件名", max_length=200, validators=[PrintableTextValidator("件名", 200)])
    body = forms.CharField(label="本文", widget=forms.Textarea(attrs={"rows": 8}), max_length=20000)
    scope = forms.ChoiceField(label="掲示先", choices=[("all", "全体"), ("unit", "組織")])
    unit_code = forms.ChoiceField(label="組織(掲示先が組織のとき)", required=False)
    category = forms.TypedChoiceField(label="分類", coerce=int, required=False, empty_value=None)
    publish_from = LocalDateTimeField(label="掲示開始", required=False, help_text="空欄なら今から")
    expires_at = LocalDateTimeField(label="掲示終了", required=False)
    allow_comments = forms.BooleanField(label="コメントを受け付ける", required=False)
    attachments = forms.FileField(label="添付ファイル(10MBまで)", required=False, widget=MultipleFileInput())

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], categories: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit_code"].choices = [("", "—"), *units]  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "—"), *categories]  # type: ignore[attr-defined]


class CommentBodyForm(forms.Form):
    body = forms.CharField(label="コメント", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class TransferForm(forms.Form):
    effective_on = forms.DateField(label="発令日", widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label="人事異動CSV(職員ID,所属コード,職名,所属長)", required=False)
    payload = forms.CharField(widget=forms.HiddenInput, required=False, max_length=3 * 1024 * 1024)


class FolderForm(forms.Form):
    name = forms.CharField(label="フォルダ名", max_length=100)
    unit_code = forms.ChoiceField(label="組織(空欄なら町全体)", required=False)
    roles = forms.MultipleChoiceField(label="役割(空欄なら全員)", required=False)
    max_mb = forms.IntegerField(label="1ファイルの上限(MB)", min_value=1, max_value=1024, initial=20)

    def __init__(self, *args: Any, units: list[tuple[str, str]], roles: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit_code"].choices = [("", "—"), *units]  # type: ignore[attr-defined]
        self.fields["roles"].choices = roles  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    file = forms.FileField(label="ファイル")
    description = forms.CharField(label="説明", max_length=500, required=False)

"""Forms of the 支援措置 screens. They only read and check input; resident_records.support decides."""

from __future__ import annotations

from typing import Any

from django import forms

from resident_records.forms import _date, _text
from resident_records.models import SupportMeasureKind, SupportScope
from resident_records.support import DEFAULT_SCOPES


class ApplySupportMeasureForm(forms.Form):
    kind = forms.ChoiceField(
        label="種別",
        choices=SupportMeasureKind.choices,
        initial=SupportMeasureKind.SUPPORT,
        error_messages={"required": "種別を選んでください。", "invalid_choice": "種別が正しくありません。"},
    )
    scopes = forms.MultipleChoiceField(
        label="対象事務",
        choices=SupportScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(DEFAULT_SCOPES),
        help_text=(
            "原則はすべての事務が対象です(住民票・除票・閲覧・戸籍の附票・除附票)。"
            "対象を狭める決定をした場合に限り、チェックを外してください(監査記録に残ります)。"
        ),
        error_messages={
            "required": "支援措置の対象事務を1つ以上選んでください。",
            "invalid_choice": "対象事務が正しくありません。",
        },
    )
    start_on = _date("支援開始日")
    end_on = _date("支援終了日", required=False)
    accompanying = forms.MultipleChoiceField(
        label="併せて支援を求める者(同一世帯の方)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "併せて支援を求める者が正しくありません。"},
    )
    perpetrator = _text(
        "加害者に関する情報",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="判明している範囲で(氏名・住所等)。画面・APIには表示されません。",
    )
    note = _text("申出の概要・備考", required=False, max_length=500)

    def __init__(self, *args: Any, accompanying_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["accompanying"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = accompanying_choices
        self.fields["end_on"].help_text = "空欄の場合は開始日から1年間(標準仕様書 §3.4)。例: 令和9年11月26日"


class ReleaseForm(forms.Form):
    reason = _text("解除の理由", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class TemporaryReleaseForm(forms.Form):
    purpose = _text("一時解除の目的", max_length=500, help_text="例: 支援対象者本人からの住民票の写しの交付請求")
    minutes = forms.IntegerField(
        label="一時解除の時間(分)",
        min_value=1,
        max_value=24 * 60,
        help_text="経過すると自動的に再設定(ロック)されます。",
        error_messages={
            "required": "一時解除の時間を入力してください。",
            "invalid": "一時解除の時間は分単位の数字で入力してください。",
            "min_value": "一時解除の時間は1分から24時間までで指定してください。",
            "max_value": "一時解除の時間は1分から24時間までで指定してください。",
        },
    )

"""検索 and the 利用目的 of a read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.forms import PurposeField
from koseki.forms.fields import none_given, text_field

# --- 検索・利用目的 ----------------------------------------------------------------------------------


class SearchForm(forms.Form):
    honseki = text_field("本籍", required=False, max_length=200, help_text="前方一致(例: 高知県高岡郡中土佐町久礼)")
    query = text_field(
        "筆頭者・氏名・フリガナ",
        required=False,
        help_text="筆頭者や戸籍に記録されている方の氏名(漢字・かな、一部でも可)",
    )
    include_closed = forms.BooleanField(label="除籍簿(全員が除籍された戸籍)も含める", required=False, initial=True)
    purpose = PurposeField(help_text="監査記録に残ります(例: 出生届の受付、戸籍証明書の交付請求)。")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if none_given(self, data, ("honseki", "query")):
            raise ValidationError("検索条件を入力してください(本籍、筆頭者・氏名・フリガナのいずれか)。")
        return data


class PurposeForm(forms.Form):
    purpose = PurposeField(help_text="監査記録に残ります(例: 婚姻届の審査、戸籍証明書の交付請求)。")

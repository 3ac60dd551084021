"""Fields and helpers every 戸籍 form builds on: labelled text, date and choice fields, katakana furigana."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.forms import WarekiDateField
from common.text import to_katakana

SEX_CHOICES = [("", "選択してください"), ("1", "男"), ("2", "女")]
# Full-width katakana, the prolonged sound mark and the iteration marks; one space between parts.
KATAKANA = re.compile(r"^[\u30a1-\u30f6\u30fc\u30fd\u30fe ]+$")
KATAKANA_ERROR = "{label}はカタカナで入力してください(ひらがなはカタカナに直して記録します)。"


def text_field(label: str, *, required: bool = True, max_length: int = 100, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        error_messages={
            "required": f"{label}を入力してください。",
            "max_length": f"{label}は{max_length}文字以内で入力してください。",
        },
        **kwargs,
    )


def date_field(label: str, *, required: bool = True, **kwargs: Any) -> WarekiDateField:
    return WarekiDateField(
        label=label, required=required, error_messages={"required": f"{label}を入力してください。"}, **kwargs
    )


def choice_field(
    label: str, choices: Sequence[tuple[str, str]], *, required: bool = True, **kwargs: Any
) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=list(choices),
        required=required,
        error_messages={
            "required": f"{label}を選んでください。",
            "invalid_choice": f"{label}の選択が正しくありません。",
        },
        **kwargs,
    )


class KanaField(forms.CharField):
    """A furigana typed in hiragana or katakana (全角・半角), cleaned to full-width katakana."""

    def __init__(self, label: str, *, required: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault(
            "error_messages",
            {"required": f"{label}を入力してください。", "max_length": f"{label}は100文字以内で入力してください。"},
        )
        super().__init__(label=label, required=required, **kwargs)

    def clean(self, value: Any) -> str:
        text = to_katakana(str(super().clean(value) or ""))
        if text and not KATAKANA.match(text):
            raise ValidationError(KATAKANA_ERROR.format(label=self.label), code="not_katakana")
        return text


def member_choices(members: Sequence[Any], *, blank: str = "") -> list[tuple[str, str]]:
    """Choices of Member rows, labelled so that two people of the same name are told apart."""
    choices = [("", blank)] if blank else []
    for member in members:
        koseki = member.koseki
        choices.append(
            (
                str(member.pk),
                f"{member.full_name}(生年月日 {member.birth_date:%Y-%m-%d}、"
                f"本籍 {koseki.honseki}、筆頭者 {koseki.head_name})"
                + ("【死亡により除籍】" if member.is_removed and member.removed_reason == "死亡" else ""),
            )
        )
    return choices


def none_given(form: forms.Form, data: dict[str, Any], names: Sequence[str]) -> bool:
    """True when none of ``names`` was filled in and none of them already has its own error."""
    return not any(str(data.get(name) or "").strip() for name in names) and not form.errors.keys() & set(names)

"""Form fields every module's clerk pages share: dates in 和暦 or 西暦, the audited 利用目的, amounts in yen.

They only read and check input; the services decide (CONTRIBUTING.md, rule 3).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.text import PrintableTextValidator
from common.wareki import WarekiError, parse_wareki, to_wareki

DATE_ERROR = "日付を正しく入力してください(例: 令和8年4月1日 または 2026-04-01)"
DATE_HELP = "例: 令和8年4月1日、R8.4.1、2026-04-01"


class WarekiDateField(forms.Field):
    """A date typed in 和暦 or 西暦 (common.wareki.parse_wareki), cleaned to a ``date``."""

    widget = forms.TextInput(attrs={"maxlength": "40", "autocomplete": "off", "inputmode": "text"})
    default_error_messages = {"invalid": DATE_ERROR}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > 40:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parse_wareki(text)
        except WarekiError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def prepare_value(self, value: Any) -> Any:
        # Shown in 和暦 like every date on the screens (標準仕様書 §1.1.9); 西暦 is still accepted on input.
        return to_wareki(value) if isinstance(value, date) else value


class PurposeField(forms.CharField):
    """The 利用目的 of a personal-data read or write; it goes into the audit row (docs/audit.md)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "利用目的")
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("validators", [PrintableTextValidator("利用目的", 200)])
        kwargs.setdefault("help_text", "監査記録に残ります(例: 転入届の受付、住民票の写しの交付請求)。")
        kwargs.setdefault(
            "error_messages",
            {
                "required": "利用目的を入力してください(監査記録に残ります)。",
                "max_length": "利用目的は200文字以内で入力してください。",
            },
        )
        super().__init__(**kwargs)


_YEN = re.compile(r"-?\d{1,15}")
YEN_ERROR = "金額は円単位の整数で入力してください(例: 1,234,000)。"


def parse_yen(text: str) -> int:
    """'１,２３４,０００円' / '¥1,234,000' / '1234000' -> 1234000. Raises ValueError for anything else.

    Full-width digits are folded (NFKC), digit-grouping commas, a leading ¥/￥ and a trailing 円 are dropped;
    decimals are refused (amounts are integer yen)."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").replace(" ", "")
    cleaned = cleaned.removeprefix("¥").removeprefix("\\").removesuffix("円")
    if not _YEN.fullmatch(cleaned):
        raise ValueError(text)
    return int(cleaned)


class YenField(forms.Field):
    """An amount in integer yen, typed with or without digit grouping; shown grouped (1,234,000)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "yen"})
    default_error_messages = {
        "invalid": YEN_ERROR,
        "negative": "金額に負の値は入力できません。",
        "max_value": "金額は{limit:,}円以下で入力してください。",
    }

    def __init__(self, *, allow_negative: bool = False, max_value: int = 999_999_999_999, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, int):
            amount = value
        else:
            text = str(value or "").strip()
            if not text:
                return None
            if len(text) > 30:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            try:
                amount = parse_yen(text)
            except ValueError as exc:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if amount < 0 and not self.allow_negative:
            raise ValidationError(self.error_messages["negative"], code="negative")
        if abs(amount) > self.max_value:
            raise ValidationError(self.error_messages["max_value"].format(limit=self.max_value), code="max_value")
        return amount

    def prepare_value(self, value: Any) -> Any:
        return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value

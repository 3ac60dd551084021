"""Input normalisation a clerk expects: full-width digits and letters, stray spaces."""

from __future__ import annotations

import unicodedata


def normalize_code_input(value: str) -> str:
    """NFKC (全角→半角), then drop every kind of space and hyphen: '１２３ ４５６' -> '123456'."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-‐－ー")


def normalize_search_text(value: str) -> str:
    """Key for name search: NFKC (全角英数→半角, 半角カナ→全角), hiragana→katakana, no spaces, case-folded.

    The same function builds the stored key and the query, so 'やまだ', 'ﾔﾏﾀﾞ' and 'ヤマダ' all match.
    """
    import jaconv

    text = unicodedata.normalize("NFKC", value or "")
    text = jaconv.hira2kata(text)
    return "".join(ch for ch in text if not ch.isspace()).casefold()


def to_katakana(value: str) -> str:
    """A furigana field as the register keeps it: full-width katakana, one ASCII space between parts."""
    import jaconv

    text = unicodedata.normalize("NFKC", value or "")
    text = jaconv.hira2kata(text)
    return " ".join(text.split())


# Control characters (C0/C1, incl. tab and newline), format characters (zero-width, bidi overrides that reorder
# what an auditor reads), surrogates and line/paragraph separators. Private-use characters stay allowed: town
# systems write 外字 there.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def unprintable_reason(value: str, *, max_length: int) -> str | None:
    """None when ``value`` is printable text of at most ``max_length`` characters, else why not (Japanese).

    The rule for free text that reaches the audit trail and its CSV exports from a request: a purpose typed by
    a clerk, the terminal name a client sends (docs/security.md "Text from requests").
    """
    if len(value) > max_length:
        return f"は{max_length}文字以内にしてください。"
    if any(unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES for ch in value):
        return "に制御文字(改行・タブなど)は使えません。"
    return None


class PrintableTextValidator:
    """Django/DRF field validator applying ``unprintable_reason``; ``label`` starts the message."""

    def __init__(self, label: str, max_length: int) -> None:
        self.label, self.max_length = label, max_length

    def __call__(self, value: str) -> None:
        from django.core.exceptions import ValidationError

        if reason := unprintable_reason(str(value), max_length=self.max_length):
            raise ValidationError(self.label + reason, code="unprintable")

    def __eq__(self, other: object) -> bool:  # migrations compare validators
        return isinstance(other, PrintableTextValidator) and (self.label, self.max_length) == (
            other.label,
            other.max_length,
        )

    def __hash__(self) -> int:
        return hash((self.label, self.max_length))

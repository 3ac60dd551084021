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

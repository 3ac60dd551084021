"""Input normalisation a clerk expects: full-width digits and letters, stray spaces."""

from __future__ import annotations

import unicodedata


def normalize_code_input(value: str) -> str:
    """NFKC (全角→半角), then drop every kind of space and hyphen: '１２３ ４５６' -> '123456'."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-‐－ー")

"""Japanese full-text search over notices, requests and cabinet files with 1- and 2-character n-grams in core
PostgreSQL (GIN over text[]; no pg_trgm), like the resident search (docs/search.md, docs/domain/groupware.md §9).

Each searchable row keeps ``search_grams``: the 1- and 2-grams of its normalised text (NFKC, lower case, katakana
as hiragana, blanks removed). A term of one or two characters is that gram; a longer one needs all its 2-grams
(the index narrows the rows) and is then confirmed on the text itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_TEXT = 20_000
KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().translate(KATAKANA)
    return "".join(text.split())


def grams(*texts: str) -> list[str]:
    found: set[str] = set()
    for text in texts:
        value = normalise(text[:MAX_TEXT])
        found.update(value)
        found.update(value[n : n + 2] for n in range(len(value) - 1))
    return sorted(found)


def term_grams(term: str) -> list[str]:
    value = normalise(term)
    if len(value) <= 2:
        return [value] if value else []
    return sorted({value[n : n + 2] for n in range(len(value) - 1)})


def matches(term: str, texts: Iterable[str]) -> bool:
    value = normalise(term)
    return any(value in normalise(text) for text in texts)

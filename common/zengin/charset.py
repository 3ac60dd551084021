"""The 全銀 character set: normalising a clerk's input into it, and checking text and bytes against it.

Rules: docs/domain/zengin.md, "Character set". The files are single-byte JIS X 0201 written as cp932; the one
character whose Unicode and cp932 forms differ is the yen sign, which is byte 0x5C (cp932 decodes it as "\\").
"""

from __future__ import annotations

import string

import jaconv

# Bytes a 全銀 text field may hold: digits, A-Z, ｱ-ﾝ, ﾞ, ﾟ, space and ( ) - . / ¥ , ｢ ｣
# (docs/domain/zengin.md, "Character set").
ALLOWED_BYTES = frozenset(
    b" ()-./,\\"
    + string.digits.encode()
    + string.ascii_uppercase.encode()
    + bytes([0xA2, 0xA3])  # ｢ ｣
    + bytes(range(0xB1, 0xE0))  # ｱ … ﾝ, ﾞ, ﾟ
)
YEN = "¥"
ALLOWED_CHARACTERS = frozenset(bytes([b]).decode("cp932") for b in ALLOWED_BYTES if b != 0x5C) | {YEN}

# Symbols jaconv leaves alone that a clerk means as a 全銀 symbol: the long-vowel mark and dashes are written as
# "-" and the full-width yen as "¥" (docs/domain/zengin.md, "Normalisation").
_SYMBOLS = str.maketrans({"ｰ": "-", "ー": "-", "－": "-", "‐": "-", "−": "-", "―": "-", "￥": YEN})
_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def normalize_text(value: str) -> str:
    """A clerk's name or code as the bank file writes it: half-width katakana, upper-case ASCII, large kana.

    'やまだ　たろう' -> 'ﾔﾏﾀﾞ ﾀﾛｳ', 'ｷｮｳｺ' -> 'ｷﾖｳｺ', 'abc' -> 'ABC', 'コーポ' -> 'ｺ-ﾎﾟ'. Characters that have no
    全銀 form (kanji, '・', '＠') are left as they are, so that the check that follows names them.
    """
    if ALLOWED_CHARACTERS.issuperset(value):
        # Already 全銀 text (kana kept by payroll or water billing): the conversions below would change nothing
        # (tests/common/zengin/test_properties.py proves it), so skip them.
        return value.strip()
    # Half-width kana are widened first so that small half-width kana (ｮ) are enlarged like full-width ones.
    text = jaconv.h2z(value, kana=True, ascii=False, digit=False)
    text = jaconv.hira2kata(text)
    text = jaconv.enlarge_smallkana(text)
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True)
    return text.translate(_SYMBOLS).translate(_UPPER).strip()


def first_invalid_character(text: str) -> int | None:
    """Index of the first character outside the 全銀 set, or None."""
    for index, char in enumerate(text):
        if char not in ALLOWED_CHARACTERS:
            return index
    return None


def encode(text: str) -> bytes:
    """Text already checked against the 全銀 set, as the file's bytes (one byte per character)."""
    return text.replace(YEN, "\\").encode("cp932")


def decode(raw: bytes) -> str:
    """A text field's bytes as text; 0x5C is the yen sign in JIS X 0201. Undecodable bytes become U+FFFD."""
    return raw.decode("cp932", errors="replace").replace("\\", YEN)


def first_invalid_byte(raw: bytes) -> int | None:
    """Index of the first byte outside the 全銀 set, or None."""
    for index, byte in enumerate(raw):
        if byte not in ALLOWED_BYTES:
            return index
    return None


def describe_byte_at(raw: bytes, index: int) -> str:
    """The character a bad byte starts, for a message: a kanji ('山'), a small kana ('ｮ') or its hex value."""
    for width in (2, 1):
        chunk = raw[index : index + width]
        try:
            char = chunk.decode("cp932")
        except UnicodeDecodeError:
            continue
        if len(char) == 1 and char.isprintable():
            return char
    return f"0x{raw[index]:02X}"


def describe_character(char: str) -> str:
    """A character for a message; invisible ones by code point."""
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"

"""全国地方公共団体コード (JIS X 0402 local government code) validation.

Six digits: prefecture (2) + municipality (3) + a check digit. The check digit is modulus 11 with
weights 6,5,4,3,2 on the first five digits, taking the last digit of (11 - remainder), so a
remainder of 0 gives 1 and a remainder of 1 gives 0 (総務省 全国地方公共団体コード仕様).
"""

from __future__ import annotations

import re

_WEIGHTS = (6, 5, 4, 3, 2)
_CODE_RE = re.compile(r"^\d{6}$")


def local_government_check_digit(first_five: str) -> int:
    if not re.fullmatch(r"\d{5}", first_five):
        raise ValueError("first_five must be five digits")
    remainder = sum(int(d) * w for d, w in zip(first_five, _WEIGHTS, strict=True)) % 11
    return (11 - remainder) % 10


def is_valid_local_government_code(code: str) -> bool:
    if not _CODE_RE.match(code):
        return False
    return local_government_check_digit(code[:5]) == int(code[5])

"""宛名番号 and 世帯番号: sequential numbers with a modulus-11 check digit.

住民記録システム標準仕様書 §1.1.13 (docs/domain/check_digits.md): numbers are issued sequentially and the last digit
is a
check digit by modulus 11 with weights 2–7 (M11W2〜7) applied from the lowest digit. A remainder of 0 gives
0; the standard does not say what a remainder of 1 (which would give 10) gives — Kyodo uses 0 and records the
choice here (configurable per council through KYODO_CHECK_DIGIT_REMAINDER_ONE).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection

_WEIGHTS = (2, 3, 4, 5, 6, 7)
BODY_DIGITS = 10  # digits before the check digit; numbers are printed zero-padded to 11 characters


def check_digit(body: str) -> int:
    if not body.isdigit():
        raise ValueError("the number body must be digits")
    total = sum(int(d) * _WEIGHTS[i % len(_WEIGHTS)] for i, d in enumerate(reversed(body)))
    remainder = total % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return remainder_one()
    return 11 - remainder


def remainder_one() -> int:
    return int(getattr(settings, "KYODO_CHECK_DIGIT_REMAINDER_ONE", 0))


def check_digit_sql(serial: str) -> str:
    """SQL for ``with_check_digit(serial)`` — the same M11W2〜7 rule, for set-based loading (csv_load).

    ``serial`` is an SQL expression of a bigint below 10**BODY_DIGITS; the query must be run with parameters
    (the modulo is written ``%%``) including ``remainder_one`` (:func:`remainder_one`). Tests compare it
    with :func:`with_check_digit`.
    """
    body = f"lpad(({serial})::text, {BODY_DIGITS}, '0')"
    total = " + ".join(
        f"substr({body}, {BODY_DIGITS - i}, 1)::int * {_WEIGHTS[i % len(_WEIGHTS)]}" for i in range(BODY_DIGITS)
    )
    return (
        f"({body} || (CASE ({total}) %% 11 WHEN 0 THEN 0 WHEN 1 THEN %(remainder_one)s::int "
        f"ELSE 11 - ({total}) %% 11 END)::text)"
    )


def with_check_digit(serial: int) -> str:
    body = f"{serial:0{BODY_DIGITS}d}"
    return body + str(check_digit(body))


def is_valid_number(number: str) -> bool:
    return bool(re.fullmatch(r"\d{2,15}", number)) and check_digit(number[:-1]) == int(number[-1])


def next_number(sequence: str) -> str:
    """The next 宛名番号 / 世帯番号 from the town's own PostgreSQL sequence (gap-tolerant, never reused)."""
    if sequence not in {"resident_records_atena_seq", "resident_records_household_seq"}:
        raise ValueError(sequence)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (serial,) = cursor.fetchone()
    return with_check_digit(int(serial))


def next_atena_number() -> str:
    return next_number("resident_records_atena_seq")


def next_household_number() -> str:
    return next_number("resident_records_household_seq")

"""The shared form fields: amounts in yen as clerks type them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from common.forms import YenField, parse_yen


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1234000", 1_234_000), ("1,234,000", 1_234_000), ("１，２３４，０００円", 1_234_000), ("¥500", 500), ("0", 0)],
)
def test_parse_yen_accepts_what_clerks_type(text: str, expected: int) -> None:
    assert parse_yen(text) == expected


@pytest.mark.parametrize("text", ["12.5", "abc", "1,2a", "", "--1"])
def test_parse_yen_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_yen(text)


def test_yen_field_refuses_negative_amounts_with_a_japanese_message() -> None:
    with pytest.raises(ValidationError) as excinfo:
        YenField().clean("-100")
    assert "負の値" in excinfo.value.messages[0]


def test_yen_field_allows_negative_amounts_when_asked() -> None:
    assert YenField(allow_negative=True).clean("-100") == -100


def test_yen_field_refuses_non_numbers() -> None:
    with pytest.raises(ValidationError) as excinfo:
        YenField().clean("百円")
    assert excinfo.value.code == "invalid"


def test_yen_field_shows_digit_grouping() -> None:
    assert YenField().prepare_value(1234000) == "1,234,000"


def test_yen_field_caps_the_amount() -> None:
    with pytest.raises(ValidationError) as excinfo:
        YenField(max_value=1000).clean("1001")
    assert excinfo.value.code == "max_value"

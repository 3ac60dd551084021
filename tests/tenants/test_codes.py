import pytest

from tenants.codes import is_valid_local_government_code, local_government_check_digit


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("394017", True),  # 中土佐町
        ("394122", True),  # 四万十町
        ("392065", True),  # 須崎市
        ("131016", True),  # 千代田区
        ("011002", True),  # 札幌市
        ("394018", False),
        ("39401", False),
        ("3940170", False),
        ("39401a", False),
        ("", False),
    ],
)
def test_local_government_code_check_digit(code: str, valid: bool) -> None:
    assert is_valid_local_government_code(code) is valid


@pytest.mark.parametrize(("first_five", "digit"), [("39401", 7), ("39412", 2), ("13101", 6)])
def test_check_digit_computation(first_five: str, digit: int) -> None:
    assert local_government_check_digit(first_five) == digit


def test_remainder_zero_and_one_cases() -> None:
    # remainder 0 -> 11 -> last digit 1; remainder 1 -> 10 -> 0 (総務省: take the last digit of 11 - r)
    candidates = [f"{n:05d}" for n in range(10000, 10200)]
    by_remainder = {}
    for five in candidates:
        r = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True)) % 11
        by_remainder.setdefault(r, five)
    assert local_government_check_digit(by_remainder[0]) == 1
    assert local_government_check_digit(by_remainder[1]) == 0

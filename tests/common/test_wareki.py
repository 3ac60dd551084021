"""Tests for common.wareki: pure functions, no database (docs/domain/eras.md)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import django.conf
import pytest
from django.conf import LazySettings
from django.core.exceptions import ImproperlyConfigured

from common.wareki import (
    DEFAULT_ERAS,
    GREGORIAN_ADOPTION_DATE,
    Era,
    WarekiError,
    get_eras,
    parse_wareki,
    to_wareki,
    wareki_year,
)

# A hypothetical era after 令和, to show a new era needs data only (standard §1.3.6).
FUTURE_ERAS = (*DEFAULT_ERAS, Era("新和", "N", date(2040, 1, 1)))


@pytest.fixture(autouse=True)
def _isolate_from_project_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # get_eras() reads settings.KYODO_ERAS on every call; pin an empty settings object so these tests check
    # the built-in table whatever the project's settings say. Tests of the settings path patch their own.
    monkeypatch.setattr(django.conf, "settings", SimpleNamespace())


# --- to_wareki ---


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        # 明治, from the Gregorian adoption on 明治6年1月1日.
        (date(1873, 1, 1), "明治6年1月1日"),
        (date(1900, 2, 28), "明治33年2月28日"),
        # 明治 → 大正: 改元 on the day, formatting uses the new era.
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 12, 31), "大正元年12月31日"),
        (date(1913, 1, 1), "大正2年1月1日"),
        # 大正 → 昭和.
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1927, 1, 1), "昭和2年1月1日"),
        (date(1959, 6, 1), "昭和34年6月1日"),
        # 昭和 → 平成.
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1990, 1, 1), "平成2年1月1日"),
        # 平成 → 令和.
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2026, 4, 1), "令和8年4月1日"),
        (date(2100, 12, 31), "令和82年12月31日"),
    ],
)
def test_to_wareki(d: date, expected: str) -> None:
    assert to_wareki(d) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(1959, 6, 1), "昭和３４年６月１日"),
        (date(2019, 5, 1), "令和元年５月１日"),
        (date(2026, 12, 31), "令和８年１２月３１日"),
        (date(1989, 1, 7), "昭和６４年１月７日"),
    ],
)
def test_to_wareki_fullwidth_for_koseki(d: date, expected: str) -> None:
    assert to_wareki(d, fullwidth=True) == expected


@pytest.mark.parametrize(
    ("d", "fullwidth", "expected"),
    [
        (date(2026, 4, 1), False, "令和8年4月1日（水）"),
        (date(2019, 5, 1), False, "令和元年5月1日（水）"),
        (date(1989, 1, 7), False, "昭和64年1月7日（土）"),
        (date(2026, 4, 5), True, "令和８年４月５日（日）"),
    ],
)
def test_to_wareki_with_weekday(d: date, fullwidth: bool, expected: str) -> None:
    assert to_wareki(d, fullwidth=fullwidth, with_weekday=True) == expected


@pytest.mark.parametrize(
    ("d", "code", "fragment"),
    [
        (date(1868, 10, 22), "before_first_era", "明治"),
        (date(1800, 1, 1), "before_first_era", "明治"),
        (date.min, "before_first_era", "明治"),
        # 明治 but still the lunisolar calendar: refused rather than mislabelled.
        (date(1868, 10, 23), "before_gregorian_calendar", "太陽暦"),
        (date(1872, 12, 31), "before_gregorian_calendar", "明治6年"),
    ],
)
def test_to_wareki_rejects_dates_before_supported_range(d: date, code: str, fragment: str) -> None:
    with pytest.raises(WarekiError, match=fragment) as excinfo:
        to_wareki(d)
    assert excinfo.value.code == code
    with pytest.raises(WarekiError):
        wareki_year(d)


def test_wareki_error_is_a_value_error() -> None:
    assert issubclass(WarekiError, ValueError)
    assert date(1873, 1, 1) == GREGORIAN_ADOPTION_DATE


# --- wareki_year ---


@pytest.mark.parametrize(
    ("d", "fullwidth", "expected"),
    [
        (date(2026, 4, 1), False, "令和8年"),
        (date(2019, 5, 1), False, "令和元年"),
        (date(2019, 4, 30), False, "平成31年"),
        (date(1989, 1, 8), False, "平成元年"),
        (date(1912, 7, 30), False, "大正元年"),
        (date(1873, 1, 1), False, "明治6年"),
        (date(2026, 4, 1), True, "令和８年"),
        (date(2019, 5, 1), True, "令和元年"),
    ],
)
def test_wareki_year(d: date, fullwidth: bool, expected: str) -> None:
    assert wareki_year(d, fullwidth=fullwidth) == expected


# --- parse_wareki: accepted forms ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kanji era, 元年 and 1年.
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("令和01年05月01日", date(2019, 5, 1)),
        ("令和8年4月1日", date(2026, 4, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("明治6年1月1日", date(1873, 1, 1)),
        # Same-day 改元: the last day of the old era is also valid (docs/domain/eras.md).
        ("明治45年7月30日", date(1912, 7, 30)),
        ("大正15年12月25日", date(1926, 12, 25)),
        # Full-width digits, as printed on koseki.
        ("令和８年４月１日", date(2026, 4, 1)),
        ("昭和３４年６月１日", date(1959, 6, 1)),
        ("令和元年５月１日", date(2019, 5, 1)),
        # Stray spaces, half and full width.
        ("  令和8年4月1日  ", date(2026, 4, 1)),
        ("令和 8 年 4 月 1 日", date(2026, 4, 1)),
        ("\u3000令和\u3000８年４月\u3000１日\u3000", date(2026, 4, 1)),
        ("令 和8年4月1日", date(2026, 4, 1)),
        # Era ligatures normalise to the era name.
        ("㍻31年4月30日", date(2019, 4, 30)),
        ("㋿元年5月1日", date(2019, 5, 1)),
        # A matching weekday suffix is accepted.
        ("令和8年4月1日（水）", date(2026, 4, 1)),
        ("令和8年4月1日(水)", date(2026, 4, 1)),
        ("令和8年4月1日(水曜日)", date(2026, 4, 1)),
        # Letter forms.
        ("R8.4.1", date(2026, 4, 1)),
        ("R08.04.01", date(2026, 4, 1)),
        ("r8.4.1", date(2026, 4, 1)),
        ("R8/4/1", date(2026, 4, 1)),
        ("R8-4-1", date(2026, 4, 1)),
        ("R1.5.1", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("h31/04/30", date(2019, 4, 30)),
        ("H1.1.8", date(1989, 1, 8)),
        ("S64.1.7", date(1989, 1, 7)),
        ("s1.12.25", date(1926, 12, 25)),
        ("T15.12.25", date(1926, 12, 25)),
        ("T1.7.30", date(1912, 7, 30)),
        ("M45.7.29", date(1912, 7, 29)),
        ("M45.7.30", date(1912, 7, 30)),
        ("m6.1.1", date(1873, 1, 1)),
        ("Ｒ８．４．１", date(2026, 4, 1)),
        ("ｒ０８／０４／０１", date(2026, 4, 1)),
        ("Ｓ６４－１－７", date(1989, 1, 7)),
        (" R 8 . 4 . 1 ", date(2026, 4, 1)),
        # Gregorian forms.
        ("2026-04-01", date(2026, 4, 1)),
        ("2026/4/1", date(2026, 4, 1)),
        ("2026.4.1", date(2026, 4, 1)),
        ("2026年4月1日", date(2026, 4, 1)),
        ("２０２６－０４－０１", date(2026, 4, 1)),
        ("２０２６年４月１日", date(2026, 4, 1)),
        (" 2026 / 4 / 1 ", date(2026, 4, 1)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2026年4月1日（水）", date(2026, 4, 1)),
    ],
)
def test_parse_wareki_accepts(text: str, expected: date) -> None:
    assert parse_wareki(text) == expected


# --- parse_wareki: rejects ---


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # Dates outside their era.
        ("平成31年5月1日", "outside_era"),
        ("H31.5.1", "outside_era"),
        ("令和1年4月30日", "outside_era"),
        ("令和元年4月30日", "outside_era"),
        ("R1.1.1", "outside_era"),
        ("昭和64年1月8日", "outside_era"),
        ("平成元年1月7日", "outside_era"),
        ("大正15年12月26日", "outside_era"),
        ("昭和元年12月24日", "outside_era"),
        ("明治45年7月31日", "outside_era"),
        ("大正元年7月29日", "outside_era"),
        ("平成50年1月1日", "outside_era"),
        # Calendar dates that never existed.
        ("令和8年2月30日", "invalid_date"),
        ("令和8年13月1日", "invalid_date"),
        ("令和8年0月1日", "invalid_date"),
        ("令和8年4月31日", "invalid_date"),
        ("令和7年2月29日", "invalid_date"),
        ("R8.13.1", "invalid_date"),
        ("2026-13-01", "invalid_date"),
        ("2026年2月30日", "invalid_date"),
        # Year 0.
        ("令和0年5月1日", "year_zero"),
        ("R0.5.1", "year_zero"),
        # Unknown era.
        ("光文1年1月1日", "unknown_era"),
        ("西暦2026年4月1日", "unknown_era"),
        ("X8.4.1", "unknown_era"),
        ("Ｑ８．４．１", "unknown_era"),
        # Lunisolar 明治 (before 明治6年1月1日).
        ("明治5年12月31日", "before_gregorian_calendar"),
        ("明治元年10月23日", "before_gregorian_calendar"),
        ("M1.10.23", "before_gregorian_calendar"),
        # Wrong weekday.
        ("令和8年4月1日（木）", "weekday_mismatch"),
        ("2026-04-01(月)", "weekday_mismatch"),
        # Garbage.
        ("", "unparseable"),
        ("   ", "unparseable"),
        ("hello", "unparseable"),
        ("令和8年4月", "unparseable"),
        ("令和年4月1日", "unparseable"),
        ("令和8年4月1日です", "unparseable"),
        ("R8.4", "unparseable"),
        ("R8.4/1", "unparseable"),
        ("RR8.4.1", "unparseable"),
        ("8.4.1", "unparseable"),
        ("26-04-01", "unparseable"),
        ("2026-04-01T00:00", "unparseable"),
        ("令和8年4月1日（火曜）x", "unparseable"),
    ],
)
def test_parse_wareki_rejects(text: str, code: str) -> None:
    with pytest.raises(WarekiError) as excinfo:
        parse_wareki(text)
    assert excinfo.value.code == code
    assert excinfo.value.message == str(excinfo.value)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("平成31年5月1日", ("存在しません", "平成31年4月30日で終わりました")),
        ("令和1年4月30日", ("存在しません", "令和元年5月1日に始まりました")),
        ("昭和64年1月8日", ("昭和64年1月7日で終わりました",)),
        ("令和8年2月30日", ("存在しない日付", "令和8年2月30日")),
        ("光文1年1月1日", ("不明な元号", "光文")),
        ("令和0年5月1日", ("0年",)),
        ("明治5年12月31日", ("太陽暦", "明治6年", "対応していません")),
        ("ほげ", ("読み取れません", "ほげ")),
    ],
)
def test_parse_wareki_messages_are_clear_japanese(text: str, fragments: tuple[str, ...]) -> None:
    with pytest.raises(WarekiError) as excinfo:
        parse_wareki(text)
    for fragment in fragments:
        assert fragment in str(excinfo.value)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("令和12345678901234567890年1月1日", "year_out_of_range"),
        ("R12345678901234567890.1.1", "year_out_of_range"),
        ("令和99999年1月1日", "year_out_of_range"),
        ("令和1年99999999999999999999月1日", "invalid_date"),
        ("令和8年1月99999999999999999999日", "invalid_date"),
    ],
)
def test_an_absurd_year_month_or_day_is_a_clear_error_not_an_overflow(text: str, code: str) -> None:
    """A 20-digit year used to raise OverflowError from date() — a server error on every form taking a date."""
    with pytest.raises(WarekiError) as excinfo:
        parse_wareki(text)
    assert excinfo.value.code == code
    assert text in excinfo.value.message


def test_the_date_form_field_reports_an_absurd_year_as_a_form_error() -> None:
    from django.core.exceptions import ValidationError

    from common.forms import WarekiDateField

    with pytest.raises(ValidationError) as excinfo:
        WarekiDateField().clean("令和12345678901234567890年1月1日")
    assert excinfo.value.code == "invalid"


# --- data-driven era table ---


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2039, 12, 31), "令和21年12月31日"),
        (date(2040, 1, 1), "新和元年1月1日"),
        (date(2041, 3, 4), "新和2年3月4日"),
    ],
)
def test_custom_era_formatting(d: date, expected: str) -> None:
    assert to_wareki(d, eras=FUTURE_ERAS) == expected


def test_custom_era_year() -> None:
    assert wareki_year(date(2040, 6, 1), eras=FUTURE_ERAS) == "新和元年"
    assert wareki_year(date(2040, 6, 1)) == "令和22年"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新和元年1月1日", date(2040, 1, 1)),
        ("新和2年3月4日", date(2041, 3, 4)),
        ("N1.1.1", date(2040, 1, 1)),
        ("ｎ２．３．４", date(2041, 3, 4)),
        ("令和21年12月31日", date(2039, 12, 31)),
    ],
)
def test_custom_era_parsing(text: str, expected: date) -> None:
    assert parse_wareki(text, eras=FUTURE_ERAS) == expected


@pytest.mark.parametrize(
    ("text", "eras", "code"),
    [
        ("令和22年1月1日", FUTURE_ERAS, "outside_era"),
        ("新和0年1月1日", FUTURE_ERAS, "year_zero"),
        ("新和元年1月1日", DEFAULT_ERAS, "unknown_era"),
        ("N1.1.1", DEFAULT_ERAS, "unknown_era"),
    ],
)
def test_custom_era_rejects(text: str, eras: tuple[Era, ...], code: str) -> None:
    with pytest.raises(WarekiError) as excinfo:
        parse_wareki(text, eras=eras)
    assert excinfo.value.code == code


def test_custom_era_with_same_day_change() -> None:
    eras = [*DEFAULT_ERAS, Era("新和", "N", date(2040, 1, 1), shares_first_day=True)]
    assert to_wareki(date(2040, 1, 1), eras=eras) == "新和元年1月1日"
    assert parse_wareki("令和22年1月1日", eras=eras) == date(2040, 1, 1)
    assert parse_wareki("新和元年1月1日", eras=eras) == date(2040, 1, 1)
    with pytest.raises(WarekiError):
        parse_wareki("令和22年1月2日", eras=eras)


def test_custom_table_starting_later_rejects_earlier_dates() -> None:
    heisei_onwards = DEFAULT_ERAS[3:]
    with pytest.raises(WarekiError, match="平成") as excinfo:
        to_wareki(date(1989, 1, 7), eras=heisei_onwards)
    assert excinfo.value.code == "before_first_era"
    assert to_wareki(date(1989, 1, 8), eras=heisei_onwards) == "平成元年1月8日"


@pytest.mark.parametrize(
    "eras",
    [
        (),
        (DEFAULT_ERAS[1], DEFAULT_ERAS[0]),
        (DEFAULT_ERAS[0], DEFAULT_ERAS[0]),
        (*DEFAULT_ERAS, Era("新和", "r", date(2040, 1, 1))),
        (*DEFAULT_ERAS, Era("令和", "N", date(2040, 1, 1))),
        (*DEFAULT_ERAS, Era("新和", "NW", date(2040, 1, 1))),
        (*DEFAULT_ERAS, Era("新和2", "N", date(2040, 1, 1))),
        (*DEFAULT_ERAS, Era("", "N", date(2040, 1, 1))),
    ],
)
def test_invalid_era_table_is_refused(eras: tuple[Era, ...]) -> None:
    with pytest.raises(ValueError):
        to_wareki(date(2026, 4, 1), eras=eras)


def test_get_eras_defaults_when_django_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setattr(django.conf, "settings", LazySettings())
    assert get_eras() == DEFAULT_ERAS


def test_get_eras_defaults_when_setting_is_absent() -> None:
    assert get_eras() == DEFAULT_ERAS
    assert [e.name for e in DEFAULT_ERAS] == ["明治", "大正", "昭和", "平成", "令和"]


def test_get_eras_reads_kyodo_eras_setting_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = LazySettings()
    configured.configure(
        KYODO_ERAS=[
            {"name": "平成", "letter": "H", "start": "1989-01-08"},
            {"name": "令和", "letter": "R", "start": "2019-05-01"},
            {"name": "新和", "letter": "N", "start": "2040-01-01"},
        ]
    )
    monkeypatch.setattr(django.conf, "settings", configured)
    assert get_eras() == (DEFAULT_ERAS[3], DEFAULT_ERAS[4], Era("新和", "N", date(2040, 1, 1)))
    assert to_wareki(date(2040, 1, 1)) == "新和元年1月1日"
    assert parse_wareki("N2.3.4") == date(2041, 3, 4)

    # Nothing is cached: a settings change shows up on the next call.
    monkeypatch.setattr(django.conf, "settings", SimpleNamespace())
    assert get_eras() == DEFAULT_ERAS
    assert to_wareki(date(2040, 1, 1)) == "令和22年1月1日"


def test_get_eras_setting_with_same_day_change(monkeypatch: pytest.MonkeyPatch) -> None:
    setting = [
        {"name": "令和", "letter": "R", "start": "2019-05-01"},
        {"name": "新和", "letter": "N", "start": date(2040, 1, 1), "shares_first_day": True},
    ]
    monkeypatch.setattr(django.conf, "settings", SimpleNamespace(KYODO_ERAS=setting))
    assert get_eras()[-1] == Era("新和", "N", date(2040, 1, 1), shares_first_day=True)
    assert parse_wareki("令和22年1月1日") == date(2040, 1, 1)


@pytest.mark.parametrize(
    "setting",
    [
        [],
        [{"name": "令和", "letter": "R"}],
        [{"name": "令和", "letter": "R", "start": "2019-13-01"}],
        [
            {"name": "令和", "letter": "R", "start": "2019-05-01"},
            {"name": "平成", "letter": "H", "start": "1989-01-08"},
        ],
    ],
)
def test_get_eras_refuses_a_broken_setting(monkeypatch: pytest.MonkeyPatch, setting: list[dict[str, str]]) -> None:
    monkeypatch.setattr(django.conf, "settings", SimpleNamespace(KYODO_ERAS=setting))
    with pytest.raises(ImproperlyConfigured, match="KYODO_ERAS"):
        get_eras()


# --- round trip ---


def _sample_dates() -> list[date]:
    sampled = []
    d = GREGORIAN_ADOPTION_DATE
    while d <= date(2100, 12, 31):
        sampled.append(d)
        d += timedelta(days=37)
    # Every era change, a few days either side.
    for era in DEFAULT_ERAS[1:]:
        sampled.extend(era.start + timedelta(days=offset) for offset in range(-3, 4))
    return sampled


@pytest.mark.parametrize("with_weekday", [False, True])
@pytest.mark.parametrize("fullwidth", [False, True])
def test_round_trip(fullwidth: bool, with_weekday: bool) -> None:
    dates = _sample_dates()
    assert len(dates) > 2000
    mismatches = [d for d in dates if parse_wareki(to_wareki(d, fullwidth=fullwidth, with_weekday=with_weekday)) != d]
    assert mismatches == []


def test_round_trip_letter_form() -> None:
    letters = {e.name: e.letter for e in DEFAULT_ERAS}
    for d in _sample_dates():
        year = wareki_year(d).removesuffix("年")
        name, number = year[:2], year[2:]
        letter_form = f"{letters[name]}{1 if number == '元' else number}.{d.month}.{d.day}"
        assert parse_wareki(letter_form) == d, letter_form

"""The group week's table (groupware.week_table, docs/domain/groupware.md §2.5): at most CELL_LIMIT entries a cell
with 「ほか N 件」, one member's row with every entry, escaped values, entry links without a reverse per entry."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from common.dates import TOKYO, local_today
from groupware import week_table
from groupware.selectors_calendar import GroupWeek, Occurrence, WeekRow
from groupware.services import schedule
from tests.conftest import person

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 7)


def occurrence(n: int, *, title: str = "打合せ", masked: bool = False, council: bool = False) -> Occurrence:
    start = datetime(2026, 12, 7, 9, tzinfo=TOKYO) + timedelta(minutes=15 * n)
    return Occurrence(n + 1, start, start + timedelta(minutes=15), title, "", False, masked, False, council)


def week(cells: list[list[Occurrence]], name: str = "田中 一郎") -> GroupWeek:
    days = [MONDAY + timedelta(days=n) for n in range(7)]
    return GroupWeek(days=days, rows=[WeekRow(person_id=7, name=name, days=cells + [[]] * (7 - len(cells)))])


def test_a_full_cell_shows_the_limit_and_says_how_many_more() -> None:
    crowded = [occurrence(n) for n in range(week_table.CELL_LIMIT + 3)]
    html = week_table.render_table(week([crowded]), unit_code="T100")
    assert html.count('class="gw-occ"') == week_table.CELL_LIMIT
    assert "ほか 3 件" in html


def test_the_focused_person_sees_every_entry() -> None:
    crowded = [occurrence(n) for n in range(week_table.CELL_LIMIT + 3)]
    html = week_table.render_table(week([crowded]), unit_code="T100", focus=7)
    assert html.count('class="gw-occ"') == week_table.CELL_LIMIT + 3
    assert "ほか" not in html


def test_titles_names_and_the_unit_are_escaped() -> None:
    html = week_table.render_table(
        week([[occurrence(0, title="<script>x</script>")]], name="<b>名</b>"), unit_code='T1"00'
    )
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;名&lt;/b&gt;" in html
    assert 'unit=T1"00' not in html


def test_entry_links_match_the_reversed_urls() -> None:
    html = week_table.render_table(week([[occurrence(4), occurrence(8, council=True)]]), unit_code="T100")
    assert f'href="{reverse("groupware:event", args=[5])}"' in html
    assert f'href="{reverse("groupware:council_event", args=[9])}"' in html


def test_a_private_entry_of_another_person_has_no_link() -> None:
    html = week_table.render_table(week([[occurrence(0, title="予定あり", masked=True)]]), unit_code="T100")
    assert 'class="gw-occ gw-occ--busy"' in html
    assert '<a href="/' not in html


def test_the_page_focuses_on_a_member_and_ignores_anyone_else(
    client_for: Any, nakatosa: Any, units: dict[str, Any], post: Any
) -> None:
    tanaka, yamamoto = person("tanaka"), person("yamamoto")
    post(tanaka, units["soumu"])
    post(yamamoto, units["soumu"])
    start = datetime.combine(local_today() + timedelta(days=1), datetime.min.time(), tzinfo=TOKYO).replace(hour=8)
    for n in range(week_table.CELL_LIMIT + 2):
        at = start + timedelta(minutes=30 * n)
        schedule.create_event(actor=tanaka, title=f"予定{n}", starts_at=at, ends_at=at + timedelta(minutes=30))
    client = client_for("tanaka", "nakatosa")
    url = reverse("groupware:group_week")
    day = (local_today() + timedelta(days=1)).isoformat()
    whole = client.get(url, {"unit": "T100", "date": day}).content.decode()
    assert "ほか 2 件" in whole
    focused = client.get(url, {"unit": "T100", "date": day, "person": tanaka.pk}).content.decode()
    assert f"予定{week_table.CELL_LIMIT + 1}" in focused
    assert f'data-person="{yamamoto.pk}"' not in focused
    stranger = client.get(url, {"unit": "T100", "date": day, "person": 999999}).content.decode()
    assert f'data-person="{yamamoto.pk}"' in stranger

"""The 議事次第 (agenda) of a meeting as a PDF, laid out with the shared blocks of ``common.pdf`` (A4, the CID
fonts every reader carries). The demo attaches one to each meeting; it reads nothing itself."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.platypus import SimpleDocTemplate, Spacer

from common.dates import TOKYO
from common.pdf import MARGIN, SUBTITLE, TITLE, VALUE, Item, items_table, paragraph
from common.wareki import to_wareki
from groupware.meetings.models import AgendaItem, Meeting


def agenda_pdf(meeting: Meeting, agenda: Sequence[AgendaItem]) -> bytes:
    """The agenda page: the meeting's particulars, then its items in order."""
    starts = meeting.starts_at.astimezone(TOKYO)
    ends = meeting.ends_at.astimezone(TOKYO)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{meeting.title} 次第", author=meeting.host_name, creator="Kyodo",
    )  # fmt: skip
    particulars = [
        Item("日時", f"{to_wareki(starts.date(), with_weekday=True)} {starts:%H:%M}〜{ends:%H:%M}", wide=True),
        Item("場所", meeting.place or "—"),
        Item("主催", meeting.host_name),
    ]
    items = [Item(f"{item.order}", f"{item.title}" + (f"({item.presenter})" if item.presenter else ""), wide=True)
             for item in agenda]  # fmt: skip
    story = [
        paragraph(meeting.title, TITLE),
        paragraph("次第", SUBTITLE),
        Spacer(1, 8),
        items_table(particulars),
        Spacer(1, 12),
        items_table(items) if items else paragraph("議題は未定です。", VALUE),
    ]
    document.build(story)
    return buffer.getvalue()

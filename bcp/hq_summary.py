"""The situation summary of an HQ for the prefecture (県への報告): PDF through common.pdf blocks, and CSV rows."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer

from bcp.hq_selectors import Board
from common.pdf import MARGIN, NOTE, SUBTITLE, TITLE, Item, items_table, paragraph

CSV_HEADER = ["区分", "項目", "状態", "数値", "日時", "備考"]


def _at(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def csv_rows(board: Board) -> list[list[Any]]:
    d = board.disaster
    rows: list[list[Any]] = [
        ["災害", d.title, "対応中" if d.is_active else "解除", "", _at(d.declared_at), d.municipality.name],
        ["避難所合計", "開設数", "", board.open_shelters, "", ""],
        ["避難所合計", "避難者数", "", board.evacuees, "", ""],
    ]
    rows += [
        ["避難所", s.name, "開設" if s.is_open else "閉鎖", s.occupancy, _at(s.updated_at), f"収容{s.capacity}人"]
        for s in board.shelters
    ]
    rows += [["被害", r.title, r.location, "", _at(r.reported_at), r.town_name] for r in board.damage]
    rows += [
        ["チェックリスト", t.title, "完了" if t.done_at else "未完了", "", _at(t.done_at or t.due_at), t.owner]
        for t in board.tasks
    ]
    rows += [["水位警報", str(a.camera), a.get_state_display(), a.level_cm, _at(a.raised_at), ""] for a in board.alerts]
    return rows


def pdf(board: Board) -> bytes:
    d = board.disaster
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"災害対策本部 状況報告 {d.title}", author=d.municipality.name, creator="Kyodo",
    )  # fmt: skip
    story: list[Flowable] = [
        paragraph("災害対策本部 状況報告", TITLE),
        paragraph(f"{d.municipality.name}　{_at(timezone.now())}現在", SUBTITLE),
        Spacer(1, 5),
        items_table(
            [
                Item("災害名", d.title, wide=True),
                Item("宣言日時", _at(d.declared_at)),
                Item("状態", "対応中" if d.is_active else f"解除 {_at(d.ended_at)}"),
                Item("開設避難所", f"{board.open_shelters}か所"),
                Item("避難者数", f"{board.evacuees}人"),
                Item("被害報告", f"{len(board.damage)}件"),
                Item("チェックリスト", f"{board.tasks_done}/{len(board.tasks)}完了"),
            ]
        ),
        Spacer(1, 8),
    ]
    for row in csv_rows(board)[3:]:
        story.append(paragraph("　".join(str(cell) for cell in row if cell != ""), NOTE))
    document.build(story)
    return buffer.getvalue()

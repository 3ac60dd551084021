"""The printed 伝票: 支出負担行為決議書, 支出命令書 and 納入通知書 (common.pdf blocks), and the 予算執行状況表 PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from common.pdf import (
    CONTENT_WIDTH,
    GOTHIC,
    ITEMS_STYLE,
    LINE,
    MARGIN,
    Item,
    items_table,
    paragraph,
    text_style,
)
from common.wareki import to_wareki
from finance import rules
from finance.models import Assessment, Commitment, PaymentOrder

TITLE = text_style("finance-title", font=GOTHIC, size=16, leading=22, alignment=1)
SMALL = text_style("finance-small", size=8)
CELL = text_style("finance-cell", size=8)
NUMBER = text_style("finance-number", size=8, alignment=2)


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _document(title: str, town: str, items: Sequence[Item], footer: str = "") -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN, title=title
    )
    story = [paragraph(title, TITLE), paragraph(town, SMALL), Spacer(1, 6 * mm), items_table(items)]
    if footer:
        story += [Spacer(1, 6 * mm), paragraph(footer, SMALL)]
    doc.build(story)
    return buffer.getvalue()


def _line_label(commitment: Commitment) -> str:
    line = commitment.line
    suffix = f"-{line.saisetsu}" if line.saisetsu else ""
    return f"{line.budget_code} {line.moku.name} 節{line.setsu}{suffix} {line.name}"


def commitment_resolution(commitment: Commitment, *, town: str) -> bytes:
    """支出負担行為決議書."""
    items = [
        Item("負担行為番号", commitment.number),
        Item("年度", rules.wareki_year(commitment.fiscal_year)),
        Item("科目", _line_label(commitment), wide=True),
        Item("債権者", commitment.payee_name, wide=True),
        Item("件名・目的", commitment.purpose, wide=True),
        Item("負担行為額", _yen(commitment.amount)),
        Item("区分", commitment.get_kind_display()),
        Item("負担行為日", to_wareki(commitment.committed_on)),
        Item("所管課", commitment.department_name or commitment.department_code or "—"),
        Item("起案者", commitment.committed_by_name),
        Item("検収者", commitment.inspected_by_name or "—"),
    ]
    return _document(
        "支出負担行為決議書", town, items, "地方自治法 第232条の3 により上記のとおり支出負担行為を決議する。"
    )


def payment_order(order: PaymentOrder, *, town: str) -> bytes:
    """支出命令書."""
    commitment = order.commitment
    items = [
        Item("支出命令番号", order.number),
        Item("負担行為番号", commitment.number),
        Item("科目", _line_label(commitment), wide=True),
        Item("債権者", commitment.payee_name, wide=True),
        Item("件名", commitment.purpose, wide=True),
        Item("支出命令額", _yen(order.amount)),
        Item("支払方法", order.get_method_display()),
        Item("支払予定日", to_wareki(order.pay_on)),
        Item("状態", order.get_status_display()),
        Item("命令者", order.ordered_by_name),
        Item("審査者(会計管理者)", order.audited_by_name or "—"),
    ]
    return _document("支出命令書", town, items, "地方自治法 第232条の4 により上記のとおり支出を命令する。")


def payment_notice(assessment: Assessment, *, town: str) -> bytes:
    """納入通知書 (地方自治法施行令 第154条第3項)."""
    items = [
        Item("調定番号", assessment.number),
        Item("年度", rules.wareki_year(assessment.fiscal_year)),
        Item("納入義務者", assessment.payer_name, wide=True),
        Item("住所", assessment.payer_address or "—", wide=True),
        Item("件名", assessment.purpose, wide=True),
        Item("納付額", _yen(assessment.amount)),
        Item("納期限", to_wareki(assessment.due_on)),
        Item("歳入科目", f"{assessment.line.budget_code} 節{assessment.line.setsu} {assessment.line.name}", wide=True),
    ]
    return _document(
        "納入通知書", town, items, "上記の金額を納期限までに指定金融機関・収納代理金融機関で納付してください。"
    )


def execution_table(title: str, town: str, header: list[str], rows: list[list[str]]) -> bytes:
    """予算執行状況表 as a landscape-friendly table (numbers right-aligned)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN, title=title
    )
    data = [[paragraph(cell, CELL) for cell in header]]
    data += [[paragraph(cell, NUMBER if index >= 2 else CELL) for index, cell in enumerate(row)] for row in rows]
    widths = [22 * mm, 40 * mm] + [(CONTENT_WIDTH - 62 * mm) / max(1, len(header) - 2)] * (len(header) - 2)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([*ITEMS_STYLE[:2], ("LINEBELOW", (0, 0), (-1, 0), 1.0, LINE)]))
    doc.build([paragraph(title, TITLE), paragraph(town, SMALL), Spacer(1, 4 * mm), table])
    return buffer.getvalue()

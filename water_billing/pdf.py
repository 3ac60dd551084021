"""納入通知書(納付書) and 督促状 as PDF (A4, common.pdf blocks). This module lays out what it is given; it reads
no data (the views get the bill or notice through an audited selector)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from common.pdf import ATTEST, NOTE, SUBTITLE, TITLE, Item, items_table, paragraph, register_fonts
from common.wareki import to_wareki
from water_billing.models import Bill, Notice

SERVICE_LABELS = {"water": "水道料金", "sewer": "下水道使用料"}


def _document(title: str, town: str, header: Sequence[Item], body: Sequence[str], notes: Sequence[str]) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=title, author=town, creator="Kyodo",
    )  # fmt: skip
    story = [paragraph(title, TITLE), paragraph(f"{town}上下水道係", SUBTITLE), Spacer(1, 6 * mm), items_table(header)]
    story += [Spacer(1, 5 * mm), *(paragraph(text, ATTEST) for text in body), Spacer(1, 4 * mm)]
    story += [paragraph(note, NOTE) for note in notes]
    doc.build(story)
    return buffer.getvalue()


def bill_pdf(bill: Bill, *, town: str) -> bytes:
    """納入通知書 兼 納付書 for a customer who pays in person (窓口・コンビニ)."""
    c = bill.connection
    items = [
        Item("請求番号", bill.number), Item("水栓番号", c.tap_number),
        Item("使用者", c.user_name), Item("料金期", bill.period.code),
        Item("設置場所", c.address, wide=True),
        Item("使用水量", f"{bill.usage_m3}m³"), Item("納期限", to_wareki(bill.due_on)),
    ]  # fmt: skip
    for service in bill.items:
        months = "、".join(
            f"{m['month'][:7]} {m['m3']}m³ 基本{m['base']:,}円 従量{m['volume']:,}円" for m in service["months"]
        )
        label = SERVICE_LABELS.get(service["service"], service["service"])
        items.append(Item(label, f"{months}(税抜 {service['pre_tax']:,}円 消費税 {service['tax']:,}円)", wide=True))
    items.append(Item("請求額", f"{bill.total:,}円", wide=True))
    return _document(
        "水道料金 納入通知書", town, items,
        [f"上記の金額を納期限({to_wareki(bill.due_on)})までに納付してください。"],
        ["窓口または取扱いのコンビニエンスストアで納付できます。", "消費税は料金の区分ごとに計算しています。"],
    )  # fmt: skip


def notice_pdf(notice: Notice, *, town: str) -> bytes:
    """督促状 / 催告書 / 給水停止予告: the bills concerned, the amount and the 指定期限."""
    c = notice.connection
    items = [
        Item("水栓番号", c.tap_number), Item("発付日", to_wareki(notice.issued_on)),
        Item("使用者", c.user_name), Item("指定期限", to_wareki(notice.deadline) if notice.deadline else "—"),
        Item("設置場所", c.address, wide=True),
    ]  # fmt: skip
    for bill in notice.bills.select_related("period").order_by("due_on"):
        items.append(Item(f"{bill.period.code}(納期限 {to_wareki(bill.due_on)})", f"{bill.balance:,}円", wide=True))
    if notice.fee:
        items.append(Item("督促手数料", f"{notice.fee:,}円", wide=True))
    body = {
        "dunning": "下記の料金が納期限までに納付されていません。指定期限までに納付してください。",
        "reminder": "督促にもかかわらず、下記の料金が納付されていません。指定期限までに納付してください。",
        "stop_notice": "下記の料金が納付されない場合、指定期限の翌日以降に給水を停止します(給水条例)。",
    }.get(notice.kind, "")
    return _document(
        notice.get_kind_display(), town, items, [body], ["既に納付された場合は、行き違いですのでご容赦ください。"]
    )

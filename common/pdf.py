"""Printed certificates and the PDF building blocks every module uses (A4 portrait, ReportLab).

Fonts are the Adobe-Japan1 CID fonts every PDF reader carries (HeiseiMin-W3, HeiseiKakuGo-W5): nothing to
ship or embed. This module only lays out what ``certificates`` decided to print — it reads no data.

Every page carries the 発行番号, the page number and the verification code with its URL (and a QR code of
it), so that a single page can be checked; the 認証文, the date and the 町長 line with the electronic 公印
appear on the last page only (標準仕様書 §5.1).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

MINCHO = "HeiseiMin-W3"
GOTHIC = "HeiseiKakuGo-W5"


@functools.cache
def register_fonts() -> None:
    """Register the two CID fonts once per process (at import; ReportLab keeps them for every later document)."""
    for font in (MINCHO, GOTHIC):
        if font not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(font))


register_fonts()

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FOOTER_HEIGHT = 26 * mm
LABEL_WIDTH = 30 * mm
VALUE_WIDTH = CONTENT_WIDTH / 2 - LABEL_WIDTH
LINE = colors.HexColor("#333333")
LABEL_FILL = colors.HexColor("#eef1f5")
SEAL_RED = colors.HexColor("#c8102e")


@dataclass(frozen=True)
class Item:
    """One labelled item of an entry; ``wide`` items take the whole row."""

    label: str
    value: str
    wide: bool = False


BLANK = Item("", "")  # an empty half row, to keep pairs of items together


@dataclass(frozen=True)
class Entry:
    """One person's part of the certificate."""

    name: str
    name_kana: str
    items: Sequence[Item]


@dataclass(frozen=True)
class CertificateLayout:
    title: str
    town: str
    mayor: str
    number: str
    issued_on: str  # 和暦, e.g. 令和8年11月27日
    header: Sequence[Item]
    entries: Sequence[Entry]
    attestation: str
    verification_code: str
    verification_url: str
    notes: Sequence[str] = field(default_factory=tuple)
    # A 見本 (preview before issuance): watermarked on every page, without 発行番号, verification code or QR.
    sample: bool = False


def text_style(
    name: str, *, font: str = MINCHO, size: float = 9, leading: float | None = None, **kw: Any
) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.35, **kw)


LABEL = text_style("label", font=GOTHIC, size=8)
VALUE = text_style("value", size=9.5)
KANA = text_style("kana", size=7, textColor=colors.HexColor("#444444"))
NAME = text_style("name", size=13, leading=16)
TITLE = text_style("title", font=MINCHO, size=22, leading=28, alignment=TA_CENTER)
SUBTITLE = text_style("subtitle", size=9, alignment=TA_CENTER)
ATTEST = text_style("attest", size=11.5, leading=18, alignment=TA_LEFT)
NOTE = text_style("note", size=8, leading=11)
MAYOR = text_style("mayor", size=13, leading=18)
# The static parts of the layout, built once per process and shared by every document.
SIGNATURE_STYLE = TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (0, 0), "RIGHT")])
ITEMS_STYLE: tuple[Any, ...] = (
    ("BOX", (0, 0), (-1, -1), 1.0, LINE),
    ("INNERGRID", (0, 0), (-1, -1), 0.4, LINE),
    ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    # An empty cell stays empty (a non-breaking space would print as a missing glyph in the CID fonts).
    return Paragraph(_escape(text).replace("\n", "<br/>"), style)


class Seal(Flowable):
    """The electronic 公印: a red square seal reading e.g. 中土佐町長之印 (in columns, right to left)."""

    def __init__(self, text: str, size: float = 22 * mm) -> None:
        super().__init__()
        self.text = text
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(SEAL_RED)
        canvas.setFillColor(SEAL_RED)
        canvas.setLineWidth(2.2)
        canvas.rect(0, 0, self.size, self.size)
        canvas.setLineWidth(0.6)
        canvas.rect(1.6 * mm, 1.6 * mm, self.size - 3.2 * mm, self.size - 3.2 * mm)
        chars = list(self.text)
        rows = 3
        columns = max(1, -(-len(chars) // rows))
        cell = (self.size - 5 * mm) / max(rows, columns)
        canvas.setFont(MINCHO, cell * 0.9)
        left = (self.size - cell * columns) / 2
        top = self.size - (self.size - cell * rows) / 2
        for index, char in enumerate(chars):
            column, row = divmod(index, rows)
            x = left + (columns - 1 - column) * cell + cell / 2  # Japanese seals read right to left
            y = top - (row + 1) * cell + cell * 0.18
            canvas.drawCentredString(x, y, char)
        canvas.restoreState()


def items_table(items: Sequence[Item], *, first_row: list[Any] | None = None) -> Table:
    """Label/value pairs, two to a row; ``wide`` items (and the first row, the name) span the row."""
    rows: list[list[Any]] = []
    wide_rows: list[int] = []
    if first_row is not None:
        rows.append(first_row)
        wide_rows.append(0)
    pending: list[Item] = []

    def flush() -> None:
        if pending:
            cells: list[Any] = []
            for item in pending:
                cells += ["", ""] if item == BLANK else [paragraph(item.label, LABEL), paragraph(item.value, VALUE)]
            rows.append(cells + [""] * (4 - len(cells)))
            pending.clear()

    for item in items:
        if item.wide:
            flush()
            rows.append([paragraph(item.label, LABEL), paragraph(item.value, VALUE), "", ""])
            wide_rows.append(len(rows) - 1)
        else:
            pending.append(item)
            if len(pending) == 2:
                flush()
    flush()
    table = Table(rows, colWidths=[LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH])
    commands: list[Any] = list(ITEMS_STYLE)
    for index, row in enumerate(rows):
        if index in wide_rows:
            commands.append(("SPAN", (1, index), (3, index)))
        elif row[2] != "":
            commands.append(("BACKGROUND", (2, index), (2, index), LABEL_FILL))
    table.setStyle(TableStyle(commands))
    return table


def _entry(entry: Entry, index: int) -> KeepTogether:
    name_cell = [paragraph(entry.name_kana, KANA), paragraph(entry.name, NAME)]
    first = [paragraph(f"{index}\n氏名", LABEL), name_cell, "", ""]
    table = items_table(entry.items, first_row=first)
    return KeepTogether([table, Spacer(1, 4 * mm)])


class NumberedCanvas(Canvas):
    """Draws the per-page footer once the number of pages is known (a second pass over saved pages)."""

    layout: CertificateLayout
    total_pages = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        type(self).total_pages = total
        for page in self._pages:
            self.__dict__.update(page)
            self._footer(total)
            super().showPage()
        super().save()

    def _watermark(self) -> None:
        """A large diagonal 「見本」 over the page: a preview can never pass for an issued certificate."""
        self.saveState()
        self.setFillColor(SEAL_RED)
        self.setFillAlpha(0.22)
        self.setFont(GOTHIC, 150)
        self.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        self.rotate(35)
        self.drawCentredString(0, -50, "見本")
        self.restoreState()

    def _sample_footer(self, total: int) -> None:
        page = self.getPageNumber()
        top = MARGIN + FOOTER_HEIGHT - 4 * mm
        self.saveState()
        self.setStrokeColor(LINE)
        self.setLineWidth(0.5)
        self.line(MARGIN, top, PAGE_WIDTH - MARGIN, top)
        self.setFont(GOTHIC, 9)
        self.drawString(MARGIN, top - 5 * mm, "見本（交付前の確認用）　証明書としては使用できません。")
        self.setFont(MINCHO, 8.5)
        self.drawString(MARGIN, top - 10 * mm, "発行番号と確認コードは、交付のときに付番・印字されます。")
        self.drawRightString(PAGE_WIDTH - MARGIN, top - 5 * mm, f"{page} / {total} 頁")
        self.restoreState()
        self._watermark()

    def _footer(self, total: int) -> None:
        layout = self.layout
        if layout.sample:
            self._sample_footer(total)
            return
        page = self.getPageNumber()
        top = MARGIN + FOOTER_HEIGHT - 4 * mm
        self.saveState()
        self.setStrokeColor(LINE)
        self.setLineWidth(0.5)
        self.line(MARGIN, top, PAGE_WIDTH - MARGIN, top)
        self.setFont(MINCHO, 8.5)
        self.drawString(MARGIN, top - 5 * mm, f"発行番号　{layout.number}")
        self.drawRightString(PAGE_WIDTH - MARGIN - 24 * mm, top - 5 * mm, f"{page} / {total} 頁")
        self.setFont(GOTHIC, 8)
        self.drawString(MARGIN, top - 10 * mm, f"確認コード　{layout.verification_code}")
        self.setFont(MINCHO, 7.5)
        self.drawString(MARGIN, top - 14.5 * mm, f"確認URL　{layout.verification_url}")
        self.drawString(
            MARGIN,
            top - 18.5 * mm,
            "この証明書が発行されたものであることは、上記のURLで確認コードを入力して確認できます。",
        )
        self._qr(PAGE_WIDTH - MARGIN - 20 * mm, MARGIN - 2 * mm, 20 * mm)
        # The page number at the top as well, so a loose page is recognisable.
        self.setFont(MINCHO, 8)
        self.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN + 6 * mm, f"{layout.number}　{page}/{total}")
        self.restoreState()

    def _qr(self, x: float, y: float, size: float) -> None:
        width, dark = qr_cells(f"{self.layout.verification_url}{self.layout.verification_code}/")
        cell = size / (width + 2)
        self.setFillColor(colors.black)
        for r, c in dark:
            self.rect(x + (c + 1) * cell, y + size - (r + 2) * cell, cell, cell, stroke=0, fill=1)


@functools.lru_cache(maxsize=64)
def qr_cells(data: str) -> tuple[int, tuple[tuple[int, int], ...]]:
    """The QR code of ``data``: its width in modules and its dark modules (row, column), in drawing order.

    Encoded once per certificate, not once per page (every page prints the same code)."""
    matrix = segno.make(data, error="m").matrix
    return len(matrix), tuple((r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark)


def render(layout: CertificateLayout) -> tuple[bytes, int]:
    """The PDF and its page count."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=f"{layout.title} {'見本' if layout.sample else layout.number}",
        author=f"{layout.town}",
        subject=layout.title,
        creator="Kyodo",
    )
    story: list[Flowable] = [
        paragraph(layout.title, TITLE),
        paragraph(f"{layout.town}　{layout.issued_on}交付", SUBTITLE),
        Spacer(1, 5 * mm),
    ]
    if layout.header:
        story += [items_table(layout.header), Spacer(1, 5 * mm)]
    story += [_entry(entry, index) for index, entry in enumerate(layout.entries, start=1)]
    for note in layout.notes:
        story.append(paragraph(note, NOTE))
    signature = Table(
        [
            [
                paragraph(f"{layout.issued_on}\n\n{layout.mayor}", MAYOR),
                Seal(f"{layout.town}長之印"),
            ]
        ],
        colWidths=[CONTENT_WIDTH - 40 * mm, 26 * mm],
        hAlign="RIGHT",
    )
    signature.setStyle(SIGNATURE_STYLE)
    story.append(
        KeepTogether(
            [
                Spacer(1, 6 * mm),
                paragraph(layout.attestation, ATTEST),
                Spacer(1, 4 * mm),
                signature,
            ]
        )
    )

    class _Canvas(NumberedCanvas):
        pass

    _Canvas.layout = layout
    document.build(story, canvasmaker=_Canvas)
    return buffer.getvalue(), _Canvas.total_pages

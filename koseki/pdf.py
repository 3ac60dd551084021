"""The printed form of the 戸籍証明書 (全部事項証明, 個人事項証明, 除籍) and of the 戸籍の附票の写し (A4 portrait).

Laid out as the 戸籍情報システム prints them (戸籍法施行規則 第73条, 付録第22号様式): 本籍 and 氏名 at the top, then the
戸籍事項, then each person recorded — 【名】【生年月日】【父】【母】【続柄】 — with their 身分事項, one 【項目】 a
line, separated by rules; 「以下余白」 after the last person; the 認証文, the date and the 町長 with the 公印 at
the end. This module only lays out what ``koseki.certificates`` decided to print — it reads no data.

Fonts, the 公印, the page footer (発行番号, page x / y, verification code, its URL and QR code) and the 見本
watermark are those of the 住民票 (``common.pdf``): one footer for every certificate the town
issues, so that the public verification page explains them all alike.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from common.pdf import (
    ATTEST,
    CONTENT_WIDTH,
    FOOTER_HEIGHT,
    LABEL_FILL,
    LINE,
    MARGIN,
    SIGNATURE_STYLE,
    TITLE,
    CertificateLayout,
    NumberedCanvas,
    Seal,
    paragraph,
    text_style,
)

LABEL_COLUMN = 46 * mm
VALUE_COLUMN = CONTENT_WIDTH - LABEL_COLUMN
LABEL = text_style("koseki_label", size=9.5, leading=13)
VALUE = text_style("koseki_value", size=9.5, leading=13)
HEADER_VALUE = text_style("koseki_header_value", size=11, leading=15)
MARK = text_style("koseki_mark", size=11, leading=14)
BLANK_TAIL = text_style("koseki_blank", size=9.5, alignment=TA_RIGHT)
MAYOR = text_style("koseki_mayor", size=13, leading=18)
NOTE = text_style("koseki_note", size=8, leading=11)
MARK_STYLE = TableStyle([("BOX", (0, 0), (-1, -1), 1.2, LINE), ("ALIGN", (0, 0), (-1, -1), "CENTER")])
MIDDLE = TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
# Printed lines of the register content that always stand on the page of the 認証文.
KEPT_WITH_ATTESTATION = 3


@dataclass(frozen=True)
class Section:
    """One 戸籍事項 or 身分事項: its heading (出　　生, 婚　　姻 …) and its 【項目】値 lines."""

    label: str
    lines: Sequence[str]


@dataclass(frozen=True)
class Person:
    """One person recorded: the lines of the 戸籍に記録されている者 column, the 除籍 mark and the 身分事項."""

    lines: Sequence[str]
    sections: Sequence[Section]
    removed: bool = False


@dataclass(frozen=True)
class KosekiLayout:
    title: str  # 全部事項証明, 個人事項証明, 戸籍の附票の写し
    town: str
    mayor: str
    number: str
    issued_on: str  # 和暦 with full-width digits
    header: Sequence[tuple[str, str]]  # (本　　籍, …), (氏　　名, …)
    register_sections: Sequence[Section]
    persons: Sequence[Person]
    attestation: str
    verification_code: str
    verification_url: str
    closed: bool = False  # a 除籍 (closed register): marked 除籍 at the top
    register_heading: str = "戸籍事項"
    person_heading: str = "戸籍に記録されている者"
    sections_heading: str = "身分事項"
    notes: Sequence[str] = field(default_factory=tuple)
    sample: bool = False  # a 見本: watermarked, without 発行番号 or verification code

    def footer(self) -> CertificateLayout:
        """What the shared page footer prints (発行番号, verification code and URL, 見本)."""
        return CertificateLayout(
            title=self.title,
            town=self.town,
            mayor=self.mayor,
            number=self.number,
            issued_on=self.issued_on,
            header=(),
            entries=(),
            attestation=self.attestation,
            verification_code=self.verification_code,
            verification_url=self.verification_url,
            sample=self.sample,
        )


def _rows(sections: Sequence[Section]) -> list[list[Any]]:
    """One table row per printed line, so that a long 身分事項 may continue on the next page."""
    rows: list[list[Any]] = []
    for section in sections:
        for index, line in enumerate(section.lines or [""]):
            rows.append([paragraph(f"　{section.label}" if index == 0 else "", LABEL), paragraph(line, VALUE)])
    return rows


def _block(rows: list[list[Any]], *, boxed_cells: Sequence[tuple[int, int]] = (), continued: bool = False) -> Table:
    """A ruled two-column block; ``continued`` is the tail of a block cut in two (no rule above it)."""
    table = Table(rows, colWidths=[LABEL_COLUMN, VALUE_COLUMN], splitByRow=1)
    commands: list[Any] = [
        ("LINEBEFORE", (0, 0), (0, -1), 1.0, LINE),
        ("LINEAFTER", (-1, 0), (-1, -1), 1.0, LINE),
        ("LINEBELOW", (0, -1), (-1, -1), 1.0, LINE),
        ("LINEAFTER", (0, 0), (0, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
    ]
    if not continued:
        commands.append(("LINEABOVE", (0, 0), (-1, 0), 1.0, LINE))
    for column, row in boxed_cells:
        commands.append(("BOX", (column, row), (column, row), 0.8, LINE))
        commands.append(("BACKGROUND", (column, row), (column, row), LABEL_FILL))
    table.setStyle(TableStyle(commands))
    return table


def _split_tail(rows: list[list[Any]], boxed: Sequence[tuple[int, int]], keep: int) -> tuple[list[Flowable], Table]:
    """The block cut before its last ``keep`` rows: (the head, as 0 or 1 table; the tail, drawn as its continuation)."""
    cut = max(0, len(rows) - keep)
    head_boxed = [(c, r) for c, r in boxed if r < cut]
    tail_boxed = [(c, r - cut) for c, r in boxed if r >= cut]
    head: list[Flowable] = [_block(rows[:cut], boxed_cells=head_boxed)] if cut else []
    return head, _block(rows[cut:], boxed_cells=tail_boxed, continued=bool(cut))


def _header(layout: KosekiLayout) -> Table:
    rows = [[paragraph(label, LABEL), paragraph(value, HEADER_VALUE)] for label, value in layout.header]
    return _block(rows)


def _register(layout: KosekiLayout) -> Table:
    rows = [[paragraph(layout.register_heading, LABEL), ""], *_rows(layout.register_sections)]
    return _block(rows)


def _person_rows(layout: KosekiLayout, person: Person) -> tuple[list[list[Any]], list[tuple[int, int]]]:
    lines = list(person.lines) or [""]
    rows: list[list[Any]] = [[paragraph(layout.person_heading, LABEL), paragraph(lines[0], VALUE)]]
    rows += [["", paragraph(line, VALUE)] for line in lines[1:]]
    boxed: list[tuple[int, int]] = []
    if person.removed:
        # The 除籍 mark sits in the label column under the heading, boxed, as the 戸籍情報システム prints it.
        if len(rows) < 2:
            rows.append(["", ""])
        rows[1][0] = paragraph("除　　籍", MARK)
        boxed.append((0, 1))
    if person.sections:
        rows.append([paragraph(layout.sections_heading, LABEL), ""])
        rows += _rows(person.sections)
    return rows, boxed


def _person(layout: KosekiLayout, person: Person) -> Table:
    rows, boxed = _person_rows(layout, person)
    return _block(rows, boxed_cells=boxed)


def _title(layout: KosekiLayout) -> Flowable:
    title = paragraph(layout.title, TITLE)
    if not layout.closed:
        return title
    mark = Table([[paragraph("除　籍", MARK)]], colWidths=[22 * mm])
    mark.setStyle(MARK_STYLE)
    row = Table([[mark, title]], colWidths=[30 * mm, CONTENT_WIDTH - 30 * mm])
    row.setStyle(MIDDLE)
    return row


def render(layout: KosekiLayout) -> tuple[bytes, int]:
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
        author=layout.town,
        subject=layout.title,
        creator="Kyodo",
    )
    story: list[Flowable] = [_title(layout), Spacer(1, 5 * mm), _header(layout)]
    # The 認証文 certifies what precedes it, so it never stands alone on a page (docs/domain/koseki.md,
    # 証明書): the last lines of the register content, 「以下余白」 and the 認証文 with the 町長 are kept on one page.
    if layout.persons:
        if layout.register_sections:
            story.append(_register(layout))
        story += [_person(layout, person) for person in layout.persons[:-1]]
        rows, boxed = _person_rows(layout, layout.persons[-1])
    else:
        rows, boxed = [[paragraph(layout.register_heading, LABEL), ""], *_rows(layout.register_sections)], []
    head, tail = _split_tail(rows, boxed, KEPT_WITH_ATTESTATION)
    story += head
    closing: list[Flowable] = [tail, Paragraph("以下余白", BLANK_TAIL)]
    for note in layout.notes:
        closing.append(paragraph(note, NOTE))
    signature = Table(
        [[paragraph(f"{layout.issued_on}\n\n{layout.mayor}", MAYOR), Seal(f"{layout.town}長之印")]],
        colWidths=[CONTENT_WIDTH - 40 * mm, 26 * mm],
        hAlign="RIGHT",
    )
    signature.setStyle(SIGNATURE_STYLE)
    closing += [Spacer(1, 6 * mm), paragraph(layout.attestation, ATTEST), Spacer(1, 4 * mm), signature]
    story.append(KeepTogether(closing))

    class _Canvas(NumberedCanvas):
        pass

    _Canvas.layout = layout.footer()
    document.build(story, canvasmaker=_Canvas)
    return buffer.getvalue(), _Canvas.total_pages

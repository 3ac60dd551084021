"""The printed 給与明細 and 源泉徴収票 (A4, common.pdf blocks). Lays out what the selectors return; reads no data."""

from __future__ import annotations

import io
from typing import Any

from reportlab.platypus import SimpleDocTemplate, Spacer

from common.pdf import GOTHIC, MARGIN, Item, items_table, paragraph, text_style
from common.wareki import to_wareki, wareki_year

TITLE = text_style("payroll_title", font=GOTHIC, size=16, leading=22)
NOTE = text_style("payroll_note", size=8, leading=11)


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _document(story: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                            title=title)  # fmt: skip
    doc.build(story)
    return buffer.getvalue()


def payslip_pdf(view: Any, *, town: str) -> bytes:
    slip = view.payslip
    run = slip.run
    title = f"給与明細書 {wareki_year(run.pay_month)}{run.pay_month.month}月 {run.get_kind_display()}"
    header = [
        Item("職員番号", slip.staff_number),
        Item("氏名", slip.staff_name),
        Item("所属", slip.unit_name),
        Item("支給日", to_wareki(run.paid_on)),
    ]
    pay = [Item(line.label, _yen(line.amount)) for line in view.lines if line.kind != "deduction"]
    deductions = [Item(line.label, _yen(line.amount)) for line in view.lines if line.kind == "deduction"]
    totals = [Item("総支給額", _yen(slip.gross)), Item("控除合計", _yen(slip.deductions)),
              Item("差引支給額", _yen(slip.net), wide=True)]  # fmt: skip
    story: list[Any] = [paragraph(f"{town} {title}", TITLE), Spacer(1, 6), items_table(header), Spacer(1, 8),
                        paragraph("支給", NOTE), items_table(pay), Spacer(1, 6), paragraph("控除", NOTE),
                        items_table(deductions), Spacer(1, 6), items_table(totals)]  # fmt: skip
    notes = [line for line in view.lines if line.code in ("correction", "difference", "year_end_tax", "year_end_retax")]
    if notes:
        story += [
            Spacer(1, 6),
            paragraph("過誤調整・差額支給・年末調整: " + "、".join(f"{n.label}({n.note})" for n in notes), NOTE),
        ]
    return _document(story, title)


def withholding_statement_pdf(statement: Any, *, town: str) -> bytes:
    title = f"{wareki_year(statement.year_start)}分 給与所得の源泉徴収票"
    year_end = getattr(statement, "year_end", None)
    items = [
        Item("支払を受ける者", statement.staff_name),
        Item("職員番号", statement.staff_number),
        Item("種別", "給料・手当"),
        Item("支払金額", _yen(statement.paid)),
    ]
    if year_end is not None:  # docs/domain/payroll.md §13.10: the adjusted figures
        items += [
            Item("給与所得控除後の金額(調整控除後)", _yen(year_end.employment_income - year_end.income_adjustment)),
            Item("所得控除の額の合計額", _yen(year_end.deductions)),
        ]
    items += [Item("源泉徴収税額", _yen(statement.tax)), Item("社会保険料等の金額", _yen(statement.social))]
    if year_end is not None:
        items += [
            Item("生命保険料の控除額", _yen(year_end.life_insurance)),
            Item("地震保険料の控除額", _yen(year_end.earthquake_insurance)),
            Item("配偶者(特別)控除の額", _yen(year_end.spouse)),
            Item("住宅借入金等特別控除の額", _yen(year_end.housing_credit)),
            Item("基礎控除の額", _yen(year_end.basic)),
            Item("所得金額調整控除額", _yen(year_end.income_adjustment)),
        ]
    items += [Item("控除対象扶養親族の数", f"{statement.dependents}人"), Item("支払者", town)]
    note = "年末調整済みの金額です。" if year_end is not None else "年末調整未済(源泉徴収した税額の合計です)。"
    story: list[Any] = [paragraph(title, TITLE), Spacer(1, 8), items_table(items), Spacer(1, 8), paragraph(note, NOTE)]
    return _document(story, title)

"""The CSV of a 人事異動 (職員番号,所属コード,所属名,級,号給; empty cells keep the current value)."""

from __future__ import annotations

import csv
import io
from typing import Any

from payroll.errors import PayrollInputError


def parse_transfer_csv(text: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if not row or not "".join(row).strip():
            continue
        cells = [cell.strip() for cell in row] + [""] * 5
        if number == 1 and not cells[0].isdigit():
            continue
        line: dict[str, Any] = {"staff_number": cells[0]}
        if cells[1]:
            line["unit_code"] = cells[1]
            line["unit_name"] = cells[2]
        try:
            if cells[3]:
                line["grade"] = int(cells[3])
            if cells[4]:
                line["step"] = int(cells[4])
        except ValueError:
            errors.append(f"{number}行目: 級・号給は整数で入力してください。")
            continue
        lines.append(line)
    if errors or not lines:
        raise PayrollInputError(
            "人事異動のCSVに誤りがあります: " + (" / ".join(errors[:5]) or "データ行がありません。"),
            code="payroll_transfer_csv_invalid",
            details={"errors": errors},
        )
    return lines

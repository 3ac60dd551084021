"""Revenue: 調定 → 納入通知 → 収納 → 収入済, with 還付 and 不納欠損 as new journal lines.

Rules: docs/domain/finance.md §6 (地方自治法 第231条, 施行令 第154条; 不納欠損 under 第236条 or a 債権放棄).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q, Sum

from common import audit
from common.csv_import import BOM, Column, RowError, RowReader, error_details, read_header
from common.errors import ApplicationError
from common.serials import next_yearly_serial
from finance import rules
from finance.errors import DocumentNotFound, FinanceError, InvalidAmount, WrongState
from finance.models import (
    Assessment,
    AssessmentCounter,
    AssessmentStatus,
    BudgetLine,
    EntryKind,
    JournalLine,
    Side,
)
from finance.services.common import (
    actor_name,
    journal_line,
    lock_lines,
    post,
    require_in_closing_period,
    require_in_year,
    require_open,
    require_role,
)
from tenants.models import Person, Role


@dataclass(frozen=True)
class AssessmentFigures:
    assessed: int  # 調定額 (after 減額)
    received: int  # 収入済額 (after 還付)
    written_off: int  # 不納欠損額

    @property
    def outstanding(self) -> int:
        """収入未済額."""
        return self.assessed - self.received - self.written_off


def assessment_figures(assessment: Assessment) -> AssessmentFigures:
    sums = JournalLine.objects.filter(source_type="assessment", source_number=assessment.number).aggregate(
        assessed=Sum("amount", filter=Q(kind=EntryKind.ASSESSMENT), default=0),
        received=Sum("amount", filter=Q(kind=EntryKind.RECEIPT), default=0),
        written_off=Sum("amount", filter=Q(kind=EntryKind.WRITE_OFF), default=0),
    )
    return AssessmentFigures(sums["assessed"], sums["received"], sums["written_off"])


def assess_revenue(
    *,
    actor: Person,
    line: BudgetLine,
    payer_name: str,
    amount: int,
    purpose: str,
    assessed_on: date,
    due_on: date,
    payer_address: str = "",
) -> Assessment:
    """調定: the amount the town is owed, against a 歳入 節 of the year of ``assessed_on``."""
    require_role(actor, Role.BUDGET_CLERK, Role.FINANCE_OFFICER, Role.SCHOOL_OFFICE, doing="調定")
    amount = rules.require_amount(amount)
    if line.side != Side.REVENUE:
        raise FinanceError("調定は歳入の節にのみ登録できます。")
    if not payer_name.strip() or not purpose.strip():
        raise FinanceError("納入義務者と件名を入力してください。", code="finance_purpose_required")
    if due_on < assessed_on:
        raise FinanceError("納期限は調定日以後の日付にしてください。", code="finance_due_before_assessment")
    with transaction.atomic():
        line = lock_lines([line])[line.pk]
        require_open(line.fiscal_year)
        require_in_year(line.fiscal_year, assessed_on, what="調定")
        year = line.fiscal_year.year
        assessment = Assessment.objects.create(
            number=f"R{year}-{next_yearly_serial(AssessmentCounter, year=year):06d}",
            fiscal_year=year,
            line=line,
            payer_name=payer_name.strip(),
            payer_address=payer_address.strip(),
            amount=amount,
            purpose=purpose.strip(),
            assessed_on=assessed_on,
            due_on=due_on,
            status=AssessmentStatus.OPEN,
            assessed_by_id=actor.pk,
            assessed_by_name=actor_name(actor),
        )
        post([_line(actor, assessment, EntryKind.ASSESSMENT, amount, assessed_on, purpose)])
        audit.record(actor=actor, action="finance.assess", obj=assessment, details={"amount": amount})
    return assessment


def _line(actor: Person, assessment: Assessment, kind: str, amount: int, on: date, memo: str) -> JournalLine:
    return journal_line(
        actor=actor,
        line=assessment.line,
        kind=kind,
        amount=amount,
        posted_on=on,
        source_type="assessment",
        source_number=assessment.number,
        memo=memo,
    )


def _lock(assessment: Assessment) -> Assessment:
    found = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("line", "line__fiscal_year", "line__fiscal_year__account")
        .filter(pk=assessment.pk)
        .first()
    )
    if found is None:
        raise DocumentNotFound()
    require_open(found.line.fiscal_year)
    return found


def _update_status(assessment: Assessment) -> None:
    current = assessment_figures(assessment)
    if current.outstanding > 0:
        status = AssessmentStatus.OPEN
    elif current.written_off > 0 and current.received < current.assessed:
        status = AssessmentStatus.WRITTEN_OFF
    else:
        status = AssessmentStatus.RECEIVED
    if status != assessment.status:
        assessment.status = status
        assessment.save(update_fields=["status"])


def record_receipt(
    *, actor: Person, assessment: Assessment, amount: int, received_on: date, memo: str = ""
) -> Assessment:
    """収納: money received against a 調定, until the year's 出納閉鎖 (31 May); never more than is outstanding."""
    require_role(actor, Role.ACCOUNTANT, doing="収納")
    amount = rules.require_amount(amount)
    with transaction.atomic():
        assessment = _lock(assessment)
        require_in_closing_period(assessment.line.fiscal_year, received_on, what="収納")
        current = assessment_figures(assessment)
        if amount > current.outstanding:
            raise InvalidAmount(
                f"収納額 {amount:,}円 が収入未済額 {current.outstanding:,}円 を超えています({assessment.number})。"
            )
        post([_line(actor, assessment, EntryKind.RECEIPT, amount, received_on, memo or "収納")])
        _update_status(assessment)
        audit.record(actor=actor, action="finance.receive", obj=assessment, details={"amount": amount})
    return assessment


def record_rebate(*, actor: Person, assessment: Assessment, amount: int, on: date, reason: str) -> Assessment:
    """還付 after a 減額調定: the assessment and what was received both go down by a new line each."""
    require_role(actor, Role.ACCOUNTANT, doing="還付")
    amount = rules.require_amount(amount)
    if not reason.strip():
        raise FinanceError("還付の理由を入力してください。", code="finance_reason_required")
    with transaction.atomic():
        assessment = _lock(assessment)
        require_in_closing_period(assessment.line.fiscal_year, on, what="還付")
        current = assessment_figures(assessment)
        if amount > current.received:
            raise InvalidAmount(f"還付額 {amount:,}円 が収入済額 {current.received:,}円 を超えています。")
        post(
            [
                _line(actor, assessment, EntryKind.ASSESSMENT, -amount, on, f"減額調定: {reason}"),
                _line(actor, assessment, EntryKind.RECEIPT, -amount, on, f"還付: {reason}"),
            ]
        )
        _update_status(assessment)
        audit.record(actor=actor, action="finance.rebate", obj=assessment, details={"amount": amount, "reason": reason})
    return assessment


def write_off(*, actor: Person, assessment: Assessment, amount: int, on: date, reason: str) -> Assessment:
    """不納欠損: an outstanding amount that can no longer be collected (時効 under 地方自治法 第236条, 債権放棄)."""
    require_role(actor, Role.FINANCE_OFFICER, Role.ACCOUNTANT, doing="不納欠損")
    amount = rules.require_amount(amount)
    if not reason.strip():
        raise FinanceError("不納欠損の理由(時効・放棄の根拠)を入力してください。", code="finance_reason_required")
    with transaction.atomic():
        assessment = _lock(assessment)
        require_in_closing_period(assessment.line.fiscal_year, on, what="不納欠損")
        current = assessment_figures(assessment)
        if current.outstanding == 0:
            raise WrongState(f"{assessment.number} に収入未済額はありません。")
        if amount > current.outstanding:
            raise InvalidAmount(f"不納欠損額 {amount:,}円 が収入未済額 {current.outstanding:,}円 を超えています。")
        post([_line(actor, assessment, EntryKind.WRITE_OFF, amount, on, f"不納欠損: {reason}")])
        _update_status(assessment)
        audit.record(
            actor=actor, action="finance.write_off", obj=assessment, details={"amount": amount, "reason": reason}
        )
    return assessment


RECEIPT_COLUMNS = (
    Column("assessment_number", "調定番号", required=True),
    Column("received_on", "収納日", required=True),
    Column("amount", "金額", required=True),
    Column("memo", "摘要"),
)
RECEIPT_LAYOUT = "docs/domain/finance.md §6(収納データの取込)"


class ReceiptImportRejected(FinanceError):
    code = "finance_receipt_import_rejected"
    message = "収納データに誤りがあるため、1件も取り込んでいません。"


def import_receipts(*, actor: Person, data: bytes, today: date) -> int:
    """収納 from the bank's CSV (調定番号, 収納日, 金額[, 摘要]): every row checked first by the same rules as one
    receipt, all or nothing. Returns the number of receipts recorded."""
    require_role(actor, Role.ACCOUNTANT, doing="収納データの取込")
    try:
        text = data.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise ReceiptImportRejected("収納データは UTF-8 の CSV で取り込んでください。") from None
    records = list(csv.reader(io.StringIO(text)))
    errors: list[RowError] = []
    if not records:
        raise ReceiptImportRejected("収納データが空です。")
    columns = read_header(records[0], RECEIPT_COLUMNS, errors, layout_doc=RECEIPT_LAYOUT)
    labels = {column.name: column.label for column in RECEIPT_COLUMNS}
    rows: list[tuple[int, str, date, int, str]] = []
    for number, record in enumerate(records[1:], start=2):
        values = {column.name: cell for column, cell in zip(columns, record, strict=False) if column is not None}
        reader = RowReader(number, values, errors, today, labels)
        assessment_number = reader.text("assessment_number", required=True, max_length=30)
        received_on = reader.day("received_on", required=True)
        raw_amount = reader.text("amount", required=True).replace(",", "")
        if raw_amount and not raw_amount.isdigit():
            reader.error("amount", "金額は円単位の整数で入力してください。")
        if assessment_number and received_on and raw_amount.isdigit():
            rows.append((number, assessment_number, received_on, int(raw_amount), reader.text("memo")))
    if errors:
        raise ReceiptImportRejected(details=error_details(errors))
    with transaction.atomic():
        for number, assessment_number, received_on, amount, memo in rows:
            assessment = Assessment.objects.filter(number=assessment_number).first()
            if assessment is None:
                errors.append(RowError(number, "調定番号", f"調定番号 {assessment_number} はありません。"))
                continue
            try:
                record_receipt(
                    actor=actor,
                    assessment=assessment,
                    amount=amount,
                    received_on=received_on,
                    memo=memo or "収納データ取込",
                )
            except ApplicationError as exc:
                errors.append(RowError(number, "", exc.message))
        if errors:
            # Nothing of the file stays: raising here rolls back the receipts already recorded.
            raise ReceiptImportRejected(details=error_details(errors))
    return len(rows)

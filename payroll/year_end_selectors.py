"""Reads of the 年末調整 (docs/domain/payroll.md §13). Results and declarations are personal data: every read of them
is audited with its purpose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common import audit
from common.errors import PermissionDenied
from payroll.models import Staff
from payroll.selectors import MAX_REPORT_YEAR, MIN_REPORT_YEAR
from payroll.year_end_errors import YearEndInputError, YearEndNotFound
from payroll.year_end_models import YearEndDeclaration, YearEndResult, YearEndRevision, YearEndRun

REVIEW_PURPOSE = "年末調整の確認"
ENTRY_PURPOSE = "年末調整の申告の入力"


def checked_year(year: int) -> int:
    if not MIN_REPORT_YEAR <= year <= MAX_REPORT_YEAR:
        raise YearEndInputError(f"年は{MIN_REPORT_YEAR}〜{MAX_REPORT_YEAR}の西暦で指定してください。")
    return year


def year_end_runs() -> list[YearEndRun]:
    return list(YearEndRun.objects.order_by("-year"))


def year_end_run(*, year: int) -> YearEndRun | None:
    return YearEndRun.objects.filter(year=checked_year(year)).first()


def view_year_end_results(*, actor: Any, year: int, purpose: str) -> tuple[YearEndRun, list[YearEndResult]]:
    """The year's results, every staff member's figures (audited with the purpose)."""
    if not purpose:
        raise PermissionDenied("利用目的を指定してください。", code="purpose_required")
    run = year_end_run(year=year)
    if run is None:
        raise YearEndNotFound(f"{year}年分の年末調整はまだ作成されていません。")
    results = list(YearEndResult.objects.filter(run=run).order_by("staff_number"))
    audit.record(actor=actor, action="payroll.year_end_results", obj=run, purpose=purpose, personal_data=True,
                 details={"year": year, "results": len(results)})  # fmt: skip
    return run, results


@dataclass(frozen=True)
class DeclarationRow:
    staff: Staff
    declared: bool


def declaration_list(*, actor: Any, year: int) -> list[DeclarationRow]:
    """Which staff members have a declaration for the year (names and numbers only; audited)."""
    declared = set(YearEndDeclaration.objects.filter(year=checked_year(year)).values_list("staff_id", flat=True))
    rows = [DeclarationRow(staff=s, declared=s.pk in declared) for s in Staff.objects.order_by("number")]
    audit.record(actor=actor, action="payroll.year_end_declaration_view",
                 obj=("payroll.YearEndDeclaration", str(year), f"{year}年分"), purpose=ENTRY_PURPOSE,
                 personal_data=True, details={"year": year, "staff": len(rows)})  # fmt: skip
    return rows


def view_declaration(*, actor: Any, year: int, public_id: Any) -> tuple[Staff, YearEndDeclaration | None]:
    """One staff member's declaration for the year (None before one is entered), audited."""
    staff = Staff.objects.filter(public_id=public_id).first()
    if staff is None:
        raise YearEndNotFound("該当する職員が見つかりません。")
    declaration = YearEndDeclaration.objects.filter(staff=staff, year=checked_year(year)).first()
    audit.record(actor=actor, action="payroll.year_end_declaration_view", obj=staff, purpose=ENTRY_PURPOSE,
                 personal_data=True, details={"year": year})  # fmt: skip
    return staff, declaration


READJUST_PURPOSE = "再年末調整"


@dataclass(frozen=True)
class YearEndPage:
    run: YearEndRun
    results: list[YearEndResult]
    revisions: list[YearEndRevision]


def view_year_end_page(*, actor: Any, year: int, purpose: str) -> YearEndPage:
    """The year's results and its 再年末調整 (§13.11), one audited read."""
    if not purpose:
        raise PermissionDenied("利用目的を指定してください。", code="purpose_required")
    run = year_end_run(year=year)
    if run is None:
        raise YearEndNotFound(f"{year}年分の年末調整はまだ作成されていません。")
    results = list(YearEndResult.objects.filter(run=run).select_related("staff").order_by("staff_number"))
    revisions = list(
        YearEndRevision.objects.filter(run=run).select_related("staff").order_by("staff_number", "sequence")
    )
    audit.record(actor=actor, action="payroll.year_end_results", obj=run, purpose=purpose, personal_data=True,
                 details={"year": year, "results": len(results), "revisions": len(revisions)})  # fmt: skip
    return YearEndPage(run=run, results=results, revisions=revisions)


@dataclass(frozen=True)
class ReadjustmentView:
    run: YearEndRun
    staff: Staff
    declaration: dict[str, Any]  # the declaration in force (the start of the form)
    settled_tax: int | None  # None when the staff member cannot be re-adjusted (``refusal`` says why)
    source: str
    refusal: str
    revisions: list[YearEndRevision]

    @property
    def open_revision(self) -> YearEndRevision | None:
        return next((r for r in self.revisions if not r.locked), None)


def view_readjustment(*, actor: Any, year: int, public_id: Any) -> ReadjustmentView:
    """One staff member's 再年末調整: the declaration and 年税額 it starts from, and the revisions so far (audited)."""
    from payroll.services.year_end_revision import basis_of

    run = year_end_run(year=year)
    staff = Staff.objects.filter(public_id=public_id).first()
    if run is None or staff is None:
        raise YearEndNotFound("該当する職員または年末調整が見つかりません。")
    revisions = list(YearEndRevision.objects.filter(run=run, staff=staff).order_by("sequence"))
    declaration: dict[str, Any] = {}
    settled: int | None = None
    source = refusal = ""
    try:
        basis = basis_of(run=run, staff=staff)
    except YearEndInputError as exc:
        refusal = exc.message
    else:
        declaration, settled, source = basis.declaration, basis.settled_tax, basis.source
    audit.record(actor=actor, action="payroll.year_end_readjust_view", obj=staff, purpose=READJUST_PURPOSE,
                 personal_data=True, details={"year": year, "revisions": len(revisions)})  # fmt: skip
    return ReadjustmentView(run, staff, declaration, settled, source, refusal, revisions)

"""The 人事給与 pages: runs for the 給与担当 (module "payroll") and every staff member's own payslips (module
"payslips"). Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError, NotFound
from payroll import parameters, selectors
from payroll.forms import MonthlyInputUploadForm, SalaryTableUploadForm, SpecialDutyUploadForm, TransferUploadForm
from payroll.pdf import payslip_pdf, withholding_statement_pdf
from payroll.services import finance_posting, outputs, runs, special_duty
from payroll.services import salary_tables as salary_table_services
from payroll.services import staff as staff_services
from payroll.services.transfer_csv import parse_transfer_csv
from tenants.access import person_of, request_roles
from tenants.models import Role


def run_list(request: HttpRequest) -> HttpResponse:
    return render(request, "payroll/runs.html", {"runs": selectors.list_runs()[:60], "nav": "runs"})


def _run(public_id: Any) -> Any:
    try:
        return selectors.get_run(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def run_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    run = _run(public_id)
    changed = run.payslips.exclude(changes=[]).order_by("staff_number")[:200]
    return render(request, "payroll/run.html", {"run": run, "changed": changed, "nav": "runs"})


@require_http_methods(["POST"])
def run_action(request: HttpRequest, public_id: Any, action: str) -> HttpResponse:
    if Role.PAYROLL_OFFICER not in request_roles(request):
        raise PermissionDenied("給与計算の操作は給与担当だけができます。")
    if action not in ("calculate", "approve", "lock", "post_finance"):
        raise Http404()
    run = _run(public_id)
    actor = person_of(request)
    try:
        if action == "calculate":
            runs.start_calculation(actor=actor, run=run)
        elif action == "approve":
            runs.approve_run(actor=actor, run=run)
        elif action == "lock":
            runs.lock_run(actor=actor, run=run)
        else:
            finance_posting.post_run_to_finance(actor=actor, run=run)
    except ApplicationError as exc:
        return render(request, "payroll/run.html", {"run": run, "changed": [], "error": exc.message}, status=400)
    except ImportError:
        error = "財務会計モジュールが導入されていないため、連携できません。"
        return render(request, "payroll/run.html", {"run": run, "changed": [], "error": error}, status=400)
    return redirect("payroll:run", public_id=run.public_id)


def my_payslips(request: HttpRequest) -> HttpResponse:
    mine = selectors.my_payslips(actor=person_of(request))
    return render(request, "payroll/my_payslips.html", {"mine": mine})


def my_payslip(request: HttpRequest, public_id: Any) -> HttpResponse:
    try:
        view = selectors.view_payslip(actor=person_of(request), public_id=public_id, purpose=selectors.OWN_PURPOSE)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "payroll/payslip.html", {"view": view})


def my_payslip_pdf(request: HttpRequest, public_id: Any) -> HttpResponse:
    try:
        view = selectors.view_payslip(actor=person_of(request), public_id=public_id, purpose=selectors.OWN_PURPOSE)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    data = payslip_pdf(view, town=_town_name(request))
    return HttpResponse(data, content_type="application/pdf")


def my_withholding_statement_pdf(request: HttpRequest, year: int) -> HttpResponse:
    try:
        statement = selectors.my_withholding_statement(actor=person_of(request), year=year)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return HttpResponse(withholding_statement_pdf(statement, town=_town_name(request)), content_type="application/pdf")


def _town_name(request: HttpRequest) -> str:
    return str(getattr(getattr(request, "tenant", None), "name", ""))


# --- 給料表 and 人事異動 (給与担当・人事担当) ----------------------------------------------------------------

WRITERS = frozenset({Role.PAYROLL_OFFICER, Role.PERSONNEL_OFFICER})


def _require_writer(request: HttpRequest) -> None:
    if not WRITERS.intersection(request_roles(request)):
        raise PermissionDenied("この操作は給与担当・人事担当だけができます。")


def _text(upload: Any) -> str:
    raw = upload.read()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return str(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return ""


def salary_tables(request: HttpRequest) -> HttpResponse:
    form = SalaryTableUploadForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST":
        _require_writer(request)
        if form.is_valid():
            try:
                version = salary_table_services.import_salary_table(
                    actor=person_of(request),
                    table_code=form.cleaned_data["table_code"],
                    table_name=form.cleaned_data["table_name"],
                    effective_from=form.cleaned_data["effective_from"],
                    text=_text(form.cleaned_data["file"]),
                    basis=form.cleaned_data["basis"],
                )
            except ApplicationError as exc:
                error = exc.message
            else:
                return redirect("payroll:salary_table", code=version.table.code, day=version.effective_from.isoformat())
    versions = selectors.salary_table_versions()
    return render(
        request, "payroll/salary_tables.html", {"form": form, "versions": versions, "error": error, "nav": "tables"}
    )


def salary_table(request: HttpRequest, code: str, day: str) -> HttpResponse:
    version = selectors.salary_table_version(code=code, day=day)
    if version is None:
        raise Http404("該当する給料表がありません。")
    error = ""
    if request.method == "POST":
        _require_writer(request)
        try:
            salary_table_services.approve_salary_table(actor=person_of(request), version=version)
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("payroll:salary_table", code=code, day=day)
    differences = [] if version.approved else salary_table_services.revision_differences(version=version)
    return render(
        request,
        "payroll/salary_table.html",
        {
            "version": version,
            "differences": differences,
            "total": sum(d.amount for d in differences),
            "error": error,
            "nav": "tables",
            "steps": version.steps.count(),
        },
    )


def transfers(request: HttpRequest) -> HttpResponse:
    form = TransferUploadForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST":
        _require_writer(request)
        if form.is_valid():
            try:
                lines = parse_transfer_csv(_text(form.cleaned_data["file"]))
                batch = staff_services.create_transfer_batch(
                    actor=person_of(request),
                    effective_on=form.cleaned_data["effective_on"],
                    title=form.cleaned_data["title"],
                    lines=lines,
                )
            except ApplicationError as exc:
                error = exc.message
            else:
                return redirect("payroll:transfer", public_id=batch.public_id)
    batches = selectors.transfer_batches()
    return render(request, "payroll/transfers.html", {"form": form, "batches": batches, "error": error})


def transfer(request: HttpRequest, public_id: Any) -> HttpResponse:
    batch = selectors.transfer_batch(public_id=public_id)
    if batch is None:
        raise Http404("該当する人事異動がありません。")
    error = ""
    if request.method == "POST":
        _require_writer(request)
        try:
            staff_services.apply_transfer_batch(actor=person_of(request), batch=batch, municipality=request.tenant)  # type: ignore[attr-defined]
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("payroll:transfer", public_id=batch.public_id)
    preview = staff_services.preview_transfer_batch(batch=batch)
    return render(request, "payroll/transfer.html", {"batch": batch, "preview": preview, "error": error})


# --- outputs of a locked run -------------------------------------------------------------------------------------


def transfer_file(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The bank file of a locked run: for the 給与担当 to send, for the 監査担当 to check (every build audited)."""
    run = _run(public_id)
    try:
        data = outputs.build_transfer_file(actor=person_of(request), run=run)
    except ApplicationError as exc:
        return render(request, "payroll/run.html", {"run": run, "changed": [], "error": exc.message}, status=400)
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="payroll-{run.pay_month:%Y%m}-{run.kind}.txt"'
    return response


def run_lists(request: HttpRequest, public_id: Any) -> HttpResponse:
    """住民税 remittance per 市町村 and 共済 totals of a run (amounts per 市町村 and totals: no one's details)."""
    run = _run(public_id)
    kyosai = outputs.kyosai_list(run=run)
    codes = sorted({key for row in kyosai for key in row if key.startswith("kyosai_")})
    totals = {code: sum(int(row.get(code, 0)) for row in kyosai) for code in codes}
    return render(
        request,
        "payroll/run_lists.html",
        {
            "run": run,
            "remittances": outputs.resident_tax_remittances(run=run),
            "kyosai_totals": totals,
            "kyosai_people": len(kyosai),
            "employer": sum(int(row["employer"]) for row in kyosai),
        },
    )


def monthly_inputs(request: HttpRequest) -> HttpResponse:
    """勤務実績 (時間外・勤務時間・成績率) of a month from CSV, before the run is calculated."""
    form = MonthlyInputUploadForm(request.POST or None, request.FILES or None)
    error = ""
    done = None
    if request.method == "POST":
        if Role.PAYROLL_OFFICER not in request_roles(request):
            raise PermissionDenied("勤務実績の入力は給与担当だけができます。")
        if form.is_valid():
            try:
                done = runs.record_monthly_inputs_csv(
                    actor=person_of(request),
                    pay_month=form.cleaned_data["pay_month"],
                    text=_text(form.cleaned_data["file"]),
                )
            except ApplicationError as exc:
                error = exc.message
    return render(request, "payroll/inputs.html", {"form": form, "error": error, "done": done})


def special_duties(request: HttpRequest) -> HttpResponse:
    """特殊勤務実績 of a month from CSV (§5.8), with the kinds in force today."""
    form = SpecialDutyUploadForm(request.POST or None, request.FILES or None)
    error = ""
    done = None
    if request.method == "POST":
        if Role.PAYROLL_OFFICER not in request_roles(request):
            raise PermissionDenied("特殊勤務実績の入力は給与担当だけができます。")
        if form.is_valid():
            try:
                done = special_duty.record_special_duties_csv(
                    actor=person_of(request),
                    pay_month=form.cleaned_data["pay_month"],
                    text=_text(form.cleaned_data["file"]),
                )
            except ApplicationError as exc:
                error = exc.message
    try:
        kinds = parameters.special_duty_kinds(local_today())
    except ApplicationError as exc:
        kinds, error = {}, error or exc.message
    context = {"form": form, "error": error, "done": done, "kinds": kinds, "units": parameters.SPECIAL_DUTY_UNITS}
    return render(request, "payroll/special_duties.html", context, status=400 if error else 200)

"""The 財務会計 pages: thin — parse input, call one service or selector, render (the services hold every rule)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from common.forms import parse_yen
from common.rest import stream_csv
from common.tenancy import current_schema
from finance import charts, pdf, rules, selectors, services
from finance.access import teacher_only
from finance.forms import AuditForm, CommitmentForm, InspectForm, OrderForm, PayForm, TransferForm
from finance.models import PaymentMethod, Side, Vendor
from finance.services import schools
from finance.services.departments import allotment_on
from tenants.access import person_of, request_roles
from tenants.models import Municipality


def staff_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every page but the school's: a teacher (whose only duty here is their school's requests) is refused."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if teacher_only(request_roles(request)):
            if view.__name__ == "execution_view" and request.method == "GET":
                return redirect(reverse("finance:school"))  # the module's tile: a teacher's page is their school's
            message = "教員が利用できるのは、配属先の学校の予算と物品購入依頼の画面だけです。"
            return render(request, "finance/clerk_only.html", {"message": message}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _town() -> str:
    return str(Municipality.objects.get(schema_name=current_schema()).name)


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return rules.fiscal_year_of(local_today())


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


HEADER = ["科目(目)", "節・名称", "予算現額", "負担行為済額", "支出済額", "残額", "執行率"]
DEPARTMENT_HEADER = ["課", "課名", "配当額", "負担行為済額", "支出済額", "配当残額", "執行率"]


def _rate(paid: int, budget: int) -> str:
    return f"{paid * 100 / budget:.1f}%" if budget else "—"


def _by_department(rows: list[selectors.ExecutionRow]) -> list[list[Any]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        total = totals[row.department_code or "(所管課なし)"]
        total[0] += row.current_budget
        total[1] += row.committed
        total[2] += row.paid
    return [[code, "", b, c, p, b - c, _rate(p, b)] for code, (b, c, p) in sorted(totals.items())]


def _by_allotment(year: int) -> list[list[Any]]:
    return [
        [d.department_code, d.department_name, d.allotted, d.committed, d.paid, d.remaining, _rate(d.paid, d.allotted)]
        for d in selectors.department_execution(year=year)
    ]


@require_GET
@staff_page
def execution_view(request: HttpRequest) -> HttpResponseBase:
    """予算執行状況表 (by 款項目節, or by 課 with ?by=department), with the monthly chart; CSV and PDF too."""
    year = _year(request)
    side = Side.REVENUE if request.GET.get("side") == Side.REVENUE else Side.EXPENDITURE
    department = request.GET.get("department", "")[:20]
    rows = selectors.execution_by_line(year=year, side=side, department_code=department)
    header = HEADER
    if request.GET.get("by") == "department" and side == Side.EXPENDITURE and allotment_on():
        header, table = DEPARTMENT_HEADER, _by_allotment(year)  # the 課's 配当 (§5.7)
    elif request.GET.get("by") == "department":
        table = _by_department(rows)
    else:
        table = [
            [
                r.budget_code,
                f"節{r.setsu}{'-' + r.saisetsu if r.saisetsu else ''} {r.name}",
                r.current_budget,
                r.committed,
                r.paid,
                r.remaining,
                _rate(r.paid, r.current_budget),
            ]
            for r in rows
        ]
    title = f"{rules.wareki_year(year)} 予算執行状況表({Side(side).label})"
    output = request.GET.get("format")
    if output == "csv":
        return stream_csv(f"execution-{year}.csv", header, table, lambda row: row)
    if output == "pdf":
        formatted = [[str(c) if not isinstance(c, int) else f"{c:,}" for c in row] for row in table]
        return _pdf(pdf.execution_table(title, _town(), header, formatted), f"execution-{year}.pdf")
    chart = charts.monthly_chart(
        selectors.monthly_execution(year=year, side=side),
        first_label="負担行為額" if side == Side.EXPENDITURE else "調定額",
        second_label="支出済額" if side == Side.EXPENDITURE else "収入済額",
    )
    context = {
        "title": title,
        "header": header,
        "table": table,
        "year": year,
        "side": side,
        "chart": chart,
        "by": request.GET.get("by", ""),
        "nav": "execution",
        "department": department,
    }
    return render(request, "finance/execution.html", context)


@require_GET
@staff_page
def line_ledger_view(request: HttpRequest, pk: int) -> HttpResponse:
    """予算差引簿: every journal line that moved one 節's balance, with the running 残額."""
    line = selectors.budget_line(pk=pk)
    if line is None:
        raise Http404
    entries, available = [], 0
    for entry in selectors.line_ledger(line):
        if entry.kind in ("budget", "transfer", "reserve", "carry_in"):
            available += entry.amount
        elif entry.kind in ("commitment", "carry_out"):
            available -= entry.amount
        entries.append((entry, available))
    return render(request, "finance/ledger.html", {"line": line, "entries": entries, "nav": "execution"})


@require_GET
@staff_page
def balance_view(request: HttpRequest) -> JsonResponse:
    """The 節's remaining budget while a 伝票 is typed (fetched by finance/entry.js)."""
    try:
        line = selectors.budget_line(pk=int(request.GET.get("line", "")))
    except ValueError:
        line = None
    if line is None:
        return JsonResponse({"code": "not_found", "message": "科目が見つかりません。"}, status=404)
    figures = selectors.line_figures(line)
    return JsonResponse(
        {
            "line": line.label,
            "current_budget": figures.current_budget,
            "committed": figures.committed,
            "paid": figures.paid,
            "available": figures.available,
        }
    )


def _show(form: Any, exc: ApplicationError) -> None:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
@staff_page
def commitment_entry_view(request: HttpRequest) -> HttpResponse:
    """伝票入力: 支出負担行為. The year is the year of the date (never chosen by the clerk)."""
    actor = person_of(request)
    year = rules.fiscal_year_of(local_today())
    lines = selectors.lines_for_entry(year=year)
    if request.method == "POST":
        form = CommitmentForm(request.POST, lines=lines, vendors=selectors.vendor_choices())
        if form.is_valid():
            data = form.cleaned_data
            try:
                commitment = services.commit_expenditure(
                    actor=actor,
                    line=data["line"],
                    amount=data["amount"],
                    purpose=data["purpose"],
                    committed_on=data["committed_on"],
                    vendor=data["vendor"],
                    payee_name=data["payee_name"],
                    kind=data["kind"],
                )
            except ApplicationError as exc:
                _show(form, exc)
            else:
                return redirect(reverse("finance:commitment", args=[commitment.number]))
    else:
        form = CommitmentForm(initial={"committed_on": local_today()}, lines=lines, vendors=Vendor.objects.none())
    # The list shown names individuals: read through the audited selector, only when the page is shown.
    form.fields["vendor"].queryset = selectors.vendor_picker(actor=actor)  # type: ignore[attr-defined]
    return render(
        request, "finance/entry.html", {"form": form, "year": year, "nav": "entry"}, status=400 if form.errors else 200
    )


@require_GET
@staff_page
def commitment_view(request: HttpRequest, number: str) -> HttpResponse:
    commitment = selectors.commitment_by_number(number)
    if commitment is None:
        raise Http404
    context = {
        "commitment": commitment,
        "orders": commitment.orders.order_by("number"),
        "inspect_form": InspectForm(initial={"inspected_on": local_today()}),
        "order_form": OrderForm(
            initial={"amount": commitment.amount, "pay_on": local_today(), "method": PaymentMethod.TRANSFER}
        ),
        "nav": "inbox",
    }
    return render(request, "finance/commitment.html", context)


@require_GET
@staff_page
def commitment_pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    commitment = selectors.commitment_by_number(number)
    if commitment is None:
        raise Http404
    return _pdf(pdf.commitment_resolution(commitment, town=_town()), f"{number}.pdf")


@require_GET
@staff_page
def order_pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_by_number(number)
    if order is None:
        raise Http404
    return _pdf(pdf.payment_order(order, town=_town()), f"{number}.pdf")


def _refused(request: HttpRequest, exc: ApplicationError, back: str) -> HttpResponse:
    return render(request, "finance/refused.html", {"error": exc, "back": back}, status=exc.status_code)


def _step(
    request: HttpRequest, *, form: forms.Form, invalid: str, back: str, act: Callable[[dict[str, Any]], object]
) -> HttpResponse:
    """One step of the expenditure chain: the form checks the input, the service decides, the page goes back."""
    if not form.is_valid():
        return _refused(request, ApplicationError(invalid), back)
    try:
        act(form.cleaned_data)
    except ApplicationError as exc:
        return _refused(request, exc, back)
    return redirect(back)


@require_POST
@staff_page
def inspect_view(request: HttpRequest, number: str) -> HttpResponse:
    commitment = selectors.commitment_by_number(number)
    if commitment is None:
        raise Http404
    return _step(
        request,
        form=InspectForm(request.POST),
        invalid="検収日を正しく入力してください。",
        back=reverse("finance:commitment", args=[number]),
        act=lambda data: services.inspect_delivery(
            actor=person_of(request), commitment=commitment, inspected_on=data["inspected_on"]
        ),
    )


@require_POST
@staff_page
def order_view(request: HttpRequest, number: str) -> HttpResponse:
    commitment = selectors.commitment_by_number(number)
    if commitment is None:
        raise Http404
    return _step(
        request,
        form=OrderForm(request.POST),
        invalid="支出命令の入力内容を確認してください。",
        back=reverse("finance:commitment", args=[number]),
        act=lambda data: services.order_payment(
            actor=person_of(request),
            commitment=commitment,
            amount=data["amount"],
            pay_on=data["pay_on"],
            method=data["method"],
        ),
    )


@require_POST
@staff_page
def audit_view(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_by_number(number)
    if order is None:
        raise Http404
    return _step(
        request,
        form=AuditForm(request.POST),
        invalid="審査結果を選んでください。",
        back=reverse("finance:inbox"),
        act=lambda data: services.audit_order(
            actor=person_of(request), order=order, approve=data["decision"] == "approve", note=data["note"]
        ),
    )


@require_POST
@staff_page
def pay_view(request: HttpRequest) -> HttpResponse:
    back = reverse("finance:inbox")
    form = PayForm(request.POST)
    orders, unknown = selectors.orders_by_numbers(request.POST.getlist("order"))
    if unknown:
        return _refused(request, ApplicationError(f"支出命令 {'、'.join(unknown[:5])} が見つかりません。"), back)
    if not form.is_valid():
        return _refused(request, ApplicationError("支払日と支払方法を入力してください。"), back)
    try:
        batch = services.pay_orders(
            actor=person_of(request),
            orders=orders,
            paid_on=form.cleaned_data["paid_on"],
            method=form.cleaned_data["method"],
        )
    except ApplicationError as exc:
        return _refused(request, exc, back)
    if batch.zengin_file:
        response = HttpResponse(bytes(batch.zengin_file), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="sogo-furikomi-{batch.pay_on:%Y%m%d}.txt"'
        return response
    return redirect(back)


@require_GET
@staff_page
def inbox_view(request: HttpRequest) -> HttpResponse:
    """承認待ち: what this person may do next, by duty (the services refuse anything else)."""
    actor = person_of(request)
    context = {
        "to_inspect": selectors.commitments_awaiting_inspection(exclude_actor=actor)[:100],
        "to_order": selectors.commitments_awaiting_order(exclude_actor=actor)[:100],
        "to_audit": selectors.orders_awaiting_audit(exclude_actor=actor)[:100],
        "to_pay": selectors.orders_awaiting_payment()[:100],
        "audit_form": AuditForm(),
        "pay_form": PayForm(initial={"paid_on": local_today(), "method": PaymentMethod.TRANSFER}),
        "nav": "inbox",
    }
    return render(request, "finance/inbox.html", context)


@require_http_methods(["GET", "POST"])
@staff_page
def transfer_view(request: HttpRequest) -> HttpResponse:
    """流用 (目・節 inside one 項)."""
    year = rules.fiscal_year_of(local_today())
    lines = selectors.lines_for_entry(year=year)
    done = None
    if request.method == "POST":
        form = TransferForm(request.POST, lines=lines)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.transfer_budget(
                    actor=person_of(request),
                    source=data["source"],
                    target=data["target"],
                    amount=data["amount"],
                    on=data["on"],
                    reason=data["reason"],
                )
            except ApplicationError as exc:
                _show(form, exc)
            else:
                done = f"{data['source'].label} から {data['target'].label} へ {data['amount']:,}円 を流用しました。"
                form = TransferForm(initial={"on": local_today()}, lines=lines)
    else:
        form = TransferForm(initial={"on": local_today()}, lines=lines)
    return render(
        request,
        "finance/transfer.html",
        {"form": form, "done": done, "nav": "transfer"},
        status=400 if form.errors else 200,
    )


@require_GET
@staff_page
def settlement_view(request: HttpRequest) -> HttpResponseBase:
    """歳入歳出決算書 of a closed year (page or PDF)."""
    year = _year(request)
    fiscal = selectors.fiscal_year_row(year=year)
    closed = fiscal is not None and fiscal.is_closed
    revenue = selectors.settlement(year=year, side=Side.REVENUE) if closed else []
    expenditure = selectors.settlement(year=year, side=Side.EXPENDITURE) if closed else []
    title = f"{rules.wareki_year(year)} 歳入歳出決算書"
    if closed and request.GET.get("format") == "pdf":
        header = [
            "科目",
            "名称",
            "予算現額",
            "調定額/支出済額",
            "収入済額/翌年度繰越額",
            "不納欠損額/不用額",
            "収入未済額",
        ]
        rows = [
            [
                r.code,
                r.name,
                f"{r.current_budget:,}",
                f"{r.assessed:,}",
                f"{r.received:,}",
                f"{r.written_off:,}",
                f"{r.uncollected:,}",
            ]
            for r in revenue
        ]
        rows += [
            [r.code, r.name, f"{r.current_budget:,}", f"{r.paid:,}", f"{r.carried_out:,}", f"{r.unused:,}", ""]
            for r in expenditure
        ]
        return _pdf(pdf.execution_table(title, _town(), header, rows), f"settlement-{year}.pdf")
    context = {
        "title": title,
        "year": year,
        "closed": closed,
        "revenue": revenue,
        "expenditure": expenditure,
        "nav": "settlement",
    }
    return render(request, "finance/settlement.html", context)


@require_GET
@staff_page
def payment_notice_view(request: HttpRequest, number: str) -> HttpResponse:
    """納入通知書 (PDF) of a 調定."""
    assessment = selectors.assessment_by_number(number)
    if assessment is None:
        raise Http404
    return _pdf(pdf.payment_notice(assessment, town=_town()), f"{number}.pdf")


@require_http_methods(["GET", "POST"])
@staff_page
def cost_sharing_view(request: HttpRequest) -> HttpResponse:
    """協議会負担金 (council host): the plan of a year line by line with its inputs; 試算, 承認 and 計上."""
    year = _year(request) if request.method == "GET" else int(request.POST.get("year", "0") or 0)
    error = None
    if request.method == "POST":
        actor = person_of(request)
        action = request.POST.get("action", "")
        try:
            if action == "calculate":
                services.calculate_cost_sharing(
                    actor=actor,
                    fiscal_year=year,
                    total_cost=parse_yen(request.POST.get("total_cost", "")),
                    budget_code=request.POST.get("budget_code", "02-01-01"),
                )
            else:
                plan = selectors.cost_sharing_plan(year=year)
                if plan is None:
                    raise Http404
                if action == "approve":
                    services.approve_cost_sharing(actor=actor, plan=plan)
                elif action == "post":
                    services.post_cost_sharing(actor=actor, plan=plan, committed_on=local_today())
        except ValueError:
            error = "経費は円単位の整数で入力してください。"
        except ApplicationError as exc:
            error = exc.message
        if error is None:
            return redirect(f"{reverse('finance:cost_sharing')}?year={year}")
    plan = selectors.cost_sharing_plan(year=year)
    context = {
        "year": year,
        "plan": plan,
        "lines": plan.lines.order_by("town_schema") if plan else [],
        "error": error,
        "nav": "cost_sharing",
    }
    return render(request, "finance/cost_sharing.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def school_view(request: HttpRequest) -> HttpResponse:
    """学校の予算: a teacher (or the school office) sees their own school's 配当 and 残額 and files 物品購入依頼;
    the school is that of their posting, never a parameter."""
    actor = person_of(request)
    error = None
    try:
        school = schools.school_of(actor)
    except ApplicationError as exc:
        return render(request, "finance/clerk_only.html", {"message": exc.message}, status=exc.status_code)
    if request.method == "POST":
        try:
            schools.request_purchase(
                actor=actor,
                item=request.POST.get("item", ""),
                quantity=int(request.POST.get("quantity") or 0),
                estimated_amount=parse_yen(request.POST.get("estimated_amount", "")),
                reason=request.POST.get("reason", ""),
            )
        except ValueError:
            error = "数量と見積額は整数で入力してください。"
        except ApplicationError as exc:
            error = exc.message
        if error is None:
            return redirect(reverse("finance:school"))
    year = rules.fiscal_year_of(local_today())
    allotted, committed = schools.school_balance(school.code, year=year)
    context = {
        "school": school,
        "year": year,
        "allotted": allotted,
        "committed": committed,
        "remaining": allotted - committed,
        "requests": selectors.purchase_requests(school_code=school.code),
        "error": error,
        "teacher": teacher_only(request_roles(request)),
    }
    return render(request, "finance/school.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@staff_page
def vendors_view(request: HttpRequest) -> HttpResponse:
    """債権者の登録と一覧. The list names corporations only: an individual's entry is personal data, shown by id."""
    error = None
    if request.method == "POST":
        fields = (
            "kind",
            "name",
            "name_kana",
            "corporate_number",
            "invoice_number",
            "address",
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "account_holder_kana",
        )
        try:
            services.register_vendor(actor=person_of(request), **{name: request.POST.get(name, "") for name in fields})
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect(reverse("finance:vendors"))
    context = {"vendors": selectors.vendor_list(), "error": error, "nav": "vendors", "posted": request.POST}
    return render(request, "finance/vendors.html", context, status=400 if error else 200)

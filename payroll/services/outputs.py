"""Files and lists of a locked run (docs/domain/payroll.md §8): the 給与振込 file, the 住民税 remittance list per
市町村 and the 共済 contribution list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from common import audit
from common.zengin import FileKind, Requester, RequesterBank, ZenginFile, ZenginRecord, build_file
from payroll.errors import MissingBankAccount, PayrollInputError, RunStateError
from payroll.models import PayRun, Payslip, PayslipLine
from payroll.parameters import PAYER_BANK, text_setting


def _payer(run: PayRun) -> tuple[Requester, RequesterBank]:
    parts = [part.strip() for part in text_setting(PAYER_BANK, run.paid_on).split(",")]
    if len(parts) != 6 or not all(parts):
        raise PayrollInputError(
            "給与振込の依頼人(依頼人コード,名カナ,銀行,支店,種目,口座)が設定されていません。",
            code="payroll_payer_missing",
        )
    code, name, bank, branch, kind, account = parts
    return Requester(code=code, name=name), RequesterBank(
        code=bank, branch_code=branch, account_type=kind, account_number=account
    )


def build_transfer_file(*, actor: Any, run: PayRun) -> bytes:
    """The 全銀 給与振込 (11) or 賞与振込 (12) file of a locked run. A staff member with no account stops the file."""
    run = PayRun.objects.get(pk=run.pk)
    if not run.locked:
        raise RunStateError("確定した給与計算だけ振込データを作成できます。")
    requester, bank = _payer(run)
    slips = list(Payslip.objects.filter(run=run, net__gt=0).select_related("staff").order_by("staff_number"))
    missing = [
        s.staff_number for s in slips if not (s.staff.bank_code and s.staff.branch_code and s.staff.account_number)
    ]
    if missing:
        raise MissingBankAccount(
            "振込先口座が登録されていない職員がいます: " + "、".join(missing[:10]), details={"staff": missing}
        )
    records = [
        ZenginRecord(
            bank_code=s.staff.bank_code,
            branch_code=s.staff.branch_code,
            account_type=s.staff.account_type,
            account_number=s.staff.account_number,
            name=s.staff.account_holder_kana or s.staff.name_kana,
            amount=s.net,
        )
        for s in slips
    ]
    kind = FileKind.BONUS if run.kind == PayRun.Kind.BONUS else FileKind.SALARY
    with transaction.atomic():
        result = build_file(ZenginFile(kind=kind, requester=requester, date=run.paid_on, bank=bank, records=records))
        audit.record(
            actor=actor,
            action="payroll.transfer_file",
            obj=run,
            purpose="給与振込データの作成",
            personal_data=True,
            details={"records": len(records), "total": sum(r.amount for r in records)},
        )
    return result.data


@dataclass(frozen=True)
class Remittance:
    city_code: str
    city_name: str
    staff_count: int
    amount: int


def resident_tax_remittances(*, run: PayRun) -> list[Remittance]:
    """住民税 to remit per 市町村 for a run (by the 10th of the following month)."""
    from payroll.models import ResidentTaxNotice

    names = dict(ResidentTaxNotice.objects.values_list("city_code", "city_name"))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for city, amount in PayslipLine.objects.filter(payslip__run=run, code="resident_tax").values_list("note", "amount"):
        totals[city][0] += 1
        totals[city][1] += amount
    return [Remittance(code, names.get(code, ""), count, amount) for code, (count, amount) in sorted(totals.items())]


def kyosai_list(*, run: PayRun) -> list[dict[str, Any]]:
    """共済 contributions per staff member: each 掛金 (employee) and the employer's share."""
    rows: dict[int, dict[str, Any]] = {}
    for slip in Payslip.objects.filter(run=run).order_by("staff_number"):
        rows[slip.pk] = {
            "staff_number": slip.staff_number,
            "standard": slip.standard_remuneration,
            "employer": slip.employer_kyosai,
        }
    for slip_id, code, amount in PayslipLine.objects.filter(payslip__run=run, code__startswith="kyosai_").values_list(
        "payslip_id", "code", "amount"
    ):
        rows[slip_id][code] = amount
    return [row for row in rows.values() if row["standard"]]

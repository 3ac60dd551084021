"""The budget: fiscal years, the 款項目節 tree, 当初・補正 versions, 流用, 予備費充用, 繰越 and 決算.

Rules: docs/domain/finance.md §2–§4.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import transaction
from django.utils import timezone

from common import audit, town_settings
from common.dates import local_today
from finance import rules
from finance.errors import (
    BudgetExceeded,
    BudgetVersionInvalid,
    FinanceError,
    InvalidBudgetCode,
    OutsideFiscalPeriod,
    TransferRefused,
)
from finance.models import (
    Account,
    AccountKind,
    BudgetAmount,
    BudgetLine,
    BudgetVersion,
    EntryKind,
    FiscalYear,
    Side,
    Subject,
)
from finance.services.common import (
    GENERAL_ACCOUNT,
    actor_name,
    figures,
    fiscal_year,
    journal_line,
    lock_lines,
    post,
    require_available,
    require_open,
    require_role,
)
from tenants.models import Person, Role

NO_TRANSFER_SETSU = "finance.no_transfer_setsu"
SETTINGS = (
    town_settings.SettingSpec(
        NO_TRANSFER_SETSU,
        "流用により増額できない節(カンマ区切り)",
        "text",
        "09",
        "例: 09(交際費)。予算の執行方針で流用を禁じる節の番号を2桁で。",
    ),
)


def no_transfer_setsu(on: date) -> frozenset[str]:
    value = town_settings.setting_in_force(NO_TRANSFER_SETSU, on=on)
    return frozenset(part.strip().zfill(2) for part in value.replace("、", ",").split(",") if part.strip())


def open_account(*, actor: Person | None, code: str, name: str, kind: str = AccountKind.SPECIAL) -> Account:
    code = rules.require_two_digits(code, what="会計")
    if kind not in AccountKind.values:
        raise FinanceError(f"会計の種別が正しくありません: {kind}")
    with transaction.atomic():
        if Account.objects.filter(code=code).exists():
            raise FinanceError(f"会計コード {code} は既に使われています。", code="finance_account_exists")
        created = Account.objects.create(code=code, name=name.strip(), kind=kind)
        audit.record(actor=actor, action="finance.account_open", obj=created, details={"code": code})
    return created


def open_fiscal_year(*, actor: Person | None, year: int, account_code: str = GENERAL_ACCOUNT) -> FiscalYear:
    with transaction.atomic():
        target = Account.objects.filter(code=account_code).first()
        if target is None:
            if account_code != GENERAL_ACCOUNT:
                raise FinanceError(f"会計コード {account_code} の会計がありません。")
            target = Account.objects.create(code=GENERAL_ACCOUNT, name="一般会計", kind=AccountKind.GENERAL)
        created, made = FiscalYear.objects.get_or_create(account=target, year=year)
        if made:
            audit.record(actor=actor, action="finance.year_open", obj=created, details={"year": year})
    return created


def add_subject(
    *, actor: Person | None, year: FiscalYear, side: str, code: str, name: str, is_reserve: bool = False
) -> Subject:
    """A 款 ("02"), 項 ("02-01") or 目 ("02-01-01"); its parent must exist."""
    require_open(year)
    if side not in Side.values:
        raise InvalidBudgetCode(f"歳入・歳出の区分が正しくありません: {side}")
    parts = rules.parse_budget_code(code)
    name = (name or "").strip()
    if not name:
        raise InvalidBudgetCode("科目名を入力してください。")
    with transaction.atomic():
        parent = None
        if len(parts) > 1:
            parent = Subject.objects.filter(fiscal_year=year, side=side, code="-".join(parts[:-1])).first()
            if parent is None:
                raise InvalidBudgetCode(f"上位の科目 {'-'.join(parts[:-1])} がありません。")
        if Subject.objects.filter(fiscal_year=year, side=side, code=code).exists():
            raise InvalidBudgetCode(f"科目コード {code} は既にあります。", code="finance_subject_exists")
        subject = Subject.objects.create(
            fiscal_year=year,
            side=side,
            level=len(parts),
            parent=parent,
            code=code,
            name=name,
            is_reserve=is_reserve or bool(parent and parent.is_reserve),
        )
        audit.record(actor=actor, action="finance.subject_add", obj=subject, details={"code": code, "side": side})
    return subject


def add_budget_line(
    *,
    actor: Person | None,
    moku: Subject,
    setsu: str,
    saisetsu: str = "",
    name: str = "",
    department_code: str = "",
    department_name: str = "",
) -> BudgetLine:
    """A 節 under a 目: an expenditure 節 is one of the fixed 27; a town may add 細節 below it."""
    require_open(moku.fiscal_year)
    if moku.level != 3:
        raise InvalidBudgetCode("節は目の下にのみ置けます。")
    if moku.side == Side.EXPENDITURE:
        setsu = rules.require_setsu(setsu)
        name = name.strip() or rules.EXPENDITURE_SETSU[setsu]
    else:
        setsu = rules.require_two_digits(setsu, what="節")
        name = name.strip()
        if not name:
            raise InvalidBudgetCode("歳入の節には名称を入力してください。")
    if saisetsu:
        saisetsu = rules.require_two_digits(saisetsu, what="細節")
    with transaction.atomic():
        exists = BudgetLine.objects.filter(
            fiscal_year=moku.fiscal_year, side=moku.side, budget_code=moku.code, setsu=setsu, saisetsu=saisetsu
        ).exists()
        if exists:
            raise InvalidBudgetCode(f"{moku.code} 節 {setsu} は既にあります。", code="finance_line_exists")
        line = BudgetLine.objects.create(
            fiscal_year=moku.fiscal_year,
            side=moku.side,
            moku=moku,
            budget_code=moku.code,
            setsu=setsu,
            saisetsu=saisetsu,
            name=name,
            department_code=department_code,
            department_name=department_name,
        )
        audit.record(actor=actor, action="finance.line_add", obj=line, details={"line": str(line)})
    return line


def _check_version(*, year: FiscalYear, number: int, amounts: Mapping[BudgetLine, int]) -> None:
    """The next number of the year, and each amount a whole yen on a 節 of the year (never negative in the 当初)."""
    versions = list(BudgetVersion.objects.filter(fiscal_year=year).values_list("number", flat=True))
    expected = max(versions) + 1 if versions else 0
    if number != expected:
        label = "当初予算" if expected == 0 else f"補正予算第{expected}号"
        raise BudgetVersionInvalid(f"次に登録できるのは{label}です(指定: 第{number}号)。")
    for line, amount in amounts.items():
        if line.fiscal_year_id != year.pk:
            raise BudgetVersionInvalid(f"{line.label} は{rules.wareki_year(year.year)}の科目ではありません。")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise BudgetVersionInvalid(f"{line.label} の金額は円単位の整数で入力してください。")
        if number == 0 and amount < 0:
            raise BudgetVersionInvalid(f"当初予算の額に負の値は入力できません({line.label})。")


def enact_budget(
    *,
    actor: Person,
    year: FiscalYear,
    number: int,
    decided_on: date,
    amounts: Mapping[BudgetLine, int],
    note: str = "",
) -> BudgetVersion:
    """Record the 当初予算 (number 0) or 補正予算第n号 as passed by the council: its own version, and a journal
    line per 節. A 補正 may lower a 節, but never below what is already committed on it."""
    require_role(actor, Role.FINANCE_OFFICER, doing="予算の登録")
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise BudgetVersionInvalid("予算の号は0(当初)以上の整数で指定してください。")
    if not amounts:
        raise BudgetVersionInvalid("予算額を1件以上入力してください。")
    with transaction.atomic():
        year = fiscal_year(year.year, account_code=year.account.code, lock=True)
        require_open(year)
        _check_version(year=year, number=number, amounts=amounts)
        locked = lock_lines(amounts)
        version = BudgetVersion.objects.create(
            fiscal_year=year,
            number=number,
            decided_on=decided_on,
            note=note,
            created_by_id=actor.pk,
            created_by_name=actor_name(actor),
        )
        lines = []
        for given, amount in sorted(amounts.items(), key=lambda item: item[0].pk):
            line = locked[given.pk]
            if amount < 0:
                current = figures(line)
                if current.available + amount < 0:
                    raise BudgetExceeded(
                        f"{line.label} は減額 {-amount:,}円 により予算現額が負担行為済額を下回ります"
                        f"(予算現額 {current.current_budget:,}円、負担行為済額 {current.committed:,}円)。"
                    )
            BudgetAmount.objects.create(version=version, line=line, amount=amount)
            lines.append(
                journal_line(
                    actor=actor,
                    line=line,
                    kind=EntryKind.BUDGET,
                    amount=amount,
                    posted_on=decided_on,
                    source_type="budget",
                    source_number=f"{year.year}-{number:02d}",
                    memo=str(version),
                )
            )
        post(lines)
        audit.record(
            actor=actor,
            action="finance.budget_enact",
            obj=version,
            details={"year": year.year, "number": number, "lines": len(lines), "total": sum(amounts.values())},
        )
    return version


def transfer_budget(
    *, actor: Person, source: BudgetLine, target: BudgetLine, amount: int, on: date, reason: str
) -> None:
    """流用: between 目 or 節 inside one 項 (地方自治法 第220条第2項, the budget's 流用 clause); never into a 節 the
    town's execution rules exclude (e.g. 09 交際費)."""
    require_role(actor, Role.FINANCE_OFFICER, doing="予算の流用")
    amount = rules.require_amount(amount)
    if not reason.strip():
        raise TransferRefused("流用の理由を入力してください。")
    if source.pk == target.pk:
        raise TransferRefused("流用元と流用先が同じ節です。")
    if source.fiscal_year_id != target.fiscal_year_id or source.side != Side.EXPENDITURE or target.side != source.side:
        raise TransferRefused("流用は同じ年度・同じ会計の歳出予算の中でのみできます。")
    if source.budget_code.rsplit("-", 1)[0] != target.budget_code.rsplit("-", 1)[0]:
        raise TransferRefused(
            f"流用は同じ項の中の目・節の間でのみできます({source.budget_code} と {target.budget_code} は項が違います)。"
            "項の間の移用は予算の定めと議決が必要です。"
        )
    if target.setsu in no_transfer_setsu(on):
        raise TransferRefused(
            f"節 {target.setsu} {rules.EXPENDITURE_SETSU.get(target.setsu, '')} へは流用できません(町の予算執行方針)。"
        )
    _move_budget(
        actor=actor,
        source=source,
        target=target,
        amount=amount,
        on=on,
        reason=reason,
        kind=EntryKind.TRANSFER,
        action="finance.budget_transfer",
        doing="流用",
    )


def apply_reserve(*, actor: Person, source: BudgetLine, target: BudgetLine, amount: int, on: date, reason: str) -> None:
    """予備費充用 (地方自治法 第217条): from the 予備費 款 to any other 歳出 節 of the same year."""
    require_role(actor, Role.FINANCE_OFFICER, doing="予備費の充用")
    amount = rules.require_amount(amount)
    if not reason.strip():
        raise TransferRefused("充用の理由を入力してください。")
    if not source.moku.is_reserve:
        raise TransferRefused("充用元は予備費の科目を指定してください。")
    if target.moku.is_reserve or target.side != Side.EXPENDITURE or target.fiscal_year_id != source.fiscal_year_id:
        raise TransferRefused("充用先は同じ年度の予備費以外の歳出の節を指定してください。")
    _move_budget(
        actor=actor,
        source=source,
        target=target,
        amount=amount,
        on=on,
        reason=reason,
        kind=EntryKind.RESERVE,
        action="finance.reserve_apply",
        doing="充用",
    )


def _move_budget(
    *,
    actor: Person,
    source: BudgetLine,
    target: BudgetLine,
    amount: int,
    on: date,
    reason: str,
    kind: str,
    action: str,
    doing: str,
) -> None:
    with transaction.atomic():
        locked = lock_lines([source, target])
        source, target = locked[source.pk], locked[target.pk]
        require_open(source.fiscal_year)
        if not rules.in_year(source.fiscal_year.year, on):
            raise OutsideFiscalPeriod(
                f"{doing}の日付は{rules.wareki_year(source.fiscal_year.year)}の中の日付にしてください。"
            )
        require_available(source, amount, doing=doing)
        number = f"{source.fiscal_year.year}-{kind}-{on:%m%d}"
        memo = f"{doing}: {source.label} → {target.label} {reason}"
        post(
            [
                journal_line(
                    actor=actor,
                    line=source,
                    kind=kind,
                    amount=-amount,
                    posted_on=on,
                    source_type=kind,
                    source_number=number,
                    memo=memo,
                ),
                journal_line(
                    actor=actor,
                    line=target,
                    kind=kind,
                    amount=amount,
                    posted_on=on,
                    source_type=kind,
                    source_number=number,
                    memo=memo,
                ),
            ]
        )
        audit.record(
            actor=actor,
            action=action,
            obj=target,
            details={"from": source.label, "to": target.label, "amount": amount, "reason": reason},
        )


def carry_forward(*, actor: Person, line: BudgetLine, amount: int, kind: str, reason: str) -> BudgetLine:
    """繰越明許費 (地方自治法 第213条) or 事故繰越 (第220条第3項ただし書): the unspent amount moves into the next
    year's same 目・節 (created there if the next year's tree lacks it)."""
    require_role(actor, Role.FINANCE_OFFICER, doing="繰越")
    amount = rules.require_amount(amount)
    if kind not in ("明許", "事故"):
        raise TransferRefused("繰越の種類は「明許」(繰越明許費)または「事故」(事故繰越)を指定してください。")
    with transaction.atomic():
        line = lock_lines([line])[line.pk]
        old_year = line.fiscal_year
        require_open(old_year)
        require_available(line, amount, doing="繰越")
        next_year = FiscalYear.objects.get_or_create(account=old_year.account, year=old_year.year + 1)[0]
        require_open(next_year)
        target = _same_line_in(next_year, line)
        number = f"{old_year.year}-carry-{line.pk}"
        memo = f"{'繰越明許費' if kind == '明許' else '事故繰越'}: {reason}"
        post(
            [
                journal_line(
                    actor=actor,
                    line=line,
                    kind=EntryKind.CARRY_OUT,
                    amount=amount,
                    posted_on=rules.year_end(old_year.year),
                    source_type="carry",
                    source_number=number,
                    memo=memo,
                ),
                journal_line(
                    actor=actor,
                    line=target,
                    kind=EntryKind.CARRY_IN,
                    amount=amount,
                    posted_on=rules.year_start(next_year.year),
                    source_type="carry",
                    source_number=number,
                    memo=memo,
                ),
            ]
        )
        audit.record(
            actor=actor,
            action="finance.carry_forward",
            obj=target,
            details={"from_year": old_year.year, "line": line.label, "amount": amount, "kind": kind},
        )
    return target


def _same_line_in(year: FiscalYear, line: BudgetLine) -> BudgetLine:
    parent = None
    parts = line.budget_code.split("-")
    for level in range(1, 4):
        code = "-".join(parts[:level])
        old = Subject.objects.get(fiscal_year=line.fiscal_year, side=line.side, code=code)
        parent, _ = Subject.objects.get_or_create(
            fiscal_year=year,
            side=line.side,
            code=code,
            defaults={"level": level, "parent": parent, "name": old.name, "is_reserve": old.is_reserve},
        )
    target, _ = BudgetLine.objects.get_or_create(
        fiscal_year=year,
        side=line.side,
        budget_code=line.budget_code,
        setsu=line.setsu,
        saisetsu=line.saisetsu,
        defaults={
            "moku": parent,
            "name": line.name,
            "department_code": line.department_code,
            "department_name": line.department_name,
        },
    )
    return target


def close_fiscal_year(*, actor: Person, year: FiscalYear, today: date | None = None) -> FiscalYear:
    """決算: after the 出納閉鎖 (31 May) the year is locked; nothing can be created, changed or cancelled in it."""
    require_role(actor, Role.ACCOUNTANT, doing="決算")
    today = today or local_today()
    if today <= rules.closing_period_end(year.year):
        raise OutsideFiscalPeriod(
            f"{rules.wareki_year(year.year)}の出納整理期間は{rules.closing_period_end(year.year):%Y-%m-%d}まで"
            "のため、まだ決算できません。"
        )
    with transaction.atomic():
        year = fiscal_year(year.year, account_code=year.account.code, lock=True)
        require_open(year)
        year.closed_at = timezone.now()
        year.closed_by_id = actor.pk
        year.closed_by_name = actor_name(actor)
        year.save(update_fields=["closed_at", "closed_by_id", "closed_by_name"])
        audit.record(actor=actor, action="finance.year_close", obj=year, details={"year": year.year})
    return year

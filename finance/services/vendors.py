"""債権者 (vendors and payees): identifiers checked with python-stdnum, bank accounts against the 全銀協 master.

An individual payee's entry is personal data: it is read through ``finance.selectors.view_vendor`` (audited,
with a purpose) and written here with ``personal_data=True``.
"""

from __future__ import annotations

import unicodedata

from django.db import transaction
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.jp import cn

from common import audit
from common.zengin import master
from finance.errors import VendorInvalid
from finance.models import Vendor, VendorKind
from finance.services.common import require_role
from tenants.models import Person, Role

ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def clean_corporate_number(value: str) -> str:
    """法人番号: 13 digits, the first a check digit (stdnum.jp.cn)."""
    value = _fold(value).replace("-", "").replace(" ", "")
    if not value:
        return ""
    try:
        return str(cn.validate(value))
    except StdnumError:
        raise VendorInvalid(
            f"法人番号 {value} は正しくありません(13桁、先頭がチェックデジット)。",
            code="finance_invalid_corporate_number",
            details={"field": "corporate_number"},
        ) from None


def clean_invoice_number(value: str) -> str:
    """インボイス登録番号 (適格請求書発行事業者登録番号): "T" + 13 digits whose check digit is the 法人番号's rule."""
    value = _fold(value).replace("-", "").replace(" ", "").upper()
    if not value:
        return ""
    if not value.startswith("T") or not value[1:].isdigit() or len(value) != 14 or not cn.is_valid(value[1:]):
        raise VendorInvalid(
            f"インボイス登録番号 {value} は正しくありません(T + 13桁の数字、チェックデジットを確認してください)。",
            code="finance_invalid_invoice_number",
            details={"field": "invoice_number"},
        )
    return value


def clean_bank_account(
    *, bank_code: str, branch_code: str, account_type: str, account_number: str
) -> tuple[str, str, str, str]:
    bank_code, branch_code = _fold(bank_code), _fold(branch_code)
    account_type, account_number = _fold(account_type), _fold(account_number)
    if not (bank_code or branch_code or account_number):
        return "", "", "", ""
    if len(bank_code) != 4 or not bank_code.isdigit():
        raise VendorInvalid(
            f"金融機関コードは4桁の数字です(入力: {bank_code or '空欄'})。",
            code="finance_invalid_bank_code",
            details={"field": "bank_code"},
        )
    if len(branch_code) != 3 or not branch_code.isdigit():
        raise VendorInvalid(
            f"支店コードは3桁の数字です(入力: {branch_code or '空欄'})。",
            code="finance_invalid_branch_code",
            details={"field": "branch_code"},
        )
    if not master.bank_exists(bank_code):
        raise VendorInvalid(
            f"金融機関コード {bank_code} は全銀協の金融機関マスタにありません。",
            code="finance_unknown_bank",
            details={"field": "bank_code"},
        )
    if not master.branch_exists(bank_code, branch_code):
        raise VendorInvalid(
            f"支店コード {branch_code} は金融機関 {bank_code} の支店マスタにありません。",
            code="finance_unknown_branch",
            details={"field": "branch_code"},
        )
    if account_type not in ACCOUNT_TYPES:
        raise VendorInvalid(
            "預金種目は 1(普通)・2(当座)・4(貯蓄)・9(その他)から選んでください。",
            code="finance_invalid_account_type",
            details={"field": "account_type"},
        )
    if not account_number.isdigit() or not 1 <= len(account_number) <= 7:
        raise VendorInvalid(
            f"口座番号は7桁以内の数字です(入力: {account_number or '空欄'})。",
            code="finance_invalid_account_number",
            details={"field": "account_number"},
        )
    return bank_code, branch_code, account_type, account_number.zfill(7)


def register_vendor(
    *,
    actor: Person,
    kind: str,
    name: str,
    name_kana: str,
    corporate_number: str = "",
    invoice_number: str = "",
    address: str = "",
    bank_code: str = "",
    branch_code: str = "",
    account_type: str = "",
    account_number: str = "",
    account_holder_kana: str = "",
) -> Vendor:
    require_role(
        actor, Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.FINANCE_OFFICER, Role.ACCOUNTANT, doing="債権者の登録"
    )
    if kind not in VendorKind.values:
        raise VendorInvalid(f"債権者の区分が正しくありません: {kind}", details={"field": "kind"})
    name, name_kana = _fold(name), _fold(name_kana)
    if not name or not name_kana:
        raise VendorInvalid("名称とフリガナを入力してください。", details={"field": "name"})
    corporate = clean_corporate_number(corporate_number)
    if kind == VendorKind.INDIVIDUAL and corporate:
        raise VendorInvalid("個人の債権者には法人番号を登録できません。", details={"field": "corporate_number"})
    invoice = clean_invoice_number(invoice_number)
    if invoice and corporate and invoice[1:] != corporate:
        raise VendorInvalid(
            "法人のインボイス登録番号は T + 法人番号 です。",
            code="finance_invoice_mismatch",
            details={"field": "invoice_number"},
        )
    bank = clean_bank_account(
        bank_code=bank_code, branch_code=branch_code, account_type=account_type, account_number=account_number
    )
    with transaction.atomic():
        vendor = Vendor.objects.create(
            kind=kind,
            name=name,
            name_kana=name_kana,
            corporate_number=corporate,
            invoice_number=invoice,
            address=_fold(address),
            bank_code=bank[0],
            branch_code=bank[1],
            account_type=bank[2],
            account_number=bank[3],
            account_holder_kana=_fold(account_holder_kana) or name_kana,
        )
        individual = kind == VendorKind.INDIVIDUAL
        audit.record(
            actor=actor,
            action="finance.vendor_register",
            obj=vendor,
            personal_data=individual,
            purpose="債権者の登録" if individual else "",
            details={"kind": kind},
        )
    return vendor

"""債権者: 法人番号 and インボイス登録番号 by python-stdnum, bank codes by the 全銀協 master, audited reads."""

from __future__ import annotations

import pytest

from common.models import AuditEvent
from finance import selectors, services
from finance.errors import VendorInvalid
from finance.models import Vendor, VendorKind
from tests.finance.factories import People, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["in_nakatosa", "people"]  # fixtures


def register(people: People, **fields: str) -> Vendor:
    values = {"kind": VendorKind.CORPORATION, "name": "株式会社土佐文具", "name_kana": "ｶ)ﾄｻﾌﾞﾝｸﾞ"} | fields
    return services.register_vendor(actor=people.clerk, **values)


def test_a_valid_corporate_number_is_kept(people: People) -> None:
    assert register(people, corporate_number="7-0000-1205-0002").corporate_number == "7000012050002"


def test_a_wrong_check_digit_is_refused(people: People) -> None:
    with pytest.raises(VendorInvalid) as excinfo:
        register(people, corporate_number="8000012050002")
    assert excinfo.value.code == "finance_invalid_corporate_number"


def test_an_invoice_number_is_t_and_13_digits(people: People) -> None:
    assert register(people, invoice_number="t7000012050002").invoice_number == "T7000012050002"


@pytest.mark.parametrize("number", ["7000012050002", "T700001205000", "T8000012050002", "X7000012050002"])
def test_bad_invoice_numbers_are_refused(people: People, number: str) -> None:
    with pytest.raises(VendorInvalid):
        register(people, invoice_number=number)


def test_a_corporations_invoice_number_is_its_corporate_number(people: People) -> None:
    with pytest.raises(VendorInvalid):
        register(people, corporate_number="7000012050002", invoice_number="T5835678256246")


def test_a_bank_code_of_the_wrong_length_is_refused(people: People) -> None:
    with pytest.raises(VendorInvalid) as excinfo:
        register(people, bank_code="001", branch_code="001", account_type="1", account_number="1234567")
    assert excinfo.value.code == "finance_invalid_bank_code"


def test_an_unknown_bank_is_refused(people: People) -> None:
    with pytest.raises(VendorInvalid) as excinfo:
        register(people, bank_code="0002", branch_code="001", account_type="1", account_number="1234567")
    assert excinfo.value.code == "finance_unknown_bank"


def test_an_unknown_branch_is_refused(people: People) -> None:
    with pytest.raises(VendorInvalid) as excinfo:
        register(people, bank_code="0001", branch_code="999", account_type="1", account_number="1234567")
    assert excinfo.value.code == "finance_unknown_branch"


def test_a_short_account_number_is_padded(people: People) -> None:
    vendor = register(people, bank_code="0001", branch_code="001", account_type="1", account_number="12345")
    assert vendor.account_number == "0012345"


def test_a_refused_vendor_writes_nothing(people: People) -> None:
    with pytest.raises(VendorInvalid):
        register(people, corporate_number="123")
    assert Vendor.objects.count() == 0


def test_reading_an_individual_is_audited_with_the_purpose(people: People) -> None:
    vendor = register(people, kind=VendorKind.INDIVIDUAL, name="山田 太郎", name_kana="ﾔﾏﾀﾞ ﾀﾛｳ")
    selectors.view_vendor(actor=people.accountant, vendor=vendor, purpose="講師謝礼の支払確認")
    event = AuditEvent.objects.filter(action="finance.vendor_view").get()
    assert (event.personal_data, event.purpose) == (True, "講師謝礼の支払確認")


def test_an_individual_is_not_named_in_the_audit_trail(people: People) -> None:
    vendor = register(people, kind=VendorKind.INDIVIDUAL, name="山田 太郎", name_kana="ﾔﾏﾀﾞ ﾀﾛｳ")
    selectors.view_vendor(actor=people.accountant, vendor=vendor, purpose="講師謝礼の支払確認")
    assert "山田" not in AuditEvent.objects.filter(action="finance.vendor_view").get().object_repr


def test_reading_a_corporation_is_not_personal_data(people: People) -> None:
    vendor = register(people)
    selectors.view_vendor(actor=people.accountant, vendor=vendor, purpose="")
    assert not AuditEvent.objects.filter(action="finance.vendor_view").exists()

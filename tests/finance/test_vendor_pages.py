"""The 債権者 detail page behind the purpose gate, and the 伝票 entry's 債権者 picker (docs/domain/finance.md §8)."""

from __future__ import annotations

from typing import Any

import pytest

from common.models import AuditEvent
from common.purpose import UnauditedRead
from finance import selectors, services
from finance.models import Vendor, VendorKind
from tests.conftest import HOSTS, make_client
from tests.finance.factories import Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures


@pytest.fixture
def individual(people: People) -> Vendor:
    return services.register_vendor(
        actor=people.clerk, kind=VendorKind.INDIVIDUAL, name="山田 太郎", name_kana="ﾔﾏﾀﾞ ﾀﾛｳ", address="久礼1番地"
    )


@pytest.fixture
def corporation(people: People) -> Vendor:
    return services.register_vendor(
        actor=people.clerk, kind=VendorKind.CORPORATION, name="株式会社土佐文具", name_kana="ｶ)ﾄｻﾌﾞﾝｸﾞ"
    )


def page(people: People, vendor: Vendor, query: str = "") -> Any:
    return make_client(HOSTS["nakatosa"], people.accountant).get(f"/finance/vendors/{vendor.public_id}/{query}")


def test_an_individual_asks_for_the_purpose_first(people: People, individual: Vendor) -> None:
    assert "利用目的の入力" in page(people, individual).content.decode()


def test_an_individual_is_not_shown_without_a_purpose(people: People, individual: Vendor) -> None:
    assert "久礼1番地" not in page(people, individual).content.decode()


def test_no_read_is_audited_without_a_purpose(people: People, individual: Vendor) -> None:
    page(people, individual)
    assert not AuditEvent.objects.filter(action="finance.vendor_view").exists()


def test_an_individual_is_shown_with_a_purpose(people: People, individual: Vendor) -> None:
    client = make_client(HOSTS["nakatosa"], people.accountant)
    url = f"/finance/vendors/{individual.public_id}/"
    client.get(url, {"purpose": "講師謝礼の支払口座の確認"})
    assert "久礼1番地" in client.get(url).content.decode()


def test_the_read_is_audited_with_the_purpose(people: People, individual: Vendor) -> None:
    client = make_client(HOSTS["nakatosa"], people.accountant)
    url = f"/finance/vendors/{individual.public_id}/"
    client.get(url, {"purpose": "講師謝礼の支払口座の確認"})
    client.get(url)
    assert AuditEvent.objects.get(action="finance.vendor_view").purpose == "講師謝礼の支払口座の確認"


def test_the_audit_row_is_the_selectors(people: People, individual: Vendor, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a selector that does not audit, the gate refuses the page: the view writes no row of its own."""
    monkeypatch.setattr(selectors, "view_vendor", lambda **kwargs: {"name": "x"})
    client = make_client(HOSTS["nakatosa"], people.accountant)
    client.raise_request_exception = True
    url = f"/finance/vendors/{individual.public_id}/"
    client.get(url, {"purpose": "講師謝礼の支払口座の確認"})
    with pytest.raises(UnauditedRead):
        client.get(url)


def test_a_corporation_needs_no_purpose(people: People, corporation: Vendor) -> None:
    assert "株式会社土佐文具" in page(people, corporation).content.decode()


def test_an_unknown_vendor_is_not_found(people: People, individual: Vendor) -> None:
    client = make_client(HOSTS["nakatosa"], people.accountant)
    assert client.get("/finance/vendors/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_entry_picker_names_individuals(people: People, budget: Budget, individual: Vendor) -> None:
    body = make_client(HOSTS["nakatosa"], people.clerk).get("/finance/entry/").content.decode()
    assert "山田 太郎(" in body


def test_the_entry_picker_shows_no_address(people: People, budget: Budget, individual: Vendor) -> None:
    body = make_client(HOSTS["nakatosa"], people.clerk).get("/finance/entry/").content.decode()
    assert "久礼1番地" not in body


def test_the_entry_picker_is_one_audited_read_per_list(people: People, budget: Budget, individual: Vendor) -> None:
    make_client(HOSTS["nakatosa"], people.clerk).get("/finance/entry/")
    event = AuditEvent.objects.get(action="finance.vendor_picker")
    assert (event.personal_data, event.purpose) == (True, selectors.ENTRY_PICKER_PURPOSE)


def test_a_picker_of_corporations_only_is_not_audited(people: People, budget: Budget, corporation: Vendor) -> None:
    make_client(HOSTS["nakatosa"], people.clerk).get("/finance/entry/")
    assert not AuditEvent.objects.filter(action="finance.vendor_picker").exists()


def test_a_commitment_names_the_picked_individual(people: People, budget: Budget, individual: Vendor) -> None:
    client = make_client(HOSTS["nakatosa"], people.clerk)
    data = {
        "committed_on": "2026-11-27",
        "line": budget.supplies.pk,
        "vendor": individual.pk,
        "amount": "10,000",
        "purpose": "講師謝礼",
        "kind": "normal",
    }
    client.post("/finance/entry/", data)
    assert individual.commitments.get().amount == 10_000

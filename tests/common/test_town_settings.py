"""Per-town settings with a 施行日 (docs/domain/town-settings.md): one read, values never overwritten, the
town's IT staff add them in the town's admin with an audit row, and every certificate reads them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from common import town_settings
from common.errors import ValidationFailed
from common.models import AuditEvent, TownSetting
from koseki import certificates
from koseki.models import CertificateKind
from resident_records.certificates import verification_url
from tenants.models import Person

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def it_admin(db: Any) -> Person:
    return Person.objects.get(username="it_admin")


@pytest.fixture
def in_nakatosa(db: Any) -> Any:
    with schema_context("nakatosa"), time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        yield


def test_the_value_in_force_follows_the_effective_date(in_nakatosa: None, it_admin: Person) -> None:
    assert town_settings.setting_in_force("koseki.fee_fuhyo") == "300"  # the registered default
    town_settings.record_setting(
        actor=it_admin, key="koseki.fee_fuhyo", value="350", effective_from=date(2027, 4, 1), basis="手数料条例改正"
    )
    assert town_settings.int_setting_in_force("koseki.fee_fuhyo", on=date(2027, 3, 31)) == 300
    assert town_settings.int_setting_in_force("koseki.fee_fuhyo", on=date(2027, 4, 1)) == 350
    assert certificates.fee_for(CertificateKind.FUHYO, closed=False, on=date(2027, 4, 1)) == 350
    assert certificates.fee_for(CertificateKind.FULL, closed=True, on=date(2027, 4, 1)) == 750


def test_a_value_is_never_overwritten_nor_backdated(in_nakatosa: None, it_admin: Person) -> None:
    town_settings.record_setting(
        actor=it_admin, key=town_settings.MAYOR_NAME, value="池田　洋光", effective_from=date(2026, 11, 27)
    )
    with pytest.raises(ValidationFailed) as same_day:
        town_settings.record_setting(
            actor=it_admin, key=town_settings.MAYOR_NAME, value="別人", effective_from=date(2026, 11, 27)
        )
    assert same_day.value.code == "setting_exists"
    with pytest.raises(ValidationFailed) as past:
        town_settings.record_setting(
            actor=it_admin, key="koseki.fee_koseki", value="500", effective_from=date(2026, 1, 1)
        )
    assert past.value.code == "setting_in_the_past"
    with pytest.raises(ValidationFailed) as not_yen:
        town_settings.record_setting(
            actor=it_admin, key="koseki.fee_koseki", value="四百五十", effective_from=date(2026, 12, 1)
        )
    assert not_yen.value.code == "invalid_setting_value"
    assert TownSetting.objects.count() == 1
    assert town_settings.setting_in_force(town_settings.MAYOR_NAME) == "池田　洋光"


def test_settings_are_per_town(db: Any, it_admin: Person) -> None:
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        with schema_context("nakatosa"):
            town_settings.record_setting(
                actor=it_admin,
                key=town_settings.PUBLIC_URL,
                value="https://kyodo.town.nakatosa.lg.jp/",
                effective_from=date(2026, 11, 27),
            )
            assert verification_url() == "https://kyodo.town.nakatosa.lg.jp/verify/"
        with schema_context("shimanto"):
            assert town_settings.setting_in_force(town_settings.PUBLIC_URL) == ""
            assert not verification_url().startswith("https://kyodo.town.nakatosa.lg.jp")


def test_it_staff_add_a_value_in_the_town_admin_with_an_audit_row(client_for: Any) -> None:
    client = client_for("it_admin", "nakatosa")
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        response = client.post(
            "/admin/common/townsetting/add/",
            {
                "key": town_settings.MAYOR_NAME,
                "value": "池田　洋光",
                "effective_from": "2026-12-01",
                "basis": "町長選挙",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        refused = client.post(
            "/admin/common/townsetting/add/",
            {"key": "koseki.fee_koseki", "value": "500", "effective_from": "2020-01-01", "basis": ""},
        )
        assert refused.status_code == 200
        assert "施行日に過去の日付は指定できません" in refused.content.decode()
        with schema_context("nakatosa"):
            row = TownSetting.objects.get()
            event = AuditEvent.objects.filter(action="town_setting.record").get()
            admin_rows = AuditEvent.objects.filter(action="admin.add", object_type="common.TownSetting").count()
        assert (row.key, row.value) == (town_settings.MAYOR_NAME, "池田　洋光")
        assert row.recorded_by_name != ""
        assert event.actor_username == "it_admin"
        assert event.details["value"] == "池田　洋光"
        assert admin_rows == 0  # one audit row, written by the service
        delete = client.post(f"/admin/common/townsetting/{row.pk}/delete/", {"post": "yes"})
        change = client.post(
            f"/admin/common/townsetting/{row.pk}/change/",
            {"key": town_settings.MAYOR_NAME, "value": "x", "effective_from": "2026-12-01"},
        )
    assert delete.status_code == 403
    assert change.status_code == 403
    with schema_context("nakatosa"):
        assert TownSetting.objects.get().value == "池田　洋光"


def test_certificates_print_the_mayor_and_charge_the_town_s_fees(in_nakatosa: None, it_admin: Person) -> None:
    from tests.resident_records.test_certificates import issue, move_in, pages_of, squash

    clerk = Person.objects.get(username="tanaka")
    town_settings.record_setting(
        actor=it_admin, key=town_settings.MAYOR_NAME, value="池田　洋光", effective_from=date(2026, 11, 27)
    )
    town_settings.record_setting(
        actor=it_admin, key="resident_records.fee_certificate", value="350", effective_from=date(2026, 11, 27)
    )
    issuance, document = issue(clerk, household=move_in(clerk))
    # No fee stated by the clerk: the one the town's 手数料条例 sets today.
    assert issuance.fee == 350
    assert "中土佐町長池田洋光" in squash("".join(pages_of(document)))


def test_a_koseki_certificate_names_the_mayor_in_force_and_charges_the_fee(in_nakatosa: None, it_admin: Person) -> None:
    from tests.koseki.factories import yamada_family
    from tests.koseki.test_certificates import issue, printed

    clerk = Person.objects.get(username="tanaka")
    town_settings.record_setting(
        actor=it_admin, key=town_settings.MAYOR_NAME, value="池田　洋光", effective_from=date(2026, 11, 27)
    )
    town_settings.record_setting(actor=it_admin, key="koseki.fee_koseki", value="500", effective_from=date(2026, 12, 1))
    koseki = yamada_family()
    today = issue(clerk, koseki)
    assert "中土佐町長池田洋光" in printed(today.pdf)
    assert today.issuance.fee == 450  # the new fee is in force from 12月1日
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=TOKYO), tick=False):
        later = issue(clerk, koseki)
    assert later.issuance.fee == 500

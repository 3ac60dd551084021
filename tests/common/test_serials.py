"""One allocator for every certificate's 発行番号 (common.serials): gapless per year, a rollback gives it back."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from common.serials import next_yearly_serial
from koseki.models import CertificateSerial as KosekiSerial
from resident_records.models import CertificateSerial as ResidentSerial

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("counter", [ResidentSerial, KosekiSerial], ids=["resident_records", "koseki"])
def test_numbers_are_gapless_per_year_and_a_rollback_gives_one_back(counter: type) -> None:
    with schema_context("nakatosa"):
        assert next_yearly_serial(counter, year=2031) == 1
        assert next_yearly_serial(counter, year=2031) == 2
        with pytest.raises(RuntimeError), transaction.atomic():
            assert next_yearly_serial(counter, year=2031) == 3
            raise RuntimeError("the issuance failed")
        assert next_yearly_serial(counter, year=2031) == 3
        assert next_yearly_serial(counter, year=2032) == 1

"""住民基本台帳の一部の写しの閲覧 (住基法 第11条, 第11条の2): the four items of residents of an area.

Only 氏名, 出生の年月日, 男女の別 and 住所 are shown. Persons under 支援措置 for 閲覧 — the 支援対象者 and
accompanying persons, lapsed measures included — and the other members of their households are left out of the
list (標準仕様書 §1.1.16, docs/domain/support_measures.md), and the list gives no hint that anyone was left out.
Every list is audited with the requester and purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common import audit
from common.errors import ValidationFailed
from resident_records import disclosure
from resident_records.models import Resident, ResidentStatus, SupportScope
from tenants.models import Person


@dataclass(frozen=True)
class InspectionRow:
    name: str
    birth_date: date
    sex: str
    address: str


def blocked_for_inspection() -> set[int]:
    """Ids of residents whose entries must not be shown for 閲覧 now: the persons a 支援措置 of scope 閲覧 covers
    (``disclosure.protected_resident_ids``, the same rule as every other check) and every other member of their
    households — the list shows who lives at an address, so a household member listed there would reveal the
    protected person's address (docs/domain/support_measures.md, 住基法 第11条の2第1項)."""
    protected = disclosure.protected_resident_ids(scope=SupportScope.INSPECTION)
    if not protected:
        return set()
    households = Resident.objects.filter(pk__in=protected).values("household_id")
    housemates = Resident.objects.filter(household_id__in=households).values_list("pk", flat=True)
    return protected | set(housemates)


def prepare_inspection_list(
    *,
    actor: Person | None,
    requester: str,
    purpose: str,
    area: str,
    born_from: date | None = None,
    born_to: date | None = None,
) -> list[InspectionRow]:
    """The list shown to a requester entitled under 住基法 第11条の2 (e.g. a public-opinion survey)."""
    requester, purpose, area = requester.strip(), purpose.strip(), " ".join(area.split())
    errors = {}
    if not requester:
        errors["requester"] = "閲覧の申出者を入力してください。"
    if not purpose:
        errors["purpose"] = "閲覧の目的を入力してください。"
    if len(area) < 2:
        errors["area"] = "閲覧する区域(住所の先頭部分)を2文字以上入力してください。"
    if born_from and born_to and born_from > born_to:
        errors["born_to"] = "生年月日の範囲が逆になっています。"
    if errors:
        raise ValidationFailed("閲覧の申出内容に誤りがあります。", details=errors)
    residents = Resident.objects.filter(status=ResidentStatus.RESIDENT, address__startswith=area)
    if born_from:
        residents = residents.filter(birth_date__gte=born_from)
    if born_to:
        residents = residents.filter(birth_date__lte=born_to)
    residents = residents.exclude(pk__in=blocked_for_inspection()).order_by("address", "search_kana", "pk")
    rows = [
        InspectionRow(r.full_name, r.birth_date, r.get_sex_display(), f"{r.address} {r.address_detail}".strip())
        for r in residents.only("family_name", "given_name", "birth_date", "sex", "address", "address_detail")
    ]
    audit.record(
        actor=actor,
        action="resident.inspection",
        purpose=f"閲覧({requester}): {purpose}"[:200],
        personal_data=True,
        details={"requester": requester, "area": area, "rows": len(rows)},
    )
    return rows

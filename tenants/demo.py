"""The demo council: 中土佐町, 四万十町 and the council itself, with one person per role.

Used by `manage.py seed_demo` (the README's one-command start) and by the test suite, so the demo and
the tests exercise the same data. Demo accounts are flagged is_demo; their current TOTP code is shown on
the verify page only while KYODO_DEMO_MODE is on (never under production settings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants import mfa, services
from tenants.models import Municipality, Person, Role


@dataclass(frozen=True)
class DemoTown:
    schema: str
    name: str
    kana: str
    code: str | None
    domain: str
    kind: str
    color: str


DEMO_TOWNS = [
    DemoTown(
        "nakatosa", "中土佐町", "ナカトサチョウ", "394017", "nakatosa.localhost", Municipality.Kind.TOWN, "#0b5394"
    ),
    DemoTown(
        "shimanto", "四万十町", "シマントチョウ", "394122", "shimanto.localhost", Municipality.Kind.TOWN, "#2e7d32"
    ),
    DemoTown(
        "council", "高知県中西部電算協議会", "コウチケンチュウセイブデンサンキョウギカイ", None, "council.localhost",
        Municipality.Kind.COUNCIL, "#6a1b9a",
    ),
]  # fmt: skip

DEMO_PASSWORD = "kyodo-demo-2026"  # noqa: S105  (demo only; printed by the README command)

# username, name, kana, [(schema, role, section)]
DEMO_PEOPLE: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    ("tanaka", "田中 美咲", "タナカ ミサキ", [("nakatosa", Role.CLERK, "町民課 住民係")]),
    ("yamamoto", "山本 健太", "ヤマモト ケンタ", [("shimanto", Role.CLERK, "町民課"),
                                             ("nakatosa", Role.CLERK, "町民課(応援)")]),
    ("sato", "佐藤 由美", "サトウ ユミ", [("shimanto", Role.TEACHER, "窪川小学校")]),
    ("it_admin", "岡林 誠", "オカバヤシ マコト", [("nakatosa", Role.IT_ADMIN, "総務課 情報係"),
                                              ("shimanto", Role.IT_ADMIN, "総務課 情報係"),
                                              ("council", Role.IT_ADMIN, "協議会事務局")]),
    ("auditor", "高橋 直子", "タカハシ ナオコ", [("nakatosa", Role.AUDITOR, "監査委員事務局"),
                                             ("shimanto", Role.AUDITOR, "監査委員事務局")]),
    ("vendor", "保守 太郎", "ホシュ タロウ", [("council", Role.VENDOR, "保守事業者")]),
    ("council_staff", "西村 亮", "ニシムラ リョウ", [("council", Role.COUNCIL_STAFF, "協議会事務局")]),
    ("kyuyo", "給与 和子", "キュウヨ カズコ", [("nakatosa", Role.PAYROLL_OFFICER, "総務課 人事係"),
                                           ("shimanto", Role.PAYROLL_OFFICER, "総務課 人事給与係")]),
    ("jinji", "人事 進", "ジンジ ススム", [("nakatosa", Role.PERSONNEL_OFFICER, "総務課 人事係"),
                                        ("shimanto", Role.PERSONNEL_OFFICER, "総務課 人事給与係")]),
    ("suido", "水道 清", "スイドウ キヨシ", [("nakatosa", Role.WATER_CLERK, "上下水道課 料金係"),
                                         ("shimanto", Role.WATER_CLERK, "上下水道課 業務係")]),
    ("kenshin", "検針 実", "ケンシン ミノル", [("nakatosa", Role.METER_READER, "上下水道課(検針)")]),
]  # fmt: skip


def seed_demo_council(*, valid_from: date | None = None, password: str = DEMO_PASSWORD) -> list[Person]:
    """Provision the three demo tenants and the demo people (idempotent)."""
    for town in DEMO_TOWNS:
        services.provision_municipality(
            actor=None, schema=town.schema, name=town.name, kana=town.kana, code=town.code,
            domain=town.domain, kind=town.kind, brand_color=town.color,
        )  # fmt: skip
    start = valid_from or date(2026, 4, 1)
    towns = {m.schema_name: m for m in Municipality.objects.all()}
    people = []
    for username, full_name, kana, memberships in DEMO_PEOPLE:
        with transaction.atomic():
            person = Person.objects.filter(username=username).first()
            if person is None:
                person = Person.objects.create_user(
                    username, password, full_name=full_name, full_name_kana=kana, is_demo=True
                )
            if not TOTPDevice.objects.filter(user=person, confirmed=True).exists():
                device = mfa.pending_totp_device(person)
                mfa.confirm_totp_device(person, device)
        for schema, role, section in memberships:
            services.grant_membership(
                actor=None,
                person=person,
                municipality=towns[schema],
                role=role,
                section=section,
                valid_from=start,
            )
        people.append(person)
    return people


# --- Demo data of the modules --------------------------------------------------------------------------------
# `manage.py seed_demo` fills the towns with each module's demo data after the council exists. Modules sit above
# this app (common ← tenants ← modules), so each registers its seeder in its AppConfig.ready.

Write = Callable[[str], None]


@dataclass(frozen=True)
class DemoSeeder:
    name: str
    order: int  # lower first: a module that reads another's demo data comes after it
    seed: Callable[[Write], None]  # idempotent; writes one progress line per town through ``Write``


_SEEDERS: dict[str, DemoSeeder] = {}


def register_demo_seeder(name: str, *, order: int, seed: Callable[[Write], None]) -> None:
    _SEEDERS[name] = DemoSeeder(name=name, order=order, seed=seed)


def demo_seeders() -> list[DemoSeeder]:
    return sorted(_SEEDERS.values(), key=lambda seeder: (seeder.order, seeder.name))

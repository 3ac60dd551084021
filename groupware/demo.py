"""Demo groupware for `manage.py seed_demo`: both towns' organisations and schools (with postings of the demo
people and a handful of demo staff), a month of schedules, facilities with bookings, workflow forms with requests
at every stage, and notices with partial readership. Idempotent: a town that has facilities is left as it is."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import transaction
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from groupware.models import Facility, FacilityKind, NoticeCategory, StepKind
from groupware.services import bulletin, facilities, schedule, workflow
from groupware.services.workflow import StepSpec
from tenants import mfa, organisation, services
from tenants.demo import DEMO_PASSWORD
from tenants.models import Municipality, OrgUnit, OrgUnitKind, Person, Role

SINCE = date(2026, 4, 1)

# code, name, kind, parent code
UNITS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "nakatosa": [
        ("T100", "総務課", OrgUnitKind.DIVISION, None), ("T110", "情報係", OrgUnitKind.SECTION, "T100"),
        ("T200", "町民課", OrgUnitKind.DIVISION, None), ("T210", "住民係", OrgUnitKind.SECTION, "T200"),
        ("T300", "監査委員事務局", OrgUnitKind.OFFICE, None),
        ("E000", "教育委員会", OrgUnitKind.BOARD, None), ("S01", "久礼小学校", OrgUnitKind.SCHOOL, "E000"),
        ("S02", "上ノ加江小学校", OrgUnitKind.SCHOOL, "E000"),
    ],
    "shimanto": [
        ("T100", "総務課", OrgUnitKind.DIVISION, None), ("T110", "情報係", OrgUnitKind.SECTION, "T100"),
        ("T200", "町民課", OrgUnitKind.DIVISION, None),
        ("T300", "監査委員事務局", OrgUnitKind.OFFICE, None),
        ("E000", "教育委員会", OrgUnitKind.BOARD, None), ("S01", "窪川小学校", OrgUnitKind.SCHOOL, "E000"),
    ],
    "council": [("C000", "協議会事務局", OrgUnitKind.COUNCIL, None)],
}  # fmt: skip

# schema -> [(username, unit code, title, primary, manager)]
POSTINGS: dict[str, list[tuple[str, str, str, bool, bool]]] = {
    "nakatosa": [
        ("tanaka", "T210", "主事", True, False), ("yamamoto", "T200", "主任", False, False),
        ("it_admin", "T110", "係長", True, True), ("auditor", "T300", "局長", True, True),
    ],
    "shimanto": [
        ("yamamoto", "T200", "主任", True, False), ("sato", "S01", "教諭", True, False),
        ("it_admin", "T110", "係長", True, True), ("auditor", "T300", "局長", True, True),
    ],
    "council": [("council_staff", "C000", "事務局長", True, True), ("it_admin", "C000", "主査", True, False)],
}  # fmt: skip

# Demo staff so that the group week and the bulletin have people: username, name, kana, unit, title, manager, role
EXTRA_STAFF = {
    "nakatosa": [
        ("nk_morita", "森田 浩二", "モリタ コウジ", "T200", "課長", True, Role.CLERK),
        ("nk_ueda", "上田 彩", "ウエダ アヤ", "T210", "係長", True, Role.CLERK),
        ("nk_kubo", "久保 大輔", "クボ ダイスケ", "T210", "主事", False, Role.CLERK),
        ("nk_hamada", "浜田 真理", "ハマダ マリ", "T100", "課長", True, Role.CLERK),
        ("nk_ishii", "石井 翔", "イシイ ショウ", "T110", "主事", False, Role.CLERK),
        ("nk_okada", "岡田 恵", "オカダ メグミ", "S01", "校長", True, Role.TEACHER),
        ("nk_nomura", "野村 拓", "ノムラ タク", "S01", "教諭", False, Role.TEACHER),
    ],
    "shimanto": [
        ("sm_fujii", "藤井 誠", "フジイ マコト", "T200", "課長", True, Role.CLERK),
        ("sm_kondo", "近藤 愛", "コンドウ アイ", "T200", "主事", False, Role.CLERK),
        ("sm_yasuda", "安田 剛", "ヤスダ ツヨシ", "T100", "課長", True, Role.CLERK),
        ("sm_hirano", "平野 香", "ヒラノ カオリ", "S01", "校長", True, Role.TEACHER),
    ],
}

FACILITIES = [
    # name, kind, unit code, needs approval, max minutes, max days ahead
    ("第1会議室", FacilityKind.ROOM, "", False, 480, 90),
    ("第2会議室", FacilityKind.ROOM, "", False, 480, 90),
    ("大会議室", FacilityKind.ROOM, "", True, 480, 180),
    ("公用車1号(プリウス)", FacilityKind.VEHICLE, "", False, 600, 60),
    ("プロジェクター", FacilityKind.EQUIPMENT, "", False, 480, 60),
    ("体育館", FacilityKind.ROOM, "S01", True, 240, 90),
    ("視聴覚室", FacilityKind.ROOM, "S01", False, 240, 90),
]

MEETINGS = ["係内打合せ", "窓口応援", "課内会議", "来客対応", "研修", "資料作成", "現地確認", "システム説明会"]


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username).first()


def _staff(schema: str, town: Municipality) -> None:
    for username, name, kana, _unit, _title, _manager, role in EXTRA_STAFF.get(schema, []):
        person = _person(username)
        if person is None:
            with transaction.atomic():
                person = Person.objects.create_user(
                    username, DEMO_PASSWORD, full_name=name, full_name_kana=kana, is_demo=True
                )
                mfa.confirm_totp_device(person, mfa.pending_totp_device(person))
            services.grant_membership(
                actor=None, person=person, municipality=town, role=role, section="", valid_from=SINCE
            )


def _organisation(schema: str, town: Municipality) -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {u.code: u for u in organisation.units_on(town, SINCE)}
    for code, name, kind, parent in UNITS[schema]:
        if code not in units:
            units[code] = organisation.create_unit(
                actor=None,
                municipality=town,
                code=code,
                name=name,
                kind=kind,
                parent=units[parent] if parent else None,
                valid_from=SINCE,
                sort_order=len(units),
            )
    rows = list(POSTINGS[schema]) + [
        (username, unit, title, True, manager)
        for username, _n, _k, unit, title, manager, _r in EXTRA_STAFF.get(schema, [])
    ]
    for username, code, title, primary, manager in rows:
        person = _person(username)
        if person is None or organisation.postings_on(SINCE, person=person, municipality=town).exists():
            continue
        organisation.post_person(
            actor=None,
            person=person,
            unit=units[code],
            valid_from=SINCE,
            title=title,
            is_primary=primary,
            is_manager=manager,
        )
    return units


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=TOKYO)


def _schedules(schema: str, town: Municipality, rng: random.Random) -> int:
    people = [p for p in organisation.people_in(organisation.units_on(town, local_today()), local_today())]
    monday = local_today() - timedelta(days=local_today().weekday() + 7)
    count = 0
    for person in people:
        schedule.create_event(
            actor=person,
            title="朝礼",
            starts_at=_at(monday, 8, 30),
            ends_at=_at(monday, 8, 45),
            rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=8",
        )
        for offset in range(28):
            day = monday + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for _ in range(rng.randint(0, 2)):
                hour = rng.choice([9, 10, 11, 13, 14, 15, 16])
                others = [p.pk for p in rng.sample(people, k=min(2, len(people))) if p.pk != person.pk]
                schedule.create_event(
                    actor=person,
                    title=rng.choice(MEETINGS),
                    starts_at=_at(day, hour),
                    ends_at=_at(day, hour) + timedelta(minutes=rng.choice([30, 60, 90])),
                    participant_ids=others[: rng.randint(0, 1)],
                    is_private=rng.random() < 0.1,
                )
                count += 1
    return count


def _facilities(schema: str, town: Municipality, units: dict[str, OrgUnit]) -> int:
    manager = _person("it_admin")
    assert manager is not None
    school_manager = (
        next((p.person for p in organisation.members_of(units["S01"], SINCE) if p.is_manager), manager)
        if "S01" in units
        else manager
    )
    created = []
    for name, kind, code, approval, minutes, ahead in FACILITIES:
        if code and code not in units:
            continue
        created.append(
            facilities.create_facility(
                actor=manager,
                name=name,
                kind=kind,
                unit_code=code,
                unit_name=units[code].name if code else "",
                manager=school_manager if code else manager,
                needs_approval=approval,
                max_minutes=minutes,
                max_days_ahead=ahead,
            )
        )
    bookers = [p for p in organisation.people_in([u for u in units.values() if u.kind != "school"], SINCE)]
    booked = 0
    for n in range(1, 8):
        day = local_today() + timedelta(days=n)
        if day.weekday() >= 5 or not bookers:
            continue
        for facility in created[:4]:
            booker = bookers[(n + booked) % len(bookers)]
            if booker.pk == facility.manager_id:
                continue
            facilities.book_facility(
                actor=booker, facility_id=facility.pk, starts_at=_at(day, 10), ends_at=_at(day, 12), purpose="打合せ"
            )
            booked += 1
    return booked


def _workflow(town: Municipality) -> int:
    it_admin = _person("it_admin")
    assert it_admin is not None
    trip = workflow.define_form(
        actor=it_admin,
        code="TRIP",
        name="出張申請",
        description="承認されると出張の予定が登録されます。",
        fields=[
            {"name": "destination", "label": "出張先", "type": "text", "required": True},
            {"name": "starts_at", "label": "出発日時", "type": "datetime", "required": True},
            {"name": "ends_at", "label": "帰着日時", "type": "datetime", "required": True},
            {"name": "purpose", "label": "用務", "type": "textarea", "required": True},
        ],
        steps=[StepSpec(StepKind.ANY, [], applicant_unit_manager=True), StepSpec(StepKind.CIRCULATE, [it_admin.pk])],
        creates="schedule",
        allows_attachments=True,
    )
    workflow.define_form(
        actor=it_admin,
        code="LEAVE",
        name="休暇申請",
        fields=[
            {"name": "day", "label": "休暇日", "type": "date", "required": True},
            {"name": "reason", "label": "理由", "type": "text", "required": False},
        ],
        steps=[StepSpec(StepKind.ANY, [], applicant_unit_manager=True)],
        route_editable=True,
    )
    applicants = [
        p
        for p in organisation.people_in(organisation.units_on(town, local_today()), local_today())
        if organisation.primary_unit(p, town, local_today()) is not None
    ]
    made = 0
    for n, applicant in enumerate(applicants):
        day = local_today() + timedelta(days=7 + n)
        data = {
            "destination": "高知県庁",
            "starts_at": _at(day, 9).isoformat(),
            "ends_at": _at(day, 17).isoformat(),
            "purpose": "事務打合せ",
        }
        try:
            request = workflow.submit_request(actor=applicant, form_id=trip.pk, title=f"県庁協議({n + 1})", data=data)
        except workflow.RouteNoApprover:
            continue
        made += 1
        approver = Person.objects.get(pk=request.steps.get(order=1).approver_ids[0])
        stage = n % 4
        if stage == 1:
            workflow.approve_request(actor=approver, request_id=request.pk)
        elif stage == 2:
            workflow.return_request(actor=approver, request_id=request.pk, comment="日程を確認してください")
        elif stage == 3:
            workflow.withdraw_request(actor=applicant, request_id=request.pk)
    return made


def _notices(town: Municipality, units: dict[str, OrgUnit], rng: random.Random) -> int:
    it_admin = _person("it_admin")
    assert it_admin is not None
    cats = [
        NoticeCategory.objects.get_or_create(name=name, defaults={"sort_order": n})[0]
        for n, name in enumerate(["庁内連絡", "システム", "福利厚生"])
    ]
    notices = [
        bulletin.post_notice(
            actor=it_admin,
            title="グループウェアの利用開始について",
            category_id=cats[1].pk,
            body="本日からグループウェアを利用できます。スケジュールと施設予約をご活用ください。",
        ),
        bulletin.post_notice(
            actor=it_admin,
            title="年末年始の庁舎管理について",
            category_id=cats[0].pk,
            body="12月29日から1月3日まで閉庁します。",
            allow_comments=True,
        ),
        bulletin.post_notice(
            actor=it_admin, title="健康診断の日程", category_id=cats[2].pk, body="各課で日程を調整してください。"
        ),
    ]
    school_head = next((p.person for p in organisation.members_of(units["S01"], SINCE) if p.is_manager), None)
    if school_head is not None:
        notices.append(
            bulletin.post_notice(
                actor=school_head,
                title="職員会議のお知らせ",
                body="水曜16時から職員室で行います。",
                scope="unit",
                unit_code="S01",
            )
        )
    readers = organisation.people_in(list(units.values()), local_today())
    for notice in notices:
        for person in readers:
            if rng.random() < 0.5:
                with contextlib.suppress(bulletin.NoticeNotFound):  # a teacher does not read the town's notices
                    bulletin.record_read(actor=person, notice_id=notice.pk)
    return len(notices)


def seed_town(schema: str) -> str:
    town = Municipality.objects.get(schema_name=schema)
    rng = random.Random(f"groupware-{schema}")  # noqa: S311  (demo data, not a secret)
    _staff(schema, town)
    units = _organisation(schema, town)
    with schema_context(schema):
        if Facility.objects.exists():
            return "already seeded, left as it is"
        if schema == "council":
            council_staff = _person("council_staff")
            assert council_staff is not None
            facilities.create_facility(actor=council_staff, name="協議会会議室", kind=FacilityKind.ROOM)
            bulletin.post_notice(
                actor=council_staff,
                title="電算システム定期保守のお知らせ",
                body="第3土曜日の9時から17時まで、両町のシステムを停止します。",
            )
            return "council room and a council-wide notice"
        events = _schedules(schema, town, rng)
        bookings = _facilities(schema, town, units)
        requests = _workflow(town)
        notices = _notices(town, units, rng)
    return f"{len(units)} units, {events} events, {bookings} bookings, {requests} requests, {notices} notices"


def seed_demo(write: Callable[[str], None]) -> None:
    for schema in ("council", "nakatosa", "shimanto"):
        if not Municipality.objects.filter(schema_name=schema).exists():
            continue
        started = time.perf_counter()
        summary = seed_town(schema)
        write(f"  {schema}: groupware {summary} ({time.perf_counter() - started:.1f} s)")

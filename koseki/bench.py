"""Benchmark of the koseki certificates (``manage.py bench koseki_certificate``).

Eight clerks issue the 全部事項証明書 of a 6-member register (the entries a real one carries) at the same time,
each at their own counter with their own register, through the real service (``certificates.issue_certificate``):
the year's serial row locked until commit (gapless 発行番号), the register's row lock, the 交付履歴 row and the audit
row, and the PDF. Reported: p50/p95 latency per certificate and certificates per second.

The baseline, measured in the same run by the same eight threads: rendering the same certificates (read the
register, lay it out, draw the PDF) without the locks and the writes. The ratio of the p95s is what serialising
the issuance costs a clerk. The registers live in a scratch town ``bench_<run id>_koseki`` created for the run
and dropped afterwards, whatever happens (common.bench).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django_tenants.utils import schema_context

from common.bench import BenchOptions, ConcurrentRun, concurrent_comparison, run_concurrently, scenario
from common.dates import local_today
from common.wareki import to_wareki
from koseki import pdf
from koseki.certificate_layout import certificate_layout
from koseki.certificates import issue_certificate
from koseki.models import (
    CertificateKind,
    CompiledReason,
    Entry,
    EntryKind,
    FuriganaStatus,
    Koseki,
    Member,
    RequesterRelation,
)
from koseki.selectors import Register, get_register
from tenants.bench import bench_towns
from tenants.models import Municipality

CLERKS = 8  # concurrent counters issuing at once
ISSUES_PER_REPEAT = 5  # --repeat 3 (the default): 15 per clerk, 120 certificates per side and run
HONSEKI = "高知県高岡郡ベンチマーク町久礼6584番地"
PLACE = "高知県高岡郡中土佐町"
ACCEPTED_BY = "高知県高岡郡中土佐町長"


def _w(day: date) -> str:
    return to_wareki(day)


def _member(koseki: Koseki, position: int, given: str, kana: str, born: date, sex: str, **extra: Any) -> Member:
    return Member.objects.create(
        koseki=koseki,
        position=position,
        person_key=uuid.uuid4(),
        family_name=koseki.family_name,
        given_name=given,
        family_name_kana=koseki.family_name_kana,
        given_name_kana=kana,
        furigana_status=FuriganaStatus.FILED,
        birth_date=born,
        sex=sex,
        **extra,
    )


def _entry(koseki: Koseki, member: Member | None, kind: str, on: date, fields: list[list[str]]) -> None:
    Entry.objects.create(koseki=koseki, member=member, kind=kind, event_date=on, fields=fields)


def _birth(koseki: Koseki, member: Member, notifier: str) -> None:
    notified = member.birth_date + timedelta(days=5)
    _entry(
        koseki,
        member,
        EntryKind.BIRTH,
        member.birth_date,
        [
            ["出生日", _w(member.birth_date)],
            ["出生地", PLACE],
            ["届出日", _w(notified)],
            ["届出人", notifier],
            ["受理者", ACCEPTED_BY],
        ],
    )


def _furigana(koseki: Koseki, member: Member, notifier: str) -> None:
    on = date(2025, 9, 1)
    _entry(
        koseki,
        member,
        EntryKind.FURIGANA,
        on,
        [
            ["届出日", _w(on)],
            ["氏の振り仮名", "ヤマモト"],
            ["名の振り仮名", member.given_name_kana],
            ["届出人", notifier],
        ],
    )


# long: the benchmark's sample register written out as data, entry by entry, as a town's register reads
def build_sample_koseki() -> Koseki:
    """A 6-member register as a town holds it: a couple married in 平成15年, four children (one married away,
    marked 除籍), a 転籍, and the 氏名の振り仮名 of 令和7年 — 17 entries in all."""
    married = date(2003, 4, 12)
    koseki = Koseki.objects.create(
        number=f"B{uuid.uuid4().hex[:12].upper()}",
        honseki=HONSEKI,
        family_name="山本",
        head_given_name="健一",
        family_name_kana="ヤマモト",
        compiled_on=married,
        compiled_reason=CompiledReason.MARRIAGE,
    )
    _entry(koseki, None, EntryKind.COMPILED, married, [["編製日", _w(married)]])
    _entry(
        koseki,
        None,
        EntryKind.TRANSFER,
        date(2011, 7, 1),
        [["転籍日", _w(date(2011, 7, 1))], ["従前本籍", "高知県高知市本町一丁目5番地"]],
    )
    parents = {"father_name": "山本健一", "mother_name": "山本美和"}
    head = _member(
        koseki, 1, "健一", "ケンイチ", date(1975, 2, 14), "1", is_head=True, spouse_role="夫",
        father_name="山本太一", mother_name="山本春子", relationship="長男",
    )  # fmt: skip
    wife = _member(
        koseki, 2, "美和", "ミワ", date(1977, 10, 3), "2", spouse_role="妻",
        father_name="西村修", mother_name="西村直美", relationship="二女",
    )  # fmt: skip
    children = [
        _member(koseki, 3, "大輝", "ダイキ", date(2004, 1, 20), "1", relationship="長男", **parents),
        _member(koseki, 4, "彩花", "アヤカ", date(2006, 6, 8), "2", relationship="長女", **parents),
        _member(koseki, 5, "翔太", "ショウタ", date(2009, 11, 30), "1", relationship="二男", **parents),
        _member(koseki, 6, "結衣", "ユイ", date(2013, 3, 15), "2", relationship="二女", **parents),
    ]
    for one, other, former in ((head, wife, "高知県高知市本町一丁目5番地"), (wife, head, "高知県須崎市西町2番地")):
        _birth(koseki, one, "父")
        _entry(
            koseki,
            one,
            EntryKind.MARRIAGE,
            married,
            [
                ["婚姻日", _w(married)],
                ["配偶者氏名", f"{other.family_name}{other.given_name}"],
                ["従前戸籍", f"{former}　{'山本太一' if one is head else '西村修'}"],
            ],
        )
        _furigana(koseki, one, "本人")
    for child in children:
        _birth(koseki, child, "父")
        _furigana(koseki, child, "本人" if child.birth_date < date(2010, 1, 1) else "親権者父母")
    eldest = children[0]
    left = date(2026, 5, 5)
    _entry(
        koseki,
        eldest,
        EntryKind.MARRIAGE,
        left,
        [
            ["婚姻日", _w(left)],
            ["配偶者氏名", "鈴木遥"],
            ["新本籍", "高知県高岡郡中土佐町上ノ加江20番地"],
            ["称する氏", "夫の氏"],
        ],
    )
    Member.objects.filter(pk=eldest.pk).update(is_removed=True, removed_on=left, removed_reason="婚姻")
    return koseki


def _full_layout(register: Register, town: Municipality, *, sample: bool = False) -> pdf.KosekiLayout:
    return certificate_layout(
        register=register,
        kind=CertificateKind.FULL,
        members=[view.member for view in register.members],
        town=town,
        today=local_today(),
        number="" if sample else "令和8年戸籍第000001号",
        code="" if sample else "ABCD-EFGH-JKLM-NPQR",
        sample=sample,
    )


def render_full_certificate(koseki_id: int, town: Municipality) -> tuple[bytes, int]:
    """What the counter waits for: read the register, lay it out, draw the PDF."""
    return pdf.render(_full_layout(get_register(koseki_id=koseki_id), town))


@scenario("koseki_certificate")
def koseki_certificate_scenario(options: BenchOptions) -> dict[str, Any]:
    """8 clerks issuing 全部事項証明書 at once (serial lock, row lock, 交付履歴 and audit rows) vs the same 8 clerks
    only rendering the same certificates (read, layout, PDF; no lock, no writes)."""
    per_worker = max(2, options.repeat * ISSUES_PER_REPEAT)
    with bench_towns() as towns:
        town = towns.provision("koseki")
        with schema_context(town.schema_name):
            registers = [build_sample_koseki() for _ in range(CLERKS)]  # one register per counter
            document, pages = render_full_certificate(registers[0].pk, town)
            register = get_register(koseki_id=registers[0].pk)
            entries = len(register.koseki_entries) + sum(len(view.entries) for view in register.members)
            for koseki in registers:  # fonts, imports and query plans, not timed
                render_full_certificate(koseki.pk, town)

        def issue(worker: int, number: int) -> None:
            issue_certificate(
                actor=None,
                koseki=registers[worker],
                kind=CertificateKind.FULL,
                requester_name="山本健一",
                requester_relation=RequesterRelation.SELF,
                id_document="運転免許証",
                purpose="性能測定(架空データ)",
            )

        def render(worker: int, number: int) -> None:
            render_full_certificate(registers[worker].pk, town)

        runs: dict[str, list[ConcurrentRun]] = {"issue": [], "render": []}
        for run_no in range(2):  # each side twice, alternating, so neither always meets the colder cache
            for side in ("issue", "render") if run_no == 0 else ("render", "issue"):
                task = issue if side == "issue" else render
                runs[side].append(
                    run_concurrently(task, workers=CLERKS, per_worker=per_worker, schema=town.schema_name)
                )
    return concurrent_comparison(
        measured=runs["issue"],
        baseline=runs["render"],
        baseline_description=(
            f"the same {CLERKS} clerks only rendering the same certificates (read, layout, PDF) without the serial "
            "lock, the register lock, the 交付履歴 row and the audit row, in the same run"
        ),
        clerks=CLERKS,
        members=len(register.members),
        entries=entries,
        pages=pages,
        pdf_bytes=len(document),
    )

"""身分の届出 (戸籍法 第16条〜第21条, docs/domain/koseki.md): 出生.

Each service runs in one transaction: it locks the registers and members it changes (ordered by pk), re-checks
the rule on the locked rows, writes one Notification (受付帳), the entries of every register involved, the
search keys and versions, and one audit row. A refused 届出 raises a KosekiRuleError and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q

from koseki.errors import (
    BirthFatherNotPresumed,
    BirthFatherPresumed,
    BirthParentsUnknown,
    ConceptionCertificateNotApplicable,
    FuriganaRequired,
    KosekiConflict,
    KosekiValidationError,
    MemberAlreadyRemoved,
)
from koseki.models import (
    CompiledReason,
    EntryKind,
    FuriganaRecord,
    FuriganaStatus,
    Koseki,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services.common import (
    FURIGANA_LAW_IN_FORCE,
    add_entry,
    check_dates,
    close_if_empty,
    compile_koseki,
    compiled_entry,
    ensure_open,
    enter_member,
    finish_notification,
    fresh_current_member,
    lock_members,
    lock_registers,
    new_notification,
    next_position,
    remove_member,
)
from koseki.services.presumption import mother_marriages, presumed_father
from koseki.services.text import katakana, koseki_label, plain_name, wareki
from resident_records.services import koseki_births
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.birth": "戸籍: 出生届",
}


_KANJI_DIGITS = "〇一二三四五六七八九"

# Who may be named as a parent in a 出生届: a current member, or a father who died before the birth (民法 第772条:
# a child born within 300 days of the end of the marriage is the husband's), or a former husband the register
# presumes the father (``_establish_parents``). One rule for the page's choices and for record_birth.
_MAY_BE_PARENT = Q(is_removed=False) | Q(sex="1", removed_reason="死亡")


def birth_parent_candidates(*, koseki: Koseki) -> list[Member]:
    """The members of ``koseki`` a 出生届 may name as mother or father, in 記載順, then the former husbands of its
    women: a child born within 300 days of a divorce is still presumed the former husband's (民法 第772条), and he
    may since have left this register."""
    parents = list(
        Member.objects.filter(koseki=koseki).filter(_MAY_BE_PARENT).select_related("koseki").order_by("position")
    )
    shown = {m.pk for m in parents}
    for woman in [m for m in parents if m.sex == "2" and not m.is_removed]:
        for marriage in mother_marriages(woman):
            if marriage.husband is not None and marriage.husband.pk not in shown:
                parents.append(marriage.husband)
                shown.add(marriage.husband.pk)
    return parents


def _ordinal(n: int) -> str:
    """長 for the first child, then 二, 三 … 十, 十一 … (続柄 as the register writes it: 長男, 二男, 十一女)."""
    if n == 1:
        return "長"
    tens, ones = divmod(n, 10)
    text = ("" if tens <= 1 else _KANJI_DIGITS[tens]) + ("十" if tens else "") + (_KANJI_DIGITS[ones] if ones else "")
    return text


def _relationship(*, sex: str, mother: Member, father: Member | None, birth_date: date) -> str:
    """続柄 (長男/二男/長女 …): the child's rank among the same parents' children of the same sex, born earlier
    (戸籍法施行規則 附録第6号; for a child of unmarried parents, among the mother's such children, 平成16年
    民一第3008号通達). Counted over every appearance in this town by person_key, so a sibling who has left
    still counts."""
    siblings = Member.objects.filter(mother_key=mother.person_key, sex=sex, birth_date__lte=birth_date)
    siblings = siblings.filter(father_key=father.person_key) if father is not None else siblings.filter(father_key=None)
    rank = siblings.values("person_key").distinct().count() + 1
    return _ordinal(rank) + ("男" if sex == "1" else "女")


def _parent(member: Member) -> koseki_births.Parent:
    return koseki_births.Parent(
        family_name=member.family_name,
        given_name=member.given_name,
        birth_date=member.birth_date,
        resident_code=member.resident_code,
    )


# --- 出生 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parents:
    """The parents as the 出生 is recorded: who the father is (嫡出推定), and the register the child enters."""

    mother: Member
    father: Member | None
    father_name: str
    register: Koseki  # where the child enters (before 第17条)
    with_mother: bool  # the child follows its mother (no presumed father): 第17条 may compile her a koseki
    presumption: str  # how the father was established, for the 受付帳


def _check_child(*, given_name: str, sex: str, mother: Member | None) -> str:
    given_name = " ".join(given_name.split())
    if not given_name or sex not in ("1", "2"):
        raise KosekiValidationError("子の名と男女の別を入力してください。", code="birth_child_invalid")
    if mother is None:
        # Maternity is established by the birth itself: without the mother the child's koseki is unknown.
        raise BirthParentsUnknown()
    return given_name


def _establish_parents(
    *, mother: Member, father: Member | None, birth_date: date, conception_certificate: bool
) -> _Parents:
    """民法 第772条 (docs/domain/koseki.md, 嫡出推定): the father the register presumes, checked against the
    father the 届書 names. A fatherless 出生届 is refused while a presumption stands, unless a 懐胎時期に関する証明書
    shows the child was conceived after the marriage ended; a father who is not presumed is recorded by 認知届."""
    presumption = presumed_father(mother=mother, birth_date=birth_date)
    if conception_certificate and (presumption is None or not presumption.after_end):
        raise ConceptionCertificateNotApplicable()
    if presumption is None or (conception_certificate and father is None):
        if father is not None:
            raise BirthFatherNotPresumed(details={"father_id": father.pk, "mother_id": mother.pk})
        basis = "懐胎時期に関する証明書" if conception_certificate else ""
        return _Parents(mother, None, "", Koseki.objects.get(pk=mother.koseki_id), True, basis)
    if presumption.foreign and father is None and presumption.father_name:
        # A husband with no register row here (a foreign national, 戸籍法 第6条): named as the 婚姻 entry names him.
        return _Parents(
            mother, None, presumption.father_name, Koseki.objects.get(pk=mother.koseki_id), False, presumption.wording
        )
    if father is None:
        raise BirthFatherPresumed(
            f"子は{presumption.wording}のため、{presumption.father_name or '夫'}の子と推定されます(民法第772条)。"
            "父として指定してください"
            + ("(懐胎時期に関する証明書がある場合はその旨を記録してください)。" if presumption.after_end else "。"),
            details={"presumed_father": presumption.father_name},
        )
    # A register migrated without its 届出 names the husband only: the father the clerk chose must bear that name.
    named_only = presumption.father is None and plain_name(father.family_name, father.given_name) == (
        presumption.father_name
    )
    if not named_only and (presumption.father is None or presumption.father.person_key != father.person_key):
        raise BirthFatherNotPresumed(
            details={"father_id": father.pk, "presumed_father": presumption.father_name},
        )
    # A father no longer in a register may be named when he died (第772条) or the marriage ended before the birth
    # (the former husband); removed for any other reason (婚姻, 分籍 ...) he has left this register.
    if (
        father.is_removed
        and not presumption.after_end
        and not Member.objects.filter(_MAY_BE_PARENT, pk=father.pk).exists()
    ):
        raise MemberAlreadyRemoved(
            f"父({father.full_name})は既にこの戸籍から除籍されています({father.removed_reason})。",
            details={"member_id": father.pk},
        )
    # After the marriage ended the child takes the surname the parents had then (民法 第790条第1項ただし書) and
    # enters the register of that marriage; otherwise the mother's, where the husband is too.
    marriage_register = presumption.register or (Koseki.objects.get(pk=father.koseki_id) if named_only else None)
    in_marriage_register = presumption.after_end and marriage_register is not None
    register = marriage_register if in_marriage_register else Koseki.objects.get(pk=mother.koseki_id)
    assert register is not None
    return _Parents(
        mother, father, plain_name(father.family_name, father.given_name), register, False, presumption.wording
    )


def _compile_for_mother(
    *, mother: Member, source: Koseki, family_kana: str, notified_on: date, notification: Notification, capacity: str
) -> Koseki:
    """戸籍法 第17条: a mother who is neither 筆頭者 nor spouse heads a new koseki with her child."""
    target = compile_koseki(
        honseki=source.honseki,
        family_name=mother.family_name,
        head_given_name=mother.given_name,
        family_name_kana=family_kana,
        compiled_on=notified_on,
        reason=CompiledReason.BIRTH,
    )
    compiled_entry(target, on=notified_on, notification=notification)
    remove_member(mother, on=notified_on, reason="子の出生")
    add_entry(
        koseki=source,
        member=mother,
        kind=EntryKind.REMOVAL,
        event_date=notified_on,
        fields=[["届出日", wareki(notified_on)], ["除籍事由", "子の出生届出"], ["新本籍", target.honseki]],
        notification=notification,
        notifier=capacity,
    )
    new_mother = enter_member(koseki=target, source=mother, is_head=True)
    add_entry(
        koseki=target,
        member=new_mother,
        kind=EntryKind.ENTRY,
        event_date=notified_on,
        fields=[["届出日", wareki(notified_on)], ["入籍事由", "子の出生届出"], ["従前戸籍", koseki_label(source)]],
        notification=notification,
        notifier=capacity,
    )
    close_if_empty(source, on=notified_on, reason="子の出生", notification=notification)
    return target


@dataclass(frozen=True)
class _Child:
    """The child as the 出生届 names it."""

    given_name: str
    given_kana: str
    family_kana: str
    sex: str
    birth_date: date
    birth_place: str


def _write_child(
    *, target: Koseki, parents: _Parents, child: _Child, notified_on: date, notification: Notification, capacity: str
) -> Member:
    given_name, given_kana, family_kana = child.given_name, child.given_kana, child.family_kana
    sex, birth_date, birth_place = child.sex, child.birth_date, child.birth_place
    furigana_filed = birth_date >= FURIGANA_LAW_IN_FORCE
    mother, father = parents.mother, parents.father
    member = Member.objects.create(
        koseki=target,
        position=next_position(target),
        family_name=target.family_name,
        given_name=given_name,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        furigana_status=FuriganaStatus.FILED if furigana_filed else FuriganaStatus.NONE,
        birth_date=birth_date,
        sex=sex,
        father_name=parents.father_name,
        mother_name=plain_name(mother.family_name, mother.given_name),
        father_key=father.person_key if father is not None else None,
        mother_key=mother.person_key,
        relationship=_relationship(sex=sex, mother=mother, father=father, birth_date=birth_date),
    )
    add_entry(
        koseki=target,
        member=member,
        kind=EntryKind.BIRTH,
        event_date=birth_date,
        fields=[
            ["出生日", wareki(birth_date)],
            ["出生地", " ".join(birth_place.split())],
            ["届出日", wareki(notified_on)],
            ["届出人", capacity],
        ],
        notification=notification,
        notifier=capacity,
    )
    if furigana_filed:
        # 戸籍法第13条第2項: from 2025-05-26 the 出生届 states the furigana, recorded as 届出.
        FuriganaRecord.objects.create(
            member=member,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            status=FuriganaStatus.FILED,
            effective_on=notified_on,
            notifier=capacity,
            notification=notification,
        )
    return member


# long: one 届出 as its article reads, in one transaction; its checks and register steps are named helpers, what stays
# is the 届書's particulars handed on in order
def record_birth(
    *,
    actor: Person | None,
    mother: Member | None,
    father: Member | None,
    given_name: str,
    given_name_kana: str,
    sex: str,
    birth_date: date,
    birth_place: str,
    notified_on: date,
    notifier_name: str,
    notifier_capacity: str,
    family_name_kana: str = "",
    conception_certificate: bool = False,
    born_abroad: bool = False,
) -> Notification:
    """出生届 (戸籍法第49条). The father is the one 民法第772条 presumes (``_establish_parents``); the child takes
    the surname of its parents if presumed the husband's, else its mother's (民法第790条), and enters the koseki
    of the parent(s) whose surname it takes (第18条). A mother who is neither 筆頭者 nor spouse gets a new koseki
    with the child (第17条). Filed after 14 days (3 months for a birth abroad, ``born_abroad``) the 届出 is
    accepted and marked 期間経過 (koseki.deadlines)."""
    check_dates(event_date=birth_date, notified_on=notified_on, event_label="出生日")
    given_name = _check_child(given_name=given_name, sex=sex, mother=mother)
    assert mother is not None
    given_kana = katakana(given_name_kana, label="名の振り仮名")
    family_kana_input = katakana(family_name_kana, label="氏の振り仮名")

    with transaction.atomic():
        mother, father = _lock_parents(mother, father)
        parents = _establish_parents(
            mother=mother, father=father, birth_date=birth_date, conception_certificate=conception_certificate
        )
        registers = lock_registers([mother.koseki_id, parents.register.pk])
        source = registers[parents.register.pk]
        ensure_open(source)

        family_kana = _child_family_kana(source=source, parents=parents, mother=mother, typed=family_kana_input)
        if birth_date >= FURIGANA_LAW_IN_FORCE and not (given_kana and family_kana):
            raise FuriganaRequired(details={"birth_date": str(birth_date)})

        # 第17条: the mother heads a new koseki when she is neither 筆頭者 nor spouse where she stands.
        needs_new = parents.with_mother and not mother.is_head and not mother.spouse_role
        notification = new_notification(
            actor=actor,
            kind=NotificationKind.BIRTH,
            event_date=birth_date,
            notified_on=notified_on,
            notifier_name=notifier_name,
            notifier_capacity=notifier_capacity,
            kosekis=[source],
            details={
                "child": {"given_name": given_name, "given_name_kana": given_kana, "sex": sex},
                "birth_date": str(birth_date),
                "birth_place": birth_place,
                **_parents_details(parents, mother=mother, father=father),
                "conception_certificate": conception_certificate,
                "article_17_new_koseki": needs_new,
            },
            period_start=birth_date,
            abroad=born_abroad,
        )
        changed = [source]
        target = source
        if needs_new:
            target = _compile_for_mother(
                mother=mother,
                source=source,
                family_kana=family_kana,
                notified_on=notified_on,
                notification=notification,
                capacity=notifier_capacity,
            )
            changed.append(target)
        child = _Child(given_name, given_kana, family_kana, sex, birth_date, birth_place)
        member = _write_child(
            target=target,
            parents=parents,
            child=child,
            notified_on=notified_on,
            notification=notification,
            capacity=notifier_capacity,
        )
        _keep_family_kana(target, family_kana)
        notification.details["child_member_id"] = member.pk
        _enter_in_resident_register(
            actor=actor,
            notification=notification,
            target=target,
            parents=(mother, father),
            child=child,
            notified_on=notified_on,
        )
        finish_notification(
            actor=actor,
            action="koseki.birth",
            notification=notification,
            details={"child": plain_name(target.family_name, given_name), "mother_id": mother.pk},
            changed=changed,
        )
    return notification


def _parents_details(parents: _Parents, *, mother: Member, father: Member | None) -> dict[str, object]:
    return {
        "mother_id": mother.pk,
        "father_id": father.pk if father is not None else None,
        "presumption": parents.presumption,
    }


def _keep_family_kana(target: Koseki, family_kana: str) -> None:
    """A register without the furigana of its surname takes the one this 届出 gives (令和5年法律第48号)."""
    if not target.family_name_kana and family_kana:
        target.family_name_kana = family_kana
        Koseki.objects.filter(pk=target.pk).update(family_name_kana=family_kana)


def _lock_parents(mother: Member, father: Member | None) -> tuple[Member, Member | None]:
    """The parents locked (by pk) and re-read: the mother must still be a current member."""
    locked = lock_members([m.pk for m in (mother, father) if m is not None])
    mother = fresh_current_member(mother, locked, label="母")
    if father is not None:
        # The father may have died or left the register since (第772条): he need not be a current member;
        # _establish_parents decides whether a father no longer in a register may be named.
        if father.pk not in locked:
            raise KosekiConflict()
        father = locked[father.pk]
    return mother, father


def _child_family_kana(*, source: Koseki, parents: _Parents, mother: Member, typed: str) -> str:
    """The furigana of the child's surname: the register's, else (taking the mother's surname) hers, else typed."""
    if parents.with_mother:
        return source.family_name_kana or mother.family_name_kana or typed
    return source.family_name_kana or typed


def _enter_in_resident_register(
    *,
    actor: Person | None,
    notification: Notification,
    target: Koseki,
    parents: tuple[Member, Member | None],
    child: _Child,
    notified_on: date,
) -> None:
    """The resident register of the town enters the child (or leaves its clerk a task), in this transaction
    (docs/domain/resident_register.md §9): a birth is never typed twice."""
    mother, father = parents
    koseki_births.enter_birth_from_koseki(
        actor=actor,
        birth=koseki_births.BirthAccepted(
            notification_id=notification.pk,
            family_name=target.family_name,
            given_name=child.given_name,
            family_name_kana=child.family_kana,
            given_name_kana=child.given_kana,
            sex=child.sex,
            birth_date=child.birth_date,
            notified_on=notified_on,
            honseki=target.honseki,
            head_name=f"{target.family_name} {target.head_given_name}",
            mother=_parent(mother),
            father=_parent(father) if father is not None else None,
        ),
    )

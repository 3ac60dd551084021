"""帰化届 (戸籍法 第102条の2) and 国籍取得届 (第102条; 国籍法 第3条・第17条): a person who becomes a Japanese national
enters the register for the first time (docs/domain/koseki.md, 帰化・国籍取得).

The 届出 is due within one month of the 告示 of the 帰化, or of the acquisition (koseki.deadlines). A new register
is compiled at the 本籍 the person chose, with the person as 筆頭者; the 身分事項 record the birth and the 帰化 (or
国籍取得) with the former nationality and name. Furigana are stated on the 届書 (戸籍法 第13条第2項).
"""

from __future__ import annotations

from datetime import date
from typing import NotRequired, TypedDict, Unpack

from django.db import transaction

from koseki.errors import HonsekiRequired, NaturalizationInvalid
from koseki.models import (
    CompiledReason,
    EntryKind,
    FuriganaRecord,
    FuriganaStatus,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services.common import (
    add_entry,
    check_dates,
    compile_koseki,
    compiled_entry,
    finish_notification,
    new_notification,
)
from koseki.services.text import katakana, plain_name, wareki
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.naturalization": "戸籍: 帰化届",
    "koseki.nationality": "戸籍: 国籍取得届",
}

# (the day's label, the former nationality's label, the entry, the 編製事由) of each 届出.
_WORDING: dict[str, tuple[str, str, str, str]] = {
    NotificationKind.NATURALIZATION: (
        "帰化日",
        "帰化の際の国籍",
        EntryKind.NATURALIZATION,
        CompiledReason.NATURALIZATION,
    ),
    NotificationKind.NATIONALITY: ("国籍取得日", "取得の際の国籍", EntryKind.NATIONALITY, CompiledReason.NATIONALITY),
}


class NationalParticulars(TypedDict):
    """What a 帰化届 and a 国籍取得届 both state besides the day (戸籍法 第102条・第102条の2)."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    birth_place: str
    sex: str
    former_nationality: str
    former_name: str
    new_honseki: str
    notified_on: date
    notifier_name: NotRequired[str]
    notifier_capacity: NotRequired[str]
    father_name: NotRequired[str]
    mother_name: NotRequired[str]
    relationship: NotRequired[str]


# long: the entries of one register change, written in the order the register prints them; split, one 記載 would be
# scattered over helpers
def _new_national(
    *,
    actor: Person | None,
    kind: str,
    became_on: date,
    family_name: str,
    given_name: str,
    family_name_kana: str,
    given_name_kana: str,
    birth_date: date,
    birth_place: str,
    sex: str,
    former_nationality: str,
    former_name: str,
    new_honseki: str,
    notified_on: date,
    notifier_name: str = "",
    notifier_capacity: str = "本人",
    father_name: str = "",
    mother_name: str = "",
    relationship: str = "",
) -> Notification:
    day_label, nationality_label, entry_kind, reason = _WORDING[kind]
    check_dates(event_date=became_on, notified_on=notified_on, event_label=day_label)
    family, given = " ".join(family_name.split()), " ".join(given_name.split())
    if not family or not given or sex not in ("1", "2") or not former_nationality.strip():
        raise NaturalizationInvalid("氏・名・男女の別・従前の国籍を入力してください。")
    if birth_date > became_on:
        raise NaturalizationInvalid("生年月日が正しくありません。", code="naturalization_birth_date")
    place = " ".join(new_honseki.split())
    if not place:
        raise HonsekiRequired("新しい本籍を入力してください(戸籍法第102条の2・第30条)。")
    family_kana = katakana(family_name_kana, required=True, label="氏の振り仮名")
    given_kana = katakana(given_name_kana, required=True, label="名の振り仮名")
    with transaction.atomic():
        notification = new_notification(
            actor=actor,
            kind=kind,
            event_date=became_on,
            notified_on=notified_on,
            notifier_name=notifier_name or plain_name(family, given),
            notifier_capacity=notifier_capacity,
            kosekis=[],
            details={
                "family_name": family,
                "given_name": given,
                "former_nationality": former_nationality.strip(),
                "former_name": former_name.strip(),
                "honseki": place,
            },
            period_start=became_on,
        )
        register = compile_koseki(
            honseki=place,
            family_name=family,
            head_given_name=given,
            family_name_kana=family_kana,
            compiled_on=notified_on,
            reason=reason,
        )
        compiled_entry(register, on=notified_on, notification=notification)
        person = Member.objects.create(
            koseki=register,
            position=1,
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            furigana_status=FuriganaStatus.FILED,
            birth_date=birth_date,
            sex=sex,
            father_name=" ".join(father_name.split()),
            mother_name=" ".join(mother_name.split()),
            relationship=relationship or ("長男" if sex == "1" else "長女"),
            is_head=True,
        )
        add_entry(
            koseki=register,
            member=person,
            kind=EntryKind.BIRTH,
            event_date=birth_date,
            fields=[["出生日", wareki(birth_date)], ["出生地", " ".join(birth_place.split())]],
            notification=notification,
        )
        add_entry(
            koseki=register,
            member=person,
            kind=entry_kind,
            event_date=became_on,
            fields=[
                [day_label, wareki(became_on)],
                ["届出日", wareki(notified_on)],
                [nationality_label, former_nationality.strip()],
                ["従前の氏名", former_name.strip()],
            ],
            notification=notification,
            notifier=notifier_capacity,
        )
        FuriganaRecord.objects.create(
            member=person,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            status=FuriganaStatus.FILED,
            effective_on=notified_on,
            notifier=notifier_capacity,
            notification=notification,
        )
        notification.details["koseki_number"] = register.number
        finish_notification(actor=actor, action=f"koseki.{kind}", notification=notification, changed=[register])
    return notification


def record_naturalization(
    *, actor: Person | None, naturalized_on: date, **particulars: Unpack[NationalParticulars]
) -> Notification:
    """帰化届 (戸籍法 第102条の2): within one month of the 告示 (``naturalized_on``)."""
    return _new_national(actor=actor, kind=NotificationKind.NATURALIZATION, became_on=naturalized_on, **particulars)


def record_nationality_acquisition(
    *, actor: Person | None, acquired_on: date, **particulars: Unpack[NationalParticulars]
) -> Notification:
    """国籍取得届 (戸籍法 第102条; 国籍法 第3条 by 届出 to the 法務大臣, 第17条): within one month of acquiring."""
    return _new_national(actor=actor, kind=NotificationKind.NATIONALITY, became_on=acquired_on, **particulars)

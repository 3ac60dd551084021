"""氏名の振り仮名 (令和5年法律第48号): 通知済 → 届出 or 職権記載, who may file, katakana only, and the history."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from koseki import selectors, services
from koseki.errors import (
    FuriganaNotEntitled,
    FuriganaNothingToRecord,
    FuriganaNotKatakana,
    FuriganaTooEarly,
)
from koseki.models import Entry, EntryKind, FuriganaRecord, FuriganaStatus, Member, Notification, NotificationKind
from tenants.models import Person
from tests.koseki.factories import (
    TODAY,
    audit_actions,
    clerk,
    fields_of,
    in_nakatosa,
    members_of,
    refused,
    yamada_family,
)

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures


def file(actor: Person, m: Member, capacity: str, **kana: str) -> Notification:
    return services.record_furigana(
        actor=actor, member=m, notified_on=TODAY, notifier_name="届出人", notifier_capacity=capacity, **kana
    )


def test_family_name_furigana_filed_by_the_head_applies_to_everyone(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family(family_name_kana="")
    taro, hanako, ichiro, sakura = members_of(koseki)
    notification = file(clerk, hanako, "筆頭者", family_name_kana="やまだ")
    assert notification.kind == NotificationKind.FAMILY_NAME_FURIGANA
    koseki.refresh_from_db()
    assert koseki.family_name_kana == "ヤマダ"
    for m in members_of(koseki):
        assert m.family_name_kana == "ヤマダ"
        assert m.furigana_status == FuriganaStatus.FILED
        record = FuriganaRecord.objects.get(member=m)
        assert (record.status, record.notification_id, record.notifier) == (
            FuriganaStatus.FILED,
            notification.pk,
            "筆頭者",
        )
        assert fields_of(Entry.objects.get(member=m, kind=EntryKind.FURIGANA))["氏の振り仮名"] == "ヤマダ"
    assert audit_actions()[-1] == "koseki.family_name_furigana"
    del taro, ichiro, sakura


def test_who_files_the_family_name_furigana(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, ichiro, _ = members_of(koseki)
    err = refused(FuriganaNotEntitled, lambda: file(clerk, taro, "配偶者", family_name_kana="ヤマダ"))
    assert err.code == "furigana_not_entitled"
    assert "筆頭者" in err.message
    # The head has left (died): the spouse files; then, with the spouse gone too, a child.
    Member.objects.filter(pk=taro.pk).update(is_removed=True, removed_on=date(2026, 1, 1), removed_reason="死亡")
    refused(FuriganaNotEntitled, lambda: file(clerk, ichiro, "筆頭者", family_name_kana="ヤマダ"))
    file(clerk, hanako, "妻", family_name_kana="ヤマダ")
    Member.objects.filter(pk=hanako.pk).update(is_removed=True, removed_on=date(2026, 2, 1), removed_reason="死亡")
    refused(FuriganaNotEntitled, lambda: file(clerk, ichiro, "配偶者", family_name_kana="ヤマタ"))
    file(clerk, ichiro, "子", family_name_kana="ヤマタ")
    assert Member.objects.get(pk=ichiro.pk).family_name_kana == "ヤマタ"


def test_given_name_furigana_by_age(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    _, hanako, ichiro, sakura = members_of(koseki)
    # 一郎 (20): only himself.
    refused(FuriganaNotEntitled, lambda: file(clerk, ichiro, "父", given_name_kana="イチロー"))
    notification = file(clerk, ichiro, "本人", given_name_kana="いちろー")
    assert notification.kind == NotificationKind.GIVEN_NAME_FURIGANA
    ichiro.refresh_from_db()
    assert ichiro.given_name_kana == "イチロー"
    assert ichiro.family_name_kana == "ヤマダ"
    assert Member.objects.get(pk=hanako.pk).given_name_kana == "ハナコ"  # nobody else changed
    # 桜 (14): the legal representative, not herself; at 15 either.
    err = refused(FuriganaNotEntitled, lambda: file(clerk, sakura, "本人", given_name_kana="サクラ"))
    assert "法定代理人" in err.message
    file(clerk, sakura, "母", given_name_kana="サクラ")
    with time_machine.travel(date(2027, 7, 8), tick=False):
        services.record_furigana(
            actor=clerk, member=sakura, given_name_kana="サクラ", notified_on=date(2027, 7, 8),
            notifier_name="山田桜", notifier_capacity="本人",
        )  # fmt: skip
    statuses = list(FuriganaRecord.objects.filter(member=sakura).values_list("status", flat=True))
    assert statuses == [FuriganaStatus.FILED, FuriganaStatus.FILED]
    assert audit_actions()[-1] == "koseki.given_name_furigana"


def test_furigana_must_be_katakana_and_after_the_law(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro = members_of(koseki)[0]
    err = refused(FuriganaNotKatakana, lambda: file(clerk, taro, "本人", given_name_kana="Taro"))
    assert err.code == "furigana_not_katakana"
    refused(FuriganaNotKatakana, lambda: file(clerk, taro, "筆頭者", family_name_kana="山田"))
    refused(FuriganaNothingToRecord, lambda: file(clerk, taro, "本人"))
    refused(
        FuriganaTooEarly,
        lambda: services.record_furigana(
            actor=clerk,
            member=taro,
            given_name_kana="タロウ",
            notified_on=date(2025, 5, 1),
            notifier_name="x",
            notifier_capacity="本人",
        ),
    )
    # Half-width katakana and hiragana are normalised (common.text.to_katakana).
    file(clerk, taro, "本人", given_name_kana="ﾀﾛｳ")
    taro.refresh_from_db()
    assert taro.given_name_kana == "タロウ"


def test_notice_then_ex_officio_recording_keeps_the_history(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family(family_name_kana="")
    taro, hanako, ichiro, sakura = members_of(koseki)
    Member.objects.filter(koseki=koseki).update(family_name_kana="", given_name_kana="")
    for m, given in ((taro, "タロウ"), (hanako, "ハナコ"), (ichiro, "イチロウ"), (sakura, "サクラ")):
        record = services.record_planned_furigana(
            actor=clerk, member=m, family_name_kana="ヤマダ", given_name_kana=given, notice_on=date(2025, 7, 1)
        )
        assert record.status == FuriganaStatus.NOTIFIED
    assert Member.objects.get(pk=taro.pk).furigana_status == FuriganaStatus.NOTIFIED
    # 一郎 files a different reading before the deadline: he is left out of the 職権記載.
    file(clerk, ichiro, "本人", given_name_kana="イチロ")
    with pytest.raises(FuriganaTooEarly):
        services.record_furigana_ex_officio(actor=clerk, koseki=koseki, on=date(2026, 5, 25))
    notification = services.record_furigana_ex_officio(actor=clerk, koseki=koseki, on=date(2026, 5, 26))
    assert notification.kind == NotificationKind.FURIGANA_EX_OFFICIO
    taro.refresh_from_db()
    assert (taro.furigana_status, taro.given_name_kana) == (FuriganaStatus.EX_OFFICIO, "タロウ")
    history = selectors.get_register(koseki_id=koseki.pk).members[0].furigana_history
    assert [r.status for r in history] == [FuriganaStatus.NOTIFIED, FuriganaStatus.EX_OFFICIO]
    ichiro.refresh_from_db()
    assert (ichiro.furigana_status, ichiro.given_name_kana) == (FuriganaStatus.FILED, "イチロ")
    statuses = list(FuriganaRecord.objects.filter(member=ichiro).values_list("status", flat=True))
    assert statuses == [FuriganaStatus.NOTIFIED, FuriganaStatus.FILED]
    entry = Entry.objects.get(member=taro, kind=EntryKind.FURIGANA)
    assert fields_of(entry)["記録日"] == "令和8年5月26日"
    koseki.refresh_from_db()
    assert koseki.family_name_kana == "ヤマダ"
    assert audit_actions()[-1] == "koseki.furigana_ex_officio"
    # Nothing left to record: refused, nothing written.
    refused(
        FuriganaNothingToRecord,
        lambda: services.record_furigana_ex_officio(actor=clerk, koseki=koseki, on=date(2026, 6, 1)),
    )
    # A notice to someone whose furigana is already recorded is refused too.
    refused(
        FuriganaNothingToRecord,
        lambda: services.record_planned_furigana(
            actor=clerk, member=taro, family_name_kana="ヤマダ", given_name_kana="タロウ", notice_on=TODAY
        ),
    )

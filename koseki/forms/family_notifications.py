"""Forms of 認知, 離縁, 氏の変更, 名の変更, 帰化 and 不受理申出."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from koseki.forms.fields import SEX_CHOICES, KanaField, choice_field, date_field, member_choices, text_field
from koseki.forms.notifications import NotificationForm, PartyPickerMixin, appeared_field

# --- 認知・離縁・氏名・帰化・不受理申出 -------------------------------------------------------------------


class AcknowledgmentForm(PartyPickerMixin, NotificationForm):
    """認知届 (戸籍法 第60条・第63条, 民法 第779条): the father is found in this town's registers."""

    CAPACITIES = ("父", "訴えを提起した者")

    judgment_on = date_field(
        "認知の裁判が確定した日", required=False, help_text="裁判認知の場合に入力(届出期間10日、戸籍法 第63条)"
    )
    child_consent = forms.BooleanField(
        label="成年の子の承諾がある(承諾書の添付を確認した)", required=False, help_text="民法 第782条"
    )
    appeared_in_person = appeared_field()

    def __init__(self, *args: Any, candidates: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_picker("father", "認知をする父", [m for m in candidates if m.sex == "1"], required=True)


class DissolutionForm(NotificationForm):
    """養子離縁届 (戸籍法 第70条・第73条): with every adoptive parent in force."""

    CAPACITIES = ("養親及び養子", "養親及び養子の離縁後の法定代理人", "訴えを提起した者")

    dissolved_on = date_field("離縁の届出により効力が生じる日", help_text="通常は届出日と同じ日です")
    judgment_on = date_field("離縁の裁判が確定した日", required=False, help_text="裁判離縁の場合に入力(届出期間10日)")
    new_koseki = forms.BooleanField(label="復氏する養子について新しい戸籍を編製する(申出による)", required=False)
    new_honseki = text_field("新本籍", required=False, max_length=200, help_text="新しい戸籍を編製する場合に入力")
    appeared_in_person = appeared_field()


class MaritalSurnameForm(NotificationForm):
    """離婚の際に称していた氏を称する届 (戸籍法 第77条の2): within three months of the divorce."""

    CAPACITIES = ("本人",)


class ChildSurnameForm(NotificationForm):
    """入籍届 (民法 第791条, 戸籍法 第98条): the child takes the father's or mother's surname."""

    CAPACITIES = ("本人", "法定代理人")

    parent = choice_field("称する氏の父又は母", [])
    court_permission_on = date_field(
        "家庭裁判所の許可の審判の日",
        required=False,
        help_text="父母の婚姻中で父母の氏を称する場合は不要(民法 第791条第2項)",
    )

    def __init__(self, *args: Any, parents: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = member_choices(parents, blank="(選択してください)")


class NonAcceptanceForm(NotificationForm):
    """不受理申出 (戸籍法 第27条の2第3項): the person, in person, for the kinds of 届出 chosen."""

    CAPACITIES = ("本人",)
    KINDS = [
        ("marriage", "婚姻届"),
        ("divorce", "離婚届"),
        ("adoption", "養子縁組届"),
        ("dissolution", "養子離縁届"),
        ("acknowledgment", "認知届"),
    ]

    kinds = forms.MultipleChoiceField(
        label="不受理とする届出",
        choices=KINDS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "不受理とする届出を選んでください。"},
    )


class NonAcceptanceWithdrawalForm(NotificationForm):
    """不受理申出 (戸籍法 第27条の2第3項) の取下げ: by the person, in person."""

    CAPACITIES = ("本人",)

    request = choice_field("取り下げる不受理申出", [])

    def __init__(self, *args: Any, requests: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["request"]
        assert isinstance(field, forms.ChoiceField)
        labels = dict(NonAcceptanceForm.KINDS)
        field.choices = [("", "(選択してください)")] + [
            (str(r.pk), f"{r.filed_on:%Y-%m-%d} 申出: {'、'.join(labels.get(k, k) for k in r.kinds)}") for r in requests
        ]


class SurnameChangeForm(NotificationForm):
    """氏の変更届 (戸籍法 第107条第1項): the register's 氏, with the family court's permission."""

    CAPACITIES = ("筆頭者及び配偶者", "筆頭者", "配偶者")

    family_name = text_field("変更後の氏", max_length=50)
    family_name_kana = KanaField("変更後の氏の振り仮名")
    court_permission_on = date_field("家庭裁判所の許可の審判の日", required=False)


class GivenNameChangeForm(NotificationForm):
    """名の変更届 (戸籍法 第107条の2), with the family court's permission."""

    CAPACITIES = ("本人", "法定代理人")

    given_name = text_field("変更後の名", max_length=50)
    given_name_kana = KanaField("変更後の名の振り仮名")
    court_permission_on = date_field("家庭裁判所の許可の審判の日", required=False)


class ForeignSurnameForm(NotificationForm):
    """外国人との婚姻による氏の変更届 (戸籍法 第107条第2項): within six months, the foreign spouse's surname."""

    CAPACITIES = ("本人",)

    family_name = text_field("変更後の氏(外国人配偶者の氏)", max_length=50, help_text="カタカナで記載します")
    family_name_kana = KanaField("変更後の氏の振り仮名")


class NaturalizationForm(NotificationForm):
    """帰化届 (戸籍法 第102条の2) / 国籍取得届 (第102条): a new register for a new Japanese national."""

    CAPACITIES = ("本人", "法定代理人")
    KINDS = [
        ("naturalization", "帰化届(帰化の告示の日から1か月以内)"),
        ("nationality", "国籍取得届(取得の日から1か月以内)"),
    ]

    kind = choice_field("届出の種類", KINDS, widget=forms.RadioSelect, initial="naturalization")
    became_on = date_field("帰化の告示の日・国籍を取得した日")
    family_name = text_field("氏", max_length=50)
    given_name = text_field("名", max_length=50)
    family_name_kana = KanaField("氏の振り仮名")
    given_name_kana = KanaField("名の振り仮名")
    birth_date = date_field("生年月日")
    birth_place = text_field("出生地", max_length=200)
    sex = choice_field("男女の別", SEX_CHOICES)
    father_name = text_field("父", required=False)
    mother_name = text_field("母", required=False)
    relationship = text_field("父母との続柄", required=False, max_length=20, help_text="長男、二女 など")
    former_nationality = text_field("従前の国籍", max_length=50)
    former_name = text_field("従前の氏名", help_text="例: LI MING")
    new_honseki = text_field("新本籍", max_length=200)

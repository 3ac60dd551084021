"""Forms of the 届出 of birth, marriage, divorce, death, 分籍, 転籍, 養子縁組, furigana, 訂正 and late notices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from koseki.forms.fields import SEX_CHOICES, KanaField, choice_field, date_field, member_choices, none_given, text_field

# --- 届出 ------------------------------------------------------------------------------------------


APPEARED_LABEL = "不受理申出をした本人が窓口に出頭して届け出た(本人確認済み)"
APPEARED_HELP = "不受理申出がある場合、本人の出頭が確認できないときは受理できません(戸籍法 第27条の2)"


def appeared_field() -> forms.BooleanField:
    return forms.BooleanField(label=APPEARED_LABEL, required=False, help_text=APPEARED_HELP)


class NotificationForm(forms.Form):
    """What every 届出 records: 届出日, 届出人 and the 届出人の資格 (戸籍法 第29条 第4号)."""

    CAPACITIES: Sequence[str] = ("本人",)

    notified_on = date_field("届出日")
    notifier_name = text_field("届出人氏名", required=False, help_text="空欄の場合は届出人の資格だけを記録します")
    notifier_capacity = choice_field("届出人の資格", [])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        capacity = self.fields["notifier_capacity"]
        assert isinstance(capacity, forms.ChoiceField)
        capacity.choices = [(c, c) for c in self.CAPACITIES]
        if not self.is_bound and "notifier_capacity" not in self.initial:
            self.initial["notifier_capacity"] = self.CAPACITIES[0]


class BirthForm(NotificationForm):
    """出生届 (戸籍法 第49条・第52条): the child enters the koseki of the parents whose surname it takes (第18条)."""

    CAPACITIES = (
        "父",
        "母",
        "同居者",
        "出産に立ち会った医師",
        "出産に立ち会った助産師",
        "その他の立会者",
        "法定代理人",
    )

    given_name = text_field("子の名", max_length=50)
    given_name_kana = KanaField("名の振り仮名", required=False, help_text="令和7年5月26日以後の出生は必須(カタカナ)")
    family_name_kana = KanaField("氏の振り仮名", required=False, help_text="戸籍に氏の振り仮名が未記載の場合に入力")
    sex = choice_field("男女の別", SEX_CHOICES)
    birth_date = date_field("出生日")
    birth_place = text_field("出生地", max_length=200, help_text="例: 高知県高岡郡中土佐町")
    father = choice_field("父", [], required=False)
    mother = choice_field("母", [], required=False)
    born_abroad = forms.BooleanField(
        label="国外で出生", required=False, help_text="届出期間は3か月(戸籍法 第49条第1項)"
    )
    conception_certificate = forms.BooleanField(
        label="懐胎時期に関する証明書(婚姻の解消後の懐胎)が添付されている",
        required=False,
        help_text="婚姻の解消後300日以内の出生で、医師の証明書により婚姻の解消後の懐胎と認められる場合(民法 第772条)",
    )

    field_order = [
        "given_name",
        "given_name_kana",
        "family_name_kana",
        "sex",
        "birth_date",
        "birth_place",
        "born_abroad",
        "father",
        "mother",
        "conception_certificate",
        "notified_on",
        "notifier_name",
        "notifier_capacity",
    ]

    def __init__(self, *args: Any, parents: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, sex, blank in (
            ("father", "1", "(この戸籍にいない・記載しない)"),
            ("mother", "2", "(この戸籍にいない)"),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = member_choices([m for m in parents if m.sex == sex], blank=blank)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if none_given(self, data, ("father", "mother")):
            raise ValidationError(
                "父または母を選んでください(子は父母の氏を称して父母の戸籍に入ります。戸籍法 第18条)。"
            )
        return data


class OutsidePersonForm(forms.Form):
    """A spouse whose koseki is not on the platform (another municipality's register)."""

    outside_family_name = text_field("相手方の氏", required=False, max_length=50)
    outside_given_name = text_field("相手方の名", required=False, max_length=50)
    outside_family_name_kana = KanaField("相手方の氏の振り仮名", required=False)
    outside_given_name_kana = KanaField("相手方の名の振り仮名", required=False)
    outside_birth_date = date_field("相手方の生年月日", required=False)
    outside_father_name = text_field("相手方の父", required=False)
    outside_mother_name = text_field("相手方の母", required=False)
    outside_relationship = text_field(
        "相手方の父母との続柄", required=False, max_length=20, help_text="長男、二女 など"
    )
    outside_honseki = text_field("相手方の従前本籍", required=False, max_length=200)
    outside_head_name = text_field("相手方の従前筆頭者", required=False)
    outside_nationality = text_field(
        "相手方の国籍(外国人の場合)",
        required=False,
        max_length=50,
        help_text="外国人の場合に入力(戸籍はなく、日本人配偶者の身分事項に記載します。氏名はカタカナ又はローマ字)",
    )

    OUTSIDE_REQUIRED = (
        "outside_family_name",
        "outside_given_name",
        "outside_birth_date",
        "outside_honseki",
        "outside_head_name",
    )

    def clean_outside(self) -> None:
        foreign = bool(str(self.cleaned_data.get("outside_nationality") or "").strip())
        for name in self.OUTSIDE_REQUIRED:
            if foreign and name in ("outside_honseki", "outside_head_name"):
                continue  # a foreign national has no 本籍 (戸籍法 第6条)
            if not self.cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, f"{self.fields[name].label}を入力してください(本町の戸籍にない方の場合)。")

    def outside_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name.removeprefix("outside_"): data.get(name) or "" for name in self.fields if name.startswith("outside_")
        }


class PartyPickerMixin(forms.Form):
    """A person of this town's registers chosen in two steps: search (氏名・フリガナ), then pick from the results."""

    def add_picker(self, name: str, label: str, candidates: Sequence[Any], *, required: bool = False) -> None:
        self.fields[f"{name}_query"] = text_field(
            f"{label}の検索", required=False, help_text="氏名・フリガナを入力して「検索」を押してください"
        )
        self.fields[name] = choice_field(
            label, member_choices(candidates, blank="(選択してください)"), required=required
        )


class MarriageForm(PartyPickerMixin, NotificationForm, OutsidePersonForm):
    """婚姻届 (戸籍法 第74条): a new koseki for the couple unless the one whose surname is kept is 筆頭者 (第16条)."""

    CAPACITIES = ("夫妻", "夫", "妻")
    SPOUSE_SOURCES = [
        ("member", "本町の戸籍に記録されている方(検索して選ぶ)"),
        ("outside", "本町の戸籍にない方(入力する)"),
    ]

    married_on = date_field("婚姻の届出により効力が生じる日", help_text="通常は届出日と同じ日です")
    surname_of = choice_field("婚姻後の夫婦の氏", [("husband", "夫の氏"), ("wife", "妻の氏")])
    new_honseki = text_field("新本籍", required=False, max_length=200, help_text="新しい戸籍を編製する場合に入力")
    spouse_source = choice_field("相手方", SPOUSE_SOURCES, widget=forms.RadioSelect, initial="member")
    appeared_in_person = appeared_field()

    def __init__(self, *args: Any, candidates: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_picker("spouse", "相手方(本町の戸籍)", candidates)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("spouse_source") == "member":
            if not data.get("spouse") and "spouse" not in self.errors:
                self.add_error("spouse", "相手方を検索して選んでください。")
        elif data.get("spouse_source") == "outside":
            self.clean_outside()
        return data


class DivorceForm(NotificationForm):
    """協議離婚届 (戸籍法 第76条): the spouse who reverts returns to the former koseki or a new one (第19条)."""

    CAPACITIES = ("夫妻", "夫", "妻")

    divorced_on = date_field("離婚の届出により効力が生じる日", help_text="通常は届出日と同じ日です")
    new_koseki = forms.BooleanField(label="復氏する方について新しい戸籍を編製する(申出による)", required=False)
    new_honseki = text_field("新本籍", required=False, max_length=200, help_text="新しい戸籍を編製する場合に入力")
    appeared_in_person = appeared_field()

    field_order = [
        "divorced_on",
        "new_koseki",
        "new_honseki",
        "appeared_in_person",
        "notified_on",
        "notifier_name",
        "notifier_capacity",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_koseki") and not data.get("new_honseki") and "new_honseki" not in self.errors:
            self.add_error("new_honseki", "新しい戸籍を編製する場合は新本籍を入力してください。")
        return data


class DeathForm(NotificationForm):
    """死亡届 (戸籍法 第86条・第87条): the person is marked 除籍."""

    CAPACITIES = (
        "同居の親族",
        "その他の同居者",
        "家主",
        "地主",
        "家屋管理人",
        "土地管理人",
        "同居の親族以外の親族",
        "後見人",
    )

    died_on = date_field("死亡日")
    death_place = text_field("死亡地", max_length=200, help_text="例: 高知県高知市")
    died_abroad = forms.BooleanField(
        label="国外で死亡", required=False, help_text="届出期間は3か月(戸籍法 第86条第1項)"
    )
    learned_on = date_field(
        "死亡の事実を知った日", required=False, help_text="死亡日と異なる場合に入力(届出期間7日の起算日、戸籍法 第86条)"
    )

    field_order = [
        "died_on",
        "death_place",
        "died_abroad",
        "learned_on",
        "notified_on",
        "notifier_name",
        "notifier_capacity",
    ]


class SplitForm(NotificationForm):
    """分籍届 (戸籍法 第21条・第100条): an adult who is neither 筆頭者 nor spouse."""

    CAPACITIES = ("本人",)

    new_honseki = text_field("新本籍", max_length=200)

    field_order = ["new_honseki", "notified_on", "notifier_name", "notifier_capacity"]


class TransferForm(NotificationForm):
    """転籍届 (戸籍法 第108条): a new 本籍 in this town, or in the other town of the platform."""

    CAPACITIES = ("筆頭者", "配偶者", "筆頭者及び配偶者")

    new_honseki = text_field("新本籍", max_length=200)
    target_schema = choice_field("転籍先の市町村", [], required=False)

    field_order = ["new_honseki", "target_schema", "notified_on", "notifier_name", "notifier_capacity"]

    def __init__(self, *args: Any, towns: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.fields["target_schema"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = list(towns)


class AdoptionForm(PartyPickerMixin, NotificationForm):
    """養子縁組届 (民法 第799条, 戸籍法 第66条)."""

    CAPACITIES = ("養親及び養子", "養親及び養子の法定代理人(代諾者)")

    adopted_on = date_field("縁組の届出により効力が生じる日", help_text="通常は届出日と同じ日です")
    court_permission_on = date_field(
        "家庭裁判所の許可の審判の日",
        required=False,
        help_text="未成年者を養子とする場合(自己又は配偶者の直系卑属を除く。民法 第798条)",
    )
    consenting_proxy = text_field(
        "代諾者",
        required=False,
        help_text="養子が15歳未満の場合の法定代理人(例: 親権者父母、親権者母、未成年後見人 山田一郎。民法 第797条)",
    )
    appeared_in_person = appeared_field()

    def __init__(self, *args: Any, candidates: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_picker("adoptive_father", "養父", [m for m in candidates if m.sex == "1"])
        self.add_picker("adoptive_mother", "養母", [m for m in candidates if m.sex == "2"])
        del self.fields["adoptive_mother_query"]  # one search fills both lists

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if none_given(self, data, ("adoptive_father", "adoptive_mother")):
            self.add_error("adoptive_father", "養父または養母を検索して選んでください。")
        return data


class FuriganaForm(NotificationForm):
    """氏の振り仮名の届 / 名の振り仮名の届 (令和5年法律第48号による改正後の戸籍法 第13条第2項)."""

    CAPACITIES = ("本人", "筆頭者", "配偶者", "子", "法定代理人")

    family_name_kana = KanaField("氏の振り仮名", required=False, help_text="氏の振り仮名の届(届出人は筆頭者)")
    given_name_kana = KanaField(
        "名の振り仮名", required=False, help_text="名の振り仮名の届(届出人は本人、15歳未満は法定代理人)"
    )

    field_order = ["family_name_kana", "given_name_kana", "notified_on", "notifier_name", "notifier_capacity"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if none_given(self, data, ("family_name_kana", "given_name_kana")):
            raise ValidationError("氏の振り仮名・名の振り仮名の少なくとも一方を入力してください。")
        return data


class CorrectionForm(forms.Form):
    """職権訂正 (戸籍法 第24条第2項): the entry is struck with the reason; the corrected 【項目】 lines replace it."""

    MODES = [("replace", "訂正後の記録事項を記録する"), ("strike", "消除のみ(訂正後の記録事項なし)")]

    reason = text_field(
        "訂正(消除)の理由", max_length=200, help_text="例: 出生地の誤記(管轄法務局長の許可 令和8年11月20日)"
    )
    mode = choice_field("訂正の方法", MODES, widget=forms.RadioSelect, initial="replace")
    fields_text = forms.CharField(
        label="訂正後の記録事項",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="1行に1項目、「項目名:内容」の形で入力します(例: 出生地:高知県高岡郡中土佐町)",
        error_messages={"max_length": "訂正後の記録事項は4000文字以内で入力してください。"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pairs: list[list[str]] = []
        for number, line in enumerate(str(data.get("fields_text") or "").splitlines(), start=1):
            if not line.strip():
                continue
            label, sep, value = line.replace("：", ":").partition(":")
            label, value = label.strip().strip("【】"), value.strip()
            if not sep or not label or not value:
                self.add_error("fields_text", f"{number}行目は「項目名:内容」の形で入力してください。")
                return data
            pairs.append([label, value])
        if data.get("mode") == "replace" and not pairs and "fields_text" not in self.errors:
            self.add_error(
                "fields_text",
                "訂正後の記録事項を1項目以上入力してください(消除のみの場合は「消除のみ」を選んでください)。",
            )
        data["pairs"] = pairs if data.get("mode") == "replace" else None
        return data


class LateNoticeForm(forms.Form):
    """The 受理日 range of the 失期通知 (戸籍法施行規則 第65条)."""

    since = date_field("受理日(から)")
    until = date_field("受理日(まで)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("受理日の範囲が正しくありません(「から」が「まで」より後になっています)。")
        return data

"""Forms of the clerk's 戸籍 pages. They only read and check what the clerk typed; the services apply the Act.

Dates are typed in 和暦 or 西暦 (resident_records.forms.WarekiDateField). Furigana is kept in katakana
(令和5年法律第48号): hiragana and half-width kana typed by the clerk are converted, anything else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.errors import ApplicationError
from common.forms import PurposeField, WarekiDateField
from common.text import to_katakana
from koseki import certificates
from koseki.models import CertificateKind, RequesterRelation

SEX_CHOICES = [("", "選択してください"), ("1", "男"), ("2", "女")]
# Full-width katakana, the prolonged sound mark and the iteration marks; one space between parts.
KATAKANA = re.compile(r"^[\u30a1-\u30f6\u30fc\u30fd\u30fe ]+$")
KATAKANA_ERROR = "{label}はカタカナで入力してください(ひらがなはカタカナに直して記録します)。"


def text_field(label: str, *, required: bool = True, max_length: int = 100, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        error_messages={
            "required": f"{label}を入力してください。",
            "max_length": f"{label}は{max_length}文字以内で入力してください。",
        },
        **kwargs,
    )


def date_field(label: str, *, required: bool = True, **kwargs: Any) -> WarekiDateField:
    return WarekiDateField(
        label=label, required=required, error_messages={"required": f"{label}を入力してください。"}, **kwargs
    )


def choice_field(
    label: str, choices: Sequence[tuple[str, str]], *, required: bool = True, **kwargs: Any
) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=list(choices),
        required=required,
        error_messages={
            "required": f"{label}を選んでください。",
            "invalid_choice": f"{label}の選択が正しくありません。",
        },
        **kwargs,
    )


class KanaField(forms.CharField):
    """A furigana typed in hiragana or katakana (全角・半角), cleaned to full-width katakana."""

    def __init__(self, label: str, *, required: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault(
            "error_messages",
            {"required": f"{label}を入力してください。", "max_length": f"{label}は100文字以内で入力してください。"},
        )
        super().__init__(label=label, required=required, **kwargs)

    def clean(self, value: Any) -> str:
        text = to_katakana(str(super().clean(value) or ""))
        if text and not KATAKANA.match(text):
            raise ValidationError(KATAKANA_ERROR.format(label=self.label), code="not_katakana")
        return text


def member_choices(members: Sequence[Any], *, blank: str = "") -> list[tuple[str, str]]:
    """Choices of Member rows, labelled so that two people of the same name are told apart."""
    choices = [("", blank)] if blank else []
    for member in members:
        koseki = member.koseki
        choices.append(
            (
                str(member.pk),
                f"{member.full_name}(生年月日 {member.birth_date:%Y-%m-%d}、"
                f"本籍 {koseki.honseki}、筆頭者 {koseki.head_name})"
                + ("【死亡により除籍】" if member.is_removed and member.removed_reason == "死亡" else ""),
            )
        )
    return choices


def none_given(form: forms.Form, data: dict[str, Any], names: Sequence[str]) -> bool:
    """True when none of ``names`` was filled in and none of them already has its own error."""
    return not any(str(data.get(name) or "").strip() for name in names) and not form.errors.keys() & set(names)


# --- 検索・利用目的 ----------------------------------------------------------------------------------


class SearchForm(forms.Form):
    honseki = text_field("本籍", required=False, max_length=200, help_text="前方一致(例: 高知県高岡郡中土佐町久礼)")
    query = text_field(
        "筆頭者・氏名・フリガナ",
        required=False,
        help_text="筆頭者や戸籍に記録されている方の氏名(漢字・かな、一部でも可)",
    )
    include_closed = forms.BooleanField(label="除籍簿(全員が除籍された戸籍)も含める", required=False, initial=True)
    purpose = PurposeField(help_text="監査記録に残ります(例: 出生届の受付、戸籍証明書の交付請求)。")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if none_given(self, data, ("honseki", "query")):
            raise ValidationError("検索条件を入力してください(本籍、筆頭者・氏名・フリガナのいずれか)。")
        return data


class PurposeForm(forms.Form):
    purpose = PurposeField(help_text="監査記録に残ります(例: 婚姻届の審査、戸籍証明書の交付請求)。")


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


# --- 証明書 ------------------------------------------------------------------------------------------


class RequestForm(forms.Form):
    """Who asks, in what capacity, with which ID document, and why (戸籍法 第10条・第10条の3)."""

    requester_name = text_field("請求者氏名")
    requester_relation = choice_field("請求者の資格", RequesterRelation.choices)
    id_document = text_field("本人確認書類", max_length=100, help_text="例: 運転免許証、マイナンバーカード")
    purpose = PurposeField(label="利用目的", help_text="請求書に記載された利用目的(監査記録に残ります)")


class CertificateForm(RequestForm):
    kind = choice_field("証明書の種類", CertificateKind.choices, initial=CertificateKind.FULL)
    members = forms.MultipleChoiceField(
        label="記載する方(個人事項証明書、附票の写しを一部の方について請求する場合)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "記載する方の選択が正しくありません。"},
    )

    field_order = ["kind", "members", "requester_name", "requester_relation", "id_document", "purpose"]

    def __init__(self, *args: Any, members: Sequence[Any] = (), closed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(m.pk), f"{m.full_name}{'(除籍)' if m.is_removed else ''}") for m in members]
        if closed and not self.is_bound:
            self.initial["kind"] = CertificateKind.CLOSED_FULL

    def clean(self) -> dict[str, Any]:
        # The rule is the service's; the form shows its refusal with the other field errors.
        data = super().clean() or {}
        if "members" not in self.errors:
            try:
                certificates.require_members(kind=str(data.get("kind") or ""), members=data.get("members") or [])
            except ApplicationError as exc:
                self.add_error("members", exc.message)
        return data


class WideAreaSearchForm(forms.Form):
    """広域交付 (戸籍法 第120条の2): the register is identified by 本籍 and 筆頭者, as on the 請求書."""

    holding_schema = choice_field("本籍地の市町村", [])
    honseki = text_field(
        "本籍", max_length=200, help_text="請求書に記載された本籍(例: 高知県高岡郡四万十町琴平町1番地)"
    )
    head_name = text_field("筆頭者氏名", max_length=100)
    purpose = PurposeField(help_text="請求書に記載された利用目的(両方の町の監査記録に残ります)")

    def __init__(self, *args: Any, towns: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["holding_schema"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(towns)


class WideAreaIssueForm(WideAreaSearchForm):
    """The 請求者 must appear in person with a photo ID; only 本人・配偶者・直系尊属・直系卑属 (第120条の2第1項)."""

    koseki_number = choice_field("交付する戸籍", [])
    requester_family_name = text_field("請求者の氏", max_length=50)
    requester_given_name = text_field("請求者の名", max_length=50)
    requester_birth_date = date_field("請求者の生年月日")
    requester_honseki = text_field(
        "請求者の本籍",
        required=False,
        max_length=200,
        help_text="請求書に記載された請求者ご自身の本籍(同じ氏名・生年月日の方が他にいる場合に必要です)",
    )
    requester_relation = choice_field("請求者の資格", RequesterRelation.choices)
    id_document = text_field(
        "顔写真付きの本人確認書類", max_length=100, help_text="マイナンバーカード、運転免許証、パスポート など"
    )

    def __init__(self, *args: Any, registers: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["koseki_number"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(registers)

"""The rules every way into the register applies to one person or one address: the clerk's forms (through the
services), the API, the koseki 出生届 hook and the bulk/CSV import all call these functions, so a rule cannot hold
on one path and not on another (docs/domain/resident_register.md §9; docs/domain/resident_register.md).

* ``normalize_address`` / ``normalize_postal_code``: input as the clerk types it (full-width digits and hyphens,
  stray spaces) stored in one form (jaconv; docs/domain/resident_register.md §入力).
* ``check_person``: what a 住民票 entry of one person must satisfy (names within their fields, furigana in
  katakana, 性別, 続柄, a birth date not in the future, 住民となった年月日 between birth and today).
* ``check_residence_dates``: 住所を定めた年月日 never precedes 住民となった年月日 (住基法 第7条第6号・第7号).
* ``check_address_in_town``: a 転居 stays inside the town (住基法 第23条); a move elsewhere is a 転出 (第24条).

Each raises ``common.errors.ValidationFailed`` with a stable code, a Japanese message and ``details["field"]``,
which the bulk loader maps back to the row and column it came from.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import TYPE_CHECKING, Any

import jaconv

from common.errors import ValidationFailed
from common.text import to_katakana
from resident_records.models import Resident, ResidentType, Sex

if TYPE_CHECKING:
    from resident_records.services.common import PersonInput

# Furigana as the register keeps it: full-width katakana, the prolonged sound mark, ・ and single spaces.
KATAKANA_RE = re.compile(r"[\u30a0-\u30ff ]*")
HYPHENS = "-‐‑‒–—―−－ｰー"  # hyphen-like characters a clerk's IME produces between 番地 numbers
_POSTAL_RE = re.compile(r"(\d{3})-?(\d{4})")
# An address that starts with a prefecture names its municipality next (after an optional 郡).
_MUNICIPALITY_RE = re.compile(r"^(?:東京都|北海道|京都府|大阪府|.{2,3}県)(?:.+?郡)?(?P<town>.+?[市区町村])")

_LABELS = {
    "family_name": "氏",
    "given_name": "名",
    "family_name_kana": "氏(フリガナ)",
    "given_name_kana": "名(フリガナ)",
    "former_surname": "旧氏",
    "former_surname_kana": "旧氏(フリガナ)",
    "alias": "通称",
    "alias_kana": "通称(フリガナ)",
    "relationship": "続柄",
    "domicile": "本籍",
    "domicile_head": "筆頭者",
    "nationality": "国籍・地域",
    "residence_status": "在留資格",
    "address": "住所",
    "address_detail": "方書",
    "previous_address": "従前の住所",
    "postal_code": "郵便番号",
}
REASON_MAX_LENGTH = 200  # ChangeEvent.reason
_KANA_FIELDS = ("family_name_kana", "given_name_kana", "former_surname_kana", "alias_kana")


def invalid(message: str, *, field: str, code: str = "invalid_resident_input", **details: Any) -> ValidationFailed:
    return ValidationFailed(message, code=code, details={"field": field, **details})


def max_length(field: str) -> int:
    """The column's length in the register (the one source of every length rule)."""
    return int(Resident._meta.get_field(field).max_length or 0)  # type: ignore[union-attr]


def check_length(field: str, value: str) -> str:
    """A text longer than its column is an error naming the field, never silently cut
    (docs/domain/resident_register.md §9)."""
    limit = max_length(field)
    if limit and len(value) > limit:
        label = _LABELS.get(field, field)
        raise invalid(
            f"{label}は{limit}文字以内で入力してください(入力は{len(value)}文字です)。",
            field=field,
            code="text_too_long",
            max_length=limit,
        )
    return value


# --- input as typed -------------------------------------------------------------------------------------


def normalize_address(text: str) -> str:
    """住所・方書 as the register keeps them: full-width digits, letters and hyphens to half-width (jaconv), every
    hyphen-like mark to ``-``, runs of spaces to one. 「久礼１２３４－５」 and 「久礼1234-5」 are one address."""
    value = jaconv.z2h(text or "", kana=False, ascii=True, digit=True)
    value = "".join("-" if ch in HYPHENS and _between_digits(value, i) else ch for i, ch in enumerate(value))
    return " ".join(value.split())


def _between_digits(text: str, index: int) -> bool:
    # 「ー」 is also the prolonged sound mark of katakana place names (「ケーブル」): only a mark between
    # digits (or after one, 「12ー」) is a hyphen.
    before = text[index - 1] if index > 0 else ""
    return before.isdigit()


def normalize_postal_code(text: str) -> str:
    """郵便番号 as ``123-4567`` from 「１２３－４５６７」, 「1234567」 or 「〒123-4567」; empty stays empty."""
    value = normalize_address(unicodedata.normalize("NFKC", text or "")).replace("〒", "").replace(" ", "")
    if not value:
        return ""
    match = _POSTAL_RE.fullmatch(value)
    if match is None:
        raise invalid(
            "郵便番号は7桁の数字で入力してください(例: 789-1301)。", field="postal_code", code="invalid_postal_code"
        )
    return f"{match[1]}-{match[2]}"


def address_fields(
    *, address: str, address_detail: str = "", postal_code: str = "", previous_address: str = ""
) -> dict[str, str]:
    """The address items of a 異動, normalised and length-checked; 住所 itself is required."""
    values = {
        "address": normalize_address(address),
        "address_detail": normalize_address(address_detail),
        "postal_code": normalize_postal_code(postal_code),
        "previous_address": normalize_address(previous_address),
    }
    if not values["address"]:
        raise invalid("住所を入力してください。", field="address", code="address_required")
    for field, value in values.items():
        check_length(field, value)
    return values


def check_length_of_reason(reason: str) -> str:
    """理由・備考 of a 異動 (200 characters): a longer one is refused, not cut."""
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX_LENGTH:
        raise invalid(
            f"理由は{REASON_MAX_LENGTH}文字以内で入力してください(入力は{len(reason)}文字です)。",
            field="reason",
            code="text_too_long",
            max_length=REASON_MAX_LENGTH,
        )
    return reason


# --- one person -----------------------------------------------------------------------------------------


def check_person(person: PersonInput, *, today: date, became_resident_on: date | None = None) -> None:
    """The rules of one person's entry, whatever path it comes in by (form, API, hook, import)."""
    japanese = person.resident_type == ResidentType.JAPANESE
    if person.resident_type not in ResidentType.values:
        raise invalid("住民種別が正しくありません。", field="resident_type")
    if not person.family_name.strip():
        raise invalid("氏を入力してください。", field="family_name", code="required_field")
    if japanese and not person.given_name.strip():
        raise invalid("名を入力してください。", field="given_name", code="required_field")
    if person.sex not in Sex.values:
        raise invalid("性別は「1」(男)か「2」(女)で指定してください。", field="sex", code="invalid_sex")
    if not person.relationship.strip():
        raise invalid("続柄を入力してください。", field="relationship", code="relationship_required")
    for field in _LABELS:
        if hasattr(person, field):
            check_length(field, " ".join(str(getattr(person, field) or "").split()))
    for field in _KANA_FIELDS:
        if not KATAKANA_RE.fullmatch(to_katakana(getattr(person, field))):
            raise invalid("フリガナはカタカナで入力してください。", field=field, code="invalid_kana")
    if japanese and not person.family_name_kana.strip():
        raise invalid("氏のフリガナを入力してください。", field="family_name_kana", code="required_field")
    if person.birth_date > today:
        raise invalid("生年月日が未来の日付です。", field="birth_date", code="birth_date_in_future")
    if became_resident_on is not None and not person.birth_date <= became_resident_on <= today:
        raise invalid(
            "住民となった年月日が正しくありません(生年月日以後、今日以前)。",
            field="became_resident_on",
            code="invalid_became_resident_on",
        )


def check_residence_dates(*, became_resident_on: date, address_set_on: date) -> None:
    """住所を定めた年月日 is on or after 住民となった年月日: one cannot set an address here before living here."""
    if address_set_on < became_resident_on:
        raise invalid(
            "住所を定めた年月日が住民となった年月日より前になっています。",
            field="address_set_on",
            code="address_set_before_residence",
            became_resident_on=became_resident_on.isoformat(),
            address_set_on=address_set_on.isoformat(),
        )


# --- the town -------------------------------------------------------------------------------------------


def named_municipality(address: str) -> str | None:
    """The municipality an address names when it starts with its prefecture (「高知県高岡郡中土佐町久礼」→ 中土佐町)."""
    text = "".join(unicodedata.normalize("NFKC", address or "").split())
    match = _MUNICIPALITY_RE.match(text)
    return match["town"] if match else None


def check_address_in_town(address: str, *, town_name: str) -> None:
    """A 転居 is a move inside the town (住基法 第23条); an address in another municipality is a 転出 (第24条)."""
    named = named_municipality(address)
    if named is not None and named != unicodedata.normalize("NFKC", town_name):
        raise invalid(
            f"転居先の住所が{town_name}の外({named})です。町外への異動は転出届で処理してください"
            "(住民基本台帳法 第23条・第24条)。",
            field="address",
            code="change_of_address_outside_town",
        )

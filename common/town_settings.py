"""Per-town settings with a 施行日: what an ordinance, an election or the town's IT staff decide, per town.

A value such as the fee of a 戸籍の附票の写し (each town's 手数料条例), the mayor's name printed on every
certificate, or the public address of the verification page differs between towns and changes over time.
It is kept in ``common.TownSetting`` (the town's own schema), one row per value and 施行日, never overwritten;
``setting_in_force(key, on=day)`` is the one read every consumer uses. Apps register the keys they read, with
the default that applies while a town has recorded nothing (``register`` in their AppConfig.ready).

Rules: docs/domain/town-settings.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from common import audit
from common.dates import local_today
from common.errors import ValidationFailed
from common.models import TownSetting


@dataclass(frozen=True)
class SettingSpec:
    """A registered key: its Japanese label, type (``int`` yen / ``text`` / ``url``) and default."""

    key: str
    label: str
    kind: str
    default: str
    help_text: str = ""


_SPECS: dict[str, SettingSpec] = {}

MAYOR_NAME = "town.mayor_name"
PUBLIC_URL = "town.public_url"


def register(*specs: SettingSpec) -> None:
    for spec in specs:
        _SPECS[spec.key] = spec


def specs() -> list[SettingSpec]:
    return sorted(_SPECS.values(), key=lambda spec: spec.key)


def spec(key: str) -> SettingSpec:
    try:
        return _SPECS[key]
    except KeyError:
        raise ValidationFailed(f"設定項目「{key}」は登録されていません。", code="unknown_setting") from None


register(
    SettingSpec(MAYOR_NAME, "町長の氏名(証明書の認証者)", "text", "", "例: 池田　洋光(空欄の間は「○○町長」のみ印字)"),
    SettingSpec(PUBLIC_URL, "公開URL(証明書の確認ページ)", "url", "", "例: https://kyodo.town.nakatosa.lg.jp"),
)


# --- reads ----------------------------------------------------------------------------------------------


def setting_in_force(key: str, *, on: date | None = None) -> str:
    """The value of ``key`` in force in the current town on ``on`` (today by default): the row with the latest
    施行日 not after the day, else the registered default."""
    day = on or local_today()
    value = (
        TownSetting.objects.filter(key=key, effective_from__lte=day)
        .order_by("-effective_from", "-pk")
        .values_list("value", flat=True)
        .first()
    )
    return value if value is not None else spec(key).default


def int_setting_in_force(key: str, *, on: date | None = None) -> int:
    return int(setting_in_force(key, on=on))


def mayor_title(town_name: str, *, on: date | None = None) -> str:
    """The issuer line of a certificate: 「中土佐町長　池田　洋光」, or 「中土佐町長」 while no name is recorded."""
    name = setting_in_force(MAYOR_NAME, on=on).strip()
    return f"{town_name}長\u3000{name}" if name else f"{town_name}長"


def history(key: str) -> list[TownSetting]:
    return list(TownSetting.objects.filter(key=key).order_by("effective_from", "pk"))


# --- writes ---------------------------------------------------------------------------------------------


def _clean(setting: SettingSpec, value: str) -> str:
    text = " ".join(str(value).split()) if setting.kind != "text" else str(value).strip()
    checks: dict[str, Callable[[str], bool]] = {
        "int": lambda v: v.isdigit(),
        "url": lambda v: v == "" or v.startswith(("https://", "http://")),
        "text": lambda v: True,
    }
    if not checks[setting.kind](text):
        kind = {"int": "0以上の整数(円)", "url": "https:// で始まるURL"}.get(setting.kind, "文字列")
        raise ValidationFailed(f"{setting.label}は{kind}で入力してください。", code="invalid_setting_value")
    return text.rstrip("/") if setting.kind == "url" else text


def validate(*, key: str, value: str, effective_from: date) -> tuple[SettingSpec, str]:
    """The checks of ``record_setting`` (also shown by the admin form before saving): a known key, a value of
    its type, and a 施行日 not in the past."""
    setting = spec(key)
    text = _clean(setting, value)
    if effective_from < local_today():
        raise ValidationFailed(
            "施行日に過去の日付は指定できません(発行済みの証明書の根拠が変わるため)。", code="setting_in_the_past"
        )
    return setting, text


def record_setting(*, actor: Any, key: str, value: str, effective_from: date, basis: str = "") -> TownSetting:
    """Record a new value from its 施行日. A value never replaces another of the same day, and none starts in the
    past: what was in force when a certificate was issued stays provable."""
    setting, text = validate(key=key, value=value, effective_from=effective_from)
    person_id = getattr(actor, "pk", None)
    try:
        with transaction.atomic():
            row = TownSetting.objects.create(
                key=key,
                value=text,
                effective_from=effective_from,
                basis=" ".join(basis.split())[:200],
                recorded_by_id=person_id,
                recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
            )
            audit.record(
                actor=actor,
                action="town_setting.record",
                obj=row,
                details={"key": key, "value": text, "effective_from": str(effective_from), "basis": row.basis},
            )
    except IntegrityError:
        raise ValidationFailed(
            f"{setting.label}には、同じ施行日の値が既に登録されています(登録済みの値は変更できません)。",
            code="setting_exists",
        ) from None
    return row

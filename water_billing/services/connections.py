"""The contract of a connection (docs/domain/water_billing.md §1, §8): 開栓 for a new 使用者, 閉栓 with a request for
the final reading, and 名義変更. Each is audited and runs in one transaction (or the caller's: a confirmed move
task applies its changes together)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from common import audit
from common.errors import ApplicationError, ValidationFailed
from water_billing.models import Connection, FinalReadingRequest

PURPOSE = "水道の開栓・閉栓・名義変更(使用者の契約)"


class ConnectionStateInvalid(ApplicationError):
    code = "connection_state_invalid"
    message = "この給水装置の状態では、その手続はできません。"
    status_code = 409


@dataclass(frozen=True)
class UserDetails:
    """The 使用者 of a contract: from the resident register (宛名番号) or as the clerk typed them."""

    name: str
    kana: str = ""
    resident_number: str = ""

    def check(self) -> None:
        if not self.name.strip():
            raise ValidationFailed("新しい使用者の氏名を入力してください。", code="user_name_required")


def _name(actor: Any) -> str:
    return str(getattr(actor, "full_name", "") or "")[:100]


def _audit(actor: Any, action: str, connection: Connection, details: dict[str, object]) -> None:
    audit.record(
        actor=actor, action=f"water.connection.{action}",
        obj=("water_billing.Connection", connection.tap_number, connection.tap_number),
        personal_data=True, purpose=PURPOSE, details=details,
    )  # fmt: skip


def _persons(user: UserDetails) -> dict[str, object]:
    return {"persons": [user.resident_number]} if user.resident_number else {}


def _set_user(connection: Connection, user: UserDetails) -> list[str]:
    connection.user_name = user.name.strip()[:100]
    connection.user_kana = user.kana.strip()[:100]
    connection.resident_number = user.resident_number.strip()[:15]
    return ["user_name", "user_kana", "resident_number"]


def open_connection(*, actor: Any, connection: Connection, opened_on: date, user: UserDetails) -> Connection:
    """開栓 for ``user`` from ``opened_on``: a closed connection is opened again (its earlier periods stay billed
    as they were); an open one changes its 使用者 (the previous user did not close)."""
    user.check()
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        if connection.closed_on is not None and opened_on <= connection.closed_on:
            raise ValidationFailed("開栓日は閉栓日より後の日付にしてください。", code="open_before_close")
        before = {"user": connection.user_name, "opened_on": connection.opened_on.isoformat()}
        fields = _set_user(connection, user)
        if connection.closed_on is not None:
            connection.opened_on, connection.closed_on = opened_on, None
            fields += ["opened_on", "closed_on"]
        connection.save(update_fields=fields)
        _audit(actor, "open", connection, {"before": before, "opened_on": opened_on.isoformat(), **_persons(user)})
    return connection


def close_connection(*, actor: Any, connection: Connection, closed_on: date, reason: str) -> FinalReadingRequest:
    """閉栓 on ``closed_on`` and a request for the final reading (閉栓精算, §4: billed on its final reading)."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        if connection.closed_on is not None:
            raise ConnectionStateInvalid("この給水装置は既に閉栓されています。", code="already_closed")
        if closed_on < connection.opened_on:
            raise ValidationFailed("閉栓日は開栓日より後の日付にしてください。", code="close_before_open")
        connection.closed_on = closed_on
        connection.save(update_fields=["closed_on"])
        request = FinalReadingRequest.objects.create(
            connection=connection, closed_on=closed_on, reason=reason[:100],
            requested_by_id=getattr(actor, "pk", None), requested_by_name=_name(actor),
        )  # fmt: skip
        _audit(actor, "close", connection, {"closed_on": closed_on.isoformat(), "reason": reason})
    return request


def transfer_connection(*, actor: Any, connection: Connection, on: date, user: UserDetails) -> Connection:
    """名義変更 from ``on``: the contract continues under the new 使用者 (death of the user, a change of household)."""
    user.check()
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        if connection.closed_on is not None:
            raise ConnectionStateInvalid("閉栓済みの給水装置は名義変更できません。", code="connection_closed")
        before = connection.user_name
        connection.save(update_fields=_set_user(connection, user))
        _audit(actor, "transfer", connection, {"before": before, "on": on.isoformat(), **_persons(user)})
    return connection

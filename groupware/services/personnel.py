"""人事異動 from the personnel office's CSV: parsed here, previewed with tenants.organisation.plan_transfers and
applied in one step with apply_transfers (docs/domain/organisation.md §4, docs/domain/groupware.md §7).

The CSV (UTF-8, a BOM allowed) has the header 職員ID,所属コード,職名,所属長 — the 職員ID is the login name, an empty
所属コード means the person leaves the town's organisation, 所属長 is 1 for the unit's head. Groupware rights follow
the postings, so nothing else moves: organisation calendars, workflow routes (所属長 steps) and unit notices and
facilities change with the batch's date.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from common.errors import PermissionDenied, ValidationFailed
from groupware import org
from tenants import organisation
from tenants.models import Municipality, Person, Role
from tenants.organisation import Move, MovePlan

HEADER = ["職員ID", "所属コード", "職名", "所属長"]
MAX_BYTES = 2 * 1024 * 1024
PERSONNEL_ROLES = {Role.IT_ADMIN, Role.PERSONNEL_OFFICER}


class TransferFileInvalid(ValidationFailed):
    code = "transfer_file_invalid"
    message = "人事異動のファイルに誤りがあります。"


@dataclass
class TransferPreview:
    plan: MovePlan | None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.plan is not None and self.plan.ok


def _check_actor(actor: Person, town: Municipality) -> None:
    if not org.roles_of(actor, town) & PERSONNEL_ROLES:
        raise PermissionDenied("人事異動を取り込めるのは人事担当・情報システム担当だけです。", code="not_personnel")


def read_moves(data: bytes) -> tuple[list[Move], list[str]]:
    """The moves of a CSV, with an error per bad line (nothing is written)."""
    if len(data) > MAX_BYTES:
        raise TransferFileInvalid("ファイルが大きすぎます(2MBまで)。", code="file_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TransferFileInvalid("文字コードは UTF-8 にしてください。") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [cell.strip() for cell in rows[0]] != HEADER:
        raise TransferFileInvalid(f"1行目(見出し)は {','.join(HEADER)} にしてください。", code="transfer_header")
    usernames = {row[0].strip() for row in rows[1:] if row}
    people = {p.username: p for p in Person.objects.filter(username__in=usernames, is_active=True)}
    moves: list[Move] = []
    errors: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * (4 - len(row))
        person = people.get(cells[0])
        if person is None:
            errors.append(f"{number}行目: 職員ID {cells[0]} の職員が見つかりません。")
            continue
        if cells[3] not in {"", "0", "1"}:
            errors.append(f"{number}行目: 所属長は 1 または 0 で入力してください。")
            continue
        moves.append(Move(person=person, unit_code=cells[1], title=cells[2][:50], is_manager=cells[3] == "1"))
    return moves, errors


def preview_transfers(*, actor: Person, effective_on: date, data: bytes) -> TransferPreview:
    """What the batch would do, line by line: the preview shown before it is applied."""
    town = org.current_town()
    _check_actor(actor, town)
    moves, errors = read_moves(data)
    plan = organisation.plan_transfers(municipality=town, effective_on=effective_on, moves=moves)
    return TransferPreview(plan=plan, errors=errors + plan.errors)


def apply_transfer_file(*, actor: Person, effective_on: date, data: bytes) -> MovePlan:
    """Apply the batch in one step, all or nothing (the audit row is tenants.organisation's, one for the batch)."""
    town = org.current_town()
    _check_actor(actor, town)
    moves, errors = read_moves(data)
    if errors:
        raise TransferFileInvalid(" / ".join(errors[:5]), details={"errors": errors})
    return organisation.apply_transfers(actor=actor, municipality=town, effective_on=effective_on, moves=moves)

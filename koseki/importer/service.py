"""The import of a migration file: check it whole, refuse a second import, load it all or nothing."""

from __future__ import annotations

from common import audit
from common.csv_import import (
    RowError,
)
from common.errors import ValidationFailed
from koseki.importer.inputs import RegisterInput, plain_key
from koseki.importer.layout import LABEL, ImportReport
from koseki.importer.load import load_registers
from koseki.importer.reading import decode, parse
from koseki.models import (
    Koseki,
    KosekiStatus,
)
from tenants.models import Person

AUDIT_LABELS = {
    "koseki.import": "戸籍: 移行(既存戸籍の一括登録)",
    "koseki.import_checked": "戸籍: 移行ファイルの検査",
    "koseki.import_rejected": "戸籍: 移行ファイルの却下",
}


def _existing(registers: list[RegisterInput]) -> list[tuple[RegisterInput, str]]:
    """Registers of the file already in this town (current, same 本籍 and 筆頭者): a second import of the same
    file must not create them twice."""
    places = {" ".join(r.honseki.split()) for r in registers}
    known = {
        (plain_key(k.honseki), plain_key(f"{k.family_name}{k.head_given_name}"))
        for k in Koseki.objects.filter(honseki__in=places, status=KosekiStatus.CURRENT)
    }
    found = []
    for register in registers:
        head = next((m for m in register.members if m.is_head), None)
        if head is None or register.status != KosekiStatus.CURRENT:
            continue
        if (plain_key(register.honseki), plain_key(f"{register.family_name}{head.given_name}")) in known:
            found.append((register, f"{register.honseki} {register.family_name}{head.given_name}"))
    return found


def import_csv(*, actor: Person | None, data: bytes, purpose: str, dry_run: bool = False) -> ImportReport:
    """Check a whole file and, if it has no error and ``dry_run`` is False, load it (all or nothing).

    Returns the report; the caller raises ``ImportInvalid(details=report.error_details())`` on errors.
    """
    if not (purpose or "").strip():
        raise ValidationFailed("移行(一括登録)の目的を入力してください。", code="purpose_required")
    registers, errors = parse(decode(data))
    report = ImportReport(
        registers=len(registers), members=sum(len(r.members) for r in registers), dry_run=dry_run, errors=errors
    )
    if not errors:
        for register, label in _existing(registers):
            errors.append(
                RowError(
                    register.source_row, LABEL["koseki_key"],
                    f"戸籍キー「{register.source_key}」: {label} の戸籍は既に登録されています(二重の取込)。",
                )
            )  # fmt: skip
    if errors or dry_run:
        # A check or a refusal still read personal data: one row, without names (the loader audits the load).
        audit.record(
            actor=actor,
            action="koseki.import_rejected" if errors else "koseki.import_checked",
            purpose=purpose,
            personal_data=True,
            details={"registers": report.registers, "members": report.members, "errors": len(errors)},
        )
        return report
    report.result = load_registers(
        actor=actor, registers=registers, purpose=purpose, details={"source": "csv", "file_registers": len(registers)}
    )
    return report

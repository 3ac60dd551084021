"""Import of existing registers (移行) from the layout of docs/koseki_import_layout.md, and the bulk loader.

A town migrating from its old 戸籍総合システム hands over its registers as one CSV file in which every row
names its record type (戸籍 / 者 / 事項 / 附票) and the register it belongs to (戸籍キー). The whole file is read
and checked first, collecting every error with its row number, column and a Japanese message; only a file
without any error is loaded, in one transaction — all or nothing (a half-migrated register would be worse
than none: certificates would omit people or 身分事項).

``load_registers`` is the loader itself, shared with the demo (koseki.demo): it writes registers, members,
entries (身分事項 / 戸籍事項 with printable ``fields``), furigana history and 附票 lines in bulk, records the
load as one Notification of kind ``import`` (the 受付帳 line of the migration) and one audit row naming the
戸籍番号 range — one row per load, not per register, as for the resident register's bulk load.

Modules: ``inputs`` (what the loader takes), ``load`` (the loader), ``layout`` (the CSV layout and the report),
``reading`` (reading and checking a file), ``service`` (``import_csv``). Callers import ``koseki.importer``.
"""

from __future__ import annotations

from koseki.importer.inputs import (
    PERSON_KEY_NAMESPACE,
    EntryInput,
    FuhyoInput,
    FuriganaInput,
    LoadResult,
    MemberInput,
    RegisterInput,
    derive_keys,
    person_key_of,
    plain_key,
)
from koseki.importer.layout import (
    COLUMNS,
    DATE_LABELS,
    FURIGANA_STATUS_MESSAGE,
    LABEL,
    RECORD_TYPES,
    ImportInvalid,
    ImportReport,
    default_fields,
    wareki_text,
)
from koseki.importer.load import (
    BATCH_SIZE,
    load_registers,
)
from koseki.importer.reading import (
    decode,
    parse,
)
from koseki.importer.service import (
    AUDIT_LABELS,
    import_csv,
)

__all__ = [
    "AUDIT_LABELS",
    "BATCH_SIZE",
    "COLUMNS",
    "DATE_LABELS",
    "FURIGANA_STATUS_MESSAGE",
    "LABEL",
    "PERSON_KEY_NAMESPACE",
    "RECORD_TYPES",
    "EntryInput",
    "FuhyoInput",
    "FuriganaInput",
    "ImportInvalid",
    "ImportReport",
    "LoadResult",
    "MemberInput",
    "RegisterInput",
    "decode",
    "default_fields",
    "derive_keys",
    "import_csv",
    "load_registers",
    "parse",
    "person_key_of",
    "plain_key",
    "wareki_text",
]

"""The clerk's resident-register pages (検索, 住民, 異動, 証明書, 交付履歴): parse -> one service/selector -> render.

The access middleware lets only clerks and auditors into this module (tenants.access). Auditors may read;
every write (異動, 交付, 無効, 個人番号の表示) is for clerks only (``clerk_only``). Every page that shows a
person's details goes through ``personal_data_page`` (common.purpose.PurposeGate): it demands the 利用目的, and the
page's read selector (selectors.view_resident, view_household, view_issuances) writes the audit row
(docs/audit.md). Residents are named in URLs by 宛名番号 and households by 世帯番号, never by row id.

One module per topic; this package re-exports every view and the shared names (``views.<name>`` keeps resolving
for resident_records.urls, views_support, views_notices, views_import and the tests).
"""

from resident_records.views.certificates import (
    ISSUED_PDF_SECONDS,
    certificate_preview_view,
    certificate_view,
    issued_pdf_key,
    issued_pdf_view,
    issued_view,
)
from resident_records.views.common import (
    GATE,
    PREVIEW_FIELDS,
    PREVIEW_SESSION_KEY,
    PURPOSE_SESSION_KEY,
    SEARCH_LIMIT,
    clerk_only,
    personal_data_page,
    show_refusal,
)
from resident_records.views.corrections import CORRECTIONS, cancel_event_view, correction_view
from resident_records.views.departures import confirm_move_out_view, ex_officio_removal_view, move_out_view
from resident_records.views.household_events import (
    birth_view,
    change_head_view,
    change_of_address_view,
    death_view,
    move_in_view,
)
from resident_records.views.households import merge_households_view, split_household_view
from resident_records.views.issuances import issuance_list_view, void_issuance_view
from resident_records.views.residents import resident_view, reveal_my_number_view
from resident_records.views.search import inspection_view, search_view

__all__ = [
    "CORRECTIONS",
    "GATE",
    "ISSUED_PDF_SECONDS",
    "PREVIEW_FIELDS",
    "PREVIEW_SESSION_KEY",
    "PURPOSE_SESSION_KEY",
    "SEARCH_LIMIT",
    "birth_view",
    "cancel_event_view",
    "certificate_preview_view",
    "certificate_view",
    "change_head_view",
    "change_of_address_view",
    "clerk_only",
    "confirm_move_out_view",
    "correction_view",
    "death_view",
    "ex_officio_removal_view",
    "inspection_view",
    "issuance_list_view",
    "issued_pdf_key",
    "issued_pdf_view",
    "issued_view",
    "merge_households_view",
    "move_in_view",
    "move_out_view",
    "personal_data_page",
    "resident_view",
    "reveal_my_number_view",
    "search_view",
    "show_refusal",
    "split_household_view",
    "void_issuance_view",
]

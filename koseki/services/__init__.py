"""届出 (notifications under the Family Register Act) as services, one function per 届出.

Every service takes ``actor`` and keyword-only arguments, runs in one transaction, locks what it changes
(members by pk, then registers by pk), writes one Notification (受付帳, gapless number per town and year),
the entries of every register involved, and one audit row ``koseki.<kind>``. Refusals raise
koseki.errors.KosekiRuleError subclasses and write nothing.
"""

from koseki.services import adoptions, births, corrections, furigana, marriages, removals, transfer
from koseki.services.adoptions import record_adoption
from koseki.services.births import birth_parent_candidates, record_birth
from koseki.services.common import OutsidePerson, next_notification_number, refresh_search_text
from koseki.services.corrections import correct_entry
from koseki.services.furigana import record_furigana, record_furigana_ex_officio, record_planned_furigana
from koseki.services.marriages import record_divorce, record_marriage
from koseki.services.removals import record_death, record_split
from koseki.services.transfer import record_transfer

AUDIT_LABELS: dict[str, str] = {
    **births.AUDIT_LABELS,
    **marriages.AUDIT_LABELS,
    **removals.AUDIT_LABELS,
    **adoptions.AUDIT_LABELS,
    **transfer.AUDIT_LABELS,
    **furigana.AUDIT_LABELS,
    **corrections.AUDIT_LABELS,
}

__all__ = [
    "AUDIT_LABELS",
    "OutsidePerson",
    "birth_parent_candidates",
    "correct_entry",
    "next_notification_number",
    "record_adoption",
    "record_birth",
    "record_death",
    "record_divorce",
    "record_furigana",
    "record_furigana_ex_officio",
    "record_marriage",
    "record_planned_furigana",
    "record_split",
    "record_transfer",
    "refresh_search_text",
]

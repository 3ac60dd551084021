"""届出 (notifications under the Family Register Act) as services, one function per 届出.

Every service takes ``actor`` and keyword-only arguments, runs in one transaction, locks what it changes
(members by pk, then registers by pk), writes one Notification (受付帳, gapless number per town and year),
the entries of every register involved, and one audit row ``koseki.<kind>``. Refusals raise
koseki.errors.KosekiRuleError subclasses and write nothing.
"""

from koseki.services import (
    acknowledgments,
    adoptions,
    births,
    corrections,
    dissolutions,
    divorces,
    furigana,
    marriages,
    names,
    naturalization,
    non_acceptance,
    removals,
    surnames,
    transfer,
)
from koseki.services.acknowledgments import record_acknowledgment
from koseki.services.adoptions import record_adoption
from koseki.services.births import birth_parent_candidates, record_birth
from koseki.services.common import OutsidePerson, next_notification_number
from koseki.services.corrections import correct_entry
from koseki.services.dissolutions import record_dissolution
from koseki.services.divorces import record_divorce, record_foreign_divorce
from koseki.services.furigana import record_furigana, record_furigana_ex_officio, record_planned_furigana
from koseki.services.marriages import record_marriage
from koseki.services.names import record_foreign_spouse_surname, record_given_name_change, record_surname_change
from koseki.services.naturalization import record_nationality_acquisition, record_naturalization
from koseki.services.non_acceptance import record_non_acceptance, withdraw_non_acceptance
from koseki.services.removals import record_death, record_split
from koseki.services.surnames import record_child_surname, record_marital_surname
from koseki.services.text import refresh_search_text
from koseki.services.transfer import record_transfer

AUDIT_LABELS: dict[str, str] = {
    **births.AUDIT_LABELS,
    **marriages.AUDIT_LABELS,
    **divorces.AUDIT_LABELS,
    **removals.AUDIT_LABELS,
    **adoptions.AUDIT_LABELS,
    **transfer.AUDIT_LABELS,
    **furigana.AUDIT_LABELS,
    **corrections.AUDIT_LABELS,
    **acknowledgments.AUDIT_LABELS,
    **dissolutions.AUDIT_LABELS,
    **names.AUDIT_LABELS,
    **naturalization.AUDIT_LABELS,
    **non_acceptance.AUDIT_LABELS,
    **surnames.AUDIT_LABELS,
}

__all__ = [
    "AUDIT_LABELS",
    "OutsidePerson",
    "birth_parent_candidates",
    "correct_entry",
    "next_notification_number",
    "record_acknowledgment",
    "record_adoption",
    "record_birth",
    "record_child_surname",
    "record_death",
    "record_dissolution",
    "record_divorce",
    "record_foreign_divorce",
    "record_foreign_spouse_surname",
    "record_furigana",
    "record_furigana_ex_officio",
    "record_given_name_change",
    "record_marital_surname",
    "record_marriage",
    "record_nationality_acquisition",
    "record_naturalization",
    "record_non_acceptance",
    "record_planned_furigana",
    "record_split",
    "record_surname_change",
    "record_transfer",
    "refresh_search_text",
    "withdraw_non_acceptance",
]

"""Reads of the resident register, by topic:

- ``as_of``: the state of a resident or a household as of any date (how a past state is computed);
- ``household_order``: the order of a household's members on a certificate;
- ``notices``: the lists the clerk works through (期間経過の届出, 処理待ち, 転出 not completed);
- ``audited``: audited reads of persons (each takes the actor and the 利用目的);
- ``logs``: audited logs (異動, 交付履歴);
- ``statistics``: counts other modules use (population, certificates issued);
- ``moves``: 異動 that move someone, pulled by other offices' task lists (water billing).

The public names are re-exported here: callers import ``resident_records.selectors``.
"""

from __future__ import annotations

from resident_records.selectors.as_of import (
    CORRECTION_KINDS,
    JOINING_KINDS,
    NOT_A_STATE,
    HouseholdAsOf,
    effective_records,
    events_for,
    history,
    household_as_of,
    household_head_as_of,
    household_members_as_of,
    resident_as_of,
    state_from_records,
)
from resident_records.selectors.audited import (
    HouseholdView,
    ResidentView,
    current_residents,
    find_resident_page,
    find_residents,
    household_by_number,
    measures_of,
    resident_by_atena_number,
    reveal_my_number,
    support_measures_needing_attention,
    view_household,
    view_issuance,
    view_issuances,
    view_resident,
    view_resident_history,
    view_residents,
    view_support_measures,
)
from resident_records.selectors.household_order import (
    household_sort_key,
    ordered_members,
    relationship_group,
)
from resident_records.selectors.logs import (
    certificate_issuance_log,
    change_event_log,
)
from resident_records.selectors.moves import (
    ADDRESS_MOVE_KINDS,
    AddressMove,
    address_moves_since,
)
from resident_records.selectors.notices import (
    OverdueNotice,
    clerk_tasks,
    overdue_move_outs,
    overdue_notices,
)
from resident_records.selectors.statistics import (
    certificates_issued,
    population_on,
)

__all__ = [
    "ADDRESS_MOVE_KINDS",
    "CORRECTION_KINDS",
    "JOINING_KINDS",
    "NOT_A_STATE",
    "AddressMove",
    "HouseholdAsOf",
    "HouseholdView",
    "OverdueNotice",
    "ResidentView",
    "address_moves_since",
    "certificate_issuance_log",
    "certificates_issued",
    "change_event_log",
    "clerk_tasks",
    "current_residents",
    "effective_records",
    "events_for",
    "find_resident_page",
    "find_residents",
    "history",
    "household_as_of",
    "household_by_number",
    "household_head_as_of",
    "household_members_as_of",
    "household_sort_key",
    "measures_of",
    "ordered_members",
    "overdue_move_outs",
    "overdue_notices",
    "population_on",
    "relationship_group",
    "resident_as_of",
    "resident_by_atena_number",
    "reveal_my_number",
    "state_from_records",
    "support_measures_needing_attention",
    "view_household",
    "view_issuance",
    "view_issuances",
    "view_resident",
    "view_resident_history",
    "view_residents",
    "view_support_measures",
]

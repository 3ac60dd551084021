"""異動 (change events) of the resident register, each one service (住民記録システム標準仕様書 §1.2.2, §4).

Every service runs in one transaction: it writes one immutable ChangeEvent, a ResidentRecord for every
resident it touches (the whole entry after the event), updates the current rows under an optimistic
version check, and writes one audit row per resident (personal data, with the event as the purpose).

Date rules (標準仕様書 §4.0.3, §4.1.3.0.1; docs/domain/resident_register.md):
* 処理日 is the server's clock; 異動日 must not be in the future, except for a planned 転出.
* 届出日 must not be in the future nor (except for 転出) before the 異動日.
* A 届出 kind needs its 届出日 (an empty one is an error). A 転出届 more than KYODO_LATE_NOTICE_DAYS (14) days
  after the 異動日 is recorded as 職権 (§4.1.3.0.1); any other late 届出 stays a 届出 marked 期間経過 and is
  listed for the 住基法 第52条 notice (``notice_timing``, ``selectors.overdue_notices``).
* An event cannot be dated before the resident's last recorded 異動 (the history would be rewritten out of
  order); a correction instead names the date it is effective from.

Households (住基法 第25条): whenever a 世帯主 leaves a household that keeps members (転出, 死亡, 職権消除, 世帯分離),
the new 世帯主 is chosen in the same event and every remaining member's 続柄 is given relative to them —
otherwise the event is refused. A household whose last member leaves is dissolved.

Mistakes are never edited away: 異動の取消し (cancel_event) cancels the latest event of the residents it touched
and restores their previous state; 職権修正 / 誤記修正 change named fields from a given date, leaving the
mistaken records in the history (see selectors for how a past state is read).
"""

from resident_records.services.births_deaths import record_birth, record_death
from resident_records.services.cancellation import cancel_event
from resident_records.services.common import (
    HEAD,
    NEUTRAL_KINDS,
    PersonInput,
    Versioned,
    check_dates,
    latest_record,
    lock_household,
    lock_residents,
    notice_timing,
    notify_fuhyo,
    person_attributes,
    require_chosen,
    search_keys,
)
from resident_records.services.ex_officio import (
    CORRECTABLE_FIELDS,
    correct_clerical_error,
    record_ex_officio_correction,
    record_ex_officio_entry,
    record_ex_officio_removal,
)
from resident_records.services.households import change_head, household_to_merge, merge_households, split_household
from resident_records.services.moves import confirm_move_out, plan_move_out, record_change_of_address, record_move_in

__all__ = [
    "CORRECTABLE_FIELDS",
    "HEAD",
    "NEUTRAL_KINDS",
    "PersonInput",
    "Versioned",
    "cancel_event",
    "change_head",
    "check_dates",
    "confirm_move_out",
    "correct_clerical_error",
    "household_to_merge",
    "latest_record",
    "lock_household",
    "lock_residents",
    "merge_households",
    "notice_timing",
    "notify_fuhyo",
    "person_attributes",
    "plan_move_out",
    "record_birth",
    "record_change_of_address",
    "record_death",
    "record_ex_officio_correction",
    "record_ex_officio_entry",
    "record_ex_officio_removal",
    "record_move_in",
    "require_chosen",
    "search_keys",
    "split_household",
]

"""The clerk's 戸籍 pages (検索, 戸籍の表示, 届出, 証明書, 交付履歴, 広域交付): parse -> one service/selector -> render.

One module a topic: ``common`` (the clerk-only guard, the 利用目的 kept in the session, shared rows),
``registers`` (検索, 戸籍の表示), ``notifications`` (届出, 職権訂正), ``family_notifications`` (認知, 養子離縁,
氏名の変更, 帰化, 不受理申出 ...), ``late_notices`` (失期通知), ``certificates`` (交付, 見本, 交付履歴) and
``wide_area`` (広域交付). koseki/urls.py and the tests use the names re-exported here.
"""

from koseki.views.certificates import (
    PREVIEW_SESSION_KEY,
    certificate_preview_view,
    certificate_view,
    issuance_list_view,
)
from koseki.views.common import PURPOSE_SESSION_KEY, clerk_only
from koseki.views.family_notifications import (
    acknowledgment_view,
    child_surname_view,
    dissolution_view,
    foreign_surname_view,
    given_name_change_view,
    marital_surname_view,
    naturalization_view,
    non_acceptance_view,
    non_acceptance_withdrawal_view,
    surname_change_view,
)
from koseki.views.late_notices import late_notices_view
from koseki.views.notifications import (
    adoption_view,
    birth_view,
    correction_view,
    death_view,
    divorce_view,
    furigana_view,
    marriage_view,
    split_view,
    transfer_view,
)
from koseki.views.registers import register_view, search_view
from koseki.views.wide_area import WIDE_AREA_SESSION_KEY, wide_area_view

__all__ = [
    "PREVIEW_SESSION_KEY",
    "PURPOSE_SESSION_KEY",
    "WIDE_AREA_SESSION_KEY",
    "acknowledgment_view",
    "adoption_view",
    "birth_view",
    "certificate_preview_view",
    "certificate_view",
    "child_surname_view",
    "clerk_only",
    "correction_view",
    "death_view",
    "dissolution_view",
    "divorce_view",
    "foreign_surname_view",
    "furigana_view",
    "given_name_change_view",
    "issuance_list_view",
    "late_notices_view",
    "marital_surname_view",
    "marriage_view",
    "naturalization_view",
    "non_acceptance_view",
    "non_acceptance_withdrawal_view",
    "register_view",
    "search_view",
    "split_view",
    "surname_change_view",
    "transfer_view",
    "wide_area_view",
]

"""The clerk's 戸籍 pages (検索, 戸籍の表示, 届出, 証明書, 交付履歴, 広域交付): parse -> one service/selector -> render.

One module a topic: ``common`` (the clerk-only guard, the 利用目的 kept in the session, shared rows),
``registers`` (検索, 戸籍の表示), ``notifications`` (届出, 職権訂正), ``certificates`` (交付, 見本, 交付履歴) and
``wide_area`` (広域交付). koseki/urls.py and the tests use the names re-exported here.
"""

from koseki.views.certificates import (
    PREVIEW_SESSION_KEY,
    certificate_preview_view,
    certificate_view,
    issuance_list_view,
)
from koseki.views.common import PURPOSE_SESSION_KEY, clerk_only
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
    "adoption_view",
    "birth_view",
    "certificate_preview_view",
    "certificate_view",
    "clerk_only",
    "correction_view",
    "death_view",
    "divorce_view",
    "furigana_view",
    "issuance_list_view",
    "marriage_view",
    "register_view",
    "search_view",
    "split_view",
    "transfer_view",
    "wide_area_view",
]

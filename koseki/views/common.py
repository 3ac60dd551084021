"""What every 戸籍 page shares: the clerk-only guard, the 利用目的 kept in the session, the register rows.

The access middleware lets only clerks and auditors into this module (tenants.access). Auditors may read
registers and the 交付履歴; every 届出 and every 交付 is for clerks only (``clerk_only``). Every display of a
register is audited with the clerk's 利用目的 (issue 4 §9); as in resident_records, the purpose is kept in the
session so the clerk does not retype it for each register of the same counter task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.http import pdf_attachment
from common.tenancy import current_schema
from koseki import fuhyo
from koseki.models import CertificateIssuance, Entry
from tenants.access import request_roles
from tenants.models import Municipality, Role

AUDIT_LABELS = {
    "koseki.view": "戸籍: 戸籍の表示",
    "koseki.search": "戸籍: 戸籍の検索",
}

PURPOSE_SESSION_KEY = "koseki.purpose"


def clerk_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """届出 and 交付 are for clerks: an auditor (who may read this module) gets the 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.CLERK not in request_roles(request):
            return render(request, "koseki/clerk_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def is_clerk(request: HttpRequest) -> bool:
    return Role.CLERK in request_roles(request)


def current_purpose(request: HttpRequest) -> str:
    return str(request.session.get(PURPOSE_SESSION_KEY, ""))


def remember_purpose(request: HttpRequest, purpose: str) -> None:
    request.session[PURPOSE_SESSION_KEY] = " ".join(purpose.split())


def request_actor(request: HttpRequest) -> Any:
    return request.user


def other_towns() -> list[Municipality]:
    """The platform's other active towns: the targets of a 管外転籍 and the holders searched by 広域交付."""
    here = current_schema()
    return [t for t in fuhyo.active_towns() if t.schema_name != here]


@dataclass(frozen=True)
class EntryRow:
    """An Entry with its 【項目】 pairs ready to print (labels without the brackets the template adds)."""

    entry: Entry
    fields: list[tuple[str, str]]


def entry_rows(entries: Iterable[Entry]) -> list[EntryRow]:
    rows = []
    for entry in entries:
        pairs = [
            (str(item[0]).strip("【】"), str(item[1]))
            for item in (entry.fields or [])
            if isinstance(item, list | tuple) and len(item) == 2
        ]
        rows.append(EntryRow(entry=entry, fields=pairs))
    return rows


def pdf_download(document: bytes, issuance: CertificateIssuance) -> HttpResponse:
    return pdf_attachment(document, f"koseki-{issuance.year}-{issuance.serial:06d}.pdf")

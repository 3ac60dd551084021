"""What every 戸籍 page shares: the clerk-only guard, the 利用目的 kept in the session, the register rows.

The access middleware lets only clerks and auditors into this module (tenants.access). Auditors may read
registers and the 交付履歴; every 届出 and every 交付 is for clerks only (``clerk_only``). Every page that shows
a register goes through ``personal_data_page`` (common.purpose.PurposeGate): it demands the 利用目的 (kept in the
session for the counter task) and the page's audited selector (koseki.selectors.view_register ...) writes the row.
Registers, members and entries are named in URLs by their ``public_id`` (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from common.http import pdf_attachment
from common.purpose import PurposeGate
from common.tenancy import current_schema
from koseki import fuhyo
from koseki.forms import PurposeForm
from koseki.models import CertificateIssuance, Entry, Koseki, Member
from tenants.access import request_roles
from tenants.models import Municipality, Role

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


GATE = PurposeGate(session_key=PURPOSE_SESSION_KEY, template="koseki/purpose.html", form_class=PurposeForm)
personal_data_page = GATE.page


def current_purpose(request: HttpRequest) -> str:
    return GATE.current(request)


def remember_purpose(request: HttpRequest, purpose: str) -> None:
    GATE.remember(request, purpose)


def koseki_or_404(public_id: UUID) -> Koseki:
    return get_object_or_404(Koseki, public_id=public_id)


def member_or_404(public_id: UUID) -> Member:
    return get_object_or_404(Member.objects.select_related("koseki"), public_id=public_id)


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

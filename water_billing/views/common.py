"""What every 水道料金 page shares: the role guards and the purpose gate.

The access middleware lets 水道料金担当, 検針員 and auditors into the module (tenants.access). Within it, the
検針員 may only import readings and print the route list (``readers_allowed``); auditors read (connections,
runs, arrears, the books) and change nothing (``clerk_only``). Pages that show a customer's details go through
``personal_data_page`` (common.purpose.PurposeGate): the audited selector writes the row (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

from common.purpose import PurposeGate
from tenants.access import request_roles
from tenants.models import Role
from water_billing.forms import PurposeForm

View = Callable[..., HttpResponseBase]
CLERK: frozenset[str] = frozenset({Role.WATER_CLERK})
READERS: frozenset[str] = frozenset({Role.WATER_CLERK, Role.AUDITOR})
METER: frozenset[str] = frozenset({Role.WATER_CLERK, Role.METER_READER})

GATE = PurposeGate(session_key="water_billing.purpose", template="water_billing/purpose.html", form_class=PurposeForm)
personal_data_page = GATE.page


def allowed(roles: frozenset[str]) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not roles & request_roles(request):
                return render(request, "water_billing/clerk_only.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


clerk_only = allowed(CLERK)
readers_only = allowed(READERS)  # no 検針員
readers_allowed = allowed(METER)  # 水道料金担当 and 検針員


def is_clerk(request: HttpRequest) -> bool:
    return bool(CLERK & request_roles(request))

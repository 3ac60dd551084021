"""One way in for every page that shows a person's details: the 利用目的 is demanded, the read is audited.

A module builds one ``PurposeGate`` (its session key, its 「利用目的の入力」 page, its purpose form) and puts
``@gate.page()`` on every view that shows personal data. The gate

* takes a purpose typed on the purpose page (``?purpose=...``), remembers it in the session for the counter
  task (the clerk does not retype it for every page of the same task) and redirects to the page;
* shows the purpose page, and nothing of the person, while no purpose is known;
* calls the view with ``purpose=`` as a keyword, which the view hands to the module's read selector
  (``view_resident``, ``view_household``, ``view_register`` ...) — the selector writes the audit row;
* refuses (``UnauditedRead``) a page that answered 200 without any personal-data audit row having been
  written while it was built, so a view that forgets its selector fails in every test that opens it.

A 届出/異動 form has an intrinsic purpose (the processing of that 届出: ``page(intrinsic="死亡届の処理")``), which is
what its audit rows carry; pages with no intrinsic purpose (the resident page, the register, the 交付履歴)
require the clerk's own. The rules are written down in docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common import audit
from common.errors import ApplicationError

View = Callable[..., HttpResponse]


class UnauditedRead(ApplicationError):
    """A programming error: a personal-data page was built without its audited selector."""

    code = "unaudited_read"
    status_code = 500
    message = "個人情報の表示が監査記録なしに行われようとしたため、表示を中止しました。"


def normalized(purpose: str) -> str:
    return " ".join(purpose.split())


@dataclass(frozen=True)
class PurposeGate:
    session_key: str
    template: str  # the module's 「利用目的の入力」 page; it gets ``form``
    form_class: type[forms.Form]  # one field, ``purpose``

    def current(self, request: HttpRequest) -> str:
        return str(request.session.get(self.session_key, ""))

    def remember(self, request: HttpRequest, purpose: str) -> None:
        request.session[self.session_key] = normalized(purpose)

    def page(self, *, intrinsic: str | None = None) -> Callable[[View], View]:
        """Decorate a view that shows a person's details; it is called with ``purpose=...``."""

        def decorate(view: View) -> View:
            @wraps(view)
            def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                if request.method == "GET" and "purpose" in request.GET:
                    form = self.form_class(request.GET)
                    if form.is_valid():
                        self.remember(request, form.cleaned_data["purpose"])
                        return redirect(request.path)
                    return render(request, self.template, {"form": form})
                purpose = intrinsic or self.current(request)
                if not purpose:
                    return render(request, self.template, {"form": self.form_class()})
                with audit.counting_personal_data() as reads:
                    response = view(request, *args, purpose=purpose, **kwargs)
                if request.method == "GET" and response.status_code == 200 and not reads.actions:
                    raise UnauditedRead(details={"view": view.__qualname__})
                return response

            wrapper.reads_personal_data = True  # type: ignore[attr-defined]
            wrapper.intrinsic_purpose = intrinsic  # type: ignore[attr-defined]
            return wrapper

        return decorate


def reads_personal_data(view: Any) -> bool:
    """Whether a URL callback is guarded by a ``PurposeGate`` (tests/test_personal_data_reads.py)."""
    return bool(getattr(view, "reads_personal_data", False))


def intrinsic_purpose(view: Any) -> str | None:
    """The purpose a gated 届出/異動 page carries by itself (None when the clerk must give one)."""
    value = getattr(view, "intrinsic_purpose", None)
    return str(value) if value else None

"""The admin speaks Japanese: every app, model and field IT staff see there has a Japanese label (issue 10 §15).

Words allowed in Latin letters are the acronyms the town's staff use as such (BCP, CSIRT, API, ID, PDF …).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.utils import translation

import config.urls  # noqa: F401  (hides the third-party admins the platform does not offer)

ACRONYMS = {"BCP", "CSIRT", "API", "ID", "PDF", "RPO", "RTO", "CSV", "URL", "SHA", "TOTP", "WebAuthn", "IP", "OTP",
            "ICT", "LGWAN"}  # fmt: skip
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")


def _labels(model: Any) -> list[tuple[str, str]]:
    opts = model._meta
    labels = [("app", str(opts.app_config.verbose_name)), ("model", str(opts.verbose_name_plural))]
    for field in opts.get_fields():
        if field.auto_created and not field.concrete:
            continue
        labels.append((field.name, str(field.verbose_name)))
    return labels


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_label_is_japanese(model: Any) -> None:
    with translation.override("ja"):
        english = [(where, text) for where, text in _labels(model) if set(WORD.findall(text)) - ACRONYMS]
    assert english == []

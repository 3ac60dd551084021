"""Template context of the BCP module (the disaster banner; filled in by its module owner)."""

from typing import Any

from django.http import HttpRequest


def disaster(request: HttpRequest) -> dict[str, Any]:
    return {}

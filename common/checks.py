from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def demo_mode_off_in_deploy(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The demo two-factor shortcut must never be on in a deployment."""
    if getattr(settings, "KYODO_DEMO_MODE", False):
        return [Error("KYODO_DEMO_MODE is on: demo two-factor shortcut enabled", id="kyodo.E001")]
    return []

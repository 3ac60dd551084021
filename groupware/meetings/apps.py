import importlib

from django.apps import AppConfig

# Modules of this app that name audit actions: each defines AUDIT_LABELS = {"meetings.x": "会議: …"}.
LABELLED_MODULES = (
    "groupware.meetings.services.meetings",
    "groupware.meetings.services.changes",
    "groupware.meetings.services.minutes",
    "groupware.meetings.services.web_meetings",
)


class MeetingsConfig(AppConfig):
    name = "groupware.meetings"
    label = "groupware_meetings"
    verbose_name = "ペーパーレス会議"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels, town_settings

        for name in LABELLED_MODULES:
            audit_labels.register(getattr(importlib.import_module(name), "AUDIT_LABELS", {}))
        from groupware.meetings.services.web_meetings import SETTINGS

        town_settings.register(*SETTINGS)
        from groupware.meetings.demo import seed_demo
        from tenants.demo import register_demo_seeder

        # After the groupware's own demo (order 50): the meetings name its staff.
        register_demo_seeder("groupware_meetings", order=55, seed=seed_demo)

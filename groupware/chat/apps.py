from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "groupware.chat"
    # Its own label and migrations: the chat never shares a migration graph with the rest of the groupware.
    label = "groupware_chat"
    verbose_name = "ビジネスチャット"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels
        from groupware.chat.demo import seed_demo
        from groupware.chat.services import AUDIT_LABELS
        from tenants.demo import register_demo_seeder

        audit_labels.register(AUDIT_LABELS)
        register_demo_seeder("chat", order=60, seed=seed_demo)

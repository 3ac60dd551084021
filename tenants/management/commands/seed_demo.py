from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants.demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TOWNS, seed_demo_council


class Command(BaseCommand):
    help = "Provision the demo council (中土佐町, 四万十町, 協議会) and one demo person per role (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        seed_demo_council()
        self.stdout.write(self.style.SUCCESS("Demo council ready."))
        for town in DEMO_TOWNS:
            self.stdout.write(f"  {town.name:<12} http://{town.domain}:8000/")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}; the 2FA page shows the current code):")
        for username, full_name, _kana, memberships in DEMO_PEOPLE:
            where = ", ".join(f"{schema}:{role}" for schema, role, _ in memberships)
            self.stdout.write(f"  {username:<14} {full_name:<10} {where}")

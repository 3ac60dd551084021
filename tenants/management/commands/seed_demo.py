from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TOWNS, demo_seeders, seed_demo_council


class Command(BaseCommand):
    help = (
        "Provision the demo council (中土佐町, 四万十町, 協議会) and one demo person per role, and fill the two "
        "towns with each module's demo data (fictitious residents — about 6,500 and 16,000 — their 戸籍, …) "
        "unless they hold data already or --no-residents is given (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-residents", action="store_true", help="Do not generate demo residents")

    def handle(self, *args: Any, **options: Any) -> None:
        seed_demo_council()
        self.stdout.write(self.style.SUCCESS("Demo council ready."))
        for town in DEMO_TOWNS:
            self.stdout.write(f"  {town.name:<12} http://{town.domain}:8000/")
        if not options["no_residents"]:
            # The modules' demo data is seeded here, not in seed_demo_council(): the test suite calls that one
            # and must stay fast. Each module registered its seeder (tenants.demo.register_demo_seeder).
            for seeder in demo_seeders():
                seeder.seed(self.stdout.write)
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}; the 2FA page shows the current code):")
        for username, full_name, _kana, memberships in DEMO_PEOPLE:
            where = ", ".join(f"{schema}:{role}" for schema, role, _ in memberships)
            self.stdout.write(f"  {username:<14} {full_name:<10} {where}")

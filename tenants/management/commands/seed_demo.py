from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from koseki.demo import seed_demo_registers
from resident_records.demo import DEMO_RESIDENTS, seed_town
from tenants.demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TOWNS, seed_demo_council


class Command(BaseCommand):
    help = (
        "Provision the demo council (中土佐町, 四万十町, 協議会) and one demo person per role, and fill the two "
        "towns with fictitious residents (about 6,500 and 16,000) unless they have residents already or "
        "--no-residents is given (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-residents", action="store_true", help="Do not generate demo residents")

    def handle(self, *args: Any, **options: Any) -> None:
        seed_demo_council()
        self.stdout.write(self.style.SUCCESS("Demo council ready."))
        for town in DEMO_TOWNS:
            self.stdout.write(f"  {town.name:<12} http://{town.domain}:8000/")
        if not options["no_residents"]:
            # Residents are seeded here, not in seed_demo_council(): the test suite calls that one and must
            # stay fast.
            for schema, count in DEMO_RESIDENTS.items():
                started = time.perf_counter()
                result = seed_town(schema=schema, count=count, seed=2026)
                if result is None:
                    self.stdout.write(f"  {schema}: residents already registered, left as they are.")
                else:
                    seconds = time.perf_counter() - started
                    self.stdout.write(
                        f"  {schema}: {result.residents} residents in {result.households} households ({seconds:.1f} s)"
                    )
            # 戸籍 after every town's residents: a register may hold people living in the other town.
            for schema, loaded in seed_demo_registers(list(DEMO_RESIDENTS)).items():
                done = f"{loaded.registers} koseki ({loaded.members} persons)" if loaded else "koseki left as they are"
                self.stdout.write(f"  {schema}: {done}")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}; the 2FA page shows the current code):")
        for username, full_name, _kana, memberships in DEMO_PEOPLE:
            where = ", ".join(f"{schema}:{role}" for schema, role, _ in memberships)
            self.stdout.write(f"  {username:<14} {full_name:<10} {where}")

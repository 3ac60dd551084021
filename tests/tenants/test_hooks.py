"""Apps above the access layer plug in through registries instead of being imported by it (apps depend
downwards: common ← tenants ← modules, checked by import-linter)."""

from __future__ import annotations

from bcp.disaster import record_emergency_use
from common import audit
from tenants import hooks
from tenants.anchors import AuditAnchorStore
from tenants.demo import demo_seeders


def test_bcp_registers_its_emergency_use_hook_with_the_access_layer() -> None:
    assert record_emergency_use in hooks.registered()


def test_registering_a_hook_twice_keeps_one() -> None:
    before = hooks.registered()
    hooks.on_access_granted(record_emergency_use)
    assert hooks.registered() == before


def test_the_audit_anchors_are_kept_by_tenants() -> None:
    assert isinstance(audit._anchors_kept(), AuditAnchorStore)


def test_module_demo_seeders_run_in_dependency_order() -> None:
    names = [seeder.name for seeder in demo_seeders()]
    # The 戸籍 demo reads the residents of every town: it comes after them.
    assert names.index("resident_records") < names.index("koseki")


def test_koseki_keeps_the_fuhyo_and_answers_the_public_verification_through_registrations() -> None:
    from common import verification
    from koseki import fuhyo
    from koseki.verification import koseki_certificate
    from resident_records import fuhyo_notices
    from resident_records.verification import resident_certificate

    assert fuhyo_notices._keeper is fuhyo
    # The resident register answers first, then koseki: each register's 交付履歴 is a registered source.
    assert verification.sources() == (resident_certificate, koseki_certificate)

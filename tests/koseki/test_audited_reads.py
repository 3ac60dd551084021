"""koseki's audited reads and the 出生届 rule that moved from the page into the service."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from common.models import AuditEvent
from koseki import selectors, services
from koseki.errors import MemberAlreadyRemoved
from koseki.models import Member
from tenants.models import Person
from tests.koseki.factories import clerk, in_nakatosa, members_of, snapshot, yamada_family

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures


def _birth(actor: Person, **kwargs: Any) -> Any:
    return services.record_birth(
        actor=actor, given_name="陽斗", given_name_kana="ハルト", sex="1", birth_date=date(2026, 11, 1),
        birth_place="高知県高岡郡中土佐町", notified_on=date(2026, 11, 10), notifier_name="山田花子",
        notifier_capacity="母", **kwargs,
    )  # fmt: skip


def test_a_father_who_left_the_register_otherwise_than_by_death_is_refused(in_nakatosa: None, clerk: Person) -> None:
    """The page used to filter him out and the service accepted him: the rule is the service's now."""
    koseki = yamada_family()
    taro, hanako, _, _ = members_of(koseki)
    Member.objects.filter(pk=taro.pk).update(is_removed=True, removed_on=date(2026, 6, 1), removed_reason="分籍")
    taro.refresh_from_db()
    before = snapshot()
    with pytest.raises(MemberAlreadyRemoved) as info:
        _birth(clerk, mother=hanako, father=taro)
    assert "分籍" in info.value.message
    assert snapshot() == before


def test_a_father_who_died_may_still_be_named(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, _, _ = members_of(koseki)
    Member.objects.filter(pk=taro.pk).update(is_removed=True, removed_on=date(2026, 6, 1), removed_reason="死亡")
    candidates = services.birth_parent_candidates(koseki=koseki)
    assert taro.pk in [m.pk for m in candidates]
    taro.refresh_from_db()
    notification = _birth(clerk, mother=hanako, father=taro)
    assert notification.details["father_id"] == taro.pk


def test_view_register_writes_one_row_with_the_purpose(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    view = selectors.view_register(actor=clerk, koseki=koseki, purpose="婚姻届の審査")
    row = AuditEvent.objects.order_by("-seq").first()
    assert row is not None
    assert (row.action, row.purpose, row.personal_data, row.object_id) == (
        "koseki.view",
        "婚姻届の審査",
        True,
        str(koseki.pk),
    )
    assert len(view.register.members) == 4


def test_urls_name_registers_members_and_entries_by_opaque_ids(in_nakatosa: None) -> None:
    koseki = yamada_family()
    members = members_of(koseki)
    ids = {koseki.public_id, *(m.public_id for m in members)}
    assert len(ids) == 1 + len(members)
    assert all(value.version == 4 for value in ids)

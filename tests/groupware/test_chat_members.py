"""Removing members of a project channel (docs/domain/chat.md §2.6): a staff member removes anyone, anyone (a
vendor too) leaves; only project channels; a refusal writes nothing; the removed no longer reach the channel."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from common.audit import AuditEvent
from groupware.chat import selectors, services
from groupware.chat.errors import ChannelInvalid, ChannelNotAllowed, NotChannelMember
from groupware.chat.models import Channel, ChannelMember
from groupware.council import in_council


@pytest.fixture
def people(new_person: Any) -> dict[str, Any]:
    return {
        "clerk": new_person("cm_clerk", nakatosa="clerk"),
        "other": new_person("cm_other", nakatosa="clerk"),
        "outsider": new_person("cm_outsider", nakatosa="clerk"),
        "admin": new_person("cm_admin", nakatosa="it_admin"),
        "vendor": new_person("cm_vendor", council="vendor"),
    }


@pytest.fixture
def project(people: dict[str, Any]) -> Channel:
    with schema_context("nakatosa"):
        return services.create_channel(
            actor=people["clerk"], kind="project", name="庁舎改修", member_ids=[people["other"].pk, people["vendor"].pk]
        )


def _members(channel: Channel) -> set[int]:
    with in_council():
        return set(ChannelMember.objects.filter(channel=channel).values_list("person_id", flat=True))


def _removals(channel: Channel) -> list[AuditEvent]:
    with in_council():
        return list(AuditEvent.objects.filter(action="chat.member_remove", object_id=str(channel.pk)))


def test_a_member_removes_another_who_no_longer_reaches_the_channel(people: dict[str, Any], project: Channel) -> None:
    services.remove_member(actor=people["clerk"], channel_id=project.pk, person_id=people["vendor"].pk)
    assert _members(project) == {people["clerk"].pk, people["other"].pk}
    assert selectors.channel_for(actor=people["vendor"], channel_id=project.pk) is None
    [row] = _removals(project)
    assert row.details == {"person": people["vendor"].pk, "left": False}
    with pytest.raises(NotChannelMember):
        services.post_message(actor=people["vendor"], channel_id=project.pk, body="まだ書けますか")


def test_a_vendor_leaves_but_removes_nobody_else(people: dict[str, Any], project: Channel) -> None:
    with pytest.raises(ChannelNotAllowed):
        services.remove_member(actor=people["vendor"], channel_id=project.pk, person_id=people["other"].pk)
    assert people["other"].pk in _members(project)
    assert _removals(project) == []
    services.remove_member(actor=people["vendor"], channel_id=project.pk, person_id=people["vendor"].pk)
    assert people["vendor"].pk not in _members(project)
    assert _removals(project)[0].details == {"person": people["vendor"].pk, "left": True}


def test_refusals_write_nothing(people: dict[str, Any], project: Channel) -> None:
    with pytest.raises(ChannelInvalid) as unknown:
        services.remove_member(actor=people["clerk"], channel_id=project.pk, person_id=people["outsider"].pk)
    assert unknown.value.code == "member_unknown"
    with pytest.raises(NotChannelMember):  # not in the channel: "not found", as for posting
        services.remove_member(actor=people["outsider"], channel_id=project.pk, person_id=people["other"].pk)
    with schema_context("nakatosa"):
        town = services.create_channel(actor=people["admin"], kind="town", name="中土佐町 全体")
    with pytest.raises(ChannelInvalid) as not_project:
        services.remove_member(actor=people["admin"], channel_id=town.pk, person_id=people["clerk"].pk)
    assert not_project.value.code == "not_project_channel"
    assert _members(project) == {people["clerk"].pk, people["other"].pk, people["vendor"].pk}
    assert _removals(project) == []
    assert _removals(town) == []


def test_the_member_list_removes_and_leaves(people: dict[str, Any], project: Channel, client_for: Any) -> None:
    client = client_for("cm_clerk", "nakatosa")
    page = client.get(reverse("chat:channel", args=[project.pk])).content.decode()
    remove = reverse("chat:remove_member", args=[project.pk, people["other"].pk])
    leave = reverse("chat:remove_member", args=[project.pk, people["clerk"].pk])
    assert f'action="{remove}"' in page
    assert f'action="{leave}"' in page
    assert "メンバーから外しました" in client.post(remove, follow=True).content.decode()
    response = client.post(leave)
    assert response["Location"] == reverse("chat:index")
    assert _members(project) == {people["vendor"].pk}
    assert client.post(remove).status_code == 404  # no longer a member: the channel is not theirs

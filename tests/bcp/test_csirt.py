"""CSIRT register and policy documents (docs/bcp.md §8): numbering, append-only timeline, versioning, immutability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bcp import csirt
from bcp.models import Incident, IncidentEvent, PolicyDocument
from tenants.models import Municipality, Person
from tests.support.access import audit_position, audit_since

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> Person:
    return Person.objects.get(username="it_admin")


def new_incident(admin: Person, towns: dict[str, Municipality], **overrides: Any) -> Incident:
    values: dict[str, Any] = {
        "title": "不審メールによるマルウェア感染の疑い",
        "severity": "high",
        "detected_at": timezone.now() - timedelta(hours=3),
        "summary": "職員端末でEDRが検知",
        "affected_towns": [towns["nakatosa"]],
    }
    return csirt.create_incident(actor=admin, **(values | overrides))


def test_numbers_run_per_year(admin: Person, towns: dict[str, Municipality]) -> None:
    year = timezone.localdate().year
    first = new_incident(admin, towns)
    second = new_incident(admin, towns, affected_towns=[])
    assert first.number == f"CSIRT-{year}-001"
    assert second.number == f"CSIRT-{year}-002"
    Incident.objects.filter(pk=second.pk).update(number=f"CSIRT-{year}-099")
    assert new_incident(admin, towns).number == f"CSIRT-{year}-100"
    assert csirt.next_incident_number(year - 1) == f"CSIRT-{year - 1}-001"


def test_create_records_detection_and_audits(admin: Person, towns: dict[str, Municipality]) -> None:
    position = audit_position("public")
    incident = new_incident(admin, towns, affected_towns=[towns["nakatosa"], towns["shimanto"]])
    assert set(incident.affected_towns.values_list("schema_name", flat=True)) == {"nakatosa", "shimanto"}
    assert [(e.kind, e.description) for e in incident.events.all()] == [("detection", "職員端末でEDRが検知")]
    events = audit_since("public", position)
    assert [e.action for e in events] == ["bcp.incident_create"]
    assert events[0].details["affected_towns"] == ["nakatosa", "shimanto"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": " "}, "title"),
        ({"severity": "huge"}, "severity"),
        ({"summary": ""}, "summary"),
        ({"detected_at": timezone.now() + timedelta(days=1)}, "detected_at"),
    ],
)
def test_bad_incident_input_writes_nothing(
    admin: Person, towns: dict[str, Municipality], overrides: dict[str, Any], field: str
) -> None:
    position = audit_position("public")
    with pytest.raises(csirt.InvalidIncident) as raised:
        new_incident(admin, towns, **overrides)
    assert field in raised.value.details
    assert not Incident.objects.exists()
    assert audit_since("public", position) == []


def test_the_council_is_not_an_affected_town_and_only_council_staff_write(
    admin: Person, towns: dict[str, Municipality], new_person: Any
) -> None:
    with pytest.raises(csirt.InvalidIncident):
        new_incident(admin, towns, affected_towns=[towns["council"]])
    for username in ("auditor", "tanaka", "vendor"):
        with pytest.raises(csirt.NotCsirtStaff):
            new_incident(Person.objects.get(username=username), towns)
    with pytest.raises(csirt.NotCsirtStaff):
        new_incident(new_person("town-admin", nakatosa="it_admin"), towns)
    assert not Incident.objects.exists()


def test_timeline_is_appended_and_status_changes_are_events(admin: Person, towns: dict[str, Municipality]) -> None:
    incident = new_incident(admin, towns)
    position = audit_position("public")
    csirt.add_incident_event(
        actor=admin,
        incident=incident,
        kind="action",
        occurred_at=timezone.now() - timedelta(hours=2),
        description="端末をネットワークから隔離",
    )
    csirt.change_incident_status(actor=admin, incident=incident, status="contained", note="隔離完了")
    csirt.change_incident_status(actor=admin, incident=incident, status="resolved")
    closed = csirt.change_incident_status(actor=admin, incident=incident, status="closed")
    assert closed.status == "closed"
    assert closed.closed_at is not None
    kinds = list(
        IncidentEvent.objects.filter(incident=incident).order_by("occurred_at", "id").values_list("kind", flat=True)
    )
    assert kinds == ["detection", "action", "status", "resolution", "status"]
    assert [e.action for e in audit_since("public", position)] == [
        "bcp.incident_event",
        "bcp.incident_status",
        "bcp.incident_status",
        "bcp.incident_status",
    ]
    # Closed is final: no more events, no more transitions, nothing written.
    count = IncidentEvent.objects.count()
    with pytest.raises(csirt.IncidentClosed):
        csirt.add_incident_event(
            actor=admin, incident=incident, kind="action", occurred_at=timezone.now(), description="追記"
        )
    with pytest.raises(csirt.InvalidTransition):
        csirt.change_incident_status(actor=admin, incident=incident, status="open")
    assert IncidentEvent.objects.count() == count


def test_invalid_transitions_and_event_kinds(admin: Person, towns: dict[str, Municipality]) -> None:
    incident = new_incident(admin, towns)
    with pytest.raises(csirt.InvalidTransition):
        csirt.change_incident_status(actor=admin, incident=incident, status="closed")
    with pytest.raises(csirt.InvalidIncident):
        csirt.add_incident_event(
            actor=admin, incident=incident, kind="status", occurred_at=timezone.now(), description="手書きの状態変更"
        )
    assert incident.events.count() == 1


def test_incident_pages(admin: Person, towns: dict[str, Municipality], client_for: Any) -> None:
    client = client_for("it_admin", "council")
    response = client.post(
        "/bcp/incidents/new/",
        {"title": "", "severity": "low", "summary": "x", "detected_at": "2026-01-01T09:00"},
    )
    assert response.status_code == 200
    assert "件名を入力してください。" in response.content.decode()
    assert not Incident.objects.exists()
    response = client.post(
        "/bcp/incidents/new/",
        {
            "title": "USBメモリの紛失",
            "severity": "medium",
            "summary": "四万十町の職員がUSBメモリを紛失",
            "detected_at": "2026-01-01T09:00",
            "affected_towns": [towns["shimanto"].pk],
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bcp/incidents/{incident.pk}/"
    response = client.post(
        f"/bcp/incidents/{incident.pk}/events/", {"kind": "communication", "occurred_at": "", "description": "報告"}
    )
    assert "日時を入力してください。" in response.content.decode()
    client.post(f"/bcp/incidents/{incident.pk}/status/", {"status": "resolved", "note": "発見"})
    incident.refresh_from_db()
    assert incident.status == "resolved"

    # The town affected sees it; the other town does not (tenant scope of the register).
    assert client_for("it_admin", "shimanto").get(f"/bcp/incidents/{incident.pk}/").status_code == 200
    assert client_for("it_admin", "nakatosa").get(f"/bcp/incidents/{incident.pk}/").status_code == 404
    assert "USBメモリの紛失" not in client_for("auditor", "nakatosa").get("/bcp/incidents/").content.decode()


# --- Policy documents ---------------------------------------------------------------------------------------


def test_versions_hashes_and_diff(admin: Person) -> None:
    position = audit_position("public")
    first = csirt.create_policy_version(
        actor=admin, kind="security_policy", title="情報セキュリティ基本方針", body="第1条 目的\r\n第2条 定義\r\n"
    )
    assert first.version == 1
    assert first.body == "第1条 目的\n第2条 定義\n"
    assert first.sha256 == csirt.body_sha256(first.body)
    assert len(first.sha256) == 64
    csirt.approve_policy_version(actor=admin, document=first)
    second = csirt.create_policy_version(
        actor=admin,
        kind="security_policy",
        title="情報セキュリティ基本方針",
        body="第1条 目的\n第2条 定義(改正)\n第3条 対象範囲\n",
        change_summary="定義の改正",
    )
    assert second.version == 2
    assert second.approved_at is None
    assert csirt.current_policy("security_policy") == first
    diff = csirt.policy_diff(second, csirt.previous_version(second))
    assert ("remove", "第2条 定義") in [(d.kind, d.text) for d in diff]
    assert ("add", "第3条 対象範囲") in [(d.kind, d.text) for d in diff]
    # The ICT-BCP is numbered on its own.
    assert csirt.create_policy_version(actor=admin, kind="ict_bcp", title="ICT-BCP", body="本文").version == 1
    assert [e.action for e in audit_since("public", position)] == [
        "bcp.policy_version",
        "bcp.policy_approve",
        "bcp.policy_version",
        "bcp.policy_version",
    ]


def test_approved_versions_are_immutable(admin: Person) -> None:
    first = csirt.create_policy_version(actor=admin, kind="ict_bcp", title="ICT-BCP", body="初版")
    csirt.approve_policy_version(actor=admin, document=first)
    with pytest.raises(csirt.PolicyApproved):
        csirt.approve_policy_version(actor=admin, document=first)
    with pytest.raises(csirt.PolicyUnchanged):
        csirt.create_policy_version(actor=admin, kind="ict_bcp", title="ICT-BCP", body="初版")
    second = csirt.create_policy_version(actor=admin, kind="ict_bcp", title="ICT-BCP", body="第2版")
    third = csirt.create_policy_version(actor=admin, kind="ict_bcp", title="ICT-BCP", body="第3版")
    with pytest.raises(csirt.PolicyNotLatest):
        csirt.approve_policy_version(actor=admin, document=second)
    csirt.approve_policy_version(actor=admin, document=third)
    first.refresh_from_db()
    assert first.body == "初版\n"
    assert first.sha256 == csirt.body_sha256("初版\n")
    assert list(PolicyDocument.objects.filter(kind="ict_bcp").values_list("version", flat=True)) == [3, 2, 1]


def test_a_tampered_body_is_shown_and_cannot_be_approved(admin: Person, client_for: Any) -> None:
    draft = csirt.create_policy_version(actor=admin, kind="ict_bcp", title="ICT-BCP", body="本文")
    PolicyDocument.objects.filter(pk=draft.pk).update(body="書き換えた本文")
    with pytest.raises(csirt.PolicyApproved):
        csirt.approve_policy_version(actor=admin, document=draft)
    page = client_for("auditor", "nakatosa").get(f"/bcp/policies/versions/{draft.pk}/").content.decode()
    assert "本文と一致しません" in page


def test_policy_pages(admin: Person, client_for: Any) -> None:
    client = client_for("it_admin", "council")
    response = client.post("/bcp/policies/security_policy/new/", {"title": "方針", "body": ""})
    assert "本文を入力してください。" in response.content.decode()
    client.post("/bcp/policies/security_policy/new/", {"title": "方針", "body": "一行目\n"})
    client.post("/bcp/policies/security_policy/new/", {"title": "方針", "body": "一行目\n二行目\n"})
    latest = PolicyDocument.objects.get(kind="security_policy", version=2)
    page = client.get(f"/bcp/policies/versions/{latest.pk}/").content.decode()
    assert "+ 二行目" in page
    assert latest.sha256 in page
    assert "本文と一致" in page
    client.post(f"/bcp/policies/versions/{latest.pk}/approve/")
    latest.refresh_from_db()
    assert latest.approved_at is not None
    assert latest.approved_by == admin
    # A town host shows the common policy, read-only.
    page = client_for("auditor", "shimanto").get("/bcp/policies/").content.decode()
    assert "第2版" in page
    assert "改定案を作成" not in page
    assert client_for("it_admin", "council").get("/bcp/policies/unknown/").status_code == 404


def test_every_b4_action_has_its_japanese_label_registered() -> None:
    from bcp import disaster, views
    from common.audit_labels import ACTION_LABELS

    for module in (disaster, csirt, views):
        for action, label in module.AUDIT_LABELS.items():
            assert ACTION_LABELS.get(action) == label, action

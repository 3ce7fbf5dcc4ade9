import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import selectors, services
from coordination.errors import Invalid, NotFound
from coordination.models import Incident
from tests.fixtures import Org, hours_ago


def test_incident_is_stored_with_encrypted_description_audit_and_event(
    org: Org, case, django_capture_on_commit_callbacks
) -> None:
    with (
        mock.patch("realtime.publish._send") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident = services.incident_register(
            actor=org.user("officer"),
            case=case,
            kind="violence",
            occurred_at=hours_ago(2),
            description="Lina blev slagen i hallen.",
        )
    assert b"Lina" not in bytes(incident.description_ciphertext)
    view = selectors.case_detail(user=org.user("officer"), case_id=case.id)
    assert view.incidents[0].description == "Lina blev slagen i hallen."
    entry = AuditEvent.objects.get(action="incident.registered")
    assert entry.detail == {"incident": str(incident.id), "kind": "violence"}
    room, event = send.call_args.args
    assert room == f"case:{case.id}"
    assert event.payload()["kind"] == "incident.registered"


def test_future_incident_and_unknown_kind_are_refused(org: Org, case) -> None:
    with pytest.raises(Invalid):
        services.incident_register(
            actor=org.user("officer"),
            case=case,
            kind="violence",
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )
    with pytest.raises(Invalid):
        services.incident_register(
            actor=org.user("officer"), case=case, kind="weather", occurred_at=hours_ago(1)
        )
    assert not Incident.objects.exists()


def test_no_event_when_refused(org: Org, case, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotFound):
        services.incident_register(
            actor=org.user("vuxen_officer"), case=case, kind="threat", occurred_at=hours_ago(1)
        )
    assert callbacks == []
    assert not Incident.objects.exists()

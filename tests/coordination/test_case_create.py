from unittest import mock

import pytest

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Forbidden, Invalid
from coordination.models import Case
from tests.fixtures import Org


def test_case_officer_creates_case_with_reference_audit_and_event(
    org: Org, django_capture_on_commit_callbacks
) -> None:
    officer = org.user("officer")
    with (
        mock.patch("realtime.publish._send") as send,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        case = services.case_create(
            actor=officer, unit=org.units["bou"], officers=[org.user("colleague")]
        )

    assert case.reference.startswith("VINR-0583-")
    assert case.reference.endswith("-0001")
    assert set(case.officers.values_list("username", flat=True)) == {"officer", "colleague"}
    assert case.wrapped_data_key and case.data_key_id
    entry = AuditEvent.objects.get(action="case.created")
    assert entry.case_ref == case.reference
    assert entry.actor == "officer"
    assert entry.actor_unit == "Barn och unga"
    assert len(callbacks) == 1
    room, event = send.call_args.args
    assert room == f"case:{case.id}"
    assert event.payload() == {
        "kind": "case.created",
        "case_id": str(case.id),
        "reference": case.reference,
    }


def test_references_count_up_per_municipality_and_year(org: Org) -> None:
    first = services.case_create(actor=org.user("officer"), unit=org.units["bou"])
    second = services.case_create(actor=org.user("officer"), unit=org.units["bou"])
    norr = services.case_create(actor=org.user("norr_officer"), unit=org.units["norr"])
    assert first.reference[-4:] == "0001"
    assert second.reference[-4:] == "0002"
    assert norr.reference.startswith("VINR-0581-") and norr.reference.endswith("0001")


@pytest.mark.parametrize("username", ["teacher", "auditor", "vuxen_officer"])
def test_someone_without_a_case_role_in_the_unit_cannot_create(org: Org, username: str) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Forbidden):
        services.case_create(actor=org.user(username), unit=org.units["bou"])
    assert Case.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_unknown_category_is_refused(org: Org) -> None:
    with pytest.raises(Invalid):
        services.case_create(actor=org.user("officer"), unit=org.units["bou"], category="XYZ")
    assert Case.objects.count() == 0

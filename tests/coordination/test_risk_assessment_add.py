import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Invalid, NotFound
from coordination.models import RiskAssessment
from tests.fixtures import Org


def test_risk_assessment_is_stored_and_audited(
    org: Org, case, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assessment = services.risk_assessment_add(
            actor=org.user("colleague")
            if case.officers.filter(username="colleague").exists()
            else org.user("officer"),
            case=case,
            instrument="SARA:SV",
            assessed_on=timezone.localdate(),
            level=3,
        )
    assert assessment.get_level_display() == "hög"
    assert AuditEvent.objects.filter(action="risk_assessment.added", case_id=case.id).count() == 1
    assert len(callbacks) == 1


@pytest.mark.parametrize(("instrument", "level"), [("Horoskop", 2), ("SARA:SV", 7)])
def test_unknown_instrument_or_level_is_refused(org: Org, case, instrument, level) -> None:
    with pytest.raises(Invalid):
        services.risk_assessment_add(
            actor=org.user("officer"),
            case=case,
            instrument=instrument,
            assessed_on=timezone.localdate(),
            level=level,
        )
    assert not RiskAssessment.objects.exists()


def test_other_unit_cannot_assess(org: Org, case) -> None:
    with pytest.raises(NotFound):
        services.risk_assessment_add(
            actor=org.user("teacher"),
            case=case,
            instrument="SARA:SV",
            assessed_on=timezone.localdate(),
            level=1,
        )

from typing import Any

import pytest

from audit.models import AuditEvent
from consent import services as consent_services
from coordination import services
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.models_consultation import Referral, ReferralStatus
from coordination.services import consultation
from tests.coordination.consultation import Konsult
from tests.coordination.styrgrupp import sent_events


@pytest.fixture
def referral(konsult: Konsult) -> Referral:
    konsult.consent()
    return consultation.referral_send(
        actor=konsult.user("norr_officer"),
        case=konsult.case,
        to_unit=konsult.region,
        basis="consent",
        categories=["identity", "situation"],
        text="Samtalsstöd.",
        assessment="Samtycke finns.",
    )


def test_accept_then_close_with_the_outcome_and_the_sender_hears_each(
    konsult: Konsult, referral: Referral, django_capture_on_commit_callbacks: Any
) -> None:
    nurse = konsult.user("nurse")
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        consultation.referral_accept(actor=nurse, referral=referral)
        consultation.referral_close(actor=nurse, referral=referral, outcome="support_given")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert referral.answered_by == nurse
    assert referral.outcome == "support_given"
    assert referral.closed_by == nurse
    case_room = [e["status"] for r, e in sent if r == f"case:{konsult.case.id}"]
    assert case_room == ["accepted", "closed"]
    actions = list(
        AuditEvent.objects.filter(action__in=["referral.accepted", "referral.closed"])
        .order_by("seq")
        .values_list("action", "actor", "legal_basis")
    )
    assert actions == [
        ("referral.accepted", "nurse", "consent"),
        ("referral.closed", "nurse", "consent"),
    ]


def test_decline_with_a_reason(konsult: Konsult, referral: Referral) -> None:
    with pytest.raises(Invalid):
        consultation.referral_decline(actor=konsult.user("nurse"), referral=referral, reason="")
    with pytest.raises(Invalid):
        consultation.referral_decline(
            actor=konsult.user("nurse"), referral=referral, reason="other"
        )
    consultation.referral_decline(
        actor=konsult.user("nurse"), referral=referral, reason="no_capacity", note="Kö till mars."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == "no_capacity"
    assert AuditEvent.objects.get(action="referral.declined").detail["reason"] == "no_capacity"
    with pytest.raises(Conflict):
        consultation.referral_accept(actor=konsult.user("nurse"), referral=referral)


def test_only_the_receiving_unit_answers(konsult: Konsult, referral: Referral) -> None:
    with pytest.raises(Forbidden):
        consultation.referral_accept(actor=konsult.user("norr_officer"), referral=referral)
    with pytest.raises(NotFound):
        consultation.referral_accept(actor=konsult.user("teacher"), referral=referral)
    with pytest.raises(Conflict):
        # Not accepted yet: no outcome to report.
        consultation.referral_close(
            actor=konsult.user("nurse"), referral=referral, outcome="no_need"
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_a_forum_member_without_an_officer_role_does_not_answer(
    konsult: Konsult, referral: Referral
) -> None:
    from tests.fixtures import make_user

    member = make_user("region_member")
    services.membership_grant(actor=None, user=member, unit=konsult.region, role="forum_member")
    with pytest.raises(NotFound):
        consultation.referral_accept(actor=member, referral=referral)


def test_not_after_the_consent_is_revoked(konsult: Konsult, referral: Referral) -> None:
    consent_services.consent_revoke(
        actor=konsult.user("norr_officer"), consent=konsult.case.consents.get(), reason="Nej."
    )
    with pytest.raises(Conflict, match="gäller inte längre"):
        consultation.referral_accept(actor=konsult.user("nurse"), referral=referral)

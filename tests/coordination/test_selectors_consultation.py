import pytest

from audit.models import AuditEvent
from consent import services as consent_services
from coordination.errors import NotFound
from coordination.selectors_consultation import (
    consultation_room,
    forum_agenda,
    forums_visible,
    referral_get,
    referrals_incoming,
    start_consultation,
)
from coordination.services import consultation
from tests.coordination.consultation import Konsult
from tests.fixtures import IDENTITY


def _identity_strings() -> list[str]:
    return [
        str(IDENTITY["name"]),
        "Andersson",
        str(IDENTITY["personnummer"]),
        "Storgatan",
        "Charlottenborg",
        "Elsa",
        "Mikael",
        "lina.andersson@example.se",
    ]


def test_members_see_the_anonymised_brief_and_never_the_identity_or_reference(
    konsult: Konsult,
) -> None:
    presentation = konsult.book_anonymised()
    consultation.support_record(
        actor=konsult.user("nurse"),
        presentation=presentation,
        unit=konsult.region,
        text="Samtalsstöd på vårdcentralen.",
    )
    for person in ("teacher", "nurse"):
        room = consultation_room(user=konsult.user(person), meeting_id=presentation.meeting_id)
        [view] = room.presentations
        assert view.visible and not view.mine
        assert view.decision.level == "anonymised"
        assert "slagit henne" in view.brief
        assert view.identity == {} and view.incidents == [] and view.risks == []
        assert view.label == "Avidentifierat ärende"
        assert [s.text for s in view.supports] == ["Samtalsstöd på vårdcentralen."]
        assert konsult.case.reference not in view.label
        for value in _identity_strings():
            assert value not in view.brief, value
        assert konsult.case.reference not in [a.label for a in room.agenda]
    officer_room = consultation_room(
        user=konsult.user("norr_officer"), meeting_id=presentation.meeting_id
    )
    assert officer_room.presentations[0].mine
    assert officer_room.presentations[0].label == konsult.case.reference
    assert officer_room.presentations[0].feedback is not None
    reads = AuditEvent.objects.filter(
        action="case.viewed", detail__presentation=str(presentation.id)
    )
    assert sorted(reads.values_list("actor", flat=True)) == ["norr_officer", "nurse", "teacher"]
    assert set(reads.values_list("legal_basis", flat=True)) == {"anonymised", "owning_unit"}


def test_with_consent_members_see_exactly_the_fields_disclosed(konsult: Konsult) -> None:
    konsult.consent()
    presentation = konsult.book_consented(
        categories=["identity", "situation"], text="Hon vill ha stöd."
    )
    room = consultation_room(user=konsult.user("nurse"), meeting_id=presentation.meeting_id)
    [view] = room.presentations
    assert view.decision.level == "identified"
    assert view.label == konsult.case.reference
    assert view.identity["name"] == IDENTITY["name"]
    # Consented to more, but only identity and situation were put on the table.
    assert set(view.identity) <= {"name", "nicknames", "personnummer"}
    assert "phone" not in view.identity and "children" not in view.identity
    assert view.brief == "Hon vill ha stöd."
    assert view.risks == []


def test_after_revocation_the_consented_presentation_disappears_for_members(
    konsult: Konsult,
) -> None:
    consent = konsult.consent()
    presentation = konsult.book_consented()
    consent_services.consent_revoke(
        actor=konsult.user("norr_officer"), consent=consent, reason="Ångrade sig."
    )
    room = consultation_room(user=konsult.user("teacher"), meeting_id=presentation.meeting_id)
    [view] = room.presentations
    assert not view.visible
    assert view.brief == "" and view.identity == {}
    assert view.label == "Ärende med samtycke"


def test_who_may_enter_the_room_and_see_the_forum(konsult: Konsult) -> None:
    meeting = konsult.meeting()
    with pytest.raises(NotFound):
        consultation_room(user=konsult.user("officer"), meeting_id=meeting.id)
    with pytest.raises(NotFound):
        forum_agenda(user=konsult.user("officer"), forum_id=konsult.forum.id)
    assert [f.forum for f in forums_visible(user=konsult.user("teacher"))] == [konsult.forum]
    assert forums_visible(user=konsult.user("officer")) == []
    agenda = forum_agenda(user=konsult.user("norr_officer"), forum_id=konsult.forum.id)
    assert agenda.bookable_cases == [konsult.case]
    assert (
        forum_agenda(user=konsult.user("teacher"), forum_id=konsult.forum.id).bookable_cases == []
    )


def test_the_receiver_sees_only_the_referred_categories(konsult: Konsult) -> None:
    konsult.consent()
    referral = consultation.referral_send(
        actor=konsult.user("norr_officer"),
        case=konsult.case,
        to_unit=konsult.region,
        basis="consent",
        categories=["identity", "situation"],
        text="Samtalsstöd.",
        assessment="Samtycke.",
    )
    nurse = konsult.user("nurse")
    assert referrals_incoming(user=nurse) == [referral]
    assert referrals_incoming(user=konsult.user("teacher")) == []
    view = referral_get(user=nurse, referral_id=referral.id)
    assert view.side == "receiver"
    assert view.identity["name"] == IDENTITY["name"]
    assert "address" not in view.identity and "phone" not in view.identity
    assert view.text == "Samtalsstöd."
    assert view.incidents == []  # the test case has no incidents; situation allowed
    sender = referral_get(user=konsult.user("norr_officer"), referral_id=referral.id)
    assert sender.side == "sender"
    with pytest.raises(NotFound):
        referral_get(user=konsult.user("teacher"), referral_id=referral.id)
    read = AuditEvent.objects.filter(action="referral.viewed", actor="nurse").get()
    assert read.legal_basis == "consent"
    assert "name" in read.fields


def test_the_start_page_lists_each_persons_work(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    officer = start_consultation(user=konsult.user("norr_officer"))
    assert [f.presentation_id for f in officer.feedback] == [presentation.id]
    assert [s.forum for s in officer.forums] == [konsult.forum]
    teacher = start_consultation(user=konsult.user("teacher"))
    assert teacher.feedback == [] and teacher.referrals_in == []

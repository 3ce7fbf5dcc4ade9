import pytest

from audit.models import AuditEvent
from consent import policy
from coordination import services
from coordination.errors import Conflict, Invalid, NotFound
from coordination.models import Invitation, InvitationAnswer, InvitationOrigin
from tests.coordination.styrgrupp import Styrgrupp, sent_events


@pytest.fixture
def meeting(styrgrupp: Styrgrupp):
    return styrgrupp.convene()


def test_accepting_is_stored_audited_and_shown_to_the_convener(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks
) -> None:
    invitation = styrgrupp.invitation(meeting, "vuxen_lead")
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        services.invitation_answer(
            actor=styrgrupp.user("vuxen_lead"), invitation=invitation, answer="accepted"
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.ACCEPTED
    assert invitation.answered_at is not None
    entry = AuditEvent.objects.get(action="invitation.answered")
    assert entry.actor == "vuxen_lead"
    assert entry.case_ref == styrgrupp.case.reference
    assert entry.detail["answer"] == "accepted"
    assert entry.detail["unit"] == "Vuxen"
    rooms = [room for room, event in sent if event["kind"] == "invitation.answered"]
    assert sorted(rooms) == sorted(
        [f"meeting:{meeting.id}", f"inbox:{styrgrupp.user('officer').pk}"]
    )
    event = sent[0][1]
    assert event["answer"] == "accepted" and event["unit"] == "Vuxen"
    assert policy.may_join_meeting(styrgrupp.user("vuxen_lead"), meeting)


def test_declining_needs_a_reason_which_stays_out_of_the_audit_trail(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks
) -> None:
    invitation = styrgrupp.invitation(meeting, "lead")
    entries = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Invalid):
        services.invitation_answer(
            actor=styrgrupp.user("lead"), invitation=invitation, answer="declined", reason="  "
        )
    assert callbacks == []
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING
    assert AuditEvent.objects.count() == entries

    services.invitation_answer(
        actor=styrgrupp.user("lead"),
        invitation=invitation,
        answer="declined",
        reason="Jäv: känner familjen Andersson",
    )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.DECLINED
    assert invitation.reason == "Jäv: känner familjen Andersson"
    entry = AuditEvent.objects.get(action="invitation.answered")
    assert entry.detail["reason_given"] is True
    assert "Andersson" not in str(entry.detail)
    assert not policy.may_join_meeting(styrgrupp.user("lead"), meeting)


def test_delegating_calls_the_deputy_with_an_invitation_of_their_own(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    invitation = styrgrupp.invitation(meeting, "lead")
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        services.invitation_answer(
            actor=styrgrupp.user("lead"),
            invitation=invitation,
            answer="delegated",
            delegate_to=styrgrupp.user("deputy"),
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.DELEGATED
    assert invitation.delegated_to == styrgrupp.user("deputy")
    deputy = styrgrupp.invitation(meeting, "deputy")
    assert deputy.answer == InvitationAnswer.PENDING
    assert deputy.origin == InvitationOrigin.DELEGATED
    assert deputy.parent == invitation
    assert deputy.unit == styrgrupp.bou
    entry = AuditEvent.objects.get(action="invitation.answered")
    assert entry.detail["delegated_to"] == "deputy"
    assert entry.recipients == ["deputy"]
    kinds = {(room, event["kind"]) for room, event in sent}
    assert (f"inbox:{styrgrupp.user('deputy').pk}", "meeting.called") in kinds
    assert (f"meeting:{meeting.id}", "invitation.answered") in kinds
    assert [m.to for m in mailoutbox] == [["deputy@example.se"]]
    assert not policy.may_join_meeting(styrgrupp.user("lead"), meeting)
    assert policy.may_join_meeting(styrgrupp.user("deputy"), meeting)

    # The deputy answers for the section in turn.
    services.invitation_answer(actor=styrgrupp.user("deputy"), invitation=deputy, answer="accepted")
    assert styrgrupp.invitation(meeting, "deputy").answer == InvitationAnswer.ACCEPTED


def test_delegating_to_someone_outside_the_section_is_refused(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks
) -> None:
    invitation = styrgrupp.invitation(meeting, "lead")
    for person in ("vuxen_deputy", "colleague", "vuxen_lead", None):
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Invalid):
            services.invitation_answer(
                actor=styrgrupp.user("lead"),
                invitation=invitation,
                answer="delegated",
                delegate_to=styrgrupp.user(person) if person else None,
            )
        assert callbacks == []
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING
    assert Invitation.objects.filter(meeting=meeting).count() == 2
    assert not AuditEvent.objects.filter(action="invitation.answered").exists()


def test_only_the_called_person_answers_and_only_once(styrgrupp: Styrgrupp, meeting) -> None:
    invitation = styrgrupp.invitation(meeting, "lead")
    for other in ("deputy", "officer", "vuxen_lead"):
        with pytest.raises(NotFound):
            services.invitation_answer(
                actor=styrgrupp.user(other), invitation=invitation, answer="accepted"
            )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING
    services.invitation_answer(
        actor=styrgrupp.user("lead"), invitation=invitation, answer="accepted"
    )
    with pytest.raises(Conflict):
        services.invitation_answer(
            actor=styrgrupp.user("lead"), invitation=invitation, answer="declined", reason="Sjuk"
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.ACCEPTED


def test_an_unknown_answer_is_refused(styrgrupp: Styrgrupp, meeting) -> None:
    invitation = styrgrupp.invitation(meeting, "lead")
    with pytest.raises(Invalid):
        services.invitation_answer(
            actor=styrgrupp.user("lead"), invitation=invitation, answer="maybe"
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING


def test_no_answers_after_the_meeting_is_closed(styrgrupp: Styrgrupp, meeting) -> None:
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    services.meeting_close(actor=styrgrupp.user("officer"), meeting=meeting)
    invitation = styrgrupp.invitation(meeting, "lead")
    with pytest.raises(Conflict):
        services.invitation_answer(
            actor=styrgrupp.user("lead"), invitation=invitation, answer="accepted"
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Conflict, Forbidden, NotFound
from coordination.models import Meeting, MeetingStatus
from tests.coordination.styrgrupp import Styrgrupp, sent_events


def test_the_convener_opens_the_meeting_and_everyone_called_hears_it(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks
) -> None:
    meeting = styrgrupp.convene()
    services.invitation_answer(
        actor=styrgrupp.user("lead"),
        invitation=styrgrupp.invitation(meeting, "lead"),
        answer="declined",
        reason="Sjuk",
    )
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN
    assert meeting.opened_at is not None
    entry = AuditEvent.objects.get(action="meeting.opened")
    assert entry.detail == {"meeting": str(meeting.id)}
    rooms = sorted(room for room, event in sent if event["kind"] == "meeting.opened")
    # The room, and the inbox of the lead still called (not the one who declined).
    assert rooms == sorted([f"meeting:{meeting.id}", f"inbox:{styrgrupp.user('vuxen_lead').pk}"])


def test_not_before_a_quarter_before_its_time(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() + dt.timedelta(minutes=20)
    )
    meeting.refresh_from_db()
    with pytest.raises(Conflict):
        services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() + dt.timedelta(minutes=14)
    )
    meeting.refresh_from_db()
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.OPEN


def test_participants_cannot_open_and_outsiders_do_not_see_it(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks
) -> None:
    meeting = styrgrupp.convene()
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(Forbidden):
            services.meeting_open(actor=styrgrupp.user("vuxen_lead"), meeting=meeting)
        with pytest.raises(NotFound):
            services.meeting_open(actor=styrgrupp.user("norr_officer"), meeting=meeting)
    assert callbacks == []
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONVENED
    assert not AuditEvent.objects.filter(action="meeting.opened").exists()


def test_a_colleague_on_the_case_may_open_it(styrgrupp: Styrgrupp) -> None:
    services.case_officer_assign(
        actor=styrgrupp.user("officer"), case=styrgrupp.case, officer=styrgrupp.user("colleague")
    )
    meeting = styrgrupp.convene()
    services.meeting_open(actor=styrgrupp.user("colleague"), meeting=meeting)
    with pytest.raises(Conflict):
        services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)

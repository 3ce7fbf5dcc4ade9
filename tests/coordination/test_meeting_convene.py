import datetime as dt
import zoneinfo
from typing import Any

import icalendar
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Disclosure
from coordination import services
from coordination.errors import CaseErasedError, Conflict, Invalid, NotFound
from coordination.models import Invitation, InvitationAnswer, Meeting, MeetingStatus
from tests.audit.test_record import _assert_one_chain
from tests.coordination.styrgrupp import Styrgrupp, later_today, sent_events
from tests.fixtures import IDENTITY


def _identity_strings() -> list[str]:
    values: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(IDENTITY)
    # Words that also occur in ordinary Swedish text are no evidence of a leak.
    return [v for v in values if v not in {"make"}]


def test_convening_calls_each_sections_lead_at_once(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    starts = later_today(90)
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        meeting = styrgrupp.convene(starts_at=starts)

    assert meeting.status == MeetingStatus.CONVENED
    assert meeting.ad_hoc and meeting.routine == styrgrupp.routine
    assert meeting.case == styrgrupp.case and meeting.incident == styrgrupp.incident
    assert meeting.convened_by == styrgrupp.user("officer")
    assert meeting.starts_at == starts
    invitations = {i.person.username: i for i in Invitation.objects.filter(meeting=meeting)}
    assert set(invitations) == {"lead", "vuxen_lead"}
    assert {i.answer for i in invitations.values()} == {InvitationAnswer.PENDING}
    assert invitations["vuxen_lead"].unit == styrgrupp.vuxen

    entry = AuditEvent.objects.get(action="meeting.convened")
    assert entry.case_ref == styrgrupp.case.reference
    assert entry.legal_basis == "same_authority"
    assert entry.recipients == ["lead", "vuxen_lead"]
    assert entry.detail["meeting"] == str(meeting.id)
    assert entry.detail["units"] == ["Barn och unga", "Vuxen"]
    # The decision to share the case with the styrgrupp is a recorded disclosure.
    disclosure = Disclosure.objects.get(meeting=meeting)
    assert disclosure.basis_code == "same_authority"
    assert disclosure.recipient_forum == styrgrupp.routine.forum
    assert "address" not in disclosure.fields and "name" in disclosure.fields
    _assert_one_chain()

    calls = [(room, e) for room, e in sent if e["kind"] == "meeting.called"]
    assert sorted(room for room, _ in calls) == sorted(
        f"inbox:{styrgrupp.user(n).pk}" for n in ("lead", "vuxen_lead")
    )
    for _room, event in calls:
        assert event["meeting_id"] == str(meeting.id)
        assert event["case_reference"] == styrgrupp.case.reference
        assert event["url"] == f"/moten/{meeting.id}/kallelse/"
    assert sorted(m.to[0] for m in mailoutbox) == ["lead@example.se", "vuxen_lead@example.se"]


def test_the_mail_carries_an_ics_request_and_no_identity(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    starts = later_today(120)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = styrgrupp.convene(starts_at=starts, units=["vuxen"])

    (message,) = mailoutbox
    assert message.to == ["vuxen_lead@example.se"]
    assert styrgrupp.case.reference in message.subject
    assert f"/moten/{meeting.id}/kallelse/" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert filename == "kallelse.ics"
    assert mimetype.startswith("text/calendar")
    assert "method=REQUEST" in mimetype

    calendar: Any = icalendar.Calendar.from_ical(content)
    assert calendar["METHOD"] == "REQUEST"
    event: Any
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == str(meeting.id)
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Stockholm"
    assert start.dt == starts.replace(microsecond=0)
    assert start.dt.tzinfo == zoneinfo.ZoneInfo("Europe/Stockholm")
    assert event["DTEND"].dt - start.dt == dt.timedelta(minutes=60)
    assert event["DTEND"].params["TZID"] == "Europe/Stockholm"
    assert str(event["ORGANIZER"]) == "mailto:officer@example.se"
    assert str(event["ATTENDEE"]) == "mailto:vuxen_lead@example.se"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert styrgrupp.case.reference in str(event["SUMMARY"])
    assert calendar.walk("VTIMEZONE"), "the calendar names its time zone"

    ics = content if isinstance(content, str) else content.decode()
    text = " ".join([message.subject, message.body, ics])
    for value in _identity_strings():
        assert value not in text, value


def test_now_means_now(styrgrupp: Styrgrupp) -> None:
    before = timezone.now()
    meeting = styrgrupp.convene()
    assert before <= meeting.starts_at <= timezone.now()
    assert AuditEvent.objects.get(action="meeting.convened").detail["now"] is True


def test_a_lead_who_convenes_is_not_called_but_counted_as_coming(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene(actor="lead")
    own = styrgrupp.invitation(meeting, "lead")
    assert own.answer == InvitationAnswer.ACCEPTED
    assert styrgrupp.invitation(meeting, "vuxen_lead").answer == InvitationAnswer.PENDING


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"units": []}, "units"),
        ({"starts_at": timezone.now() + dt.timedelta(days=1)}, "starts_at"),
        ({"starts_at": timezone.now() - dt.timedelta(hours=1)}, "starts_at"),
    ],
)
def test_invalid_calls_are_refused_and_change_nothing(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks, mailoutbox, kwargs, field
) -> None:
    entries = AuditEvent.objects.count()
    units = kwargs.pop("units", ["bou", "vuxen"])
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Invalid) as error:
        services.meeting_convene(
            actor=styrgrupp.user("officer"),
            case=styrgrupp.case,
            routine=styrgrupp.routine,
            units=[styrgrupp.org.units[u] for u in units],
            **kwargs,
        )
    assert error.value.detail["field"] == field
    assert callbacks == []
    assert not Meeting.objects.exists() and not Invitation.objects.exists()
    assert AuditEvent.objects.count() == entries
    assert mailoutbox == []


def test_a_section_outside_the_forum_cannot_be_called(styrgrupp: Styrgrupp) -> None:
    with pytest.raises(Invalid):
        styrgrupp.convene(units=["bou", "ledning"])
    assert not Meeting.objects.exists()


def test_someone_outside_the_case_gets_not_found(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotFound):
        styrgrupp.convene(actor="vuxen_officer")
    assert callbacks == []
    assert not Meeting.objects.exists()
    assert not AuditEvent.objects.filter(action="meeting.convened").exists()


def test_one_open_call_per_incident(styrgrupp: Styrgrupp) -> None:
    styrgrupp.convene()
    with pytest.raises(Conflict):
        styrgrupp.convene()
    assert Meeting.objects.count() == 1


def test_an_erased_case_cannot_be_convened(styrgrupp: Styrgrupp) -> None:
    services.case_erase(actor=styrgrupp.user("lead"), case=styrgrupp.case, reason="Gallringsfrist")
    styrgrupp.case.refresh_from_db()
    with pytest.raises(CaseErasedError):
        styrgrupp.convene(incident=None)
    assert not Meeting.objects.exists()

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import selectors_meetings, services
from coordination.errors import NotFound
from coordination.models import Incident, Invitation, Meeting
from tests.coordination.styrgrupp import Styrgrupp, build_styrgrupp, local
from tests.fixtures import Org, make_case


def _join(styrgrupp: Styrgrupp, meeting: Meeting, person: str) -> None:
    services.invitation_answer(
        actor=styrgrupp.user(person),
        invitation=styrgrupp.invitation(meeting, person),
        answer="accepted",
    )


def test_another_sections_lead_sees_the_brief_identified_but_without_address(
    styrgrupp: Styrgrupp,
) -> None:
    meeting = styrgrupp.convene()
    _join(styrgrupp, meeting, "vuxen_lead")
    room = selectors_meetings.meeting_room(user=styrgrupp.user("vuxen_lead"), meeting_id=meeting.id)
    assert room.brief is not None
    assert room.brief.decision.basis == "same_authority"
    assert room.brief.identity["name"] == "Lina Andersson"
    assert "address" not in room.brief.identity
    assert [i.description for i in room.brief.incidents] == [
        "Lina blev slagen i hallen; Elsa såg det."
    ]
    read = AuditEvent.objects.filter(action="case.viewed", actor="vuxen_lead").get()
    assert read.legal_basis == "same_authority"
    assert read.detail["meeting"] == str(meeting.id)
    assert "address" not in read.fields and "name" in read.fields
    assert [c["key"] for c in room.checklist][:1] == ["child_witnessed"]


def test_with_skyddade_personuppgifter_the_brief_names_nobody(org: Org) -> None:
    styrgrupp = build_styrgrupp(org)
    protected = make_case(org, protected=True)
    meeting = styrgrupp.convene(case=protected, incident=None)
    _join(styrgrupp, meeting, "vuxen_lead")
    room = selectors_meetings.meeting_room(user=styrgrupp.user("vuxen_lead"), meeting_id=meeting.id)
    assert room.brief is not None
    assert room.brief.identity == {}
    assert room.brief.decision.flagged


def test_the_room_is_for_participants_only(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene()
    services.invitation_answer(
        actor=styrgrupp.user("vuxen_lead"),
        invitation=styrgrupp.invitation(meeting, "vuxen_lead"),
        answer="declined",
        reason="Sjuk",
    )
    for person in ("norr_officer", "vuxen_officer", "vuxen_lead"):
        with pytest.raises(NotFound):
            selectors_meetings.meeting_room(user=styrgrupp.user(person), meeting_id=meeting.id)
    # The person who declined still sees their own call and its answer.
    call = selectors_meetings.meeting_call(user=styrgrupp.user("vuxen_lead"), meeting_id=meeting.id)
    assert call.invitation.answer == "declined" and not call.may_enter
    with pytest.raises(NotFound):
        selectors_meetings.meeting_call(user=styrgrupp.user("norr_officer"), meeting_id=meeting.id)
    assert not AuditEvent.objects.filter(action="case.viewed", actor="norr_officer").exists()


def test_answers_per_section(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene()
    services.invitation_answer(
        actor=styrgrupp.user("lead"),
        invitation=styrgrupp.invitation(meeting, "lead"),
        answer="delegated",
        delegate_to=styrgrupp.user("deputy"),
    )
    view = selectors_meetings.meeting_answers(user=styrgrupp.user("officer"), meeting_id=meeting.id)
    assert view.can_manage
    assert [(s.unit.name, s.status) for s in view.sections] == [
        ("Barn och unga", "pending"),
        ("Vuxen", "pending"),
    ]
    assert [i.person.username for i in view.sections[0].invitations] == ["lead", "deputy"]
    _join(styrgrupp, meeting, "deputy")
    view = selectors_meetings.meeting_answers(user=styrgrupp.user("officer"), meeting_id=meeting.id)
    assert view.sections[0].status == "accepted"


def test_calls_waiting_and_todays_meetings(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene()
    lead = styrgrupp.user("vuxen_lead")
    assert [i.meeting_id for i in selectors_meetings.calls_waiting(user=lead)] == [meeting.id]
    assert selectors_meetings.inbox_count(user=lead) == 1
    assert [m.id for m in selectors_meetings.meetings_today(user=lead)] == [meeting.id]
    assert [m.id for m in selectors_meetings.meetings_today(user=styrgrupp.user("officer"))] == [
        meeting.id
    ]
    _join(styrgrupp, meeting, "vuxen_lead")
    assert selectors_meetings.inbox_count(user=lead) == 0
    assert selectors_meetings.meetings_today(user=styrgrupp.user("norr_officer")) == []


def test_the_case_page_suggests_calling_for_a_new_incident(styrgrupp: Styrgrupp) -> None:
    panel = selectors_meetings.case_styrgrupp(user=styrgrupp.user("officer"), case=styrgrupp.case)
    assert panel.may_convene and panel.routine == styrgrupp.routine
    assert panel.suggested_incident == styrgrupp.incident
    styrgrupp.convene()
    panel = selectors_meetings.case_styrgrupp(user=styrgrupp.user("officer"), case=styrgrupp.case)
    assert panel.suggested_incident is None
    assert len(panel.meetings) == 1
    with pytest.raises(NotFound):
        selectors_meetings.case_styrgrupp(user=styrgrupp.user("vuxen_lead"), case=styrgrupp.case)


def _set_times(meeting: Meeting, *, incident: dt.datetime, convened: dt.datetime) -> None:
    assert meeting.incident is not None
    Incident.objects.filter(pk=meeting.incident.pk).update(created_at=incident)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=convened)


def test_measurements_for_the_coordinator(styrgrupp: Styrgrupp, org: Org) -> None:
    same_day = styrgrupp.convene()
    _set_times(same_day, incident=local(2026, 11, 24, 9, 0), convened=local(2026, 11, 24, 9, 30))
    Invitation.objects.filter(meeting=same_day).update(created_at=local(2026, 11, 24, 9, 30))
    _join(styrgrupp, same_day, "vuxen_lead")
    Invitation.objects.filter(meeting=same_day, person=styrgrupp.user("vuxen_lead")).update(
        answered_at=local(2026, 11, 24, 9, 40)
    )
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=same_day)
    Meeting.objects.filter(pk=same_day.pk).update(opened_at=local(2026, 11, 24, 10, 30))

    late_incident = services.incident_register(
        actor=styrgrupp.user("officer"),
        case=styrgrupp.case,
        kind="threat",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
    )
    next_day = styrgrupp.convene(incident=late_incident)
    # Registered Friday evening, convened Saturday morning: not the same day.
    _set_times(next_day, incident=local(2026, 11, 27, 21, 0), convened=local(2026, 11, 28, 8, 0))

    with pytest.raises(NotFound):
        selectors_meetings.meeting_measurements(user=styrgrupp.user("officer"))
    figures = selectors_meetings.meeting_measurements(user=org.user("coordinator"))
    rows = {row.meeting.pk: row for row in figures.rows}
    first = rows[same_day.pk]
    assert first.to_convened == dt.timedelta(minutes=30)
    assert first.to_first_acceptance == dt.timedelta(minutes=40)
    assert first.to_opened == dt.timedelta(minutes=90)
    assert first.same_day is True
    second = rows[next_day.pk]
    assert second.to_convened == dt.timedelta(hours=11)
    assert second.to_first_acceptance is None and second.to_opened is None
    assert second.same_day is False
    assert figures.same_day_count == 1
    assert figures.same_day_share == 0.5
    assert figures.median_to_first_acceptance == dt.timedelta(minutes=40)

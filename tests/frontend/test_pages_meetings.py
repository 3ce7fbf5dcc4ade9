"""The styrgrupp pages through Django's test client: incident → call → answers → room →
decisions → minutes, the start page and the header, and the coordinator's figures."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from coordination import services
from coordination.models import (
    Action,
    Incident,
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingStatus,
)
from tests.coordination.styrgrupp import Styrgrupp, build_styrgrupp, later_today
from tests.fixtures import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def sg(org: Org) -> Styrgrupp:
    return build_styrgrupp(org)


def _client(sg: Styrgrupp, name: str) -> Client:
    client = Client()
    client.force_login(sg.user(name))
    return client


def _html(response: Any) -> str:
    return response.content.decode()


def _open_meeting(sg: Styrgrupp) -> Meeting:
    meeting = sg.convene()
    for person in ("lead", "vuxen_lead"):
        services.invitation_answer(
            actor=sg.user(person), invitation=sg.invitation(meeting, person), answer="accepted"
        )
    services.meeting_open(actor=sg.user("officer"), meeting=meeting)
    return meeting


def test_the_case_page_offers_to_call_the_styrgrupp_for_a_new_incident(sg: Styrgrupp) -> None:
    response = _client(sg, "officer").get(reverse("frontend:case", kwargs={"case_id": sg.case.id}))
    html = _html(response)
    assert 'id="case-styrgrupp"' in html
    assert 'id="incident-form"' in html
    assert "Kalla styrgruppen i dag" in html
    assert f"?incident={sg.incident.id}" in html


def test_registering_an_incident_leads_to_the_call_with_the_routine_shown(
    sg: Styrgrupp,
) -> None:
    client = _client(sg, "officer")
    occurred = timezone.localtime() - dt.timedelta(minutes=30)
    response = client.post(
        reverse("frontend:incident_register", kwargs={"case_id": sg.case.id}),
        {
            "incident-kind": "threat",
            "incident-occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
            "incident-description": "Hot per sms i morse.",
        },
    )
    incident = Incident.objects.filter(case=sg.case, kind="threat").get()
    convene_url = reverse("frontend:meeting_convene", kwargs={"case_id": sg.case.id})
    assert response.status_code == 302
    assert response["Location"] == f"{convene_url}?incident={incident.id}"
    page = client.get(response["Location"])
    html = _html(page)
    assert "Rutin: Hot och våld i nära relation" in html
    assert "Kalla styrgruppen samma dag." in html  # the routine's own text
    assert "Har ett barn bevittnat våld?" in html  # its checklist
    assert 'type="checkbox" name="units"' in html
    assert "Sekretessbedömning" in html


def test_a_future_incident_is_shown_again_with_the_error(sg: Styrgrupp) -> None:
    response = _client(sg, "officer").post(
        reverse("frontend:incident_register", kwargs={"case_id": sg.case.id}),
        {
            "incident-kind": "threat",
            "incident-occurred_at": (timezone.localtime() + dt.timedelta(days=2)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
    )
    assert response.status_code == 200
    assert "Händelsen kan inte ligga i framtiden." in _html(response)
    assert not Incident.objects.filter(kind="threat").exists()


def test_convening_from_the_form_calls_the_chosen_sections(sg: Styrgrupp, mailoutbox) -> None:
    client = _client(sg, "officer")
    url = reverse("frontend:meeting_convene", kwargs={"case_id": sg.case.id})
    response = client.post(
        url,
        {
            "incident": str(sg.incident.id),
            "units": [str(sg.bou.id), str(sg.vuxen.id)],
            "when": "later",
            "time": later_today(60).strftime("%H:%M"),
            "assessment": "Intern styrgrupp; sektionerna behöver uppgifterna.",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "frontend:meeting_answers", kwargs={"meeting_id": meeting.id}
    )
    assert meeting.incident == sg.incident
    assert set(Invitation.objects.values_list("person__username", flat=True)) == {
        "lead",
        "vuxen_lead",
    }
    answers = _html(client.get(response["Location"]))
    assert "Barn och unga" in answers and "Vuxen" in answers
    assert "Väntar på svar" in answers
    assert f'data-room="meeting:{meeting.id}"' in answers


def test_the_convene_form_explains_what_is_missing(sg: Styrgrupp) -> None:
    client = _client(sg, "officer")
    url = reverse("frontend:meeting_convene", kwargs={"case_id": sg.case.id})
    response = client.post(url, {"when": "later", "time": "", "assessment": "Intern."})
    html = _html(response)
    assert response.status_code == 200
    assert "Ange ett klockslag i dag, eller välj Nu." in html
    assert "Välj minst en sektion att kalla." in html
    assert not Meeting.objects.exists()


def test_only_people_on_the_case_may_convene(sg: Styrgrupp) -> None:
    url = reverse("frontend:meeting_convene", kwargs={"case_id": sg.case.id})
    assert _client(sg, "vuxen_lead").get(url).status_code == 404
    assert _client(sg, "norr_officer").post(url, {"when": "now"}).status_code == 404
    assert not Meeting.objects.exists()


def test_a_lead_answers_the_call_on_its_page(sg: Styrgrupp) -> None:
    meeting = sg.convene()
    client = _client(sg, "vuxen_lead")
    url = reverse("frontend:meeting_call", kwargs={"meeting_id": meeting.id})
    html = _html(client.get(url))
    for form in ("accept-form", "decline-form", "delegate-form"):
        assert f'id="{form}"' in html
    assert "Vera Ersättare" in html  # the deputy to delegate to
    assert sg.case.reference in html

    refused = client.post(url, {"answer": "declined", "reason": ""})
    assert refused.status_code == 400
    assert "Ange varför du inte kan komma." in _html(refused)
    assert sg.invitation(meeting, "vuxen_lead").answer == InvitationAnswer.PENDING

    accepted = client.post(url, {"answer": "accepted"})
    assert accepted["Location"] == reverse("frontend:meeting", kwargs={"meeting_id": meeting.id})
    assert sg.invitation(meeting, "vuxen_lead").answer == InvitationAnswer.ACCEPTED
    assert "Du har svarat: kommer" in _html(client.get(url))


def test_a_lead_delegates_to_a_deputy_who_then_sees_the_call(sg: Styrgrupp) -> None:
    meeting = sg.convene()
    url = reverse("frontend:meeting_call", kwargs={"meeting_id": meeting.id})
    response = _client(sg, "lead").post(
        url, {"answer": "delegated", "delegate_to": str(sg.user("deputy").pk)}
    )
    assert response.status_code == 302
    deputy = _client(sg, "deputy")
    assert 'id="accept-form"' in _html(deputy.get(url))
    start = _html(deputy.get(reverse("frontend:start")))
    assert 'id="calls-waiting"' in start
    assert f"/moten/{meeting.id}/kallelse/" in start
    assert re.search(r'<span id="inbox-count" class="badge" aria-live="polite">1</span>', start)


def test_outsiders_get_the_same_404_everywhere(sg: Styrgrupp) -> None:
    meeting = sg.convene()
    client = _client(sg, "norr_officer")
    for name in ("meeting_call", "meeting", "meeting_answers", "meeting_state"):
        assert (
            client.get(reverse(f"frontend:{name}", kwargs={"meeting_id": meeting.id})).status_code
            == 404
        )
    assert (
        client.post(reverse("frontend:meeting_open", kwargs={"meeting_id": meeting.id})).status_code
        == 404
    )
    assert Meeting.objects.get().status == MeetingStatus.CONVENED


def test_the_room_shows_brief_checklist_and_decisions(sg: Styrgrupp) -> None:
    meeting = _open_meeting(sg)
    client = _client(sg, "vuxen_lead")
    room_url = reverse("frontend:meeting", kwargs={"meeting_id": meeting.id})
    html = _html(client.get(room_url))
    assert "Lina Andersson" in html  # identified: the styrgrupp is within one authority
    assert "Storgatan" not in html  # but the address is not shown
    assert "Ärendet tas upp i ett internt forum inom den ägande myndigheten" in html
    assert "Har ett barn bevittnat våld?" in html
    assert 'id="action-form"' in html
    assert 'id="close-meeting"' not in html  # only the convener closes
    assert 'id="message-form"' in html

    response = client.post(
        reverse("frontend:meeting_action_record", kwargs={"meeting_id": meeting.id}),
        {
            "owner_unit": str(sg.vuxen.id),
            "owner_person": str(sg.user("vuxen_officer").pk),
            "text": "Vuxen ordnar skyddat boende i dag.",
            "due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.owner_person == sg.user("vuxen_officer")
    assert "Vuxen ordnar skyddat boende i dag." in _html(client.get(room_url))

    state = client.get(reverse("frontend:meeting_state", kwargs={"meeting_id": meeting.id})).json()
    assert state["status"] == "open"
    assert [a["text"] for a in state["actions"]] == ["Vuxen ordnar skyddat boende i dag."]
    assert {s["unit"]: s["status"] for s in state["sections"]} == {
        "Barn och unga": "accepted",
        "Vuxen": "accepted",
    }


def test_decisions_can_be_sent_as_json_and_errors_come_back_as_json(sg: Styrgrupp) -> None:
    meeting = _open_meeting(sg)
    client = _client(sg, "lead")
    url = reverse("frontend:meeting_action_record", kwargs={"meeting_id": meeting.id})
    ok = client.post(
        url,
        {
            "owner_unit": str(sg.bou.id),
            "owner_person": "",
            "text": "Utredning inleds utan dröjsmål.",
            "due_date": timezone.localdate().isoformat(),
        },
        headers={"Accept": "application/json"},
    )
    assert ok.json() == {"ok": True}
    bad = client.post(
        url,
        {
            "owner_unit": str(sg.bou.id),
            "text": "Sent.",
            "due_date": "2020-01-01",
        },
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"]["due_date"] == ["Datumet har redan passerat."]
    assert Action.objects.count() == 1


def test_open_close_and_read_the_minutes(sg: Styrgrupp) -> None:
    meeting = sg.convene()
    services.invitation_answer(
        actor=sg.user("lead"),
        invitation=sg.invitation(meeting, "lead"),
        answer="delegated",
        delegate_to=sg.user("deputy"),
    )
    services.invitation_answer(
        actor=sg.user("vuxen_lead"),
        invitation=sg.invitation(meeting, "vuxen_lead"),
        answer="declined",
        reason="Utbildningsdag",
    )
    officer = _client(sg, "officer")
    room_url = reverse("frontend:meeting", kwargs={"meeting_id": meeting.id})
    assert 'id="open-meeting"' in _html(officer.get(room_url))
    officer.post(reverse("frontend:meeting_open", kwargs={"meeting_id": meeting.id}))
    assert Meeting.objects.get().status == MeetingStatus.OPEN
    services.invitation_answer(
        actor=sg.user("deputy"), invitation=sg.invitation(meeting, "deputy"), answer="accepted"
    )
    services.action_record(
        actor=sg.user("deputy"),
        meeting=meeting,
        owner_unit=sg.bou,
        text="Utredning inleds utan dröjsmål.",
        due_date=timezone.localdate(),
    )
    assert 'id="close-meeting"' in _html(officer.get(room_url))
    officer.post(reverse("frontend:meeting_close", kwargs={"meeting_id": meeting.id}))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED

    # The room of a closed meeting leads to its minutes.
    response = _client(sg, "deputy").get(room_url)
    minutes_url = reverse("frontend:meeting_minutes", kwargs={"meeting_id": meeting.id})
    assert response["Location"] == minutes_url
    html = _html(_client(sg, "deputy").get(minutes_url))
    assert 'media="print"' in html and "meetings-print.css" in html
    assert 'id="print-minutes"' in html
    attendees = html[html.index('id="minutes-attendees"') : html.index('id="minutes-absent"')]
    assert "Officer Testsson" in attendees and "Deputy Testsson" in attendees
    absent = html[html.index('id="minutes-absent"') : html.index('id="minutes-decisions"')]
    assert "delegerade till Deputy Testsson" in absent
    assert "kunde inte komma (Utbildningsdag)" in absent
    assert "Utredning inleds utan dröjsmål." in html
    assert meeting.minutes.sha256 in html
    assert 'id="minutes-altered"' not in html
    entry = AuditEvent.objects.get(action="meeting.closed")
    assert entry.detail["minutes_sha256"] == meeting.minutes.sha256


def test_the_start_page_shows_todays_meetings_and_my_actions(sg: Styrgrupp) -> None:
    meeting = _open_meeting(sg)
    late = services.action_record(
        actor=sg.user("vuxen_lead"),
        meeting=meeting,
        owner_unit=sg.vuxen,
        owner_person=sg.user("vuxen_lead"),
        text="Skyddsbedömning klar.",
        due_date=timezone.localdate(),
    )
    Action.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    client = _client(sg, "vuxen_lead")
    html = _html(client.get(reverse("frontend:start")))
    assert f"/moten/{meeting.id}/" in html[html.index('id="todays-meetings"') :]
    actions = html[html.index('id="my-actions"') :]
    assert "Skyddsbedömning klar." in actions
    assert "decision-overdue" in actions and "Försenad" in actions

    done = client.post(
        reverse("frontend:action_complete", kwargs={"action_id": late.id}),
        {"next": reverse("frontend:start")},
    )
    assert done["Location"] == reverse("frontend:start")
    html = _html(client.get(reverse("frontend:start")))
    assert "Skyddsbedömning klar." not in html
    assert "Du har inga öppna åtgärder." in html
    # Someone else cannot complete it (and does not learn it exists).
    assert (
        _client(sg, "norr_officer")
        .post(reverse("frontend:action_complete", kwargs={"action_id": late.id}))
        .status_code
        == 404
    )


def test_the_inbox_lists_calls_and_the_count_is_fetchable(sg: Styrgrupp) -> None:
    meeting = sg.convene()
    client = _client(sg, "lead")
    html = _html(client.get(reverse("frontend:inbox")))
    assert f"/moten/{meeting.id}/kallelse/" in html
    assert client.get(reverse("frontend:inbox_state")).json() == {"count": 1}


def test_the_coordinator_sees_the_figures_and_nobody_else(sg: Styrgrupp) -> None:
    _open_meeting(sg)
    url = reverse("frontend:meeting_measurements")
    html = _html(_client(sg, "coordinator").get(url))
    assert sg.case.reference in html
    assert 'id="summary-same-day"' in html and "100 %" in html
    assert _client(sg, "officer").get(url).status_code == 404


def test_the_call_reads_in_english_too(sg: Styrgrupp) -> None:
    meeting = sg.convene()
    response = _client(sg, "vuxen_lead").get(
        reverse("frontend:meeting_call", kwargs={"meeting_id": meeting.id}),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = _html(response)
    assert '<html lang="en">' in html
    assert "Call to the steering group" in html
    assert "I will attend" in html and "Delegate to a deputy" in html
    assert "Jag kommer" not in html


def test_a_coordinator_keeps_the_routine(sg: Styrgrupp) -> None:
    coordinator = _client(sg, "coordinator")
    start = _html(coordinator.get(reverse("frontend:start")))
    assert 'id="follow-up-link"' in start
    assert 'id="follow-up-link"' not in _html(_client(sg, "officer").get(reverse("frontend:start")))
    figures = _html(coordinator.get(reverse("frontend:meeting_measurements")))
    url = reverse("frontend:routine_edit", kwargs={"routine_id": sg.routine.id})
    assert url in figures

    form = _html(coordinator.get(url))
    assert "Kalla styrgruppen samma dag." in form
    assert 'name="day4_end"' in form and 'value="16:00"' in form
    response = coordinator.post(
        url,
        {
            "text": "Ny rutintext.",
            "checklist": "Skyddsbedömning: behövs skyddat boende i dag?\nNy punkt",
            "trigger_kinds": ["violence", "threat"],
            "escalation_minutes": "10",
            "on_call_person": str(sg.user("jour").pk),
            **{f"day{d}_start": "08:00" for d in range(5)},
            **{f"day{d}_end": "17:00" for d in range(5)},
        },
    )
    assert response.status_code == 302
    sg.routine.refresh_from_db()
    assert sg.routine.text == "Ny rutintext."
    # An unchanged item keeps its key; a new one gets its own.
    assert [i["key"] for i in sg.routine.checklist] == ["protection", "item-2"]
    assert sg.routine.escalation_minutes == 10
    assert sg.routine.office_hours == {str(d): ["08:00", "17:00"] for d in range(5)}
    assert AuditEvent.objects.filter(action="routine.updated", actor="coordinator").exists()

    bad = coordinator.post(
        url,
        {
            "text": "Text.",
            "escalation_minutes": "10",
            "day0_start": "17:00",
            "day0_end": "08:00",
        },
    )
    assert bad.status_code == 200
    assert "Kontorstiden ska anges som start och slut" in _html(bad)
    assert _client(sg, "officer").get(url).status_code == 404

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Forbidden
from coordination.models import Invitation, InvitationAnswer, InvitationOrigin, Meeting
from coordination.services.meetings import in_office_hours
from tests.coordination.styrgrupp import Styrgrupp, local, sent_events

TUESDAY_CALL = local(2026, 11, 24, 10, 0)
FRIDAY_CALL = local(2026, 11, 27, 15, 55)  # answered by nobody until after 16:00
SATURDAY_CALL = local(2026, 11, 28, 10, 0)


def _call_at(styrgrupp: Styrgrupp, at: dt.datetime, units: list[str] | None = None) -> Meeting:
    meeting = styrgrupp.convene(units=units or ["vuxen"])
    Invitation.objects.filter(meeting=meeting).update(created_at=at)
    return meeting


def _called(meeting: Meeting) -> dict[str, Invitation]:
    return {i.person.username: i for i in Invitation.objects.filter(meeting=meeting)}


def test_an_unanswered_section_goes_to_its_deputies_in_office_hours(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    meeting = _call_at(styrgrupp, TUESDAY_CALL)
    mailoutbox.clear()
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        created = services.invitations_escalate(now=TUESDAY_CALL + dt.timedelta(minutes=15))

    called = _called(meeting)
    assert [i.person.username for i in created] == ["vuxen_deputy"]
    assert called["vuxen_deputy"].origin == InvitationOrigin.ESCALATED
    assert called["vuxen_deputy"].parent == called["vuxen_lead"]
    assert called["vuxen_deputy"].unit == styrgrupp.vuxen
    assert called["vuxen_lead"].escalated_at == TUESDAY_CALL + dt.timedelta(minutes=15)
    assert called["vuxen_lead"].answer == InvitationAnswer.PENDING  # may still answer
    assert "jour" not in called

    entry = AuditEvent.objects.get(action="invitation.escalated")
    assert entry.actor == ""  # the system
    assert entry.recipients == ["vuxen_deputy"]
    assert entry.detail["office_hours"] is True
    assert entry.detail["to"] == "escalated"
    assert entry.detail["after_minutes"] == 15
    rooms = {(room, event["kind"]) for room, event in sent}
    assert rooms == {
        (f"inbox:{styrgrupp.user('vuxen_deputy').pk}", "meeting.called"),
        (f"meeting:{meeting.id}", "invitation.escalated"),
        (f"inbox:{styrgrupp.user('officer').pk}", "invitation.escalated"),
    }
    assert [m.to for m in mailoutbox] == [["vuxen_deputy@example.se"]]


def test_nothing_happens_before_the_time_is_up(styrgrupp: Styrgrupp) -> None:
    meeting = _call_at(styrgrupp, TUESDAY_CALL)
    assert services.invitations_escalate(now=TUESDAY_CALL + dt.timedelta(minutes=14)) == []
    assert set(_called(meeting)) == {"vuxen_lead"}
    assert not AuditEvent.objects.filter(action="invitation.escalated").exists()


@pytest.mark.parametrize("called_at", [FRIDAY_CALL, SATURDAY_CALL])
def test_outside_office_hours_the_call_goes_to_socialjour(
    styrgrupp: Styrgrupp, called_at: dt.datetime
) -> None:
    meeting = _call_at(styrgrupp, called_at)
    created = services.invitations_escalate(now=called_at + dt.timedelta(minutes=20))
    assert [i.person.username for i in created] == ["jour"]
    assert created[0].origin == InvitationOrigin.ON_CALL
    assert created[0].unit == styrgrupp.vuxen
    entry = AuditEvent.objects.get(action="invitation.escalated")
    assert entry.detail["office_hours"] is False
    assert entry.detail["to"] == "on_call"
    assert "vuxen_deputy" not in _called(meeting)


def test_the_time_is_configurable_per_routine(styrgrupp: Styrgrupp) -> None:
    services.routine_update(actor=None, routine=styrgrupp.routine, escalation_minutes=5)
    styrgrupp.routine.refresh_from_db()
    _call_at(styrgrupp, TUESDAY_CALL)
    created = services.invitations_escalate(now=TUESDAY_CALL + dt.timedelta(minutes=5))
    assert [i.person.username for i in created] == ["vuxen_deputy"]


def test_a_section_that_answered_is_not_escalated(styrgrupp: Styrgrupp) -> None:
    meeting = _call_at(styrgrupp, TUESDAY_CALL, units=["bou", "vuxen"])
    services.invitation_answer(
        actor=styrgrupp.user("vuxen_lead"),
        invitation=styrgrupp.invitation(meeting, "vuxen_lead"),
        answer="accepted",
    )
    services.invitation_answer(
        actor=styrgrupp.user("lead"),
        invitation=styrgrupp.invitation(meeting, "lead"),
        answer="declined",
        reason="Sjuk i dag",
    )
    assert services.invitations_escalate(now=TUESDAY_CALL + dt.timedelta(hours=1)) == []
    assert set(_called(meeting)) == {"lead", "vuxen_lead"}


def test_escalation_runs_once_per_call_then_moves_on_to_socialjour(styrgrupp: Styrgrupp) -> None:
    meeting = _call_at(styrgrupp, TUESDAY_CALL)
    first = TUESDAY_CALL + dt.timedelta(minutes=15)
    services.invitations_escalate(now=first)
    assert services.invitations_escalate(now=first) == []
    # The deputy does not answer either; the section has nobody left, so socialjour.
    Invitation.objects.filter(meeting=meeting, person=styrgrupp.user("vuxen_deputy")).update(
        created_at=first
    )
    created = services.invitations_escalate(now=first + dt.timedelta(minutes=15))
    assert [i.person.username for i in created] == ["jour"]
    # Socialjour not answering leaves nobody further to call; it is still recorded.
    Invitation.objects.filter(meeting=meeting, person=styrgrupp.user("jour")).update(
        created_at=first + dt.timedelta(minutes=15)
    )
    assert services.invitations_escalate(now=first + dt.timedelta(minutes=30)) == []
    last = AuditEvent.objects.filter(action="invitation.escalated").order_by("-seq").first()
    assert last is not None and last.detail["to"] == "nobody"
    assert AuditEvent.objects.filter(action="invitation.escalated").count() == 3


def test_closed_meetings_are_not_escalated(styrgrupp: Styrgrupp) -> None:
    meeting = _call_at(styrgrupp, TUESDAY_CALL)
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    services.meeting_close(actor=styrgrupp.user("officer"), meeting=meeting)
    assert services.invitations_escalate(now=TUESDAY_CALL + dt.timedelta(hours=2)) == []


def test_only_the_system_or_an_administrator_escalates(styrgrupp: Styrgrupp) -> None:
    _call_at(styrgrupp, TUESDAY_CALL)
    with pytest.raises(Forbidden):
        services.invitations_escalate(
            actor=styrgrupp.user("officer"), now=TUESDAY_CALL + dt.timedelta(hours=1)
        )
    assert not AuditEvent.objects.filter(action="invitation.escalated").exists()
    created = services.invitations_escalate(
        actor=styrgrupp.user("admin"), now=TUESDAY_CALL + dt.timedelta(hours=1)
    )
    assert len(created) == 1


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 11, 23, 7, 59), False),  # Monday before eight
        (local(2026, 11, 23, 8, 0), True),
        (local(2026, 11, 26, 16, 29), True),  # Thursday
        (local(2026, 11, 26, 16, 30), False),
        (local(2026, 11, 27, 15, 59), True),  # Friday closes at 16:00
        (local(2026, 11, 27, 16, 0), False),
        (local(2026, 11, 28, 11, 0), False),  # Saturday
        (local(2026, 3, 30, 9, 0), True),  # the Monday after the change to summer time
    ],
)
def test_office_hours_are_local_weekday_hours(
    styrgrupp: Styrgrupp, at: dt.datetime, expected: bool
) -> None:
    assert in_office_hours(styrgrupp.routine, at.astimezone(dt.UTC)) is expected


def test_the_command_escalates_what_is_due(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene(units=["vuxen"])
    Invitation.objects.filter(meeting=meeting).update(
        created_at=Invitation.objects.get(meeting=meeting).created_at - dt.timedelta(minutes=20)
    )
    out = io.StringIO()
    call_command("escalate_invitations", stdout=out)
    assert len(_called(meeting)) == 2
    assert "1" in out.getvalue()


def test_the_loop_stops_cleanly_on_sigterm(tmp_path: Path, db: None) -> None:
    """``--loop`` keeps running, touches its heartbeat and exits 0 on SIGTERM."""
    heartbeat = tmp_path / "heartbeat"
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "escalate_invitations",
            "--loop",
            "--interval",
            "0.2",
            "--heartbeat",
            str(heartbeat),
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not heartbeat.exists() and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.1)
        assert heartbeat.exists(), "no pass completed"
        first = heartbeat.stat().st_mtime_ns
        while heartbeat.stat().st_mtime_ns == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert heartbeat.stat().st_mtime_ns > first, "the loop stopped after one pass"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
        assert process.returncode == 0, output
        assert "Eskaleringen stoppad." in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)

"""The personal calendar feed: valid iCalendar, one stable event per meeting, a moved
meeting updates in place (new DTSTART, higher SEQUENCE), and no client in it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar

from coordination import services
from coordination.errors import NotFound
from coordination.models import Role
from coordination.selectors_agenda import calendar_feed
from coordination.services import agenda
from tests.coordination.consultation import Konsult
from tests.coordination.styrgrupp import Styrgrupp
from tests.fixtures import Org, make_user


def feed(token: str) -> Any:
    return Calendar.from_ical(calendar_feed(token=token))


def events_by_start(calendar: Any) -> dict[str, Any]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_is_a_calendar_with_the_forum_s_meetings_once_each(
    org: Org, konsult: Konsult
) -> None:
    token = agenda.calendar_feed_renew(actor=org.user("teacher"))
    calendar = feed(token)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Samverka//Arsagenda//SV"
    assert calendar.walk("VTIMEZONE")  # local times name their zone
    events = calendar.walk("VEVENT")
    uids = Counter(str(e["UID"]) for e in events)
    assert all(count == 1 for count in uids.values())
    starts = [e["DTSTART"].dt for e in events]
    scheduled = [m.starts_at for m in konsult.forum.meetings.all()]
    for moment in scheduled:
        assert moment in starts
    # The rule's later occurrences are there too, about a year ahead, weekly.
    assert len(events) >= 50
    for event in events:
        for name in ("DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
            assert name in event


def test_a_moved_meeting_keeps_its_uid_and_gets_a_new_time_and_sequence(
    org: Org, konsult: Konsult
) -> None:
    token = agenda.calendar_feed_renew(actor=org.user("teacher"))
    meeting = konsult.meeting(1)
    before = feed(token)
    uid = next(str(e["UID"]) for e in before.walk("VEVENT") if e["DTSTART"].dt == meeting.starts_at)
    old_event = events_by_start(before)[uid]
    coordinator = make_user("norr_coordinator")
    services.membership_grant(
        actor=None, user=coordinator, unit=org.units["norr"], role=Role.COORDINATOR
    )
    new_time = meeting.starts_at + dt.timedelta(days=1, hours=2)
    agenda.meeting_move(actor=coordinator, meeting=meeting, starts_at=new_time)

    after = feed(token)
    moved = events_by_start(after)[uid]
    assert moved["DTSTART"].dt == new_time
    assert moved["DTSTART"].dt != old_event["DTSTART"].dt
    assert int(moved["SEQUENCE"]) == int(old_event["SEQUENCE"]) + 1
    assert moved["LAST-MODIFIED"].dt > old_event["LAST-MODIFIED"].dt
    assert moved["DTSTAMP"].dt > old_event["DTSTAMP"].dt
    # The old time is not left behind as a second event.
    assert all(e["DTSTART"].dt != meeting.starts_at for e in after.walk("VEVENT"))
    assert len(after.walk("VEVENT")) == len(before.walk("VEVENT"))


def test_a_section_lead_called_to_a_styrgrupp_sees_it_by_reference_only(
    styrgrupp: Styrgrupp,
) -> None:
    meeting = styrgrupp.convene()
    token = agenda.calendar_feed_renew(actor=styrgrupp.user("lead"))
    content = calendar_feed(token=token).decode()
    event = events_by_start(Calendar.from_ical(content))[str(meeting.id)]
    assert str(event["SUMMARY"]) == f"{meeting.forum.name} – {styrgrupp.case.reference}"
    for value in ["Lina Andersson", "19850612-2384", "Storgatan", "Elsa"]:
        assert value not in content
    # Someone not called does not get it.
    other = agenda.calendar_feed_renew(actor=styrgrupp.user("nurse"))
    assert str(meeting.id) not in calendar_feed(token=other).decode()


def test_training_events_are_whole_days_every_other_year(org: Org) -> None:
    # First held two years ago, a month from today's date: next time is in a month.
    soon = timezone.localdate() + dt.timedelta(days=30)
    first = soon.replace(year=soon.year - 2, day=min(soon.day, 28))
    agenda.training_event_create(
        actor=org.user("coordinator"),
        municipality=org.units["bou"].agency.municipality,
        title="Grundutbildning VINR för all personal",
        starts_on=first,
        audience="All personal",
        every_years=2,
    )
    token = agenda.calendar_feed_renew(actor=org.user("officer"))
    calendar = feed(token)
    training = [e for e in calendar.walk("VEVENT") if "Grundutbildning" in str(e["SUMMARY"])]
    assert len(training) == 1  # not last year's date, nor the one two years on
    assert training[0]["DTSTART"].dt == first.replace(year=first.year + 2)
    assert isinstance(training[0]["DTSTART"].dt, dt.date)
    assert not isinstance(training[0]["DTSTART"].dt, dt.datetime)
    # Norrköping's staff do not get Motala's training.
    other = agenda.calendar_feed_renew(actor=org.user("norr_officer"))
    assert b"Grundutbildning" not in calendar_feed(token=other)


@pytest.mark.parametrize("token", ["", "fel", "x" * 43, "a" * 500])
def test_a_wrong_link_is_not_found(org: Org, token: str) -> None:
    agenda.calendar_feed_renew(actor=org.user("teacher"))
    with pytest.raises(NotFound):
        calendar_feed(token=token)


def test_a_deactivated_person_s_link_stops_working(org: Org) -> None:
    token = agenda.calendar_feed_renew(actor=org.user("teacher"))
    services.user_deactivate(actor=None, user=org.user("teacher"), reason="Slutat")
    with pytest.raises(NotFound):
        calendar_feed(token=token)

"""The year's agenda: training events, moving a meeting, and the personal calendar link."""

from __future__ import annotations

import datetime as dt
import hashlib
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.models import Meeting, Role
from coordination.models_consultation import Slot
from coordination.models_statistics import CalendarFeed, MeetingRevision, TrainingEvent
from coordination.services import agenda, consultation
from tests.coordination.consultation import Konsult
from tests.coordination.styrgrupp import Styrgrupp, sent_events
from tests.fixtures import Org, make_user


def norrkoping_coordinator(org: Org) -> object:
    person = make_user("norr_coordinator")
    services.membership_grant(
        actor=None, user=person, unit=org.units["norr"], role=Role.COORDINATOR
    )
    org.people["norr_coordinator"] = person
    return person


# --- training events ------------------------------------------------------------------------


def test_a_coordinator_puts_training_on_the_agenda_every_other_year(org: Org) -> None:
    motala = org.units["bou"].agency.municipality
    event = agenda.training_event_create(
        actor=org.user("coordinator"),
        municipality=motala,
        title="Grundutbildning VINR för all personal",
        starts_on=dt.date(2026, 3, 12),
        start_time=dt.time(9, 0),
        duration_minutes=180,
        audience="All personal på socialkontoret",
        every_years=2,
    )
    assert TrainingEvent.objects.get() == event
    entry = AuditEvent.objects.get(action="training_event.created")
    assert entry.detail["title"] == "Grundutbildning VINR för all personal"
    assert entry.detail["every_years"] == 2


@pytest.mark.parametrize("who", ["officer", "lead", "nurse"])
def test_only_the_municipality_s_coordinators_plan_its_training(org: Org, who: str) -> None:
    motala = org.units["bou"].agency.municipality
    with pytest.raises(Forbidden):
        agenda.training_event_create(
            actor=org.user(who),
            municipality=motala,
            title="Utbildning",
            starts_on=dt.date(2026, 3, 12),
            audience="Alla",
        )
    assert not TrainingEvent.objects.exists()


def test_county_wide_training_is_for_administrators(org: Org) -> None:
    with pytest.raises(Forbidden):
        agenda.training_event_create(
            actor=org.user("coordinator"),
            municipality=None,
            title="Länsgemensam konferens",
            starts_on=dt.date(2026, 10, 1),
            audience="Alla kommuner",
        )
    admin = org.user("admin")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    agenda.training_event_create(
        actor=admin,
        municipality=None,
        title="Länsgemensam konferens",
        starts_on=dt.date(2026, 10, 1),
        audience="Alla kommuner",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"audience": ""}, "audience"),
        ({"every_years": 0}, "every_years"),
        ({"start_time": dt.time(9), "duration_minutes": 5}, "duration_minutes"),
        ({"duration_minutes": 60}, "start_time"),
    ],
)
def test_a_training_event_that_does_not_make_sense_is_refused(
    org: Org, changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "actor": org.user("coordinator"),
        "municipality": org.units["bou"].agency.municipality,
        "title": "Utbildning",
        "starts_on": dt.date(2026, 3, 12),
        "audience": "Alla",
    }
    values.update(changes)
    with pytest.raises(Invalid) as refused:
        agenda.training_event_create(**values)  # type: ignore[arg-type]
    assert refused.value.detail["field"] == field
    assert not TrainingEvent.objects.exists()


def test_a_training_event_is_removed_by_a_coordinator_and_the_trail_says_so(org: Org) -> None:
    event = agenda.training_event_create(
        actor=org.user("coordinator"),
        municipality=org.units["bou"].agency.municipality,
        title="Utbildning om hedersrelaterat våld",
        starts_on=dt.date(2026, 5, 5),
        audience="Handläggare",
    )
    with pytest.raises(Forbidden):
        agenda.training_event_delete(actor=org.user("officer"), event=event)
    agenda.training_event_delete(actor=org.user("coordinator"), event=event)
    assert not TrainingEvent.objects.exists()
    assert AuditEvent.objects.filter(action="training_event.deleted").count() == 1


# --- moving a meeting -----------------------------------------------------------------------


def test_a_coordinator_moves_a_forum_meeting_and_its_slots_move_with_it(
    org: Org, konsult: Konsult, django_capture_on_commit_callbacks
) -> None:
    coordinator = norrkoping_coordinator(org)
    meeting = konsult.meeting(0)
    before = meeting.starts_at
    slots_before = list(
        Slot.objects.filter(meeting=meeting).order_by("number").values_list("starts_at", flat=True)
    )
    new_time = before + dt.timedelta(days=1, hours=1)
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        agenda.meeting_move(actor=coordinator, meeting=meeting, starts_at=new_time)
    meeting.refresh_from_db()
    assert meeting.starts_at == new_time
    slots_after = list(
        Slot.objects.filter(meeting=meeting).order_by("number").values_list("starts_at", flat=True)
    )
    assert slots_after == [s + dt.timedelta(days=1, hours=1) for s in slots_before]
    revision = MeetingRevision.objects.get(meeting=meeting)
    assert (revision.sequence, revision.original_starts_at) == (1, before)
    entry = AuditEvent.objects.get(action="meeting.moved")
    assert entry.detail["from"] == before.isoformat()
    assert entry.detail["to"] == new_time.isoformat()
    assert [room for room, _payload in sent] == [f"meeting:{meeting.id}"]
    assert sent[0][1]["kind"] == "meeting.moved"
    assert sent[0][1]["sequence"] == 1

    first_change = revision.changed_at
    agenda.meeting_move(
        actor=coordinator, meeting=meeting, starts_at=new_time + dt.timedelta(hours=1)
    )
    revision.refresh_from_db()
    assert (revision.sequence, revision.original_starts_at) == (2, before)
    # Calendars read LAST-MODIFIED to the second: each change lands in a later second,
    # even two in a row.
    assert revision.changed_at.replace(microsecond=0) > first_change.replace(microsecond=0)
    assert first_change.replace(microsecond=0) > meeting.created_at.replace(microsecond=0)


def test_a_forum_member_may_not_move_the_meeting_and_others_do_not_see_it(
    org: Org, konsult: Konsult
) -> None:
    meeting = konsult.meeting(0)
    new_time = meeting.starts_at + dt.timedelta(hours=2)
    with pytest.raises(Forbidden):
        agenda.meeting_move(actor=org.user("teacher"), meeting=meeting, starts_at=new_time)
    with pytest.raises(NotFound):
        agenda.meeting_move(actor=org.user("officer"), meeting=meeting, starts_at=new_time)
    meeting.refresh_from_db()
    assert meeting.starts_at != new_time
    assert not MeetingRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="meeting.moved").exists()


def test_a_meeting_is_not_moved_into_the_past_or_after_it_began(org: Org, konsult: Konsult) -> None:
    coordinator = norrkoping_coordinator(org)
    meeting = konsult.meeting(0)
    with pytest.raises(Invalid):
        agenda.meeting_move(
            actor=coordinator, meeting=meeting, starts_at=timezone.now() - dt.timedelta(days=1)
        )
    with pytest.raises(Invalid):
        agenda.meeting_move(
            actor=coordinator, meeting=meeting, starts_at=dt.datetime(2030, 1, 1, 10, 0)
        )
    Meeting.objects.filter(pk=meeting.pk).update(status="open")
    with pytest.raises(Conflict):
        agenda.meeting_move(
            actor=coordinator,
            meeting=meeting,
            starts_at=meeting.starts_at + dt.timedelta(hours=1),
        )
    assert not MeetingRevision.objects.exists()


def test_a_styrgrupp_moves_within_the_day_and_those_called_hear_of_it(
    styrgrupp: Styrgrupp, django_capture_on_commit_callbacks
) -> None:
    # At ten in the morning, whenever the test runs, so that "later today" exists.
    ten = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with mock.patch("django.utils.timezone.now", return_value=ten):
        meeting = styrgrupp.convene(starts_at=ten + dt.timedelta(minutes=30))
        with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
            agenda.meeting_move(
                actor=styrgrupp.user("officer"),
                meeting=meeting,
                starts_at=ten + dt.timedelta(hours=2),
            )
        with pytest.raises(Invalid):
            agenda.meeting_move(
                actor=styrgrupp.user("officer"),
                meeting=meeting,
                starts_at=ten + dt.timedelta(days=1),
            )
    rooms = {room for room, payload in sent if payload["kind"] == "meeting.moved"}
    called = {f"inbox:{i.person_id}" for i in meeting.invitations.exclude(answer="declined")}
    assert rooms == {f"meeting:{meeting.id}", *called}
    assert len(called) >= 2


# --- the calendar link ----------------------------------------------------------------------


def test_the_calendar_link_is_stored_only_as_a_hash_and_a_new_one_ends_the_old(
    org: Org,
) -> None:
    officer = org.user("officer")
    first = agenda.calendar_feed_renew(actor=officer)
    stored = CalendarFeed.objects.get(user=officer)
    assert stored.token_sha256 == hashlib.sha256(first.encode()).hexdigest()
    assert first not in str(list(CalendarFeed.objects.values()))
    second = agenda.calendar_feed_renew(actor=officer)
    assert second != first
    assert (
        CalendarFeed.objects.get(user=officer).token_sha256
        == hashlib.sha256(second.encode()).hexdigest()
    )
    entries = AuditEvent.objects.filter(action="calendar_feed.renewed").order_by("seq")
    assert [e.detail["replaced"] for e in entries] == [False, True]
    assert all(first not in str(e.detail) and second not in str(e.detail) for e in entries)


def test_the_calendar_link_can_be_turned_off(org: Org) -> None:
    officer = org.user("officer")
    with pytest.raises(Conflict):
        agenda.calendar_feed_revoke(actor=officer)
    agenda.calendar_feed_renew(actor=officer)
    agenda.calendar_feed_revoke(actor=officer)
    assert not CalendarFeed.objects.exists()
    assert AuditEvent.objects.filter(action="calendar_feed.revoked").count() == 1


def test_the_nightly_schedule_does_not_put_a_moved_meeting_back(org: Org, konsult: Konsult) -> None:
    coordinator = norrkoping_coordinator(org)
    meeting = konsult.meeting(0)
    original = meeting.starts_at
    agenda.meeting_move(
        actor=coordinator, meeting=meeting, starts_at=original + dt.timedelta(hours=3)
    )
    consultation.forum_schedule(actor=None, forum=konsult.forum, weeks=3)
    assert not Meeting.objects.filter(forum=konsult.forum, starts_at=original).exists()
    assert Meeting.objects.filter(forum=konsult.forum).count() == 3

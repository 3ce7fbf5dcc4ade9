"""The year's agenda (årsagenda) and each person's calendar feed.

The agenda shows, month by month, the recurring meetings of the forums a person's
municipalities and units take part in (from the forums' RFC 5545 rules, with the
meetings already scheduled at their actual times) and the training events.

The feed (iCalendar, for calendar programs that subscribe to a secret link) holds the
meetings a person is called to or whose forum they sit in, and the training events of
their municipalities. It names no client: at most a case's pseudonymous reference, on
a meeting the person is called to, exactly like the e-mail call. Each meeting keeps
one UID for good; when it moves, its SEQUENCE goes up and its LAST-MODIFIED and
DTSTAMP change, so calendars update the event instead of adding another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from consent import policy
from coordination.errors import Invalid, NotFound
from coordination.invitation_mail import STOCKHOLM, absolute_url
from coordination.models import (
    Forum,
    Invitation,
    InvitationAnswer,
    Meeting,
    Municipality,
    Role,
)
from coordination.models_statistics import CalendarFeed, MeetingRevision, TrainingEvent
from coordination.services import consultation
from coordination.statistics.figures import MONTH_NAMES

PRODID = "-//Samverka//Arsagenda//SV"
FEED_PAST = dt.timedelta(days=60)
FEED_AHEAD = dt.timedelta(days=366)
# A projected occurrence has never been revised: a fixed stamp keeps the feed stable.
NEVER_REVISED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    """One line of the agenda: a forum occurrence, a scheduled meeting or a training."""

    kind: str  # "forum" or "training"
    starts: dt.datetime | dt.date
    title: str
    detail: str
    meeting: Meeting | None = None
    training: TrainingEvent | None = None
    moved_from: dt.datetime | None = None
    minutes: int = 0

    @property
    def all_day(self) -> bool:
        return not isinstance(self.starts, dt.datetime)

    @property
    def sort_key(self) -> tuple[dt.date, str, str]:
        if isinstance(self.starts, dt.datetime):
            local = timezone.localtime(self.starts)
            return local.date(), local.strftime("%H:%M"), self.title
        return self.starts, "", self.title


@dataclass
class Month:
    number: int
    name: str
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Agenda:
    year: int
    months: list[Month]
    forums: list[Forum]
    training_municipalities: list[Municipality]
    may_plan: bool
    feed_created_at: dt.datetime | None
    movable: set[Any] = field(default_factory=set)  # meetings this person may move
    deletable: set[Any] = field(default_factory=set)  # training events they may remove


def agenda_forums(user: Any) -> list[Forum]:
    """Forums with a recurrence on this person's agenda."""
    municipalities = policy.agenda_municipality_ids(user)
    sitting = Forum.objects.filter(member_units__memberships__user=user)
    forums = (
        Forum.objects.exclude(recurrence="")
        .filter(Q(municipality_id__in=municipalities) | Q(pk__in=sitting.values("pk")))
        .select_related("municipality")
        .distinct()
        .order_by("name")
    )
    return list(forums)


def agenda_training(user: Any) -> Any:
    municipalities = policy.agenda_municipality_ids(user)
    return TrainingEvent.objects.filter(
        Q(municipality__isnull=True) | Q(municipality_id__in=municipalities)
    ).select_related("municipality")


def training_dates(event: TrainingEvent, start: dt.date, end: dt.date) -> list[dt.date]:
    """The event's days from ``start`` up to (not including) ``end``."""
    found = []
    first = event.starts_on
    if event.every_years is None:
        years = [first.year]
    else:
        years = list(range(first.year, end.year + 1, event.every_years))
    for year in years:
        try:
            day = first.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = first.replace(year=year, day=28)
        if start <= day < end:
            found.append(day)
    return found


def _training_start(event: TrainingEvent, day: dt.date) -> dt.datetime | dt.date:
    if event.start_time is None:
        return day
    return dt.datetime.combine(day, event.start_time, tzinfo=STOCKHOLM)


def _original_start(meeting: Meeting) -> dt.datetime:
    revision = getattr(meeting, "revision", None)
    return revision.original_starts_at if revision is not None else meeting.starts_at


def _forum_entries(forums: list[Forum], start: dt.datetime, end: dt.datetime) -> list[Entry]:
    entries = []
    meetings = (
        Meeting.objects.filter(forum__in=forums, ad_hoc=False)
        .filter(
            Q(starts_at__gte=start, starts_at__lt=end)
            | Q(revision__original_starts_at__gte=start, revision__original_starts_at__lt=end)
        )
        .select_related("forum", "revision")
    )
    scheduled: dict[tuple[Any, dt.datetime], Meeting] = {
        (m.forum_id, _original_start(m)): m for m in meetings
    }
    for meeting in scheduled.values():
        if not start <= meeting.starts_at < end:
            continue
        revision = getattr(meeting, "revision", None)
        entries.append(
            Entry(
                kind="forum",
                starts=meeting.starts_at,
                title=meeting.forum.name,
                detail=str(meeting.forum.get_kind_display()),
                meeting=meeting,
                moved_from=revision.original_starts_at if revision else None,
                minutes=meeting.duration_minutes,
            )
        )
    for forum in forums:
        try:
            moments = consultation.occurrences(forum, start, end - dt.timedelta(seconds=1))
        except Invalid:
            continue  # a rule that cannot be read shows nothing rather than breaking the page
        for moment in moments:
            if (forum.pk, moment) in scheduled:
                continue
            entries.append(
                Entry(
                    kind="forum",
                    starts=moment,
                    title=forum.name,
                    detail=str(forum.get_kind_display()),
                    minutes=forum.default_duration_minutes,
                )
            )
    return entries


def agenda_year(*, user: Any, year: int) -> Agenda:
    if not policy.may_read_inbox(user):
        raise NotFound()
    if not 2000 <= year <= 2100:
        raise NotFound()
    start = dt.datetime(year, 1, 1, tzinfo=STOCKHOLM)
    end = dt.datetime(year + 1, 1, 1, tzinfo=STOCKHOLM)
    forums = agenda_forums(user)
    entries = _forum_entries(forums, start, end)
    for event in agenda_training(user):
        for day in training_dates(event, start.date(), end.date()):
            entries.append(
                Entry(
                    kind="training",
                    starts=_training_start(event, day),
                    title=event.title,
                    detail=event.audience,
                    training=event,
                    minutes=event.duration_minutes,
                )
            )
    months = [Month(number=n, name=str(MONTH_NAMES[n - 1])) for n in range(1, 13)]
    for entry in sorted(entries, key=lambda e: e.sort_key):
        month = (
            timezone.localtime(entry.starts).month
            if isinstance(entry.starts, dt.datetime)
            else entry.starts.month
        )
        months[month - 1].entries.append(entry)
    planning = list(
        Municipality.objects.filter(
            pk__in=[m.pk for m in policy.statistics_municipalities(user)]
        ).order_by("name")
    )
    planning = [m for m in planning if policy.may_plan_training(user, m)]
    feed = CalendarFeed.objects.filter(user=user).first()
    movable = {
        e.meeting.pk
        for e in entries
        if e.meeting is not None and policy.may_move_meeting(user, e.meeting)
    }
    deletable = {
        e.training.pk
        for e in entries
        if e.training is not None and policy.may_plan_training(user, e.training.municipality)
    }
    return Agenda(
        year=year,
        months=months,
        forums=forums,
        training_municipalities=planning,
        may_plan=bool(planning) or policy.may_plan_training(user, None),
        feed_created_at=feed.created_at if feed else None,
        movable=movable,
        deletable=deletable,
    )


# ---------------------------------------------------------------------------------------
# The calendar feed


def feed_owner(token: str) -> Any:
    """The person whose link this is, or NotFound (the same for a wrong or an old link)."""
    if not token or len(token) > 100:
        raise NotFound()
    digest = hashlib.sha256(token.encode()).hexdigest()
    feed = CalendarFeed.objects.select_related("user").filter(token_sha256=digest).first()
    if feed is None or not feed.user.is_active:
        raise NotFound()
    return feed.user


def meeting_uid(meeting: Meeting) -> str:
    """The same for the meeting's whole life. A same-day meeting keeps the UID of its
    e-mail call; a forum occurrence the UID of the rule's occurrence it was scheduled
    for, so the projected event and the scheduled meeting are one event."""
    if meeting.ad_hoc:
        return str(meeting.id)
    return occurrence_uid(meeting.forum_id, _original_start(meeting))


def occurrence_uid(forum_id: Any, moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.UTC)
    return f"forum-{forum_id}-{utc:%Y%m%dT%H%M%SZ}@samverka"


def _meeting_url(meeting: Meeting) -> str:
    name = "frontend:meeting" if meeting.ad_hoc else "frontend:consultation_meeting"
    return absolute_url(reverse(name, kwargs={"meeting_id": meeting.id}))


def _event(uid: str, start: dt.datetime | dt.date, minutes: int, summary: str) -> Event:
    event = Event()
    event.add("uid", uid)
    if isinstance(start, dt.datetime):
        local = start.astimezone(STOCKHOLM)
        event.add("dtstart", local)
        event.add("dtend", local + dt.timedelta(minutes=minutes or 60))
    else:
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(days=1))
    event.add("summary", summary)
    return event


def calendar_feed(*, token: str, now: dt.datetime | None = None) -> bytes:
    """The person's calendar as iCalendar text."""
    user = feed_owner(token)
    moment = now or timezone.now()
    start, end = moment - FEED_PAST, moment + FEED_AHEAD
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Samverka"))
    called = set(
        Invitation.objects.filter(person=user)
        .exclude(answer__in=[InvitationAnswer.DECLINED, InvitationAnswer.DELEGATED])
        .values_list("meeting_id", flat=True)
    )
    meetings = (
        policy.calendar_meetings(user)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("forum", "case", "revision")
        .order_by("starts_at")
    )
    taken: set[str] = set()
    for meeting in meetings:
        revision: MeetingRevision | None = getattr(meeting, "revision", None)
        uid = meeting_uid(meeting)
        taken.add(uid)
        summary = meeting.forum.name
        if meeting.case is not None and meeting.pk in called:
            summary = f"{summary} – {meeting.case.reference}"
        event = _event(uid, meeting.starts_at, meeting.duration_minutes, summary)
        stamp = revision.changed_at if revision else meeting.created_at
        event.add("dtstamp", stamp.astimezone(dt.UTC))
        event.add("last-modified", stamp.astimezone(dt.UTC))
        event.add("sequence", revision.sequence if revision else 0)
        event.add("status", "CONFIRMED")
        event.add("location", _("Samverka (digitalt mötesrum)"))
        event.add("url", _meeting_url(meeting))
        event.add("description", _("Mötet i Samverka: %(url)s") % {"url": _meeting_url(meeting)})
        calendar.add_component(event)
    # Occurrences further ahead than the scheduled meetings, for the forums one sits in.
    sitting = (
        Forum.objects.filter(
            member_units__memberships__user=user,
            member_units__memberships__role__in=[Role.FORUM_MEMBER, Role.SECTION_LEAD],
        )
        .exclude(recurrence="")
        .distinct()
    )
    for forum in sitting:
        try:
            moments = consultation.occurrences(forum, start, end)
        except Invalid:
            continue
        for occurrence in moments:
            uid = occurrence_uid(forum.pk, occurrence)
            if uid in taken:
                continue
            if Meeting.objects.filter(
                Q(forum=forum, ad_hoc=False)
                & (Q(starts_at=occurrence) | Q(revision__original_starts_at=occurrence))
            ).exists():
                continue  # scheduled, and so listed above (or moved out of the window)
            event = _event(uid, occurrence, forum.default_duration_minutes, forum.name)
            event.add("dtstamp", NEVER_REVISED)
            event.add("sequence", 0)
            event.add("status", "CONFIRMED")
            calendar.add_component(event)
    for training in agenda_training(user):
        for day in training_dates(training, start.date(), end.date()):
            uid = f"training-{training.id}-{day:%Y%m%d}@samverka"
            event = _event(
                uid, _training_start(training, day), training.duration_minutes, training.title
            )
            event.add("dtstamp", training.updated_at.astimezone(dt.UTC))
            event.add("last-modified", training.updated_at.astimezone(dt.UTC))
            event.add("sequence", 0)
            event.add("description", training.audience)
            event.add("categories", [_("Utbildning")])
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())

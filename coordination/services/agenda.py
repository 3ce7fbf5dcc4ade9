"""Changes to the year's agenda (årsagenda): training events, a meeting's new time, and
each person's secret calendar link."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from consent import policy
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.models import (
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingStatus,
    Municipality,
)
from coordination.models_consultation import Slot
from coordination.models_statistics import CalendarFeed, MeetingRevision, TrainingEvent
from realtime import events, rooms
from realtime.publish import publish_on_commit

MAX_TITLE = 200
MAX_AUDIENCE = 300
# A moved meeting may start a little before "now" (a page left open for a minute).
NOW_SLACK = dt.timedelta(minutes=5)


def _text(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
        raise Invalid(
            _("Fyll i fältet (högst %(n)s tecken).") % {"n": max_length}, detail={"field": field}
        )
    return value.strip()


# ---------------------------------------------------------------------------------------
# Training events


@transaction.atomic
def training_event_create(
    *,
    actor: Any,
    municipality: Municipality | None,
    title: str,
    starts_on: dt.date,
    audience: str,
    start_time: dt.time | None = None,
    duration_minutes: int = 0,
    every_years: int | None = None,
) -> TrainingEvent:
    """Put a training event on the year's agenda (once, or every N years)."""
    if not policy.may_plan_training(actor, municipality):
        raise Forbidden()
    if not isinstance(starts_on, dt.date):
        raise Invalid(_("Ange ett datum."), detail={"field": "starts_on"})
    if every_years is not None and not 1 <= every_years <= 10:
        raise Invalid(_("Ange vart hur många år (1–10)."), detail={"field": "every_years"})
    if start_time is None and duration_minutes:
        raise Invalid(_("Ange klockslag när längden anges."), detail={"field": "start_time"})
    if start_time is not None and not 15 <= duration_minutes <= 600:
        raise Invalid(_("Ange längden i minuter (15–600)."), detail={"field": "duration_minutes"})
    event = TrainingEvent(
        municipality=municipality,
        title=_text(title, "title", MAX_TITLE),
        starts_on=starts_on,
        start_time=start_time,
        duration_minutes=duration_minutes if start_time is not None else 0,
        audience=_text(audience, "audience", MAX_AUDIENCE),
        every_years=every_years,
        created_by=actor,
    )
    event.full_clean()
    event.save(force_insert=True)
    record(
        actor=actor,
        action="training_event.created",
        detail={
            "training_event": str(event.id),
            "title": event.title,
            "municipality": municipality.code if municipality else "",
            "starts_on": starts_on.isoformat(),
            "every_years": every_years,
        },
    )
    return event


@transaction.atomic
def training_event_delete(*, actor: Any, event: TrainingEvent) -> None:
    try:
        event = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    except TrainingEvent.DoesNotExist as exc:
        raise NotFound() from exc
    if not policy.may_plan_training(actor, event.municipality):
        raise Forbidden()
    detail = {"training_event": str(event.id), "title": event.title}
    event.delete()
    record(actor=actor, action="training_event.deleted", detail=detail)


# ---------------------------------------------------------------------------------------
# A meeting's new time


@transaction.atomic
def meeting_move(*, actor: Any, meeting: Meeting, starts_at: dt.datetime) -> Meeting:
    """Give a meeting that has not started a new time.

    Its booked slots move with it; every calendar that subscribes to it sees the same
    event (the UID stays) with a higher SEQUENCE; those called hear of it at once.
    """
    try:
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("forum__municipality", "case")
            .get(pk=meeting.pk)
        )
    except Meeting.DoesNotExist as exc:
        raise NotFound() from exc
    if not policy.may_move_meeting(actor, meeting):
        if policy.may_join_meeting(actor, meeting):
            raise Forbidden(_("Bara den som ansvarar för mötet kan flytta det."))
        raise NotFound()
    if meeting.status != MeetingStatus.CONVENED:
        raise Conflict(_("Ett möte som har börjat eller avslutats kan inte flyttas."))
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        raise Invalid(_("Tiden saknar tidszon."), detail={"field": "starts_at"})
    now = timezone.now()
    if starts_at < now - NOW_SLACK:
        raise Invalid(_("Tiden har redan passerat."), detail={"field": "starts_at"})
    if meeting.ad_hoc and timezone.localdate(starts_at) != timezone.localdate(meeting.starts_at):
        raise Invalid(
            _("En styrgrupp hålls samma dag som den kallades: välj en annan tid i dag."),
            detail={"field": "starts_at"},
        )
    previous = meeting.starts_at
    if starts_at == previous:
        raise Invalid(_("Mötet har redan den tiden."), detail={"field": "starts_at"})
    revision, created = MeetingRevision.objects.select_for_update().get_or_create(
        meeting=meeting, defaults={"original_starts_at": previous, "changed_at": now}
    )
    # Calendars compare LAST-MODIFIED to the second: make each change a later second.
    last = meeting.created_at if created else revision.changed_at
    revision.sequence += 1
    revision.changed_at = max(now, last.replace(microsecond=0) + dt.timedelta(seconds=1))
    revision.save(update_fields=["sequence", "changed_at"])
    meeting.starts_at = starts_at
    meeting.full_clean()
    meeting.save(update_fields=["starts_at"])
    Slot.objects.filter(meeting=meeting).update(starts_at=F("starts_at") + (starts_at - previous))
    called = list(
        Invitation.objects.filter(meeting=meeting)
        .exclude(answer__in=[InvitationAnswer.DECLINED, InvitationAnswer.DELEGATED])
        .values_list("person_id", flat=True)
    )
    record(
        actor=actor,
        action="meeting.moved",
        case=meeting.case,
        detail={
            "meeting": str(meeting.id),
            "forum": meeting.forum.name,
            "from": previous.isoformat(),
            "to": starts_at.isoformat(),
            "sequence": revision.sequence,
        },
    )
    url = (
        reverse("frontend:meeting", kwargs={"meeting_id": meeting.id})
        if meeting.ad_hoc
        else reverse("frontend:consultation_meeting", kwargs={"meeting_id": meeting.id})
    )
    event = events.MeetingMoved(
        meeting_id=str(meeting.id),
        forum=meeting.forum.name,
        starts_at=starts_at.isoformat(),
        previous_starts_at=previous.isoformat(),
        sequence=revision.sequence,
        url=url,
    )
    publish_on_commit(rooms.meeting_room(meeting.id), event)
    for person_id in called:
        publish_on_commit(rooms.inbox_room(person_id), event)
    return meeting


# ---------------------------------------------------------------------------------------
# The personal calendar link


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_renew(*, actor: Any) -> str:
    """A new secret calendar link for ``actor``; the old one stops working at once.

    Returns the token, which is shown once and never stored: only its hash is.
    """
    if not policy.may_read_inbox(actor):
        raise Forbidden()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    replaced = CalendarFeed.objects.filter(user=actor).exists()
    CalendarFeed.objects.update_or_create(
        user=actor, defaults={"token_sha256": token_sha256(token), "created_at": now}
    )
    record(actor=actor, action="calendar_feed.renewed", detail={"replaced": replaced})
    return token


@transaction.atomic
def calendar_feed_revoke(*, actor: Any) -> None:
    """Turn the calendar link off (a lost phone, a calendar shared by mistake)."""
    if not policy.may_read_inbox(actor):
        raise Forbidden()
    deleted, _rows = CalendarFeed.objects.filter(user=actor).delete()
    if not deleted:
        raise Conflict(_("Du har ingen kalenderlänk."))
    record(actor=actor, action="calendar_feed.revoked")

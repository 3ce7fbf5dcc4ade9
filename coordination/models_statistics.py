"""What the statistics and the year's agenda need beyond the cases and meetings: the
four counts Linköping made per case, training events, each person's calendar link, and
the calendar bookkeeping of a meeting that was moved.

Nothing here identifies anyone: a case's counts are numbers and yes/no answers, and the
calendar link is stored only as a hash.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.models import Case, Meeting, Municipality


class CaseFacts(models.Model):
    """The four counts Linköping made (November 2015), recorded on a case by the people
    who work with it: how many children witnessed violence, how many children were
    subjected to it, whether an adult was subjected to it, whether an adult used it.

    Counted in the statistics for the month the case was opened.
    """

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="facts"
    )
    children_witnessed = models.PositiveSmallIntegerField(_("barn som bevittnat våld"), default=0)
    children_subjected = models.PositiveSmallIntegerField(_("barn som utsatts för våld"), default=0)
    adult_subjected = models.BooleanField(_("en vuxen har utsatts för våld"), default=False)
    adult_used_violence = models.BooleanField(_("en vuxen har utövat våld"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(children_witnessed__lte=20)
                & models.Q(children_subjected__lte=20),
                name="case_facts_children_plausible",
            )
        ]
        verbose_name = _("uppgifter för statistiken")
        verbose_name_plural = _("uppgifter för statistiken")


class TrainingEvent(models.Model):
    """A training event on the year's agenda, e.g. Motala's basic training for all staff
    every other year."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None: for the whole county.
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_events",
        verbose_name=_("kommun"),
    )
    title = models.CharField(_("utbildning"), max_length=200)
    starts_on = models.DateField(_("datum"))
    # None: a whole-day event.
    start_time = models.TimeField(_("klockan"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("längd i minuter"), default=0)
    audience = models.CharField(_("för vem"), max_length=300)
    # None: once; 1: every year; 2: every other year, from ``starts_on``.
    every_years = models.PositiveSmallIntegerField(_("återkommer vart … år"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_years__isnull=True)
                | models.Q(every_years__gte=1, every_years__lte=10),
                name="training_every_years_range",
            )
        ]
        verbose_name = _("utbildning")
        verbose_name_plural = _("utbildningar")

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A person's secret calendar link. Only the SHA-256 of the token is kept: a stolen
    database does not give anyone the link, and a new link ends the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="calendar_feed",
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("kalenderlänk")
        verbose_name_plural = _("kalenderlänkar")


class MeetingRevision(models.Model):
    """How often a meeting's time has changed, for the calendars that subscribe to it.

    iCalendar tells a calendar that an event changed by a higher SEQUENCE and a newer
    LAST-MODIFIED; ``original_starts_at`` keeps the forum occurrence the meeting was
    scheduled for, so the event keeps its identity (UID) after it moved.
    """

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, primary_key=True, related_name="revision"
    )
    sequence = models.PositiveIntegerField(default=0)
    original_starts_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ändrad mötestid")
        verbose_name_plural = _("ändrade mötestider")

"""The e-mail that calls a person to a meeting, with an iCalendar (.ics) invitation.

Mail leaves the building, so it names the case by its pseudonymous reference only: no
name, personnummer, address or free text about the client ever goes into it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from coordination.models import Invitation, InvitationOrigin

logger = logging.getLogger(__name__)

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
PRODID = "-//Samverka//Kallelse//SV"


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def absolute_url(path: str) -> str:
    base = getattr(settings, "SAMVERKA_BASE_URL", "http://localhost:8000")
    return base.rstrip("/") + path


def answer_url(invitation: Invitation) -> str:
    return absolute_url(
        reverse("frontend:meeting_call", kwargs={"meeting_id": invitation.meeting_id})
    )


def _address(user: Any) -> vCalAddress:
    email = getattr(user, "email", "") or settings.DEFAULT_FROM_EMAIL
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(person_name(user))
    return address


def invitation_ics(invitation: Invitation) -> bytes:
    """METHOD:REQUEST, one VEVENT whose UID is the meeting's id, times in Europe/Stockholm."""
    meeting = invitation.meeting
    reference = meeting.case.reference if meeting.case else ""
    starts = meeting.starts_at.astimezone(STOCKHOLM)
    ends = starts + dt.timedelta(minutes=meeting.duration_minutes)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")

    event = Event()
    event.add("uid", str(meeting.id))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("sequence", 0)
    event.add("summary", f"{meeting.forum.name} – {reference}".strip(" –"))
    event.add(
        "description",
        _("Kallelse till %(forum)s för ärende %(reference)s. Svara i Samverka: %(url)s")
        % {"forum": meeting.forum.name, "reference": reference, "url": answer_url(invitation)},
    )
    event.add("location", _("Samverka (digitalt mötesrum)"))
    event.add("url", answer_url(invitation))
    event.add("organizer", _address(meeting.convened_by))
    attendee = _address(invitation.person)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    # Answers are given in Samverka, where they are audited, not by calendar reply.
    attendee.params["RSVP"] = vText("FALSE")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    _add_timezones(calendar)
    return bytes(calendar.to_ical())


@functools.cache
def _vtimezone(tzid: str) -> Timezone | None:
    # Built from the tz database over icalendar's fixed default span (1970-2038), so the
    # same for every invitation; building it is most of the cost of an .ics.
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:
        return None


def _add_timezones(calendar: Calendar) -> None:
    """``Calendar.add_missing_timezones()``, with each VTIMEZONE built once per process."""
    position = len(calendar.timezones)
    for tzid in sorted(calendar.get_missing_tzids()):
        vtimezone = _vtimezone(tzid)
        if vtimezone is not None:
            calendar.subcomponents.insert(position, vtimezone)
            position += 1


_ORIGIN_LINES: dict[str, Any] = {
    InvitationOrigin.DELEGATED: gettext_lazy("Kallelsen har delegerats till dig."),
    InvitationOrigin.ESCALATED: gettext_lazy(
        "Sektionen har inte svarat i tid, så kallelsen har gått vidare till dig som ersättare."
    ),
    InvitationOrigin.ON_CALL: gettext_lazy(
        "Sektionen har inte svarat i tid utanför kontorstid, så kallelsen har gått till "
        "socialjouren."
    ),
}


def invitation_message(invitation: Invitation) -> EmailMessage:
    meeting = invitation.meeting
    reference = meeting.case.reference if meeting.case else ""
    starts = timezone.localtime(meeting.starts_at, STOCKHOLM)
    today = timezone.localdate(timezone.now(), STOCKHOLM)
    when = (
        _("i dag kl. %(time)s") % {"time": f"{starts:%H:%M}"}
        if starts.date() == today
        else f"{starts:%Y-%m-%d %H:%M}"
    )
    routine = meeting.routine
    lines = [
        _("Hej!"),
        "",
        _("Du är kallad till %(forum)s.") % {"forum": meeting.forum.name},
    ]
    origin_line = _ORIGIN_LINES.get(invitation.origin)
    if origin_line:
        lines.append(str(origin_line))
    lines += [
        "",
        _("Ärende: %(reference)s") % {"reference": reference},
        _("Tid: %(when)s") % {"when": when},
    ]
    if invitation.unit is not None:
        lines.append(_("Kallad för: %(unit)s") % {"unit": invitation.unit.name})
    lines.append(_("Kallad av: %(name)s") % {"name": person_name(meeting.convened_by)})
    if routine is not None:
        lines.append(_("Rutin: %(routine)s") % {"routine": routine.name})
    lines += [
        "",
        _("Svara här (kommer, kommer inte eller delegera): %(url)s")
        % {"url": answer_url(invitation)},
    ]
    if routine is not None:
        lines += [
            "",
            _(
                "Om sektionen inte har svarat inom %(minutes)s minuter går kallelsen vidare till "
                "ersättare, utanför kontorstid till socialjouren."
            )
            % {"minutes": routine.escalation_minutes},
        ]
    lines += [
        "",
        _(
            "Meddelandet innehåller inga uppgifter om den enskilde; ärendet finns i Samverka "
            "under sin referens."
        ),
    ]
    message = EmailMessage(
        subject=_("Kallelse: %(forum)s %(when)s – %(reference)s")
        % {"forum": meeting.forum.name, "when": when, "reference": reference},
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.person.email],
    )
    message.attach("kallelse.ics", invitation_ics(invitation), "text/calendar; method=REQUEST")
    return message


def send_invitation_mail(invitation_id: Any) -> bool:
    """Send the call; a failing mail server is logged (by ids only) and never undoes it."""
    invitation = (
        Invitation.objects.select_related(
            "meeting__forum", "meeting__case", "meeting__routine", "meeting__convened_by"
        )
        .select_related("person", "unit")
        .get(pk=invitation_id)
    )
    return send_invitation_mails([invitation]) == 1


def send_invitation_mails(invitations: Sequence[Invitation]) -> int:
    """Send the calls over one connection to the mail server; returns how many were sent.

    The invitations come with their meeting (forum, case, routine, convener), person and
    unit loaded. Each failure is logged (by ids only) and never undoes the call, nor
    stops the mails after it.
    """
    addressed = []
    for invitation in invitations:
        if invitation.person.email:
            addressed.append(invitation)
        else:
            logger.info("invitation %s has no e-mail address; the inbox call stands", invitation.pk)
    if not addressed:
        return 0
    try:
        connection = get_connection(fail_silently=False)
    except Exception:
        for invitation in addressed:
            logger.warning("invitation mail %s could not be sent", invitation.pk, exc_info=True)
        return 0
    sent = 0
    try:
        for invitation in addressed:
            try:
                message = invitation_message(invitation)
                # Opened here, not by send(), so that it stays open for the next message.
                connection.open()
                message.connection = connection
                message.send(fail_silently=False)
            except Exception:
                logger.warning("invitation mail %s could not be sent", invitation.pk, exc_info=True)
                # A broken connection is opened afresh for the next message.
                with contextlib.suppress(Exception):
                    connection.close()
            else:
                sent += 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent

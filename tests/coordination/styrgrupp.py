"""Builders for the styrgrupp tests: Motala's routine, its forum, socialjour and a call.

Registered as fixtures through tests/coordination/conftest.py; also imported by the
frontend tests.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from coordination import services
from coordination.models import (
    Case,
    ForumKind,
    Incident,
    Invitation,
    Meeting,
    Role,
    Routine,
    Unit,
)
from tests.fixtures import Org, make_case, make_user

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

CHECKLIST = [
    {"key": "child_witnessed", "text": "Har ett barn bevittnat våld? Utred utan dröjsmål."},
    {"key": "protection", "text": "Skyddsbedömning: behövs skyddat boende i dag?"},
    {"key": "protected_data", "text": "Behövs skyddade personuppgifter?"},
]


@dataclass
class Styrgrupp:
    org: Org
    routine: Routine
    jour_unit: Unit
    case: Case
    incident: Incident

    @property
    def bou(self) -> Unit:
        return self.org.units["bou"]

    @property
    def vuxen(self) -> Unit:
        return self.org.units["vuxen"]

    def user(self, name: str) -> Any:
        return self.org.user(name)

    def convene(self, *, units: list[str] | None = None, **kwargs: Any) -> Meeting:
        return services.meeting_convene(
            actor=self.user(kwargs.pop("actor", "officer")),
            case=kwargs.pop("case", self.case),
            routine=self.routine,
            units=[self.org.units[u] for u in (units or ["bou", "vuxen"])],
            incident=kwargs.pop("incident", self.incident),
            **kwargs,
        )

    def invitation(self, meeting: Meeting, person: str) -> Invitation:
        return Invitation.objects.get(meeting=meeting, person=self.user(person))


def build_styrgrupp(org: Org) -> Styrgrupp:
    social = org.units["bou"].agency
    motala = social.municipality
    assert motala is not None
    jour_unit = services.unit_create(actor=None, agency=social, name="Socialjour")
    jour = make_user("jour", first_name="Jour", last_name="Havande")
    org.people["jour"] = jour
    services.membership_grant(actor=None, user=jour, unit=jour_unit, role=Role.SECTION_LEAD)
    services.unit_set_leads(actor=None, unit=jour_unit, lead=jour)
    vuxen_deputy = make_user("vuxen_deputy", first_name="Vera", last_name="Ersättare")
    org.people["vuxen_deputy"] = vuxen_deputy
    services.membership_grant(
        actor=None, user=vuxen_deputy, unit=org.units["vuxen"], role=Role.SECTION_LEAD
    )
    services.unit_set_leads(
        actor=None, unit=org.units["vuxen"], lead=org.user("vuxen_lead"), deputies=[vuxen_deputy]
    )
    forum = services.forum_create(
        actor=None,
        name="Styrgruppen (Hot och våld i nära relation)",
        kind=ForumKind.STEERING_GROUP,
        municipality=motala,
        internal=True,
        member_units=[org.units["bou"], org.units["vuxen"]],
    )
    routine = services.routine_create(
        actor=None,
        municipality=motala,
        forum=forum,
        name="Hot och våld i nära relation",
        text="Kalla styrgruppen samma dag.",
        checklist=CHECKLIST,
        on_call_unit=jour_unit,
        on_call_person=jour,
    )
    case = make_case(org)
    incident = services.incident_register(
        actor=org.user("officer"),
        case=case,
        kind="violence",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        description="Lina blev slagen i hallen; Elsa såg det.",
    )
    return Styrgrupp(org=org, routine=routine, jour_unit=jour_unit, case=case, incident=incident)


@pytest.fixture
def styrgrupp(org: Org) -> Styrgrupp:
    return build_styrgrupp(org)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An aware time in Stockholm: ``local(2026, 11, 27, 16, 5)``."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def later_today(minutes: int = 60) -> dt.datetime:
    """A time later today (or now, a minute before midnight)."""
    now = timezone.localtime()
    last = now.replace(hour=23, minute=59, second=0, microsecond=0)
    wanted = (now + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return max(now, min(wanted, last))


@contextmanager
def sent_events() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The (room, payload) pairs announced after commit, in order."""
    sent: list[tuple[str, dict[str, Any]]] = []
    with mock.patch(
        "realtime.publish._send",
        side_effect=lambda room, event, **kw: sent.append((room, event.payload())),
    ):
        yield sent

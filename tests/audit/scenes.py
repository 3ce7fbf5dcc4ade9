"""A month of accesses for access-log review tests, written at chosen times of day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record_atomic
from coordination import selectors
from coordination.models import Case
from tests.fixtures import Org, make_case

DAY = dt.date(2026, 3, 10)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@dataclass
class Scene:
    """Who accessed what, when; ``events`` names the accesses a test asks about."""

    org: Org
    case: Case
    protected: Case
    other: Case
    norr_case: Case
    events: dict[str, AuditEvent] = field(default_factory=dict)


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, value: dt.datetime) -> None:
        self.now = value


def view(clock: Clock, when: dt.datetime, user: Any, case: Case) -> AuditEvent:
    clock.set(when)
    selectors.case_detail(user=user, case_id=case.pk)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "case.viewed"
    return event


def build_scene(org: Org, clock: Clock) -> Scene:
    """Accesses on 10 March 2026 to Motala's cases, and one to a Norrköping case.

    * officer reads the case at 10.00 (ordinary)
    * officer reads the protected case at 11.00 (protected identity)
    * lead reads three cases within four minutes from 14.00 (bulk, with three cases)
    * vuxen_officer sees the case through an internal meeting at 15.00 (no role)
    * officer reads the case at 23.30 (night)
    * norr_officer reads a Norrköping case (another agency: outside Motala's review)
    """
    scene = Scene(
        org=org,
        case=make_case(org),
        protected=make_case(org, protected=True),
        other=make_case(org),
        norr_case=make_case(org, officer="norr_officer"),
    )
    officer, lead = org.user("officer"), org.user("lead")
    scene.events["ordinary"] = view(clock, at(10), officer, scene.case)
    scene.events["protected"] = view(clock, at(11), officer, scene.protected)
    scene.events["bulk_1"] = view(clock, at(14, 0), lead, scene.case)
    scene.events["bulk_2"] = view(clock, at(14, 2), lead, scene.other)
    scene.events["bulk_3"] = view(clock, at(14, 4), lead, scene.protected)
    clock.set(at(15))
    scene.events["no_role"] = record_atomic(
        actor=org.user("vuxen_officer"),
        action="case.viewed",
        case=scene.case,
        legal_basis="same_authority",
        fields=["name"],
        detail={"context": "presentation", "level": "identified", "flagged": False},
    )
    scene.events["night"] = view(clock, at(23, 30), officer, scene.case)
    scene.events["norr"] = view(clock, at(12), org.user("norr_officer"), scene.norr_case)
    clock.set(at(23, 59))
    return scene


def bulk_rule(cases: int = 3, minutes: int = 10) -> override_settings:
    return override_settings(
        SAMVERKA={
            "AUDIT_CHECKPOINT_EVERY": 100,
            "AUDIT_CHECKPOINT_SECONDS": 300,
            "AUDIT_REVIEW_BULK_CASES": cases,
            "AUDIT_REVIEW_BULK_MINUTES": minutes,
        }
    )

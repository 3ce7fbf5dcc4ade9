"""Builders for the konsultativ grupp tests: Norrköping's forum with the school, the region
and social services, its schedule, a case of Barn och familj, consent and bookings.

Imported as a fixture by the test modules that use it (and by the page tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from consent import services as consent_services
from consent.anonymiser import case_brief
from coordination import services
from coordination.models import Case, Forum, ForumKind, Meeting, Presentation, Role
from coordination.models_consultation import Slot
from coordination.services import consultation
from tests.fixtures import Org, make_case

RULE = "FREQ=WEEKLY;BYDAY=TH;BYHOUR=13;BYMINUTE=0"
# Written as a case officer would; the anonymiser must take the identifying parts out.
BRIEF = (
    "Lina Andersson, 19850612-2384, bor på Storgatan 12 i Motala med dottern Elsa som går "
    "på Charlottenborgsskolan. Maken Mikael har slagit henne flera gånger och hotat att ta "
    "barnet. Hon vill ha stöd men vågar inte flytta."
)
ALL_CATEGORIES = ["identity", "contact", "children", "school", "situation", "risk", "support"]


@dataclass
class Konsult:
    org: Org
    forum: Forum
    case: Case

    def user(self, name: str) -> Any:
        return self.org.user(name)

    @property
    def region(self) -> Any:
        return self.org.units["region"]

    @property
    def skola(self) -> Any:
        return self.org.units["skola"]

    @property
    def norr(self) -> Any:
        return self.org.units["norr"]

    def meeting(self, number: int = 0) -> Meeting:
        return list(Meeting.objects.filter(forum=self.forum).order_by("starts_at"))[number]

    def slot(self, number: int = 1, meeting: int = 0) -> Slot:
        return Slot.objects.get(meeting=self.meeting(meeting), number=number)

    def consent(self, **overrides: Any) -> Any:
        today = timezone.localdate()
        values: dict[str, Any] = {
            "actor": self.user("norr_officer"),
            "case": self.case,
            "agencies": [self.region.agency],
            "forums": [self.forum],
            "categories": ALL_CATEGORIES,
            "purpose_code": "coordination",
            "given_how": "written",
            "document_reference": "SN 2026/0042",
            "valid_from": today,
            "valid_to": today + dt.timedelta(days=90),
        }
        values.update(overrides)
        return consent_services.consent_record(**values)

    def book_anonymised(self, *, slot: Slot | None = None, text: str = BRIEF) -> Presentation:
        draft = case_brief.draft_brief(self.case, text)
        return consultation.presentation_create_anonymised(
            actor=self.user("norr_officer"),
            slot=slot or self.slot(),
            case=self.case,
            text=text,
            fingerprint=draft.fingerprint,
            assessment="Avidentifierat; ingen i gruppen kan förstå vem det gäller.",
        )

    def book_consented(
        self, *, slot: Slot | None = None, categories: list[str] | None = None, text: str = ""
    ) -> Presentation:
        return consultation.presentation_create_consented(
            actor=self.user("norr_officer"),
            slot=slot or self.slot(),
            case=self.case,
            categories=categories or ["identity", "situation"],
            assessment="Klienten har samtyckt skriftligt.",
            text=text,
        )


def build_konsult(org: Org) -> Konsult:
    norrkoping = org.units["norr"].agency.municipality
    # The nurse also handles the region's referrals (as in the demo).
    services.membership_grant(
        actor=None, user=org.user("nurse"), unit=org.units["region"], role=Role.CASE_OFFICER
    )
    forum = services.forum_create(
        actor=None,
        name="Konsultativ grupp rörande VINR",
        kind=ForumKind.CONSULTATIVE_GROUP,
        municipality=norrkoping,
        internal=False,
        member_units=[org.units["skola"], org.units["region"], org.units["norr"]],
        recurrence=RULE,
    )
    consultation.forum_schedule(actor=None, forum=forum, weeks=3)
    case = make_case(org, officer="norr_officer")
    return Konsult(org=org, forum=forum, case=case)


@pytest.fixture
def konsult(org: Org) -> Konsult:
    return build_konsult(org)

"""Builders for the consent tests: a konsultativ grupp, its meetings, consents, police."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
from django.utils import timezone

from consent import services
from consent.models import Consent
from coordination import services as org_services
from coordination.models import (
    Agency,
    AgencyKind,
    Case,
    Forum,
    ForumKind,
    Meeting,
    Presentation,
    Role,
)
from tests.fixtures import Org, make_user

FULL = ["identity", "contact", "address", "situation", "risk"]


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def agency(org: Org, unit_key: str) -> Agency:
    return org.units[unit_key].agency


def make_forum(org: Org, units: Iterable[str] = ("bou", "vuxen", "skola", "region")) -> Forum:
    forum = Forum.objects.create(
        name="Konsultativ grupp VINR", kind=ForumKind.CONSULTATIVE_GROUP, internal=False
    )
    forum.member_units.set([org.units[k] for k in units])
    return forum


def make_meeting(forum: Forum, *, convened_by: Any = None) -> Meeting:
    return Meeting.objects.create(forum=forum, starts_at=timezone.now(), convened_by=convened_by)


def present(meeting: Meeting, case: Case, mode: str, presenter: Any) -> Presentation:
    return Presentation.objects.create(
        meeting=meeting, case=case, mode=mode, presented_by=presenter
    )


def record_consent(
    org: Org,
    case: Case,
    *,
    agencies: Iterable[str] = ("skola", "region"),
    forums: Iterable[Forum] = (),
    categories: Iterable[str] = FULL,
    purpose_code: str = "coordination",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    actor: str = "officer",
) -> Consent:
    return services.consent_record(
        actor=org.user(actor),
        case=case,
        agencies=[agency(org, k) for k in agencies],
        forums=list(forums),
        categories=list(categories),
        purpose_code=purpose_code,
        purpose="Planera stöd tillsammans med skolan och vården.",
        given_how="written",
        document_reference="SN 2026/17",
        valid_from=valid_from or today(),
        valid_to=valid_to or days(180),
    )


def make_police(org: Org) -> Any:
    """Polisen i Östergötland, with one officer who sits in its local unit."""
    police = org_services.agency_create(
        actor=None, name="Polisen Östergötland", kind=AgencyKind.POLICE, municipality=None
    )
    unit = org_services.unit_create(actor=None, agency=police, name="Lokalpolisområde Motala")
    org.units["polis"] = unit
    constable = make_user("constable")
    org_services.membership_grant(actor=None, user=constable, unit=unit, role=Role.FORUM_MEMBER)
    org.people["constable"] = constable
    return police


@pytest.fixture
def forum(org: Org) -> Forum:
    return make_forum(org)

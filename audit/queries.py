"""Building blocks for reading the trail: an auditor's scope, accesses, disclosures, filters.

No access decision is taken here: callers ask ``consent.policy`` which agencies a person
audits and pass the answer in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from coordination.models import Agency, Case

# Entries about the review of the trail itself are not accesses to be reviewed again.
NOT_ACCESS_PREFIXES = ("audit.", "access_review.")
DISCLOSURE_PREFIX = "disclosure."


def period_bounds(start: dt.date | None, end: dt.date | None) -> tuple[Any, Any]:
    """Local midnight at the start of ``start`` and after the end of ``end`` (either None)."""
    tz = timezone.get_current_timezone()
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=tz) if start else None
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if end else None
    return lower, upper


def scoped_events(agency_ids: Iterable[Any]) -> QuerySet[AuditEvent]:
    """Entries about the agencies' cases, and entries without a case by their staff."""
    ids = list(agency_ids)
    case_ids = Case.objects.filter(owning_unit__agency_id__in=ids).values("id")
    names = Agency.objects.filter(id__in=ids).values("name")
    return AuditEvent.objects.filter(
        Q(case_id__in=case_ids) | Q(case_id__isnull=True, actor_agency__in=names)
    )


def accesses(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Entries where a person read or changed a case (the access-log review's population)."""
    events = events.filter(case_id__isnull=False, actor_user_id__isnull=False)
    for prefix in NOT_ACCESS_PREFIXES:
        events = events.exclude(action__startswith=prefix)
    return events


def disclosures(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    return events.filter(action__startswith=DISCLOSURE_PREFIX)


@dataclass(frozen=True)
class TrailFilter:
    """What an auditor narrows a list by; every field optional."""

    case: str = ""  # case reference, exact (any letter case)
    agency: str = ""  # part of the acting or the receiving agency's name
    person: str = ""  # part of the acting person's username, or of a recipient
    basis: str = ""  # legal basis code, exact
    action: str = ""  # action, or its beginning ("case." matches every case action)
    start: dt.date | None = None
    end: dt.date | None = None
    flagged: bool = False  # only accesses flagged for review (protected identity)

    def as_detail(self) -> dict[str, Any]:
        """The filters in use, for the audit entry that records the search."""
        return {
            key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in asdict(self).items()
            if value not in ("", None, False)
        }

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.case:
            events = events.filter(case_ref__iexact=self.case.strip())
        if self.agency:
            events = events.filter(
                Q(actor_agency__icontains=self.agency) | Q(recipients__icontains=self.agency)
            )
        if self.person:
            events = events.filter(
                Q(actor__icontains=self.person) | Q(recipients__icontains=self.person)
            )
        if self.basis:
            events = events.filter(legal_basis=self.basis.strip())
        if self.action:
            events = events.filter(action__startswith=self.action.strip())
        lower, upper = period_bounds(self.start, self.end)
        if lower is not None:
            events = events.filter(at__gte=lower)
        if upper is not None:
            events = events.filter(at__lt=upper)
        if self.flagged:
            events = events.filter(detail__flagged=True)
        return events

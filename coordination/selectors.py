"""Reads of case information: each asks the disclosure policy and records the access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record_atomic
from consent import policy
from coordination import identity, vault
from coordination.errors import NotFound
from coordination.models import Case, IdentityField, Incident, Membership, PersonIndex


@dataclass(frozen=True)
class IncidentView:
    id: uuid.UUID
    kind: str
    kind_display: str
    occurred_at: Any
    description: str


@dataclass(frozen=True)
class CaseView:
    """What one person may see of one case, decided once by the policy."""

    case: Case
    decision: policy.Decision
    identity: dict[str, Any] = field(default_factory=dict)
    incidents: list[IncidentView] = field(default_factory=list)

    @property
    def erased(self) -> bool:
        return self.case.erased_at is not None


def case_list(*, user: Any) -> QuerySet[Case]:
    """Cases the person may see; references only, so listing is not an identity read."""
    return policy.visible_cases(user).order_by("-created_at")


def case_get(*, user: Any, case_id: uuid.UUID | str) -> Case:
    """The case if the person may see it at all; otherwise the same NotFound as a missing one."""
    try:
        case = Case.objects.select_related("owning_unit__agency__municipality").get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not policy.case_access(user, case).allowed:
        raise NotFound()
    return case


def _decrypt_fields(case: Case, names: frozenset[str]) -> dict[str, Any]:
    if not names or case.erased_at is not None:
        return {}
    data_key = vault.case_data_key(case)
    rows = IdentityField.objects.filter(case=case, name__in=names)
    return {
        row.name: vault.decrypt_value(data_key, str(case.id), row.name, row.ciphertext)
        for row in rows
    }


def case_detail(
    *, user: Any, case_id: uuid.UUID | str, context: policy.Context = policy.Context.CASE_PAGE
) -> CaseView:
    """The case as this person may see it; the read of identity fields is audited."""
    case = case_get(user=user, case_id=case_id)
    decision = policy.case_access(user, case, context)
    shown = _decrypt_fields(case, decision.fields)
    incidents = _incidents(case) if decision.level is policy.Level.IDENTIFIED else []
    record_atomic(
        actor=user,
        action="case.viewed",
        case=case,
        legal_basis=decision.basis,
        fields=shown.keys(),
        detail={
            "context": str(context),
            "level": str(decision.level),
            "flagged": decision.flagged,
        },
    )
    return CaseView(case=case, decision=decision, identity=shown, incidents=incidents)


def _incidents(case: Case) -> list[IncidentView]:
    if case.erased_at is not None:
        return []
    data_key = vault.case_data_key(case)
    views = []
    for incident in Incident.objects.filter(case=case):
        description = ""
        if incident.description_ciphertext:
            description = vault.decrypt_value(
                data_key, str(case.id), f"incident:{incident.id}", incident.description_ciphertext
            )
        views.append(
            IncidentView(
                id=incident.id,
                kind=incident.kind,
                kind_display=incident.get_kind_display(),
                occurred_at=incident.occurred_at,
                description=description,
            )
        )
    return views


def case_find_by_identity_number(*, user: Any, number: str) -> list[Case]:
    """Existing cases for a person, found through the blind index without decrypting any.

    Only cases the person may see in search results are returned (protected identities
    never are); the search itself is audited without the number.
    """
    try:
        digest = vault.blind_index(number)
    except identity.InvalidIdentityNumber as exc:
        from coordination.errors import Invalid

        raise Invalid("Ogiltigt personnummer eller samordningsnummer.") from exc
    candidates = Case.objects.filter(
        pk__in=PersonIndex.objects.filter(digest=digest).values("case_id")
    ).select_related("owning_unit__agency")
    found = [c for c in candidates if policy.case_access(user, c, policy.Context.SEARCH).allowed]
    record_atomic(
        actor=user,
        action="case.searched",
        detail={"by": "identity_number", "hits": [c.reference for c in found]},
    )
    return found


@dataclass(frozen=True)
class StartPage:
    memberships: list[Membership]
    cases: list[Case]
    today: Any
    # The styrgrupp (selectors_meetings): calls to answer, today's meetings, open actions.
    calls: list[Any] = field(default_factory=list)
    meetings_today: list[Any] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    follows_up_meetings: bool = False


def start_page(*, user: Any) -> StartPage:
    from coordination import selectors_meetings

    memberships = list(
        Membership.objects.filter(user=user).select_related("unit__agency").order_by("unit__name")
    )
    return StartPage(
        memberships=memberships,
        cases=list(case_list(user=user)[:50]),
        today=timezone.localdate(),
        calls=selectors_meetings.calls_waiting(user=user),
        meetings_today=selectors_meetings.meetings_today(user=user),
        actions=selectors_meetings.open_actions(user=user),
        follows_up_meetings=policy.followed_up_municipalities(user).exists(),
    )

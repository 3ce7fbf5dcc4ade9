"""The disclosure policy as a matrix: every position × context × consent state × protection.

The expected answer of each cell comes from the small tables below, written from the
rules in DESIGN.md §4.4 and the issue — not from the policy itself — so the two can
disagree. One world is built for the whole module inside a transaction that is rolled
back at the end; each cell only reads.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from consent import policy
from consent.models import Consent, Disclosure, LegalBasis
from coordination.models import Case, Meeting
from tests.consent.conftest import make_forum, make_meeting, present
from tests.fixtures import build_org, make_case

# The mark makes pytest-django create the test database for the module fixture; each
# cell's own (read-only) database use nests in a savepoint of the module's transaction.
pytestmark = pytest.mark.django_db

# --- the dimensions --------------------------------------------------------------------------

POSITIONS = [
    "officer",  # assigned case officer in the owning unit
    "lead",  # section lead of the owning unit
    "colleague",  # case officer in the owning unit, not on this case
    "vuxen_lead",  # same agency, other unit; sits in the konsultativ grupp
    "norr_officer",  # another municipality's social services; not in the group
    "teacher",  # school (Ekbackeskolan); in the group; named by the consents
    "nurse",  # region (primärvård); in the group; named by the consents
    "auditor",  # same agency, no role in the case
]
CONTEXTS = [
    "case_page",
    "presentation_consented",
    "presentation_anonymised",
    "referral",
    "message",
    "export",
    "search",
    "notification",
]
STATES = ["none", "valid", "expired", "revoked", "other_recipient", "narrow"]
PROTECTED = [False, True]

# --- the independent expectation tables ------------------------------------------------------

IDENTITY = frozenset(
    {"name", "nicknames", "personnummer", "address", "phone", "email"}
    | {"children", "relatives", "school"}
)
CONTENT = frozenset({"situation", "risk", "health", "support"})
EVERYTHING = IDENTITY | CONTENT
# FULL consent: identity, contact, address, situation, risk.
FULL_FIELDS = frozenset(
    {"name", "nicknames", "personnummer", "phone", "email", "address", "situation", "risk"}
)
NARROW_FIELDS = frozenset({"situation", "risk"})

OWNERS = {"officer", "lead"}
FORUM_MEMBERS = {"vuxen_lead", "teacher", "nurse"}
# Fields each state's consent covers, for those it names (None: it covers nobody now).
CONSENT_FIELDS: dict[str, frozenset[str] | None] = {
    "none": None,
    "valid": FULL_FIELDS,
    "expired": None,
    "revoked": None,
    "other_recipient": FULL_FIELDS,
    "narrow": NARROW_FIELDS,
}
# States whose consent names the konsultativ grupp (the others name Norrköping only, or none).
NAMES_THE_FORUM = {"valid", "expired", "revoked", "narrow"}
# Who received a referral disclosure on the state's consent while it was valid.
REFERRED_TO = {
    "valid": "nurse",
    "expired": "nurse",
    "revoked": "nurse",
    "narrow": "nurse",
    "other_recipient": "norr_officer",
}


@dataclass(frozen=True)
class Expected:
    level: str
    fields: frozenset[str] = frozenset()
    basis: str = ""
    flagged: bool = False


NONE = Expected("none")


def expected(position: str, context: str, state: str, protected: bool) -> Expected:
    if position in OWNERS:
        if context == "search" and protected:
            return NONE
        if context == "notification" and protected:
            return Expected("anonymised", frozenset(), "owning_unit", True)
        if protected:  # the address of a protected person is shown to nobody
            return Expected("identified", EVERYTHING - {"address"}, "owning_unit", True)
        return Expected("identified", EVERYTHING, "owning_unit", False)
    covered = CONSENT_FIELDS[state]
    if context == "presentation_anonymised":
        if position in FORUM_MEMBERS:
            return Expected("anonymised", frozenset(), "anonymised", protected)
        return NONE
    if context == "presentation_consented":
        if position not in FORUM_MEMBERS or state not in NAMES_THE_FORUM or covered is None:
            return NONE
        if protected:
            return Expected("anonymised", covered & CONTENT, "consent", True)
        return Expected("identified", covered, "consent", False)
    holds = REFERRED_TO.get(state) == position and covered is not None
    if context == "referral":
        if not holds:
            return NONE
        assert covered is not None
        if protected:
            return Expected("anonymised", covered & CONTENT, "consent", True)
        return Expected("identified", covered, "consent", False)
    if context == "notification":
        if protected or not holds:
            return NONE
        return Expected("anonymised", frozenset(), "consent", False)
    return NONE  # case page, message, export, search: never outside the owning unit


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    people: dict[str, Any]
    cases: dict[tuple[str, bool], Case]
    consented: Meeting
    anonymised: Meeting


def _consent(case: Case, org: Any, state: str, forum: Any) -> Consent | None:
    if state == "none":
        return None
    today = timezone.localdate()
    consent = Consent.objects.create(
        case=case,
        categories=(
            ["situation", "risk"]
            if state == "narrow"
            else ["identity", "contact", "address", "situation", "risk"]
        ),
        purpose_code="coordination",
        given_how="written",
        valid_from=today - dt.timedelta(days=200) if state == "expired" else today,
        valid_to=today - dt.timedelta(days=1) if state == "expired" else today + dt.timedelta(180),
        recorded_by=org.user("officer"),
        revoked_at=timezone.now() if state == "revoked" else None,
        revoked_by=org.user("officer") if state == "revoked" else None,
    )
    if state == "other_recipient":
        consent.recipient_agencies.set([org.units["norr"].agency])
    else:
        consent.recipient_agencies.set([org.units["skola"].agency, org.units["region"].agency])
        consent.recipient_forums.set([forum])
    return consent


def _referral(case: Case, org: Any, consent: Consent, state: str) -> None:
    """A referral disclosed while the consent was valid (its state changed afterwards)."""
    recipient = org.units["norr" if state == "other_recipient" else "region"].agency
    Disclosure.objects.create(
        case=case,
        context="referral",
        level="identified",
        categories=consent.categories,
        fields=sorted(consent.fields),
        recipient_agency=recipient,
        basis=LegalBasis.objects.get(code="consent"),
        basis_code="consent",
        consent=consent,
        decided_by=org.user("officer"),
        assessment_ciphertext=b"-",
    )


def _build() -> World:
    org = build_org()
    forum = make_forum(org)
    consented = make_meeting(forum, convened_by=org.user("officer"))
    anonymised = make_meeting(forum, convened_by=org.user("officer"))
    cases = {}
    for state, protected in itertools.product(STATES, PROTECTED):
        case = make_case(org, protected=protected)
        present(consented, case, "consented", org.user("officer"))
        present(anonymised, case, "anonymised", org.user("officer"))
        consent = _consent(case, org, state, forum)
        if consent is not None:
            _referral(case, org, consent, state)
        cases[(state, protected)] = case
    return World(org.people, cases, consented, anonymised)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- the matrix ------------------------------------------------------------------------------

CELLS = list(itertools.product(POSITIONS, CONTEXTS, STATES, PROTECTED))


def _ask(world: World, position: str, context: str, state: str, protected: bool) -> Any:
    user = world.people[position]
    case = world.cases[(state, protected)]
    if context == "presentation_consented":
        return policy.case_access(user, case, policy.Context.PRESENTATION, meeting=world.consented)
    if context == "presentation_anonymised":
        return policy.case_access(user, case, policy.Context.PRESENTATION, meeting=world.anonymised)
    return policy.case_access(user, case, policy.Context(context))


@pytest.mark.parametrize(
    ("position", "context", "state", "protected"),
    CELLS,
    ids=[f"{p}-{c}-{s}-{'skyddad' if x else 'vanlig'}" for p, c, s, x in CELLS],
)
def test_policy_answer(
    world: World, position: str, context: str, state: str, protected: bool
) -> None:
    decision = _ask(world, position, context, state, protected)
    want = expected(position, context, state, protected)

    assert str(decision.level) == want.level
    assert decision.fields == want.fields
    if want.level != "none":
        assert str(decision.basis) == want.basis
        assert decision.flagged is want.flagged
    # Whatever else holds: a protected identity never leaves the owning unit.
    if protected and position not in OWNERS:
        assert not decision.fields & IDENTITY
        assert str(decision.level) != "identified"

"""The access-control matrix: every route and WebSocket action, who may use it, on what.

HOW TO ADD AN ENTRY (read this when test_every_route_has_a_place_in_the_matrix fails)
------------------------------------------------------------------------------------
Every URL name the resolver knows (``namespace:name``) must be a key of ``ROUTES``.
An entry is a list of ``Op`` — one per HTTP method worth checking:

    "frontend:thing": [
        Op("GET", CASE, who=OWNERS),
        Op("POST", CASE, who=OWNERS, data=lambda w, t: {"field": "value"}),
    ],

* ``scope`` says what the URL's arguments name, and so which objects the cell runs on:
  ``GLOBAL`` (no argument), ``CASE`` (each of the 8 cases: consent state × protected),
  ``MEETING`` (the styrgrupp of each case), ``ACTION`` (the action recorded in it),
  ``CONSENT`` (the case's consent; a case without one gets a random id), ``ROOM_CASE`` /
  ``ROOM_MEETING`` (a room name), ``REVIEW``, ``SEQ``, ``ROUTINE``. A new kind of object
  needs a scope here, an object in ``build_world`` (test_access_matrix.py) and a line in
  ``kwargs_for``.
* ``who`` answers, for a position and a target, the outcome the POLICY demands (write
  it from DESIGN.md and the policy's rules, never by calling consent/policy.py):
  ``ALLOW``, ``HIDDEN`` (404: "does not exist" and "may not see" look the same),
  ``FORBIDDEN`` (403: may see, may not do) or ``LOGIN`` (anonymous: to the login page /
  401). Ready-made rules: ``OWNERS``, ``PARTICIPANTS``, ``SIGNED_IN``, ``EVERYONE``,
  ``ADMINS``, ``AUDITORS``, ``NOBODY``.
* ``data`` gives a VALID body for writes, so that a refusal can only come from access
  control (an invalid body would be answered 400 before or after the check).
The HTTP cells run inside a transaction that is rolled back, so writes change nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone


class Outcome(enum.StrEnum):
    ALLOW = "allow"
    HIDDEN = "hidden"  # 404
    FORBIDDEN = "forbidden"  # 403
    LOGIN = "login"  # anonymous: redirect to the login page, or 401 from the API


ALLOW, HIDDEN, FORBIDDEN, LOGIN = Outcome.ALLOW, Outcome.HIDDEN, Outcome.FORBIDDEN, Outcome.LOGIN

# --- the dimensions ------------------------------------------------------------------------

# position -> (role, agency relative to the cases: "own" = Motala socialkontor, which owns
# every case; "other" = Norrköping socialtjänst or Region Östergötland).
POSITIONS: dict[str, tuple[str, str]] = {
    "officer": ("case_officer", "own"),  # assigned to every case, convenes the styrgrupper
    "colleague": ("case_officer", "own"),  # same unit, not assigned
    "lead": ("section_lead", "own"),  # lead of the owning unit, called to the styrgrupper
    "own_member": ("forum_member", "own"),
    "own_coordinator": ("coordinator", "own"),
    "own_auditor": ("auditor", "own"),
    "own_admin": ("admin", "own"),
    "other_officer": ("case_officer", "other"),
    "other_lead": ("section_lead", "other"),
    "other_member": ("forum_member", "other"),  # region; named as recipient by the consents
    "other_coordinator": ("coordinator", "other"),
    "other_auditor": ("auditor", "other"),
    "other_admin": ("admin", "other"),
    "anonymous": ("", ""),
}
CONSENT_STATES = ["none", "valid", "revoked", "expired"]
PROTECTED = [False, True]
VARIANTS = [(state, protected) for state in CONSENT_STATES for protected in PROTECTED]


@dataclass(frozen=True)
class Target:
    """The object a cell runs on: one of the eight case variants, or nothing (GLOBAL)."""

    state: str = ""
    protected: bool = False

    @property
    def label(self) -> str:
        if not self.state:
            return "-"
        return f"{self.state}-{'skyddad' if self.protected else 'vanlig'}"


GLOBAL_TARGETS = [Target()]
CASE_TARGETS = [Target(state, protected) for state, protected in VARIANTS]

# scopes
GLOBAL = "global"
CASE = "case"
MEETING = "meeting"
ACTION = "action"
CLOSED_MEETING = "closed_meeting"  # a closed styrgrupp of the case, with its minutes
# An id that names nothing, for routes whose objects the world does not build yet: the
# cell checks only that a signed-in person gets "not found" and the anonymous the login.
UNBUILT = "unbuilt"
REFERRAL = "referral"  # Barn och unga's referral of the valid-consent case to Norrköping
CONCERN = "concern"  # the region's concern report about a child, to Barn och unga
CONSENT = "consent"
ROOM_CASE = "room_case"
ROOM_MEETING = "room_meeting"
REVIEW = "review"
SEQ = "seq"
ROUTINE = "routine"
ADMIN = "admin"


def targets_for(scope: str) -> list[Target]:
    return (
        GLOBAL_TARGETS if scope in (GLOBAL, REVIEW, SEQ, ROUTINE, ADMIN, UNBUILT) else CASE_TARGETS
    )


# --- the independent expectation table -----------------------------------------------------

Rule = Callable[[str, Target], Outcome]

ADMIN_POSITIONS = {"own_admin", "other_admin"}
AUDITOR_POSITIONS = {"own_auditor", "other_auditor"}
COORDINATOR_POSITIONS = {"own_coordinator", "other_coordinator"}
# Who works with every case: the assigned officer and the owning unit's lead (DESIGN §4.4:
# within the owning unit; nothing crosses a boundary on the case page, whatever a consent
# says — consents open presentations and referrals, not the case itself).
OWNER_POSITIONS = {"officer", "lead"}
# Who takes part in each styrgrupp: its convener (officer) and the called lead.
PARTICIPANT_POSITIONS = {"officer", "lead"}


def _anon(position: str) -> bool:
    return position == "anonymous"


def among(positions: set[str], *, otherwise: Outcome = HIDDEN) -> Rule:
    def rule(position: str, target: Target) -> Outcome:
        if _anon(position):
            return LOGIN
        return ALLOW if position in positions else otherwise

    return rule


OWNERS = among(OWNER_POSITIONS)
PARTICIPANTS = among(PARTICIPANT_POSITIONS)
ADMINS = among(ADMIN_POSITIONS)
# The auditor's console is no secret, so a person without the role is refused (403); what
# it shows is scoped to the auditor's own agencies.
AUDITORS = among(AUDITOR_POSITIONS, otherwise=FORBIDDEN)
COORDINATORS = among(COORDINATOR_POSITIONS)
# Statistics: coordinators (any municipality's: the county's figures) and administrators;
# the training of a municipality is planned by its coordinators.
STATISTICIANS = among(COORDINATOR_POSITIONS | ADMIN_POSITIONS)
PLANNERS = among(COORDINATOR_POSITIONS | ADMIN_POSITIONS)
# A concern report is made by people who work with clients (not by coordinators,
# auditors or administrators as such).
REPORTERS = among(
    {"officer", "colleague", "lead", "own_member", "other_officer", "other_lead", "other_member"}
)
SIGNED_IN = among(set(POSITIONS) - {"anonymous"})
NOBODY = among(set())


def EVERYONE(position: str, target: Target) -> Outcome:
    return ALLOW


def HIDDEN_FOR_EVERYONE(position: str, target: Target) -> Outcome:
    return HIDDEN


def LOGIN_FOR_EVERYONE(position: str, target: Target) -> Outcome:
    return LOGIN


def erasers(position: str, target: Target) -> Outcome:
    """Erasure is the owning unit's lead's decision; the officer sees the case but may not."""
    if _anon(position):
        return LOGIN
    if position == "lead":
        return ALLOW
    if position == "officer":
        return FORBIDDEN
    return HIDDEN


def consent_owners(position: str, target: Target) -> Outcome:
    """Extending or revoking a consent: the case's people, when the case has a consent."""
    if _anon(position):
        return LOGIN
    if target.state == "none":
        return HIDDEN  # no consent: the id names nothing
    return OWNERS(position, target)


def message_author(position: str, target: Target) -> Outcome:
    """Editing or deleting the officer's message: only the officer; the other people of
    the room are refused; everyone else does not learn that the room exists."""
    if _anon(position):
        return LOGIN
    if position == "officer":
        return ALLOW
    if position in PARTICIPANT_POSITIONS | OWNER_POSITIONS:
        return FORBIDDEN
    return HIDDEN


def routine_keepers(position: str, target: Target) -> Outcome:
    """Motala's routine: its coordinators, and administrators."""
    if _anon(position):
        return LOGIN
    return ALLOW if position in {"own_coordinator", *ADMIN_POSITIONS} else HIDDEN


def review_owner(position: str, target: Target) -> Outcome:
    """An access review (or an entry) of Motala socialkontor: its auditors only; another
    agency's auditor does not learn it exists; people without the role are refused."""
    if _anon(position):
        return LOGIN
    if position == "own_auditor":
        return ALLOW
    return HIDDEN if position in AUDITOR_POSITIONS else FORBIDDEN


def call_answerers(position: str, target: Target) -> Outcome:
    """The call page is for the person called."""
    if _anon(position):
        return LOGIN
    return ALLOW if position == "lead" else HIDDEN


def referral_sides(position: str, target: Target) -> Outcome:
    """A referral: the sending case's people and the receiving unit's officer and lead."""
    if _anon(position):
        return LOGIN
    return ALLOW if position in {"officer", "lead", "other_officer", "other_lead"} else HIDDEN


def concern_sides(position: str, target: Target) -> Outcome:
    """A concern report: the receiving unit's officers and lead, and the reporter."""
    if _anon(position):
        return LOGIN
    return ALLOW if position in {"officer", "colleague", "lead", "other_member"} else HIDDEN


# --- request bodies ------------------------------------------------------------------------

Data = Callable[[Any, Target], dict[str, Any]]


def _in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def incident_api(world: Any, target: Target) -> dict[str, Any]:
    return {"kind": "threat", "occurred_at": timezone.now().isoformat(), "description": ""}


def incident_page(world: Any, target: Target) -> dict[str, Any]:
    return {"incident-kind": "threat", "incident-occurred_at": _now_local()}


def consent_api(world: Any, target: Target) -> dict[str, Any]:
    return {
        "agencies": [str(world.region.id)],
        "categories": ["situation"],
        "purpose_code": "coordination",
        "given_how": "written",
        "valid_to": _in_days(90),
    }


def consent_extend(world: Any, target: Target) -> dict[str, Any]:
    return {"valid_to": _in_days(200), "given_how": "written"}


def consent_revoke(world: Any, target: Target) -> dict[str, Any]:
    return {"reason": "Klienten vill inte längre"}


def review_start(world: Any, target: Target) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "period_start": (today - dt.timedelta(days=30)).isoformat(),
        "period_end": today.isoformat(),
        "sample_size": 5,
    }


@dataclass(frozen=True)
class Op:
    method: str  # GET, POST, or WS
    scope: str
    who: Rule
    data: Data | None = None
    query: dict[str, Callable[[Any], str] | str] = field(default_factory=dict)
    json: bool = False  # send the body as JSON (the REST API)


# --- every route -----------------------------------------------------------------------------

_CASE_PAGE_OPS = [Op("GET", CASE, OWNERS)]

ROUTES: dict[str, list[Op]] = {
    # Django's admin: for staff accounts only, none of the positions is one.
    "admin:*": [Op("GET", ADMIN, LOGIN_FOR_EVERYONE)],
    "api-schema": [Op("GET", GLOBAL, SIGNED_IN)],
    "set_language": [Op("POST", GLOBAL, EVERYONE, data=lambda w, t: {"language": "sv"})],
    # REST: cases
    "api:case-list": [Op("GET", GLOBAL, SIGNED_IN)],
    "api:case-detail": [Op("GET", CASE, OWNERS)],
    "api:incident-create": [Op("POST", CASE, OWNERS, data=incident_api, json=True)],
    "realtime-api:room-events": [
        Op("GET", ROOM_CASE, OWNERS),
        Op("GET", ROOM_MEETING, PARTICIPANTS),
    ],
    # REST: consents
    "consent:api-consents": [
        Op("GET", CASE, OWNERS),
        Op("POST", CASE, OWNERS, data=consent_api, json=True),
    ],
    "consent:api-consent-extend": [
        Op("POST", CONSENT, consent_owners, data=consent_extend, json=True)
    ],
    "consent:api-consent-revoke": [
        Op("POST", CONSENT, consent_owners, data=consent_revoke, json=True)
    ],
    # pages: consents and the redaction preview
    "consent:case-consents": _CASE_PAGE_OPS,
    "consent:consent-extend": [Op("POST", CONSENT, consent_owners, data=consent_extend)],
    "consent:consent-revoke": [Op("POST", CONSENT, consent_owners, data=consent_revoke)],
    "redaction:preview": _CASE_PAGE_OPS,
    # the auditor's console and API
    "audit:index": [Op("GET", GLOBAL, AUDITORS)],
    "audit:disclosures": [Op("GET", GLOBAL, AUDITORS)],
    "audit:accesses": [Op("GET", GLOBAL, AUDITORS)],
    "audit:register-extract": [Op("GET", GLOBAL, AUDITORS)],
    "audit:reviews": [Op("GET", GLOBAL, AUDITORS)],
    "audit:review": [Op("GET", REVIEW, review_owner)],
    "audit:entry-proof": [Op("GET", SEQ, review_owner)],
    "audit:latest-checkpoint": [Op("GET", GLOBAL, AUDITORS)],
    "audit:public-key": [Op("GET", GLOBAL, EVERYONE)],
    # The full export crosses every agency: nobody in the matrix audits them all
    # (tests/security/test_reauth.py shows the one who does).
    "audit:export": [Op("GET", GLOBAL, NOBODY)],
    "audit:api-disclosures": [Op("GET", GLOBAL, AUDITORS)],
    "audit:api-accesses": [Op("GET", GLOBAL, AUDITORS)],
    "audit:api-register-extract": [
        Op("POST", GLOBAL, AUDITORS, data=lambda w, t: {"personnummer": "19121212-1212"}, json=True)
    ],
    "audit:api-reviews": [Op("GET", GLOBAL, AUDITORS)],
    "audit:api-review-start": [Op("POST", GLOBAL, AUDITORS, data=review_start, json=True)],
    "audit:api-review": [Op("GET", REVIEW, review_owner)],
    "audit:api-review-item-mark": [
        Op("POST", REVIEW, review_owner, data=lambda w, t: {"verdict": "ok"}, json=True)
    ],
    "audit:api-review-finish": [Op("POST", REVIEW, review_owner, data=lambda w, t: {}, json=True)],
    "audit:api-checkpoint-latest": [Op("GET", GLOBAL, AUDITORS)],
    "audit:api-public-key": [Op("GET", GLOBAL, EVERYONE)],
    "audit:api-proof-inclusion": [Op("GET", SEQ, review_owner)],
    "audit:api-proof-consistency": [
        Op("GET", GLOBAL, AUDITORS, query={"first": lambda w: str(w.checkpoint_size)})
    ],
    # signing in
    "frontend:start": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:login": [Op("GET", GLOBAL, EVERYONE)],
    "frontend:login_code": [Op("GET", GLOBAL, LOGIN_FOR_EVERYONE)],  # no password step yet
    "frontend:otp_enrol": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:reauth": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:sso_start": [Op("GET", GLOBAL, HIDDEN_FOR_EVERYONE)],  # off by default
    "frontend:sso_callback": [Op("GET", GLOBAL, HIDDEN_FOR_EVERYONE)],
    # Signing out ends on the login page, whoever asks.
    "frontend:logout": [Op("POST", GLOBAL, LOGIN_FOR_EVERYONE)],
    "frontend:healthz": [Op("GET", GLOBAL, EVERYONE)],
    # the most sensitive operations
    "frontend:case_erase": [Op("GET", CASE, erasers)],
    "frontend:key_rotation": [Op("GET", GLOBAL, ADMINS)],
    # cases and the styrgrupp
    "frontend:case": _CASE_PAGE_OPS,
    "frontend:incident_register": [
        Op("GET", CASE, OWNERS),
        Op("POST", CASE, OWNERS, data=incident_page),
    ],
    "frontend:meeting_convene": [Op("GET", CASE, OWNERS)],
    "frontend:meeting": [Op("GET", MEETING, PARTICIPANTS)],
    "frontend:meeting_call": [Op("GET", MEETING, call_answerers)],
    "frontend:meeting_answers": [Op("GET", MEETING, PARTICIPANTS)],
    "frontend:meeting_state": [Op("GET", MEETING, PARTICIPANTS)],
    "frontend:meeting_open": [Op("POST", MEETING, PARTICIPANTS)],
    "frontend:meeting_close": [Op("POST", MEETING, PARTICIPANTS)],
    "frontend:meeting_action_record": [Op("POST", MEETING, PARTICIPANTS)],
    "frontend:meeting_minutes": [Op("GET", CLOSED_MEETING, PARTICIPANTS)],
    "frontend:action_complete": [Op("POST", ACTION, PARTICIPANTS)],
    "frontend:inbox": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:inbox_state": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:meeting_measurements": [Op("GET", GLOBAL, COORDINATORS)],
    "frontend:routine_edit": [Op("GET", ROUTINE, routine_keepers)],
    # statistics, the client's overview, the year's agenda and the personal calendar
    "frontend:statistics": [Op("GET", GLOBAL, STATISTICIANS)],
    "frontend:statistics_csv": [
        Op(
            "GET",
            GLOBAL,
            STATISTICIANS,
            query={"ar": lambda w: str(timezone.localdate().year), "tabell": "handelser"},
        )
    ],
    "frontend:case_overview": [Op("GET", CASE, OWNERS)],
    "frontend:case_facts": [Op("GET", CASE, OWNERS)],
    "frontend:agenda": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:training_create": [Op("POST", GLOBAL, PLANNERS)],
    "frontend:training_delete": [Op("POST", UNBUILT, NOBODY)],
    "frontend:meeting_move": [Op("GET", MEETING, PARTICIPANTS)],
    "frontend:calendar_renew": [Op("POST", GLOBAL, SIGNED_IN)],
    "frontend:calendar_revoke": [Op("POST", GLOBAL, SIGNED_IN)],
    # A feed is read by calendar programs with its secret link, never with a login.
    "frontend:calendar_feed": [Op("GET", UNBUILT, HIDDEN_FOR_EVERYONE)],
    # the konsultativ grupp, referrals and concern reports
    "frontend:consultation_forums": [Op("GET", GLOBAL, SIGNED_IN)],
    "frontend:consultation_forum": [Op("GET", UNBUILT, NOBODY)],
    "frontend:slot_book": [Op("GET", UNBUILT, NOBODY)],
    "frontend:consultation_meeting": [Op("GET", UNBUILT, NOBODY)],
    "frontend:support_record": [Op("POST", UNBUILT, NOBODY)],
    "frontend:feedback": [Op("GET", UNBUILT, NOBODY)],
    "frontend:referral_new": [Op("GET", CASE, OWNERS)],
    "frontend:referral": [Op("GET", REFERRAL, referral_sides)],
    "frontend:referral_answer": [Op("POST", UNBUILT, NOBODY)],
    "frontend:referral_close": [Op("POST", UNBUILT, NOBODY)],
    "frontend:concern_new": [Op("GET", GLOBAL, REPORTERS)],
    "frontend:concern": [Op("GET", CONCERN, concern_sides)],
    "frontend:concern_acknowledge": [Op("POST", UNBUILT, NOBODY)],
    "frontend:concern_open_case": [Op("POST", UNBUILT, NOBODY)],
    "frontend:concern_outcome": [Op("POST", UNBUILT, NOBODY)],
}

# Entries allowed to wait for their route (none now: keep this empty unless a route is
# known to be routed later by its authors).
ROUTED_LATER: set[str] = set()

# --- WebSocket actions (protocol v1) ----------------------------------------------------------

WS_ACTIONS: dict[str, tuple[str, Rule]] = {
    # action -> (scope, rule)
    "subscribe-inbox": (GLOBAL, SIGNED_IN),
    "subscribe-case": (ROOM_CASE, OWNERS),
    "send-case": (ROOM_CASE, OWNERS),
    "edit-case": (ROOM_CASE, message_author),
    "delete-case": (ROOM_CASE, message_author),
    "subscribe-meeting": (ROOM_MEETING, PARTICIPANTS),
    "send-meeting": (ROOM_MEETING, PARTICIPANTS),
    "edit-meeting": (ROOM_MEETING, message_author),
    "delete-meeting": (ROOM_MEETING, message_author),
}


def http_cells() -> list[tuple[str, int, str, Target]]:
    """(route, op index, position, target) for every HTTP cell."""
    cells = []
    for route, ops in ROUTES.items():
        for index, op in enumerate(ops):
            for position in POSITIONS:
                for target in targets_for(op.scope):
                    cells.append((route, index, position, target))
    return cells


def ws_cells() -> list[tuple[str, str, Target]]:
    cells = []
    for action, (scope, _rule) in WS_ACTIONS.items():
        for position in POSITIONS:
            for target in targets_for(scope):
                cells.append((action, position, target))
    return cells


def random_id() -> str:
    return str(uuid.uuid4())

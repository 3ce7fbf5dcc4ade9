"""The access-control matrix, run: every REST operation, page and WebSocket action ×
every position (role × own or other agency) × consent state × protected flag.

The expected outcome of each cell comes from tests/security/matrix.py, written from the
rules — not from the policy — so the two can disagree. One world is built and committed
for the whole module (the WebSocket consumer reads it from its own database thread);
each HTTP test runs in a transaction that is rolled back, so writes change nothing. At
the end the database is emptied, as after a transactional test.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services.reviews import access_review_start
from audit.services.trail import checkpoint_create
from consent.models import Consent
from coordination import services
from coordination.models import (
    Action,
    AgencyKind,
    Case,
    Forum,
    ForumKind,
    Invitation,
    Meeting,
    MeetingStatus,
    Role,
    Routine,
)
from realtime import services as realtime_services
from tests.realtime.conftest import Peer
from tests.security import matrix
from tests.security.matrix import (
    ALLOW,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    POSITIONS,
    ROUTES,
    WS_ACTIONS,
    Op,
    Outcome,
    Target,
)

pytestmark = pytest.mark.django_db

IDENTITY = {"name": "Tolvan Tolvansson", "personnummer": "19121212-1212"}


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    people: dict[str, Any] = field(default_factory=dict)
    cases: dict[Target, Case] = field(default_factory=dict)
    meetings: dict[Target, Meeting] = field(default_factory=dict)
    closed_meetings: dict[Target, Meeting] = field(default_factory=dict)
    actions: dict[Target, Action] = field(default_factory=dict)
    consents: dict[Target, Consent] = field(default_factory=dict)
    messages: dict[tuple[str, Target], str] = field(default_factory=dict)
    review_id: str = ""
    review_position: int = 0
    checkpoint_size: int = 0
    referral_id: str = ""
    concern_id: str = ""
    seq: int = 0
    routine: Routine | None = None
    region: Any = None
    sessions: dict[str, str] = field(default_factory=dict)


def build_world() -> World:
    world = World()
    motala = services.municipality_upsert(
        actor=None, code="0583", name="Motala", county_part="västra"
    )
    norrkoping = services.municipality_upsert(
        actor=None, code="0581", name="Norrköping", county_part="östra"
    )
    own = services.agency_create(
        actor=None, name="Motala socialkontor", kind=AgencyKind.SOCIAL_SERVICES, municipality=motala
    )
    other = services.agency_create(
        actor=None,
        name="Norrköping socialtjänst",
        kind=AgencyKind.SOCIAL_SERVICES,
        municipality=norrkoping,
    )
    world.region = services.agency_create(
        actor=None, name="Region Östergötland", kind=AgencyKind.HEALTH, municipality=None
    )
    units = {
        "bou": services.unit_create(actor=None, agency=own, name="Barn och unga"),
        "vuxen": services.unit_create(actor=None, agency=own, name="Vuxen"),
        "ledning": services.unit_create(actor=None, agency=own, name="Ledning"),
        "norr": services.unit_create(actor=None, agency=other, name="Barn och familj"),
        "norr_ledning": services.unit_create(actor=None, agency=other, name="Ledning"),
        "region": services.unit_create(actor=None, agency=world.region, name="Primärvård"),
    }
    placement = {
        "officer": ("bou", Role.CASE_OFFICER),
        "colleague": ("bou", Role.CASE_OFFICER),
        "lead": ("bou", Role.SECTION_LEAD),
        "own_member": ("vuxen", Role.FORUM_MEMBER),
        "own_coordinator": ("ledning", Role.COORDINATOR),
        "own_auditor": ("ledning", Role.AUDITOR),
        "own_admin": ("ledning", Role.ADMIN),
        "other_officer": ("norr", Role.CASE_OFFICER),
        "other_lead": ("norr", Role.SECTION_LEAD),
        "other_member": ("region", Role.FORUM_MEMBER),
        "other_coordinator": ("norr_ledning", Role.COORDINATOR),
        "other_auditor": ("norr_ledning", Role.AUDITOR),
        "other_admin": ("norr_ledning", Role.ADMIN),
    }
    for username, (unit, role) in placement.items():
        user = services.user_create(
            actor=None,
            username=username,
            first_name=username.title(),
            last_name="Testsson",
            email=f"{username}@example.se",
            password="ett-langt-testlosenord",
        )
        services.membership_grant(actor=None, user=user, unit=units[unit], role=role)
        world.people[username] = user
    people = world.people
    services.unit_set_leads(actor=None, unit=units["bou"], lead=people["lead"])
    services.unit_set_leads(actor=None, unit=units["norr"], lead=people["other_lead"])

    steering = Forum.objects.create(
        name="Styrgrupp", kind=ForumKind.STEERING_GROUP, municipality=motala, internal=True
    )
    steering.member_units.set([units["bou"], units["vuxen"]])
    world.routine = services.routine_create(
        actor=None, municipality=motala, forum=steering, name="Hot och våld", text="Rutinen."
    )
    today = timezone.localdate()
    for target in matrix.CASE_TARGETS:
        case = services.case_create(
            actor=people["officer"], unit=units["bou"], protected_identity=target.protected
        )
        services.case_identity_register(actor=people["officer"], case=case, data=IDENTITY)
        world.cases[target] = case
        if target.state != "none":
            consent = Consent.objects.create(
                case=case,
                categories=["identity", "situation"],
                purpose_code="coordination",
                given_how="written",
                valid_from=today - dt.timedelta(days=200) if target.state == "expired" else today,
                valid_to=today - dt.timedelta(days=1)
                if target.state == "expired"
                else today + dt.timedelta(days=180),
                recorded_by=people["officer"],
                revoked_at=timezone.now() if target.state == "revoked" else None,
                revoked_by=people["officer"] if target.state == "revoked" else None,
            )
            consent.recipient_agencies.set([world.region, other])
            world.consents[target] = consent
        meeting = Meeting.objects.create(
            forum=steering,
            starts_at=timezone.now(),
            ad_hoc=True,
            status=MeetingStatus.OPEN,
            convened_by=people["officer"],
            case=case,
        )
        Invitation.objects.create(meeting=meeting, person=people["lead"], unit=units["bou"])
        world.meetings[target] = meeting
        world.actions[target] = services.action_record(
            actor=people["officer"],
            meeting=meeting,
            owner_unit=units["bou"],
            text="Utredning inleds",
            due_date=today + dt.timedelta(days=7),
        )
        closed = Meeting.objects.create(
            forum=steering,
            starts_at=timezone.now() - dt.timedelta(hours=2),
            ad_hoc=True,
            status=MeetingStatus.OPEN,
            convened_by=people["officer"],
            case=case,
        )
        Invitation.objects.create(meeting=closed, person=people["lead"], unit=units["bou"])
        services.meeting_close(actor=people["officer"], meeting=closed)
        world.closed_meetings[target] = closed
        for kind, room in (("case", f"case:{case.id}"), ("meeting", f"meeting:{meeting.id}")):
            receipt = realtime_services.message_send(
                actor=people["officer"], room=room, client_id=uuid.uuid4(), body="Hej"
            )
            world.messages[(kind, target)] = receipt.message_id
    # A referral of the valid-consent case to Norrköping, and a concern report from the
    # region to Barn och unga.
    from coordination.models_consultation import ConcernIntake
    from coordination.services import consultation

    referral = consultation.referral_send(
        actor=people["officer"],
        case=world.cases[Target("valid", False)],
        to_unit=units["norr"],
        basis="consent",
        categories=["situation"],
        text="Stöd i föräldraskapet",
        assessment="Klienten har samtyckt; inget men.",
    )
    world.referral_id = str(referral.id)
    ConcernIntake.objects.create(municipality=motala, unit=units["bou"])
    report = consultation.concern_report_submit(
        actor=people["other_member"],
        reporter_unit=units["region"],
        municipality=motala,
        child_name="Elva Tolvansson",
        text="Barnet berättar om bråk hemma.",
    )
    world.concern_id = str(report.id)
    # Accesses to review: the owners read the cases.
    from coordination import selectors

    for case in world.cases.values():
        selectors.case_detail(user=people["officer"], case_id=case.id)
    review = access_review_start(
        actor=people["own_auditor"],
        period_start=today - dt.timedelta(days=1),
        period_end=today,
        sample_size=5,
    )
    world.review_id = str(review.id)
    first = review.items.order_by("position").first()
    assert first is not None, "the review must have an item to mark"
    world.review_position = first.position
    checkpoint = checkpoint_create()  # the console's checkpoint and proofs need one
    assert checkpoint is not None
    world.checkpoint_size = checkpoint.tree_size
    about_own = AuditEvent.objects.filter(case_id__isnull=False).order_by("seq").first()
    assert about_own is not None
    world.seq = about_own.seq
    # One committed session per person, reused by every cell.
    for position, user in people.items():
        client = Client()
        client.force_login(user)
        world.sessions[position] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        try:
            yield build_world()
        finally:
            # As after a transactional test (the suite's harness seeds the catalogue again).
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                inhibit_post_migrate=True,
                allow_cascade=True,
            )


# --- running a cell ------------------------------------------------------------------------


def client_for(world: World, position: str) -> Client:
    client = Client()
    if position != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[position]
    return client


def kwargs_for(route: str, op: Op, world: World, target: Target) -> tuple[dict[str, Any], str]:
    """The URL arguments of ``route`` for ``target``, and a query string."""
    scope = op.scope
    if scope == matrix.CASE:
        return {"case_id": world.cases[target].id}, ""
    if scope == matrix.CONSENT:
        consent = world.consents.get(target)
        consent_id = consent.id if consent is not None else uuid.uuid4()
        return {"case_id": world.cases[target].id, "consent_id": consent_id}, ""
    if scope == matrix.MEETING:
        return {"meeting_id": world.meetings[target].id}, ""
    if scope == matrix.CLOSED_MEETING:
        return {"meeting_id": world.closed_meetings[target].id}, ""
    if scope == matrix.ACTION:
        return {"action_id": world.actions[target].id}, ""
    if scope == matrix.ROOM_CASE:
        return {"room": f"case:{world.cases[target].id}"}, ""
    if scope == matrix.ROOM_MEETING:
        return {"room": f"meeting:{world.meetings[target].id}"}, ""
    if scope == matrix.REVIEW:
        kwargs: dict[str, Any] = {"review_id": world.review_id}
        if route == "audit:api-review-item-mark":
            kwargs["position"] = world.review_position
        return kwargs, ""
    if scope == matrix.SEQ:
        return {"seq": world.seq}, ""
    if scope == matrix.REFERRAL:
        return {"referral_id": world.referral_id}, ""
    if scope == matrix.CONCERN:
        return {"report_id": world.concern_id}, ""
    if scope == matrix.UNBUILT:
        return _unbuilt_kwargs(route), ""
    if scope == matrix.ROUTINE:
        assert world.routine is not None
        return {"routine_id": world.routine.id}, ""
    return {}, ""


def _unbuilt_kwargs(route: str) -> dict[str, Any]:
    """A made-up id for every argument of the route (none of them names anything)."""
    from django.urls import get_resolver as resolver

    namespace, _sep, name = route.rpartition(":")
    urlconf = resolver()
    if namespace:
        urlconf = urlconf.namespace_dict[namespace][1]
    possibilities = urlconf.reverse_dict.getlist(name)
    params = possibilities[0][0][0][1] if possibilities else []
    return {param: ("x" * 32 if param == "token" else uuid.uuid4()) for param in params}


def url_of(route: str, op: Op, world: World, target: Target) -> str:
    if route == "admin:*":
        return reverse("admin:index")
    kwargs, _query = kwargs_for(route, op, world, target)
    url = reverse(route, kwargs=kwargs)
    if op.query:
        url += "?" + "&".join(f"{k}={v(world) if callable(v) else v}" for k, v in op.query.items())
    return url


def classify(response: Any) -> Outcome | str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (status == 302 and "login/" in location):
        return LOGIN
    if status == 404:
        return HIDDEN
    if status == 403:
        return FORBIDDEN
    if status in (405, 500):
        return f"status {status}"
    return ALLOW


def run_http(world: World, route: str, op: Op, position: str, target: Target) -> Any:
    client = client_for(world, position)
    url = url_of(route, op, world, target)
    if op.method == "GET":
        return client.get(url)
    data = op.data(world, target) if op.data else {}
    if op.json:
        return client.post(url, data=json.dumps(data), content_type="application/json")
    return client.post(url, data)


def _route_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            if inner == "admin":
                yield "admin:*"
                continue
            yield from _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            yield f"{namespace}:{name}" if namespace else name


def resolved_routes() -> set[str]:
    return set(_route_names(get_resolver().url_patterns))


def _routed(route: str) -> bool:
    return route not in matrix.ROUTED_LATER or route in resolved_routes()


OPS = [
    (route, index) for route, ops in ROUTES.items() if _routed(route) for index in range(len(ops))
]


@pytest.mark.parametrize(
    ("route", "index", "position"),
    [(route, index, position) for route, index in OPS for position in POSITIONS],
    ids=[f"{route}[{index}]-{position}" for route, index in OPS for position in POSITIONS],
)
def test_http_cell(world: World, route: str, index: int, position: str) -> None:
    op = ROUTES[route][index]
    wrong = []
    for target in matrix.targets_for(op.scope):
        want = op.who(position, target)
        response = run_http(world, route, op, position, target)
        got = classify(response)
        if got != want:
            body = getattr(response, "content", b"")[:160]
            wrong.append(
                f"{op.method} {target.label}: want {want}, got {got} "
                f"({response.status_code} {response.get('Location', '')} {body!r})"
            )
    assert not wrong, f"{route} as {position}:\n" + "\n".join(wrong)


# --- WebSocket cells ---------------------------------------------------------------------


def _frame(world: World, action: str, target: Target) -> dict[str, Any]:
    verb, _sep, kind = action.partition("-")
    if kind == "inbox":
        return {"type": "subscribe", "room": "inbox", "since": 0}
    obj = world.cases[target] if kind == "case" else world.meetings[target]
    room = f"{kind}:{obj.id}"
    if verb == "subscribe":
        return {"type": "subscribe", "room": room, "since": 0}
    frame: dict[str, Any] = {"type": verb, "room": room, "client_id": str(uuid.uuid4())}
    if verb == "send":
        frame["body"] = "Matrisen skriver"
    if verb in ("edit", "delete"):
        frame["message_id"] = world.messages[(kind, target)]
    if verb == "edit":
        frame["body"] = "Matrisen ändrar"
    return frame


def _ws_outcome(reply: dict[str, Any]) -> Outcome | str:
    if reply["type"] in ("subscribed", "ack"):
        return ALLOW
    if reply["type"] == "error" and reply["code"] == "not_found":
        return HIDDEN
    if reply["type"] == "error" and reply["code"] in ("not_your_message", "forbidden"):
        return FORBIDDEN
    return f"{reply['type']} {reply.get('code', '')}"


async def _reply(peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    await peer.send(frame)
    while True:
        reply = await peer.next(timeout=5.0)
        if reply["type"] in ("subscribed", "ack", "error"):
            if frame["type"] == "subscribe" and reply["type"] == "subscribed":
                return reply
            if reply.get("client_id", reply.get("ref")) in (
                frame.get("client_id"),
                frame.get("room"),
            ):
                return reply
            if reply["type"] == "subscribed":
                continue
            return reply


# Order within a connection: the author edits before deleting; the rest never depend on it.
_WS_ORDER = sorted(WS_ACTIONS, key=lambda a: ("delete" in a, a))


@pytest.mark.parametrize("position", list(POSITIONS))
async def test_websocket_cells(world: World, position: str, settings: Any) -> None:
    # The consumer's rate limits would refuse a burst of this size on one connection.
    settings.SAMVERKA = {
        **settings.SAMVERKA,
        "REALTIME_FRAME_BURST": 10_000,
        "REALTIME_SEND_BURST": 10_000,
    }
    if position == "anonymous":
        peer, connected, _code = await Peer.open(None)
        assert connected is False
        for action, (_scope, rule) in WS_ACTIONS.items():
            for target in matrix.targets_for(WS_ACTIONS[action][0]):
                assert rule(position, target) is LOGIN
        return

    def session() -> str:
        client = client_for(world, position)
        return client.cookies["sessionid"].value

    key = await database_sync_to_async(session)()
    peer, connected, code = await Peer.open(key)
    assert connected, code
    wrong = []
    try:
        for action in _WS_ORDER:
            scope, rule = WS_ACTIONS[action]
            for target in matrix.targets_for(scope):
                frame = _frame(world, action, target)
                reply = await _reply(peer, frame)
                got = _ws_outcome(reply)
                want = rule(position, target)
                if got != want:
                    wrong.append(f"{action} {target.label}: want {want}, got {got}")
                if reply["type"] == "subscribed":
                    await peer.send({"type": "unsubscribe", "room": frame["room"]})
                    await peer.expect("unsubscribed", room=frame["room"])
        await peer.ping()  # the connection is still usable after every refusal
    finally:
        await peer.close()
    assert not wrong, f"WebSocket as {position}:\n" + "\n".join(wrong)


# --- the matrix covers every route ---------------------------------------------------------


def test_every_route_has_a_place_in_the_matrix() -> None:
    missing = sorted(resolved_routes() - set(ROUTES))
    stale = sorted(set(ROUTES) - resolved_routes() - matrix.ROUTED_LATER)

    assert not missing, (
        "Routes without a place in the access-control matrix; add each to ROUTES in "
        f"tests/security/matrix.py (see HOW TO ADD AN ENTRY there): {missing}"
    )
    assert not stale, f"Matrix entries for routes that no longer exist: {stale}"


def test_the_matrix_has_at_least_1500_cells() -> None:
    http = sum(
        len(matrix.targets_for(ROUTES[route][index].scope)) * len(POSITIONS) for route, index in OPS
    )
    ws = len(matrix.ws_cells())
    print(f"\naccess-control matrix: {http} HTTP cells, {ws} WebSocket cells")

    assert http + ws >= 1500, (http, ws)
    # Every dimension is there: each role on both sides, every consent state, both flags.
    roles = {(role, side) for role, side in POSITIONS.values() if role}
    assert len(roles) == 12
    assert {t.state for t in matrix.CASE_TARGETS} == set(matrix.CONSENT_STATES)
    assert {t.protected for t in matrix.CASE_TARGETS} == {False, True}


# --- every page: the CSP header, and nothing inline for it to refuse ------------------------

_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
_INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)


def _page_visits(world: World) -> list[tuple[str, str, Target]]:
    """Each GET route once, as the first position the table lets in."""
    visits = []
    for route, ops in ROUTES.items():
        if not _routed(route):
            continue
        for op in ops:
            if op.method != "GET":
                continue
            found = next(
                (
                    (position, target)
                    for target in matrix.targets_for(op.scope)
                    for position in ["anonymous", *POSITIONS]  # signed-in people skip /login/
                    if op.who(position, target) is ALLOW
                ),
                None,
            )
            if found is not None:
                visits.append((route, found[0], found[1]))
            break
    return visits


def test_every_page_carries_the_csp_and_has_no_inline_script_or_style(world: World) -> None:
    checked = []
    for route, position, target in _page_visits(world):
        op = next(op for op in ROUTES[route] if op.method == "GET")
        response = run_http(world, route, op, position, target)
        assert response.status_code == 200, (route, position, response.status_code)
        csp = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, (route, csp)
        assert "frame-ancestors 'none'" in csp, route
        if "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        assert not _INLINE_SCRIPT.search(html), (route, _INLINE_SCRIPT.search(html))
        assert not _INLINE_STYLE.search(html), (route, _INLINE_STYLE.search(html))
        assert not _INLINE_HANDLER.search(html), (route, _INLINE_HANDLER.search(html))
        checked.append(route)

    assert len(checked) >= 20, checked

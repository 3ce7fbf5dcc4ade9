"""GET /api/v1/rooms/<room>/events/: a room's history, page by page, as the person may see it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from coordination.models import Case
from realtime import services
from tests.fixtures import Org, make_case
from tests.realtime.conftest import make_meeting


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(room: str, **query: object) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/rooms/{room}/events/" + (f"?{params}" if params else "")


def _fill(org: Org, case: Case, count: int) -> None:
    for i in range(count):
        services.message_send(
            actor=org.user("officer"),
            room=f"case:{case.id}",
            client_id=uuid.uuid4(),
            body=f"nr {i}",
        )


def test_history_pages_through_a_room_in_order(org: Org, case: Case) -> None:
    _fill(org, case, 7)
    client = _client(org.user("lead"))
    room = f"case:{case.id}"
    seen, since, pages = [], 0, 0
    while True:
        response = client.get(_url(room, since=since, limit=3))
        assert response.status_code == 200
        body = response.json()
        assert body["room"] == room and body["latest_seq"] == 8
        seen += [e["seq"] for e in body["events"]]
        since = body["next_since"]
        pages += 1
        if not body["has_more"]:
            break
    assert seen == list(range(1, 9))
    assert pages == 3
    last = client.get(_url(room, since=5, limit=100)).json()
    assert [e["event"]["body"] for e in last["events"]] == ["nr 4", "nr 5", "nr 6"]
    entry = AuditEvent.objects.filter(action="room.history_read").last()
    assert entry is not None and entry.case_ref == case.reference and entry.actor == "lead"
    assert entry.detail["room"] == room


def test_an_unknown_and_a_forbidden_room_give_the_same_404(org: Org, case: Case) -> None:
    client = _client(org.user("vuxen_officer"))
    forbidden = client.get(_url(f"case:{case.id}"))
    unknown = client.get(_url(f"case:{uuid.uuid4()}"))
    nonsense = client.get(_url("lobby"))
    assert forbidden.status_code == unknown.status_code == nonsense.status_code == 404
    assert (
        forbidden.json()
        == unknown.json()
        == nonsense.json()
        == {
            "code": "not_found",
            "message": "Finns inte, eller så saknar du behörighet.",
        }
    )


def test_history_shows_each_person_the_view_the_policy_gives_them(org: Org) -> None:
    case = make_case(org, protected=True)
    meeting = make_meeting(org, case=case, invited=["vuxen_lead", "teacher"])
    room = f"meeting:{meeting.id}"
    services.message_send(
        actor=org.user("officer"),
        room=room,
        client_id=uuid.uuid4(),
        body="Adressen är Storgatan 12",
    )
    bodies = {}
    for name in ["officer", "vuxen_lead", "teacher"]:
        events = _client(org.user(name)).get(_url(room)).json()["events"]
        bodies[name] = events[0]["event"]
    assert bodies["officer"]["body"] == "Adressen är Storgatan 12"
    assert bodies["vuxen_lead"]["body"] is None
    assert bodies["teacher"] == {"kind": "withheld"}


def test_the_inbox_is_ones_own(org: Org) -> None:
    from realtime.publish import publish_on_commit
    from realtime.rooms import inbox_room
    from tests.realtime.sample_events import Noted

    publish_on_commit(inbox_room(org.user("lead").pk), Noted(note="Kallad till styrgrupp"))
    mine = _client(org.user("lead")).get(_url("inbox")).json()
    theirs = _client(org.user("deputy")).get(_url("inbox")).json()
    assert [e["event"]["note"] for e in mine["events"]] == ["Kallad till styrgrupp"]
    assert theirs["events"] == [] and theirs["room"] == "inbox"


@pytest.mark.parametrize("query", [{"since": -1}, {"since": "x"}, {"limit": 0}, {"limit": 501}])
def test_bad_paging_is_refused(org: Org, case: Case, query: dict[str, object]) -> None:
    response = _client(org.user("officer")).get(_url(f"case:{case.id}", **query))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_signing_in_is_required(org: Org, case: Case) -> None:
    response = Client().get(_url(f"case:{case.id}"))
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"

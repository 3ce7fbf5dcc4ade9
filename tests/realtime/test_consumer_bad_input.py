"""Bad frames get a specific error, store nothing, and leave the connection usable."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from coordination.models import Case
from realtime.models import Message, RoomEvent
from tests.fixtures import Org


def _counts() -> tuple[int, int]:
    return Message.objects.count(), RoomEvent.objects.count()


@pytest.fixture
def room(thread_case: Case) -> str:
    return f"case:{thread_case.id}"


CLIENT_ID = "6f1c3c1e-4b7a-4d5e-9a55-0d8f3f1a2b3c"

CASES = [
    # (frame, code, ref)
    ("{not json", "malformed_json", None),
    ("[1, 2, 3]", "malformed_json", None),
    ('"subscribe"', "malformed_json", None),
    ({"room": "ROOM"}, "missing_field", "ROOM"),
    ({"type": 7}, "wrong_type", None),
    ({"type": "shout", "room": "ROOM"}, "unknown_type", "ROOM"),
    ({"type": "subscribe"}, "missing_field", None),
    ({"type": "subscribe", "room": "ROOM", "since": "3"}, "wrong_type", "ROOM"),
    ({"type": "subscribe", "room": "ROOM", "since": True}, "wrong_type", "ROOM"),
    ({"type": "subscribe", "room": "ROOM", "since": 1.5}, "wrong_type", "ROOM"),
    ({"type": "subscribe", "room": "ROOM", "since": -1}, "invalid_value", "ROOM"),
    ({"type": "subscribe", "room": ["ROOM"], "since": 0}, "wrong_type", None),
    ({"type": "send", "room": "ROOM", "body": "hej"}, "missing_field", "ROOM"),
    ({"type": "send", "room": "ROOM", "client_id": CLIENT_ID}, "missing_field", CLIENT_ID),
    ({"type": "send", "room": "ROOM", "client_id": 12, "body": "hej"}, "wrong_type", "ROOM"),
    ({"type": "send", "room": "ROOM", "client_id": "abc", "body": "hej"}, "invalid_value", "abc"),
    (
        {"type": "send", "room": "ROOM", "client_id": CLIENT_ID, "body": None},
        "wrong_type",
        CLIENT_ID,
    ),
    (
        {"type": "send", "room": "ROOM", "client_id": CLIENT_ID, "body": "   "},
        "empty_message",
        CLIENT_ID,
    ),
    (
        {"type": "send", "room": "ROOM", "client_id": CLIENT_ID, "body": "x" * 4001},
        "message_too_large",
        CLIENT_ID,
    ),
    (
        {"type": "send", "room": "inbox", "client_id": CLIENT_ID, "body": "hej"},
        "read_only_room",
        CLIENT_ID,
    ),
    (
        {"type": "send", "room": f"case:{uuid.UUID(int=1)}", "client_id": CLIENT_ID, "body": "hej"},
        "not_found",
        CLIENT_ID,
    ),
    ({"type": "unsubscribe", "room": "ROOM"}, "not_subscribed", "ROOM"),
    (
        {
            "type": "edit",
            "room": "ROOM",
            "client_id": CLIENT_ID,
            "message_id": str(uuid.UUID(int=2)),
            "body": "x",
        },
        "not_found",
        CLIENT_ID,
    ),
    (
        {"type": "send", "room": "ROOM", "client_id": CLIENT_ID, "body": "y" * 17000},
        "frame_too_large",
        None,
    ),
]


async def test_each_bad_frame_gets_its_error_and_changes_nothing(
    people: Org, room: str, peers: Any
) -> None:
    peer = await peers(people.user("officer"))
    before = await database_sync_to_async(_counts)()
    for frame, code, ref in CASES:
        text = frame if isinstance(frame, str) else json.dumps(frame).replace("ROOM", room)
        await peer.send(text)

        error = await peer.expect("error")
        assert (error["code"], error["ref"]) == (code, room if ref == "ROOM" else ref), frame
        assert isinstance(error["message"], str) and error["message"]
        # Still usable: a good frame right after works.
        await peer.ping()
    assert await database_sync_to_async(_counts)() == before
    _events, subscribed = await peer.subscribe(room)
    assert subscribed["seq"] == 1


async def test_a_binary_frame_is_refused(people: Org, room: str, peers: Any) -> None:
    peer = await peers(people.user("officer"))
    await peer.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await peer.expect("error"))["code"] == "binary_frame"
    await peer.ping()


async def test_sending_too_fast_is_limited_per_connection(
    people: Org, room: str, peers: Any, settings: Any
) -> None:
    settings.SAMVERKA = {
        **settings.SAMVERKA,
        "REALTIME_SEND_BURST": 10,
        "REALTIME_SENDS_PER_SECOND": 0.01,
    }
    peer = await peers(people.user("officer"))
    ids = [str(uuid.uuid4()) for _ in range(14)]
    for client_id in ids:
        await peer.send({"type": "send", "room": room, "client_id": client_id, "body": "snabbt"})
    answers: dict[str, int] = {}
    while len(answers) < 10:
        frame = await peer.expect("ack")
        answers[frame["client_id"]] = frame["seq"]
    limited: list[dict[str, Any]] = []
    while len(limited) < 4:
        limited.append(await peer.expect("error", code="rate_limited"))
    assert {f["ref"] for f in limited} | set(answers) == set(ids)
    assert await database_sync_to_async(Message.objects.count)() == 10
    assert not [f for f in await peer.drain(0.3) if f["type"] == "ack"]
    # Another connection of the same person has its own allowance.
    await peer.ping()
    other = await peers(people.user("officer"))
    await other.send({"type": "send", "room": room, "client_id": str(uuid.uuid4()), "body": "nu"})
    assert (await other.expect("ack"))["duplicate"] is False

"""WebSocket fuzzing: thousands of malformed, oversized, wrongly typed and out-of-order
frames from a seeded generator, through the real ASGI application.

Each frame must get an error frame with a code of protocol v1 (docs/protocol.md) or a
clean close; no frame may be answered ``internal_error``; every reply must be valid
UTF-8 text (what a real server has to send); the connection keeps serving; nothing is
stored; and a last, valid ping still gets its pong.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from asgi import application
from audit.models import AuditEvent
from coordination.models import Case
from realtime.models import Message, MessageVersion, RoomEvent
from tests.fixtures import Org
from tests.realtime.conftest import login, people, thread_case

__all__ = ["people", "thread_case"]

SEED = 20261126
FRAMES = 5200
KNOWN_CODES = {
    "binary_frame",
    "frame_too_large",
    "malformed_json",
    "missing_field",
    "wrong_type",
    "unknown_type",
    "invalid_value",
    "not_subscribed",
    "rate_limited",
    "not_found",
    "forbidden",
    "invalid",
    "conflict",
    "case_erased",
    "empty_message",
    "message_too_large",
    "identifying_text",
    "read_only_room",
    "not_your_message",
    "message_deleted",
    "meeting_closed",
}
TYPES = ["subscribe", "unsubscribe", "send", "edit", "delete", "ping"]
FIELDS = ["type", "room", "since", "client_id", "message_id", "body"]


class Fuzzer:
    """Frames a client could send, none of which may change anything."""

    def __init__(self, rng: random.Random, hidden_case: str, own_case: str) -> None:
        self.rng = rng
        self.hidden_room = f"case:{hidden_case}"
        self.own_room = f"case:{own_case}"

    def junk_value(self, depth: int = 0) -> Any:
        r = self.rng
        choices: list[Callable[[], Any]] = [
            lambda: None,
            lambda: r.choice([True, False]),
            lambda: r.randint(-(2**70), 2**70),
            lambda: r.random() * 10 ** r.randint(-5, 30),
            lambda: self.junk_text(r.randint(0, 40)),
            lambda: "\ud800" + self.junk_text(3),  # a lone surrogate
            lambda: "x" * r.randint(90, 200),
        ]
        if depth < 2:
            choices += [
                lambda: [self.junk_value(depth + 1) for _ in range(r.randint(0, 4))],
                lambda: {self.junk_text(5): self.junk_value(depth + 1) for _ in range(3)},
            ]
        return r.choice(choices)()

    def junk_text(self, length: int) -> str:
        alphabet = string.printable + "åäöÅÄÖ€\u0000\u202e\ufeff😀"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def room(self) -> Any:
        r = self.rng
        return r.choice(
            [
                self.hidden_room,
                self.own_room.upper(),
                "{" + self.own_room + "}",
                f"meeting:{uuid.uuid4()}",
                f"case:{uuid.uuid4()}",
                "case:",
                "case:not-a-uuid",
                "inbox:1",
                "INBOX",
                "room:" + self.junk_text(10),
                self.junk_text(r.randint(0, 120)),
                self.junk_value(),
            ]
        )

    # -- the kinds of bad frame ------------------------------------------------------------

    def malformed_json(self) -> str:
        r = self.rng
        good = json.dumps({"type": "ping"})
        return r.choice(
            [
                good[: r.randint(0, len(good) - 1)],
                self.junk_text(r.randint(1, 60)),
                "{" * r.randint(1, 50),
                '{"type": "ping",}',
                "{'type': 'ping'}",
                "NaN",
                '{"type": "send", "body": "\\ud800"',
                "",
            ]
        )

    def not_an_object(self) -> str:
        value = self.rng.choice([[], ["ping"], 1, -1.5, "ping", None, True, [{"type": "ping"}]])
        return json.dumps(value)

    def bad_type_field(self) -> str:
        r = self.rng
        frame: dict[str, Any] = {"room": self.room()}
        choice = r.randint(0, 3)
        if choice == 0:
            pass  # no type at all
        elif choice == 1:
            frame["type"] = self.junk_value()
            if isinstance(frame["type"], str) and frame["type"] in TYPES:
                frame["type"] = 17
        elif choice == 2:
            frame["type"] = r.choice(["Ping", "PING", "subscribe ", "publish", "join", "admin"])
        else:
            frame["type"] = self.junk_text(r.randint(1, 30))
        return json.dumps(frame, allow_nan=True)

    def wrongly_typed_fields(self) -> str:
        r = self.rng
        kind = r.choice([t for t in TYPES if t != "ping"])
        frame: dict[str, Any] = {"type": kind}
        for name in FIELDS[1:]:
            roll = r.random()
            if roll < 0.3:
                continue  # missing
            if roll < 0.8:
                frame[name] = self.junk_value()
            else:
                frame[name] = self.plausible(name)
        # Never a frame that could succeed: the body is empty or the room is not one's own.
        if kind in ("send", "edit") and isinstance(frame.get("body"), str):
            frame["body"] = r.choice(["", "   ", "\n\t"])
        if frame.get("room") == self.own_room and kind == "subscribe":
            frame["room"] = self.hidden_room
        return json.dumps(frame, allow_nan=True)

    def plausible(self, name: str) -> Any:
        r = self.rng
        return {
            "room": self.room(),
            "since": r.choice([0, -1, 2**63, -(2**63), 10**30]),
            "client_id": r.choice([str(uuid.uuid4()), "not-a-uuid", str(uuid.uuid4()).upper()]),
            "message_id": r.choice([str(uuid.uuid4()), "0" * 36, "{" + str(uuid.uuid4()) + "}"]),
            "body": "",
        }[name]

    def out_of_order(self) -> str:
        r = self.rng
        frame = r.choice(
            [
                {"type": "unsubscribe", "room": self.own_room},  # never subscribed
                {"type": "unsubscribe", "room": self.hidden_room},
                {
                    "type": "edit",
                    "room": self.own_room,
                    "client_id": str(uuid.uuid4()),
                    "message_id": str(uuid.uuid4()),  # no such message
                    "body": "ändrad text",
                },
                {
                    "type": "delete",
                    "room": self.own_room,
                    "client_id": str(uuid.uuid4()),
                    "message_id": str(uuid.uuid4()),
                },
                {
                    "type": "send",
                    "room": self.hidden_room,  # not one's own room
                    "client_id": str(uuid.uuid4()),
                    "body": "hej",
                },
                {"type": "send", "room": "inbox", "client_id": str(uuid.uuid4()), "body": "hej"},
                {
                    "type": "send",
                    "room": self.own_room,
                    "client_id": str(uuid.uuid4()),
                    "body": "x" * 4001,  # one character too many
                },
                {"type": "subscribe", "room": self.hidden_room, "since": r.randint(0, 10**6)},
                {
                    "type": "send",
                    "room": self.own_room,
                    "client_id": str(uuid.uuid4()),
                    "body": "hej \ud800 då",  # can be neither stored nor sent on
                },
                {
                    "type": "send",
                    "room": self.own_room,
                    "client_id": str(uuid.uuid4()),
                    "body": r.choice(["", " ", "\r\n", "\t \n"]),
                },
            ]
        )
        return json.dumps(frame)

    def oversized(self) -> str:
        r = self.rng
        body = "å" * r.randint(8193, 12000)  # over 16 KiB as UTF-8 however short as text
        frame = {"type": "send", "room": self.own_room, "client_id": str(uuid.uuid4())}
        return json.dumps({**frame, "body": body}, ensure_ascii=False)

    def frames(self, count: int) -> Iterator[tuple[str, str | bytes]]:
        kinds: list[tuple[str, Callable[[], str]]] = [
            ("malformed_json", self.malformed_json),
            ("not_an_object", self.not_an_object),
            ("bad_type_field", self.bad_type_field),
            ("wrongly_typed_fields", self.wrongly_typed_fields),
            ("out_of_order", self.out_of_order),
            ("oversized", self.oversized),
        ]
        weights = [15, 5, 15, 45, 15, 5]
        for _ in range(count):
            if self.rng.random() < 0.02:
                yield "binary", bytes(self.rng.randrange(256) for _ in range(20))
                continue
            name, make = self.rng.choices(kinds, weights)[0]
            yield name, make()


async def _send(communicator: WebsocketCommunicator, frame: str | bytes) -> None:
    """As ``send_to``, which refuses an empty frame; a client may send one anyway."""
    message: dict[str, Any] = {"type": "websocket.receive"}
    message["bytes" if isinstance(frame, bytes) else "text"] = frame
    await communicator.input_queue.put(message)


def _stored() -> dict[str, int]:
    return {
        "room_events": RoomEvent.objects.count(),
        "messages": Message.objects.count(),
        "message_versions": MessageVersion.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.SAMVERKA = {
        **settings.SAMVERKA,
        # The limits would answer most of a burst with rate_limited; the parser is the target.
        "REALTIME_FRAME_BURST": 100_000,
        "REALTIME_SEND_BURST": 100_000,
    }


@pytest.mark.usefixtures("in_memory_layer")
async def test_thousands_of_bad_frames_get_error_frames_and_change_nothing(
    people: Org, thread_case: Case
) -> None:
    from tests.fixtures import make_case

    hidden = await database_sync_to_async(make_case)(people, officer="vuxen_officer")
    key = await database_sync_to_async(login)(people.user("officer"))
    before = await database_sync_to_async(_stored)()
    fuzzer = Fuzzer(random.Random(SEED), str(hidden.id), str(thread_case.id))
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={key}".encode()),
    ]
    communicator = WebsocketCommunicator(application, "/ws/v1/", headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    codes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    sent = 0
    try:
        for kind, frame in fuzzer.frames(FRAMES):
            await _send(communicator, frame)
            sent += 1
            kinds[kind] += 1
            output = await communicator.receive_output(timeout=5)
            assert output["type"] == "websocket.send", (kind, frame[:200], output)
            text = output["text"]
            text.encode("utf-8")  # a real server must be able to send it
            reply = json.loads(text)
            assert reply["type"] == "error", (kind, frame[:200], reply)
            assert reply["code"] in KNOWN_CODES, (kind, frame[:200], reply)
            assert reply["message"], reply
            codes[reply["code"]] += 1
        await communicator.send_to(text_data=json.dumps({"type": "ping"}))
        pong = json.loads((await communicator.receive_output(timeout=5))["text"])
        assert pong == {"type": "pong"}
    finally:
        await communicator.disconnect()

    assert sent >= 5000
    assert await database_sync_to_async(_stored)() == before
    # The generator reached every kind of bad frame, and they were told apart.
    assert set(kinds) == {
        "malformed_json",
        "not_an_object",
        "bad_type_field",
        "wrongly_typed_fields",
        "out_of_order",
        "oversized",
        "binary",
    }
    for code in (
        "malformed_json",
        "missing_field",
        "wrong_type",
        "unknown_type",
        "invalid_value",
        "frame_too_large",
        "binary_frame",
        "not_found",
        "not_subscribed",
        "empty_message",
        "message_too_large",
        "read_only_room",
    ):
        assert codes[code] > 0, (code, codes)
    print(f"\nfuzzed frames: {sent}; answers by code: {dict(sorted(codes.items()))}")


@pytest.mark.usefixtures("in_memory_layer")
async def test_many_connections_opening_with_bad_frames_leave_the_server_serving(
    people: Org, thread_case: Case
) -> None:
    """Connections that send garbage and vanish mid-stream do not disturb a good one."""
    key = await database_sync_to_async(login)(people.user("officer"))
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={key}".encode()),
    ]
    good = WebsocketCommunicator(application, "/ws/v1/", headers=headers)
    assert (await good.connect(timeout=5))[0]
    rng = random.Random(SEED + 1)
    fuzzer = Fuzzer(rng, str(uuid.uuid4()), str(thread_case.id))
    try:
        for _ in range(20):
            bad = WebsocketCommunicator(application, "/ws/v1/", headers=headers)
            assert (await bad.connect(timeout=5))[0]
            for _kind, frame in fuzzer.frames(10):
                await _send(bad, frame)
            await bad.disconnect()  # without reading a single answer
        await good.send_to(text_data=json.dumps({"type": "ping"}))
        assert json.loads((await good.receive_output(timeout=5))["text"]) == {"type": "pong"}
    finally:
        await good.disconnect()

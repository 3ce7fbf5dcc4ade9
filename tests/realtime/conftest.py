"""Fixtures for the realtime tests: people and rooms in committed data, and WebSocket peers.

Consumers run their database work in other threads, so every test that opens a socket
takes ``transactional_db``: what the test writes is committed and visible to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from asgi import application
from coordination import services
from coordination.models import (
    Case,
    Forum,
    ForumKind,
    Invitation,
    Meeting,
    MeetingStatus,
    Presentation,
    PresentationMode,
)
from tests.fixtures import Org, build_org, make_case
from tests.realtime.live import Cluster, wait_until_idle


def login(user: Any) -> str:
    """A session for ``user`` (as after signing in); returns the session key."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture(scope="session")
def live_cluster(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path_factory.mktemp("live"))
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def cluster(live_cluster: Cluster, transactional_db: None) -> Iterator[Cluster]:
    """Redis and two Daphne processes serving this test's committed data."""
    yield live_cluster.ready()
    wait_until_idle()  # before the test's data is truncated


@pytest.fixture
def people(transactional_db: None) -> Org:
    return build_org()


@pytest.fixture
def thread_case(people: Org) -> Case:
    """A case of Barn och unga worked on by officer and colleague."""
    case = make_case(people)
    services.case_officer_assign(
        actor=people.user("officer"), case=case, officer=people.user("colleague")
    )
    return case


def make_meeting(
    org: Org,
    *,
    case: Case | None,
    invited: list[str],
    internal: bool = True,
    kind: str = ForumKind.STEERING_GROUP,
    convener: str = "officer",
    status: str = MeetingStatus.OPEN,
) -> Meeting:
    """A meeting as the meeting services leave it, made directly for these tests."""
    forum = Forum.objects.create(
        name=f"Forum {kind} {Forum.objects.count()}", kind=kind, internal=internal
    )
    meeting = Meeting.objects.create(
        forum=forum,
        starts_at=timezone.now(),
        ad_hoc=True,
        status=status,
        convened_by=org.user(convener),
        case=case,
    )
    for name in invited:
        Invitation.objects.create(meeting=meeting, person=org.user(name))
    return meeting


def present(
    meeting: Meeting, case: Case, by: Any, mode: str = PresentationMode.ANONYMISED
) -> Presentation:
    return Presentation.objects.create(meeting=meeting, case=case, mode=mode, presented_by=by)


class Peer:
    """One WebSocket connection to the real ASGI application, with a frame buffer."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.stash: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls, session_key: str | None, *, origin: str = "http://testserver"
    ) -> tuple[Peer, bool, Any]:
        headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
        if session_key:
            headers.append((b"cookie", f"sessionid={session_key}".encode()))
        communicator = WebsocketCommunicator(application, "/ws/v1/", headers=headers)
        connected, code = await communicator.connect(timeout=5)
        return cls(communicator), connected, code

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.communicator.send_to(text_data=text)

    async def _receive(self, timeout: float) -> dict[str, Any]:
        """The next frame. Unlike ``receive_output`` a timeout leaves the application running."""
        future = self.communicator.future
        if future.done() and self.communicator.output_queue.empty():
            future.result()  # raises what ended the application
            return {"type": "_closed", "code": None}
        output = await asyncio.wait_for(self.communicator.output_queue.get(), timeout)
        if output["type"] == "websocket.close":
            return {"type": "_closed", "code": output.get("code")}
        return dict(json.loads(output["text"]))

    async def next(self, timeout: float = 3.0) -> dict[str, Any]:
        if self.stash:
            return self.stash.pop(0)
        return await self._receive(timeout)

    async def expect(self, frame_type: str, timeout: float = 3.0, **match: Any) -> dict[str, Any]:
        """The first frame of ``frame_type`` matching ``match``; other frames are kept."""
        for i, frame in enumerate(self.stash):
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return self.stash.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        skipped: list[dict[str, Any]] = []
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(
                        f"no {frame_type} {match} within {timeout}s; got {skipped}"
                    )
                try:
                    frame = await self._receive(remaining)
                except TimeoutError:
                    continue
                if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                    return frame
                skipped.append(frame)
        finally:
            self.stash.extend(skipped)

    async def drain(self, seconds: float) -> list[dict[str, Any]]:
        """Every frame that arrives within ``seconds`` (plus what was stashed)."""
        frames, self.stash = self.stash, []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                frame = await self._receive(remaining)
            except TimeoutError:
                break
            frames.append(frame)
            if frame["type"] == "_closed":
                break
        return frames

    async def subscribe(
        self, room: str, since: int = 0
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Subscribe; the replayed event frames and the ``subscribed`` frame."""
        await self.send({"type": "subscribe", "room": room, "since": since})
        events: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        try:
            while True:
                frame = await self.next()
                if frame["type"] == "event" and frame["room"] == room:
                    events.append(frame)
                elif frame["type"] == "subscribed" and frame["room"] == room:
                    return events, frame
                elif frame["type"] == "error":
                    raise AssertionError(f"subscribe failed: {frame}")
                else:
                    others.append(frame)
        finally:
            self.stash.extend(others)

    async def ping(self) -> None:
        await self.send({"type": "ping"})
        await self.expect("pong")

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def peers() -> Any:
    """``await open_peer(user)``: a connected Peer; all are disconnected after the test."""
    opened: list[Peer] = []

    async def open_peer(user: Any) -> Peer:
        from channels.db import database_sync_to_async

        key = await database_sync_to_async(login)(user)
        peer, connected, code = await Peer.open(key)
        assert connected, code
        opened.append(peer)
        return peer

    yield open_peer
    for peer in opened:
        with contextlib.suppress(Exception):
            await peer.close()


PeerFactory = Callable[[Any], Any]

"""Faults of Redis and of Daphne processes: delivery may be late, never lost or doubled.

The tests run against a Redis of their own (killing it harms nothing else) and two real
Daphne processes on the test database; each test gets them running and empty. Clients behave like the browser module: they resume
with ``since`` and send unacknowledged messages again with the same client_id. After
each fault every client must hold exactly the committed events of its room, in order,
once, and every message a client sent must be stored exactly once.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable

import redis as redis_client
from channels.db import database_sync_to_async

from coordination.models import Case
from realtime.models import RoomEvent
from tests.fixtures import Org
from tests.realtime.conftest import login
from tests.realtime.live import Cluster, Daphne, LiveClient

Scenario = Callable[[LiveClient, LiveClient, list[Daphne]], Awaitable[None]]


def _latest(room: str) -> int:
    return RoomEvent.objects.filter(room=room).count()


async def _converge(room: str, clients: list[LiveClient], timeout: float = 20.0) -> None:
    """Wait until every send is acknowledged and every client has the room's last event."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(deadline - time.monotonic(), 0.1)

    for client in clients:
        await client.wait_until(functools.partial(_acknowledged, client), left())
    latest = await database_sync_to_async(_latest)(room)
    for client in clients:
        await client.wait_until(functools.partial(_holds, client, room, latest), left())


def _acknowledged(client: LiveClient) -> bool:
    return not client.pending


def _holds(client: LiveClient, room: str, seq: int) -> bool:
    return client.rooms[room].last >= seq


async def _send_many(
    client: LiveClient, room: str, count: int, label: str, pause: float = 0.05
) -> list[str]:
    ids = []
    for i in range(count):
        ids.append(await client.send(room, f"{label} {i}"))
        await asyncio.sleep(pause)
    return ids


def _run(people: Org, case: Case, cluster: Cluster, scenario: Scenario) -> list[LiveClient]:
    room = f"case:{case.id}"
    keys = [login(people.user("officer")), login(people.user("colleague"))]
    first, second = cluster.servers

    async def main() -> list[LiveClient]:
        # The writer starts on the first process, the reader on the second; after a lost
        # connection each tries the other process next.
        writer = LiveClient("officer", [first.ws_url, second.ws_url], keys[0], [room])
        reader = LiveClient("colleague", [second.ws_url, first.ws_url], keys[1], [room])
        clients = [writer, reader]
        for client in clients:
            await client.start()
            await client.wait_subscribed()
        try:
            await scenario(writer, reader, cluster.servers)
            await _converge(room, clients)
        finally:
            for client in clients:
                await client.stop()
        return clients

    clients = asyncio.run(main())
    _assert_consistent(room, clients)
    return clients


def _assert_consistent(room: str, clients: list[LiveClient]) -> None:
    committed = list(RoomEvent.objects.filter(room=room).order_by("seq"))
    assert [e.seq for e in committed] == list(range(1, len(committed) + 1))
    stored_messages = [e.payload["message_id"] for e in committed if e.kind == "message.created"]
    for client in clients:
        assert client.seqs(room) == [e.seq for e in committed], client.summary()
        held = [message_id for message_id, _body in client.messages(room)]
        assert held == stored_messages, client.summary()
        assert all(body is not None for _id, body in client.messages(room))
    # Every message sent is stored exactly once, under the client_id it was sent with.
    sent = {cid for client in clients for cid in client.acks}
    stored_ids = [str(e.client_id) for e in committed if e.kind == "message.created"]
    assert len(stored_ids) == len(set(stored_ids))
    assert set(stored_ids) == sent


def test_redis_killed_and_restarted_mid_conversation(
    people: Org, thread_case: Case, cluster: Cluster
) -> None:
    redis = cluster.redis
    room = f"case:{thread_case.id}"

    async def scenario(writer: LiveClient, reader: LiveClient, servers: list[Daphne]) -> None:
        await _send_many(writer, room, 5, "före")
        await reader.wait_until(lambda: len(reader.messages(room)) == 5)
        redis.kill()
        await _send_many(writer, room, 5, "utan redis")
        await _send_many(reader, room, 3, "svar utan redis")
        # Without Redis the database still serves: sends are stored and acknowledged,
        # and the periodic catch-up brings them to the other process's client.
        await reader.wait_until(lambda: len(reader.messages(room)) == 13)
        redis.start()
        await _send_many(writer, room, 5, "efter")

    clients = _run(people, thread_case, cluster, scenario)
    assert len(clients[1].messages(room)) == 18


def test_redis_paused_for_several_seconds(people: Org, thread_case: Case, cluster: Cluster) -> None:
    redis = cluster.redis
    room = f"case:{thread_case.id}"

    async def scenario(writer: LiveClient, reader: LiveClient, servers: list[Daphne]) -> None:
        await _send_many(writer, room, 3, "före")
        await reader.wait_until(lambda: len(reader.messages(room)) == 3)
        redis.pause()
        paused_at = time.monotonic()
        try:
            await _send_many(writer, room, 4, "under pausen", pause=0.3)
            await _send_many(reader, room, 2, "svar under pausen", pause=0.3)
            await asyncio.sleep(max(0.0, 4.0 - (time.monotonic() - paused_at)))
        finally:
            redis.resume()
        await _send_many(writer, room, 3, "efter")

    clients = _run(people, thread_case, cluster, scenario)
    assert len(clients[0].messages(room)) == 12


def test_redis_flushed(people: Org, thread_case: Case, cluster: Cluster) -> None:
    redis = cluster.redis
    room = f"case:{thread_case.id}"

    async def scenario(writer: LiveClient, reader: LiveClient, servers: list[Daphne]) -> None:
        await _send_many(writer, room, 3, "före")
        await reader.wait_until(lambda: len(reader.messages(room)) == 3)
        # Every group membership and queued announcement is gone at once.
        redis_client.Redis.from_url(redis.url).flushall()
        await _send_many(writer, room, 5, "efter tömningen")
        await reader.wait_until(lambda: len(reader.messages(room)) == 8)

    clients = _run(people, thread_case, cluster, scenario)
    assert clients[1].connections == 1  # caught up without even reconnecting


def test_a_daphne_process_killed_while_clients_send(
    people: Org, thread_case: Case, cluster: Cluster
) -> None:
    room = f"case:{thread_case.id}"

    async def scenario(writer: LiveClient, reader: LiveClient, servers: list[Daphne]) -> None:
        sending = asyncio.create_task(_send_many(writer, room, 20, "mitt i", pause=0.12))
        await writer.wait_until(lambda: len(writer.acks) >= 5)
        servers[0].kill()  # the writer's process, with sends in flight
        await sending
        await _send_many(reader, room, 2, "svar")

    clients = _run(people, thread_case, cluster, scenario)
    writer, reader = clients
    assert writer.connections >= 2  # it did reconnect, to the surviving process
    assert len(writer.acks) == 20
    assert len(reader.messages(room)) == 22


def test_a_client_away_longer_than_the_channel_expiry(
    people: Org, thread_case: Case, cluster: Cluster
) -> None:
    room = f"case:{thread_case.id}"

    async def scenario(writer: LiveClient, reader: LiveClient, servers: list[Daphne]) -> None:
        # Away with the connection closed...
        await reader.away()
        await _send_many(writer, room, 4, "medan du var borta")
        await asyncio.sleep(1.6)
        await reader.back()
        await reader.wait_until(lambda: len(reader.messages(room)) == 4)
        # ...and away behind a frozen server: its queued announcements expire unread.
        servers[1].pause()
        try:
            await _send_many(writer, room, 4, "medan servern stod still")
            await asyncio.sleep(1.6)
        finally:
            servers[1].resume()

    clients = _run(people, thread_case, cluster, scenario)
    assert len(clients[1].messages(room)) == 8


def test_more_events_than_the_channel_capacity(
    people: Org, thread_case: Case, cluster: Cluster
) -> None:
    room = f"case:{thread_case.id}"

    async def scenario(writer: LiveClient, reader: LiveClient, servers: list[Daphne]) -> None:
        servers[1].pause()  # the reader's process stops reading its channel
        try:
            await _send_many(writer, room, 15, "fler än kanalen rymmer")
            await writer.wait_until(lambda: len(writer.acks) == 15)
        finally:
            servers[1].resume()

    log = cluster.servers[0].log_path
    logged_before = log.stat().st_size
    clients = _run(people, thread_case, cluster, scenario)
    assert len(clients[1].messages(room)) == 15
    # The channel (capacity 3) really overflowed: the sending process dropped announcements.
    assert b"over capacity" in log.read_bytes()[logged_before:]

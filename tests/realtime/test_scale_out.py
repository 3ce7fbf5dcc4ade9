"""Two real Daphne processes share one Redis channel layer and one PostgreSQL database."""

from __future__ import annotations

import asyncio

from coordination.models import Case
from realtime.models import Message
from tests.fixtures import Org
from tests.realtime.conftest import login
from tests.realtime.live import Cluster, LiveClient


def test_a_message_sent_through_one_process_reaches_a_subscriber_on_the_other(
    people: Org, thread_case: Case, cluster: Cluster
) -> None:
    room = f"case:{thread_case.id}"
    first, second = cluster.servers
    sender = LiveClient("officer", [first.ws_url], login(people.user("officer")), [room])
    receiver = LiveClient("colleague", [second.ws_url], login(people.user("colleague")), [room])

    async def scenario() -> str:
        for client in (sender, receiver):
            await client.start()
            await client.wait_subscribed()
        try:
            client_id = await sender.send(room, "Skickat via process ett")
            await receiver.wait_until(lambda: len(receiver.messages(room)) == 1, timeout=5)
            await sender.wait_until(lambda: client_id in sender.acks, timeout=5)
        finally:
            for client in (sender, receiver):
                await client.stop()
        return client_id

    client_id = asyncio.run(scenario())

    message = Message.objects.get()
    assert receiver.messages(room) == [(str(message.id), "Skickat via process ett")]
    assert sender.acks[client_id] == receiver.seqs(room)[-1]
    assert receiver.connections == sender.connections == 1

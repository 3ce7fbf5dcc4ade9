"""The process's hub: one channel-layer membership and one read per event for all of its
connections, each connection still getting its own person's view."""

from __future__ import annotations

import json
import uuid
from typing import Any
from unittest import mock

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from consent import policy
from coordination.models import Case
from realtime import rooms, selectors, services
from realtime.hub import Feed, Hub, get_hub
from realtime.selectors import StoredBatch, StoredEvent
from tests.fixtures import Org


def _send(user: Any, room: str, body: str) -> services.Receipt:
    return services.message_send(actor=user, room=room, client_id=uuid.uuid4(), body=body)


async def _in_room(peers: Any, people: Org, room: str, *usernames: str) -> list[Any]:
    """A connection for each person named (a name twice: two tabs), each subscribed."""
    connected = [await peers(people.user(name)) for name in usernames]
    for peer in connected:
        await peer.subscribe(room)
    return connected


async def _group_members(group: str) -> int:
    layer: Any = get_channel_layer()
    connection = layer.connection(layer.consistent_hash(group))
    return int(await connection.zcard(layer._group_key(group)))


async def test_connections_of_one_process_share_one_group_membership_and_one_read(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer, colleague, second_tab = await _in_room(
        peers, people, room, "officer", "colleague", "colleague"
    )
    # Three connections follow the room; the layer knows one member, the process.
    assert await _group_members(rooms.group_name(room)) == 1

    reads = mock.Mock(wraps=selectors.stored_events)
    # As for an event written by another process: announced, not handed over in memory.
    with (
        mock.patch("realtime.hub.selectors.stored_events", reads),
        mock.patch("realtime.publish._offer", None),
    ):
        await database_sync_to_async(_send)(people.user("officer"), room, "Möte 14.00.")
        for peer in (colleague, second_tab, officer):
            event = await peer.expect("event", room=room)
            assert event["event"]["body"] == "Möte 14.00."
    # The announced event was read from the database once for all three.
    assert reads.call_count == 1


async def test_the_first_event_written_here_reaches_the_room_without_a_read_or_a_policy_question(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer, colleague = await _in_room(peers, people, room, "officer", "colleague")
    reads = mock.Mock(wraps=selectors.stored_events)
    asked = mock.Mock(wraps=selectors.Levels.fill)
    with (
        mock.patch("realtime.hub.selectors.stored_events", reads),
        mock.patch.object(selectors.Levels, "fill", asked),
    ):
        await database_sync_to_async(_send)(people.user("officer"), room, "Första.")
        for peer in (colleague, officer):
            event = await peer.expect("event", room=room)
            assert event["event"]["body"] == "Första."
    # Subscribing read the (empty) room and asked the policy: the event written in this
    # process was handed to the room's feed, and each member's level was already known.
    assert reads.call_count == 0
    assert asked.call_count == 0


async def test_a_process_leaves_the_group_when_its_last_connection_unsubscribes(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer, colleague = await _in_room(peers, people, room, "officer", "colleague")
    await officer.send({"type": "unsubscribe", "room": room})
    await officer.expect("unsubscribed")
    assert await _group_members(rooms.group_name(room)) == 1
    await colleague.send({"type": "unsubscribe", "room": room})
    await colleague.expect("unsubscribed")
    assert await _group_members(rooms.group_name(room)) == 0
    assert room not in get_hub().feeds


async def test_access_changed_reaches_only_the_named_persons_connections(
    people: Org, thread_case: Case, peers: Any
) -> None:
    officer = await peers(people.user("officer"))
    colleague = await peers(people.user("colleague"))
    hub = get_hub()
    delivered: dict[int, list[dict[str, Any]]] = {}
    for listener in hub.listeners:
        delivered.setdefault(listener.user_id, [])
        listener.deliver = delivered[listener.user_id].append  # type: ignore[assignment]
    hub._dispatch({"type": "access.changed", "user": people.user("colleague").pk})
    assert delivered[people.user("colleague").pk] == [
        {"type": "access.changed", "user": people.user("colleague").pk}
    ]
    assert delivered[people.user("officer").pk] == []
    hub._dispatch({"type": "access.changed"})
    assert len(delivered[people.user("officer").pk]) == 1
    del officer, colleague


def _message(seq: int, message_id: str, case_id: uuid.UUID) -> StoredEvent:
    return StoredEvent(
        seq, "message.created", case_id, {"message_id": message_id}, message_id, "Hej"
    )


def test_a_feed_withdraws_the_text_of_a_message_deleted_later() -> None:
    case_id = uuid.uuid4()
    feed = Feed()
    feed.add(StoredBatch([_message(4, "m1", case_id), _message(5, "m2", case_id)], 5, False), 3)
    deleted = StoredEvent(6, "message.deleted", case_id, {"message_id": "m1"})
    feed.add(StoredBatch([deleted], 6, False), 5)
    held = {e.seq: e for e in feed.after(3)}
    assert (held[4].text, held[4].hidden) == (None, "deleted")
    assert (held[5].text, held[5].hidden) == ("Hej", "")
    erased = StoredEvent(7, "case.erased", case_id, {})
    feed.add(StoredBatch([erased], 7, False), 6)
    assert feed.after(3)[1].hidden == "erased"


def test_an_event_frame_is_made_once_per_level_and_again_once_the_text_is_withdrawn() -> None:
    case_id = uuid.uuid4()
    event = _message(4, "m1", case_id)
    identified = selectors.Levels({case_id: policy.Level.IDENTIFIED})
    anonymised = selectors.Levels({case_id: policy.Level.ANONYMISED})
    first = selectors.event_frame(event, "case:x", identified)
    assert json.loads(first) == {
        "type": "event",
        "room": "case:x",
        "seq": 4,
        "event": selectors.render(event, identified),
    }
    assert json.loads(first)["event"]["body"] == "Hej"
    # The same level gets the very frame made before; another level its own view.
    assert (
        selectors.event_frame(event, "case:x", selectors.Levels(dict(identified.by_case))) is first
    )
    assert json.loads(selectors.event_frame(event, "case:x", anonymised))["event"]["body"] is None
    feed = Feed()
    feed.add(StoredBatch([event], 4, False), 3)
    feed.add(
        StoredBatch([StoredEvent(5, "message.deleted", case_id, {"message_id": "m1"})], 5, False), 4
    )
    again = json.loads(selectors.event_frame(event, "case:x", identified))
    assert (again["event"]["body"], again["event"]["hidden"]) == (None, "deleted")


def test_a_feed_takes_in_older_events_for_a_connection_further_behind() -> None:
    case_id = uuid.uuid4()
    feed = Feed()
    feed.add(StoredBatch([_message(11, "b", case_id)], 11, False), 10)
    older = [_message(seq, f"m{seq}", case_id) for seq in range(8, 12)]
    feed.add(StoredBatch(older, 11, False), 7)
    assert [e.seq for e in feed.after(7)] == [8, 9, 10, 11]
    # A batch that does not reach what is held starts the feed again, with no gap in it.
    feed.add(StoredBatch([_message(2, "x", case_id)], 11, False), 1)
    assert [e.seq for e in feed.after(1)] == [2]
    assert feed.after(7) == []


def test_the_tick_joins_every_group_again_in_turn_a_bounded_number_at_a_time() -> None:
    hub = Hub(layer=None)
    groups = [f"realtime.user.{n}" for n in range(70)]
    for group in groups:
        hub._joins[group] = mock.Mock()
    per_tick = [hub._rejoin_now() for _ in range(3)]
    assert all(len(batch) <= 32 for batch in per_tick)
    assert {g for batch in per_tick for g in batch} == set(groups)
    few = Hub(layer=None)
    few._joins = {"realtime.everyone": mock.Mock()}
    assert few._rejoin_now() == few._rejoin_now() == ["realtime.everyone"]

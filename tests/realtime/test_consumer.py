"""Protocol v1 against the real ASGI application, the test PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

from channels.db import database_sync_to_async

from coordination.models import Case
from realtime import services
from realtime.models import Message, RoomEvent
from tests.fixtures import Org, make_case
from tests.realtime.conftest import Peer, login, make_meeting


def _send(user: Any, room: str, body: str) -> services.Receipt:
    return services.message_send(actor=user, room=room, client_id=uuid.uuid4(), body=body)


async def test_an_anonymous_connection_is_refused(people: Org) -> None:
    _peer, connected, _code = await Peer.open(None)
    assert not connected


async def test_a_foreign_origin_is_refused(people: Org) -> None:
    key = await database_sync_to_async(login)(people.user("officer"))
    _peer, connected, _code = await Peer.open(key, origin="https://evil.example")
    assert not connected
    _peer, connected, _code = await Peer.open(key)
    assert connected
    await _peer.close()


async def test_subscribe_with_since_replays_later_events_in_order_before_subscribed(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer = people.user("officer")
    for text in ["ett", "två", "tre"]:
        await database_sync_to_async(_send)(officer, room, text)
    stored = await database_sync_to_async(
        lambda: list(RoomEvent.objects.filter(room=room).values_list("seq", flat=True))
    )()
    assert stored == [1, 2, 3, 4]  # case.created, then three messages

    peer = await peers(people.user("colleague"))
    events, subscribed = await peer.subscribe(room, since=2)

    assert [e["seq"] for e in events] == [3, 4]
    assert [e["event"]["body"] for e in events] == ["två", "tre"]
    assert all(e["event"]["kind"] == "message.created" for e in events)
    assert subscribed == {"type": "subscribed", "room": room, "seq": 4}

    events, subscribed = await peer.subscribe(room, since=0)
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert events[0]["event"]["kind"] == "case.created"


async def test_unknown_and_forbidden_rooms_get_the_same_error(
    people: Org, thread_case: Case, peers: Any
) -> None:
    other_case = await database_sync_to_async(make_case)(people, officer="vuxen_officer")
    peer = await peers(people.user("officer"))
    rooms = [
        f"case:{other_case.id}",  # exists, but belongs to another unit
        f"case:{uuid.uuid4()}",  # does not exist
        f"meeting:{uuid.uuid4()}",
        "lobby",
        f"CASE:{thread_case.id}",
    ]
    answers = []
    for room in rooms:
        await peer.send({"type": "subscribe", "room": room, "since": 0})
        answers.append(await peer.expect("error"))
    assert {(a["code"], a["message"]) for a in answers} == {
        ("not_found", "Finns inte, eller så saknar du behörighet.")
    }
    assert [a["ref"] for a in answers] == rooms
    # Nothing was replayed from the foreign case, and the connection still works.
    await peer.ping()
    assert not [f for f in peer.stash if f["type"] == "event"]


async def test_a_send_is_acknowledged_stored_once_and_reaches_the_other_member(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer = await peers(people.user("officer"))
    colleague = await peers(people.user("colleague"))
    await officer.subscribe(room)
    await colleague.subscribe(room)

    client_id = str(uuid.uuid4())
    send = {"type": "send", "room": room, "client_id": client_id, "body": "Vi ses 14.00."}
    await officer.send(send)
    ack = await officer.expect("ack")
    assert ack["client_id"] == client_id and ack["room"] == room and ack["seq"] == 2
    event = await colleague.expect("event", room=room)
    assert event["seq"] == 2
    assert event["event"]["kind"] == "message.created"
    assert event["event"]["body"] == "Vi ses 14.00."
    assert event["event"]["client_id"] == client_id
    assert event["event"]["sender"]["id"] == people.user("officer").pk
    mine = await officer.expect("event", room=room)
    assert mine["seq"] == 2

    # The same client_id again (a retry after a lost ack): same answer, stored once.
    await officer.send(send)
    again = await officer.expect("ack")
    assert (again["seq"], again["duplicate"]) == (2, True)
    assert await database_sync_to_async(Message.objects.filter(room=room).count)() == 1
    assert not [f for f in await colleague.drain(0.5) if f["type"] == "event"]


async def test_each_recipient_gets_the_view_the_policy_gives_them(people: Org, peers: Any) -> None:
    # A styrgrupp about a case with skyddade personuppgifter: the case officer reads the
    # text; a section lead of the same authority sees the case only anonymised, so not
    # the free text; a school called in sees nothing of the case.
    case = await database_sync_to_async(make_case)(people, protected=True)
    meeting = await database_sync_to_async(make_meeting)(
        people, case=case, invited=["vuxen_lead", "teacher"]
    )
    room = f"meeting:{meeting.id}"
    officer = await peers(people.user("officer"))
    lead = await peers(people.user("vuxen_lead"))
    teacher = await peers(people.user("teacher"))
    for peer in (officer, lead, teacher):
        await peer.subscribe(room)

    await database_sync_to_async(_send)(
        people.user("officer"), room, "Lina flyttar till Storgatan 12."
    )

    seen = {}
    for name, peer in [("officer", officer), ("lead", lead), ("teacher", teacher)]:
        seen[name] = await peer.expect("event", room=room)
    assert {f["seq"] for f in seen.values()} == {1}
    assert seen["officer"]["event"]["body"] == "Lina flyttar till Storgatan 12."
    assert seen["lead"]["event"]["kind"] == "message.created"
    assert seen["lead"]["event"]["body"] is None
    assert seen["lead"]["event"]["hidden"] == "withheld"
    assert seen["teacher"]["event"] == {"kind": "withheld"}
    assert "Storgatan" not in str(seen["lead"]) + str(seen["teacher"])


async def test_edits_and_deletions_are_new_events_and_nothing_is_lost(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer = await peers(people.user("officer"))
    colleague = await peers(people.user("colleague"))
    await officer.subscribe(room)
    await colleague.subscribe(room)

    await officer.send(
        {"type": "send", "room": room, "client_id": str(uuid.uuid4()), "body": "Möte kl 13"}
    )
    created = await colleague.expect("event", room=room)
    message_id = created["event"]["message_id"]
    edit_id = str(uuid.uuid4())
    await officer.send(
        {
            "type": "edit",
            "room": room,
            "client_id": edit_id,
            "message_id": message_id,
            "body": "Möte kl 14",
        }
    )
    assert (await officer.expect("ack", client_id=edit_id))["seq"] == 3
    edited = await colleague.expect("event", room=room, seq=3)
    assert edited["event"]["kind"] == "message.edited"
    assert (edited["event"]["message_id"], edited["event"]["version"]) == (message_id, 2)
    assert edited["event"]["body"] == "Möte kl 14"

    # Someone else may not change it.
    await colleague.send(
        {
            "type": "edit",
            "room": room,
            "client_id": str(uuid.uuid4()),
            "message_id": message_id,
            "body": "x",
        }
    )
    assert (await colleague.expect("error"))["code"] == "not_your_message"

    delete_id = str(uuid.uuid4())
    await officer.send(
        {"type": "delete", "room": room, "client_id": delete_id, "message_id": message_id}
    )
    assert (await officer.expect("ack", client_id=delete_id))["seq"] == 4
    deleted = await colleague.expect("event", room=room, seq=4)
    assert deleted["event"]["kind"] == "message.deleted"

    # The history keeps every event; the text is no longer shown, but stays stored.
    events, subscribed = await colleague.subscribe(room, since=1)
    assert [e["event"]["kind"] for e in events] == [
        "message.created",
        "message.edited",
        "message.deleted",
    ]
    assert [e["event"].get("hidden") for e in events[:2]] == ["deleted", "deleted"]
    assert subscribed["seq"] == 4
    message = await database_sync_to_async(Message.objects.get)(pk=message_id)
    assert message.deleted_at is not None
    assert await database_sync_to_async(message.versions.count)() == 2


async def test_presence_shows_who_has_the_room_open(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    officer = await peers(people.user("officer"))
    await officer.subscribe(room)
    first = await officer.expect("presence", room=room)
    assert [p["name"] for p in first["people"]] == ["Officer Testsson"]

    colleague = await peers(people.user("colleague"))
    await colleague.subscribe(room)
    both = await officer.expect("presence", room=room)
    assert sorted(p["name"] for p in both["people"]) == ["Colleague Testsson", "Officer Testsson"]
    assert sorted(p["name"] for p in (await colleague.expect("presence", room=room))["people"]) == [
        "Colleague Testsson",
        "Officer Testsson",
    ]

    await colleague.send({"type": "unsubscribe", "room": room})
    await colleague.expect("unsubscribed", room=room)
    after = await officer.expect("presence", room=room)
    assert [p["name"] for p in after["people"]] == ["Officer Testsson"]


async def test_events_committed_during_a_replay_are_neither_lost_nor_repeated(
    people: Org, thread_case: Case, peers: Any
) -> None:
    from django.db import transaction

    from realtime.publish import publish_on_commit
    from tests.realtime.sample_events import Noted

    room = f"case:{thread_case.id}"
    officer = people.user("officer")
    backlog = 450  # more than two replay batches

    def fill() -> None:
        with transaction.atomic():
            for i in range(backlog):
                publish_on_commit(room, Noted(note=f"äldre {i}"))

    await database_sync_to_async(fill)()
    colleague = await peers(people.user("colleague"))

    done = threading.Event()

    def meanwhile() -> None:
        from django.db import connection

        try:
            for i in range(25):
                _send(officer, room, f"under återspelningen {i}")
        finally:
            connection.close()
            done.set()

    writer = threading.Thread(target=meanwhile)
    writer.start()
    events, subscribed = await colleague.subscribe(room, since=0)
    while not done.is_set():
        await asyncio.sleep(0.05)
    writer.join()
    latest = 1 + backlog + 25
    seqs = [e["seq"] for e in events]
    while not seqs or seqs[-1] < latest:
        frame = await colleague.expect("event", room=room, timeout=5)
        seqs.append(frame["seq"])
    assert seqs == list(range(1, latest + 1))
    assert subscribed["seq"] == len(events)
    assert not [f for f in await colleague.drain(0.5) if f["type"] == "event"]


async def test_an_event_with_views_reaches_each_recipient_in_their_variant(
    people: Org, peers: Any
) -> None:
    from realtime.publish import publish_on_commit
    from tests.realtime.sample_events import Briefed

    case = await database_sync_to_async(make_case)(people, protected=True)
    meeting = await database_sync_to_async(make_meeting)(
        people, case=case, invited=["vuxen_lead", "teacher"]
    )
    room = f"meeting:{meeting.id}"
    officer = await peers(people.user("officer"))
    lead = await peers(people.user("vuxen_lead"))
    teacher = await peers(people.user("teacher"))
    for peer in (officer, lead, teacher):
        await peer.subscribe(room)

    await database_sync_to_async(publish_on_commit)(
        room,
        Briefed(case_id=str(case.id), brief="Lina, 40 år, Motala", anonymised="Kvinna, 40 år"),
    )
    assert (await officer.expect("event", room=room))["event"]["brief"] == "Lina, 40 år, Motala"
    assert (await lead.expect("event", room=room))["event"]["brief"] == "Kvinna, 40 år"
    assert (await teacher.expect("event", room=room))["event"] == {"kind": "withheld"}

"""The message check in a konsultativ grupp where a case is presented anonymised: a
message naming that case's person is refused with an error frame that names the
categories found, never the values, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from audit.models import AuditEvent
from consent.anonymiser.case_brief import IdentifierInMessage
from realtime import services
from realtime.models import Message, RoomEvent
from tests.coordination.consultation import Konsult, build_konsult
from tests.fixtures import build_org


def _stored() -> tuple[int, int, int]:
    return Message.objects.count(), RoomEvent.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def booked(db: None) -> Konsult:
    konsult = build_konsult(build_org())
    konsult.book_anonymised()
    return konsult


def test_a_name_of_the_anonymised_case_is_refused_and_nothing_is_stored(booked: Konsult) -> None:
    room = f"meeting:{booked.meeting().id}"
    before = _stored()
    for text in (
        "Är det Lina Andersson? Jag tror dottern går i vår skola.",
        "Hon bor väl på Storgatan 12?",
        "Dottern går på Charlottenborgsskolan.",
    ):
        with pytest.raises(IdentifierInMessage) as error:
            services.message_send(
                actor=booked.user("teacher"), room=room, client_id=uuid.uuid4(), body=text
            )
        for value in ("Lina", "Andersson", "Storgatan", "Charlottenborg"):
            assert value not in error.value.message
    assert _stored() == before
    receipt = services.message_send(
        actor=booked.user("teacher"),
        room=room,
        client_id=uuid.uuid4(),
        body="Elevhälsan kan erbjuda kuratorssamtal.",
    )
    assert not receipt.duplicate
    assert Message.objects.count() == before[0] + 1


def test_without_an_anonymised_presentation_no_such_check(db: None) -> None:
    konsult = build_konsult(build_org())
    konsult.consent()
    konsult.book_consented()
    room = f"meeting:{konsult.meeting().id}"
    services.message_send(
        actor=konsult.user("nurse"), room=room, client_id=uuid.uuid4(), body="Lina kan få tid."
    )
    assert Message.objects.count() == 1


@pytest.fixture
def booked_committed(transactional_db: None) -> Konsult:
    konsult = build_konsult(build_org())
    konsult.book_anonymised()
    return konsult


async def test_the_error_frame_names_the_categories_not_the_values(
    booked_committed: Konsult, peers: Any
) -> None:
    konsult = booked_committed
    meeting = await database_sync_to_async(konsult.meeting)()
    room = f"meeting:{meeting.id}"
    peer = await peers(konsult.user("teacher"))
    await peer.subscribe(room)
    client_id = str(uuid.uuid4())
    await peer.send(
        {"type": "send", "room": room, "client_id": client_id, "body": "Gäller det Lina Andersson?"}
    )
    frame = await peer.expect("error", ref=client_id)
    assert frame["code"] == "identifier_in_message"
    assert "namn" in frame["message"]
    assert "Lina" not in frame["message"] and "Andersson" not in frame["message"]
    assert await database_sync_to_async(Message.objects.count)() == 0
    # The connection stays usable.
    await peer.ping()

"""message_edit and message_delete: new events and versions; nothing overwritten or lost."""

from __future__ import annotations

import uuid

import pytest

from audit.models import AuditEvent
from coordination import vault
from coordination.errors import NotFound
from coordination.models import Case
from realtime import services
from realtime.errors import MessageDeletedError, NotYourMessage
from realtime.models import Message, RoomEvent
from realtime.selectors import RoomTarget, room_events, room_target
from tests.fixtures import Org


def _send(org: Org, case: Case, body: str = "Första") -> services.Receipt:
    return services.message_send(
        actor=org.user("officer"), room=f"case:{case.id}", client_id=uuid.uuid4(), body=body
    )


def _target(org: Org, case: Case, name: str = "lead") -> RoomTarget:
    return room_target(user=org.user(name), room=f"case:{case.id}")


def test_an_edit_adds_a_version_and_an_event_and_keeps_the_first(org: Org, case: Case) -> None:
    sent = _send(org, case)
    client_id = uuid.uuid4()
    edited = services.message_edit(
        actor=org.user("officer"),
        room=f"case:{case.id}",
        message_id=uuid.UUID(sent.message_id),
        client_id=client_id,
        body="Rättad",
    )
    assert edited.seq == sent.seq + 1
    message = Message.objects.get(pk=sent.message_id)
    key = vault.case_data_key(case)
    texts = [
        vault.decrypt_value(key, str(case.id), f"message:{message.id}:{v.number}", v.ciphertext)
        for v in message.versions.all()
    ]
    assert texts == ["Första", "Rättad"]
    assert AuditEvent.objects.get(action="message.edited").detail["version"] == 2
    # The history shows both, each with the text of its version.
    batch = room_events(user=org.user("lead"), target=_target(org, case, "lead"), since=1, limit=10)
    assert [(e.event["kind"], e.event["body"]) for e in batch.events] == [
        ("message.created", "Första"),
        ("message.edited", "Rättad"),
    ]
    # Retried: the same answer, nothing more stored.
    again = services.message_edit(
        actor=org.user("officer"),
        room=f"case:{case.id}",
        message_id=uuid.UUID(sent.message_id),
        client_id=client_id,
        body="Rättad",
    )
    assert (again.seq, again.duplicate) == (edited.seq, True)
    assert message.versions.count() == 2


def test_only_the_writer_may_edit_or_delete(org: Org, case: Case) -> None:
    sent = _send(org, case)
    before = RoomEvent.objects.count(), AuditEvent.objects.count()
    with pytest.raises(NotYourMessage):
        services.message_edit(
            actor=org.user("lead"),
            room=f"case:{case.id}",
            message_id=uuid.UUID(sent.message_id),
            client_id=uuid.uuid4(),
            body="Ändrat av någon annan",
        )
    with pytest.raises(NotYourMessage):
        services.message_delete(
            actor=org.user("lead"),
            room=f"case:{case.id}",
            message_id=uuid.UUID(sent.message_id),
            client_id=uuid.uuid4(),
        )
    assert (RoomEvent.objects.count(), AuditEvent.objects.count()) == before


def test_a_message_of_another_room_is_not_found(org: Org, case: Case) -> None:
    from tests.fixtures import make_case

    sent = _send(org, case)
    other = make_case(org)
    with pytest.raises(NotFound):
        services.message_delete(
            actor=org.user("officer"),
            room=f"case:{other.id}",
            message_id=uuid.UUID(sent.message_id),
            client_id=uuid.uuid4(),
        )


def test_a_deletion_hides_the_text_from_every_view_but_keeps_it_stored(
    org: Org, case: Case
) -> None:
    sent = _send(org, case, "Fel ärende, ta bort")
    deleted = services.message_delete(
        actor=org.user("officer"),
        room=f"case:{case.id}",
        message_id=uuid.UUID(sent.message_id),
        client_id=uuid.uuid4(),
    )
    assert deleted.seq == sent.seq + 1
    message = Message.objects.get(pk=sent.message_id)
    assert message.deleted_at is not None and message.deleted_by == org.user("officer")
    assert message.versions.count() == 1  # stored, not erased
    batch = room_events(user=org.user("lead"), target=_target(org, case), since=1, limit=10)
    created, removed = (e.event for e in batch.events)
    assert (created["body"], created["hidden"]) == (None, "deleted")
    assert removed["kind"] == "message.deleted"
    assert removed["deleted_by"]["id"] == org.user("officer").pk
    with pytest.raises(MessageDeletedError):
        services.message_edit(
            actor=org.user("officer"),
            room=f"case:{case.id}",
            message_id=uuid.UUID(sent.message_id),
            client_id=uuid.uuid4(),
            body="Igen",
        )

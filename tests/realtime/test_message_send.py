"""message_send: stored encrypted with its seq and audit entry, published after commit."""

from __future__ import annotations

import uuid
from typing import Any
from unittest import mock

import pytest

from audit.models import AuditEvent
from coordination import services as case_services
from coordination import vault
from coordination.errors import CaseErasedError, NotFound
from coordination.models import Case, MeetingStatus, PresentationMode
from realtime import services
from realtime.errors import (
    EmptyMessage,
    IdentifyingText,
    MeetingClosed,
    MessageTooLarge,
    ReadOnlyRoom,
)
from realtime.models import Message, MessageVersion, RoomEvent, RoomKey
from tests.fixtures import Org, make_case
from tests.realtime.conftest import make_meeting, present


def _state() -> tuple[int, int, int, int]:
    return (
        Message.objects.count(),
        MessageVersion.objects.count(),
        RoomEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_message_is_stored_encrypted_with_its_seq_and_audit_entry_then_published(
    org: Org, case: Case, django_capture_on_commit_callbacks: Any
) -> None:
    room = f"case:{case.id}"
    client_id = uuid.uuid4()
    with mock.patch("realtime.publish._send") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            receipt = services.message_send(
                actor=org.user("officer"),
                room=room,
                client_id=client_id,
                body="Lina är hos sin syster.",
            )
        send.assert_not_called()  # nothing leaves before commit
        assert len(callbacks) == 1
        callbacks[0]()
    send.assert_called_once()
    assert send.call_args.args[0] == room
    assert send.call_args.args[1].kind == "message.created"
    assert send.call_args.kwargs == {"seq": 2}
    assert (receipt.room, receipt.seq, receipt.duplicate) == (room, 2, False)

    message = Message.objects.get(pk=receipt.message_id)
    assert (message.room, message.case, message.sender) == (room, case, org.user("officer"))
    version = message.versions.get()
    ciphertext = bytes(version.ciphertext)
    assert b"Lina" not in ciphertext and b"syster" not in ciphertext
    key = vault.case_data_key(case)
    assert (
        vault.decrypt_value(key, str(case.id), f"message:{message.id}:1", ciphertext)
        == "Lina är hos sin syster."
    )
    # Bound to its message: under another message's name it does not open.
    with pytest.raises(vault.VaultError):
        vault.decrypt_value(key, str(case.id), f"message:{uuid.uuid4()}:1", ciphertext)

    event = RoomEvent.objects.get(room=room, seq=2)
    assert event.kind == "message.created"
    assert event.case == case
    assert (event.actor, event.client_id) == (org.user("officer"), client_id)
    assert "syster" not in str(event.payload)
    entry = AuditEvent.objects.get(action="message.sent")
    assert entry.case_ref == case.reference
    assert entry.detail == {"room": room, "message": str(message.id)}
    assert entry.legal_basis == "owning_unit"


def test_a_repeated_client_id_is_answered_with_the_first_seq_and_stored_once(
    org: Org, case: Case
) -> None:
    room = f"case:{case.id}"
    client_id = uuid.uuid4()
    first = services.message_send(
        actor=org.user("officer"), room=room, client_id=client_id, body="Ett"
    )
    before = _state()
    again = services.message_send(
        actor=org.user("officer"), room=room, client_id=client_id, body="Ett"
    )
    assert (again.seq, again.message_id, again.duplicate) == (first.seq, first.message_id, True)
    assert _state() == before
    # Client ids are per person: another person's equal id is another message.
    other = services.message_send(
        actor=org.user("lead"), room=room, client_id=client_id, body="Två"
    )
    assert other.seq == first.seq + 1


def test_sequence_numbers_grow_by_one_per_room(org: Org, case: Case) -> None:
    other = make_case(org)
    seqs = []
    for room in [f"case:{case.id}", f"case:{other.id}", f"case:{case.id}", f"case:{case.id}"]:
        seqs.append(
            services.message_send(
                actor=org.user("officer"), room=room, client_id=uuid.uuid4(), body="x"
            ).seq
        )
    assert seqs == [2, 2, 3, 4]


@pytest.mark.parametrize("username", ["vuxen_officer", "teacher", "auditor", "admin"])
def test_someone_outside_the_case_cannot_write_and_nothing_changes(
    org: Org, case: Case, username: str
) -> None:
    before = _state()
    with pytest.raises(NotFound):
        services.message_send(
            actor=org.user(username), room=f"case:{case.id}", client_id=uuid.uuid4(), body="Hej"
        )
    assert _state() == before


@pytest.mark.parametrize(
    ("body", "error"),
    [("", EmptyMessage), (" \n\t", EmptyMessage), ("x" * 4001, MessageTooLarge)],
)
def test_empty_and_oversized_messages_are_refused(
    org: Org, case: Case, body: str, error: type[Exception]
) -> None:
    before = _state()
    with pytest.raises(error):
        services.message_send(
            actor=org.user("officer"), room=f"case:{case.id}", client_id=uuid.uuid4(), body=body
        )
    assert _state() == before


def test_the_longest_allowed_message_is_stored(org: Org, case: Case) -> None:
    receipt = services.message_send(
        actor=org.user("officer"), room=f"case:{case.id}", client_id=uuid.uuid4(), body="å" * 4000
    )
    assert receipt.seq == 2


def test_the_inbox_is_read_only(org: Org) -> None:
    before = _state()
    with pytest.raises(ReadOnlyRoom):
        services.message_send(
            actor=org.user("officer"), room="inbox", client_id=uuid.uuid4(), body="Hej"
        )
    assert _state() == before


def test_an_erased_case_takes_no_more_messages(org: Org, case: Case) -> None:
    case_services.case_erase(actor=org.user("lead"), case=case, reason="Gallringsfrist")
    before = _state()
    with pytest.raises(CaseErasedError):
        services.message_send(
            actor=org.user("officer"), room=f"case:{case.id}", client_id=uuid.uuid4(), body="Hej"
        )
    assert _state() == before


def test_a_closed_meeting_takes_no_more_messages(org: Org, case: Case) -> None:
    meeting = make_meeting(org, case=case, invited=["vuxen_lead"], status=MeetingStatus.CLOSED)
    with pytest.raises(MeetingClosed):
        services.message_send(
            actor=org.user("vuxen_lead"),
            room=f"meeting:{meeting.id}",
            client_id=uuid.uuid4(),
            body="Hej",
        )


def test_a_meeting_without_a_case_encrypts_under_its_own_room_key(org: Org, case: Case) -> None:
    meeting = make_meeting(
        org, case=None, invited=["teacher", "nurse"], internal=False, kind="consultative_group"
    )
    room = f"meeting:{meeting.id}"
    receipt = services.message_send(
        actor=org.user("teacher"), room=room, client_id=uuid.uuid4(), body="Vi kan erbjuda samtal."
    )
    message = Message.objects.get(pk=receipt.message_id)
    assert message.case is None and message.meeting == meeting
    key_row = RoomKey.objects.get(room=room)
    key = vault.unwrap_data_key(room, key_row.wrapped_key, key_row.key_id)
    blob = message.versions.get().ciphertext
    assert (
        vault.decrypt_value(key, room, f"message:{message.id}:1", blob) == "Vi kan erbjuda samtal."
    )
    # A second message reuses the room's key.
    services.message_send(
        actor=org.user("nurse"), room=room, client_id=uuid.uuid4(), body="Och vi."
    )
    assert RoomKey.objects.count() == 1


def test_a_personnummer_is_refused_where_a_case_is_presented_anonymised(
    org: Org, case: Case
) -> None:
    meeting = make_meeting(
        org, case=None, invited=["teacher"], internal=False, kind="consultative_group"
    )
    present(meeting, case, org.user("officer"), PresentationMode.ANONYMISED)
    room = f"meeting:{meeting.id}"
    before = _state()
    with pytest.raises(IdentifyingText):
        services.message_send(
            actor=org.user("teacher"),
            room=room,
            client_id=uuid.uuid4(),
            body="Gäller det 850612-2384?",
        )
    assert _state() == before
    # Text that identifies nobody passes; so does the number where no case is presented
    # anonymised (the case's own room).
    services.message_send(
        actor=org.user("teacher"),
        room=room,
        client_id=uuid.uuid4(),
        body="Vi kan erbjuda samtalsstöd varje vecka.",
    )
    services.message_send(
        actor=org.user("officer"),
        room=f"case:{case.id}",
        client_id=uuid.uuid4(),
        body="Pnr 850612-2384",
    )


def test_a_failure_storing_the_room_event_leaves_nothing_behind(org: Org, case: Case) -> None:
    # The message, its version, its audit entry and its room event are one transaction.
    before = _state()
    with (
        mock.patch(
            "realtime.statements.insert_numbered", side_effect=RuntimeError("database gone")
        ),
        pytest.raises(RuntimeError),
    ):
        services.message_send(
            actor=org.user("officer"), room=f"case:{case.id}", client_id=uuid.uuid4(), body="Hej"
        )
    assert _state() == before

"""Messages in rooms: writing, editing and deleting; and the bookkeeping of presence.

Each message change is stored (its text encrypted with the key of its case or room),
audited and given the room's next sequence number in one transaction, and announced
after commit. A client-chosen ``client_id`` makes every command idempotent: a repeated
id is answered with the first result and stores nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from consent import policy
from coordination import identity
from coordination.errors import CaseErasedError, DomainError, NotFound
from coordination.models import MeetingStatus, Presentation, PresentationMode
from coordination.services.consultation import check_anonymised_text
from realtime import events, keys, rooms, statements
from realtime.errors import (
    EmptyMessage,
    IdentifyingText,
    MeetingClosed,
    MessageDeletedError,
    MessageTooLarge,
    NotYourMessage,
    ReadOnlyRoom,
)
from realtime.models import Message, MessageVersion, Presence, RoomEvent
from realtime.publish import publish_on_commit
from realtime.selectors import RoomTarget, room_target

# Digits shaped like a personnummer or samordningsnummer, with or without century.
_IDENTITY_NUMBER = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


@dataclass(frozen=True)
class Receipt:
    """What an ``ack`` frame says: the command is stored as event ``seq`` in ``room``."""

    room: str  # as named on the wire
    seq: int
    message_id: str
    duplicate: bool


def max_message_chars() -> int:
    return int(getattr(settings, "SAMVERKA", {}).get("REALTIME_MAX_MESSAGE_CHARS", 4000))


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def _earlier(actor: Any, client_id: uuid.UUID) -> Receipt | None:
    row = RoomEvent.objects.filter(actor=actor, client_id=client_id).first()
    if row is None:
        return None
    return Receipt(
        room=rooms.wire_name(row.room),
        seq=row.seq,
        message_id=str(row.payload.get("message_id", "")),
        duplicate=True,
    )


def _once(actor: Any, client_id: uuid.UUID, command: Any, **kwargs: Any) -> Receipt:
    """Run ``command`` unless ``client_id`` was used before; then answer as the first time.

    A repeat is recognised by the unique constraint on (actor, client_id), so a first
    command costs no extra query: a repeated one (or two copies racing each other through
    two processes) has its transaction rolled back whole, audit entry included, and is
    answered with the first receipt. A repeat that can no longer run at all (the meeting
    closed, the message deleted) is answered with the first receipt too.
    """
    try:
        result: Receipt = command(actor=actor, client_id=client_id, **kwargs)
        return result
    except (IntegrityError, DomainError):
        earlier = _earlier(actor, client_id)
        if earlier is None:
            raise
        return earlier


def _writable(actor: Any, room: object) -> RoomTarget:
    target = room_target(user=actor, room=room)
    if target.name.kind == "inbox":
        raise ReadOnlyRoom()
    if target.meeting is not None and target.meeting.status == MeetingStatus.CLOSED:
        raise MeetingClosed()
    if target.case is not None and target.case.erased_at is not None:
        raise CaseErasedError()
    return target


def _clean_body(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyMessage()
    if len(text) > max_message_chars():
        raise MessageTooLarge(detail={"max_chars": max_message_chars()})
    return text


def _check_message_allowed(target: RoomTarget, text: str) -> None:
    """Refuse text that would point out a person where a case is presented anonymised.

    The disclosure policy says where the check applies. This is the one place where the
    text is examined before it is stored; the check looks for Swedish identity numbers.
    """
    if not policy.message_check_required(target.meeting):
        return
    for match in _IDENTITY_NUMBER.finditer(text):
        try:
            identity.normalise(match.group(0))
        except identity.InvalidIdentityNumber:
            continue
        raise IdentifyingText()
    # Then the identifiers of every case presented anonymised in the meeting (names,
    # addresses, schools …): the refusal names the categories found, never the values.
    for presentation in Presentation.objects.filter(
        meeting=target.meeting, mode=PresentationMode.ANONYMISED
    ).select_related("case__owning_unit__agency__municipality"):
        check_anonymised_text(presentation, text)


def _record(actor: Any, target: RoomTarget, action: str, detail: dict[str, Any]) -> None:
    basis = ""
    if target.case is not None:
        basis = target.decision(actor).basis
    record(
        actor=actor,
        action=action,
        case=target.case,
        legal_basis=basis,
        # A meeting room crosses unit boundaries: the meeting is the recipient.
        recipients=[target.wire] if target.meeting is not None else [],
        detail={"room": target.wire, **detail},
    )


def message_send(*, actor: Any, room: object, client_id: uuid.UUID, body: str) -> Receipt:
    """Write a message in a case or meeting room."""
    return _once(actor, client_id, _message_send, room=room, body=body)


@transaction.atomic
def _message_send(*, actor: Any, client_id: uuid.UUID, room: object, body: str) -> Receipt:
    target = _writable(actor, room)
    text = _clean_body(body)
    _check_message_allowed(target, text)
    message = Message(room=target.stored, case=target.case, meeting=target.meeting, sender=actor)
    # The case, meeting and sender were just read and checked; the id is a fresh uuid4
    # that the primary key guards anyway: no queries to look them up again.
    message.full_clean(exclude=["case", "meeting", "sender"], validate_unique=False)
    version = MessageVersion(
        message=message, number=1, ciphertext=keys.seal(message, 1, text), author=actor
    )
    statements.insert_together(message, version)
    stored = publish_on_commit(
        target.stored,
        events.MessageCreated(
            message_id=str(message.id),
            case_id=str(message.case_id or ""),
            version=1,
            sender=_person(actor),
            client_id=str(client_id),
            at=message.created_at.isoformat(),
        ),
        actor=actor,
        client_id=client_id,
        text=text,
    )
    # Last: the trail's head stays locked until the commit, and every writer waits for it.
    _record(actor, target, "message.sent", {"message": str(message.id)})
    return Receipt(room=target.wire, seq=stored.seq, message_id=str(message.id), duplicate=False)


def _own_message(actor: Any, target: RoomTarget, message_id: uuid.UUID) -> Message:
    message = Message.objects.select_for_update().filter(pk=message_id, room=target.stored).first()
    if message is None:
        raise NotFound()
    if message.sender_id != actor.pk:
        raise NotYourMessage()
    if message.deleted_at is not None:
        raise MessageDeletedError()
    return message


def message_edit(
    *, actor: Any, room: object, message_id: uuid.UUID, client_id: uuid.UUID, body: str
) -> Receipt:
    """Give one's own message a new text; the earlier versions stay stored."""
    return _once(actor, client_id, _message_edit, room=room, message_id=message_id, body=body)


@transaction.atomic
def _message_edit(
    *, actor: Any, client_id: uuid.UUID, room: object, message_id: uuid.UUID, body: str
) -> Receipt:
    target = _writable(actor, room)
    message = _own_message(actor, target, message_id)
    text = _clean_body(body)
    _check_message_allowed(target, text)
    number = message.versions.count() + 1
    version = MessageVersion.objects.create(
        message=message, number=number, ciphertext=keys.seal(message, number, text), author=actor
    )
    stored = publish_on_commit(
        target.stored,
        events.MessageEdited(
            message_id=str(message.id),
            case_id=str(message.case_id or ""),
            version=number,
            editor=_person(actor),
            client_id=str(client_id),
            at=version.created_at.isoformat(),
        ),
        actor=actor,
        client_id=client_id,
        text=text,
    )
    _record(actor, target, "message.edited", {"message": str(message.id), "version": number})
    return Receipt(room=target.wire, seq=stored.seq, message_id=str(message.id), duplicate=False)


def message_delete(
    *, actor: Any, room: object, message_id: uuid.UUID, client_id: uuid.UUID
) -> Receipt:
    """Delete one's own message: no view shows its text any more; nothing is erased."""
    return _once(actor, client_id, _message_delete, room=room, message_id=message_id)


@transaction.atomic
def _message_delete(
    *, actor: Any, client_id: uuid.UUID, room: object, message_id: uuid.UUID
) -> Receipt:
    target = _writable(actor, room)
    message = _own_message(actor, target, message_id)
    message.deleted_at = timezone.now()
    message.deleted_by = actor
    message.save(update_fields=["deleted_at", "deleted_by"])
    stored = publish_on_commit(
        target.stored,
        events.MessageDeleted(
            message_id=str(message.id),
            case_id=str(message.case_id or ""),
            deleted_by=_person(actor),
            client_id=str(client_id),
            at=message.deleted_at.isoformat(),
        ),
        actor=actor,
        client_id=client_id,
    )
    _record(actor, target, "message.deleted", {"message": str(message.id)})
    return Receipt(room=target.wire, seq=stored.seq, message_id=str(message.id), duplicate=False)


# --- presence ---------------------------------------------------------------------------
# Which connection has which room open. Connection bookkeeping, not case information:
# nothing here is audited (opening a room is, in selectors.room_open).


def presence_enter(*, user: Any, stored_room: str, channel: str) -> None:
    Presence.objects.update_or_create(
        room=stored_room, channel=channel, defaults={"user": user, "seen_at": timezone.now()}
    )


def presence_leave(*, channel: str, stored_rooms: list[str] | None = None) -> None:
    rows = Presence.objects.filter(channel=channel)
    if stored_rooms is not None:
        rows = rows.filter(room__in=stored_rooms)
    rows.delete()


def presence_refresh(*, channels: list[str]) -> None:
    """Keep these connections' rows fresh, and drop rows of connections that died."""
    from realtime.selectors import presence_stale_after

    now = timezone.now()
    Presence.objects.filter(channel__in=channels).update(seen_at=now)
    Presence.objects.filter(seen_at__lt=now - 2 * presence_stale_after()).delete()

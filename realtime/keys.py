"""Encryption of message text at rest: the key of the message's case, or of its room.

A message about a case (in the case's room, or in a meeting about the case) is sealed
with the case's data key, so erasing the case makes its messages unreadable too. A
meeting that belongs to no case has a data key of its own (``RoomKey``), wrapped by the
vault's key-encryption key with the room name bound in. Every text is bound to its
message and version, so a ciphertext moved to another message does not open.
"""

from __future__ import annotations

from coordination import vault
from coordination.models import Case
from realtime.models import Message, RoomKey


def _room_key(room: str, *, create: bool) -> bytes:
    if create:
        wrapped, key_id = vault.new_wrapped_data_key(room)
        row, _created = RoomKey.objects.get_or_create(
            room=room, defaults={"wrapped_key": wrapped, "key_id": key_id}
        )
    else:
        row = RoomKey.objects.get(room=room)
    return vault.unwrap_data_key(room, row.wrapped_key, row.key_id)


def _owner(case: Case | None, room: str) -> str:
    return str(case.id) if case is not None else room


def _field(message: Message, number: int) -> str:
    return f"message:{message.id}:{number}"


def seal(message: Message, number: int, text: str) -> bytes:
    """The text of version ``number`` of ``message``, encrypted (creates a room key if needed)."""
    if message.case is not None:
        key = vault.case_data_key(message.case)
    else:
        key = _room_key(message.room, create=True)
    return vault.encrypt_value(
        key, _owner(message.case, message.room), _field(message, number), text
    )


class KeyRing:
    """Data keys unwrapped once per batch of messages being shown."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}

    def _key(self, message: Message) -> bytes:
        owner = _owner(message.case, message.room)
        if owner not in self._keys:
            if message.case is not None:
                self._keys[owner] = vault.case_data_key(message.case)
            else:
                self._keys[owner] = _room_key(message.room, create=False)
        return self._keys[owner]

    def open(self, message: Message, number: int, blob: bytes | memoryview) -> str:
        """The text; ``vault.CaseErased`` once the message's case has been erased."""
        value = vault.decrypt_value(
            self._key(message), _owner(message.case, message.room), _field(message, number), blob
        )
        return str(value)

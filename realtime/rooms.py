"""Room names of protocol v1 and the channel-layer groups behind them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

INBOX = "inbox"


def case_room(case_id: uuid.UUID | str) -> str:
    return f"case:{case_id}"


def meeting_room(meeting_id: uuid.UUID | str) -> str:
    return f"meeting:{meeting_id}"


def inbox_room(user_id: int) -> str:
    # Each person's own inbox; on the wire the person subscribes to "inbox".
    return f"inbox:{user_id}"


def group_name(room: str) -> str:
    """Channel-layer group names allow only ASCII letters, digits, '-', '_' and '.'."""
    return "room." + room.replace(":", ".")


def user_group(user_id: int) -> str:
    """Every connection of one person: told when that person's access may have changed."""
    return f"realtime.user.{user_id}"


# Every connection: told when anyone's access may have changed.
EVERYONE_GROUP = "realtime.everyone"


@dataclass(frozen=True)
class RoomName:
    """A room as named on the wire, and the room it is stored under."""

    wire: str  # "case:<uuid>", "meeting:<uuid>" or "inbox"
    kind: str  # "case", "meeting" or "inbox"
    object_id: uuid.UUID | None  # the case or meeting; None for the inbox
    stored: str  # the inbox is stored per person: "inbox:<user id>"


def parse(wire: object, user_id: int) -> RoomName | None:
    """The room a client named, or None when the name is not a room of protocol v1."""
    if not isinstance(wire, str) or len(wire) > 80:
        return None
    if wire == INBOX:
        return RoomName(wire=INBOX, kind="inbox", object_id=None, stored=inbox_room(user_id))
    kind, _sep, raw_id = wire.partition(":")
    if kind not in ("case", "meeting"):
        return None
    try:
        object_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    # The canonical spelling, so "CASE:..." or braces never name a second room.
    canonical = f"{kind}:{object_id}"
    if canonical != wire:
        return None
    return RoomName(wire=wire, kind=kind, object_id=object_id, stored=wire)


def wire_name(stored: str) -> str:
    """The name a client uses for a stored room."""
    return INBOX if stored.startswith("inbox:") else stored

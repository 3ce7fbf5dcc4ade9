"""Room names of protocol v1 and the channel-layer groups behind them."""

from __future__ import annotations

import uuid


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

"""``publish_on_commit``: the one way services send realtime events.

An event is stored as a ``RoomEvent`` with the room's next sequence number inside the
caller's transaction, and announced on the channel layer only after that transaction
commits: no one hears of a change that was rolled back, and nothing announced can be
missing from the database. The announcement carries only the room and the number;
each connection reads the event itself from the database and renders the view its
person may see. Redis is a fast path: if an announcement is lost, the next one, the
connection's periodic catch-up or a reconnect with ``since`` delivers the event.

Call it after ``audit.services.record`` (as every service does): writers take the audit
head's lock first and the room's row lock second, always in that order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction

from realtime import rooms, statements
from realtime.events import Event
from realtime.models import RoomEvent, RoomSequence

logger = logging.getLogger(__name__)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, "SAMVERKA", {}).get(name, default))


@functools.cache
def _next_seq_sql() -> str:
    """Hands out the room's next number; its row stays locked until the caller's
    transaction ends."""
    table = connection.ops.quote_name(RoomSequence._meta.db_table)
    return (
        f"INSERT INTO {table} (room, last) VALUES (%s, 1) "  # noqa: S608 - table name from the model
        f"ON CONFLICT (room) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )


def _event_case_id(room: str, event: Event, has_views: bool) -> uuid.UUID | None:
    """The case whose disclosure rules decide who sees this event, if any."""
    if room.startswith("case:"):
        return uuid.UUID(room.partition(":")[2])
    if room.startswith("meeting:") or has_views:
        value = getattr(event, "case_id", None)
        return uuid.UUID(str(value)) if value else None
    return None


def append_event(
    room: str, event: Event, *, actor: Any = None, client_id: uuid.UUID | None = None
) -> RoomEvent:
    """Store ``event`` in ``room`` with the room's next sequence number."""
    views = event.views()
    payload = {"kind": event.kind, "views": views} if views is not None else event.payload()
    # Inside the caller's transaction no savepoint is needed: a failure here fails it whole.
    with transaction.atomic(savepoint=False):
        stored = RoomEvent(
            room=room,
            kind=event.kind,
            payload=payload,
            case_id=_event_case_id(room, event, views is not None),
            actor=actor if actor is not None and actor.is_authenticated else None,
            client_id=client_id,
        )
        # The room's next number and the row, in one statement where the database can.
        statements.insert_numbered(stored, "seq", _next_seq_sql(), [room])
        return stored


async def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Bounded: a frozen Redis must not hold up the caller (nor the database thread the
    # caller may share with every other connection of this process). A timeout, not
    # wait_for: no task of its own for every announcement.
    async with asyncio.timeout(_setting("REALTIME_PUBLISH_TIMEOUT", 1.0)):
        await layer.group_send(group, message)


_serving: tuple[asyncio.AbstractEventLoop, int] | None = None
# The hub's way to take an event this process just stored, so that its own connections
# are served without reading the event back: (room, stored row, message text).
_offer: Callable[[str, RoomEvent, str], None] | None = None


def serve_from_this_loop(offer: Callable[[str, RoomEvent, str], None]) -> None:
    """Called by the connections' hub when it starts in this process's serving loop."""
    global _serving, _offer
    _serving = (asyncio.get_running_loop(), threading.get_ident())
    _offer = offer


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this process serves connections on, when it runs in another thread
    than this one (a database thread): announcements can be handed to it without waiting.
    """
    if _serving is None:
        return None
    loop, thread = _serving
    if loop.is_closed() or not loop.is_running() or thread == threading.get_ident():
        return None
    return loop


def _announce(group: str, message: dict[str, Any]) -> None:
    loop = serving_loop()
    if loop is not None:
        # In a database thread of a serving process: the loop sends it, nobody waits.
        future = asyncio.run_coroutine_threadsafe(_group_send(group, message), loop)
        future.add_done_callback(functools.partial(_announced, group))
        return
    try:
        async_to_sync(_group_send)(group, message)
    except Exception:  # the layer is a fast path; the database stays the source of truth
        logger.warning("realtime announcement to %s failed", group, exc_info=True)


def _announced(group: str, future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("realtime announcement to %s failed", group, exc_info=future.exception())


def _send(room: str, event: Event, *, seq: int) -> None:
    _announce(rooms.group_name(room), {"type": "room.event", "room": room, "seq": seq})


def publish_on_commit(
    room: str,
    event: Event,
    *,
    actor: Any = None,
    client_id: uuid.UUID | None = None,
    text: str | None = None,
) -> RoomEvent:
    """Store ``event`` in ``room`` now; announce it once the transaction commits.

    ``text`` is the message text a message event refers to (stored encrypted by the
    caller): this process's own connections are then served from memory.
    """
    stored = append_event(room, event, actor=actor, client_id=client_id)
    seq = stored.seq

    def committed() -> None:
        if text is not None:
            _offer_locally(room, stored, text)
        _send(room, event, seq=seq)

    transaction.on_commit(committed)
    return stored


def _offer_locally(room: str, stored: RoomEvent, text: str) -> None:
    loop = serving_loop()
    if loop is not None and _offer is not None:
        loop.call_soon_threadsafe(_offer, room, stored, text)


def _announce_access_changed(user_ids: list[int] | None) -> None:
    if user_ids is None:
        _announce(rooms.EVERYONE_GROUP, {"type": "access.changed"})
        return
    for user_id in user_ids:
        # A process hears every person's group on one channel: the message names whom.
        _announce(rooms.user_group(user_id), {"type": "access.changed", "user": user_id})


def access_changed_on_commit(user_ids: list[int] | None) -> None:
    """After commit, tell the open connections of these people (None: everyone) to check
    again what they may still see. Call it from every change that can take access away.
    """
    ids = None if user_ids is None else sorted({int(i) for i in user_ids})
    if ids == []:
        return
    transaction.on_commit(lambda: _announce_access_changed(ids))

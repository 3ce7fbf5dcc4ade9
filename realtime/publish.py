"""``publish_on_commit``: the one way services send realtime events.

Events leave only after the transaction that caused them commits, so no one hears of a
change that was rolled back.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.events import Event
from realtime.rooms import group_name

logger = logging.getLogger(__name__)


def _send(room: str, event: Event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            group_name(room), {"type": "room.event", "room": room, "event": event.payload()}
        )
    except Exception:  # the layer is a fast path; the database stays the source of truth
        logger.warning("realtime publish to %s failed", room, exc_info=True)


def publish_on_commit(room: str, event: Event) -> None:
    transaction.on_commit(lambda: _send(room, event))

"""Configurations B and C of the realtime benchmark: Daphne, one broadcast consumer and a
channel layer (in-memory for B, Redis for C), with no authentication, policy, database
or encryption. It answers the same frames as configuration A and as Samverka's consumer.

    DJANGO_SETTINGS_MODULE=bench.channels_settings daphne bench.channels_app:application
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.channels_settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

# One Daphne process serves B or C, so a counter in the process numbers each room's
# events as Samverka's database does.
_seqs: defaultdict[str, int] = defaultdict(int)


def _group(room: str) -> str:
    return "room." + room.replace(":", ".")


class BroadcastConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.rooms: set[str] = set()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for room in self.rooms:
            await self.channel_layer.group_discard(_group(room), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = json.loads(text_data or "{}")
        kind, room = frame.get("type"), frame.get("room")
        if kind == "subscribe" and isinstance(room, str):
            self.rooms.add(room)
            await self.channel_layer.group_add(_group(room), self.channel_name)
            await self._send({"type": "subscribed", "room": room, "seq": _seqs[room]})
        elif kind == "send" and room in self.rooms:
            _seqs[room] += 1
            seq = _seqs[room]
            await self._send(
                {"type": "ack", "client_id": frame.get("client_id"), "room": room, "seq": seq}
            )
            await self.channel_layer.group_send(
                _group(room),
                {
                    "type": "room.event",
                    "room": room,
                    "seq": seq,
                    "client_id": frame.get("client_id"),
                    "body": frame.get("body"),
                },
            )
        elif kind == "ping":
            await self._send({"type": "pong"})

    async def room_event(self, message: dict[str, Any]) -> None:
        await self._send(
            {
                "type": "event",
                "room": message["room"],
                "seq": message["seq"],
                "event": {
                    "kind": "message.created",
                    "client_id": message["client_id"],
                    "body": message["body"],
                },
            }
        )

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/v1/", BroadcastConsumer.as_asgi())])}
)

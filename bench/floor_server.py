"""Configuration A of the realtime benchmark: a plain ``websockets`` broadcast server.

The floor: no Django, no channel layer, no database. It speaks the part of protocol v1
the benchmark uses (``subscribe``, ``send``; answers ``subscribed``, ``ack`` and
``event`` frames of the same shape as Samverka's), numbering each room's events from 1.

    python bench/floor_server.py --port 8765 [--drop-every N] [--hold-every N]

For the harness's own tests: ``--drop-every N`` leaves out every N-th event (it must see
the loss); ``--hold-every N`` sends every N-th event after the next one, or 50 ms late if
none comes (it must see the disorder, and count nothing lost).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

members: defaultdict[str, set[ServerConnection]] = defaultdict(set)
seqs: defaultdict[str, int] = defaultdict(int)
drop_every = 0
hold_every = 0
held: dict[str, str] = {}  # room -> the event held back


def _release(room: str) -> None:
    text = held.pop(room, None)
    if text is not None:
        broadcast(members[room], text)


def _reply(ws: ServerConnection, frame: dict[str, object]) -> None:
    # Written like the broadcasts, without waiting: a connection with an awaited send in
    # progress is skipped by ``broadcast``, which would lose events.
    broadcast([ws], json.dumps(frame))


async def handler(ws: ServerConnection) -> None:
    joined: set[str] = set()
    try:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            room = frame.get("room")
            if kind == "subscribe" and isinstance(room, str):
                members[room].add(ws)
                joined.add(room)
                _reply(ws, {"type": "subscribed", "room": room, "seq": seqs[room]})
            elif kind == "send" and room in joined:
                seqs[room] += 1
                seq = seqs[room]
                client_id = frame.get("client_id")
                _reply(ws, {"type": "ack", "client_id": client_id, "room": room, "seq": seq})
                event = {
                    "type": "event",
                    "room": room,
                    "seq": seq,
                    "event": {
                        "kind": "message.created",
                        "client_id": client_id,
                        "body": frame.get("body"),
                    },
                }
                text = json.dumps(event, ensure_ascii=False)
                if drop_every and seq % drop_every == 0:
                    continue
                if hold_every and seq % hold_every == 0:
                    held[room] = text
                    asyncio.get_running_loop().call_later(0.05, _release, room)
                    continue
                broadcast(members[room], text)
                _release(room)
            elif kind == "ping":
                _reply(ws, {"type": "pong"})
    except ConnectionClosed:
        pass
    finally:
        for room in joined:
            members[room].discard(ws)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--drop-every", type=int, default=0)
    parser.add_argument("--hold-every", type=int, default=0)
    args = parser.parse_args()
    drop_every, hold_every = args.drop_every, args.hold_every
    asyncio.run(main(args.port))

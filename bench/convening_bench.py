"""The convening benchmark: from calling ``meeting_convene`` to the call (``meeting.called``)
arriving on the sockets of the 10 section leads it calls, through Samverka's full path.

The leads are connected to a Daphne process of the full stack (bench/full_stack.py) and
subscribed to their inboxes; the service runs in this process against the same database
and Redis, as a web request would. Each latency runs from just before the service is
called to the frame's arrival, so it includes the service's own transaction (meeting,
invitations, disclosure record, audit entries) and the delivery. The service's own
duration is reported beside it.

    python bench/convening_bench.py [--repetitions 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.full_stack import FullStack  # noqa: E402
from bench.realtime_bench import percentile  # noqa: E402


def _setup_django(stack: FullStack) -> None:
    os.environ.update(stack.env())
    import django

    django.setup()


def _convene(seed: dict[str, Any]) -> tuple[str, float, float]:
    """Call the service once; (meeting id, start, end) on the perf_counter clock."""
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    from coordination import services
    from coordination.models import Case, Routine, Unit

    close_old_connections()
    actor = get_user_model().objects.get(pk=seed["actor_id"])
    case = Case.objects.get(pk=seed["case_id"])
    routine = Routine.objects.get(pk=seed["routine_id"])
    units = list(Unit.objects.filter(pk__in=seed["unit_ids"]))
    start = time.perf_counter()
    meeting = services.meeting_convene(actor=actor, case=case, routine=routine, units=units)
    end = time.perf_counter()
    return str(meeting.id), start, end


async def measure(stack: FullStack, url: str, repetitions: int) -> dict[str, Any]:
    seed = stack.seed["convene"]
    arrivals: dict[str, list[float]] = {}
    sockets: list[ClientConnection] = []
    subscribed = 0
    ready = asyncio.Event()

    async def read(ws: ClientConnection) -> None:
        nonlocal subscribed
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "subscribed":
                    subscribed += 1
                    if subscribed == len(stack.seed["leads"]):
                        ready.set()
                elif frame.get("type") == "event":
                    event = frame.get("event") or {}
                    if event.get("kind") == "meeting.called":
                        arrivals.setdefault(str(event.get("meeting_id")), []).append(now)

    readers = []
    pauses = _GcPauses()
    try:
        for key in stack.seed["leads"]:
            ws = await connect(
                url,
                origin="http://127.0.0.1",  # type: ignore[arg-type]
                additional_headers={"Cookie": f"{stack.session_cookie}={key}"},
                compression=None,
                ping_interval=None,
            )
            sockets.append(ws)
            readers.append(asyncio.create_task(read(ws)))
            # Only calls from now on: the inbox is read from its latest event.
            await ws.send(json.dumps({"type": "subscribe", "room": "inbox", "since": 10**12}))
        await asyncio.wait_for(ready.wait(), 60)

        latencies: list[float] = []
        service: list[float] = []
        missing = 0
        for n in range(repetitions + 1):  # the first is a warm-up
            meeting_id, start, end = await asyncio.to_thread(_convene, seed)
            deadline = time.monotonic() + 10
            while len(arrivals.get(meeting_id, [])) < len(sockets) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            got = arrivals.get(meeting_id, [])
            if n == 0:
                # As a server does after start-up (asgi.py): what is loaded by now lives as
                # long as the process, and full collections no longer go through it.
                gc.collect()
                gc.freeze()
                gc.callbacks.append(pauses)
                continue
            missing += len(sockets) - len(got)
            latencies += [(t - start) * 1000.0 for t in got]
            service.append((end - start) * 1000.0)
            await asyncio.sleep(0.05)
    finally:
        if pauses in gc.callbacks:
            gc.callbacks.remove(pauses)
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        for task in readers:
            task.cancel()
    return {
        "leads": len(sockets),
        "repetitions": repetitions,
        "samples": len(latencies),
        "missing": missing,
        "p50_ms": _round(percentile(latencies, 50)),
        "p95_ms": _round(percentile(latencies, 95)),
        "p99_ms": _round(percentile(latencies, 99)),
        "max_ms": _round(max(latencies) if latencies else None),
        "service_p50_ms": _round(percentile(service, 50)),
        "service_p99_ms": _round(percentile(service, 99)),
        # Garbage collections of the oldest generation in this process while measuring
        # (the service runs here): how many, and the longest.
        "gc_full_collections": pauses.count,
        "gc_longest_ms": _round(pauses.longest * 1000.0),
    }


class _GcPauses:
    """A ``gc.callbacks`` entry timing the collections of the oldest generation."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.longest = max(self.longest, time.perf_counter() - self._started)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def run(stack: FullStack, repetitions: int) -> dict[str, Any]:
    _setup_django(stack)
    daphne = stack.daphne("daphne-convening")
    daphne.start()
    try:
        return asyncio.run(measure(stack, f"ws://127.0.0.1:{daphne.port}/ws/v1/", repetitions))
    finally:
        daphne.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()
    with FullStack(rooms=1) as stack:
        print(json.dumps(run(stack, args.repetitions), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

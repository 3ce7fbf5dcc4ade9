"""The realtime benchmark: one client harness, four server configurations in turn.

A  a plain ``websockets`` broadcast server (bench/floor_server.py): the floor;
B  Daphne with a broadcast consumer and the in-memory channel layer (bench/channels_app.py);
C  the same with the Redis channel layer;
D  Samverka's full path: session authentication, policy, encryption, PostgreSQL, audit,
   Redis (``asgi:application`` with production settings, bench/full_stack.py).

Every configuration is started afresh for each trial and the trials go A B C D A B C D …,
so a drift in the machine's load touches all of them alike. For each number of sockets
(rooms of 8 members, the last room smaller when the number does not divide):

* memory per connection: the servers' resident memory before and after opening the sockets;
* latency: an open-loop send rate (``--rate`` sends per second, spread over every member
  of every room); each delivery's latency is measured from the moment the send was
  *scheduled*, so a slow server cannot hide its queueing by slowing the sender down;
* throughput: a closed loop with ``--window`` messages in flight per room (a room's next
  message goes out once every member has the last one), so the servers run flat out
  without an unbounded queue; deliveries per second over the window;
* lost messages: every message carries its sender and the sender's own counter, so each
  member knows exactly which deliveries it should get; after each phase the harness waits
  for the stragglers as long as they keep coming (a pause longer than Samverka's catch-up
  tick, ``--stall``, or ``--drain-cap`` ends the wait). Gaps in a room's sequence numbers
  are counted too, and deliveries that arrive after one with a higher number (out of
  order: the Redis layer does not keep the order of concurrent group sends; Samverka's
  protocol does);
* server CPU per delivery over the throughput window (robust when the machine is shared).

    python bench/realtime_bench.py --configs ABCD --sizes 50,200,500 --trials 5 --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.full_stack import (  # noqa: E402
    DAPHNE,
    PYTHON,
    ROOM_SIZE,
    FullStack,
    Process,
    free_port,
)

CONFIGS = {
    "A": "websockets broadcast server (floor)",
    "B": "Daphne + consumer + in-memory channel layer",
    "C": "Daphne + consumer + Redis channel layer",
    "D": "Samverka full path: session auth, policy, encryption, PostgreSQL, audit, Redis",
}
KEY_BASE = 1_000_000  # a message key is sender * KEY_BASE + the sender's counter
_RUNS = itertools.count(1)  # each run marks its bodies, so a replay of an earlier run's
# message (same sender and counter) is never taken for one of this run's


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children in KiB, from /proc."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


# -- the servers under test --------------------------------------------------------------


class Server:
    """A configuration under test: where to connect, as whom, which processes to weigh."""

    name = ""
    origin = "http://127.0.0.1"
    room_names: list[str]

    def __init__(self) -> None:
        self.processes: list[Process] = []
        self.last_seq: dict[str, int] = {}  # what a client remembers per room

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def url(self, socket_index: int) -> str:
        process = self.processes[socket_index % len(self.processes)]
        return f"ws://127.0.0.1:{process.port}/ws/v1/"

    def cookie(self, room: int, member: int) -> str | None:
        return None

    def start(self) -> None:
        self.last_seq = {}
        for process in self.processes:
            process.start()

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def describe(self) -> dict[str, Any]:
        return {"what": CONFIGS[self.name], "processes": len(self.processes)}


def _synthetic_rooms(count: int) -> list[str]:
    return [f"case:{uuid.uuid4()}" for _ in range(count)]


class FloorServer(Server):
    name = "A"

    def __init__(self, rooms: int, log_dir: Path, drop_every: int = 0, hold_every: int = 0) -> None:
        super().__init__()
        self.room_names = _synthetic_rooms(rooms)
        port = free_port()
        command = [PYTHON, str(ROOT / "bench" / "floor_server.py"), "--port", str(port)]
        if drop_every:
            command += ["--drop-every", str(drop_every)]
        if hold_every:
            command += ["--hold-every", str(hold_every)]
        self.processes = [
            Process(
                command,
                {**os.environ, "PYTHONUNBUFFERED": "1"},
                log_dir / "floor.log",
                port,
            )
        ]


class ChannelsServer(Server):
    def __init__(self, name: str, rooms: int, log_dir: Path, redis_url: str = "") -> None:
        super().__init__()
        self.name = name
        self.room_names = _synthetic_rooms(rooms)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.channels_settings",
            "BENCH_REDIS_SOCKET_TIMEOUT": os.environ.get("BENCH_REDIS_SOCKET_TIMEOUT", ""),
            "PYTHONUNBUFFERED": "1",
        }
        if redis_url:
            env["BENCH_REDIS_URL"] = redis_url
        port = free_port()
        self.processes = [
            Process(
                [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "bench.channels_app:application"],
                env,
                log_dir / f"channels-{name}.log",
                port,
            )
        ]


class FullServer(Server):
    name = "D"

    def __init__(self, stack: FullStack) -> None:
        super().__init__()
        self.stack = stack
        self.room_names = [room["room"] for room in stack.seed["rooms"]]
        self.processes = [stack.daphne("daphne-D")]
        self.remembered: dict[str, int] = {}

    def start(self) -> None:
        super().start()
        # The database outlives the process: clients resume from what they saw before.
        self.last_seq = self.remembered

    def cookie(self, room: int, member: int) -> str | None:
        key = self.stack.seed["rooms"][room]["sessions"][member]
        return f"{self.stack.session_cookie}={key}"

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "settings": "SAMVERKA_ENV=production (DEBUG off, persistent database connections)",
        }


# -- the harness -------------------------------------------------------------------------


@dataclass
class Member:
    index: int
    room: int
    room_name: str
    ws: ClientConnection | None = None
    last: int = 0  # the last room seq seen
    counter: int = 0  # messages this member sent
    seen: set[int] = field(default_factory=set)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None


@dataclass
class Params:
    sizes: list[int]
    trials: int = 5
    rate: float = 100.0
    latency_seconds: float = 3.0
    throughput_seconds: float = 2.0
    window: int = 2
    stall: float = 7.0
    connect_cap: float = 90.0
    drain_cap: float = 60.0
    warmup_sockets: int = 16
    warmup_seconds: float = 1.0


class Run:
    """One configuration with one number of sockets: connect, measure, close."""

    def __init__(self, server: Server, sockets: int) -> None:
        self.server = server
        self.prefix = f"m{next(_RUNS)} "
        self.members = [
            Member(i, i // ROOM_SIZE, server.room_names[i // ROOM_SIZE]) for i in range(sockets)
        ]
        rooms = (sockets + ROOM_SIZE - 1) // ROOM_SIZE
        self.room_members = [[m for m in self.members if m.room == r] for r in range(rooms)]
        self.sent_at: dict[int, float] = {}
        self.phase_of: dict[int, str] = {}
        self.delivered: dict[int, int] = {}
        self.pending: dict[str, tuple[Member, int]] = {}
        self.expected = 0
        self.received = 0
        self.duplicates = 0
        self.gaps = 0
        self.reordered = 0  # delivered after an event with a higher number
        self.errors: dict[str, int] = {}
        self.latencies: list[float] = []
        self.phase = ""
        self.window_open = False
        self.window_deliveries = 0
        self.closed_loop = False
        self.next_sender: list[int] = [0] * rooms
        self.progress = asyncio.Event()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closed_unexpectedly = 0
        self.connect_retries = 0

    # -- connections
    async def open(self, deadline: float) -> None:
        """Connect and subscribe every member; a refused or dropped handshake is tried
        again after a pause, as a browser would, until ``deadline`` (monotonic clock).
        """
        limit = asyncio.Semaphore(25)

        async def one(member: Member) -> None:
            async with limit:
                cookie = self.server.cookie(member.room, member.index % ROOM_SIZE)
                headers = {"Cookie": cookie} if cookie else {}
                while True:
                    try:
                        member.ws = await connect(
                            self.server.url(member.index),
                            origin=self.server.origin,  # type: ignore[arg-type]
                            additional_headers=headers,
                            compression=None,
                            ping_interval=None,
                            open_timeout=max(1.0, deadline - time.monotonic()),
                            close_timeout=2,
                            max_queue=256,
                        )
                        break
                    except (OSError, TimeoutError, InvalidHandshake):
                        self.connect_retries += 1
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.5)
                member.last = self.server.last_seq.get(member.room_name, 0)
                member.reader = asyncio.create_task(self._read(member))
                await member.ws.send(
                    json.dumps(
                        {"type": "subscribe", "room": member.room_name, "since": member.last}
                    )
                )
                await asyncio.wait_for(
                    member.subscribed.wait(), max(1.0, deadline - time.monotonic())
                )

        await asyncio.gather(*(one(m) for m in self.members))

    async def close(self) -> None:
        for member in self.members:
            if member.ws is not None:
                with contextlib.suppress(Exception):
                    await member.ws.close()
        for member in self.members:
            if member.reader is not None:
                member.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await member.reader
        for member in self.members:
            name = member.room_name
            self.server.last_seq[name] = max(self.server.last_seq.get(name, 0), member.last)

    async def _read(self, member: Member) -> None:
        assert member.ws is not None
        try:
            async for raw in member.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "event":
                    self._on_event(member, frame, now)
                elif kind == "subscribed":
                    member.last = max(member.last, int(frame["seq"]))
                    member.subscribed.set()
                elif kind == "ack":
                    self.pending.pop(str(frame.get("client_id")), None)
                elif kind == "error":
                    self._on_error(frame)
        except ConnectionClosed:
            self.closed_unexpectedly += 1

    def _on_event(self, member: Member, frame: dict[str, Any], now: float) -> None:
        seq = int(frame["seq"])
        event = frame.get("event") or {}
        body = str(event.get("body"))
        ours = event.get("kind") == "message.created" and body.startswith(self.prefix)
        key = int(body[len(self.prefix) :]) if ours else None  # one of this run's messages
        if seq <= member.last:
            if key is None or key in member.seen:
                return  # a replay of something already held
            # Not held yet: it arrives after an event with a higher number. It is counted
            # as delivered, and as out of order (a gap was counted when the later came).
            self.reordered += 1
        else:
            if seq != member.last + 1 and member.subscribed.is_set():
                self.gaps += 1
            member.last = seq
        if key is None:
            return
        if key in member.seen:
            self.duplicates += 1
            return
        member.seen.add(key)
        sent = self.sent_at.get(key)
        if sent is None:
            return
        self.received += 1
        if self.phase_of[key] == "latency":
            self.latencies.append((now - sent) * 1000.0)
        if self.window_open:
            self.window_deliveries += 1
        count = self.delivered[key] = self.delivered.get(key, 0) + 1
        sender_room = (key // KEY_BASE) // ROOM_SIZE
        if self.closed_loop and count == len(self.room_members[sender_room]):
            self._spawn(self._send_next(sender_room))
        self.progress.set()

    def _on_error(self, frame: dict[str, Any]) -> None:
        code = str(frame.get("code"))
        self.errors[code] = self.errors.get(code, 0) + 1
        ref = str(frame.get("ref"))
        if code == "rate_limited" and ref in self.pending:
            member, key = self.pending[ref]
            self._spawn(self._resend(member, key, ref))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- sending
    async def _send(self, member: Member, scheduled: float) -> None:
        member.counter += 1
        key = member.index * KEY_BASE + member.counter
        self.sent_at[key] = scheduled
        self.phase_of[key] = self.phase
        self.expected += len(self.room_members[member.room])
        client_id = str(uuid.uuid4())
        self.pending[client_id] = (member, key)
        await self._frame(member, key, client_id)

    async def _frame(self, member: Member, key: int, client_id: str) -> None:
        assert member.ws is not None
        with contextlib.suppress(ConnectionClosed):
            await member.ws.send(
                json.dumps(
                    {
                        "type": "send",
                        "room": member.room_name,
                        "client_id": client_id,
                        "body": f"{self.prefix}{key}",
                    }
                )
            )

    async def _resend(self, member: Member, key: int, client_id: str) -> None:
        await asyncio.sleep(0.2)
        await self._frame(member, key, client_id)

    async def _send_next(self, room: int) -> None:
        people = self.room_members[room]
        member = people[self.next_sender[room] % len(people)]
        self.next_sender[room] += 1
        await self._send(member, time.perf_counter())

    async def drain(self, stall: float, cap: float) -> str:
        """Wait for every expected delivery while they keep coming: until none has arrived
        for ``stall`` seconds (longer than Samverka's catch-up tick) or ``cap`` has passed.
        """
        start = last_progress = time.monotonic()
        seen = self.received
        while self.received < self.expected:
            now = time.monotonic()
            if now - last_progress >= stall:
                return "stalled"
            if now - start >= cap:
                return "cap"
            self.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait(), 0.2)
            if self.received != seen:
                seen, last_progress = self.received, time.monotonic()
        return "complete"

    # -- the phases
    async def open_loop(self, rate: float, seconds: float) -> float:
        """Sends at ``rate`` per second, each member in turn; returns the phase's length."""
        self.phase = "latency"
        order = [
            people[m] for m in range(ROOM_SIZE) for people in self.room_members if m < len(people)
        ]
        total = max(1, int(rate * seconds))
        start = time.perf_counter() + 0.05
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._send(order[i % len(order)], scheduled)
        return time.perf_counter() - start

    async def closed_loop_phase(
        self, window: int, seconds: float, pids: list[int]
    ) -> tuple[int, float, float]:
        self.phase = "throughput"
        self.closed_loop = True
        self.window_deliveries = 0
        for room in range(len(self.room_members)):
            for _ in range(window):
                self._spawn(self._send_next(room))
        await asyncio.sleep(min(0.5, seconds / 4))  # reach a steady state first
        cpu = sum(cpu_seconds(pid) for pid in pids)
        self.window_open = True
        start = time.perf_counter()
        await asyncio.sleep(seconds)
        self.window_open = False
        elapsed = time.perf_counter() - start
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
        self.closed_loop = False
        # Sends already triggered go out before the drain counts what is expected.
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        return self.window_deliveries, elapsed, cpu


async def measure(
    server: Server, sockets: int, params: Params, *, record: bool = True
) -> dict[str, Any]:
    run = Run(server, sockets)
    before = sum(rss_kib(pid) for pid in server.pids)
    opened = time.perf_counter()
    try:
        try:
            await run.open(time.monotonic() + params.connect_cap)
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            # The server could not take this many connections in time: say so, measure
            # nothing else at this size.
            return {
                "sockets": sockets,
                "failed": f"connect: {type(exc).__name__}",
                "connected": sum(1 for m in run.members if m.subscribed.is_set()),
                "connect_retries": run.connect_retries,
                "connect_seconds": round(time.perf_counter() - opened, 3),
            }
        connect_seconds = time.perf_counter() - opened
        await asyncio.sleep(0.5)  # presence and subscriptions settle
        after = sum(rss_kib(pid) for pid in server.pids)
        seconds = params.latency_seconds if record else params.warmup_seconds
        latency_elapsed = await run.open_loop(params.rate, seconds)
        latency_expected = run.expected
        drained = time.perf_counter()
        latency_drain = await run.drain(params.stall, params.drain_cap)
        latency_drain_seconds = time.perf_counter() - drained
        latency_received = run.received
        deliveries, elapsed, cpu = await run.closed_loop_phase(
            params.window,
            params.throughput_seconds if record else params.warmup_seconds,
            server.pids,
        )
        final_drain = await run.drain(params.stall, params.drain_cap)
    finally:
        await run.close()
    undelivered = run.expected - run.received
    # Still arriving when the cap ended the wait: late, not known to be lost.
    lost = 0 if final_drain == "cap" else undelivered
    return {
        "sockets": sockets,
        "rooms": len(run.room_members),
        "connect_seconds": round(connect_seconds, 3),
        "memory_kib_before": before,
        "memory_kib_after": after,
        "memory_per_connection_kib": round((after - before) / sockets, 2),
        "latency_sends": len([k for k, p in run.phase_of.items() if p == "latency"]),
        "latency_phase_seconds": round(latency_elapsed, 3),
        "latency_expected_deliveries": latency_expected,
        "latency_received_deliveries": latency_received,
        "latency_drain": latency_drain,
        "latency_drain_seconds": round(latency_drain_seconds, 3),
        "final_drain": final_drain,
        "latency_ms": run.latencies,
        "throughput_deliveries": deliveries,
        "throughput_seconds": round(elapsed, 3),
        "deliveries_per_s": deliveries / elapsed if elapsed else 0.0,
        "server_cpu_ms_per_delivery": round(cpu * 1000 / deliveries, 4) if deliveries else None,
        "expected_deliveries": run.expected,
        "received_deliveries": run.received,
        "lost": lost,
        "undelivered_at_close": undelivered,
        "duplicates": run.duplicates,
        "seq_gaps": run.gaps,
        "out_of_order": run.reordered,
        "errors": run.errors,
        "closed_unexpectedly": run.closed_unexpectedly,
        "connect_retries": run.connect_retries,
    }


def summarise(all_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures of one configuration at one size over its trials (latencies pooled)."""
    failed = [r for r in all_runs if "failed" in r]
    runs = [r for r in all_runs if "failed" not in r]
    if not runs:
        return {
            "trials": len(all_runs),
            "failed_trials": len(failed),
            "failures": [r["failed"] for r in failed],
            "p50_ms": None,
            "p95_ms": None,
            "p99_ms": None,
            "deliveries_per_s": None,
            "memory_per_connection_kib": None,
            "server_cpu_ms_per_delivery": None,
            "lost": 0,
            "undelivered_at_close": 0,
        }
    pooled = [v for r in runs for v in r["latency_ms"]]
    per_trial_p99 = [percentile(r["latency_ms"], 99) for r in runs]
    throughput = [r["deliveries_per_s"] for r in runs]
    memory = [r["memory_per_connection_kib"] for r in runs]
    errors: dict[str, int] = {}
    for r in runs:
        for code, n in r["errors"].items():
            errors[code] = errors.get(code, 0) + n
    return {
        "trials": len(all_runs),
        "failed_trials": len(failed),
        "failures": [r["failed"] for r in failed],
        "latency_samples": len(pooled),
        "p50_ms": _round(percentile(pooled, 50)),
        "p95_ms": _round(percentile(pooled, 95)),
        "p99_ms": _round(percentile(pooled, 99)),
        "max_ms": _round(max(pooled) if pooled else None),
        "p99_ms_per_trial": [_round(v) for v in per_trial_p99],
        "deliveries_per_s": _round(statistics.median(throughput)),
        "deliveries_per_s_per_trial": [_round(v) for v in throughput],
        "memory_per_connection_kib": _round(statistics.median(memory)),
        "server_cpu_ms_per_delivery": _round(
            _median([r["server_cpu_ms_per_delivery"] for r in runs]), 4
        ),
        "connect_seconds": _round(statistics.median(r["connect_seconds"] for r in runs)),
        "lost": sum(r["lost"] for r in runs),
        "undelivered_at_close": sum(r["undelivered_at_close"] for r in runs),
        "drains_ended_by_cap": sum(
            (r["latency_drain"] == "cap") + (r["final_drain"] == "cap") for r in runs
        ),
        "duplicates": sum(r["duplicates"] for r in runs),
        "seq_gaps": sum(r["seq_gaps"] for r in runs),
        "out_of_order": sum(r["out_of_order"] for r in runs),
        "expected_deliveries": sum(r["expected_deliveries"] for r in runs),
        "errors": errors,
        "closed_unexpectedly": sum(r["closed_unexpectedly"] for r in runs),
        "connect_retries": sum(r["connect_retries"] for r in runs),
    }


def _median(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


async def run_all(
    servers: list[Server], params: Params, log: Callable[[str], None] = print
) -> dict[str, Any]:
    raw: dict[str, dict[int, list[dict[str, Any]]]] = {
        s.name: {n: [] for n in params.sizes} for s in servers
    }
    order: list[str] = []
    for trial in range(params.trials):
        for server in servers:
            server.start()
            try:
                # A warm-up after every start: first connections import and cache.
                await measure(
                    server, min(params.warmup_sockets, max(params.sizes)), params, record=False
                )
                for n in params.sizes:
                    result = await measure(server, n, params)
                    raw[server.name][n].append(result)
                    order.append(f"{server.name}{n}")
                    if "failed" in result:
                        log(f"  försök {trial + 1} {server.name} {n:>4} uttag: {result['failed']}")
                        continue
                    log(
                        f"  försök {trial + 1} {server.name} {n:>4} uttag: "
                        f"p99 {percentile(result['latency_ms'], 99) or 0:7.1f} ms, "
                        f"{result['deliveries_per_s']:8.0f} leveranser/s, "
                        f"{result['memory_per_connection_kib']:6.1f} KiB/anslutning, "
                        f"förlorade {result['lost']}"
                    )
            finally:
                server.stop()
    summary = {s.name: {str(n): summarise(raw[s.name][n]) for n in params.sizes} for s in servers}
    return {
        "parameters": {
            "sizes": params.sizes,
            "room_size": ROOM_SIZE,
            "trials": params.trials,
            "open_loop_sends_per_s": params.rate,
            "latency_phase_seconds": params.latency_seconds,
            "throughput_phase_seconds": params.throughput_seconds,
            "closed_loop_window_per_room": params.window,
            "drain_stall_seconds": params.stall,
            "drain_cap_seconds": params.drain_cap,
            "connect_cap_seconds": params.connect_cap,
            "order": "".join(s.name for s in servers) + f" × {params.trials}",
        },
        "configurations": {s.name: s.describe() for s in servers},
        "results": summary,
        "paired_throughput_ratios": _paired_ratios(raw, params),
        "lost": sum(
            r.get("lost", 0) for per in raw.values() for runs in per.values() for r in runs
        ),
        "failed_runs": sum(
            "failed" in r for per in raw.values() for runs in per.values() for r in runs
        ),
    }


def _paired_ratios(
    raw: dict[str, dict[int, list[dict[str, Any]]]], params: Params
) -> dict[str, Any]:
    """D/C throughput per trial (runs of one trial are neighbours in time), and the median."""
    if "C" not in raw or "D" not in raw:
        return {}
    out: dict[str, Any] = {}
    for n in params.sizes:
        # D that could not take the connections delivered nothing at that size.
        ratios = [
            d.get("deliveries_per_s", 0.0) / c["deliveries_per_s"]
            for c, d in zip(raw["C"][n], raw["D"][n], strict=True)
            if c.get("deliveries_per_s")
        ]
        out[str(n)] = {
            "per_trial": [round(r, 3) for r in ratios],
            "median": round(statistics.median(ratios), 3) if ratios else None,
        }
    return out


@contextlib.contextmanager
def configurations(names: str, rooms: int, log_dir: Path, full_stack: FullStack | None) -> Any:
    """The servers for ``names`` (e.g. "ABCD"); C and D need ``full_stack`` (its Redis)."""
    servers: list[Server] = []
    for name in names:
        if name == "A":
            servers.append(FloorServer(rooms, log_dir))
        elif name == "B":
            servers.append(ChannelsServer("B", rooms, log_dir))
        elif name == "C":
            assert full_stack is not None
            servers.append(ChannelsServer("C", rooms, log_dir, full_stack.redis_url))
        elif name == "D":
            assert full_stack is not None
            servers.append(FullServer(full_stack))
        else:
            raise ValueError(f"unknown configuration {name}")
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="ABCD")
    parser.add_argument("--sizes", default="50,200,500")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-seconds", type=float, default=3.0)
    parser.add_argument("--throughput-seconds", type=float, default=2.0)
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--stall", type=float, default=7.0)
    parser.add_argument("--drain-cap", type=float, default=60.0)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    params = Params(
        sizes=[int(n) for n in args.sizes.split(",")],
        trials=args.trials,
        rate=args.rate,
        latency_seconds=args.latency_seconds,
        throughput_seconds=args.throughput_seconds,
        window=args.window,
        stall=args.stall,
        drain_cap=args.drain_cap,
    )
    rooms = (max(params.sizes) + ROOM_SIZE - 1) // ROOM_SIZE
    needs_stack = bool(set(args.configs) & {"C", "D"})
    with contextlib.ExitStack() as stack:
        full = stack.enter_context(FullStack(rooms=rooms)) if needs_stack else None
        log_dir = full.workdir if full else Path(stack.enter_context(_tempdir()))
        servers = stack.enter_context(configurations(args.configs, rooms, log_dir, full))
        result = asyncio.run(run_all(servers, params))
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "results"}, indent=2))
    for name, per in result["results"].items():
        for n, figures in per.items():
            print(name, n, {k: v for k, v in figures.items() if not k.endswith("per_trial")})
    return 0


@contextlib.contextmanager
def _tempdir() -> Any:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="samverka-bench-") as name:
        yield name


if __name__ == "__main__":
    sys.exit(main())

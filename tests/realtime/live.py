"""Real Daphne processes and a protocol client that behaves like the browser module.

The processes serve the test database itself (tests using them take ``transactional_db``,
so what the test writes is committed and visible to them) and a Redis of their own, never
the run's shared one, so a fault test can kill, pause or flush it without harming others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis as redis_client
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.servers import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = str(Path(sys.executable).with_name("daphne"))


def test_database_url() -> str:
    """DATABASE_URL naming the database pytest-django made for this run."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


APPLICATION_NAME = "samverka-live-test"


def server_env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        # Named, so that teardown can wait until every session of theirs is gone.
        "DATABASE_URL": f"{test_database_url()}?application_name={APPLICATION_NAME}",
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "SAMVERKA_REALTIME_TICK_SECONDS": "0.5",
        **extra,
    }


class Daphne:
    """One Daphne process on a fixed port (so a restart comes back at the same address)."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [DAPHNE, "-b", "127.0.0.1", "-p", str(self.port), "asgi:application"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 45.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"daphne did not listen within {timeout}s:\n{self.log_tail()}")

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(15)

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_all(servers: list[Daphne]) -> None:
    for server in servers:
        server.start()
    for server in servers:
        server.wait_ready()


def wait_until_idle() -> None:
    """Until no live server's database session is inside a statement or transaction.

    After a test's clients leave, the servers still write (presence, the audit entries
    of leaving); the test database is truncated next, and a TRUNCATE racing those
    transactions can deadlock with them.
    """
    _wait_for_no_sessions("AND state <> 'idle'")


def stop_all(servers: list[Daphne]) -> None:
    for server in servers:
        server.stop()
    # A killed process's database sessions may linger a moment; the test database is
    # truncated and later dropped, so nothing of theirs may be left.
    _wait_for_no_sessions("")


def _wait_for_no_sessions(condition: str, timeout: float = 5.0) -> None:
    """Until the live servers have no database session (meeting ``condition``)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(test_database_url(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                f"AND application_name = %s {condition}",
                [APPLICATION_NAME],
            ).fetchone()
            if not row or row[0] == 0:
                return
            time.sleep(0.05)


class Cluster:
    """One Redis and two Daphne processes, shared by the live tests of a run.

    Starting processes is the slow part of a live test, so they start once; each test
    gets them healthy and empty (``ready``) and may kill, pause or flush them. One
    configuration serves every test: a tiny channel capacity and a one-second channel
    expiry, which ordinary delivery never notices.
    """

    ENV = {
        "SAMVERKA_CHANNEL_CAPACITY": "3",
        "SAMVERKA_CHANNEL_EXPIRY": "1",
        "DJANGO_LOG_LEVEL": "INFO",
    }

    def __init__(self, log_dir: Path) -> None:
        self.redis = RedisServer()
        self.redis.start()
        env = server_env(self.redis.url, **self.ENV)
        self.servers = [Daphne(env, log_dir, f"daphne-{i}") for i in range(2)]
        start_all(self.servers)

    def ready(self) -> Cluster:
        """Everything running again, nothing left over from the test before."""
        if not self.redis.running:
            self.redis.start()
        self.redis.resume()
        redis_client.Redis.from_url(self.redis.url).flushall()
        dead = []
        for server in self.servers:
            server.resume()
            if server.process is None or server.process.poll() is not None:
                dead.append(server)
        for server in dead:
            server.start()
        for server in dead:
            server.wait_ready()
        return self

    def close(self) -> None:
        stop_all(self.servers)
        self.redis.close()


# -- the protocol client ------------------------------------------------------------------


@dataclass
class Room:
    last: int = 0
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    subscribed: bool = False


class LiveClient:
    """Speaks protocol v1 as the browser module does.

    It remembers the last seq per room, subscribes with ``since`` on every (re)connect,
    drops events it already has, resubscribes on a gap, and sends again every message
    not yet acknowledged (with the same client_id) after reconnecting. Each reconnect
    goes to the next server in ``urls``, as a load balancer would.
    """

    def __init__(self, name: str, urls: list[str], session_key: str, rooms: list[str]) -> None:
        self.name = name
        self.urls = list(urls)
        self.session_key = session_key
        self.rooms = {room: Room() for room in rooms}
        self.pending: dict[str, tuple[str, str]] = {}
        self.acks: dict[str, int] = {}
        self.errors: list[dict[str, Any]] = []
        self.dropped_duplicates = 0
        self.connections = 0
        self.socket: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._url_index = 0
        self._changed = asyncio.Event()
        self.running = True

    # -- life cycle
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self.running = False
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def away(self) -> None:
        """Gone (a closed laptop): no connection until ``back``; everything held is kept."""
        await self.stop()

    async def back(self) -> None:
        self.running = True
        await self.start()

    async def drop_connection(self) -> None:
        """Close the socket as a flaky network would; the client reconnects by itself."""
        if self.socket is not None:
            await self.socket.close()

    async def _run(self) -> None:
        delay = 0.1
        while self.running:
            url = self.urls[self._url_index % len(self.urls)]
            try:
                async with connect(
                    url,
                    origin="http://127.0.0.1",  # type: ignore[arg-type]
                    additional_headers={"Cookie": f"sessionid={self.session_key}"},
                    open_timeout=3,
                    ping_interval=None,
                    close_timeout=1,
                ) as ws:
                    self.socket = ws
                    self.connections += 1
                    delay = 0.1
                    for room, state in self.rooms.items():
                        state.subscribed = False
                        await ws.send(
                            json.dumps({"type": "subscribe", "room": room, "since": state.last})
                        )
                    for client_id, (room, body) in list(self.pending.items()):
                        await self._send_frame(room, client_id, body)
                    async for raw in ws:
                        await self._handle(json.loads(raw))
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                self.errors.append({"type": "disconnected", "reason": repr(exc)})
            except asyncio.CancelledError:
                raise
            finally:
                self.socket = None
                for state in self.rooms.values():
                    state.subscribed = False
                self._changed.set()
            if not self.running:
                return
            self._url_index += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _send_frame(self, room: str, client_id: str, body: str) -> None:
        if self.socket is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await self.socket.send(
                json.dumps({"type": "send", "room": room, "client_id": client_id, "body": body})
            )

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "event":
            state = self.rooms[frame["room"]]
            seq = frame["seq"]
            if seq <= state.last:
                self.dropped_duplicates += 1
            elif seq != state.last + 1:
                # A gap: ask again from what we have.
                assert self.socket is not None
                await self.socket.send(
                    json.dumps({"type": "subscribe", "room": frame["room"], "since": state.last})
                )
            else:
                state.events.append((seq, frame["event"]))
                state.last = seq
        elif kind == "subscribed":
            self.rooms[frame["room"]].subscribed = True
        elif kind == "ack":
            self.acks[frame["client_id"]] = frame["seq"]
            self.pending.pop(frame["client_id"], None)
        elif kind == "error":
            self.errors.append(frame)
            if frame.get("code") == "rate_limited" and frame.get("ref") in self.pending:
                room, body = self.pending[frame["ref"]]
                await asyncio.sleep(0.3)
                await self._send_frame(room, frame["ref"], body)
        self._changed.set()

    # -- what tests use
    async def send(self, room: str, body: str) -> str:
        client_id = str(uuid.uuid4())
        self.pending[client_id] = (room, body)
        await self._send_frame(room, client_id, body)
        return client_id

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.name}: condition not met within {timeout}s; {self.summary()}"
                )
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.2))

    async def wait_subscribed(self, timeout: float = 15.0) -> None:
        await self.wait_until(lambda: all(r.subscribed for r in self.rooms.values()), timeout)

    def seqs(self, room: str) -> list[int]:
        return [seq for seq, _event in self.rooms[room].events]

    def messages(self, room: str) -> list[tuple[str, str | None]]:
        """(message_id, body) of every message.created this client holds, in order."""
        return [
            (event["message_id"], event.get("body"))
            for _seq, event in self.rooms[room].events
            if event.get("kind") == "message.created"
        ]

    def summary(self) -> str:
        return (
            f"last={ {r: s.last for r, s in self.rooms.items()} } pending={len(self.pending)} "
            f"acks={len(self.acks)} connections={self.connections} errors={self.errors[-3:]}"
        )

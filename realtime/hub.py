"""Each process's one link to the channel layer, shared by all of its connections.

A process joins each channel-layer group once, however many of its connections follow
the room, and receives each announcement once, on a channel of its own; it hands the
announcement to its connections in memory. It also reads each announced event from the
database once (a room's ``Feed``), and every connection renders its own person's view of
it. So an event costs one layer message and one read per process, not per recipient.

Nothing here decides who sees what: a connection follows a room only after the policy let
it open the room, and renders every event through ``selectors.render`` with its person's
levels. The feed holds a room's newest events only while a connection here follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.db import DatabaseSyncToAsync
from channels.layers import get_channel_layer
from django.conf import settings

from realtime import publish, rooms, selectors, services
from realtime.events import CaseErased, MessageDeleted
from realtime.frames import setting

logger = logging.getLogger(__name__)

_FEED_SIZE = 256  # events a feed keeps per room (a connection further behind reads itself)
_FETCH = 200
_REJOIN_PER_TICK = 32  # channel-layer groups joined again per tick


class HubClosed(Exception):
    """The hub stopped (its last connection left) while another was joining it."""


class Listener(Protocol):
    """A connection, as the hub sees it: who it is, and where its messages go."""

    user_id: int
    session_key: str | None
    channel_name: str  # its name in the presence table

    def deliver(self, message: dict[str, Any]) -> None: ...


@dataclass
class Feed:
    """The newest events of one room, read once for every connection here that follows it.

    It holds every event with ``floor < seq <= top`` and nothing else.
    """

    floor: int | None = None
    top: int = 0
    events: dict[int, selectors.StoredEvent] = field(default_factory=dict)
    fetching: asyncio.Task[None] | None = None

    def after(self, since: int) -> list[selectors.StoredEvent]:
        if self.floor is None or since < self.floor:
            return []
        return [self.events[seq] for seq in range(since + 1, self.top + 1)]

    def add(self, batch: selectors.StoredBatch, since: int) -> None:
        """Take in ``batch``, the events read after ``since`` (contiguous from since + 1)."""
        events = batch.events
        reaches = bool(events) and events[-1].seq >= (self.floor or 0)
        if self.floor is None or since > self.top or (since < self.floor and not reaches):
            # Nothing held, or a gap between what is held and these: start again here.
            self.floor, self.top, self.events = since, since, {}
        if since < self.floor:
            # A connection further behind: the older events were read just now, so what
            # they show (deleted, erased) is already current.
            for event in events:
                if event.seq <= self.floor:
                    self.events[event.seq] = event
            self.floor = since
        for event in events:
            if event.seq != self.top + 1:
                continue  # already held
            self.events[event.seq] = event
            self.top = event.seq
            self._withdraw_earlier(event)
        while self.top - self.floor > _FEED_SIZE:
            self.floor += 1
            self.events.pop(self.floor, None)

    def _withdraw_earlier(self, event: selectors.StoredEvent) -> None:
        """A text gone from the database is gone from what this feed still hands out."""
        if event.kind == MessageDeleted.kind:
            gone = str(event.payload.get("message_id"))
            for held in self.events.values():
                if held.message_id == gone:
                    held.withdraw("deleted")
        elif event.kind == CaseErased.kind and event.case_id is not None:
            for held in self.events.values():
                if held.case_id == event.case_id and held.message_id:
                    held.withdraw("erased")


_pool: ThreadPoolExecutor | None = None


def db_executor() -> ThreadPoolExecutor:
    """The threads for the connections' database work, so that one connection waiting on
    PostgreSQL does not hold up the others. SQLite takes one writer at a time: one there.
    """
    global _pool
    if _pool is None:
        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        threads = 1 if sqlite else int(setting("REALTIME_DB_THREADS", 4))
        _pool = ThreadPoolExecutor(max(1, threads), "realtime-db")
    return _pool


def _stored_events(room: str, since: int) -> selectors.StoredBatch:
    return selectors.stored_events(room=room, since=since, limit=_FETCH, latest=False)


@dataclass(frozen=True)
class TickState:
    latest: dict[str, int]
    people: dict[str, list[dict[str, Any]]]
    valid_sessions: set[str]


def _tick_state(channels: list[str], rooms: list[str], sessions: dict[str, int]) -> TickState:
    services.presence_refresh(channels=channels)
    return TickState(
        latest=selectors.latest_seqs(stored_rooms=rooms),
        people=selectors.presence(stored_rooms=rooms),
        valid_sessions=selectors.connections_valid(sessions=sessions),
    )


async def in_db_thread(call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)`` in one of the database threads."""
    return await DatabaseSyncToAsync(call, thread_sensitive=False, executor=db_executor())(*args)


class Hub:
    """The channel-layer membership and the feeds of one process (one event loop)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel = ""
        self.rooms: dict[str, set[Listener]] = {}
        self.people: dict[int, set[Listener]] = {}
        self.listeners: set[Listener] = set()
        self.feeds: dict[str, Feed] = {}
        self._joins: dict[str, asyncio.Future[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._started: asyncio.Future[None] | None = None
        self._names = itertools.count(1)
        self._rejoined = 0  # where the next tick's re-joining starts (see _rejoin_now)
        self.closed = False

    # -- connections ------------------------------------------------------------------------

    async def attach(self, listener: Listener) -> str:
        """Count ``listener`` in; returns a name for it, unique among all processes.

        ``HubClosed`` when this hub stopped meanwhile: ask ``get_hub`` for the new one.
        """
        if self.closed:
            raise HubClosed()
        self.listeners.add(listener)
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)
        people = self.people.setdefault(listener.user_id, set())
        people.add(listener)
        if len(people) == 1:
            await self._join(rooms.user_group(listener.user_id))
        else:
            await self._joined(rooms.user_group(listener.user_id))
        return f"{self.channel or 'local'}#{next(self._names)}"

    async def detach(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        for room in [r for r, found in self.rooms.items() if listener in found]:
            await self.unfollow(room, listener)
        people = self.people.get(listener.user_id)
        if people is not None:
            people.discard(listener)
            if not people:
                del self.people[listener.user_id]
                await self._leave(rooms.user_group(listener.user_id))
        if not self.listeners:
            await self._stop()

    async def follow(self, room: str, listener: Listener) -> None:
        """From now on ``listener`` hears of every event announced in stored room ``room``."""
        found = self.rooms.setdefault(room, set())
        if listener in found:
            return  # subscribed again: already following
        found.add(listener)
        self.feeds.setdefault(room, Feed())
        if len(found) == 1:
            await self._join(rooms.group_name(room))
        else:
            await self._joined(rooms.group_name(room))

    async def unfollow(self, room: str, listener: Listener) -> None:
        found = self.rooms.get(room)
        if found is None or listener not in found:
            return
        found.discard(listener)
        if not found:
            del self.rooms[room]
            feed = self.feeds.pop(room, None)
            if feed is not None and feed.fetching is not None:
                feed.fetching.cancel()
            await self._leave(rooms.group_name(room))

    # -- the shared read ---------------------------------------------------------------------

    async def read(self, room: str, since: int, upto: int) -> list[selectors.StoredEvent] | None:
        """The events after ``since`` up to at least ``upto`` if they exist, read once for
        all connections here; None when this process does not hold the room's feed or
        ``since`` is further behind than the feed keeps (the caller reads itself).
        """
        feed = self.feeds.get(room)
        if feed is None:
            return None
        for _round in range(3):
            held = feed.after(since)
            if held and held[-1].seq >= upto:
                return held
            if feed.floor is not None and since < feed.floor - _FEED_SIZE // 2:
                return None
            if feed.fetching is None:
                start = feed.top if feed.floor is not None and since >= feed.floor else since
                feed.fetching = asyncio.ensure_future(self._fetch(room, feed, start))
            task = feed.fetching
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
            if task.cancelled() or task.exception() is not None:
                return None
        return feed.after(since)

    def read_up_to(self, room: str, seq: int) -> None:
        """A connection here has just read the room's events up to ``seq`` itself: an empty
        feed starts there, so that the next event offered is held without a read.
        """
        feed = self.feeds.get(room)
        if feed is not None and feed.floor is None:
            feed.floor = feed.top = seq

    def offer(self, room: str, row: Any, text: str) -> None:
        """A message event this process just committed, with its text: held without
        reading it back when it is the next one the room's feed lacks.
        """
        feed = self.feeds.get(room)
        if feed is None or feed.floor is None or row.seq != feed.top + 1:
            return  # not followed here, or not next: a read fetches it
        event = selectors.StoredEvent(
            row.seq, row.kind, row.case_id, row.payload, str(row.payload.get("message_id")), text
        )
        feed.add(selectors.StoredBatch([event], row.seq, False), feed.top)

    async def _fetch(self, room: str, feed: Feed, since: int) -> None:
        try:
            batch = await in_db_thread(_stored_events, room, since)
            if self.feeds.get(room) is feed:
                feed.add(batch, since)
        finally:
            feed.fetching = None

    # -- the layer ----------------------------------------------------------------------------

    async def _start(self) -> None:
        publish.serve_from_this_loop(self.offer)
        # Without a channel layer the tick alone catches every connection up.
        self._tasks = [asyncio.ensure_future(self._tick_loop())]
        if self.layer is None:
            return
        self.channel = await self.layer.new_channel()
        self._tasks.append(asyncio.ensure_future(self._receive_loop()))
        await self._join(rooms.EVERYONE_GROUP)

    async def _stop(self) -> None:
        self.closed = True
        _forget(self)
        if self._started is not None:
            with contextlib.suppress(Exception):
                await self._started
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for group in list(self._joins):
            await self._leave(group)

    async def _receive_loop(self) -> None:
        delay = 0.2
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind in ("room.event", "room.presence"):
            targets: set[Listener] = self.rooms.get(str(message.get("room")), set())
        elif kind == "access.changed":
            user = message.get("user")
            targets = self.listeners if user is None else self.people.get(int(user), set())
        else:
            return
        for listener in list(targets):
            listener.deliver(message)

    async def _tick_loop(self) -> None:
        interval = setting("REALTIME_TICK_SECONDS", 5.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("realtime tick failed", exc_info=True)

    async def _tick(self) -> None:
        """For every connection here at once: join groups again (Redis may have lost
        them), keep presence fresh, end connections whose account or session is gone, and
        tell each how far its rooms have come (it catches up what no announcement reached).
        """
        for group in self._rejoin_now():
            await layer_call(self.layer, "group_add", group, self.channel)
        listeners = list(self.listeners)
        sessions = {
            listener.session_key: listener.user_id
            for listener in listeners
            if listener.session_key is not None
        }
        state: TickState = await in_db_thread(
            _tick_state,
            [listener.channel_name for listener in listeners],
            list(self.rooms),
            sessions,
        )
        for listener in listeners:
            if listener.session_key not in state.valid_sessions:
                listener.deliver({"type": "connection.gone"})
        for room, found in self.rooms.items():
            message = {
                "type": "room.tick",
                "room": room,
                "seq": state.latest.get(room, 0),
                "people": state.people.get(room, []),
            }
            for listener in list(found):
                listener.deliver(message)

    def _rejoin_now(self) -> list[str]:
        """The groups to join again at this tick: all of them in turn, a bounded number
        at a time, so that a tick's layer calls do not grow with the connections (each
        person here has a group of their own). Until a lost membership is renewed, the
        tick's catch-up from the database delivers what its announcements would have.
        """
        groups = list(self._joins)
        if len(groups) <= _REJOIN_PER_TICK:
            return groups
        start = self._rejoined % len(groups)
        self._rejoined = start + _REJOIN_PER_TICK
        return (groups + groups)[start : start + _REJOIN_PER_TICK]

    async def _join(self, group: str) -> None:
        if self.layer is None:
            return
        joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._joins[group] = joined
        try:
            await layer_call(self.layer, "group_add", group, self.channel)
        finally:
            joined.set_result(None)

    async def _joined(self, group: str) -> None:
        """Wait until a join another connection started has been made (or has failed)."""
        joined = self._joins.get(group)
        if joined is not None and not joined.done():
            await asyncio.shield(joined)

    async def _leave(self, group: str) -> None:
        if self._joins.pop(group, None) is not None:
            await layer_call(self.layer, "group_discard", group, self.channel)


async def layer_call(layer: Any, method: str, *args: Any) -> None:
    """A bounded channel-layer call; failure is logged (the next tick makes up for it)."""
    if layer is None:
        return
    try:
        async with asyncio.timeout(setting("REALTIME_PUBLISH_TIMEOUT", 1.0)):
            await getattr(layer, method)(*args)
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.info("channel layer %s failed", method, exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def get_hub(alias: str = "default") -> Hub:
    """This event loop's hub for the channel layer ``alias``."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer(alias)
    hub = _hubs.get(loop)
    if hub is None or hub.closed or hub.layer is not layer:
        hub = _hubs[loop] = Hub(layer)
    return hub


def _forget(hub: Hub) -> None:
    for loop, found in list(_hubs.items()):
        if found is hub:
            del _hubs[loop]

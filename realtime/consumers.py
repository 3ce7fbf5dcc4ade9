"""The WebSocket consumer of protocol v1 (``/ws/v1/``).

Thin: it checks a frame, calls one service or selector, and answers. All database work
goes through ``_db``. Delivery is driven by the database: an announcement on the channel
layer only says "room R has event n"; the consumer then takes every event after the
last one it delivered, renders each for its person, and sends them in order. So a lost,
late or duplicated announcement never loses, reorders or repeats an event, and a
periodic tick catches up whatever no announcement reached.

The process's ``Hub`` holds the channel-layer side for all of its connections: it joins
each group once, hands each announcement to the connections that follow the room, and
reads each announced event from the database once for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from audit.context import reset_request_id, set_request_id
from coordination.errors import DomainError, NotFound
from coordination.services import accounts
from realtime import rooms, selectors, services
from realtime.frames import (
    Frame,
    FrameError,
    TokenBucket,
    encode,
    parse,
    rate_limited,
    setting,
)
from realtime.hub import Hub, HubClosed, get_hub, in_db_thread, layer_call
from realtime.selectors import Levels, RoomTarget
from realtime.statements import PrimaryKeyRead

logger = logging.getLogger(__name__)

CLOSE_ACCESS_LOST = 4403
_BATCH = 200
# Announcements waiting for one connection; past this they are dropped, and the tick
# (delivery is read from the database) catches up what they announced.
_PENDING = 1000


class AccountGone(Exception):
    """The person's account was disabled or their session ended."""


@dataclass
class Subscription:
    target: RoomTarget
    cursor: int  # the last seq delivered on this subscription
    levels: Levels = field(default_factory=Levels)
    people: list[dict[str, Any]] | None = None  # the presence last sent


# Read again for every frame and delivery: a disabled account stops at once.
_PERSON = PrimaryKeyRead(lambda: get_user_model().objects.all())


def _run(
    user_id: int | None,
    session_key: str | None,
    check_session: bool,
    call: Callable[[Any], Any],
) -> Any:
    """Runs in the database thread: the person fresh from the database, then the call."""
    token = set_request_id()
    try:
        user = None
        if user_id is not None:
            try:
                user = _PERSON.get(user_id)
            except get_user_model().DoesNotExist:
                raise AccountGone() from None
            if not user.is_active:
                raise AccountGone()
            if check_session and not selectors.session_exists(session_key):
                raise AccountGone()
        return call(user)
    finally:
        reset_request_id(token)


def _read_events(user: Any, *, target: RoomTarget, since: int, levels: Levels) -> Any:
    return selectors.room_events(user=user, target=target, since=since, limit=_BATCH, levels=levels)


class RoomConsumer(AsyncWebsocketConsumer):
    user_id: int
    session_key: str | None
    subs: dict[str, Subscription]
    lock: asyncio.Lock
    hub: Hub | None = None
    rechecker: asyncio.Future[None] | None = None
    closing = False

    # -- the connection's life -------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As Channels' own, but the channel layer is reached through the process's hub,
        and everything this connection handles arrives in one queue, ``pending``: the
        client's frames (put there by ``_read_frames``) and what the hub announces. So
        each message costs one queue hand-over, not the new task and the wait on two
        sources that Channels' ``await_many_dispatch`` spends on every message.
        """
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        self.pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_PENDING)
        self.channel_name = ""
        reader = asyncio.ensure_future(self._read_frames(receive))
        try:
            with contextlib.suppress(StopConsumer):
                while True:
                    await self.dispatch(await self.pending.get())
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _read_frames(self, receive: Any) -> None:
        """The client's frames into ``pending``, in order; a full queue holds the reading
        back (a frame is never dropped, unlike an announcement)."""
        try:
            while True:
                await self.pending.put(await receive())
        except Exception:
            logger.warning("reading a connection's frames failed", exc_info=True)
            await self.pending.put({"type": "websocket.disconnect", "code": 1011})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As Channels' own, but without first closing stale database connections in the
        event loop's sync thread (a thread hop for every frame and every delivery): this
        consumer does its database work in the database threads (``_db``), which close
        stale connections themselves before and after each call.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def deliver(self, message: dict[str, Any]) -> None:
        """From the hub: an announcement for this connection."""
        try:
            self.pending.put_nowait(message)
        except asyncio.QueueFull:
            logger.warning("a connection is behind; the tick catches it up")

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()  # before accept: the handshake is refused
            return
        if not await database_sync_to_async(accounts.session_second_factor_ok)(
            user, self.scope["session"]
        ):
            await self.close()  # signed in without the required second factor
            return
        self.user_id = user.pk
        self.session_key = self.scope["session"].session_key
        self.subs = {}
        self.lock = asyncio.Lock()
        self.frame_bucket = TokenBucket(
            setting("REALTIME_FRAME_BURST", 60), setting("REALTIME_FRAMES_PER_SECOND", 30)
        )
        self.send_bucket = TokenBucket(
            setting("REALTIME_SEND_BURST", 10), setting("REALTIME_SENDS_PER_SECOND", 5)
        )
        await self.accept()
        while True:
            hub = get_hub(self.channel_layer_alias)
            try:
                self.channel_name = await hub.attach(self)
            except HubClosed:
                continue
            self.hub = hub
            break
        self.rechecker = asyncio.ensure_future(self._recheck_loop())

    async def disconnect(self, code: int) -> None:
        if self.rechecker is not None:
            self.rechecker.cancel()
        if not hasattr(self, "subs"):
            return
        stored = [sub.target.stored for sub in self.subs.values()]
        self.subs = {}
        if self.hub is not None:
            await self.hub.detach(self)
        await self._leave(stored)

    # -- frames from the client --------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        ref = None
        try:
            if not self.frame_bucket.take():
                raise rate_limited(None)
            frame = parse(text_data, bytes_data)
            ref = frame.ref
            await getattr(self, f"_on_{frame.type}")(frame)
        except FrameError as exc:
            await self._error(exc.code, exc.message, exc.ref)
        except DomainError as exc:
            await self._error(exc.code, exc.message, ref)
        except AccountGone:
            async with self.lock:
                await self._lose_everything()
        except Exception:
            logger.exception("frame could not be served")
            await self._error("internal_error", _("Något gick fel. Försök igen."), ref)

    async def _on_ping(self, frame: Frame) -> None:
        await self._send({"type": "pong"})

    async def _on_subscribe(self, frame: Frame) -> None:
        room = frame.fields["room"]
        since = frame.fields.get("since", 0)
        async with self.lock:
            target = await self._db(lambda user: selectors.room_open(user=user, room=room))
            sub = Subscription(target=target, cursor=since, levels=Levels.known_from(target))
            self.subs[room] = sub
            # Follow first, then read: nothing committed in between goes unannounced.
            if self.hub is not None:
                await self.hub.follow(target.stored, self)
            await self._catch_up(sub, first=True)
            if self.hub is not None:
                self.hub.read_up_to(target.stored, sub.cursor)
            await self._send({"type": "subscribed", "room": room, "seq": sub.cursor})
            if target.name.kind != "inbox":
                await self._enter(sub)

    async def _on_unsubscribe(self, frame: Frame) -> None:
        room = frame.fields["room"]
        async with self.lock:
            if room not in self.subs:
                raise FrameError("not_subscribed", _("Du följer inte det rummet."), room)
            await self._drop(room)
            await self._send({"type": "unsubscribed", "room": room})

    async def _on_send(self, frame: Frame) -> None:
        if not self.send_bucket.take():
            raise rate_limited(frame.ref)
        f = frame.fields
        receipt = await self._db(
            lambda user: services.message_send(
                actor=user, room=f["room"], client_id=f["client_id"], body=f["body"]
            )
        )
        await self._ack(f["client_id"], receipt)

    async def _on_edit(self, frame: Frame) -> None:
        if not self.send_bucket.take():
            raise rate_limited(frame.ref)
        f = frame.fields
        receipt = await self._db(
            lambda user: services.message_edit(
                actor=user,
                room=f["room"],
                message_id=f["message_id"],
                client_id=f["client_id"],
                body=f["body"],
            )
        )
        await self._ack(f["client_id"], receipt)

    async def _on_delete(self, frame: Frame) -> None:
        if not self.send_bucket.take():
            raise rate_limited(frame.ref)
        f = frame.fields
        receipt = await self._db(
            lambda user: services.message_delete(
                actor=user, room=f["room"], message_id=f["message_id"], client_id=f["client_id"]
            )
        )
        await self._ack(f["client_id"], receipt)

    async def _ack(self, client_id: Any, receipt: services.Receipt) -> None:
        await self._send(
            {
                "type": "ack",
                "client_id": str(client_id),
                "room": receipt.room,
                "seq": receipt.seq,
                "message_id": receipt.message_id,
                "duplicate": receipt.duplicate,
            }
        )
        # The sender sees its own event at once, whatever the channel layer is doing.
        async with self.lock:
            sub = self.subs.get(receipt.room)
            if sub is not None and receipt.seq > sub.cursor:
                await self._catch_up(sub, upto=receipt.seq)

    # -- messages from the channel layer ---------------------------------------------------

    async def room_event(self, message: dict[str, Any]) -> None:
        if self._by_stored(message.get("room")) is None:
            return
        async with self.lock:
            sub = self._by_stored(message.get("room"))
            seq = int(message.get("seq", 0))
            if sub is None or seq <= sub.cursor:
                return  # announced twice, or already delivered by a catch-up
            try:
                await self._catch_up(sub, upto=seq)
            except AccountGone:
                await self._lose_everything()
            except Exception:
                logger.warning("delivery failed; the next tick retries", exc_info=True)

    async def room_presence(self, message: dict[str, Any]) -> None:
        sub = self._by_stored(message.get("room"))
        if sub is not None:
            await self._show_presence(sub, message.get("people") or [])

    async def room_tick(self, message: dict[str, Any]) -> None:
        """From the hub's tick: how far the room has come, and who has it open."""
        async with self.lock:
            sub = self._by_stored(message.get("room"))
            if sub is None or self.closing:
                return
            seq = int(message.get("seq", 0))
            try:
                if seq > sub.cursor:
                    await self._catch_up(sub, upto=seq)
            except AccountGone:
                await self._lose_everything()
                return
            if sub.target.name.kind != "inbox":
                await self._show_presence(sub, message.get("people") or [])

    async def connection_gone(self, message: dict[str, Any]) -> None:
        """From the hub's tick: the account is disabled or the session ended."""
        async with self.lock:
            await self._lose_everything()

    async def access_changed(self, message: dict[str, Any]) -> None:
        async with self.lock:
            try:
                await self._recheck()
            except AccountGone:
                await self._lose_everything()

    # -- delivery ----------------------------------------------------------------------

    def _by_stored(self, stored: Any) -> Subscription | None:
        for sub in self.subs.values():
            if sub.target.stored == stored:
                return sub
        return None

    async def _catch_up(
        self, sub: Subscription, *, first: bool = False, upto: int | None = None
    ) -> None:
        """Send every event after ``sub.cursor`` that exists now, in order.

        With ``upto`` (an event known to exist), the events are taken from the hub's
        shared read when it has them; otherwise this connection reads them itself.
        """
        if upto is not None and self.hub is not None:
            shared = await self.hub.read(sub.target.stored, sub.cursor, upto)
            if shared:
                await self._send_events(sub, shared)
            if sub.cursor >= upto:
                return
        while True:
            batch = await self._db(
                functools.partial(
                    _read_events, target=sub.target, since=sub.cursor, levels=sub.levels
                )
            )
            for rendered in batch.events:
                await self._send(
                    {
                        "type": "event",
                        "room": sub.target.wire,
                        "seq": rendered.seq,
                        "event": rendered.event,
                    }
                )
                sub.cursor = rendered.seq
            if not batch.has_more:
                if first and not batch.events and batch.latest < sub.cursor:
                    # The client knows a later seq than the room has (a restored
                    # database): it learns the room's real position from `subscribed`.
                    sub.cursor = batch.latest
                return

    async def _send_events(self, sub: Subscription, stored: list[selectors.StoredEvent]) -> None:
        """Render shared events for this person (asking the policy for any new case)."""
        missing = sub.levels.missing(stored)
        if missing:
            levels, target = sub.levels, sub.target
            await self._db(lambda user: levels.fill(user, target, missing))
        for event in stored:
            if event.seq <= sub.cursor:
                continue
            await self.send(text_data=selectors.event_frame(event, sub.target.wire, sub.levels))
            sub.cursor = event.seq

    async def _recheck(self) -> None:
        """Ask the policy again for every open room; close what is no longer allowed."""
        subs = list(self.subs.items())

        def check(user: Any) -> list[tuple[str, RoomTarget | None, bool]]:
            results: list[tuple[str, RoomTarget | None, bool]] = []
            for wire, sub in subs:
                try:
                    fresh = selectors.room_target(user=user, room=wire)
                except NotFound:
                    results.append((wire, None, False))
                    continue
                reduced = selectors.levels_reduced(user=user, target=fresh, levels=sub.levels)
                results.append((wire, fresh, reduced))
            return results

        for wire, fresh, reduced in await self._db(check, check_session=True):
            if wire not in self.subs:
                continue
            if fresh is None:
                await self._error("access_lost", _("Du har inte längre åtkomst till rummet."), wire)
                await self._drop(wire)
                continue
            self.subs[wire].target = fresh
            if reduced:
                await self._error(
                    "access_changed",
                    _("Din behörighet i rummet har ändrats. Prenumerera på nytt från början."),
                    wire,
                )

    async def _lose_everything(self) -> None:
        """The account is disabled or signed out: say so per room, then close (4403)."""
        if self.closing:
            return
        self.closing = True
        for wire in list(self.subs):
            await self._error("access_lost", _("Du har inte längre åtkomst till rummet."), wire)
        stored = [sub.target.stored for sub in self.subs.values()]
        if self.hub is not None:
            for s in stored:
                await self.hub.unfollow(s, self)
        self.subs = {}
        await self._leave(stored)
        await self.close(code=CLOSE_ACCESS_LOST)

    async def _drop(self, wire: str) -> None:
        sub = self.subs.pop(wire)
        if self.hub is not None:
            await self.hub.unfollow(sub.target.stored, self)
        if sub.target.name.kind != "inbox":
            await self._leave([sub.target.stored])

    # -- presence --------------------------------------------------------------------------

    async def _enter(self, sub: Subscription) -> None:
        stored, channel = sub.target.stored, self.channel_name

        def enter(user: Any) -> list[dict[str, Any]]:
            services.presence_enter(user=user, stored_room=stored, channel=channel)
            return selectors.presence(stored_rooms=[stored])[stored]

        people = await self._db(enter)
        await self._show_presence(sub, people)
        await self._announce_presence(stored, people)

    async def _leave(self, stored: list[str]) -> None:
        if not stored:
            return
        channel = self.channel_name

        def leave(user: Any) -> dict[str, list[dict[str, Any]]]:
            services.presence_leave(channel=channel, stored_rooms=stored)
            return selectors.presence(stored_rooms=stored)

        try:
            after = await self._db(leave, as_user=False)
        except Exception:
            logger.warning("presence could not be updated", exc_info=True)
            return
        for room, people in after.items():
            await self._announce_presence(room, people)

    async def _announce_presence(self, stored: str, people: list[dict[str, Any]]) -> None:
        await layer_call(
            self.channel_layer,
            "group_send",
            rooms.group_name(stored),
            {"type": "room.presence", "room": stored, "people": people},
        )

    async def _show_presence(self, sub: Subscription, people: list[dict[str, Any]]) -> None:
        if people == sub.people:
            return
        sub.people = people
        await self._send({"type": "presence", "room": sub.target.wire, "people": people})

    # -- the tick ------------------------------------------------------------------------

    async def _recheck_loop(self) -> None:
        """Ask the policy again now and then: not every change announces itself."""
        interval = setting("REALTIME_ACCESS_RECHECK_SECONDS", 30.0)
        # Connections opened together do not all ask at the same moment.
        await asyncio.sleep(interval * random.uniform(0.5, 1.0))
        while not self.closing:
            try:
                async with self.lock:
                    if self.closing:
                        return
                    await self._recheck()
            except asyncio.CancelledError:
                raise
            except AccountGone:
                async with self.lock:
                    await self._lose_everything()
            except Exception:
                logger.warning("realtime access check failed", exc_info=True)
            await asyncio.sleep(interval)

    # -- the one way to the database, the layer and the client -----------------------------

    async def _db(
        self, call: Callable[[Any], Any], *, as_user: bool = True, check_session: bool = False
    ) -> Any:
        user_id = self.user_id if as_user else None
        return await in_db_thread(_run, user_id, self.session_key, check_session, call)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=encode(frame))

    async def _error(self, code: str, message: str, ref: Any) -> None:
        await self._send({"type": "error", "code": code, "message": message, "ref": ref})

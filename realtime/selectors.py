"""Reads of rooms: who may open which room, and each event as its recipient may see it.

Every answer about access comes from ``consent.policy``. An unknown room and a room the
person may not open give the same ``NotFound``. Opening a room and reading its history
are recorded in the audit trail; the events themselves are rendered per recipient on
every delivery, so a change of access applies to the next event already.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from audit.services import record_atomic
from consent import policy
from coordination import vault
from coordination.errors import NotFound
from coordination.models import Case, Meeting
from realtime import rooms
from realtime.events import MESSAGE_KINDS
from realtime.frames import encode
from realtime.keys import KeyRing
from realtime.models import Message, MessageVersion, Presence, RoomEvent, RoomSequence
from realtime.statements import PrimaryKeyRead

logger = logging.getLogger(__name__)

WITHHELD = "withheld"
_RANK = {policy.Level.NONE: 0, policy.Level.ANONYMISED: 1, policy.Level.IDENTIFIED: 2}


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, "SAMVERKA", {}).get(name, default))


@dataclass(frozen=True)
class RoomTarget:
    """A room the person may open, with the case or meeting it belongs to."""

    name: rooms.RoomName
    case: Case | None = None
    meeting: Meeting | None = None
    # The policy's decision on the case, when opening the room already asked for it.
    case_decision: policy.Decision | None = None

    @property
    def wire(self) -> str:
        return self.name.wire

    @property
    def stored(self) -> str:
        return self.name.stored

    def decision(self, user: Any) -> policy.Decision:
        """What ``user`` (the person the target was made for) may see of the case here."""
        assert self.case is not None
        if self.case_decision is not None:
            return self.case_decision
        return policy.case_access(user, self.case, self.context, meeting=self.meeting)

    @property
    def context(self) -> policy.Context:
        # The inbox shows notifications; case and meeting rooms show messages.
        return policy.Context.NOTIFICATION if self.name.kind == "inbox" else policy.Context.MESSAGE


# Read for every message written: composed once (realtime.statements).
_CASE = PrimaryKeyRead(lambda: Case.objects.select_related("owning_unit__agency"))
_MEETING = PrimaryKeyRead(
    lambda: Meeting.objects.select_related("forum", "case__owning_unit__agency")
)


def room_target(*, user: Any, room: object) -> RoomTarget:
    """The room ``room`` names, if ``user`` may open it; otherwise ``NotFound``."""
    user_id = user.pk if user is not None and user.is_authenticated else 0
    name = rooms.parse(room, user_id)
    if name is None:
        raise NotFound()
    if name.kind == "inbox":
        if not policy.may_read_inbox(user):
            raise NotFound()
        return RoomTarget(name)
    object_id = str(name.object_id)
    if name.kind == "case":
        try:
            case = _CASE.get(object_id)
        except Case.DoesNotExist:
            raise NotFound() from None
        decision = policy.case_room_access(user, case)
        if not decision.allowed:
            raise NotFound()
        return RoomTarget(name, case=case, case_decision=decision)
    try:
        meeting = _MEETING.get(object_id)
    except Meeting.DoesNotExist:
        raise NotFound() from None
    if not policy.may_join_meeting(user, meeting):
        raise NotFound()
    return RoomTarget(name, case=meeting.case, meeting=meeting)


def room_open(*, user: Any, room: object) -> RoomTarget:
    """``room_target``, with the opening recorded: who had which thread open, and when."""
    target = room_target(user=user, room=room)
    _record(user, target, "room.opened", {})
    return target


def _record(user: Any, target: RoomTarget, action: str, detail: dict[str, Any]) -> None:
    if target.name.kind == "inbox":
        return  # the person's own notifications, no case information behind them
    decision = target.decision(user) if target.case is not None else None
    record_atomic(
        actor=user,
        action=action,
        case=target.case,
        legal_basis=decision.basis if decision else "",
        detail={
            "room": target.wire,
            "level": str(decision.level) if decision else "",
            "flagged": bool(decision and decision.flagged),
            **detail,
        },
    )


@dataclass
class Levels:
    """Disclosure levels of one person for the cases seen in one room, asked once each."""

    by_case: dict[uuid.UUID, policy.Level] = field(default_factory=dict)

    @classmethod
    def known_from(cls, target: RoomTarget) -> Levels:
        """The level the policy gave when the room was opened, for the room's own case, so
        that the room's first event does not ask it again for every member."""
        levels = cls()
        if target.case is not None and target.case_decision is not None:
            levels.by_case[target.case.pk] = target.case_decision.level
        return levels

    def missing(self, events: list[StoredEvent]) -> set[uuid.UUID]:
        return {e.case_id for e in events if e.case_id is not None} - self.by_case.keys()

    def fill(self, user: Any, target: RoomTarget, case_ids: set[uuid.UUID]) -> None:
        """Ask the policy for the cases not asked yet (a case that is gone: nothing)."""
        wanted = case_ids - self.by_case.keys()
        if not wanted:
            return
        cases = Case.objects.select_related("owning_unit__agency").in_bulk(list(wanted))
        for case_id in wanted:
            case = cases.get(case_id)
            self.by_case[case_id] = (
                policy.case_access(user, case, target.context, meeting=target.meeting).level
                if case is not None
                else policy.Level.NONE
            )


def levels_reduced(*, user: Any, target: RoomTarget, levels: Levels) -> bool:
    """Whether any level remembered in ``levels`` is lower now (the caches are renewed)."""
    reduced = False
    cases = Case.objects.in_bulk(list(levels.by_case))
    for case_id, before in list(levels.by_case.items()):
        case = cases.get(case_id)
        now = (
            policy.case_access(user, case, target.context, meeting=target.meeting).level
            if case is not None
            else policy.Level.NONE
        )
        if _RANK[now] < _RANK[before]:
            reduced = True
        levels.by_case[case_id] = now
    return reduced


@dataclass
class StoredEvent:
    """A room event as read from the database once, before anyone's view is made of it.

    A message's text is decrypted here at most once, whoever reads it; ``render`` then
    makes each recipient's view in memory. ``hidden`` says why no one may read the text
    (deleted, erased, unreadable); ``failure`` why it could not be opened (shown only to
    those who may read it).
    """

    seq: int
    kind: str
    case_id: uuid.UUID | None
    payload: dict[str, Any]
    message_id: str = ""
    text: str | None = None
    hidden: str = ""
    failure: str = ""
    # The event frames made of it so far, by room and level (see ``event_frame``).
    frames: dict[tuple[str, policy.Level | None], str] = field(
        default_factory=dict, repr=False, compare=False
    )

    def withdraw(self, reason: str) -> None:
        """The text is gone for everyone from now on (the message deleted, the case erased)."""
        self.text, self.hidden = None, reason
        self.frames.clear()


@dataclass(frozen=True)
class StoredBatch:
    events: list[StoredEvent]
    latest: int  # the room's latest sequence number, read after the events
    has_more: bool


def stored_events(*, room: str, since: int, limit: int, latest: bool = True) -> StoredBatch:
    """Events of stored room ``room`` with seq > ``since`` in order, at most ``limit``,
    with their texts opened. Not anyone's view yet: pass each through ``render``.
    """
    rows = list(
        RoomEvent.objects.filter(room=room, seq__gt=since)
        .select_related("case")
        .order_by("seq")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    texts = _Texts(rows)
    events = [texts.stored(row) for row in rows]
    last = (
        RoomSequence.objects.filter(room=room).values_list("last", flat=True).first() or 0
        if latest
        else 0  # not asked for
    )
    return StoredBatch(events=events, latest=last, has_more=has_more)


@dataclass(frozen=True)
class Rendered:
    seq: int
    event: dict[str, Any]


@dataclass(frozen=True)
class EventBatch:
    events: list[Rendered]
    latest: int  # the room's latest sequence number, read after the events
    has_more: bool


def room_events(
    *, user: Any, target: RoomTarget, since: int, limit: int, levels: Levels | None = None
) -> EventBatch:
    """Events with seq > ``since`` in order, at most ``limit``, each as ``user`` may see it."""
    levels = levels if levels is not None else Levels()
    batch = stored_events(room=target.stored, since=since, limit=limit)
    levels.fill(user, target, levels.missing(batch.events))
    events = [Rendered(e.seq, render(e, levels)) for e in batch.events]
    return EventBatch(events=events, latest=batch.latest, has_more=batch.has_more)


def room_history(
    *, user: Any, room: object, since: int, limit: int
) -> tuple[RoomTarget, EventBatch]:
    """A page of a room's history for the REST API; the read is recorded."""
    target = room_target(user=user, room=room)
    batch = room_events(user=user, target=target, since=since, limit=limit)
    _record(user, target, "room.history_read", {"since": since, "events": len(batch.events)})
    return target, batch


class _Texts:
    """The messages and versions a batch of events refers to, fetched in two queries."""

    def __init__(self, rows: list[RoomEvent]) -> None:
        wanted = [
            (row.payload.get("message_id"), row.payload.get("version"))
            for row in rows
            if row.kind in MESSAGE_KINDS
        ]
        ids = {m for m, _n in wanted if m}
        self.messages = {
            str(m.id): m for m in Message.objects.filter(id__in=ids).select_related("case")
        }
        self.versions = {
            (str(v.message_id), v.number): v.ciphertext
            for v in MessageVersion.objects.filter(message_id__in=ids)
        }
        self.keys = KeyRing()

    def stored(self, row: RoomEvent) -> StoredEvent:
        event = StoredEvent(row.seq, row.kind, row.case_id, row.payload)
        if row.kind in MESSAGE_KINDS:
            self._open(event, self._message_fields(row))
        return event

    def _message_fields(self, row: RoomEvent) -> dict[str, Any]:
        if "views" not in row.payload:
            return row.payload
        # Message events are the same at every level; any variant names the message.
        return next(iter(row.payload["views"].values()), {})

    def _open(self, event: StoredEvent, fields: dict[str, Any]) -> None:
        event.message_id = str(fields.get("message_id"))
        message = self.messages.get(event.message_id)
        blob = self.versions.get((event.message_id, int(fields.get("version") or 0)))
        if message is None or blob is None:
            event.hidden = "unreadable"
        elif message.deleted_at is not None:
            event.hidden = "deleted"
        elif message.case is not None and message.case.erased_at is not None:
            event.hidden = "erased"
        if event.hidden:
            return
        assert message is not None and blob is not None
        try:
            event.text = self.keys.open(message, int(fields["version"]), blob)
        except vault.CaseErased:
            event.failure = "erased"
        except vault.VaultError:
            logger.warning("message %s version %s does not decrypt", message.id, fields["version"])
            event.failure = "unreadable"


def render(stored: StoredEvent, levels: Levels) -> dict[str, Any]:
    """``stored`` as seen at the level ``levels`` holds for its case; no database work."""
    level: policy.Level | None = None
    if stored.case_id is not None:
        level = levels.by_case.get(stored.case_id, policy.Level.NONE)
        if level is policy.Level.NONE:
            return {"kind": WITHHELD}
    payload = stored.payload
    if "views" in payload:
        variant = payload["views"].get(str(level)) if level is not None else None
        if variant is None:
            return {"kind": WITHHELD}
        event = {"kind": stored.kind, **variant}
    else:
        event = dict(payload)
    if stored.kind in MESSAGE_KINDS:
        hidden = stored.hidden
        # Free text may name anyone; only those who may see the case identified read it.
        if not hidden and level is not None and level is not policy.Level.IDENTIFIED:
            hidden = WITHHELD
        hidden = hidden or stored.failure
        event["body"] = None if hidden else stored.text
        if hidden:
            event["hidden"] = hidden
    return event


def event_frame(stored: StoredEvent, wire: str, levels: Levels) -> str:
    """The ``event`` frame for ``stored`` in room ``wire`` at the level ``levels`` holds
    for its case, as sent: made once for everyone here at that level (a view depends on
    nothing else), and made again once the event's text is withdrawn."""
    level = (
        levels.by_case.get(stored.case_id, policy.Level.NONE)
        if stored.case_id is not None
        else None
    )
    frame = stored.frames.get((wire, level))
    if frame is None:
        frame = encode(
            {"type": "event", "room": wire, "seq": stored.seq, "event": render(stored, levels)}
        )
        stored.frames[(wire, level)] = frame
    return frame


def latest_seqs(*, stored_rooms: list[str]) -> dict[str, int]:
    return dict(RoomSequence.objects.filter(room__in=stored_rooms).values_list("room", "last"))


def presence_stale_after() -> dt.timedelta:
    tick = _setting("REALTIME_TICK_SECONDS", 5.0)
    return dt.timedelta(seconds=max(3 * tick, 10.0))


def presence(*, stored_rooms: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Who has each room open now: one entry per person, however many tabs they have."""
    cutoff = timezone.now() - presence_stale_after()
    people: dict[str, dict[int, dict[str, Any]]] = {room: {} for room in stored_rooms}
    rows = Presence.objects.filter(room__in=stored_rooms, seen_at__gte=cutoff).select_related(
        "user"
    )
    for row in rows:
        people[row.room][row.user_id] = {
            "id": row.user_id,
            "name": row.user.get_full_name() or row.user.get_username(),
        }
    return {
        room: sorted(found.values(), key=lambda p: (p["name"], p["id"]))
        for room, found in people.items()
    }


def connections_valid(*, sessions: dict[str, int]) -> set[str]:
    """Of these session keys (each with its person), those still signed in with an
    active account: one query each for the accounts and, with database sessions, the keys.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    active = set(
        get_user_model()
        .objects.filter(pk__in=set(sessions.values()), is_active=True)
        .values_list("pk", flat=True)
    )
    keys = [key for key, user_id in sessions.items() if user_id in active]
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        return set(
            Session.objects.filter(session_key__in=keys).values_list("session_key", flat=True)
        )
    return {key for key in keys if session_exists(key)}


def session_exists(session_key: str | None) -> bool:
    """Whether the session is still there (not signed out, not ended by an administrator)."""
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    if not session_key:
        return False
    store: SessionBase = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    return bool(store.exists(session_key))

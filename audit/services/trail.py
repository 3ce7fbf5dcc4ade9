"""The trail itself: ``record`` (the one way an entry is written) and signed checkpoints."""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Iterable
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from audit import merkle, signing
from audit.chain import (
    GENESIS_HASH,
    checkpoint_digest,
    checkpoint_signed_message,
    entry_hash,
    leaf_bytes,
)
from audit.context import current_request_id
from audit.models import AuditEvent, AuditHead, Checkpoint

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from coordination.models import Case, Unit


class AuditOutsideTransaction(RuntimeError):
    """``record`` was called outside the transaction of the change it records."""


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_dict(event: AuditEvent) -> dict[str, Any]:
    """The entry as hashed and exported."""
    return {
        "seq": event.seq,
        "at": format_time(event.at),
        "actor": event.actor,
        "actor_agency": event.actor_agency,
        "actor_unit": event.actor_unit,
        "action": event.action,
        "case_id": str(event.case_id) if event.case_id else "",
        "case_ref": event.case_ref,
        "legal_basis": event.legal_basis,
        "recipients": event.recipients,
        "fields": event.fields,
        "request_id": event.request_id,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def checkpoint_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint as signed and exported (``previous_hash`` empty in a /1 checkpoint)."""
    return {
        "tree_size": checkpoint.tree_size,
        "previous_size": checkpoint.previous_size,
        "previous_hash": checkpoint.previous_hash,
        "root_hash": checkpoint.root_hash,
        "head_hash": checkpoint.head_hash,
        "at": format_time(checkpoint.at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def _read_acting_as(actor_id: int) -> tuple[str, str]:
    """The agency and unit of the person's first membership ("" and "" without one)."""
    with connection.cursor() as cursor:
        cursor.execute(_acting_as_sql(), [actor_id])
        row = cursor.fetchone()
    return _names(row)


def _names(row: Any) -> tuple[str, str]:
    return (str(row[0]), str(row[1])) if row is not None and row[0] is not None else ("", "")


@functools.cache
def _acting_as_sql() -> str:
    from coordination.models import Agency, Membership, Unit

    m, u, a = _columns(Membership), _columns(Unit), _columns(Agency)
    member, unit, agency = (
        connection.ops.quote_name(model._meta.db_table) for model in (Membership, Unit, Agency)
    )
    return (
        f"SELECT a.{a['name']} AS agency, u.{u['name']} AS unit FROM {member} m "  # noqa: S608 - names from the models
        f"JOIN {unit} u ON u.{u['id']} = m.{m['unit']} "
        f"JOIN {agency} a ON a.{a['id']} = u.{u['agency']} "
        f"WHERE m.{m['user']} = %s ORDER BY m.{m['created_at']} LIMIT 1"
    )


def record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    case: Case | None = None,
    unit: Unit | None = None,
    legal_basis: str = "",
    recipients: Iterable[str] = (),
    fields: Iterable[str] = (),
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry to the chain, inside the caller's transaction.

    The head row is locked for the rest of the transaction, so concurrent writers
    append one after another and the chain stays one line. When a checkpoint is due
    (every N entries or T seconds), it is signed here too, under the same lock.
    """
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(action)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if authenticated and actor is not None else None
    # The entry names the unit acted for: the one given, or the person's first one.
    head, names = _locked_head(actor_id if unit is None else None)
    agency_name, unit_name = (unit.agency.name, unit.name) if unit is not None else names
    event = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor.get_username() if authenticated and actor is not None else "",
        actor_user_id=actor_id,
        actor_agency=agency_name,
        actor_unit=unit_name,
        action=action,
        case_id=case.pk if case is not None else None,
        case_ref=case.reference if case is not None else "",
        legal_basis=legal_basis,
        recipients=sorted(recipients),
        fields=sorted(fields),
        request_id=current_request_id() or uuid.uuid4().hex,
        detail=detail or {},
        prev_hash=head.hash,
        hash="",
    )
    event.hash = entry_hash(entry_dict(event))
    frontier = _frontier(head)
    head.frontier = [
        h.hex()
        for h in merkle.frontier_append(
            frontier, head.seq, merkle.leaf_hash(leaf_bytes(event.hash))
        )
    ]
    head.seq = event.seq
    head.hash = event.hash
    changed = ["seq", "hash", "frontier"]
    if head.checkpoint_at is None:
        head.checkpoint_at = event.at
        changed.append("checkpoint_at")
    if _checkpoint_due(head, event.at):
        _sign_head(head, event.at)
        changed += ["checkpoint_size", "checkpoint_at", "checkpoint_hash"]
    _append(event, head, list(dict.fromkeys(changed)))
    return event


# Every statement under the head's lock is time the other writers wait, so on PostgreSQL
# the lock is taken with one plain SELECT ... FOR UPDATE, and the entry is inserted and the
# head advanced by one statement (one round trip instead of two, and none of the ORM's
# per-query work). The rows written are the same as through the ORM; the trail's table is
# only ever inserted into, as its triggers and grants demand.

_HEAD_FIELDS = (
    "id",
    "seq",
    "hash",
    "frontier",
    "checkpoint_size",
    "checkpoint_at",
    "checkpoint_hash",
)


def _locked_head(actor_id: int | None) -> tuple[AuditHead, tuple[str, str]]:
    """The head row, locked until the transaction ends, created with the first entry;
    and with ``actor_id`` the agency and unit of that person's first membership ("" and
    "" otherwise). On PostgreSQL one statement reads both: one round trip less for every
    entry a person writes.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if actor_id is None:
                cursor.execute(_lock_head_sql(False), [1])
            else:
                cursor.execute(_lock_head_sql(True), [actor_id, 1])
            row = cursor.fetchone()
        if row is not None:
            values = dict(zip(_HEAD_FIELDS, row[: len(_HEAD_FIELDS)], strict=True))
            if isinstance(values["frontier"], str):  # jsonb arrives as text (JSONField parses it)
                values["frontier"] = json.loads(values["frontier"])
            head = AuditHead.from_db(connection.alias, list(values), list(values.values()))
            return head, _names(row[len(_HEAD_FIELDS) :]) if actor_id is not None else ("", "")
    head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head, _read_acting_as(actor_id) if actor_id is not None else ("", "")


def _append(event: AuditEvent, head: AuditHead, changed: list[str]) -> None:
    """Insert ``event`` and write the head's ``changed`` fields, as one statement if possible."""
    if connection.vendor != "postgresql":
        event.save(force_insert=True)
        head.save(update_fields=changed)
        return
    head_fields = {f.name: f for f in AuditHead._meta.concrete_fields}
    params = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in _entry_fields()]
    params += [
        head_fields[name].get_db_prep_save(getattr(head, name), connection) for name in changed
    ]
    params.append(head.pk)
    with connection.cursor() as cursor:
        cursor.execute(_append_sql(tuple(changed)), params)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise RuntimeError("the audit head row was not advanced")
    event.pk = row[0]
    event._state.adding = False
    event._state.db = connection.alias


def _entry_fields() -> list[Any]:
    """The columns an INSERT of an entry writes, in the order of ``_append_sql``."""
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _columns(model: type[models.Model]) -> dict[str, str]:
    """Field name -> quoted column name, for the statements written out here."""
    quote = connection.ops.quote_name
    return {f.name: quote(f.column) for f in model._meta.concrete_fields if f.column}


@functools.cache
def _lock_head_sql(with_acting_as: bool) -> str:
    head = _columns(AuditHead)
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    columns = ", ".join(f"h.{head[name]}" for name in _HEAD_FIELDS)
    if not with_acting_as:
        return f"SELECT {columns} FROM {table} h WHERE h.{head['id']} = %s FOR UPDATE"  # noqa: S608 - names from the models
    return (
        f"SELECT {columns}, acting.agency, acting.unit FROM {table} h "  # noqa: S608 - names from the models
        f"LEFT JOIN LATERAL ({_acting_as_sql()}) acting ON TRUE "
        f"WHERE h.{head['id']} = %s FOR UPDATE OF h"
    )


@functools.cache
def _append_sql(changed: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    entry, head = _columns(AuditEvent), _columns(AuditHead)
    written = [entry[f.name] for f in _entry_fields()]
    columns, placeholders = ", ".join(written), ", ".join(["%s"] * len(written))
    assignments = ", ".join(f"{head[name]} = %s" for name in changed)
    return (
        f"WITH entry AS (INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) "  # noqa: S608 - names from the models
        f"VALUES ({placeholders}) RETURNING {entry['id']}) "
        f"UPDATE {quote(AuditHead._meta.db_table)} SET {assignments} WHERE {head['id']} = %s "
        f"RETURNING (SELECT {entry['id']} FROM entry)"
    )


def record_atomic(**kwargs: Any) -> AuditEvent:
    """``record`` in a transaction of its own, for reads that change nothing else."""
    with transaction.atomic():
        return record(**kwargs)


# -- checkpoints --------------------------------------------------------------------------


def _frontier(head: AuditHead) -> list[bytes]:
    """The head's Merkle frontier, rebuilt from the entries if it does not fit the head.

    A frontier has one subtree per set bit of the size; anything else means the head was
    written before frontiers existed (or by hand), and signing it would sign a wrong root.
    """
    frontier = [bytes.fromhex(h) for h in head.frontier]
    if len(frontier) == head.seq.bit_count():
        return frontier
    return rebuild_frontier(head.seq)


def rebuild_frontier(size: int) -> list[bytes]:
    frontier: list[bytes] = []
    hashes = (
        AuditEvent.objects.filter(seq__lte=size)
        .order_by("seq")
        .values_list("hash", flat=True)
        .iterator(chunk_size=5000)
    )
    for count, value in enumerate(hashes):
        frontier = merkle.frontier_append(frontier, count, merkle.leaf_hash(leaf_bytes(value)))
    return frontier


def checkpoint_interval() -> tuple[int, int]:
    """(every N entries, every T seconds); 0 turns a rule off."""
    conf = getattr(settings, "SAMVERKA", {})
    return int(conf.get("AUDIT_CHECKPOINT_EVERY", 100)), int(
        conf.get("AUDIT_CHECKPOINT_SECONDS", 300)
    )


def _checkpoint_due(head: AuditHead, now: dt.datetime) -> bool:
    unsigned = head.seq - head.checkpoint_size
    if unsigned <= 0:
        return False
    every, seconds = checkpoint_interval()
    if every > 0 and unsigned >= every:
        return True
    if seconds <= 0 or head.checkpoint_at is None:
        return False
    return (now - head.checkpoint_at).total_seconds() >= seconds


def _sign_head(head: AuditHead, now: dt.datetime) -> Checkpoint:
    """Sign the head as a /2 checkpoint chained to the newest one, and advance the head.

    Runs under the head's lock, which also orders the checkpoints: the one before is the
    newest, and its digest is on the head (``checkpoint_hash``), so signing reads nothing.
    """
    checkpoint = Checkpoint(
        tree_size=head.seq,
        previous_size=head.checkpoint_size,
        previous_hash=_previous_checkpoint_hash(head),
        root_hash=merkle.frontier_root(_frontier(head)).hex(),
        head_hash=head.hash,
        at=now,
        key_id=signing.current_key_id(),
    )
    # Signed as exported: the message is built from the very dict an export will hold.
    message = checkpoint_signed_message(checkpoint_dict(checkpoint))
    checkpoint.signature = signing.sign(message)
    checkpoint.save(force_insert=True)
    head.checkpoint_size = head.seq
    head.checkpoint_at = now
    head.checkpoint_hash = sha256(message).hexdigest()
    return checkpoint


def _previous_checkpoint_hash(head: AuditHead) -> str:
    """What the next checkpoint signs as ``previous_hash``: the newest one's digest.

    The head holds it once a /2 checkpoint has been signed. A head without it has either
    no checkpoint before it (GENESIS_HASH), or only checkpoints signed before they were
    chained: the first /2 checkpoint then links to the newest of those.
    """
    if head.checkpoint_hash:
        return head.checkpoint_hash
    newest = Checkpoint.objects.order_by("-tree_size").first()
    return checkpoint_digest(checkpoint_dict(newest)) if newest is not None else GENESIS_HASH


@transaction.atomic
def checkpoint_create() -> Checkpoint | None:
    """Sign the chain's head now unless the newest checkpoint already covers it.

    For the timer (``manage.py audit_checkpoint``) and before exports and proofs, so
    that what is handed out is covered by a signature. None while the trail is empty.
    """
    head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
    if head.seq == 0:
        return None
    if head.checkpoint_size == head.seq:
        return Checkpoint.objects.get(tree_size=head.seq)
    checkpoint = _sign_head(head, timezone.now())
    head.save(update_fields=["checkpoint_size", "checkpoint_at", "checkpoint_hash"])
    return checkpoint


def checkpoint_latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()

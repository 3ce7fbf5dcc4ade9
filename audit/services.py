"""``record``: the one way an audit entry is written."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from audit.chain import entry_hash
from audit.context import current_request_id
from audit.models import AuditEvent, AuditHead

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


def _actor_unit(actor: Any, unit: Unit | None) -> Unit | None:
    if unit is not None or actor is None or not getattr(actor, "is_authenticated", False):
        return unit
    membership = actor.memberships.select_related("unit__agency").order_by("created_at").first()
    return membership.unit if membership else None


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
    append one after another and the chain stays one line.
    """
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(action)
    acting_unit = _actor_unit(actor, unit)
    head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor.get_username() if authenticated and actor is not None else "",
        actor_user_id=actor.pk if authenticated and actor is not None else None,
        actor_agency=acting_unit.agency.name if acting_unit else "",
        actor_unit=acting_unit.name if acting_unit else "",
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
    event.save(force_insert=True)
    head.seq = event.seq
    head.hash = event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def record_atomic(**kwargs: Any) -> AuditEvent:
    """``record`` in a transaction of its own, for reads that change nothing else."""
    with transaction.atomic():
        return record(**kwargs)

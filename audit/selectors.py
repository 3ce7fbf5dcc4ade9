"""Auditors' reads of the trail: each asks the policy, and each is itself recorded.

An auditor sees the trail of the agencies where they hold the auditor role
(``policy.audited_agency_ids``); every search, export, register extract and proof they
take writes its own entry, so the review of the log is reviewable too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit import describe, queries, signing
from audit.models import AccessReview, AuditEvent, Checkpoint, ReviewItem
from audit.queries import TrailFilter
from audit.services import export as export_service
from audit.services.trail import checkpoint_latest, record, record_atomic
from consent import policy
from coordination import identity, vault
from coordination.errors import Forbidden, Invalid, NotFound
from coordination.models import Agency, Case, PersonIndex

LIST_LIMIT = 500


def _audited(user: Any) -> set[Any]:
    agency_ids = policy.audited_agency_ids(user)
    if not agency_ids:
        raise Forbidden()
    return agency_ids


@dataclass(frozen=True)
class TrailList:
    rows: list[AuditEvent]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _searched_case(agency_ids: set[Any], filters: TrailFilter) -> Case | None:
    """The case a search names, so the search shows in that case's own history."""
    if not filters.case:
        return None
    return Case.objects.filter(
        reference__iexact=filters.case.strip(), owning_unit__agency_id__in=agency_ids
    ).first()


def _list(
    *,
    user: Any,
    view: str,
    narrow: Any,
    filters: TrailFilter,
    output: str,
    limit: int | None,
) -> TrailList:
    agency_ids = _audited(user)
    events: QuerySet[AuditEvent] = filters.apply(narrow(queries.scoped_events(agency_ids)))
    events = events.order_by("-seq")
    total = events.count()
    rows = list(events[:limit] if limit is not None else events)
    record_atomic(
        actor=user,
        action="audit.searched",
        case=_searched_case(agency_ids, filters),
        detail={"view": view, "filters": filters.as_detail(), "output": output, "hits": total},
    )
    return TrailList(rows=rows, total=total)


def disclosure_list(
    *, user: Any, filters: TrailFilter, output: str = "html", limit: int | None = LIST_LIMIT
) -> TrailList:
    """Every disclosure (``disclosure.*`` entries) in the auditor's scope, newest first."""
    return _list(
        user=user,
        view="disclosures",
        narrow=queries.disclosures,
        filters=filters,
        output=output,
        limit=limit,
    )


def access_list(
    *, user: Any, filters: TrailFilter, output: str = "html", limit: int | None = LIST_LIMIT
) -> TrailList:
    """Every entry about a case (reads, changes, disclosures, reviews), newest first."""

    def about_cases(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        return events.filter(case_id__isnull=False)

    return _list(
        user=user, view="accesses", narrow=about_cases, filters=filters, output=output, limit=limit
    )


def actor_names(events: list[AuditEvent]) -> dict[Any, str]:
    """Full names of the people who acted (the trail itself keeps usernames)."""
    ids = {e.actor_user_id for e in events if e.actor_user_id}
    users = get_user_model().objects.filter(pk__in=ids)
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


# -- register extract ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractLine:
    at: dt.datetime
    who: str
    unit: str
    agency: str
    what: str
    case_ref: str
    fields: list[str]
    level: str
    basis: str
    recipients: list[str]


@dataclass(frozen=True)
class RegisterExtract:
    """Who accessed or received what about one person, when, and on which basis."""

    identity_number: str
    cases: list[Case]
    lines: list[ExtractLine] = field(default_factory=list)
    made_at: dt.datetime = field(default_factory=timezone.now)
    made_by: str = ""


def register_extract(*, user: Any, identity_number: str) -> RegisterExtract:
    """The extract for the person with this personnummer, from the cases of the auditor's
    agencies where the number is registered (found through the blind index).

    The extract is recorded in each case's history without the number itself.
    """
    agency_ids = _audited(user)
    try:
        normalised = identity.normalise(identity_number)
        digest = vault.blind_index(identity_number)
    except identity.InvalidIdentityNumber as exc:
        raise Invalid("Ogiltigt personnummer eller samordningsnummer.") from exc
    cases = list(
        Case.objects.filter(
            pk__in=PersonIndex.objects.filter(digest=digest).values("case_id"),
            owning_unit__agency_id__in=agency_ids,
        ).order_by("created_at")
    )
    events = list(
        AuditEvent.objects.filter(case_id__in=[c.pk for c in cases])
        .exclude(actor="")
        .order_by("seq")
    )
    names = actor_names(events)
    bases = describe.basis_labels(e.legal_basis for e in events)
    lines = [
        ExtractLine(
            at=e.at,
            who=names.get(e.actor_user_id, e.actor),
            unit=e.actor_unit,
            agency=e.actor_agency,
            what=describe.action_label(e.action),
            case_ref=e.case_ref,
            fields=describe.field_labels(e.fields),
            level=str(describe.LEVEL_LABELS.get(str(e.detail.get("level", "")), "")),
            basis=bases.get(e.legal_basis, ""),
            recipients=[str(r) for r in e.recipients],
        )
        for e in events
    ]
    with transaction.atomic():
        targets: list[Case | None] = [*cases] or [None]
        for case in targets:
            record(
                actor=user,
                action="audit.register_extract",
                case=case,
                detail={"cases": len(cases), "entries": len(events)},
            )
    return RegisterExtract(
        identity_number=f"{normalised[:8]}-{normalised[8:]}",
        cases=cases,
        lines=lines,
        made_by=user.get_full_name() or user.get_username(),
    )


# -- access-log reviews ------------------------------------------------------------------


def review_list(*, user: Any) -> QuerySet[AccessReview]:
    agency_ids = _audited(user)
    return AccessReview.objects.filter(agency_id__in=agency_ids).select_related(
        "agency", "started_by", "finished_by"
    )


def review_get(*, user: Any, review_id: uuid.UUID | str) -> AccessReview:
    agency_ids = _audited(user)
    try:
        return AccessReview.objects.select_related("agency", "started_by", "finished_by").get(
            pk=review_id, agency_id__in=agency_ids
        )
    except (AccessReview.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def review_items(review: AccessReview) -> list[ReviewItem]:
    return list(review.items.select_related("event", "marked_by").order_by("position"))


def review_item_get(*, user: Any, review_id: uuid.UUID | str, position: int) -> ReviewItem:
    review = review_get(user=user, review_id=review_id)
    try:
        return review.items.select_related("event", "review").get(position=position)
    except ReviewItem.DoesNotExist as exc:
        raise NotFound() from exc


# -- checkpoints and proofs ---------------------------------------------------------------


def _require_auditor(user: Any) -> None:
    if not policy.may_audit(user):
        raise Forbidden()


def checkpoint_for_auditor(*, user: Any) -> Checkpoint | None:
    _require_auditor(user)
    return checkpoint_latest()


def entry_proof(*, user: Any, seq: int) -> dict[str, Any]:
    """An inclusion proof for one entry of the auditor's scope (recorded)."""
    agency_ids = _audited(user)
    event = queries.scoped_events(agency_ids).filter(seq=seq).first()
    if event is None:
        raise NotFound()
    record_atomic(
        actor=user,
        action="audit.proof_issued",
        case=Case.objects.filter(pk=event.case_id).first() if event.case_id else None,
        detail={"kind": "inclusion", "seq": seq},
    )
    return export_service.inclusion_proof(event)


def consistency_proof(*, user: Any, first: int, second: int | None) -> dict[str, Any]:
    """Proof that the trail signed at ``second`` (default: newest) extends ``first``."""
    _require_auditor(user)
    old = Checkpoint.objects.filter(tree_size=first).first()
    new = (
        Checkpoint.objects.filter(tree_size=second).first()
        if second is not None
        else checkpoint_latest()
    )
    if old is None or new is None:
        raise NotFound()
    return export_service.consistency_proof(old, new)


def audited_agencies(*, user: Any) -> list[Any]:
    """The agencies whose trail the person audits, for choosing one."""
    return list(Agency.objects.filter(pk__in=_audited(user)).order_by("name"))


def auditor_overview(*, user: Any) -> dict[str, Any]:
    """What the console's first page shows: the newest checkpoint and the signing key."""
    _require_auditor(user)
    return {
        "checkpoint": checkpoint_latest(),
        "key_id": signing.current_key_id(),
        "reviews": list(review_list(user=user)[:5]),
    }

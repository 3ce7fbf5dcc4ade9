"""Loggkontroll: the monthly review of who accessed which case, and why.

A review picks accesses to one agency's cases in a period: a random sample, plus every
access (up to a limit per rule) that a rule flags — protected identity, access by a
person without a role in the case, many cases read in a short time, access at night.
The reviewer marks each as justified or needing follow-up; finishing the review records
a digest of it in the audit trail, so the printed review can be checked against the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections import Counter, deque
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import queries
from audit.models import (
    AccessReview,
    AuditEvent,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
    Verdict,
)
from audit.services.trail import format_time, record
from consent import policy
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.models import Agency, Case

MAX_SAMPLE = 500
MAX_PERIOD_DAYS = 366


def review_rules() -> dict[str, int]:
    """Thresholds of the rules, overridable in ``settings.SAMVERKA``."""
    conf = getattr(settings, "SAMVERKA", {})
    return {
        "per_rule_limit": int(conf.get("AUDIT_REVIEW_PER_RULE_LIMIT", 50)),
        "bulk_cases": int(conf.get("AUDIT_REVIEW_BULK_CASES", 10)),
        "bulk_minutes": int(conf.get("AUDIT_REVIEW_BULK_MINUTES", 10)),
        "night_starts": int(conf.get("AUDIT_REVIEW_NIGHT_STARTS", 22)),
        "night_ends": int(conf.get("AUDIT_REVIEW_NIGHT_ENDS", 6)),
    }


def _review_agency(actor: Any, agency: Agency | None) -> Agency:
    audited = policy.audited_agency_ids(actor)
    if not audited:
        raise Forbidden()
    if agency is None:
        if len(audited) != 1:
            raise Invalid(_("Välj vilken myndighets loggar som ska granskas."))
        return Agency.objects.get(pk=next(iter(audited)))
    if agency.pk not in audited:
        raise Forbidden()
    return agency


@transaction.atomic
def access_review_start(
    *,
    actor: Any,
    period_start: dt.date,
    period_end: dt.date,
    sample_size: int,
    agency: Agency | None = None,
) -> AccessReview:
    """Pick the accesses to review and record that the review began."""
    agency = _review_agency(actor, agency)
    if period_start > period_end:
        raise Invalid(_("Periodens början ligger efter dess slut."))
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise Invalid(_("En loggkontroll omfattar högst ett år."))
    if period_start > timezone.localdate():
        raise Invalid(_("Perioden har inte börjat än."))
    if not 0 <= sample_size <= MAX_SAMPLE:
        raise Invalid(_("Urvalet ska vara mellan 0 och %(max)d åtkomster.") % {"max": MAX_SAMPLE})
    lower, upper = queries.period_bounds(period_start, period_end)
    events = list(
        queries.accesses(queries.scoped_events([agency.pk]))
        .filter(at__gte=lower, at__lt=upper)
        .order_by("seq")
        .only("id", "seq", "at", "actor_user_id", "case_id", "legal_basis", "detail")
    )
    picks, rule_counts = _pick(events, sample_size, random.SystemRandom())
    review = AccessReview(
        agency=agency,
        period_start=period_start,
        period_end=period_end,
        sample_size=sample_size,
        accesses_in_period=len(events),
        rule_counts=rule_counts,
        started_by=actor,
        started_at=timezone.now(),
    )
    review.full_clean()
    review.save(force_insert=True)
    by_id = {e.pk: e for e in events}
    ReviewItem.objects.bulk_create(
        [
            ReviewItem(
                review=review,
                position=position,
                event=by_id[event_id],
                reasons=reasons,
                reason_detail=detail,
            )
            for position, (event_id, (reasons, detail)) in enumerate(
                sorted(picks.items(), key=lambda kv: by_id[kv[0]].seq), start=1
            )
        ]
    )
    record(
        actor=actor,
        action="access_review.started",
        detail={
            "review": str(review.pk),
            "agency": agency.name,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "sample_size": sample_size,
            "accesses": len(events),
            "items": len(picks),
            "rule_counts": rule_counts,
        },
    )
    return review


Picks = dict[int, tuple[list[str], dict[str, Any]]]


def _pick(
    events: list[AuditEvent], sample_size: int, rng: random.Random
) -> tuple[Picks, dict[str, int]]:
    """The accesses to review (event id -> reasons, facts) and how many each rule matched."""
    rules = review_rules()
    matched: dict[str, list[AuditEvent]] = {
        ReviewReason.PROTECTED_IDENTITY: _protected(events),
        ReviewReason.NO_ROLE: _without_role(events),
        ReviewReason.BULK: [],
        ReviewReason.NIGHT: _at_night(events, rules["night_starts"], rules["night_ends"]),
    }
    bulk_facts: dict[int, dict[str, int]] = {}
    for event, distinct in _bulk(events, rules["bulk_cases"], rules["bulk_minutes"]):
        matched[ReviewReason.BULK].append(event)
        bulk_facts[event.pk] = {"cases": distinct, "minutes": rules["bulk_minutes"]}
    picks: Picks = {}

    def add(event: AuditEvent, reason: str) -> None:
        reasons, detail = picks.setdefault(event.pk, ([], {}))
        reasons.append(reason)
        if reason == ReviewReason.BULK:
            detail["bulk"] = bulk_facts[event.pk]

    for event in rng.sample(events, min(sample_size, len(events))):
        add(event, ReviewReason.RANDOM)
    limit = rules["per_rule_limit"]
    for reason, hits in matched.items():
        chosen = hits if len(hits) <= limit else rng.sample(hits, limit)
        for event in chosen:
            add(event, reason)
    counts = {str(reason): len(hits) for reason, hits in matched.items()}
    return picks, counts


def _cases(events: list[AuditEvent]) -> dict[Any, Case]:
    ids = {e.case_id for e in events if e.case_id is not None}
    return {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("owning_unit")}


def _protected(events: list[AuditEvent]) -> list[AuditEvent]:
    cases = _cases(events)
    return [
        e
        for e in events
        if e.detail.get("flagged") is True
        or (e.case_id in cases and cases[e.case_id].protected_identity)
    ]


def _without_role(events: list[AuditEvent]) -> list[AuditEvent]:
    """Accesses where neither the basis recorded then nor the case's roles show a role."""
    cases = _cases(events)
    users: dict[Any, Any] = {
        u.pk: u for u in get_user_model().objects.filter(pk__in={e.actor_user_id for e in events})
    }
    had_role: dict[tuple[Any, Any], bool] = {}
    hits = []
    for event in events:
        if event.legal_basis == policy.Basis.OWNING_UNIT:
            continue
        key = (event.actor_user_id, event.case_id)
        if key not in had_role:
            user, case = users.get(event.actor_user_id), cases.get(event.case_id)
            had_role[key] = bool(user and case and policy.had_role_in_case(user, case))
        if not had_role[key]:
            hits.append(event)
    return hits


def _at_night(events: list[AuditEvent], starts: int, ends: int) -> list[AuditEvent]:
    def night(at: dt.datetime) -> bool:
        hour = timezone.localtime(at).hour
        return hour >= starts or hour < ends

    return [e for e in events if night(e.at)]


def _bulk(events: list[AuditEvent], threshold: int, minutes: int) -> list[tuple[AuditEvent, int]]:
    """For each person, the access at which ``threshold`` distinct cases were reached within
    ``minutes``; one pick per burst (the next burst must start after the last pick)."""
    window = dt.timedelta(minutes=minutes)
    by_person: dict[Any, list[AuditEvent]] = {}
    for event in events:
        by_person.setdefault(event.actor_user_id, []).append(event)
    hits = []
    for person_events in by_person.values():
        recent: deque[AuditEvent] = deque()
        counts: Counter[Any] = Counter()
        last_pick: dt.datetime | None = None
        for event in person_events:
            recent.append(event)
            counts[event.case_id] += 1
            while event.at - recent[0].at > window:
                old = recent.popleft()
                counts[old.case_id] -= 1
                if not counts[old.case_id]:
                    del counts[old.case_id]
            if len(counts) >= threshold and (last_pick is None or recent[0].at > last_pick):
                hits.append((event, len(counts)))
                last_pick = event.at
    return hits


def _locked_review(actor: Any, review: AccessReview) -> AccessReview:
    locked = AccessReview.objects.select_for_update().select_related("agency").get(pk=review.pk)
    if not policy.may_audit_agency(actor, locked.agency_id):
        raise NotFound()
    if locked.status != ReviewStatus.OPEN:
        raise Conflict(_("Loggkontrollen är avslutad och kan inte ändras."))
    return locked


@transaction.atomic
def review_item_mark(*, actor: Any, item: ReviewItem, verdict: str, note: str = "") -> ReviewItem:
    """The reviewer's verdict on one access: justified, or needing follow-up (with a note)."""
    review = _locked_review(actor, item.review)
    item = ReviewItem.objects.select_related("event").get(pk=item.pk, review=review)
    if verdict not in Verdict.values:
        raise Invalid(_("Välj befogad eller behöver följas upp."), detail={"verdict": verdict})
    note = (note or "").strip()
    if verdict == Verdict.FOLLOW_UP and not note:
        raise Invalid(_("Skriv en anteckning om vad som ska följas upp."))
    item.verdict = verdict
    item.note = note
    item.marked_by = actor
    item.marked_at = timezone.now()
    item.full_clean()
    item.save(update_fields=["verdict", "note", "marked_by", "marked_at"])
    record(
        actor=actor,
        action="access_review.item_marked",
        case=Case.objects.filter(pk=item.event.case_id).first() if item.event.case_id else None,
        detail={
            "review": str(review.pk),
            "position": item.position,
            "event_seq": item.event.seq,
            "verdict": verdict,
        },
    )
    return item


@transaction.atomic
def access_review_finish(*, actor: Any, review: AccessReview, conclusion: str = "") -> AccessReview:
    """Close the review once every access is marked; its digest goes into the trail."""
    review = _locked_review(actor, review)
    unmarked = list(review.items.filter(verdict="").values_list("position", flat=True))
    if unmarked:
        raise Conflict(
            _("Alla åtkomster måste bedömas innan loggkontrollen avslutas."),
            detail={"unmarked": unmarked},
        )
    review.status = ReviewStatus.FINISHED
    review.finished_by = actor
    review.finished_at = timezone.now()
    review.conclusion = (conclusion or "").strip()
    review.digest = review_digest(review)
    review.full_clean()
    review.save(update_fields=["status", "finished_by", "finished_at", "conclusion", "digest"])
    verdicts = Counter(review.items.values_list("verdict", flat=True))
    record(
        actor=actor,
        action="access_review.finished",
        detail={
            "review": str(review.pk),
            "items": sum(verdicts.values()),
            "justified": verdicts.get(Verdict.JUSTIFIED, 0),
            "follow_up": verdicts.get(Verdict.FOLLOW_UP, 0),
            "digest": review.digest,
        },
    )
    return review


def review_digest(review: AccessReview) -> str:
    """SHA-256 over the review's content: what was picked, each verdict and note, the
    conclusion. Shown on the printed review and written to the trail when it finishes."""
    items = [
        {
            "position": item.position,
            "event_seq": item.event.seq,
            "event_hash": item.event.hash,
            "reasons": item.reasons,
            "verdict": item.verdict,
            "note": item.note,
            "marked_by": item.marked_by.get_username() if item.marked_by else "",
        }
        for item in review.items.select_related("event", "marked_by").order_by("position")
    ]
    body = {
        "review": str(review.pk),
        "agency": review.agency.name,
        "period": [review.period_start.isoformat(), review.period_end.isoformat()],
        "sample_size": review.sample_size,
        "accesses": review.accesses_in_period,
        "rule_counts": review.rule_counts,
        "items": items,
        "conclusion": review.conclusion,
        "finished_by": review.finished_by.get_username() if review.finished_by else "",
        "finished_at": format_time(review.finished_at) if review.finished_at else "",
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()

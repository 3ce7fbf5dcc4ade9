"""Changes to what the statistics count: the four Linköping counts recorded on a case."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record
from consent import policy
from coordination.errors import CaseErasedError, Invalid, NotFound
from coordination.models import Case
from coordination.models_statistics import CaseFacts

MAX_CHILDREN = 20


def _children(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("Ange ett antal barn (0–20)."), detail={"field": field})
    if not 0 <= value <= MAX_CHILDREN:
        raise Invalid(_("Ange ett antal barn (0–20)."), detail={"field": field})
    return value


@transaction.atomic
def case_facts_record(
    *,
    actor: Any,
    case: Case,
    children_witnessed: int,
    children_subjected: int,
    adult_subjected: bool,
    adult_used_violence: bool,
) -> CaseFacts:
    """Record (or correct) the case's four counts; numbers only, no identity."""
    if not policy.may_record_case_facts(actor, case):
        if case.erased_at is not None and policy.works_on_case(actor, case):
            raise CaseErasedError()
        raise NotFound()
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.erased_at is not None:
        raise CaseErasedError()
    values = {
        "children_witnessed": _children(children_witnessed, "children_witnessed"),
        "children_subjected": _children(children_subjected, "children_subjected"),
        "adult_subjected": bool(adult_subjected),
        "adult_used_violence": bool(adult_used_violence),
    }
    facts = CaseFacts.objects.filter(case=case).first()
    before = {name: getattr(facts, name) for name in values} if facts is not None else None
    if facts is None:
        facts = CaseFacts(case=case, updated_by=actor, **values)
        facts.full_clean()
        facts.save(force_insert=True)
    else:
        for name, value in values.items():
            setattr(facts, name, value)
        facts.updated_by = actor
        facts.full_clean()
        facts.save(update_fields=[*values, "updated_by", "updated_at"])
    record(
        actor=actor,
        action="case_facts.recorded",
        case=case,
        detail={"counts": values, "before": before},
    )
    return facts

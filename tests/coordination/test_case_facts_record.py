"""Recording the four Linköping counts on a case: numbers only, audited, refused to
anyone who does not work with the case."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from coordination import services
from coordination.errors import CaseErasedError, Invalid, NotFound
from coordination.models import Case
from coordination.models_statistics import CaseFacts
from coordination.services.statistics import case_facts_record
from tests.fixtures import Org


def _record(org: Org, case: Case, actor: str = "officer", **overrides: object) -> CaseFacts:
    values: dict[str, object] = {
        "children_witnessed": 2,
        "children_subjected": 1,
        "adult_subjected": True,
        "adult_used_violence": False,
    }
    values.update(overrides)
    return case_facts_record(actor=org.user(actor), case=case, **values)  # type: ignore[arg-type]


def test_the_counts_are_stored_and_the_change_is_audited(org: Org, case: Case) -> None:
    facts = _record(org, case)
    assert (facts.children_witnessed, facts.children_subjected) == (2, 1)
    assert facts.adult_subjected and not facts.adult_used_violence
    entry = AuditEvent.objects.filter(action="case_facts.recorded").get()
    assert entry.case_ref == case.reference
    assert entry.actor == "officer"
    assert entry.detail["counts"]["children_witnessed"] == 2
    assert entry.detail["before"] is None


def test_a_correction_keeps_one_row_and_the_trail_shows_what_it_was(org: Org, case: Case) -> None:
    _record(org, case)
    _record(org, case, actor="lead", children_witnessed=3)
    assert CaseFacts.objects.get(case=case).children_witnessed == 3
    last = AuditEvent.objects.filter(action="case_facts.recorded").order_by("-seq").first()
    assert last is not None
    assert last.detail["before"]["children_witnessed"] == 2
    assert last.actor == "lead"


@pytest.mark.parametrize("value", [-1, 21, "två", True, None])
def test_an_impossible_number_of_children_changes_nothing(
    org: Org, case: Case, value: object
) -> None:
    with pytest.raises(Invalid) as refused:
        _record(org, case, children_witnessed=value)
    assert refused.value.detail == {"field": "children_witnessed"}
    assert not CaseFacts.objects.exists()
    assert not AuditEvent.objects.filter(action="case_facts.recorded").exists()


@pytest.mark.parametrize("outsider", ["vuxen_officer", "coordinator", "nurse", "auditor"])
def test_people_who_do_not_work_with_the_case_get_not_found(
    org: Org, case: Case, outsider: str
) -> None:
    with pytest.raises(NotFound):
        _record(org, case, actor=outsider)
    assert not CaseFacts.objects.exists()


def test_an_erased_case_takes_no_new_counts(org: Org, case: Case) -> None:
    services.case_erase(actor=org.user("lead"), case=case, reason="Gallringsfrist")
    case.refresh_from_db()
    with pytest.raises(CaseErasedError):
        _record(org, case)
    assert not CaseFacts.objects.exists()

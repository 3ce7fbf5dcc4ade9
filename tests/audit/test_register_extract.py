"""The register extract: who accessed or received what about one person, in plain Swedish."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from audit.selectors import register_extract
from audit.services import record_atomic
from consent.models import LegalBasis
from coordination import selectors
from coordination.errors import Forbidden, Invalid
from coordination.models import Case, Role
from coordination.services import membership_grant
from tests.fixtures import IDENTITY, Org

pytestmark = pytest.mark.django_db

NUMBER = "19850612-2384"  # IDENTITY["personnummer"]
CHILD = "20150822-2385"  # IDENTITY["children"][0]["personnummer"]


@pytest.fixture
def history(org: Org, case: Case) -> Case:
    """The case read by its officer, and some of it disclosed to the region."""
    selectors.case_detail(user=org.user("officer"), case_id=case.pk)
    record_atomic(
        actor=org.user("officer"),
        action="disclosure.recorded",
        case=case,
        legal_basis="test-grund-1",
        recipients=["Region Östergötland – Primärvård"],
        fields=["name", "children"],
        detail={"level": "identified"},
    )
    return case


def test_the_numbers_are_those_of_the_fixture() -> None:
    assert (IDENTITY["personnummer"], IDENTITY["children"][0]["personnummer"]) == (  # type: ignore[index]
        NUMBER,
        CHILD,
    )


def test_the_extract_tells_who_did_what_when_and_why_in_plain_swedish(
    org: Org, history: Case
) -> None:
    extract = register_extract(user=org.user("auditor"), identity_number="198506122384")
    assert extract.identity_number == "19850612-2384"
    assert extract.cases == [history]
    assert extract.made_by == "Auditor Testsson"
    whats = [line.what for line in extract.lines]
    assert whats == [
        "registrerade ärendet",
        "registrerade eller ändrade personuppgifter",
        "läste uppgifter i ärendet",
        "lämnade ut uppgifter",
    ]
    read = extract.lines[2]
    assert read.who == "Officer Testsson"
    assert (read.unit, read.agency) == ("Barn och unga", "Motala socialkontor")
    assert read.case_ref == history.reference
    assert "namn" in read.fields and "personnummer" in read.fields and "adress" in read.fields
    assert read.basis == "arbetar med ärendet i den enhet som ansvarar för det"
    assert read.level == "med identitet"
    disclosed = extract.lines[3]
    assert disclosed.recipients == ["Region Östergötland – Primärvård"]
    assert disclosed.fields == ["namn", "uppgifter om barn"]
    assert disclosed.basis == "test-grund-1"  # a code the catalogue does not name is shown as is


def test_a_basis_from_the_catalogue_is_named_by_its_title_and_statute(
    org: Org, history: Case
) -> None:
    LegalBasis.objects.update_or_create(
        code="test-grund-1",
        defaults={
            "title": "Uppgift om barn till hälso- och sjukvården",
            "statute_reference": "OSL 25 kap. 12 §",
            "level": "identified",
        },
    )
    extract = register_extract(user=org.user("auditor"), identity_number=NUMBER)
    assert extract.lines[-1].basis == (
        "Uppgift om barn till hälso- och sjukvården (OSL 25 kap. 12 §)"
    )


def test_the_extract_is_recorded_without_the_number(org: Org, history: Case) -> None:
    before = AuditEvent.objects.count()
    register_extract(user=org.user("auditor"), identity_number=NUMBER)
    entries = list(AuditEvent.objects.filter(seq__gt=before))
    assert [(e.action, e.case_id, e.actor) for e in entries] == [
        ("audit.register_extract", history.pk, "auditor")
    ]
    assert entries[0].detail == {"cases": 1, "entries": 4}
    for entry in AuditEvent.objects.all():
        text = json.dumps(entry.detail) + entry.case_ref + " ".join(entry.recipients)
        assert "2384" not in text and "850612" not in text
    # The next extract shows the earlier one: the auditor's look is itself on record.
    again = register_extract(user=org.user("auditor"), identity_number=NUMBER)
    assert again.lines[-1].what == "tog fram ett registerutdrag"


def test_a_childs_number_finds_the_case_that_holds_the_child(org: Org, history: Case) -> None:
    assert register_extract(user=org.user("auditor"), identity_number=CHILD).cases == [history]


def test_a_person_without_cases_gets_an_empty_extract_that_is_still_recorded(
    org: Org, history: Case
) -> None:
    before = AuditEvent.objects.count()
    extract = register_extract(user=org.user("auditor"), identity_number="19121212-1212")
    assert extract.cases == [] and extract.lines == []
    entry = AuditEvent.objects.get(seq=before + 1)
    assert (entry.action, entry.case_id, entry.detail) == (
        "audit.register_extract",
        None,
        {"cases": 0, "entries": 0},
    )


def test_another_agencys_auditor_learns_nothing_of_the_case(org: Org, history: Case) -> None:
    membership_grant(
        actor=None, user=org.user("nurse"), unit=org.units["region"], role=Role.AUDITOR
    )
    extract = register_extract(user=org.user("nurse"), identity_number=NUMBER)
    assert extract.cases == [] and extract.lines == []


def test_bad_numbers_and_non_auditors_are_refused_without_a_trace(org: Org, history: Case) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid):
        register_extract(user=org.user("auditor"), identity_number="19850612-2385")
    for name in ("officer", "lead", "admin"):
        with pytest.raises(Forbidden):
            register_extract(user=org.user(name), identity_number=NUMBER)
    assert AuditEvent.objects.count() == before

"""The Django side of the anonymiser: identifiers from the vault, drafts, message checks."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from consent.anonymiser import Identifiers, case_brief
from coordination import services
from coordination.errors import CaseErasedError, Invalid, NotFound
from coordination.models import Case
from tests.fixtures import Org

pytestmark = pytest.mark.django_db

IDENTITY_VALUES = [
    "Lina",
    "Andersson",
    "Lillan",
    "19850612",
    "850612",
    "2384",
    "Storgatan",
    "591 30",
    "070-123 45 67",
    "0701234567",
    "lina.andersson@example.se",
    "Elsa",
    "20150822",
    "Mikael",
    "Charlottenborgsskolan",
]


def test_identifiers_for_case_come_from_the_vault_in_the_documented_shape(case: Case) -> None:
    identifiers = case_brief.identifiers_for_case(case)

    assert identifiers == {
        "names": ["Lina Andersson", "Lillan"],
        "personnummer": ["19850612-2384", "20150822-2385"],
        "addresses": ["Storgatan 12, 591 30 Motala"],
        "phones": ["0701234567"],
        "emails": ["lina.andersson@example.se"],
        "schools": ["Charlottenborgsskolan"],
        "other": [],
        "relatives": ["Mikael Andersson"],
        "children": [{"name": "Elsa Andersson", "birth_date": "2015-08-22"}],
        "municipality": "0583",
    }
    # The engine takes the mapping as it is.
    assert Identifiers.from_mapping(identifiers).children[0].name == "Elsa Andersson"


def test_a_draft_brief_keeps_nothing_that_identifies(case: Case) -> None:
    text = (
        "LINA (40 år) bor på storgatan 12 B, 591 30 Motala med dottern Elsa som går på "
        "Charlottenborgsskolan. Maken Mikael Anderssons nummer 0701234567 och hennes "
        "e-post Lina.Andersson@example.se är kända. Personnummer 850612+2384. Hon kallas Lillan."
    )
    draft = case_brief.draft_brief(case, text)

    for value in IDENTITY_VALUES:
        assert value.casefold() not in draft.text.casefold(), value
    assert "40–49 år" in draft.text
    assert "en kommun i västra länsdelen" in draft.text
    assert draft.result.summary.startswith("Ett barn i åldern")


def test_message_with_an_identifier_of_the_case_is_refused_saying_what_was_found(
    case: Case,
) -> None:
    text = "Lina ringde från 070 123 45 67 i går."
    findings = case_brief.identifiers_in(case, text)
    assert [(f.category, text[f.start : f.end]) for f in findings] == [
        ("name", "Lina"),
        ("phone", "070 123 45 67"),
    ]

    with pytest.raises(case_brief.IdentifierInMessage) as error:
        case_brief.check_message(case, text)
    assert error.value.code == "identifier_in_message"
    assert "namn" in error.value.message and "telefonnummer" in error.value.message
    assert error.value.detail == {"categories": ["name", "phone"], "spans": [[0, 4], [17, 30]]}
    shown = error.value.message + json.dumps(error.value.detail)
    assert "Lina" not in shown and "123" not in shown


def test_a_personnummer_of_anyone_is_refused_in_a_message(case: Case) -> None:
    with pytest.raises(case_brief.IdentifierInMessage) as error:
        case_brief.check_message(case, "Pappan har nummer 790304-4100.")
    assert error.value.detail["categories"] == ["personnummer"]


def test_an_ordinary_message_passes(case: Case) -> None:
    case_brief.check_message(case, "Anna på skolan tar kontakt med BUP före mötet 12 mars.")


def test_an_erased_case_has_no_identifiers_to_draft_from(org: Org, case: Case) -> None:
    services.case_erase(actor=org.user("lead"), case=case, reason="Gallringsfrist")
    case = Case.objects.get(pk=case.pk)
    with pytest.raises(CaseErasedError):
        case_brief.identifiers_for_case(case)


def test_the_preview_is_audited_with_categories_and_counts_only(org: Org, case: Case) -> None:
    officer = org.user("officer")
    _case, draft = case_brief.brief_preview(
        user=officer, case_id=case.id, text="Lina bor i Motala, tel 0701234567."
    )

    entry = AuditEvent.objects.filter(action="brief.previewed").get()
    assert entry.case_id == case.id
    assert entry.legal_basis == "owning_unit"
    assert entry.detail == {
        "redactions": 3,
        "categories": ["municipality", "name", "phone"],
        "warnings": [],
    }
    serialised = json.dumps(
        [entry.detail, entry.fields, entry.recipients, entry.case_ref], ensure_ascii=False
    )
    assert "Lina" not in serialised and "0701234567" not in serialised
    assert len(draft.redactions) == 3


def test_a_person_who_does_not_work_on_the_case_gets_not_found_and_nothing_is_recorded(
    org: Org, case: Case
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        case_brief.brief_preview(user=org.user("norr_officer"), case_id=case.id, text="Lina")
    assert AuditEvent.objects.count() == before


def test_confirming_needs_the_fingerprint_of_the_previewed_version(org: Org, case: Case) -> None:
    officer = org.user("officer")
    _case, draft = case_brief.brief_preview(user=officer, case_id=case.id, text="Lina kom.")

    with pytest.raises(Invalid):
        case_brief.brief_confirm(
            user=officer, case_id=case.id, text="Lina kom i går.", fingerprint=draft.fingerprint
        )
    assert not AuditEvent.objects.filter(action="brief.confirmed").exists()

    case_brief.brief_confirm(
        user=officer, case_id=case.id, text="Lina kom.", fingerprint=draft.fingerprint
    )
    assert AuditEvent.objects.filter(action="brief.confirmed").count() == 1

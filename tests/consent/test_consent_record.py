"""consent_record: who may record, what is validated, what is stored, audited and published."""

# ruff: noqa: F811

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from audit.models import AuditEvent
from consent import services
from consent.models import Consent, ConsentStatus
from coordination import services as org_services
from coordination import vault
from coordination.errors import CaseErasedError, Invalid, NotFound
from tests.consent.conftest import FULL, agency, days, make_forum, record_consent, today

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org


def test_officer_records_consent_with_audit_and_event(
    org: Org, case, django_capture_on_commit_callbacks
) -> None:
    forum = make_forum(org)
    with (
        mock.patch("realtime.publish._send") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        consent = record_consent(org, case, forums=[forum])

    consent.refresh_from_db()
    assert consent.case == case
    assert set(consent.recipient_agencies.values_list("name", flat=True)) == {
        "Ekbackeskolan",
        "Region Östergötland",
    }
    assert list(consent.recipient_forums.all()) == [forum]
    assert consent.categories == FULL
    assert consent.status(today()) is ConsentStatus.VALID
    assert consent.recorded_by == org.user("officer")
    # The purpose is free text about the client: stored only encrypted with the case key.
    assert b"skolan" not in bytes(consent.purpose_ciphertext)
    key = vault.case_data_key(case)
    assert vault.decrypt_value(
        key, str(case.id), f"consent:{consent.id}:purpose", bytes(consent.purpose_ciphertext)
    ).startswith("Planera stöd")

    entry = AuditEvent.objects.get(action="consent.recorded")
    assert entry.case_ref == case.reference and entry.actor == "officer"
    assert entry.legal_basis == "consent"
    assert set(entry.recipients) == {"Ekbackeskolan", "Region Östergötland", forum.name}
    assert entry.fields == sorted(FULL)
    assert entry.detail["consent"] == str(consent.id)
    assert entry.detail["valid_to"] == days(180).isoformat()
    assert "Planera" not in str(entry.detail)

    (room, event), _kw = send.call_args
    assert room == f"case:{case.id}"
    assert event.kind == "consent.recorded" and event.consent_id == str(consent.id)


def test_oral_consent_names_its_witness(org: Org, case) -> None:
    consent = services.consent_record(
        actor=org.user("officer"),
        case=case,
        agencies=[agency(org, "region")],
        categories=["situation"],
        purpose_code="consultation",
        given_how="oral",
        witnessed_by=org.user("colleague"),
        valid_from=today(),
        valid_to=days(30),
    )
    assert consent.witnessed_by == org.user("colleague")
    assert AuditEvent.objects.get(action="consent.recorded").detail["witnessed_by"] == "colleague"


def _attempt(org: Org, case: Any, **changes: Any) -> None:
    values: dict[str, Any] = {
        "actor": org.user("officer"),
        "case": case,
        "agencies": [agency(org, "region")],
        "categories": ["situation"],
        "purpose_code": "consultation",
        "given_how": "written",
        "valid_from": today(),
        "valid_to": days(30),
    }
    values.update(changes)
    services.consent_record(**values)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"agencies": [], "forums": []}, "recipients", "Ange minst en mottagare."),
        ({"categories": []}, "categories", "Ange vilka uppgifter samtycket gäller."),
        ({"categories": ["shoe_size"]}, "categories", "Okända uppgifter."),
        ({"purpose_code": "curiosity"}, "purpose_code", "Okänt ändamål."),
        ({"purpose_code": "other", "purpose": "  "}, "purpose", "Beskriv ändamålet."),
        (
            {"given_how": "telepathy"},
            "given_how",
            "Ange om samtycket är skriftligt eller muntligt.",
        ),
        (
            {"given_how": "oral"},
            "witnessed_by",
            "Ett muntligt samtycke ska bevittnas; ange vem som bevittnade det.",
        ),
        (
            {"valid_from": days(10), "valid_to": days(5)},
            "valid_to",
            "Slutdatumet kan inte ligga före startdatumet.",
        ),
        (
            {"valid_from": days(-30), "valid_to": days(-1)},
            "valid_to",
            "Slutdatumet har redan passerat.",
        ),
    ],
)
def test_invalid_consent_is_refused_and_changes_nothing(
    org: Org, case, changes: dict[str, Any], field: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as refused:
        _attempt(org, case, **changes)
    assert refused.value.detail["field"] == field
    assert refused.value.message == message
    assert not Consent.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_recorder_cannot_witness_their_own_oral_consent(org: Org, case) -> None:
    with pytest.raises(Invalid) as refused:
        _attempt(org, case, given_how="oral", witnessed_by=org.user("officer"))
    assert refused.value.detail["field"] == "witnessed_by"
    assert not Consent.objects.exists()


def test_a_deactivated_witness_is_refused(org: Org, case) -> None:
    org_services.user_deactivate(actor=None, user=org.user("colleague"), reason="Slutat")
    with pytest.raises(Invalid):
        _attempt(org, case, given_how="oral", witnessed_by=org.user("colleague"))
    assert not Consent.objects.exists()


def test_outsider_gets_not_found_and_nothing_changes(org: Org, case) -> None:
    before = AuditEvent.objects.count()
    for outsider in ("norr_officer", "vuxen_lead", "teacher", "colleague"):
        with pytest.raises(NotFound):
            _attempt(org, case, actor=org.user(outsider))
    assert not Consent.objects.exists()
    assert AuditEvent.objects.count() == before


def test_no_consent_on_an_erased_case(org: Org, case) -> None:
    org_services.case_erase(actor=org.user("lead"), case=case, reason="Gallringsfrist")
    with pytest.raises(CaseErasedError):
        _attempt(org, case)
    assert not Consent.objects.exists()

from typing import Any

import pytest

from audit.models import AuditEvent
from consent import services as consent_services
from consent.errors import DisclosureRefused
from consent.models import Disclosure
from coordination import vault
from coordination.errors import NotFound
from coordination.models_consultation import Referral, ReferralStatus
from coordination.services import consultation
from tests.coordination.consultation import Konsult
from tests.coordination.styrgrupp import sent_events


def send(konsult: Konsult, **overrides: Any) -> Referral:
    values: dict[str, Any] = {
        "actor": konsult.user("norr_officer"),
        "case": konsult.case,
        "to_unit": konsult.region,
        "basis": "consent",
        "categories": ["identity", "contact", "situation"],
        "text": "Klienten behöver samtalsstöd för sig och dottern.",
        "assessment": "Klienten har skriftligen samtyckt till remissen.",
    }
    values.update(overrides)
    return consultation.referral_send(**values)


def test_with_consent_only_the_chosen_categories_go_to_the_unit(
    konsult: Konsult, django_capture_on_commit_callbacks
) -> None:
    consent = konsult.consent()
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        referral = send(konsult)
    assert referral.status == ReferralStatus.SENT
    assert (referral.to_unit, referral.to_agency) == (konsult.region, konsult.region.agency)
    assert referral.from_unit == konsult.norr
    assert referral.categories == ["identity", "contact", "situation"]
    disclosure = referral.disclosure
    assert disclosure.consent == consent
    assert disclosure.context == "referral"
    assert disclosure.recipient_unit == konsult.region
    assert set(disclosure.fields) == {
        "name",
        "nicknames",
        "personnummer",
        "phone",
        "email",
        "situation",
    }
    case = konsult.case
    text = vault.decrypt_value(
        vault.case_data_key(case),
        str(case.id),
        f"referral:{referral.id}:text",
        referral.text_ciphertext,
    )
    assert text == "Klienten behöver samtalsstöd för sig och dottern."
    entry = AuditEvent.objects.get(action="referral.sent")
    assert entry.legal_basis == "consent"
    assert entry.recipients == [referral.recipient_name]
    assert "samtalsstöd" not in str(entry.detail)
    rooms = sorted(room for room, event in sent if event["kind"] == "referral.updated")
    assert rooms == sorted([f"case:{case.id}", f"inbox:{konsult.user('nurse').pk}"])
    event = next(e for r, e in sent if e["kind"] == "referral.updated")
    assert event["status"] == "sent"
    assert event["case_reference"] == case.reference
    assert "Lina" not in str(event)


@pytest.mark.parametrize(
    ("consent", "categories", "code", "says"),
    [
        (None, ["identity"], "consent_missing", "inget samtycke"),
        (
            {"agencies": [], "purpose_code": "coordination"},
            ["identity"],
            "consent_recipient",
            "Region",
        ),
        ({"purpose_code": "consultation"}, ["identity"], "consent_purpose", "inte remiss"),
        ({}, ["address"], "consent_category", "adress"),
    ],
)
def test_nothing_crosses_without_a_basis_and_the_refusal_says_what_is_missing(
    konsult: Konsult, consent: dict | None, categories: list[str], code: str, says: str
) -> None:
    if consent is not None:
        konsult.consent(**consent)
    with pytest.raises(DisclosureRefused) as error:
        send(konsult, categories=categories)
    assert error.value.code == code
    assert says in error.value.message
    assert not Referral.objects.exists()
    assert not Disclosure.objects.filter(context="referral").exists()
    assert not AuditEvent.objects.filter(action="referral.sent").exists()


def test_another_recorded_basis_from_the_catalogue(konsult: Konsult) -> None:
    # Social services to health care for a child's needs: no consent needed (OSL 26:9).
    referral = send(konsult, basis="social_to_health_child", categories=["children", "situation"])
    assert referral.disclosure.basis_code == "social_to_health_child"
    assert referral.disclosure.consent is None
    with pytest.raises(DisclosureRefused) as error:
        send(
            konsult, basis="social_to_health_child", to_unit=konsult.skola, categories=["children"]
        )
    assert error.value.code == "basis_direction"


def test_only_people_on_the_case_send_and_a_text_is_required(konsult: Konsult) -> None:
    konsult.consent()
    with pytest.raises(NotFound):
        send(konsult, actor=konsult.user("nurse"))
    with pytest.raises(Exception, match="tomt"):
        send(konsult, text="  ")
    assert not Referral.objects.exists()


def test_a_revoked_consent_stops_the_receiver_seeing_it(konsult: Konsult) -> None:
    from consent import policy

    consent = konsult.consent()
    referral = send(konsult)
    nurse = konsult.user("nurse")
    assert policy.referral_case_access(nurse, referral).fields >= {"name", "situation"}
    consent_services.consent_revoke(
        actor=konsult.user("norr_officer"), consent=consent, reason="Ångrade sig."
    )
    referral.refresh_from_db()
    assert not policy.referral_case_access(nurse, referral).allowed

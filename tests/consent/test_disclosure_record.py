"""disclosure_record: a person's decision to disclose, recorded with what, to whom, on
which basis and their secrecy assessment — or refused with the policy's reason."""

# ruff: noqa: F811

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from audit.models import AuditEvent
from consent import policy, services
from consent.errors import DisclosureRefused
from consent.models import Disclosure
from coordination import services as org_services
from coordination import vault
from coordination.errors import CaseErasedError, Invalid, NotFound
from tests.consent.conftest import agency, make_forum, make_meeting, make_police, record_consent

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org, make_case, make_user

NOTE = "Region behöver känna till läget för att erbjuda stöd; men för klienten bedöms inte uppstå."


def disclose(org: Org, case: Any, recipient: Any, **kw: Any) -> Disclosure:
    values: dict[str, Any] = {
        "actor": org.user("officer"),
        "case": case,
        "recipient": recipient,
        "basis": "consent",
        "categories": ["identity", "situation"],
        "assessment": NOTE,
        "context": "referral",
    }
    values.update(kw)
    return services.disclosure_record(**values)


def test_disclosure_on_consent_is_recorded_audited_and_announced(
    org: Org, case, django_capture_on_commit_callbacks
) -> None:
    consent = record_consent(org, case)
    with (
        mock.patch("realtime.publish._send") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        disclosure = disclose(org, case, org.units["region"], recipient_person=org.user("nurse"))

    disclosure.refresh_from_db()
    assert disclosure.case == case and disclosure.context == "referral"
    assert disclosure.level == "identified"
    assert disclosure.categories == ["identity", "situation"]
    assert disclosure.fields == ["name", "nicknames", "personnummer", "situation"]
    assert disclosure.recipient_agency == agency(org, "region")
    assert disclosure.recipient_unit == org.units["region"]
    assert disclosure.recipient_person == org.user("nurse")
    assert disclosure.basis.code == disclosure.basis_code == "consent"
    assert disclosure.consent == consent
    assert disclosure.decided_by == org.user("officer")
    assert disclosure.client_must_be_informed is False
    assert b"Region" not in bytes(disclosure.assessment_ciphertext)
    assert (
        vault.decrypt_value(
            vault.case_data_key(case),
            str(case.id),
            f"disclosure:{disclosure.id}:assessment",
            bytes(disclosure.assessment_ciphertext),
        )
        == NOTE
    )

    entry = AuditEvent.objects.get(action="disclosure.recorded")
    assert entry.case_ref == case.reference and entry.actor == "officer"
    assert entry.legal_basis == "consent"
    assert entry.recipients == sorted(["Region Östergötland – Primärvård", "nurse"])
    assert entry.fields == disclosure.fields
    assert entry.detail["disclosure"] == str(disclosure.id)
    assert entry.detail["consent"] == str(consent.id)
    assert NOTE not in str(entry.detail)

    (room, event), _kw = send.call_args
    assert room == f"case:{case.id}" and event.kind == "disclosure.recorded"
    assert event.basis == "consent" and event.recipient == "Region Östergötland – Primärvård"
    # Now, and only now, the region's nurse may see what was disclosed.
    decision = policy.case_access(org.user("nurse"), case, policy.Context.REFERRAL)
    assert decision.fields == set(disclosure.fields)


def test_statutory_basis_records_without_consent_and_says_inform_the_client(org: Org, case) -> None:
    disclosure = disclose(
        org, case, org.units["region"], basis="social_to_health_child", categories=["children"]
    )
    assert disclosure.consent is None and disclosure.client_must_be_informed is True
    entry = AuditEvent.objects.get(action="disclosure.recorded")
    assert entry.legal_basis == "social_to_health_child"
    assert entry.detail["client_must_be_informed"] is True


def test_disclosure_to_a_forum_in_a_meeting(org: Org, case) -> None:
    forum = make_forum(org)
    meeting = make_meeting(forum)
    record_consent(org, case, agencies=[], forums=[forum])
    disclosure = disclose(
        org, case, forum, categories=["situation"], context="presentation", meeting=meeting
    )
    assert disclosure.recipient_forum == forum and disclosure.recipient_agency is None
    assert disclosure.meeting == meeting
    assert AuditEvent.objects.get(action="disclosure.recorded").recipients == [forum.name]


def _unchanged(before: tuple[int, int]) -> None:
    assert (Disclosure.objects.count(), AuditEvent.objects.count()) == before


def _counts() -> tuple[int, int]:
    return Disclosure.objects.count(), AuditEvent.objects.count()


def test_refusal_carries_the_policy_reason_and_changes_nothing(org: Org, case) -> None:
    record_consent(org, case, agencies=["skola"])
    before = _counts()
    with pytest.raises(DisclosureRefused) as refused:
        disclose(org, case, agency(org, "region"))
    assert refused.value.code == "consent_recipient"
    assert refused.value.status == 403
    assert refused.value.message == "Samtycket omfattar inte Region Östergötland."
    _unchanged(before)


def test_school_may_not_use_the_police_basis(org: Org) -> None:
    make_police(org)
    org_services.membership_grant(
        actor=None, user=org.user("teacher"), unit=org.units["skola"], role="case_officer"
    )
    school_case = make_case(org, officer="teacher")
    before = _counts()
    with pytest.raises(DisclosureRefused) as refused:
        disclose(
            org,
            school_case,
            org.units["polis"],
            actor=org.user("teacher"),
            basis="police_prevent_violence",
        )
    assert refused.value.code == "basis_direction"
    assert "från skola till polis" in refused.value.message
    _unchanged(before)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"assessment": "   "}, "assessment"),
        ({"assessment": "x" * 4001}, "assessment"),
        ({"context": "gossip"}, "context"),
        ({"categories": ["shoe_size"]}, "categories"),
        ({"basis": "no_such_basis"}, "basis"),
    ],
)
def test_invalid_input_is_refused(org: Org, case, changes: dict[str, Any], field: str) -> None:
    record_consent(org, case)
    before = _counts()
    with pytest.raises(Invalid) as refused:
        disclose(org, case, agency(org, "region"), **changes)
    assert refused.value.detail["field"] == field
    _unchanged(before)


def test_named_person_must_belong_to_the_recipient(org: Org, case) -> None:
    record_consent(org, case)
    before = _counts()
    with pytest.raises(Invalid) as refused:
        disclose(org, case, org.units["region"], recipient_person=org.user("teacher"))
    assert refused.value.detail["field"] == "recipient_person"
    _unchanged(before)


def test_outsider_and_erased_case(org: Org, case) -> None:
    record_consent(org, case)
    before = _counts()
    with pytest.raises(NotFound):
        disclose(org, case, agency(org, "region"), actor=org.user("nurse"))
    _unchanged(before)
    org_services.case_erase(actor=org.user("lead"), case=case, reason="Gallring")
    case.refresh_from_db()
    with pytest.raises(CaseErasedError):
        disclose(org, case, agency(org, "region"), actor=org.user("lead"))


def test_an_assigned_officer_of_another_unit_is_no_sender(org: Org, case) -> None:
    stranger = make_user("stranger")
    before = _counts()
    with pytest.raises(NotFound):
        disclose(org, case, agency(org, "region"), actor=stranger)
    _unchanged(before)

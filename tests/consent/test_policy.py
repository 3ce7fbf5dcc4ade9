"""case_access and its helpers beyond the matrix: purposes, pending consents, recipients
of a disclosure, bases that need no consent, erased cases and internal forums."""

# ruff: noqa: F811

from __future__ import annotations

from typing import Any

from consent import policy, services
from consent.models import Disclosure, LegalBasis
from coordination import services as org_services
from coordination.models import ForumKind, Role
from tests.consent.conftest import (
    FULL,
    agency,
    days,
    make_forum,
    make_meeting,
    present,
    record_consent,
)

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org, make_user

P = policy.Context.PRESENTATION
R = policy.Context.REFERRAL
SITUATION = ["situation", "risk"]


def consented_meeting(org: Org, case: Any) -> Any:
    forum = make_forum(org)
    meeting = make_meeting(forum, convened_by=org.user("officer"))
    present(meeting, case, "consented", org.user("officer"))
    return forum, meeting


def refer(org: Org, case: Any, recipient: Any, code: str, categories: list[str], **kw: Any) -> Any:
    return services.disclosure_record(
        actor=org.user("officer"),
        case=case,
        recipient=recipient,
        basis=code,
        categories=categories,
        assessment="Uppgifterna behövs för att vården ska kunna planera stöd; men bedöms inte uppstå.",
        context="referral",
        **kw,
    )


def test_owner_sees_identity_and_content(org: Org, case) -> None:
    decision = policy.case_access(org.user("officer"), case)
    assert decision.level is policy.Level.IDENTIFIED
    assert decision.fields == policy.IDENTITY_FIELDS | policy.CONTENT_FIELDS


def test_consent_for_a_referral_does_not_open_a_presentation(org: Org, case) -> None:
    forum, meeting = consented_meeting(org, case)
    record_consent(org, case, forums=[forum], purpose_code="referral")
    assert policy.case_access(org.user("teacher"), case, P, meeting=meeting) == policy.DENY


def test_consent_for_a_consultation_opens_the_presentation(org: Org, case) -> None:
    forum, meeting = consented_meeting(org, case)
    record_consent(org, case, agencies=[], forums=[forum], purpose_code="consultation")
    decision = policy.case_access(org.user("teacher"), case, P, meeting=meeting)
    assert decision.level is policy.Level.IDENTIFIED and decision.basis == "consent"


def test_consent_naming_the_persons_agency_but_not_the_forum(org: Org, case) -> None:
    _forum, meeting = consented_meeting(org, case)
    record_consent(org, case, agencies=["region"], categories=["situation"])
    assert policy.case_access(org.user("nurse"), case, P, meeting=meeting).fields == {"situation"}
    assert policy.case_access(org.user("teacher"), case, P, meeting=meeting) == policy.DENY


def test_several_valid_consents_add_up(org: Org, case) -> None:
    _forum, meeting = consented_meeting(org, case)
    record_consent(org, case, agencies=["region"], categories=["situation"])
    record_consent(org, case, agencies=["region"], categories=["health"])
    decision = policy.case_access(org.user("nurse"), case, P, meeting=meeting)
    assert decision.fields == {"situation", "health"}


def test_a_consent_that_has_not_started_opens_nothing(org: Org, case) -> None:
    forum, meeting = consented_meeting(org, case)
    record_consent(org, case, forums=[forum], valid_from=days(1), valid_to=days(30))
    assert policy.case_access(org.user("teacher"), case, P, meeting=meeting) == policy.DENY


def test_revocation_takes_effect_on_the_next_question(org: Org, case) -> None:
    forum, meeting = consented_meeting(org, case)
    consent = record_consent(org, case, forums=[forum])
    refer(org, case, agency(org, "region"), "consent", FULL)
    assert policy.case_access(org.user("teacher"), case, P, meeting=meeting).allowed
    assert policy.case_access(org.user("nurse"), case, R).allowed

    services.consent_revoke(actor=org.user("officer"), consent=consent, reason="Ångrade sig")

    assert policy.case_access(org.user("teacher"), case, P, meeting=meeting) == policy.DENY
    assert policy.case_access(org.user("nurse"), case, R) == policy.DENY
    assert policy.disclosed_fields(org.user("nurse"), case) == frozenset()


def test_a_non_member_of_the_meeting_sees_nothing_even_if_named(org: Org, case) -> None:
    forum = make_forum(org, units=("bou", "skola"))
    meeting = make_meeting(forum)
    present(meeting, case, "consented", org.user("officer"))
    record_consent(org, case, forums=[forum])  # also names the region
    assert policy.case_access(org.user("nurse"), case, P, meeting=meeting) == policy.DENY


def test_a_disclosure_to_a_unit_reaches_that_unit_only(org: Org, case) -> None:
    record_consent(org, case)
    other_unit = org_services.unit_create(
        actor=None, agency=agency(org, "region"), name="Kvinnokliniken"
    )
    midwife = make_user("midwife")
    org_services.membership_grant(actor=None, user=midwife, unit=other_unit, role=Role.FORUM_MEMBER)
    refer(org, case, org.units["region"], "consent", SITUATION)
    assert policy.disclosed_fields(org.user("nurse"), case) == {"situation", "risk"}
    assert policy.disclosed_fields(midwife, case) == frozenset()
    assert policy.case_access(midwife, case, R) == policy.DENY


def test_a_disclosure_to_a_named_person_reaches_that_person_only(org: Org, case) -> None:
    record_consent(org, case)
    doctor = make_user("doctor")
    org_services.membership_grant(
        actor=None, user=doctor, unit=org.units["region"], role=Role.FORUM_MEMBER
    )
    refer(org, case, org.units["region"], "consent", SITUATION, recipient_person=doctor)
    assert policy.case_access(doctor, case, R).fields == {"situation", "risk"}
    assert policy.case_access(org.user("nurse"), case, R) == policy.DENY


def test_a_disclosure_to_a_forum_reaches_its_members(org: Org, case) -> None:
    forum = make_forum(org)
    record_consent(org, case, agencies=[], forums=[forum])
    services.disclosure_record(
        actor=org.user("officer"),
        case=case,
        recipient=forum,
        basis="consent",
        categories=["situation"],
        assessment="Gruppen behöver läget för att kunna erbjuda stöd.",
        context="presentation",
    )
    assert policy.disclosed_fields(org.user("teacher"), case) == {"situation"}
    assert policy.disclosed_fields(org.user("norr_officer"), case) == frozenset()


def test_a_basis_that_needs_no_consent_keeps_holding(org: Org, case) -> None:
    refer(org, case, org.units["region"], "social_to_health_child", ["identity", "children"])
    decision = policy.case_access(org.user("nurse"), case, R)
    assert decision.level is policy.Level.IDENTIFIED
    assert decision.fields == {"name", "nicknames", "personnummer", "children"}
    assert decision.basis == "social_to_health_child"


def test_an_anonymised_disclosure_shows_content_only(org: Org, case) -> None:
    refer(org, case, agency(org, "skola"), "anonymised", ["situation"])
    decision = policy.case_access(org.user("teacher"), case, R)
    assert decision.level is policy.Level.ANONYMISED
    assert decision.fields == {"situation"} and decision.basis == "anonymised"


def test_a_disclosure_row_whose_basis_needs_consent_but_names_none_gives_nothing(
    org: Org, case
) -> None:
    Disclosure.objects.create(
        case=case,
        context="referral",
        level="identified",
        categories=["situation"],
        fields=["situation"],
        recipient_agency=agency(org, "region"),
        basis=LegalBasis.objects.get(code="consent"),
        basis_code="consent",
        decided_by=org.user("officer"),
        assessment_ciphertext=b"-",
    )
    assert policy.case_access(org.user("nurse"), case, R) == policy.DENY


def test_erased_case_shows_only_its_reference_to_recipients(org: Org, case) -> None:
    forum, meeting = consented_meeting(org, case)
    record_consent(org, case, forums=[forum])
    refer(org, case, agency(org, "region"), "consent", FULL)
    org_services.case_erase(actor=org.user("lead"), case=case, reason="Gallring")
    case.refresh_from_db()
    referral = policy.case_access(org.user("nurse"), case, R)
    assert referral.level is policy.Level.ANONYMISED and referral.fields == frozenset()
    presented = policy.case_access(org.user("teacher"), case, P, meeting=meeting)
    assert presented.level is policy.Level.ANONYMISED and presented.fields == frozenset()
    owner = policy.case_access(org.user("officer"), case)
    assert owner.level is policy.Level.ANONYMISED and owner.fields == frozenset()


def test_internal_forum_of_the_authority_sees_all_but_the_address(org: Org, case) -> None:
    styrgrupp = make_forum(org, units=("bou", "vuxen"))
    styrgrupp.kind = ForumKind.STEERING_GROUP
    styrgrupp.internal = True
    styrgrupp.save()
    meeting = make_meeting(styrgrupp)
    present(meeting, case, "internal", org.user("officer"))
    decision = policy.case_access(org.user("vuxen_lead"), case, P, meeting=meeting)
    assert decision.level is policy.Level.IDENTIFIED and decision.basis == "same_authority"
    assert "address" not in decision.fields and {"name", "situation"} <= decision.fields
    # Outside the authority an internal presentation shows nothing.
    assert policy.case_access(org.user("teacher"), case, P, meeting=meeting) == policy.DENY


def test_a_deactivated_person_sees_nothing(org: Org, case) -> None:
    forum, meeting = consented_meeting(org, case)
    record_consent(org, case, forums=[forum])
    teacher = org.user("teacher")
    org_services.user_deactivate(actor=None, user=teacher, reason="Slutat")
    teacher.refresh_from_db()
    assert policy.case_access(teacher, case, P, meeting=meeting) == policy.DENY
    assert policy.consented_fields(teacher, case, P, forum=forum) == frozenset()
    assert policy.disclosures_to(teacher, case) == []


def test_an_assigned_officer_whose_role_is_removed_loses_the_case(org: Org, case) -> None:
    officer = org.user("officer")
    assert policy.case_access(officer, case).allowed
    org_services.membership_revoke(
        actor=None, user=officer, unit=org.units["bou"], role=Role.CASE_OFFICER
    )
    assert not policy.case_access(officer, case).allowed
    assert case not in policy.visible_cases(officer)
    assert case in policy.visible_cases(org.user("lead"))

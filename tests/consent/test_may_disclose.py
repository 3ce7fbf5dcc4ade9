"""policy.may_disclose: each missing condition gives its own code and Swedish reason."""

# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from consent import policy, services
from consent.models import Consent, LegalBasis
from coordination import services as org_services
from coordination.models import Forum, ForumKind, Role
from tests.consent.conftest import agency, days, make_forum, make_police, record_consent, today

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org, make_case

NAME = frozenset({"name", "personnummer", "nicknames"})
SITUATION = frozenset({"situation", "risk"})


def basis(code: str) -> LegalBasis:
    return LegalBasis.objects.get(code=code)


def ask(org: Org, case: Any, recipient: Any, code: str, fields: Any, **kw: Any) -> Any:
    return policy.may_disclose(org.user("officer"), case, recipient, basis(code), fields, **kw)


def refused(answer: Any, code: str, reason: str) -> None:
    assert isinstance(answer, policy.Refusal), answer
    assert not answer.allowed
    assert (answer.code, answer.reason) == (code, reason)


def test_valid_consent_allows_and_names_the_consent(org: Org, case) -> None:
    consent = record_consent(org, case)
    answer = ask(org, case, agency(org, "region"), "consent", NAME | SITUATION)
    assert isinstance(answer, policy.Decision)
    assert answer.allowed and answer.level is policy.Level.IDENTIFIED
    assert answer.fields == NAME | SITUATION
    assert answer.basis == "consent" and answer.consent_id == str(consent.id)


def test_consent_to_a_unit_of_a_named_agency(org: Org, case) -> None:
    record_consent(org, case)
    assert ask(org, case, org.units["region"], "consent", SITUATION).allowed


def test_consent_not_naming_the_recipient(org: Org, case) -> None:
    record_consent(org, case, agencies=["skola"])
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION),
        "consent_recipient",
        "Samtycket omfattar inte Region Östergötland.",
    )


def test_consent_not_naming_the_forum(org: Org, case) -> None:
    forum = make_forum(org)
    record_consent(org, case)
    refused(
        ask(org, case, forum, "consent", SITUATION, context=policy.Context.PRESENTATION),
        "consent_recipient",
        "Samtycket omfattar inte Konsultativ grupp VINR.",
    )


def test_consent_naming_the_forum(org: Org, case) -> None:
    forum = make_forum(org)
    record_consent(org, case, agencies=[], forums=[forum])
    answer = ask(org, case, forum, "consent", SITUATION, context=policy.Context.PRESENTATION)
    assert answer.allowed


def test_expired_consent_says_when_it_ended(org: Org, case) -> None:
    consent = record_consent(org, case, valid_to=days(10))
    later = today() + dt.timedelta(days=11)
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION, on=later),
        "consent_expired",
        f"Samtycket har gått ut (det gällde till och med {consent.valid_to.isoformat()}).",
    )
    # On its last day it still holds.
    assert ask(org, case, agency(org, "region"), "consent", SITUATION, on=days(10)).allowed


def test_consent_not_yet_valid(org: Org, case) -> None:
    record_consent(org, case, valid_from=days(3), valid_to=days(30))
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION),
        "consent_pending",
        f"Samtycket gäller först från {days(3).isoformat()}.",
    )


def test_revoked_consent(org: Org, case) -> None:
    consent = record_consent(org, case)
    services.consent_revoke(actor=org.user("officer"), consent=consent, reason="Vill inte längre")
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION),
        "consent_revoked",
        f"Samtycket återkallades {timezone.localdate().isoformat()}.",
    )


def test_no_consent_at_all(org: Org, case) -> None:
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION),
        "consent_missing",
        "Det finns inget samtycke i ärendet.",
    )


def test_consent_not_covering_a_category(org: Org, case) -> None:
    record_consent(org, case, categories=["situation", "risk"])
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION | {"address", "health"}),
        "consent_category",
        "Samtycket omfattar inte uppgifterna: adress, hälsa.",
    )


def test_consent_for_another_purpose(org: Org, case) -> None:
    record_consent(org, case, purpose_code="consultation")
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION),
        "consent_purpose",
        "Samtycket gäller ärendedragning i samverkansforum, inte remiss.",
    )


def test_the_nearest_miss_explains_when_several_consents_fail(org: Org, case) -> None:
    revoked = record_consent(org, case)
    services.consent_revoke(actor=org.user("officer"), consent=revoked, reason="Ändrade sig")
    record_consent(org, case, categories=["situation"])
    refused(
        ask(org, case, agency(org, "region"), "consent", SITUATION),
        "consent_category",
        "Samtycket omfattar inte uppgifterna: riskbedömningar.",
    )


def test_basis_not_from_school_to_police(org: Org) -> None:
    make_police(org)
    org_services.membership_grant(
        actor=None, user=org.user("teacher"), unit=org.units["skola"], role=Role.CASE_OFFICER
    )
    school_case = make_case(org, officer="teacher")
    answer = policy.may_disclose(
        org.user("teacher"),
        school_case,
        org.units["polis"],
        basis("police_prevent_violence"),
        SITUATION,
    )
    refused(
        answer,
        "basis_direction",
        "Rättslig grund Till polisen för att förhindra våld mot en närstående gäller inte "
        "från skola till polis.",
    )


def test_basis_not_to_that_recipient_kind(org: Org, case) -> None:
    refused(
        ask(org, case, agency(org, "skola"), "police_prevent_violence", SITUATION),
        "basis_direction",
        "Rättslig grund Till polisen för att förhindra våld mot en närstående gäller inte "
        "från socialtjänst till skola.",
    )


def test_social_services_to_police_needs_no_consent(org: Org, case) -> None:
    make_police(org)
    answer = ask(org, case, org.units["polis"], "police_crime_suspicion", NAME | SITUATION)
    assert answer.allowed and answer.basis == "police_crime_suspicion"
    assert answer.consent_id == ""


def test_same_authority_only_within_the_agency(org: Org, case) -> None:
    assert ask(org, case, org.units["vuxen"], "same_authority", NAME).allowed
    refused(
        ask(org, case, agency(org, "norr"), "same_authority", NAME),
        "basis_same_agency",
        "Rättslig grund Inom samma myndighet och verksamhetsgren gäller bara inom samma myndighet.",
    )


def test_anonymised_basis_carries_no_identity(org: Org, case) -> None:
    answer = ask(org, case, agency(org, "skola"), "anonymised", SITUATION)
    assert answer.allowed and answer.level is policy.Level.ANONYMISED
    refused(
        ask(org, case, agency(org, "skola"), "anonymised", SITUATION | {"address"}),
        "basis_fields",
        "Rättslig grund Avidentifierade uppgifter omfattar inte: adress.",
    )


def test_an_anonymised_basis_edited_to_allow_everything_still_refuses_identity(
    org: Org, case
) -> None:
    services.legal_basis_update(actor=org.user("admin"), basis=basis("anonymised"), categories=[])
    refused(
        ask(org, case, agency(org, "skola"), "anonymised", NAME),
        "anonymised_identity",
        "Avidentifierade uppgifter får inte innehålla: namn och personnummer.",
    )


def test_inactive_basis(org: Org, case) -> None:
    services.legal_basis_update(
        actor=org.user("admin"), basis=basis("necessary_disclosure"), active=False
    )
    refused(
        ask(org, case, agency(org, "region"), "necessary_disclosure", SITUATION),
        "basis_inactive",
        "Rättslig grund Nödvändigt utlämnande för den egna verksamheten används inte längre.",
    )


def test_protected_identity_never_leaves_the_owning_unit(org: Org) -> None:
    protected = make_case(org, protected=True)
    record_consent(org, protected)
    refused(
        ask(org, protected, agency(org, "region"), "consent", NAME),
        "protected_identity",
        "Ärendet har skyddade personuppgifter: identitetsuppgifter lämnar aldrig den ägande "
        "enheten.",
    )
    refused(
        ask(org, protected, org.units["vuxen"], "same_authority", {"address"}),
        "protected_identity",
        "Ärendet har skyddade personuppgifter: identitetsuppgifter lämnar aldrig den ägande "
        "enheten.",
    )
    # What the case says, without who it is about, may still go with consent.
    answer = ask(org, protected, agency(org, "region"), "consent", SITUATION)
    assert answer.allowed and answer.flagged


@pytest.mark.parametrize(
    ("fields", "code", "reason"),
    [
        (set(), "no_fields", "Välj vilka uppgifter som ska lämnas ut."),
        ({"shoe_size"}, "unknown_fields", "Okända uppgifter kan inte lämnas ut."),
    ],
)
def test_fields_must_be_named_and_known(
    org: Org, case, fields: set[str], code: str, reason: str
) -> None:
    record_consent(org, case)
    refused(ask(org, case, agency(org, "region"), "consent", fields), code, reason)


def test_own_unit_is_no_disclosure(org: Org, case) -> None:
    refused(
        ask(org, case, org.units["bou"], "same_authority", NAME),
        "own_unit",
        "Mottagaren är ärendets egen enhet; inget lämnas ut över en gräns.",
    )


def test_forum_without_members(org: Org, case) -> None:
    empty = Forum.objects.create(name="Tom grupp", kind=ForumKind.EXTERNAL_GROUP)
    refused(
        ask(org, case, empty, "anonymised", SITUATION),
        "no_recipient",
        "Forumet har inga deltagande enheter.",
    )


def test_forum_with_a_member_the_basis_does_not_reach(org: Org, case) -> None:
    forum = make_forum(org)  # bou, vuxen, skola, region
    refused(
        ask(org, case, forum, "social_to_health_child", SITUATION),
        "basis_direction",
        "Rättslig grund Socialtjänst till hälso- och sjukvård för ett barns behov gäller inte "
        "från socialtjänst till skola.",
    )


def test_outsider_and_erased_case(org: Org, case) -> None:
    answer = policy.may_disclose(
        org.user("norr_officer"), case, agency(org, "region"), basis("anonymised"), SITUATION
    )
    refused(answer, "not_found", "Finns inte, eller så saknar du behörighet.")
    org_services.case_erase(actor=org.user("lead"), case=case, reason="Gallring")
    case.refresh_from_db()
    refused(
        ask(org, case, agency(org, "region"), "anonymised", SITUATION),
        "case_erased",
        "Ärendet är gallrat; inget kan lämnas ut.",
    )


def test_a_consent_recorded_directly_with_an_unknown_purpose_covers_nothing(org: Org, case) -> None:
    consent = record_consent(org, case)
    Consent.objects.filter(pk=consent.pk).update(purpose_code="retired")
    answer = ask(org, case, agency(org, "region"), "consent", SITUATION)
    assert isinstance(answer, policy.Refusal) and answer.code == "consent_purpose"

"""Who works on a case and who leads a unit: each way in, and each way that is not one.

``works_on_case`` and ``leads_unit`` are asked in one statement (``policy._standing``);
these tests pin every branch of it.
"""

from __future__ import annotations

from typing import Any

import pytest

from consent import policy
from coordination import services
from coordination.models import Case, Role
from tests.fixtures import Org, make_user


def grant(org: Org, username: str, unit: str, role: str) -> Any:
    user = make_user(username)
    services.membership_grant(actor=None, user=user, unit=org.units[unit], role=role)
    return user


def assign(case: Case, user: Any) -> None:
    case.officers.add(user)


def test_the_assigned_officer_works_on_the_case_but_does_not_lead(org: Org, case: Case) -> None:
    officer = org.user("officer")
    assert policy.works_on_case(officer, case)
    assert not policy.leads_unit(officer, case.owning_unit)


def test_an_officer_of_the_unit_not_assigned_to_the_case_does_not(org: Org, case: Case) -> None:
    colleague = org.user("colleague")
    assert not policy.works_on_case(colleague, case)


def test_assigned_without_a_case_role_in_the_owning_unit_is_not_enough(
    org: Org, case: Case
) -> None:
    # A case role in another unit, or another role in this one, does not count.
    elsewhere = grant(org, "elsewhere", "vuxen", Role.CASE_OFFICER)
    forum_member = grant(org, "forum_member", "bou", Role.FORUM_MEMBER)
    for person in (elsewhere, forum_member):
        assign(case, person)
        assert not policy.works_on_case(person, case)


def test_the_units_lead_works_on_every_case_of_it(org: Org, case: Case) -> None:
    lead = make_user("plain_lead")  # no membership at all: being the unit's lead is enough
    services.unit_set_leads(actor=None, unit=case.owning_unit, lead=lead)
    case.owning_unit.refresh_from_db()
    assert policy.works_on_case(lead, case)
    assert policy.leads_unit(lead, case.owning_unit)


def test_a_deputy_without_a_role_works_on_the_case_and_leads(org: Org, case: Case) -> None:
    deputy = make_user("plain_deputy")
    services.unit_set_leads(
        actor=None, unit=case.owning_unit, lead=org.user("lead"), deputies=[deputy]
    )
    assert policy.works_on_case(deputy, case)
    assert policy.leads_unit(deputy, case.owning_unit)
    assert not policy.leads_unit(deputy, org.units["vuxen"])


def test_a_section_lead_of_the_unit_works_on_the_case_and_leads(org: Org, case: Case) -> None:
    section_lead = grant(org, "section_lead", "bou", Role.SECTION_LEAD)
    assert policy.works_on_case(section_lead, case)
    assert policy.leads_unit(section_lead, case.owning_unit)
    other = grant(org, "other_section_lead", "vuxen", Role.SECTION_LEAD)
    assert not policy.works_on_case(other, case)
    assert not policy.leads_unit(other, case.owning_unit)


def test_a_deactivated_lead_neither_works_on_the_case_nor_leads(org: Org, case: Case) -> None:
    lead = org.user("lead")
    services.user_deactivate(actor=None, user=lead, reason="Slutat")
    lead.refresh_from_db()
    assert not policy.works_on_case(lead, case)
    assert not policy.leads_unit(lead, case.owning_unit)


@pytest.mark.parametrize("username", ["officer", "colleague", "deputy", "teacher"])
def test_the_answer_takes_one_query(
    org: Org, case: Case, username: str, django_assert_num_queries: Any
) -> None:
    person = org.user(username)
    case = Case.objects.select_related("owning_unit").get(pk=case.pk)
    with django_assert_num_queries(1):
        policy.works_on_case(person, case)

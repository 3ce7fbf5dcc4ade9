"""Shared test fixtures: a small organisation built through the services.

Registered for every test through ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from coordination import services
from coordination.models import AgencyKind, Case, Role, Unit

PASSWORD = "ett-langt-testlosenord"

IDENTITY = {
    "name": "Lina Andersson",
    "nicknames": ["Lillan"],
    "personnummer": "19850612-2384",
    "address": {"street": "Storgatan 12", "postal_code": "591 30", "city": "Motala"},
    "phone": "070-123 45 67",
    "email": "lina.andersson@example.se",
    "children": [{"name": "Elsa Andersson", "personnummer": "20150822-2385"}],
    "relatives": [{"name": "Mikael Andersson", "relation": "make"}],
    "school": "Charlottenborgsskolan",
}


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Hashing demo and test passwords at full strength would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Org:
    """Motala socialkontor with two units, Norrköping, a school and the region."""

    units: dict[str, Unit] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)

    def user(self, username: str) -> Any:
        return self.people[username]


def make_user(username: str, **extra: Any) -> Any:
    return services.user_create(
        actor=None,
        username=username,
        first_name=extra.get("first_name", username.title()),
        last_name=extra.get("last_name", "Testsson"),
        email=f"{username}@example.se",
        password=PASSWORD,
    )


def build_org() -> Org:
    org = Org()
    motala = services.municipality_upsert(
        actor=None, code="0583", name="Motala", county_part="västra"
    )
    norrkoping = services.municipality_upsert(
        actor=None, code="0581", name="Norrköping", county_part="östra"
    )
    social = services.agency_create(
        actor=None, name="Motala socialkontor", kind=AgencyKind.SOCIAL_SERVICES, municipality=motala
    )
    norr_social = services.agency_create(
        actor=None,
        name="Norrköping socialtjänst",
        kind=AgencyKind.SOCIAL_SERVICES,
        municipality=norrkoping,
    )
    school = services.agency_create(
        actor=None, name="Ekbackeskolan", kind=AgencyKind.SCHOOL, municipality=norrkoping
    )
    region = services.agency_create(
        actor=None, name="Region Östergötland", kind=AgencyKind.HEALTH, municipality=None
    )
    for key, agency, name in [
        ("bou", social, "Barn och unga"),
        ("vuxen", social, "Vuxen"),
        ("ledning", social, "Ledning"),
        ("norr", norr_social, "Barn och familj"),
        ("skola", school, "Elevhälsan"),
        ("region", region, "Primärvård"),
    ]:
        org.units[key] = services.unit_create(actor=None, agency=agency, name=name)
    for username, unit, roles in [
        ("officer", "bou", [Role.CASE_OFFICER]),
        ("colleague", "bou", [Role.CASE_OFFICER]),
        ("lead", "bou", [Role.SECTION_LEAD]),
        ("deputy", "bou", [Role.SECTION_LEAD]),
        ("vuxen_officer", "vuxen", [Role.CASE_OFFICER]),
        ("vuxen_lead", "vuxen", [Role.SECTION_LEAD]),
        ("norr_officer", "norr", [Role.CASE_OFFICER]),
        ("teacher", "skola", [Role.FORUM_MEMBER]),
        ("nurse", "region", [Role.FORUM_MEMBER]),
        ("auditor", "ledning", [Role.AUDITOR]),
        ("coordinator", "ledning", [Role.COORDINATOR]),
        ("admin", "ledning", [Role.ADMIN]),
    ]:
        user = make_user(username)
        org.people[username] = user
        for role in roles:
            services.membership_grant(actor=None, user=user, unit=org.units[unit], role=role)
    services.unit_set_leads(
        actor=None, unit=org.units["bou"], lead=org.user("lead"), deputies=[org.user("deputy")]
    )
    services.unit_set_leads(actor=None, unit=org.units["vuxen"], lead=org.user("vuxen_lead"))
    return org


@pytest.fixture
def org(db: None) -> Org:
    return build_org()


def make_case(org: Org, *, officer: str = "officer", protected: bool = False, **kw: Any) -> Case:
    user = org.user(officer)
    unit = next(m.unit for m in user.memberships.all())
    case = services.case_create(actor=user, unit=unit, protected_identity=protected, **kw)
    services.case_identity_register(actor=user, case=case, data=IDENTITY)
    return case


@pytest.fixture
def case(org: Org) -> Case:
    return make_case(org)


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)

"""Builders for the web interface's tests: organisations, people and cases.

Everything is made through ``coordination.services`` (``actor=None`` is the system), so
the test data passes the same validation and audit as real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from coordination import services
from coordination.models import Agency, Case, Municipality, Role, Unit

PASSWORD = "rätt-häst-batteri-häftklammer"

# Identity of the client in the officer's case. Personnummer are Skatteverket's test numbers.
IDENTITY: dict[str, Any] = {
    "name": "Tolvan Tolvansson",
    "nicknames": ["Tolle"],
    "personnummer": "19121212-1212",
    "address": {"street": "Hemliga gatan 7", "postal_code": "591 30", "city": "Borensberg"},
    "phone": "0701234567",
    "email": "tolvan@example.se",
    "children": [{"name": "Elva Tolvansson", "personnummer": "20121212-1212"}],
    "relatives": [{"name": "Trettan Tolvansson", "relation": "bror"}],
    "school": "Ekdungens skola",
}


def identity_values(identity: dict[str, Any] = IDENTITY) -> list[str]:
    """Every identifying string in ``identity``, for asserting a page shows none of them."""
    values: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(identity)
    return [v for v in values if v not in {"bror"}]


class Builder:
    """Makes organisations, people and cases through the services."""

    def municipality(self, code: str = "0583", name: str = "Motala") -> Municipality:
        return services.municipality_upsert(actor=None, code=code, name=name, county_part="västra")

    def agency(self, name: str, *, municipality: Municipality | None = None) -> Agency:
        return services.agency_create(
            actor=None, name=name, kind="social_services", municipality=municipality
        )

    def unit(self, agency: Agency, name: str) -> Unit:
        return services.unit_create(actor=None, agency=agency, name=name)

    def user(
        self,
        username: str,
        *,
        first_name: str = "",
        last_name: str = "",
        unit: Unit | None = None,
        role: Role | str = Role.CASE_OFFICER,
        password: str = PASSWORD,
    ) -> Any:
        user = services.user_create(
            actor=None,
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.se",
            password=password,
        )
        if unit is not None:
            services.membership_grant(actor=None, user=user, unit=unit, role=role)
        return user

    def case(
        self,
        *,
        officer: Any,
        unit: Unit,
        identity: dict[str, Any] | None = None,
        protected_identity: bool = False,
        category: str = "VINR",
    ) -> Case:
        case = services.case_create(
            actor=officer, unit=unit, category=category, protected_identity=protected_identity
        )
        if identity:
            services.case_identity_register(actor=officer, case=case, data=identity)
        return case


@dataclass
class World:
    """Motala's social services with two units; an officer in each, each with a case."""

    municipality: Municipality
    agency: Agency
    unit: Unit
    other_unit: Unit
    officer: Any
    other_officer: Any
    case: Case
    protected_case: Case
    other_case: Case


@pytest.fixture
def build(db: None) -> Builder:
    return Builder()


@pytest.fixture
def world(build: Builder) -> World:
    municipality = build.municipality()
    agency = build.agency("Motala socialkontor", municipality=municipality)
    unit = build.unit(agency, "Barn och unga")
    other_unit = build.unit(agency, "Vuxen")
    officer = build.user("anna", first_name="Anna", last_name="Handläggare", unit=unit)
    other_officer = build.user("bertil", first_name="Bertil", last_name="Vuxen", unit=other_unit)
    return World(
        municipality=municipality,
        agency=agency,
        unit=unit,
        other_unit=other_unit,
        officer=officer,
        other_officer=other_officer,
        case=build.case(officer=officer, unit=unit, identity=IDENTITY),
        protected_case=build.case(
            officer=officer,
            unit=unit,
            identity={"name": "Skyddad Person"},
            protected_identity=True,
            category="HRV",
        ),
        other_case=build.case(
            officer=other_officer, unit=other_unit, identity={"name": "Annan Klient"}
        ),
    )


@pytest.fixture
def officer_client(world: World) -> Client:
    client = Client()
    client.force_login(world.officer)
    return client

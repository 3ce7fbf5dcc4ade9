"""Builders for the web interface's tests: organisations, people and cases; and the
``demo_server`` a browser test drives (a real Daphne against a demo database).

Everything is made through ``coordination.services`` (``actor=None`` is the system), so
the test data passes the same validation and audit as real data.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.test import Client
from psycopg import sql

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


# --- a real server for browser tests ------------------------------------------------------
# A session fixture makes a fresh PostgreSQL database beside the test database, migrates
# it, loads the demo data and starts Daphne on a free port (see test_browser_*.py).

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]
    demo_users: list[dict[str, Any]]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not listen on {port} within {timeout}s:\n{log.read_text()}")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        pytest.fail("DATABASE_URL must point at the test PostgreSQL server")
    name = f"samverka_live_{secrets.token_hex(4)}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    tmp = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DATABASE_URL": _with_database(base_url, name),
        "DJANGO_DEBUG": "0",
        "SAMVERKA_KEY_DIR": str(tmp / "keys"),
        "PYTHONUNBUFFERED": "1",
    }
    process: subprocess.Popen[bytes] | None = None
    try:
        _manage(env, "migrate", "--noinput")
        _manage(env, "load_demo")
        demo_users = json.loads(_manage(env, "demo_users", "--json"))
        port = _free_port()
        log = tmp / "daphne.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("daphne")),
                    "--verbosity",  # as deployed: Samverka's own access log, not Daphne's
                    "0",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(port, process, log, timeout=60)
        yield LiveServer(url=f"http://127.0.0.1:{port}", env=env, demo_users=demo_users)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

"""A real browser against a real server: log in as a demo case officer and open a case.

A session fixture makes a fresh PostgreSQL database beside the test database, migrates it,
loads the demo data and starts Daphne on a free port; headless Chromium drives it.
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
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


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


def _case_officer(users: list[dict[str, Any]]) -> dict[str, Any]:
    for user in users:
        if "case_officer" in user.get("roles", []):
            return user
    raise AssertionError(f"no demo user with the role case_officer in {users}")


def _unit_texts(user: dict[str, Any]) -> list[str]:
    """The texts the start page shows for each unit: ``demo_users`` names a unit
    "<agency> – <unit>"; the page shows the unit's name and its agency's name apart."""
    texts: list[str] = []
    for unit in user.get("units", []):
        texts.extend(part.strip() for part in str(unit).rsplit(" – ", 1) if part.strip())
    return texts


def test_case_officer_logs_in_and_opens_a_case(demo_server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    officer = _case_officer(demo_server.demo_users)
    units = _unit_texts(officer)
    assert units, officer

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="sv-SE", viewport={"width": 1280, "height": 900})
            page.goto(f"{demo_server.url}/login/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")

            # A wrong password keeps the person on the login page with the error.
            page.get_by_label("Användarnamn").fill(officer["username"])
            page.get_by_label("Lösenord").fill("inte-det-rätta-lösenordet")
            page.get_by_role("button", name="Logga in").click()
            expect(page.get_by_role("alert")).to_contain_text("Ange ett korrekt användarnamn")
            page.screenshot(path=str(tmp_path / "login-error.png"), full_page=True)

            page.get_by_label("Lösenord").fill(officer["password"])
            page.get_by_role("button", name="Logga in").click()

            page.wait_for_url(f"{demo_server.url}/")
            my_units = page.locator("#my-units")
            for unit in units:
                expect(my_units).to_contain_text(unit)
            case_links = page.locator("#my-cases tbody th a")
            expect(case_links.first).to_be_visible()
            reference = case_links.first.inner_text().strip()
            assert reference
            page.screenshot(path=str(tmp_path / "start.png"), full_page=True)

            case_links.first.click()
            page.wait_for_url(f"{demo_server.url}/arenden/**")
            expect(page.get_by_role("heading", level=1)).to_have_text(reference)
            expect(page.locator("#case-basis")).not_to_be_empty()
            screenshot = tmp_path / "case.png"
            page.screenshot(path=str(screenshot), full_page=True)
            assert screenshot.stat().st_size > 0

            # The narrow layout works too.
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(tmp_path / "case-mobile.png"), full_page=True)
        finally:
            browser.close()

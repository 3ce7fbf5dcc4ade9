"""A real browser against a real server: log in as a demo case officer and open a case.

The session fixture ``demo_server`` (tests/frontend/conftest.py) makes a fresh PostgreSQL
database beside the test database, migrates it, loads the demo data and starts Daphne on
a free port; headless Chromium drives it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.frontend.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser


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

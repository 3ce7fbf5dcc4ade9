"""Statistics, the overview and the year's agenda in a real browser, against Daphne with
the demo data (``demo_server`` in tests/frontend/conftest.py): the coordinator opens the
statistics from the menu and sees charts and "<5", then the year's agenda; a case officer
opens "Vem vet vad, vem gör vad" from the case page; Funktionsstöd's lead sees what each
section promised in its styrgrupp."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.frontend.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser


def _password(server: LiveServer, username: str) -> str:
    for user in server.demo_users:
        if user["username"] == username:
            return str(user["password"])
    raise AssertionError(f"{username} is not a demo user")


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _sign_in(browser: Any, server: LiveServer, username: str) -> tuple[Any, list[str]]:
    """A page signed in as ``username``, and the errors its console reports."""
    context = browser.new_context(
        locale="sv-SE", timezone_id="Europe/Stockholm", viewport={"width": 1280, "height": 1000}
    )
    page = context.new_page()
    errors: list[str] = []

    def console(message: Any) -> None:
        where = message.location.get("url", "")
        # The browser asks for /favicon.ico on its own; the site has none.
        if message.type == "error" and not where.endswith("/favicon.ico"):
            errors.append(f"{message.text} {where}")

    page.on("console", console)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    page.goto(f"{server.url}/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(_password(server, username))
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{server.url}/")
    return page, errors


def test_a_coordinator_reads_the_statistics_and_the_year_s_agenda(
    browser: Any, demo_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page, errors = _sign_in(browser, demo_server, "helena.kvist")
    page.get_by_role("link", name="Statistik").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistik: Motala")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(7)
    incidents = page.locator("#chart-handelser")
    expect(incidents).to_be_visible()
    # Funktionsstöd's year: bars, and "<5" where a kind was rare, in chart and table.
    assert incidents.locator("g.bar rect").count() > 5
    expect(incidents.locator("text.chart-note", has_text="<5").first).to_be_visible()
    table = page.locator("#table-handelser-0583")
    expect(table.locator("td", has_text="<5").first).to_be_visible()
    expect(page.locator("#statistics-legend")).to_contain_text("Färre än fem")
    # The county, with every municipality.
    page.locator("#stat-scope").select_option("lan")
    page.get_by_role("button", name="Visa").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Östergötlands län")
    expect(page.locator("#table-handelser-per-kommun")).to_contain_text("Ydre")

    page.get_by_role("link", name="Årsagenda").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Årsagenda")
    october = page.locator("#month-10")
    expect(october).to_contain_text("Grundutbildning VINR för all personal")
    expect(page.locator("#agenda-months")).to_contain_text("Interna gruppen")
    page.locator("#feed-renew").click()
    link = page.locator("#feed-url").input_value()
    assert link.endswith(".ics") and "/kalender/" in link
    feed = page.request.get(demo_server.url + link.split("localhost:8000", 1)[-1])
    assert feed.status == 200
    assert feed.text().startswith("BEGIN:VCALENDAR")
    assert errors == []


def test_a_case_officer_prints_who_knows_what_for_the_client(
    browser: Any, demo_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page, errors = _sign_in(browser, demo_server, "sara.berg")
    row = page.locator("#my-cases tbody tr").filter(has_not_text="Skyddade personuppgifter")
    row.first.locator("th a").click()
    page.locator("#case-overview-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vem vet vad, och vem gör vad?")
    expect(page.locator(".overview-agency").first).to_contain_text("Ansvarar för ditt ärende.")
    expect(page.locator("#overview-officers")).to_contain_text("Sara Berg")
    expect(page.locator("#print-overview")).to_be_visible()
    # Printed, the page is the overview alone: no menu, no buttons.
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator("#print-overview")).to_be_hidden()
    expect(page.locator(".overview-intro")).to_be_visible()
    assert errors == []


def test_funktionsstod_s_lead_sees_what_each_section_promised(
    browser: Any, demo_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page, errors = _sign_in(browser, demo_server, "eva.strand")
    page.locator("#my-cases tbody tr th a").last.click()
    page.locator("#case-overview-link").click()
    does = page.locator(".overview-line[data-kind='action']")
    expect(does).to_have_count(2)
    expect(does.first).to_contain_text("Funktionsstöd")
    expect(page.locator("body")).to_contain_text("Inom samma myndighet och verksamhetsgren")
    expect(page.locator("body")).to_contain_text("Klart ")
    assert errors == []

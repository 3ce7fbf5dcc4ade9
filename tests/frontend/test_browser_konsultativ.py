"""Norrköping's konsultativ grupp in real browsers, as a school member, a region member and
the social services' case officer would use it.

Separate browser contexts (separate sessions) against one Daphne server with the demo data
loaded (``demo_server`` in tests/frontend/conftest.py):

the officer books the demo case anonymised (redaction preview, then confirm) → both
members see the anonymised brief and never the identity → each records the support their
agency can offer and the others see it arrive → a message naming the client is refused →
the officer records the återkoppling and the task leaves the start page → with the
client's consent the officer refers the case to the region, which sees it arrive and
accepts it, and the officer sees the status change. Every crossing is a recorded
disclosure with its basis.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.frontend.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser

SCHOOL = "linnea.skog"  # Ekbackeskolan, Elevhälsan
REGION = "johan.vall"  # Region Östergötland, Primärvård Norrköping
OFFICER = "amir.khan"  # Norrköping socialtjänst, Barn och familj; works on the demo case
FORUM = "Konsultativ grupp rörande VINR"
LIVE = 15_000  # ms: what "at once" may take on a loaded test machine

# The demo case's client (coordination/demo.py): none of this may reach the members.
IDENTIFYING = [
    "Johanna",
    "Nilsson",
    "19830707-2382",
    "830707",
    "Drottninggatan",
    "Alva",
    "johanna.nilsson@example.se",
]
DRAFT = (
    "Johanna Nilsson, 19830707-2382, bor på Drottninggatan 41 i Norrköping med dottern Alva "
    "som går på Ekbackeskolan. Pappan har slagit Johanna flera gånger när dottern var hemma "
    "och hotat att ta barnet. Hon vill ha stöd men vågar inte flytta."
)


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


def _sign_in(browser: Any, server: LiveServer, username: str) -> Any:
    context = browser.new_context(
        locale="sv-SE", timezone_id="Europe/Stockholm", viewport={"width": 1280, "height": 1000}
    )
    page = context.new_page()
    page.goto(f"{server.url}/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(_password(server, username))
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{server.url}/")
    return page


def _live(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("[data-live-status]").first).to_have_text("Uppdateras direkt", timeout=LIVE)


def _assert_no_identity(page: Any, reference: str) -> None:
    text = page.locator("main").inner_text()
    for value in [*IDENTIFYING, reference]:
        assert value not in text, f"{value!r} shown to a forum member"


def _disclosures(server: LiveServer, reference: str) -> list[tuple[str, str, str, list[str]]]:
    with psycopg.connect(server.env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT d.context, d.basis_code, d.level, d.categories FROM consent_disclosure d "
            "JOIN coordination_case c ON c.id = d.case_id WHERE c.reference = %s "
            "ORDER BY d.created_at",
            [reference],
        ).fetchall()
    return [(row[0], row[1], row[2], list(row[3])) for row in rows]


def test_konsultativ_grupp_anonymised_then_referral_with_consent(
    demo_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    officer = _sign_in(browser, demo_server, OFFICER)
    school = _sign_in(browser, demo_server, SCHOOL)
    region = _sign_in(browser, demo_server, REGION)

    # --- the officer books the demo case anonymised -----------------------------------
    officer.locator("#my-forums").get_by_role("link", name=FORUM).click()
    expect(officer.locator("#forum-heading")).to_have_text(FORUM)
    officer.get_by_role("link", name="Boka avidentifierat").first.click()
    officer.wait_for_url(re.compile(r".*/konsultativ/platser/[0-9a-f-]+/boka/\?mode=anonymised"))
    reference = officer.locator("#id_case option:checked").inner_text().strip()
    assert reference.startswith("VINR-0581-")
    officer.get_by_label("Din dragning").fill(DRAFT)
    officer.get_by_role("button", name="Förhandsgranska avidentifieringen").click()
    preview = officer.locator("#redacted-text")
    expect(preview).to_be_visible()
    for value in IDENTIFYING:
        assert value not in preview.inner_text()
    expect(preview).to_contain_text("slagit")
    officer.screenshot(path=str(tmp_path / "1-preview.png"), full_page=True)
    officer.locator("#id_reviewed").check()
    officer.get_by_role("button", name="Boka med den här texten").click()
    officer.wait_for_url(re.compile(r".*/konsultativ/moten/[0-9a-f-]+/#presentation-[0-9a-f-]+"))
    room_url = officer.url.split("#")[0]
    presentation_id = officer.url.split("#presentation-")[1]
    card = officer.locator(f"#presentation-{presentation_id}")
    expect(card).to_contain_text(reference)  # the presenter sees their own reference
    expect(card).to_contain_text("Avidentifierat")
    _live(officer)

    # --- both members see the anonymised brief, never the identity --------------------
    for member in (school, region):
        member.goto(room_url)
        member_card = member.locator(f"#presentation-{presentation_id}")
        expect(member_card).to_contain_text("Avidentifierat ärende")
        expect(member_card.locator(".brief")).to_contain_text("slagit")
        _assert_no_identity(member, reference)
        _live(member)
    school.screenshot(path=str(tmp_path / "2-school-room.png"), full_page=True)

    # --- each agency records its support; the others see it arrive ---------------------
    school_card = school.locator(f"#presentation-{presentation_id}")
    school_card.get_by_label("Stöd som enheten kan erbjuda").fill(
        "Elevhälsan erbjuder kuratorssamtal för dottern varje vecka."
    )
    school_card.get_by_role("button", name="För in stödet").click()
    for page in (region, officer, school):
        expect(page.locator(f"#supports-{presentation_id}")).to_contain_text(
            "kuratorssamtal", timeout=LIVE
        )
    region_card = region.locator(f"#presentation-{presentation_id}")
    region_card.get_by_label("Stöd som enheten kan erbjuda").fill(
        "Primärvården kan ta emot mamman för samtalsstöd."
    )
    region_card.get_by_role("button", name="För in stödet").click()
    for page in (school, officer):
        expect(page.locator(f"#supports-{presentation_id}")).to_contain_text(
            "samtalsstöd", timeout=LIVE
        )
    expect(officer.locator(f"#supports-{presentation_id} .support")).to_have_count(2)

    # --- a message naming the client is refused; a clean one reaches everyone -----------
    school.get_by_label("Skriv ett meddelande").fill("Är det Johanna Nilsson på Drottninggatan?")
    school.get_by_role("button", name="Skicka").click()
    error = school.locator("#message-error")
    expect(error).to_be_visible(timeout=LIVE)
    expect(error).to_contain_text("namn")
    assert "Johanna" not in error.inner_text()
    school.get_by_label("Skriv ett meddelande").fill("Vi kan också ta med mentorn.")
    school.get_by_role("button", name="Skicka").click()
    for page in (region, officer):
        expect(page.locator("#messages")).to_contain_text("ta med mentorn", timeout=LIVE)
    expect(region.locator("#messages")).not_to_contain_text("Johanna")
    _assert_no_identity(region, reference)
    region.screenshot(path=str(tmp_path / "3-region-room.png"), full_page=True)

    # --- återkoppling: a task on the start page until done -----------------------------
    officer.goto(f"{demo_server.url}/")
    task = officer.locator("#feedback-tasks")
    expect(task).to_contain_text(reference)
    task.get_by_role("link").first.click()
    feedback_url = officer.url
    expect(officer.locator("#offered-support")).to_contain_text("Primärvård Norrköping")
    officer.get_by_label("Vad klienten fick veta").fill(
        "Skolan erbjuder kuratorssamtal för dottern; primärvården samtalsstöd för dig."
    )
    officer.get_by_label("Klientens önskemål om fortsatta kontakter").fill(
        "Vill börja hos primärvården."
    )
    officer.get_by_role("button", name="Spara och markera som klar").click()
    officer.wait_for_url(f"{demo_server.url}/")
    expect(officer.locator("#feedback-tasks")).to_have_count(0)

    # --- with consent, a referral to the region, which accepts it ------------------------
    region.goto(f"{demo_server.url}/")
    _live(region)
    expect(region.locator("#referrals-incoming")).to_have_count(0)

    officer.goto(feedback_url)
    expect(officer.locator("#feedback-status")).to_have_text("Klar")
    officer.locator("#offered-support li").filter(has_text="Primärvård Norrköping").get_by_role(
        "link", name="Skicka remiss hit"
    ).click()
    form = officer.locator("#referral-form")
    expect(form.get_by_label("Till")).to_have_value(re.compile(r"[0-9a-f-]{36}"))
    assert "Primärvård Norrköping" in form.locator("#id_to_unit option:checked").inner_text()
    form.get_by_label("namn och personnummer").check()
    form.get_by_label("situation och händelser").check()
    form.get_by_label("Vad remissen gäller").fill(
        "Mamman önskar samtalsstöd efter konsultation i konsultativ grupp."
    )
    form.get_by_label("Sekretessbedömning (menprövning)").fill(
        "Klienten har skriftligen samtyckt (SN 2026/0042) till remiss till regionen."
    )
    form.get_by_role("button", name="Skicka remissen").click()
    officer.wait_for_url(re.compile(r".*/remisser/[0-9a-f-]+/$"))
    expect(officer.locator("#referral-state")).to_have_text("Skickad")
    _live(officer)

    incoming = region.locator("#referrals-incoming")
    expect(incoming).to_contain_text("Barn och familj", timeout=LIVE)
    incoming.get_by_role("link").first.click()
    expect(region.locator("#referral-name")).to_have_text("Johanna Nilsson")
    expect(region.locator("#referral-text")).to_contain_text("samtalsstöd")
    expect(region.locator("#referral-content")).not_to_contain_text("Drottninggatan")
    region.screenshot(path=str(tmp_path / "4-region-referral.png"), full_page=True)
    region.get_by_role("button", name="Acceptera remissen").click()
    expect(region.locator("#referral-state")).to_have_text("Accepterad")

    expect(officer.locator("#referral-state")).to_have_text("Accepterad", timeout=LIVE)
    officer.screenshot(path=str(tmp_path / "5-officer-referral.png"), full_page=True)

    # --- the school never saw the identity, and every crossing has its basis --------------
    school.goto(room_url)
    _assert_no_identity(school, reference)
    assert _disclosures(demo_server, reference) == [
        ("presentation", "anonymised", "anonymised", ["situation"]),
        ("referral", "consent", "identified", ["identity", "situation"]),
    ]

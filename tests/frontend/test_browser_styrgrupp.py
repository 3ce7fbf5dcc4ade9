"""The whole same-day styrgrupp in real browsers, as the people in Motala would use it.

Separate browser contexts (separate sessions) for the case officer, two section leads and
the deputy one of them delegates to, against one Daphne server (``demo_server`` in
tests/frontend/conftest.py) with the demo data loaded:

register an incident → convene → both leads see the call live → one accepts, one
delegates → the deputy sees the call live and accepts → the convener sees each answer
arrive → the meeting opens for everyone → messages and decisions appear live for all →
close → everyone lands on the minutes, which show everything; every step is audited.
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

OFFICER = "sara.berg"  # Barn och unga, works on the demo case of Lina Andersson
VUXEN_LEAD = "maria.nystrom"
FORSORJNING_LEAD = "bengt.forss"
FORSORJNING_DEPUTY = "anna.wik"
LIVE = 15_000  # ms: what "at once" may take on a loaded test machine


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
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="sv-SE", timezone_id="Europe/Stockholm", viewport={"width": 1280, "height": 1000}
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.url}/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(_password(server, username))
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.locator("#inbox-count")).to_be_attached()
    return page


def _audit(server: LiveServer, meeting_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    with psycopg.connect(server.env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT action, actor, detail FROM audit_auditevent "
            "WHERE detail->>'meeting' = %s ORDER BY seq",
            [meeting_id],
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def test_styrgrupp_from_incident_to_minutes(
    demo_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    officer = _sign_in(browser, demo_server, OFFICER)
    vuxen = _sign_in(browser, demo_server, VUXEN_LEAD)
    forsorjning = _sign_in(browser, demo_server, FORSORJNING_LEAD)
    deputy = _sign_in(browser, demo_server, FORSORJNING_DEPUTY)
    for page in (vuxen, forsorjning, deputy):
        expect(page.locator("#inbox-count")).to_have_text("")

    # --- the case officer registers an incident; the routine offers the call ----------
    row = officer.locator("#my-cases tbody tr").filter(has_not_text="Skyddade personuppgifter")
    row.first.locator("th a").click()
    reference = officer.locator("h1").inner_text().strip()
    incident_form = officer.locator("#incident-form")
    incident_form.get_by_label("Slag av händelse").select_option("violence")
    incident_form.get_by_label("Beskrivning").fill("Ny misshandel i hemmet i morse.")
    incident_form.get_by_role("button", name="Registrera händelsen").click()
    officer.wait_for_url(re.compile(r".*/styrgrupp/\?incident="))
    expect(officer.locator("#routine")).to_contain_text("Hot och våld i nära relation")
    expect(officer.locator("#routine-text")).to_contain_text("samma dag")
    expect(officer.locator("#routine")).to_contain_text("SOSFS 2014:4")
    officer.screenshot(path=str(tmp_path / "1-convene.png"), full_page=True)

    form = officer.locator("#convene-form")
    form.get_by_label("Vuxen").check()
    form.get_by_label("Försörjningsstöd").check()
    form.get_by_label("Nu").check()
    form.get_by_role("button", name="Kalla nu").click()
    officer.wait_for_url(re.compile(r".*/moten/[0-9a-f-]+/svar/$"))
    meeting_id = re.search(r"/moten/([0-9a-f-]+)/", officer.url).group(1)  # type: ignore[union-attr]
    answers = officer.locator("#answers")
    expect(answers.locator("[data-unit]")).to_have_count(2)
    expect(officer.locator("[data-live-status]")).to_have_text("Uppdateras direkt", timeout=LIVE)

    # --- both leads see the call at once: an alert and the count in the header ------------
    for page in (vuxen, forsorjning):
        alert = page.locator(".inbox-alert")
        expect(alert).to_be_visible(timeout=LIVE)
        expect(alert).to_contain_text("Du är kallad till styrgruppen")
        expect(alert).to_contain_text(reference)
        expect(page.locator("#inbox-count")).to_have_text("1", timeout=LIVE)
    vuxen.screenshot(path=str(tmp_path / "2-call-alert.png"), full_page=True)
    expect(deputy.locator(".inbox-alert")).to_have_count(0)

    # --- Vuxen accepts ----------------------------------------------------------------
    vuxen.locator(".inbox-alert").get_by_role("link", name="Svara").click()
    vuxen.wait_for_url(f"{demo_server.url}/moten/{meeting_id}/kallelse/")
    expect(vuxen.locator("#call")).to_contain_text(reference)
    vuxen.get_by_role("button", name="Jag kommer").click()
    vuxen.wait_for_url(f"{demo_server.url}/moten/{meeting_id}/")
    expect(vuxen.locator("#inbox-count")).to_have_text("")

    vuxen_section = answers.locator("li.section", has_text="Vuxen")
    expect(vuxen_section.locator(".section-status")).to_have_text("Kommer", timeout=LIVE)
    expect(vuxen_section).to_contain_text("Maria Nyström")

    # --- Försörjningsstöd delegates to its deputy, who is called at once ----------------
    forsorjning.locator(".inbox-alert").get_by_role("link", name="Svara").click()
    forsorjning.wait_for_url(f"{demo_server.url}/moten/{meeting_id}/kallelse/")
    forsorjning.get_by_label("Delegera till ersättare").select_option(label="Anna Wik")
    forsorjning.get_by_role("button", name="Delegera").click()
    expect(forsorjning.locator("#answer-given")).to_contain_text("Kallelsen gick till Anna Wik")

    section = answers.locator("li.section", has_text="Försörjningsstöd")
    expect(section).to_contain_text("Delegerat till Anna Wik", timeout=LIVE)
    expect(section.locator(".section-status")).to_have_text("Väntar på svar")

    deputy_alert = deputy.locator(".inbox-alert")
    expect(deputy_alert).to_be_visible(timeout=LIVE)
    expect(deputy_alert).to_contain_text("delegerats till dig")
    deputy_alert.get_by_role("link", name="Svara").click()
    deputy.get_by_role("button", name="Jag kommer").click()
    deputy.wait_for_url(f"{demo_server.url}/moten/{meeting_id}/")
    expect(section.locator(".section-status")).to_have_text("Kommer", timeout=LIVE)
    expect(section).to_contain_text("Anna Wik")
    officer.screenshot(path=str(tmp_path / "3-answers.png"), full_page=True)

    # --- the meeting opens for everyone ---------------------------------------------------
    officer.get_by_role("link", name="Till mötesrummet").click()
    officer.get_by_role("button", name="Öppna mötet").click()
    expect(officer.locator("#meeting-status")).to_have_text("Pågår")
    for page in (vuxen, deputy):
        expect(page.locator("#meeting-status")).to_have_text("Pågår", timeout=LIVE)
        expect(page.locator("#action-form")).to_be_visible(timeout=LIVE)
        # The brief: identified within the authority, on a recorded basis, no address.
        expect(page.locator("#brief")).to_contain_text("Lina Andersson")
        expect(page.locator("#brief")).not_to_contain_text("Storgatan")
        expect(page.locator("#brief-basis")).to_contain_text("internt forum")
        expect(page.locator("#checklist")).to_contain_text("bevittnat")

    # --- presence and messages, live for all -------------------------------------------
    for page in (officer, vuxen, deputy):
        presence = page.locator("#presence")
        for name in ("Sara Berg", "Maria Nyström", "Anna Wik"):
            expect(presence).to_contain_text(name, timeout=LIVE)
    officer.get_by_label("Skriv ett meddelande").fill("Vi börjar. Barnen var hemma i morse.")
    officer.get_by_role("button", name="Skicka").click()
    for page in (officer, vuxen, deputy):
        expect(page.locator("#messages")).to_contain_text(
            "Vi börjar. Barnen var hemma i morse.", timeout=LIVE
        )
    deputy.get_by_label("Skriv ett meddelande").fill("Försörjningsstöd kan bevilja akut i dag.")
    deputy.get_by_role("button", name="Skicka").click()
    for page in (officer, vuxen):
        expect(page.locator("#messages")).to_contain_text("bevilja akut", timeout=LIVE)

    # --- each section records its responsibility; everyone sees it at once ----------------
    decision_vuxen = "Vuxen ordnar skyddat boende för mamman och barnen i dag."
    vuxen.locator("#action-form").get_by_label("Ansvarig sektion").select_option(label="Vuxen")
    vuxen.locator("#action-form").get_by_label("Ansvarig person").select_option(label="Lena Sund")
    vuxen.locator("#action-form").get_by_label("Ansvar eller beslut").fill(decision_vuxen)
    vuxen.locator("#action-form").get_by_role("button", name="För in beslutet").click()

    decision_fs = "Försörjningsstöd beviljar akut ekonomiskt bistånd."
    deputy.locator("#action-form").get_by_label("Ansvarig sektion").select_option(
        label="Försörjningsstöd"
    )
    deputy.locator("#action-form").get_by_label("Ansvar eller beslut").fill(decision_fs)
    deputy.locator("#action-form").get_by_role("button", name="För in beslutet").click()

    for page in (officer, vuxen, deputy):
        decisions = page.locator("#decision-list")
        expect(decisions).to_contain_text(decision_vuxen, timeout=LIVE)
        expect(decisions).to_contain_text(decision_fs, timeout=LIVE)
        expect(decisions).to_contain_text("Lena Sund")
    vuxen.screenshot(path=str(tmp_path / "4-room.png"), full_page=True)

    # --- close: the minutes are frozen and everyone is taken to them ---------------------
    officer.get_by_role("button", name="Avsluta mötet").click()
    minutes_url = f"{demo_server.url}/moten/{meeting_id}/protokoll/"
    for page in (officer, vuxen, deputy):
        page.wait_for_url(minutes_url, timeout=LIVE)
        expect(page.locator("#minutes-attendees")).to_contain_text("Sara Berg")
        expect(page.locator("#minutes-attendees")).to_contain_text("Maria Nyström")
        expect(page.locator("#minutes-attendees")).to_contain_text("Anna Wik")
        expect(page.locator("#minutes-absent")).to_contain_text("Bengt Förss")
        expect(page.locator("#minutes-absent")).to_contain_text("delegerade till Anna Wik")
        expect(page.locator("#minutes-decisions")).to_contain_text(decision_vuxen)
        expect(page.locator("#minutes-decisions")).to_contain_text(decision_fs)
        expect(page.locator("#minutes-altered")).to_have_count(0)
    sha256 = officer.locator("#minutes-sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)
    officer.emulate_media(media="print")
    expect(officer.locator(".site-header")).to_be_hidden()
    expect(officer.locator("#print-minutes")).to_be_hidden()
    officer.screenshot(path=str(tmp_path / "5-minutes-print.png"), full_page=True)
    officer.emulate_media(media="screen")

    # --- the decision waits on its owner's start page until done ---------------------------
    lena = _sign_in(browser, demo_server, "lena.sund")
    expect(lena.locator("#my-actions")).to_contain_text(decision_vuxen)

    # --- every step is in the audit trail, the minutes' hash included --------------------
    entries = _audit(demo_server, meeting_id)
    actions = [action for action, _actor, _detail in entries]
    for expected in (
        "meeting.convened",
        "disclosure.recorded",
        "invitation.answered",
        "meeting.opened",
        "case.viewed",
        "action.recorded",
        "meeting.closed",
        "minutes.viewed",
    ):
        assert expected in actions, (expected, actions)
    answered = [(actor, d["answer"]) for a, actor, d in entries if a == "invitation.answered"]
    assert answered == [
        (VUXEN_LEAD, "accepted"),
        (FORSORJNING_LEAD, "delegated"),
        (FORSORJNING_DEPUTY, "accepted"),
    ]
    recorded = [actor for a, actor, _d in entries if a == "action.recorded"]
    assert sorted(recorded) == sorted([VUXEN_LEAD, FORSORJNING_DEPUTY])
    closed = [d for a, _actor, d in entries if a == "meeting.closed"]
    assert closed and closed[0]["minutes_sha256"] == sha256
    basis = [d for a, actor, d in entries if a == "case.viewed" and actor == VUXEN_LEAD]
    assert basis, "the brief's read is recorded"

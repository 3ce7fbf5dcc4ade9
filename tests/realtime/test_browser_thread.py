"""Two people on one case page in real browsers, each served by its own Daphne process."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordination.models import Case
from realtime.models import Message
from tests.fixtures import Org
from tests.realtime.conftest import login
from tests.realtime.live import Cluster

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


def test_the_case_thread_is_live_and_catches_up_after_the_server_drops_it(
    people: Org, thread_case: Case, cluster: Cluster, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    first, second = cluster.servers
    officer_key = login(people.user("officer"))
    colleague_key = login(people.user("colleague"))
    path = f"/arenden/{thread_case.id}/"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = []
            for key, server in [(officer_key, first), (colleague_key, second)]:
                context = browser.new_context(locale="sv-SE")
                context.add_cookies([{"name": "sessionid", "value": key, "url": server.http_url}])
                page = context.new_page()
                page.goto(server.http_url + path)
                pages.append(page)
            officer, colleague = pages
            for page in pages:
                expect(page.locator("[data-thread-state]")).to_have_text("Ansluten", timeout=15000)

            # Typed by one, shown to the other.
            officer.get_by_label("Nytt meddelande").fill("Jag ringer skolan i eftermiddag.")
            officer.get_by_role("button", name="Skicka").click()
            thread = colleague.locator("[data-thread-messages] .thread-message")
            expect(thread).to_have_count(1, timeout=10000)
            expect(thread.first.locator(".thread-body")).to_have_text(
                "Jag ringer skolan i eftermiddag."
            )
            expect(thread.first.locator(".thread-sender")).to_have_text("Officer Testsson")
            expect(colleague.locator("[data-thread-presence]")).to_contain_text("Officer Testsson")

            # The officer's server goes away; the page says so and keeps trying.
            first.kill()
            expect(officer.locator("[data-thread-state]")).to_have_text(
                "Återansluter…", timeout=10000
            )
            for text in ["Skolan har ringt tillbaka.", "Mamman kommer kl 15."]:
                colleague.get_by_label("Nytt meddelande").fill(text)
                colleague.get_by_role("button", name="Skicka").click()
            expect(thread).to_have_count(3, timeout=10000)
            # Written while disconnected: kept, and sent once the connection is back.
            officer.get_by_label("Nytt meddelande").fill("Skrivet under avbrottet.")
            officer.get_by_role("button", name="Skicka").click()
            expect(officer.locator(".thread-message-pending")).to_have_count(1)

            first.start()
            first.wait_ready()
            expect(officer.locator("[data-thread-state]")).to_have_text("Ansluten", timeout=20000)
            mine = officer.locator("[data-thread-messages] .thread-message .thread-body")
            expected = [
                "Jag ringer skolan i eftermiddag.",
                "Skolan har ringt tillbaka.",
                "Mamman kommer kl 15.",
                "Skrivet under avbrottet.",
            ]
            expect(mine).to_have_text(expected, timeout=10000)
            expect(officer.locator(".thread-message-pending")).to_have_count(0)
            expect(thread.locator(".thread-body")).to_have_text(expected, timeout=10000)
            officer.screenshot(path=str(tmp_path / "thread.png"), full_page=True)
        finally:
            browser.close()

    assert Message.objects.filter(room=f"case:{thread_case.id}").count() == 4

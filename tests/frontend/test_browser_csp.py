"""Real pages in headless Chromium against a real Daphne: the strict Content-Security-Policy
refuses nothing the pages themselves use (no violation reported on the console).

A control first shows that the listener does hear a violation: a style injected inline
into a page is refused and reported.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.frontend.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser


def _user_with(users: list[dict[str, Any]], role: str) -> dict[str, Any]:
    for user in users:
        if role in user.get("roles", []):
            return user
    raise AssertionError(f"no demo user with the role {role}")


def _violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Refused to" in m]


def test_pages_load_without_csp_violations(demo_server: LiveServer) -> None:
    from playwright.sync_api import sync_playwright

    officer = _user_with(demo_server.demo_users, "case_officer")
    auditor = _user_with(demo_server.demo_users, "auditor")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            messages: list[str] = []

            def new_page() -> Any:
                context = browser.new_context(locale="sv-SE")
                page = context.new_page()
                page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
                page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
                return page

            # The control: an inline style is refused, and the refusal is heard.
            control = new_page()
            control.goto(f"{demo_server.url}/login/")
            control.evaluate(
                "() => { const s = document.createElement('style');"
                " s.textContent = 'body { color: red }'; document.head.appendChild(s); }"
            )
            control.wait_for_timeout(300)
            assert _violations(messages), messages
            messages.clear()

            visited = []
            for user, paths in [
                (officer, ["/", "/inkorg/", "/konto/tvastegsverifiering/", "/konto/bekrafta/"]),
                (auditor, ["/granskning/", "/granskning/loggkontroll/"]),
            ]:
                page = new_page()
                page.goto(f"{demo_server.url}/login/")
                page.get_by_label("Användarnamn").fill(user["username"])
                page.get_by_label("Lösenord").fill(user["password"])
                page.get_by_role("button", name="Logga in").click()
                page.wait_for_url(f"{demo_server.url}/")
                for path in paths:
                    page.goto(f"{demo_server.url}{path}")
                    page.wait_for_load_state("networkidle")
                    visited.append(path)
                if user is officer:
                    # A case page, with its live thread over the WebSocket.
                    page.goto(f"{demo_server.url}/")
                    page.locator("#my-cases tbody th a").first.click()
                    page.wait_for_url(f"{demo_server.url}/arenden/**")
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(500)
                    visited.append(page.url)

            assert len(visited) == 7
            assert _violations(messages) == [], messages
        finally:
            browser.close()

"""realtime.js in a real browser, against a scripted WebSocket: resync, dedupe, resend, 4403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = (ROOT / "frontend" / "static" / "frontend" / "realtime.js").read_text(encoding="utf-8")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser

# A stand-in for the browser's WebSocket that records what the module sends and lets the
# test play the server.
FAKE_SOCKET = """
window.sockets = [];
class FakeSocket {
  constructor(url) {
    this.url = url; this.sent = []; this.readyState = 0; this.listeners = {};
    window.sockets.push(this);
  }
  addEventListener(name, fn) { (this.listeners[name] = this.listeners[name] || []).push(fn); }
  fire(name, event) { (this.listeners[name] || []).forEach(fn => fn(event)); }
  send(text) { this.sent.push(JSON.parse(text)); }
  open() { this.readyState = 1; this.fire("open", {}); }
  deliver(frame) { this.fire("message", {data: JSON.stringify(frame)}); }
  drop(code) { this.readyState = 3; this.fire("close", {code: code}); }
}
FakeSocket.OPEN = 1;
window.WebSocket = FakeSocket;
window.seen = []; window.states = []; window.acks = [];
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page()
    try:
        page.set_content("<!DOCTYPE html><html lang='sv'><body></body></html>")
        page.add_script_tag(content=FAKE_SOCKET)
        page.add_script_tag(content=MODULE)
        page.evaluate(
            """() => {
              SamverkaRealtime.onState(s => window.states.push(s));
              window.thread = SamverkaRealtime.subscribe("case:c", {
                event: (event, seq) => window.seen.push(seq),
                ack: (ack) => window.acks.push(ack.client_id),
              });
            }"""
        )
        yield page
    finally:
        page.close()


def _sent(page: Any, socket: int) -> list[dict[str, Any]]:
    return list(page.evaluate(f"() => window.sockets[{socket}].sent"))


def test_events_are_shown_once_in_order_and_a_gap_asks_again(page: Any) -> None:
    page.evaluate("() => window.sockets[0].open()")
    assert _sent(page, 0) == [{"type": "subscribe", "room": "case:c", "since": 0}]
    page.evaluate(
        """() => {
          const s = window.sockets[0];
          for (const seq of [1, 2, 2, 1]) s.deliver({type: "event", room: "case:c", seq, event: {kind: "x"}});
          s.deliver({type: "event", room: "case:c", seq: 4, event: {kind: "x"}});
        }"""
    )
    assert page.evaluate("() => window.seen") == [1, 2]
    # The gap (3 missing) made it resubscribe from what it holds.
    assert _sent(page, 0)[-1] == {"type": "subscribe", "room": "case:c", "since": 2}
    page.evaluate(
        """() => {
          const s = window.sockets[0];
          for (const seq of [3, 4]) s.deliver({type: "event", room: "case:c", seq, event: {kind: "x"}});
        }"""
    )
    assert page.evaluate("() => window.seen") == [1, 2, 3, 4]


def test_after_a_drop_it_reconnects_resumes_with_since_and_sends_again_with_the_same_id(
    page: Any,
) -> None:
    page.evaluate(
        """() => {
          const s = window.sockets[0];
          s.open();
          s.deliver({type: "event", room: "case:c", seq: 1, event: {kind: "x"}});
          window.clientId = window.thread.send("Hej");
          s.drop(1006);
        }"""
    )
    assert page.evaluate("() => window.states.slice(-1)[0]") == "reconnecting"
    assert page.evaluate("() => window.thread.pending()") == 1
    page.wait_for_function("() => window.sockets.length === 2", timeout=5000)
    page.evaluate("() => window.sockets[1].open()")
    client_id = page.evaluate("() => window.clientId")
    assert _sent(page, 1) == [
        {"type": "subscribe", "room": "case:c", "since": 1},
        {"type": "send", "room": "case:c", "client_id": client_id, "body": "Hej"},
    ]
    assert page.evaluate("() => window.states.slice(-1)[0]") == "open"
    page.evaluate(
        f"""() => window.sockets[1].deliver(
              {{type: "ack", client_id: "{client_id}", room: "case:c", seq: 2}})"""
    )
    assert page.evaluate("() => window.thread.pending()") == 0
    assert page.evaluate("() => window.acks") == [client_id]


def test_close_4403_means_access_is_gone_and_it_does_not_reconnect(page: Any) -> None:
    page.evaluate("() => { window.sockets[0].open(); window.sockets[0].drop(4403); }")
    page.wait_for_timeout(1500)  # longer than the first back-off
    assert page.evaluate("() => window.sockets.length") == 1
    assert page.evaluate("() => window.states.slice(-1)[0]") == "closed"

"""No identity in a real server's log: against the demo Daphne (tests/frontend/conftest.py),
requests and WebSocket frames carry the demo clients' identities where they do not belong,
and the server's whole output (standard output and error, in its log file) is searched.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.sync.client import connect

from coordination.demo import CASES
from tests.frontend.conftest import LiveServer

pytestmark = pytest.mark.browser


def identity_strings() -> list[str]:
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

    for case in CASES:
        collect(case["identity"])
    for number in [v for v in values if re.fullmatch(r"\d{8}-\d{4}", v)]:
        digits = number.replace("-", "")
        values += [digits, digits[2:], number[2:]]
    # Relations ("make") and cities are ordinary words of the interface, not identities.
    ordinary = {"make", "maka", "bror", "syster", "mor", "far", "Motala", "Norrköping"}
    return sorted({v for v in values if v not in ordinary and len(v) > 3})


def _signed_in(server: LiveServer, user: dict[str, Any]) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = session.post(
        f"{server.url}/login/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": user["username"],
            "password": user["password"],
        },
        headers={"Referer": f"{server.url}/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def _user_with(users: list[dict[str, Any]], role: str) -> dict[str, Any]:
    return next(u for u in users if role in u.get("roles", []))


def test_the_live_servers_log_holds_no_identity(demo_server: LiveServer) -> None:
    log = Path(demo_server.env["SAMVERKA_KEY_DIR"]).parent / "daphne.log"
    assert log.exists()
    first = CASES[0]["identity"]
    number = first["personnummer"]
    officer = _signed_in(demo_server, _user_with(demo_server.demo_users, "case_officer"))
    auditor = _signed_in(demo_server, _user_with(demo_server.demo_users, "auditor"))
    start = log.stat().st_size

    # The address bar and the API with identity in the path.
    for path in [
        f"/arenden/{number}/",
        f"/api/v1/cases/{number.replace('-', '')}/",
        f"/sok/{first['name']}/{first['email']}",
        f"/arenden/{first['address']['street']}/{first['phone']}",
    ]:
        assert officer.get(f"{demo_server.url}{path}", timeout=10).status_code == 404
    # A personnummer as username.
    requests.post(
        f"{demo_server.url}/login/",
        data={"username": number, "password": first["name"]},
        timeout=10,
    )
    # The register extract with the number and with typos.
    csrf = str(auditor.cookies.get("csrftoken") or "")
    for typed in [number, number[2:], number[:-1] + "5", f"{number}X"]:
        auditor.post(
            f"{demo_server.url}/api/v1/audit/register-extract/",
            data=json.dumps({"personnummer": typed}),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
            timeout=10,
        )
    # WebSocket frames with identity where it does not belong.
    ws_url = demo_server.url.replace("http://", "ws://") + "/ws/v1/"
    cookie = f"sessionid={officer.cookies.get('sessionid', '')}"
    with connect(
        ws_url, additional_headers={"Cookie": cookie, "Origin": demo_server.url}, open_timeout=10
    ) as socket:
        for frame in [
            json.dumps({"type": "subscribe", "room": f"case:{number}"}),
            json.dumps({"type": "send", "room": first["name"], "client_id": "x", "body": "hej"}),
            json.dumps({"type": first["email"]}),
            json.dumps({"type": "send", "body": first["name"]})[:-2],
            json.dumps({"type": "ping"}),
        ]:
            socket.send(frame)
            reply = json.loads(socket.recv(timeout=10))
            assert reply["type"] in ("error", "pong"), reply

    time.sleep(1.0)  # the server writes its log lines after answering
    with log.open("rb") as handle:
        handle.seek(start)
        written = handle.read().decode("utf-8", "replace")

    assert "[adress utan träff]" in written, written[-2000:]  # the provocations were logged
    leaks = [value for value in identity_strings() if value in written]
    assert leaks == [], (leaks, written[-3000:])

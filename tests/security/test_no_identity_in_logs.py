"""No identity in logs: errors are provoked while identity data is in play, and every log
record (all loggers, DEBUG and up) and everything written to standard error is searched
for the identity — names, the personnummer in every spelling, address, phone, e-mail.

Provoked here: bad identity input to the services and the API, a personnummer typed as a
username and into the address bar, a vault that cannot decrypt (500 with DEBUG off), and
WebSocket frames that fail. tests/frontend/test_live_logs.py does the same against a
real Daphne and reads its log.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from coordination import services
from coordination.errors import Invalid
from coordination.models import IdentityField
from tests.fixtures import IDENTITY as _IDENTITY
from tests.fixtures import Org, make_case
from tests.realtime.conftest import Peer, login, make_meeting, people, present, thread_case

__all__ = ["people", "thread_case"]

IDENTITY: dict[str, Any] = _IDENTITY

# Invalid numbers a person might type, close to the client's own.
TYPOS = ["19850612-2385", "850612-2385", "1985061223", "19850612+2384X"]


def identity_strings() -> list[str]:
    """Everything identifying in the test identity, the personnummer in every spelling."""
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

    collect(IDENTITY)
    number = str(IDENTITY["personnummer"])  # 19850612-2384
    digits = number.replace("-", "")
    values += [digits, digits[2:], number[2:], f"{digits[2:8]} {digits[8:]}"]
    values += ["0701234567", "070-123 45 67", "+46701234567", "Storgatan 12", "591 30"]
    values += TYPOS
    return sorted({v for v in values if v not in {"make", "Motala"}})


def _leaks(text: str) -> list[str]:
    return [value for value in identity_strings() if value in text]


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Any:
    """Captures every record of every logger (DEBUG up) and what reaches fd 1 and 2."""
    caplog.set_level(logging.DEBUG)

    def scan() -> list[str]:
        out, err = capfd.readouterr()
        records = []
        for record in caplog.records:
            records.append(record.getMessage())
            if record.exc_text:  # the traceback text every handler writes
                records.append(record.exc_text)
        text = "\n".join([caplog.text, *records, out, err])
        assert caplog.records, "the provocations logged nothing at all: the capture is broken"
        return _leaks(text)

    return scan


def test_http_errors_with_identity_in_play_log_no_identity(
    org: Org, settings: Any, everything_logged: Any
) -> None:
    settings.DEBUG = False
    case = make_case(org)  # registers the identity in the vault
    auditor = Client(raise_request_exception=False)
    auditor.force_login(org.user("auditor"))
    officer = Client(raise_request_exception=False)
    officer.force_login(org.user("officer"))
    logging.getLogger("tests").debug("provocations start")

    # Bad identity input to the service, as a page or an import would pass it.
    for typo in TYPOS:
        with pytest.raises(Invalid):
            services.case_identity_register(
                actor=org.user("officer"), case=case, data={"personnummer": typo}
            )
    with pytest.raises(Invalid):
        services.case_identity_register(
            actor=org.user("officer"),
            case=case,
            data={"email": "lina.andersson@example", "phone": "070-123 45 67 8"},
        )
    # The register extract, with the number in each spelling and with typos.
    for number in [IDENTITY["personnummer"], "198506122384", "850612-2384", *TYPOS]:
        response = auditor.post(
            "/api/v1/audit/register-extract/",
            data=json.dumps({"personnummer": number}),
            content_type="application/json",
        )
        assert response.status_code in (200, 400)
    # A personnummer typed as a username, and into the address bar.
    Client().post("/login/", {"username": IDENTITY["personnummer"], "password": IDENTITY["name"]})
    for number in ["19850612-2384", "198506122384"]:
        assert officer.get(f"/arenden/{number}/").status_code == 404
        assert officer.get(f"/api/v1/cases/{number}/").status_code == 404
        assert officer.get(f"/sok/{number}/lina.andersson@example.se").status_code == 404
    # A vault that cannot decrypt: the case page and the API fail with 500.
    IdentityField.objects.filter(case=case, name="name").update(ciphertext=b"\x00" * 60)
    assert officer.get(f"/arenden/{case.id}/").status_code == 500
    assert officer.get(f"/api/v1/cases/{case.id}/").status_code == 500

    assert everything_logged() == []


@pytest.mark.django_db(transaction=True)
async def test_websocket_errors_with_identity_in_play_log_no_identity(
    people: Org, thread_case: Case, everything_logged: Any
) -> None:
    meeting = await database_sync_to_async(make_meeting)(
        people, case=thread_case, invited=["vuxen_lead"], internal=False
    )
    await database_sync_to_async(present)(meeting, thread_case, people.user("officer"))
    key = await database_sync_to_async(login)(people.user("officer"))
    peer, connected, _code = await Peer.open(key)
    assert connected
    room = f"meeting:{meeting.id}"
    try:
        await peer.subscribe(room)
        # Identifying text where the case is presented anonymised is refused.
        for body in [
            f"Det gäller {IDENTITY['personnummer']}",
            f"{IDENTITY['name']} på {IDENTITY['address']['street']}",
            f"Ring {IDENTITY['phone']} eller {IDENTITY['email']}",
        ]:
            await peer.send(
                {"type": "send", "room": room, "client_id": str(uuid.uuid4()), "body": body}
            )
            error = await peer.expect("error")
            assert error["code"] in ("identifying_text", "identifier_in_message")
            assert not _leaks(error["message"])
        # Identity in fields where it does not belong.
        frames: list[dict[str, Any] | str] = [
            {"type": "subscribe", "room": f"case:{IDENTITY['personnummer']}"},
            {"type": "send", "room": IDENTITY["name"], "client_id": "x", "body": "hej"},
            {"type": IDENTITY["email"]},
            json.dumps({"type": "send", "body": IDENTITY["name"]})[:-3],
        ]
        for frame in frames:
            await peer.send(frame)
            await peer.expect("error")
        # A vault that cannot decrypt the case's messages any more.
        from coordination.models import Case as CaseModel

        await database_sync_to_async(CaseModel.objects.filter(pk=thread_case.pk).update)(
            wrapped_data_key=b"\x00" * 60
        )
        await peer.send(
            {
                "type": "send",
                "room": f"case:{thread_case.id}",
                "client_id": str(uuid.uuid4()),
                "body": f"{IDENTITY['name']} {IDENTITY['personnummer']}",
            }
        )
        failed = await peer.expect("error")
        assert failed["code"] == "internal_error"
        await peer.ping()
    finally:
        await peer.close()

    assert everything_logged() == []


from coordination.models import Case  # noqa: E402  (for the annotations above)

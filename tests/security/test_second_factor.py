"""The second factor: TOTP enrolment and login, enforced when required (production)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.fixtures import Org
from tests.realtime.conftest import Peer
from tests.security.conftest import PASSWORD, code_for, device_for, login_with_code


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _actions(since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [(e.action, e.detail) for e in AuditEvent.objects.filter(seq__gt=since).order_by("seq")]


def _head() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


@pytest.mark.usefixtures("second_factor_required")
def test_first_login_without_a_device_enrols_before_the_session_is_signed_in(org: Org) -> None:
    officer = org.user("officer")
    client = Client()
    before = _head()

    first = client.post("/login/", {"username": "officer", "password": PASSWORD})

    assert first.status_code == 302 and first["Location"] == "/konto/tvastegsverifiering/"
    assert not _signed_in(client)
    assert client.get("/").status_code == 302  # the start page still wants a login
    assert client.get("/api/v1/cases/").status_code == 401

    page = client.get("/konto/tvastegsverifiering/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    svg = base64.b64decode(html.split('src="data:image/svg+xml;base64,', 1)[1].split('"', 1)[0])
    assert svg.startswith(b"<svg") and b"<script" not in svg and b"style=" not in svg
    device = TOTPDevice.objects.get(user=officer)
    assert device.confirmed is False
    secret = html.split('id="otp-secret">', 1)[1].split("<", 1)[0].replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    wrong = client.post("/konto/tvastegsverifiering/", {"token": "000000"})
    assert wrong.status_code == 400
    assert "Koden stämmer inte" in wrong.content.decode()
    assert not _signed_in(client)

    right = client.post("/konto/tvastegsverifiering/", {"token": code_for(device)})

    assert right.status_code == 302 and right["Location"] == "/"
    assert _signed_in(client)
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    actions = _actions(before)
    assert ("otp.enrolled", {"device": "totp"}) in actions
    assert actions[-1][0] == "login.succeeded"
    assert actions[-1][1]["method"] == "password+totp"


@pytest.mark.usefixtures("second_factor_required")
def test_login_with_a_device_asks_for_the_code_and_refuses_a_wrong_or_replayed_one(
    org: Org,
) -> None:
    device = device_for(org.user("officer"))
    client = Client()

    first = client.post("/login/", {"username": "officer", "password": PASSWORD})
    assert first["Location"] == "/login/kod/"
    assert not _signed_in(client)

    before = _head()
    wrong = client.post("/login/kod/", {"token": "123456"})
    assert wrong.status_code == 400
    assert not _signed_in(client)
    assert _actions(before)[-1] == (
        "login.failed",
        {"username": "officer", "ip": "127.0.0.1", "stage": "otp"},
    )

    # django-otp's own throttle delays the next try after a wrong code.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    code = code_for(device)
    assert client.post("/login/kod/", {"token": code}).status_code == 302
    assert _signed_in(client)

    # The same code cannot sign in a second browser.
    other = Client()
    other.post("/login/", {"username": "officer", "password": PASSWORD})
    assert other.post("/login/kod/", {"token": code}).status_code == 400
    assert not _signed_in(other)


@pytest.mark.usefixtures("second_factor_required")
def test_the_code_step_without_a_password_step_goes_back_to_the_login(org: Org) -> None:
    device = device_for(org.user("officer"))
    client = Client()

    response = client.post("/login/kod/", {"token": code_for(device)})

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not _signed_in(client)


@pytest.mark.usefixtures("second_factor_required")
def test_a_session_signed_in_without_the_second_factor_is_signed_out(org: Org) -> None:
    client = Client()
    client.force_login(org.user("officer"))  # as a session from before the requirement

    assert client.get("/").status_code == 302
    assert not _signed_in(client)
    client.force_login(org.user("officer"))
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.usefixtures("second_factor_required")
def test_removing_the_device_ends_the_sessions_it_verified(org: Org) -> None:
    device = device_for(org.user("officer"))
    client = login_with_code(org.user("officer"), device)
    assert client.get("/").status_code == 200

    device.delete()

    assert client.get("/").status_code == 302
    assert not _signed_in(client)


def test_without_the_requirement_a_person_without_a_device_signs_in_with_the_password(
    org: Org,
) -> None:
    client = Client()

    response = client.post("/login/", {"username": "officer", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in(client)


def test_without_the_requirement_a_person_with_a_device_still_gives_the_code(org: Org) -> None:
    device = device_for(org.user("officer"))

    client = login_with_code(org.user("officer"), device)

    assert client.get("/").status_code == 200


def test_a_signed_in_person_can_add_the_app_from_the_account_page(org: Org) -> None:
    client = Client()
    client.force_login(org.user("officer"))
    assert client.get("/konto/tvastegsverifiering/").status_code == 200
    device = TOTPDevice.objects.get(user=org.user("officer"))

    response = client.post("/konto/tvastegsverifiering/", {"token": code_for(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_refuses_a_session_without_the_second_factor(
    settings: Any,
) -> None:
    from tests.fixtures import build_org
    from tests.realtime.conftest import login

    settings.SAMVERKA_REQUIRE_SECOND_FACTOR = True
    org = await database_sync_to_async(build_org)()
    key = await database_sync_to_async(login)(org.user("officer"))

    peer, connected, _code = await Peer.open(key)

    assert connected is False
    await peer.communicator.wait()


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_accepts_a_session_signed_in_with_both_factors(
    settings: Any,
) -> None:
    from tests.fixtures import build_org

    settings.SAMVERKA_REQUIRE_SECOND_FACTOR = True
    org = await database_sync_to_async(build_org)()

    def sign_in() -> str:
        device = device_for(org.user("officer"))
        client = login_with_code(org.user("officer"), device)
        return client.cookies["sessionid"].value

    key = await database_sync_to_async(sign_in)()
    peer, connected, _code = await Peer.open(key)
    try:
        assert connected is True
        await peer.ping()
    finally:
        await peer.close()

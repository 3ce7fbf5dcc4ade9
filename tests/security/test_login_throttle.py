"""Login throttling: per username and per client address, a Swedish message, audited."""

from __future__ import annotations

from typing import Any

from django.test import Client

from audit.models import AuditEvent
from tests.fixtures import Org
from tests.security.conftest import PASSWORD, code_for, device_for


def _post(client: Client, username: str, password: str, ip: str = "127.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _actions_since(seq: int) -> list[tuple[str, dict[str, Any]]]:
    return [(e.action, e.detail) for e in AuditEvent.objects.filter(seq__gt=seq).order_by("seq")]


def _head() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def test_five_wrong_passwords_lock_the_username_even_for_the_right_password(org: Org) -> None:
    client = Client()
    before = _head()
    for _ in range(4):
        assert _post(client, "officer", "fel-lösenord-igen").status_code == 200

    fifth = _post(client, "officer", "fel-lösenord-igen")
    assert "För många misslyckade inloggningsförsök" in fifth.content.decode()

    locked = _post(client, "officer", PASSWORD)

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "För många misslyckade inloggningsförsök. Vänta 15 minuter" in html
    assert 'role="alert"' in html
    assert "_auth_user_id" not in client.session
    actions = [action for action, _detail in _actions_since(before)]
    assert actions == ["login.failed"] * 4 + ["login.locked", "login.refused_locked"]
    assert _actions_since(before)[0][1] == {
        "username": "officer",
        "ip": "127.0.0.1",
        "stage": "password",
    }
    # Another person is not locked out by it.
    assert _post(Client(), "colleague", PASSWORD, ip="10.0.0.9").status_code == 302


def test_twenty_failures_from_one_address_lock_that_address_for_every_username(
    org: Org,
) -> None:
    client = Client()
    for i in range(20):
        _post(client, f"gissning{i}", "fel-lösenord-igen", ip="192.0.2.7")

    from_there = _post(client, "officer", PASSWORD, ip="192.0.2.7")
    from_elsewhere = _post(Client(), "officer", PASSWORD, ip="192.0.2.8")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302


def test_a_success_clears_the_username_counter(org: Org) -> None:
    for _ in range(4):
        _post(Client(), "officer", "fel-lösenord-igen")
    assert _post(Client(), "officer", PASSWORD).status_code == 302

    for _ in range(4):
        _post(Client(), "officer", "fel-lösenord-igen")

    assert _post(Client(), "officer", PASSWORD).status_code == 302


def test_an_unknown_username_is_not_written_to_the_trail(org: Org) -> None:
    before = _head()

    _post(Client(), "19121212-1212", "vad som helst")

    [(action, detail)] = _actions_since(before)
    assert action == "login.failed"
    assert detail["username"] == ""
    assert "1212" not in str(detail)


def test_wrong_codes_count_against_the_username_too(org: Org) -> None:
    device = device_for(org.user("officer"))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for _ in range(5):
        client = Client()
        _post(client, "officer", PASSWORD)
        client.post("/login/kod/", {"token": "000000"})
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)

    client = Client()
    locked = _post(client, "officer", PASSWORD)

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The locked password step left nothing for a right code to complete.
    second = client.post("/login/kod/", {"token": code_for(device)})
    assert second.status_code == 302 and second["Location"] == "/login/"
    assert "_auth_user_id" not in client.session

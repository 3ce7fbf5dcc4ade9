"""Disabling an account ends its sessions and closes its open connections within a second."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.test import Client

from coordination import services
from coordination.models import Case
from tests.fixtures import Org
from tests.realtime.conftest import Peer, login, people, thread_case

__all__ = ["people", "thread_case"]  # the realtime tests' fixtures, used here too


def _sessions_of(user: Any) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def test_deactivation_deletes_every_session_of_the_person_and_no_other(org: Org) -> None:
    colleague = org.user("colleague")
    browsers = [Client() for _ in range(3)]
    for browser in browsers:
        browser.force_login(colleague)
    bystander = Client()
    bystander.force_login(org.user("officer"))
    assert _sessions_of(colleague) == 3

    services.user_deactivate(actor=org.user("admin"), user=colleague, reason="Slutat")

    assert _sessions_of(colleague) == 0
    for browser in browsers:
        assert browser.get("/").status_code == 302
        assert browser.get("/api/v1/cases/").status_code == 401
    assert bystander.get("/").status_code == 200
    # Activating the account again does not bring an old session back.
    type(colleague).objects.filter(pk=colleague.pk).update(is_active=True)
    assert browsers[0].get("/").status_code == 302


def test_deactivation_is_for_administrators(org: Org) -> None:
    from coordination.errors import Forbidden

    with pytest.raises(Forbidden):
        services.user_deactivate(actor=org.user("lead"), user=org.user("officer"), reason="x")

    org.user("officer").refresh_from_db()
    assert org.user("officer").is_active


@pytest.mark.django_db(transaction=True)
async def test_open_connections_close_with_4403_within_one_second(
    people: Org, thread_case: Case
) -> None:
    colleague = people.user("colleague")
    key = await database_sync_to_async(login)(colleague)
    second_key = await database_sync_to_async(login)(colleague)
    peers = []
    for session_key in (key, second_key):
        peer, connected, _code = await Peer.open(session_key)
        assert connected
        peers.append(peer)
    await peers[0].subscribe(f"case:{thread_case.id}")
    await peers[1].ping()
    try:
        started = time.monotonic()
        await database_sync_to_async(services.user_deactivate)(
            actor=people.user("admin"), user=colleague, reason="Slutat"
        )
        closes = [await peer.expect("_closed", timeout=1.0) for peer in peers]
        elapsed = time.monotonic() - started

        assert [c["code"] for c in closes] == [4403, 4403]
        assert elapsed < 1.0
        assert await database_sync_to_async(_sessions_of)(colleague) == 0
    finally:
        for peer in peers:
            await peer.close()


def test_unticking_active_in_the_admin_disables_the_account_through_the_service(
    org: Org, rf: Any
) -> None:
    from django.contrib import admin

    from audit.models import AuditEvent

    colleague = org.user("colleague")
    browser = Client()
    browser.force_login(colleague)
    request = rf.post("/admin/")
    request.user = org.user("admin")
    model_admin = admin.site._registry[type(colleague)]
    colleague.is_active = False

    class Form:
        changed_data = ["is_active"]

    model_admin.save_model(request, colleague, Form(), change=True)

    assert _sessions_of(colleague) == 0
    assert browser.get("/").status_code == 302
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == "user.deactivated"

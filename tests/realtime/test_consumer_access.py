"""Loss of access reaches open connections within a second."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session

from coordination import services as org_services
from coordination.models import Case, Invitation, InvitationAnswer, Role
from realtime import services
from tests.fixtures import Org, make_user
from tests.realtime.conftest import Peer, login, make_meeting


def _send(user: Any, room: str, body: str) -> services.Receipt:
    return services.message_send(actor=user, room=room, client_id=uuid.uuid4(), body=body)


async def _no_events(peer: Peer, seconds: float) -> None:
    frames = await peer.drain(seconds)
    assert not [f for f in frames if f["type"] == "event"], frames


async def test_a_removed_role_ends_the_subscription_within_a_second(
    people: Org, thread_case: Case, peers: Any
) -> None:
    # A section lead by role only (neither the unit's lead nor its deputy).
    acting = await database_sync_to_async(make_user)("acting_lead")
    await database_sync_to_async(org_services.membership_grant)(
        actor=None, user=acting, unit=people.units["bou"], role=Role.SECTION_LEAD
    )
    room = f"case:{thread_case.id}"
    peer = await peers(acting)
    await peer.subscribe(room)
    await peer.subscribe("inbox")

    started = time.monotonic()
    await database_sync_to_async(org_services.membership_revoke)(
        actor=people.user("admin"), user=acting, unit=people.units["bou"], role=Role.SECTION_LEAD
    )
    error = await peer.expect("error", timeout=1.0, ref=room)
    assert time.monotonic() - started < 1.0
    assert error["code"] == "access_lost"
    assert error["message"] == "Du har inte längre åtkomst till rummet."

    await database_sync_to_async(_send)(people.user("officer"), room, "Efter återkallelsen")
    await _no_events(peer, 1.0)
    # The person still has their inbox: the connection stays open.
    await peer.ping()
    await peer.send({"type": "subscribe", "room": room, "since": 0})
    assert (await peer.expect("error", ref=room))["code"] == "not_found"


async def test_a_disabled_account_gets_an_error_frame_and_close_4403(
    people: Org, thread_case: Case, peers: Any
) -> None:
    room = f"case:{thread_case.id}"
    colleague = people.user("colleague")
    peer = await peers(colleague)
    await peer.subscribe(room)
    other_tab = await database_sync_to_async(login)(colleague)

    started = time.monotonic()
    await database_sync_to_async(org_services.user_deactivate)(
        actor=people.user("admin"), user=colleague, reason="Slutat"
    )
    error = await peer.expect("error", timeout=1.0, ref=room)
    closed = await peer.expect("_closed", timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert error["code"] == "access_lost"
    assert closed["code"] == 4403

    # Nor can it connect again with a session it had.
    _again, connected, _code = await Peer.open(other_tab)
    assert not connected


async def test_a_meeting_participant_who_declines_loses_the_room_on_the_next_check(
    people: Org, thread_case: Case, peers: Any, settings: Any
) -> None:
    # Changes that do not announce themselves are caught by the periodic policy check.
    settings.SAMVERKA = {
        **settings.SAMVERKA,
        "REALTIME_TICK_SECONDS": 0.2,
        "REALTIME_ACCESS_RECHECK_SECONDS": 0.2,
    }
    meeting = await database_sync_to_async(make_meeting)(
        people, case=thread_case, invited=["vuxen_lead"]
    )
    room = f"meeting:{meeting.id}"
    peer = await peers(people.user("vuxen_lead"))
    await peer.subscribe(room)

    await database_sync_to_async(Invitation.objects.filter(meeting=meeting).update)(
        answer=InvitationAnswer.DECLINED
    )
    error = await peer.expect("error", timeout=2.0, ref=room)
    assert error["code"] == "access_lost"
    await database_sync_to_async(_send)(people.user("officer"), room, "Efter nej")
    await _no_events(peer, 0.6)


async def test_signing_out_elsewhere_closes_the_connection(
    people: Org, thread_case: Case, settings: Any
) -> None:
    settings.SAMVERKA = {**settings.SAMVERKA, "REALTIME_TICK_SECONDS": 0.2}
    key = await database_sync_to_async(login)(people.user("officer"))
    peer, connected, _code = await Peer.open(key)
    assert connected
    await peer.subscribe(f"case:{thread_case.id}")
    await database_sync_to_async(Session.objects.filter(session_key=key).delete)()
    closed = await peer.expect("_closed", timeout=2.0)
    assert closed["code"] == 4403
    await asyncio.sleep(0)

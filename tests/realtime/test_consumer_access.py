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


async def test_a_revoked_consent_stops_what_it_let_a_participant_see_within_a_second(
    people: Org, peers: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from consent import services as consent_services
    from coordination.models import PresentationMode
    from realtime.publish import publish_on_commit
    from tests.fixtures import make_case
    from tests.realtime.conftest import present
    from tests.realtime.sample_events import Briefed

    # A case presented with the client's consent in a consultative group where the
    # region's nurse takes part: the consent names the region.
    case = await database_sync_to_async(make_case)(people)
    officer = people.user("officer")

    def arrange() -> tuple[Any, Any]:
        meeting = make_meeting(
            people, case=None, invited=["nurse"], internal=False, kind="consultative_group"
        )
        present(meeting, case, officer, PresentationMode.CONSENTED)
        consent = consent_services.consent_record(
            actor=officer,
            case=case,
            agencies=[people.units["region"].agency],
            categories=["identity", "situation"],
            purpose_code="consultation",
            given_how="written",
            valid_from=timezone.localdate(),
            valid_to=timezone.localdate() + dt.timedelta(days=90),
        )
        return meeting, consent

    meeting, consent = await database_sync_to_async(arrange)()
    room = f"meeting:{meeting.id}"
    nurse = await peers(people.user("nurse"))
    await nurse.subscribe(room)
    brief = Briefed(case_id=str(case.id), brief="Lina, 40 år", anonymised="Kvinna, 40 år")
    await database_sync_to_async(publish_on_commit)(room, brief)
    assert (await nurse.expect("event", room=room))["event"]["brief"] == "Lina, 40 år"

    started = time.monotonic()
    await database_sync_to_async(consent_services.consent_revoke)(
        actor=officer, consent=consent, reason="Klienten ångrade sig"
    )
    error = await nurse.expect("error", timeout=1.0, ref=room)
    assert time.monotonic() - started < 1.0
    assert error["code"] == "access_changed"
    await database_sync_to_async(publish_on_commit)(room, brief)
    after = await nurse.expect("event", room=room)
    assert after["event"] == {"kind": "withheld"}

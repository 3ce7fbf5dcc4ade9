"""publish_on_commit and access_changed_on_commit."""

from __future__ import annotations

import threading
import time
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from coordination import services as org_services
from coordination.models import Case, Role
from realtime import rooms
from realtime.models import RoomEvent
from realtime.publish import access_changed_on_commit, publish_on_commit
from tests.fixtures import Org
from tests.realtime.conftest import make_meeting
from tests.realtime.sample_events import Briefed, Noted


def test_an_event_is_stored_in_the_transaction_and_announced_after_commit(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("realtime.publish._send") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            with transaction.atomic():
                first = publish_on_commit("inbox:1", Noted(note="a"))
                second = publish_on_commit("inbox:1", Noted(note="b"))
            send.assert_not_called()
        for callback in callbacks:
            callback()
    assert (first.seq, second.seq) == (1, 2)
    assert [c.kwargs["seq"] for c in send.call_args_list] == [1, 2]
    assert RoomEvent.objects.get(room="inbox:1", seq=2).payload == {
        "kind": "test.noted",
        "note": "b",
    }


def test_a_rolled_back_change_leaves_no_event_and_announces_nothing(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish_on_commit("inbox:1", Noted(note="a"))
        raise RuntimeError
    assert callbacks == []
    assert not RoomEvent.objects.exists()
    # The number was not used up either: the room starts at 1.
    assert publish_on_commit("inbox:1", Noted(note="b")).seq == 1


def test_events_are_tied_to_the_case_whose_rules_decide_who_sees_them(org: Org, case: Case) -> None:
    meeting = make_meeting(org, case=case, invited=[])
    in_case = publish_on_commit(rooms.case_room(case.id), Noted(note="x"))
    in_meeting = publish_on_commit(
        rooms.meeting_room(meeting.id), Briefed(case_id=str(case.id), brief="B", anonymised="A")
    )
    in_inbox = publish_on_commit(rooms.inbox_room(1), Noted(note="y"))
    assert in_case.case_id == case.id
    assert in_meeting.case_id == case.id
    assert in_meeting.payload == {
        "kind": "test.briefed",
        "views": {
            "identified": {"case_id": str(case.id), "brief": "B"},
            "anonymised": {"case_id": str(case.id), "brief": "A"},
        },
    }
    assert in_inbox.case_id is None


def test_concurrent_writers_get_consecutive_numbers_without_gaps(transactional_db: None) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    publish_on_commit("inbox:7", Noted(note=f"{n}-{i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch("realtime.publish._send"):
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    seqs = list(RoomEvent.objects.filter(room="inbox:7").values_list("seq", flat=True))
    assert seqs == list(range(1, 41))


def test_the_announcement_reaches_a_channel_in_the_room_group(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(rooms.group_name("inbox:3"), channel)
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit("inbox:3", Noted(note="z"))
    message = async_to_sync(layer.receive)(channel)
    # Only where and which number: the event itself is read from the database.
    assert message == {"type": "room.event", "room": "inbox:3", "seq": 1}


def test_a_frozen_redis_does_not_hold_up_the_writer(
    db: None, django_capture_on_commit_callbacks: Any, redis_server_factory: Any, settings: Any
) -> None:
    redis = redis_server_factory()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis.url]},
        }
    }
    redis.pause()
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            stored = publish_on_commit("inbox:4", Noted(note="w"))
        assert time.monotonic() - started < 3.0
    finally:
        redis.resume()
    assert RoomEvent.objects.filter(pk=stored.pk).exists()


def test_changes_that_take_access_away_tell_the_connections_after_commit(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    admin = org.user("admin")
    deputy = org.user("deputy")
    lead = org.user("lead")
    with mock.patch("realtime.publish._announce") as announce:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            org_services.membership_revoke(
                actor=admin, user=deputy, unit=org.units["bou"], role=Role.SECTION_LEAD
            )
            org_services.user_deactivate(actor=admin, user=org.user("colleague"), reason="Slutat")
            org_services.unit_set_leads(
                actor=admin, unit=org.units["bou"], lead=deputy, deputies=[]
            )
        announce.assert_not_called()
        for callback in callbacks:
            callback()
    groups = [c.args[0] for c in announce.call_args_list]
    assert groups == [
        rooms.user_group(deputy.pk),
        rooms.user_group(org.user("colleague").pk),
        *sorted([rooms.user_group(lead.pk), rooms.user_group(deputy.pk)]),
    ]
    # Each message names its person: a process hears all its people's groups on one channel.
    assert [c.args[1] for c in announce.call_args_list] == [
        {"type": "access.changed", "user": int(group.rpartition(".")[2])} for group in groups
    ]


def test_none_tells_every_connection(db: None, django_capture_on_commit_callbacks: Any) -> None:
    with (
        mock.patch("realtime.publish._announce") as announce,
        django_capture_on_commit_callbacks(execute=True),
    ):
        access_changed_on_commit(None)
    announce.assert_called_once_with(rooms.EVERYONE_GROUP, {"type": "access.changed"})

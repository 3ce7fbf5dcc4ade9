"""realtime.statements: reads and inserts composed once give what the ORM gives."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, signals
from django.test.utils import CaptureQueriesContext

from coordination.models import Case, Meeting
from realtime import keys, publish
from realtime.models import Message, MessageVersion, RoomEvent, RoomSequence
from realtime.statements import PrimaryKeyRead, insert, insert_numbered, insert_together
from tests.fixtures import Org
from tests.realtime.conftest import make_meeting

_CASE = PrimaryKeyRead(lambda: Case.objects.select_related("owning_unit__agency"))
_MEETING = PrimaryKeyRead(
    lambda: Meeting.objects.select_related("forum", "case__owning_unit__agency")
)
_PERSON = PrimaryKeyRead(lambda: get_user_model().objects.all())


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_read_gives_the_row_the_orm_gives_with_its_related_rows_in_one_query(
    org: Org, case: Case
) -> None:
    expected = Case.objects.select_related("owning_unit__agency").get(pk=case.pk)
    with CaptureQueriesContext(connection) as queries:
        found = _CASE.get(str(case.pk))
        # The related rows came with it: no further query.
        agency = found.owning_unit.agency
    assert len(queries.captured_queries) == 1
    assert _fields(found) == _fields(expected)
    assert _fields(found.owning_unit) == _fields(expected.owning_unit)
    assert _fields(agency) == _fields(expected.owning_unit.agency)
    assert found._state.adding is False
    assert found._state.db == "default"


def test_a_read_takes_an_integer_key_and_a_missing_row_raises_does_not_exist(org: Org) -> None:
    user = org.user("officer")
    assert _fields(_PERSON.get(user.pk)) == _fields(get_user_model().objects.get(pk=user.pk))
    with pytest.raises(get_user_model().DoesNotExist):
        _PERSON.get(10**9)
    with pytest.raises(Case.DoesNotExist):
        _CASE.get(uuid.uuid4())


def test_a_read_leaves_an_empty_related_row_empty(org: Org, case: Case) -> None:
    without = make_meeting(org, case=None, invited=[])
    with_case = make_meeting(org, case=case, invited=[])
    found = _MEETING.get(str(without.pk))
    assert found.case is None
    assert found.forum.name == without.forum.name
    found = _MEETING.get(str(with_case.pk))
    assert found.case is not None
    assert found.case.owning_unit.agency.pk == case.owning_unit.agency.pk


def test_only_plain_reads_are_composed(org: Org) -> None:
    annotated = PrimaryKeyRead(lambda: Case.objects.annotate(n=Count("officers")))
    with pytest.raises(ValueError, match="plain reads"):
        annotated.get(uuid.uuid4())


def test_an_insert_writes_the_row_the_orm_would_write(org: Org, case: Case) -> None:
    officer = org.user("officer")
    message = Message(room=f"case:{case.id}", case=case, sender=officer)
    insert(message)
    assert message._state.adding is False
    assert message.created_at is not None  # auto_now_add, as save() sets it
    stored = Message.objects.get(pk=message.pk)
    assert _fields(stored) == _fields(message)

    version = MessageVersion(
        message=message, number=1, ciphertext=keys.seal(message, 1, "Hej"), author=officer
    )
    insert(version)
    assert version.pk is not None  # the auto-incremented key is read back
    stored_version = MessageVersion.objects.get(pk=version.pk)
    assert bytes(stored_version.ciphertext) == bytes(version.ciphertext)
    assert keys.KeyRing().open(message, 1, stored_version.ciphertext) == "Hej"

    room = f"inbox:{officer.pk}"
    event = RoomEvent(room=room, seq=901, kind="noted", payload={"å": [1, "ö"]})
    insert(event)
    second = RoomEvent(room=room, seq=902, kind="noted", payload={})
    insert(second)
    assert second.pk == event.pk + 1
    assert RoomEvent.objects.get(pk=event.pk).payload == {"å": [1, "ö"]}


def test_rows_inserted_together_are_the_rows_inserted_one_by_one(org: Org, case: Case) -> None:
    officer = org.user("officer")
    message = Message(room=f"case:{case.id}", case=case, sender=officer)
    version = MessageVersion(
        message=message, number=1, ciphertext=keys.seal(message, 1, "Hej"), author=officer
    )
    with CaptureQueriesContext(connection) as queries:
        insert_together(message, version)
    # PostgreSQL: one statement for both; elsewhere one each.
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert version.pk is not None
    assert _fields(Message.objects.get(pk=message.pk)) == _fields(message)
    stored = MessageVersion.objects.get(pk=version.pk)
    assert stored.message_id == message.pk
    assert keys.KeyRing().open(message, 1, stored.ciphertext) == "Hej"
    assert (message._state.adding, version._state.adding) == (False, False)
    # Only the last row may take its key from the database.
    with pytest.raises(ValueError, match="last row"):
        insert_together(RoomEvent(room="inbox:1", seq=1, kind="noted"), message)


def test_a_numbered_insert_takes_the_rooms_next_number(org: Org) -> None:
    room = f"test:{uuid.uuid4()}"
    first = RoomEvent(room=room, kind="noted", payload={})
    insert_numbered(first, "seq", publish._next_seq_sql(), [room])
    second = RoomEvent(room=room, kind="noted", payload={"n": 2})
    with CaptureQueriesContext(connection) as queries:
        insert_numbered(second, "seq", publish._next_seq_sql(), [room])
    # PostgreSQL: the number and the row in one statement; elsewhere one after the other.
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert (first.seq, second.seq) == (1, 2)
    assert RoomSequence.objects.get(room=room).last == 2
    assert list(RoomEvent.objects.filter(room=room).order_by("seq").values_list("pk", "seq")) == [
        (first.pk, 1),
        (second.pk, 2),
    ]


def test_no_model_signals_are_connected_to_what_is_inserted_without_them() -> None:
    # insert() sends no pre_save or post_save: a receiver added later would be skipped.
    for model in (Message, MessageVersion, RoomEvent):
        for signal in (signals.pre_save, signals.post_save):
            assert not signal.has_listeners(model), (model, signal)

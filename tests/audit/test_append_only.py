"""On PostgreSQL the database itself refuses changes to the trail, for every session, and
the application's role gets INSERT and SELECT only (docs/audit.md)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from audit.database import grant_statements
from audit.models import AuditEvent, AuditHead, Checkpoint
from audit.services import checkpoint_create, record, record_atomic

REFUSED = "får bara utökas"


@pytest.fixture
def trail(db: None) -> None:
    for n in range(3):
        record_atomic(actor=None, action="test.entry", detail={"n": n})
    checkpoint_create()


def refused(sql: str) -> str:
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    return str(caught.value)


@pytest.mark.parametrize("table", ["audit_auditevent", "audit_checkpoint"])
def test_update_delete_and_truncate_are_refused_by_the_database(trail: None, table: str) -> None:
    assert connection.vendor == "postgresql"
    before = list(AuditEvent.objects.values_list("seq", "action", "hash"))
    checkpoints = list(Checkpoint.objects.values_list("tree_size", "root_hash", "signature"))
    for sql in (
        f"UPDATE {table} SET id = id",
        f"UPDATE {table} SET id = id WHERE false",  # even a statement that changes nothing
        f"DELETE FROM {table}",
        f"DELETE FROM {table} WHERE id = (SELECT max(id) FROM {table})",
        f"TRUNCATE {table} CASCADE",
    ):
        message = refused(sql)
        assert REFUSED in message, (sql, message)
    assert list(AuditEvent.objects.values_list("seq", "action", "hash")) == before
    assert (
        list(Checkpoint.objects.values_list("tree_size", "root_hash", "signature")) == checkpoints
    )


def test_the_orm_cannot_change_or_delete_entries(trail: None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=3).delete()
    event = AuditEvent.objects.get(seq=1)
    event.action = "changed"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.entry"] * 3


def test_deleting_a_user_leaves_their_entries_untouched(db: None) -> None:
    user = get_user_model().objects.create_user("leaver", password="x" * 16)
    user_id = user.pk
    record_atomic(actor=user, action="test.entry")
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_user_id) == ("leaver", user_id)


def test_only_a_replication_session_of_a_superuser_passes_the_triggers(trail: None) -> None:
    # What the test harness does to empty the tables between tests (tests/audit/harness.py).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("TRUNCATE audit_checkpoint")
        cursor.execute("SELECT count(*) FROM audit_checkpoint")
        assert cursor.fetchone() == (0,)
        transaction.set_rollback(True)
    assert Checkpoint.objects.count() == 1


def test_the_chained_checkpoints_migration_passes_the_triggers_and_changes_no_row(
    trail: None,
) -> None:
    # Migration 0004 adds a column to a table whose triggers refuse every UPDATE: on a
    # table that holds checkpoints it must go through and leave them as they were, as /1
    # checkpoints with an empty previous_hash; rows inserted without the column get it.
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0003_append_only_triggers")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_checkpoint (tree_size, previous_size, root_hash, head_hash, at,"
            " key_id, signature) VALUES (99, 3, 'r', 'h', now(), 'k', 's')"
        )
        cursor.execute("SELECT tree_size, signature FROM audit_checkpoint ORDER BY tree_size")
        before = cursor.fetchall()
    executor.loader.build_graph()
    executor.migrate([("audit", "0004_chained_checkpoints")])
    rows = Checkpoint.objects.order_by("tree_size").values_list("tree_size", "signature")
    assert list(rows) == before and len(before) == 2
    assert set(Checkpoint.objects.values_list("previous_hash", flat=True)) == {""}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_checkpoint (tree_size, previous_size, root_hash, head_hash, at,"
            " key_id, signature) VALUES (100, 99, 'r', 'h', now(), 'k', 's')"
        )
    assert Checkpoint.objects.get(tree_size=100).previous_hash == ""
    assert REFUSED in refused("UPDATE audit_checkpoint SET previous_hash = 'x'")


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[str]:
    """A login role set up as docs/audit.md says, on the test database."""
    role = f"samverka_app_{secrets.token_hex(4)}"
    out = io.StringIO()
    call_command("audit_grants", role=role, stdout=out)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN")
        for statement in out.getvalue().splitlines():
            cursor.execute(statement)
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def _connect_as(role: str) -> psycopg.Connection[tuple[object, ...]]:
    params = connection.get_connection_params()
    return psycopg.connect(
        host=params.get("host"),
        port=params.get("port"),
        dbname=params["dbname"],
        user=role,
        autocommit=True,
    )


def test_the_application_role_may_only_append_to_and_read_the_trail(app_role: str) -> None:
    for n in range(2):
        record_atomic(actor=None, action="test.entry", detail={"n": n})
    checkpoint_create()
    with _connect_as(app_role) as conn:
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (2,)
        conn.execute(
            "INSERT INTO audit_checkpoint (tree_size, previous_size, root_hash, head_hash, at,"
            " key_id, signature) VALUES (99, 2, 'r', 'h', now(), 'k', 's')"
        )
        conn.execute(
            "INSERT INTO audit_auditevent (seq, at, actor, actor_agency, actor_unit, action,"
            " case_ref, legal_basis, recipients, fields, request_id, detail, prev_hash, hash)"
            " VALUES (3, now(), '', '', '', 'a', '', '', '[]', '[]', '', '{}', 'p', 'h3')"
        )
        # The head row, like every ordinary table, may still be updated.
        conn.execute("UPDATE audit_audithead SET seq = seq")
        for sql in (
            "UPDATE audit_auditevent SET action = 'x'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
            "UPDATE audit_checkpoint SET signature = 'x'",
            "DELETE FROM audit_checkpoint",
            "TRUNCATE audit_checkpoint",
            "SET session_replication_role = replica",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    assert AuditEvent.objects.count() == 3


def test_the_application_role_can_record_entries_and_sign_checkpoints(app_role: str) -> None:
    # record() takes the head's lock and writes the entry and the head in one statement;
    # as the application's role (INSERT and SELECT only on the trail) that must still work,
    # and the database must still refuse that role any change to what was written.
    with override_settings(SAMVERKA={"AUDIT_CHECKPOINT_EVERY": 2, "AUDIT_CHECKPOINT_SECONDS": 0}):
        for n in range(3):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL ROLE {app_role}")
                record(actor=None, action="test.entry", detail={"n": n})
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE seq = 1")
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.detail["n"] for e in events] == [0, 1, 2]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [2]
    head = AuditHead.objects.get()
    assert (head.seq, head.hash, head.checkpoint_size) == (3, events[2].hash, 2)


def test_the_grant_command_refuses_odd_role_names() -> None:
    with pytest.raises(ValueError):
        grant_statements("app; DROP TABLE x")

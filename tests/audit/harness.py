"""Lets the test suite empty the append-only audit tables between transactional tests.

pytest-django's transactional tests (and live-server browser tests) end with Django's
flush, a TRUNCATE of every table, which the audit trail's triggers refuse. The flush
runs here with ``session_replication_role = replica``, under which ordinary triggers do
not fire; only a superuser may set it (the test server's ``postgres`` role is one, the
application's role in production never is). Every other statement of the suite runs
with the triggers in force.

Registered for the whole suite through ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _reseed_catalogue() -> None:
    """Put back the rows that data migrations seed (the flush empties them too)."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("consent.migrations.0002_seed_legal_bases").seed
    seed(apps, None)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_audit_triggers() -> Iterator[None]:
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: Any) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
        _reseed_catalogue()

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign,assignment]
    yield
    DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]

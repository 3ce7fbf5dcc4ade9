"""A module-wide organisation for the consent tests, to import into a test module:

    from tests.consent.module_org import _module_org, org  # noqa: F401 (fixtures)

The organisation is built once per module, inside a transaction rolled back when the
module ends; each test's own changes sit in pytest-django's per-test savepoint and are
rolled back after it. Each test gets fresh instances of the people and units, so nothing
a test does to an object in memory reaches the next test. Building the organisation is
most of a test's time, so this keeps the consent tests fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from coordination.models import Unit
from tests.fixtures import Org, build_org


@pytest.fixture(scope="module")
def _module_org(django_db_setup: None, django_db_blocker: Any) -> Iterator[Org]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_org()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def org(_module_org: Org, db: None) -> Org:
    """The module's organisation, read afresh from the database for this test."""
    users = get_user_model().objects.in_bulk([u.pk for u in _module_org.people.values()])
    units = Unit.objects.select_related("agency").in_bulk(
        [u.pk for u in _module_org.units.values()]
    )
    return Org(
        units={k: units[u.pk] for k, u in _module_org.units.items()},
        people={k: users[u.pk] for k, u in _module_org.people.items()},
    )

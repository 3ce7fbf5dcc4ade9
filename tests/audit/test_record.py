import threading
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from audit.chain import GENESIS_HASH, entry_hash
from audit.models import AuditEvent
from audit.services import AuditOutsideTransaction, entry_dict, record, record_atomic


def _assert_one_chain() -> None:
    events = list(AuditEvent.objects.order_by("seq"))
    prev = GENESIS_HASH
    for position, event in enumerate(events, start=1):
        assert event.seq == position
        assert event.prev_hash == prev
        assert event.hash == entry_hash(entry_dict(event))
        prev = event.hash


@pytest.mark.django_db
def test_entries_form_one_chain() -> None:
    for n in range(5):
        record_atomic(actor=None, action="test.entry", detail={"n": n})
    _assert_one_chain()
    assert AuditEvent.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_fails() -> None:
    with pytest.raises(AuditOutsideTransaction):
        record(actor=None, action="outside")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_entry() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=None, action="doomed")
        raise RuntimeError
    record_atomic(actor=None, action="kept")
    assert list(AuditEvent.objects.values_list("action", "seq")) == [("kept", 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_postgresql() -> None:
    assert connection.vendor == "postgresql"
    writers, per_writer = 8, 25
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                record_atomic(actor=None, action="concurrent", detail={"writer": n, "i": i})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == writers * per_writer
    _assert_one_chain()
    interleaved = list(AuditEvent.objects.order_by("seq").values_list("detail__writer", flat=True))
    assert len(set(interleaved[:per_writer])) > 1, "writers did not actually overlap"


@pytest.mark.django_db
def test_the_returned_entry_is_the_row_stored(org: Any, case: Any) -> None:
    officer = org.user("officer")
    event = record_atomic(
        actor=officer,
        action="case.viewed",
        case=case,
        legal_basis="owning_unit",
        recipients=["Region Östergötland", "Motala kommun"],
        fields=["personnummer", "name"],
        detail={"text": "åäö ✓", "nested": {"k": [1, 2.5]}, "flagged": False},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert not event._state.adding
    assert entry_dict(stored) == entry_dict(event)
    assert stored.actor_user_id == officer.pk and stored.case_id == case.pk
    assert stored.recipients == ["Motala kommun", "Region Östergötland"]
    assert stored.hash == entry_hash(entry_dict(stored))


@pytest.mark.django_db
def test_an_entry_names_the_agency_and_unit_the_actor_acts_for(org: Any) -> None:
    from coordination import services
    from coordination.models import Role

    officer = org.user("officer")  # a case officer in Barn och unga, Motala socialkontor
    # A membership added later does not change whom the person acts for by default.
    services.membership_grant(
        actor=None, user=officer, unit=org.units["region"], role=Role.FORUM_MEMBER
    )
    default = record_atomic(actor=officer, action="test.entry")
    assert (default.actor_agency, default.actor_unit) == ("Motala socialkontor", "Barn och unga")
    stored = AuditEvent.objects.get(pk=default.pk)
    assert (stored.actor_agency, stored.actor_unit) == ("Motala socialkontor", "Barn och unga")

    named = record_atomic(actor=officer, action="test.entry", unit=org.units["region"])
    assert (named.actor_agency, named.actor_unit) == ("Region Östergötland", "Primärvård")

    nobody = record_atomic(actor=None, action="test.entry")
    outsider = record_atomic(actor=_no_memberships(), action="test.entry")
    for entry in (nobody, outsider):
        assert (entry.actor_agency, entry.actor_unit) == ("", "")


@pytest.mark.django_db
def test_on_postgresql_the_actor_is_read_with_the_locked_head(org: Any) -> None:
    from django.test.utils import CaptureQueriesContext

    officer = org.user("officer")
    record_atomic(actor=None, action="test.entry")  # the head row exists from here on
    with CaptureQueriesContext(connection) as queries:
        entry = record_atomic(actor=officer, action="test.entry")
    assert (entry.actor_agency, entry.actor_unit) == ("Motala socialkontor", "Barn och unga")
    reads = [q["sql"] for q in queries.captured_queries if "coordination_membership" in q["sql"]]
    assert len(reads) == 1
    # One round trip: the head's lock and the actor's names (PostgreSQL); SQLite, which
    # takes its lock with the transaction, reads the names on their own.
    assert ("audit_audithead" in reads[0]) == (connection.vendor == "postgresql")


def _no_memberships() -> Any:
    from tests.fixtures import make_user

    return make_user("utan_enhet")

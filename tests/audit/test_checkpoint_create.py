"""Signed checkpoints: made by ``record`` every N entries or T seconds, or on demand."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import io
import threading
from itertools import pairwise
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test import override_settings
from django.utils import timezone

from audit import merkle, signing
from audit.chain import GENESIS_HASH, checkpoint_digest, checkpoint_message, key_id, leaf_bytes
from audit.models import AuditEvent, AuditHead, Checkpoint
from audit.services import checkpoint_create, record_atomic
from audit.services.trail import checkpoint_dict
from audit.verify import verify_export
from tests.audit.exports import export_now, legacy_checkpoint


def every(n: int, seconds: int = 0) -> Any:
    return override_settings(
        SAMVERKA={"AUDIT_CHECKPOINT_EVERY": n, "AUDIT_CHECKPOINT_SECONDS": seconds}
    )


def write(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        record_atomic(actor=None, action="test.entry", detail={"n": n})


def server_public_key() -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(signing.public_key_pem().encode())
    assert isinstance(key, Ed25519PublicKey)
    return key


def assert_genuine(cp: Checkpoint) -> None:
    hashes = list(
        AuditEvent.objects.filter(seq__lte=cp.tree_size)
        .order_by("seq")
        .values_list("hash", flat=True)
    )
    assert len(hashes) == cp.tree_size
    assert cp.root_hash == merkle.tree_root([merkle.leaf_hash(leaf_bytes(h)) for h in hashes]).hex()
    assert cp.head_hash == hashes[-1]
    assert cp.key_id == signing.current_key_id()
    message = checkpoint_message(
        cp.tree_size,
        cp.previous_size,
        cp.root_hash,
        cp.head_hash,
        cp.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        cp.previous_hash,
    )
    assert message.startswith(b"samverka-audit-checkpoint/2\n")
    server_public_key().verify(base64.b64decode(cp.signature), message)  # raises if forged


@pytest.mark.django_db
def test_a_checkpoint_is_signed_every_n_entries() -> None:
    with every(5):
        write(12)
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    assert [(c.previous_size, c.tree_size) for c in checkpoints] == [(0, 5), (5, 10)]
    for cp in checkpoints:
        assert_genuine(cp)
    head = AuditHead.objects.get()
    assert (head.seq, head.checkpoint_size) == (12, 10)


def digest(cp: Checkpoint) -> str:
    return checkpoint_digest(checkpoint_dict(cp))


@pytest.mark.django_db
def test_each_checkpoint_signs_the_digest_of_the_one_before() -> None:
    with every(5):
        write(13)
        made = checkpoint_create()  # the timer's way signs and chains the same
        write(5, start=13)
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    assert [c.tree_size for c in checkpoints] == [5, 10, 13, 18]
    assert made is not None and made.pk == checkpoints[2].pk
    assert checkpoints[0].previous_hash == GENESIS_HASH
    for before, after in pairwise(checkpoints):
        assert after.previous_hash == digest(before)
    for cp in checkpoints:
        assert_genuine(cp)  # over the /2 message, previous_hash included
        assert checkpoint_dict(cp)["previous_hash"] == cp.previous_hash
    # The head keeps the newest digest, so the next checkpoint is signed without a read.
    assert AuditHead.objects.get().checkpoint_hash == digest(checkpoints[-1])


@pytest.mark.django_db
def test_the_first_chained_checkpoint_after_legacy_ones_links_to_the_newest_of_them() -> None:
    # A server upgraded with /1 checkpoints in its trail, the head without a digest.
    with every(0):
        write(4)
        legacy_checkpoint()
        write(3, start=4)
        newest_legacy = legacy_checkpoint()
    assert AuditHead.objects.get().checkpoint_hash == ""
    assert checkpoint_dict(newest_legacy)["previous_hash"] == ""
    with every(5):
        write(5, start=7)
    first = Checkpoint.objects.get(tree_size=12)
    assert (first.previous_size, first.previous_hash) == (7, digest(newest_legacy))
    assert_genuine(first)
    assert AuditHead.objects.get().checkpoint_hash == digest(first)
    # The export verifies: the legacy checkpoint followed by another /1 one by its own
    # signature, everything after that through the chain from the newest signature.
    report = verify_export(export_now())
    assert report.ok, report.message
    assert (report.checkpoints, report.signatures_checked) == (4, 2)


@pytest.mark.django_db
def test_a_checkpoint_is_signed_when_entries_wait_and_the_last_one_is_t_seconds_old(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = timezone.now()
    clock = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    with every(0, seconds=300):
        write(1)
        clock["now"] = start + dt.timedelta(seconds=299)
        write(1, start=1)
        assert not Checkpoint.objects.exists()
        clock["now"] = start + dt.timedelta(seconds=301)
        write(1, start=2)
        assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [3]
        # The clock starts again at the checkpoint.
        clock["now"] = start + dt.timedelta(seconds=500)
        write(1, start=3)
        assert Checkpoint.objects.count() == 1
        clock["now"] = start + dt.timedelta(seconds=602)
        write(1, start=4)
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [3, 5]


@pytest.mark.django_db
def test_checkpoint_create_signs_the_unsigned_tail_once() -> None:
    assert checkpoint_create() is None  # nothing to sign in an empty trail
    with every(0):
        write(3)
        first = checkpoint_create()
        again = checkpoint_create()
    assert first is not None and again is not None
    assert first.pk == again.pk and first.tree_size == 3
    assert_genuine(first)


@pytest.mark.django_db
def test_the_timer_command_signs_the_tail() -> None:
    with every(0):
        write(4)
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "4 poster" in out.getvalue()
    assert Checkpoint.objects.get().tree_size == 4


@pytest.mark.django_db
def test_a_head_without_a_fitting_frontier_is_rebuilt_from_the_entries() -> None:
    with every(0):
        write(6)
        AuditHead.objects.update(frontier=[])  # as written before checkpoints existed
        write(1, start=6)
        cp = checkpoint_create()
    assert cp is not None and cp.tree_size == 7
    assert_genuine(cp)


@pytest.mark.django_db
def test_the_migration_fills_the_frontier_of_an_existing_trail() -> None:
    with every(0):
        write(11)
    expected = AuditHead.objects.get().frontier
    AuditHead.objects.update(frontier=[])
    migration = importlib.import_module("audit.migrations.0002_checkpoints_reviews")
    migration.fill_frontier(django_apps, None)
    assert AuditHead.objects.get().frontier == expected
    assert len(expected) == (11).bit_count()


@pytest.mark.django_db
def test_the_key_comes_from_the_environment_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    monkeypatch.setenv("SAMVERKA_AUDIT_SIGNING_KEY", pem)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert signing.current_key_id() == key_id(raw)
    with every(2):
        write(2)
    assert Checkpoint.objects.get().key_id == key_id(raw)
    out = io.StringIO()
    call_command("audit_public_key", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == signing.public_key_pem().strip()
    assert "BEGIN PUBLIC KEY" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_and_verifiable_checkpoints() -> None:
    assert connection.vendor == "postgresql"
    writers, per_writer = 4, 30
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                record_atomic(actor=None, action="concurrent", detail={"w": n, "i": i})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    with every(7):  # settings are process-wide: set once, around all writers
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    sizes = list(Checkpoint.objects.values_list("tree_size", flat=True))
    assert sizes == [7 * k for k in range(1, writers * per_writer // 7 + 1)]
    report = verify_export(export_now())
    assert report.ok, report.message
    assert report.entries == writers * per_writer + 1  # and the export's own entry

"""Chained checkpoints (format /2): each signs the digest of the one before, so the newest
signature covers the whole series and an export is verified with one signature check.

Two trails are exported once for the module: one signed in format /2 throughout, and one
upgraded halfway, where /1 checkpoints written before the upgrade are followed by /2
ones. Each test changes a copy and expects the verifier to name the first broken
checkpoint in series order. A checkpoint standing alone (in a proof, or saved from an
earlier verification) is checked with its own signature, whatever its format.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from audit import verify as verifier
from audit.chain import (
    EXPORT_FORMAT,
    GENESIS_HASH,
    PROOF_FORMAT,
    PROOF_FORMAT_V1,
    checkpoint_digest,
    checkpoint_signed_message,
)
from audit.models import AuditEvent, Checkpoint
from audit.services import record_atomic
from audit.services.export import consistency_proof, inclusion_proof
from audit.verify import Report, verify_export, verify_proof
from tests.audit.exports import (
    as_file,
    as_v1_export,
    clone,
    export_now,
    legacy_checkpoint,
    mutate,
    new_key,
    public_document,
    sign_checkpoint,
    sign_series,
    verify_file,
)

EVERY = 5
LEGACY = 3  # /1 checkpoints in the upgraded trail, before its /2 ones

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Trail:
    export: dict[str, Any]
    inclusion: dict[str, Any]  # a proof of entry EVERY + 2 under the newest checkpoint
    consistency: dict[str, Any]  # from the first checkpoint to the newest


def _write(count: int, start: int) -> None:
    for n in range(start, start + count):
        record_atomic(actor=None, action="test.entry", detail={"n": n})


def _trail(django_db_blocker: Any, legacy: int) -> Trail:
    """``legacy`` /1 checkpoints every EVERY entries, then four /2 ones, then the export."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(SAMVERKA={"AUDIT_CHECKPOINT_EVERY": 0}):
            for n in range(legacy):
                _write(EVERY, start=n * EVERY)
                legacy_checkpoint()
        with override_settings(
            SAMVERKA={"AUDIT_CHECKPOINT_EVERY": EVERY, "AUDIT_CHECKPOINT_SECONDS": 0}
        ):
            _write(4 * EVERY, start=legacy * EVERY)
        export = export_now()
        first = Checkpoint.objects.order_by("tree_size").first()
        newest = Checkpoint.objects.order_by("tree_size").last()
        assert first is not None and newest is not None
        trail = Trail(
            export=export,
            inclusion=inclusion_proof(AuditEvent.objects.get(seq=EVERY + 2)),
            consistency=consistency_proof(first, newest),
        )
        transaction.set_rollback(True)
    return trail


@pytest.fixture(scope="module")
def chained(django_db_setup: None, django_db_blocker: Any) -> Iterator[Trail]:
    yield _trail(django_db_blocker, legacy=0)


@pytest.fixture(scope="module")
def upgraded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Trail]:
    yield _trail(django_db_blocker, legacy=LEGACY)


def check(data: dict[str, Any], **kwargs: Any) -> Report:
    """The verdict on ``data`` written as a file; the same as on the parsed document."""
    from_file = verify_file(as_file(data), **kwargs)
    from_fields = verify_export(clone(data), **kwargs)
    assert (from_file.ok, from_file.message) == (from_fields.ok, from_fields.message)
    return from_file


def refused(data: dict[str, Any], **kwargs: Any) -> str:
    report = check(data, **kwargs)
    assert not report.ok, "a changed checkpoint passed verification"
    return report.message


def label(data: dict[str, Any], index: int) -> str:
    """How the verifier names checkpoint ``index`` (0-based) of ``data``."""
    return f"ontrollpunkt {index + 1} (poster 1–{data['checkpoints'][index]['tree_size']})"


# -- the chain ------------------------------------------------------------------------------


def test_each_exported_checkpoint_signs_the_digest_of_the_one_before(chained: Trail) -> None:
    data = chained.export
    assert data["format"] == EXPORT_FORMAT == "samverka-audit-export/2"
    checkpoints = data["checkpoints"]
    assert len(checkpoints) == 5
    assert checkpoints[0]["previous_hash"] == GENESIS_HASH
    for before, after in pairwise(checkpoints):
        assert after["previous_hash"] == checkpoint_digest(before)
    message = checkpoint_signed_message(checkpoints[2])
    assert message.split(b"\n")[:4] == [
        b"samverka-audit-checkpoint/2",
        str(checkpoints[2]["tree_size"]).encode(),
        str(checkpoints[2]["previous_size"]).encode(),
        checkpoints[2]["previous_hash"].encode(),
    ]


def test_a_chained_export_is_verified_with_the_newest_signature_alone(
    chained: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[int] = []
    holds = verifier._signature_holds

    def counting(cp: dict[str, Any], key: Any) -> bool:
        checked.append(cp["tree_size"])
        return holds(cp, key)

    monkeypatch.setattr(verifier, "_signature_holds", counting)
    report = verify_export(clone(chained.export))
    assert report.ok, report.message
    assert checked == [chained.export["tree_size"]]
    assert report.signatures_checked == 1
    assert report.as_dict()["signatures_checked"] == 1
    assert report.lines[2] == (
        "  Kontrollpunkter:   5, kedjade: den senastes signatur (Ed25519) täcker alla genom kedjan"
    )


@pytest.mark.parametrize(
    "field", ["at", "root_hash", "head_hash", "previous_size", "previous_hash"]
)
@pytest.mark.parametrize("index", [0, 1, 3])
def test_a_changed_field_of_an_older_checkpoint_is_caught_through_the_link(
    chained: Trail, field: str, index: int
) -> None:
    data = clone(chained.export)
    cp = data["checkpoints"][index]
    cp[field] = mutate(cp[field])
    message = refused(data)
    # Checkpoint index + 2 is intact (the newest signature covers it), so its
    # previous_hash shows that it is this one that was changed.
    assert message.startswith(f"K{label(data, index)} är ändrad: "), message
    assert f"som kontrollpunkt {index + 2} anger för den (previous_hash)" in message
    assert f"kontrollpunkt {index + 2} är oförändrad" in message


def test_the_link_names_the_signature_that_vouches_for_the_next_checkpoint(
    chained: Trail,
) -> None:
    data = clone(chained.export)
    data["checkpoints"][3]["root_hash"] = mutate(data["checkpoints"][3]["root_hash"])
    assert "(dess signatur stämmer)" in refused(data)  # the next one is the newest
    data = clone(chained.export)
    data["checkpoints"][0]["root_hash"] = mutate(data["checkpoints"][0]["root_hash"])
    assert "signaturen på kontrollpunkt 5 täcker den genom kedjan" in refused(data)


@pytest.mark.parametrize("field", ["signature", "root_hash", "previous_hash", "at"])
def test_a_change_to_the_newest_checkpoint_is_caught_by_its_signature(
    chained: Trail, field: str
) -> None:
    data = clone(chained.export)
    newest = data["checkpoints"][-1]
    newest[field] = mutate(newest[field])
    message = refused(data)
    assert message.startswith(f"Signaturen på k{label(data, 4)} stämmer inte"), message


def test_an_older_checkpoints_own_signature_is_not_re_checked_in_a_chained_export(
    chained: Trail,
) -> None:
    # Documented (docs/audit.md): in a chained series the newest signature covers every
    # older checkpoint's content, so the export's verification does not rest on an older
    # checkpoint's own signature bytes, and a change to those alone changes nothing
    # verified ...
    data = clone(chained.export)
    older = data["checkpoints"][1]
    older["signature"] = base64.b64encode(bytes(64)).decode()
    assert check(data).ok
    sign_checkpoint(data["checkpoints"][2], new_key(), claim_key_id=older["key_id"])
    assert check(data).ok
    # ... while the same checkpoint standing alone is checked with its own signature.
    message = refused(clone(chained.export), known_checkpoints=[older])
    assert message.startswith("Signaturen på sparad kontrollpunkt 1 (poster 1–10) stämmer inte")


def test_a_checkpoint_left_out_is_named_as_missing_not_the_one_before_as_changed(
    chained: Trail,
) -> None:
    data = clone(chained.export)
    del data["checkpoints"][2]
    message = refused(data)
    assert message.startswith("Kontrollpunkt 3 bygger på kontrollpunkten över 15 poster"), message
    assert "saknas" in message


def test_the_first_checkpoint_of_an_export_links_to_none_before_it(chained: Trail) -> None:
    # Even signed as such (by a forger holding a key): a first checkpoint that names a
    # checkpoint before it means that one was left out.
    key = new_key()
    data = clone(chained.export)
    data["public_key"] = public_document(key)
    sign_series(data["checkpoints"], key, first="ab" * 32)
    message = refused(data)
    assert message.startswith(f"K{label(data, 0)} bygger på en kontrollpunkt före den"), message
    data = clone(chained.export)
    data["public_key"] = public_document(key)
    sign_series(data["checkpoints"], key)
    assert check(data).ok


# -- a trail upgraded from /1 ---------------------------------------------------------------


def test_an_upgraded_trail_verifies_its_legacy_checkpoints_and_then_the_chain(
    upgraded: Trail,
) -> None:
    checkpoints = upgraded.export["checkpoints"]
    assert [c["previous_hash"] != "" for c in checkpoints] == [False] * LEGACY + [True] * 5
    # The first /2 checkpoint links to the newest /1 one.
    assert checkpoints[LEGACY]["previous_hash"] == checkpoint_digest(checkpoints[LEGACY - 1])
    report = check(clone(upgraded.export))
    assert report.ok, report.message
    # The /1 checkpoints followed by another /1 one are checked by their own signature;
    # the newest /1 one and the /2 ones are covered by the newest signature.
    assert report.signatures_checked == LEGACY
    assert report.lines[2] == (
        "  Kontrollpunkter:   8: 3 med kontrollerad signatur (Ed25519), övriga 5 täckta "
        "genom kedjan av en senare kontrollpunkts signatur"
    )


@pytest.mark.parametrize("field", ["signature", "root_hash", "at"])
def test_a_changed_legacy_checkpoint_in_the_middle_is_caught_by_its_own_signature(
    upgraded: Trail, field: str
) -> None:
    data = clone(upgraded.export)
    cp = data["checkpoints"][1]
    cp[field] = mutate(cp[field])
    message = refused(data)
    assert message.startswith(f"Signaturen på k{label(data, 1)} stämmer inte"), message


def test_the_newest_legacy_checkpoint_is_caught_through_the_first_link(upgraded: Trail) -> None:
    data = clone(upgraded.export)
    cp = data["checkpoints"][LEGACY - 1]
    cp["root_hash"] = mutate(cp["root_hash"])
    message = refused(data)
    assert message.startswith(f"K{label(data, LEGACY - 1)} är ändrad"), message
    assert f"som kontrollpunkt {LEGACY + 1} anger för den (previous_hash)" in message


def test_a_checkpoint_passed_off_as_the_other_format_is_caught(upgraded: Trail) -> None:
    # A /1 checkpoint given a previous_hash, or a /2 one stripped of it, has another
    # signed message than the one signed.
    data = clone(upgraded.export)
    checkpoints = data["checkpoints"]
    checkpoints[1]["previous_hash"] = checkpoint_digest(checkpoints[0])
    assert refused(data).startswith(f"Signaturen på k{label(data, 1)} stämmer inte")
    data = clone(upgraded.export)
    data["checkpoints"][LEGACY + 1]["previous_hash"] = ""
    assert refused(data).startswith(f"K{label(data, LEGACY + 1)} är ändrad")


# -- exports written before the chaining ----------------------------------------------------


def test_a_v1_export_still_verifies_with_every_signature_checked(chained: Trail) -> None:
    old = as_v1_export(chained.export, new_key())
    assert old["format"] == "samverka-audit-export/1"
    assert all("previous_hash" not in c for c in old["checkpoints"])
    report = check(old)
    assert report.ok, report.message
    assert report.signatures_checked == len(old["checkpoints"]) == 5
    assert (
        report.lines[2] == "  Kontrollpunkter:   5, var och en med kontrollerad signatur (Ed25519)"
    )
    # Nothing is chained there: an older checkpoint's signature is what vouches for it.
    data = clone(old)
    data["checkpoints"][1]["signature"] = mutate(data["checkpoints"][1]["signature"])
    assert refused(data).startswith(f"Signaturen på k{label(data, 1)} stämmer inte")


def test_each_export_format_holds_checkpoints_of_its_own_fields(chained: Trail) -> None:
    old = as_v1_export(chained.export, new_key())
    old["checkpoints"][1]["previous_hash"] = ""
    assert refused(old) == "Kontrollpunkt 2 har fel fält."
    data = clone(chained.export)
    del data["checkpoints"][1]["previous_hash"]
    assert refused(data) == "Kontrollpunkt 2 har fel fält."
    data = clone(chained.export)
    data["checkpoints"][1]["previous_hash"] = "not a hash"
    assert "ogiltig hash av kontrollpunkten före" in refused(data)
    data = clone(chained.export)
    data["format"] = "samverka-audit-export/3"
    assert refused(data).startswith("Filen är inte en export i formatet")


# -- checkpoints standing alone: proofs and saved checkpoints --------------------------------


def test_an_inclusion_proof_with_a_chained_checkpoint_is_checked_by_its_signature(
    chained: Trail,
) -> None:
    proof = chained.inclusion
    assert proof["format"] == PROOF_FORMAT == "samverka-audit-proof/2"
    assert proof["checkpoint"]["previous_hash"] != ""
    report = verify_proof(clone(proof))
    assert report.ok, report.message
    for field in ("previous_hash", "at", "root_hash", "head_hash"):
        changed = clone(proof)
        changed["checkpoint"][field] = mutate(changed["checkpoint"][field])
        report = verify_proof(changed)
        assert not report.ok, field
        assert report.message.startswith("Signaturen på kontrollpunkt (poster"), report.message
    changed = clone(proof)
    del changed["checkpoint"]["previous_hash"]
    assert verify_proof(changed).message == "Kontrollpunkt har fel fält."


@pytest.mark.parametrize("trail", ["chained", "upgraded"])
def test_a_consistency_proof_between_checkpoints_of_either_format_verifies(
    trail: str, request: pytest.FixtureRequest
) -> None:
    proof = request.getfixturevalue(trail).consistency
    # In the upgraded trail the older checkpoint is a /1 one: it is checked as one.
    assert (proof["old"]["previous_hash"] == "") is (trail == "upgraded")
    assert verify_proof(clone(proof)).ok
    for side, name in (("old", "den äldre"), ("new", "den nyare")):
        changed = clone(proof)
        linked = changed[side]["previous_hash"]
        changed[side]["previous_hash"] = mutate(linked) if linked else GENESIS_HASH
        report = verify_proof(changed)
        assert not report.ok
        assert report.message.startswith(f"Signaturen på {name} kontrollpunkten"), report.message


def test_a_v1_proof_still_verifies(chained: Trail) -> None:
    key = new_key()
    old = clone(chained.inclusion)
    old["format"] = PROOF_FORMAT_V1
    old["public_key"] = public_document(key)
    del old["checkpoint"]["previous_hash"]
    sign_checkpoint(old["checkpoint"], key)
    assert verify_proof(clone(old)).ok
    old["checkpoint"]["previous_hash"] = ""  # a /1 proof holds /1 checkpoints only
    assert verify_proof(old).message == "Kontrollpunkt har fel fält."


def test_saved_checkpoints_of_either_format_are_checked_by_their_own_signature(
    upgraded: Trail,
) -> None:
    checkpoints = upgraded.export["checkpoints"]
    newest = clone(checkpoints[-1])  # saved by this verifier (/2)
    # A /1 checkpoint as a verifier from before the chaining saved it: no previous_hash.
    legacy = {k: v for k, v in checkpoints[1].items() if k != "previous_hash"}
    report = check(clone(upgraded.export), known_checkpoints=[newest, legacy, checkpoints[4]])
    assert report.ok, report.message
    assert report.known_matched == 3
    for field in ("previous_hash", "at"):
        changed = clone(newest)
        changed[field] = mutate(changed[field])
        message = refused(clone(upgraded.export), known_checkpoints=[changed])
        assert message.startswith("Signaturen på sparad kontrollpunkt 1"), message

"""The hash chain's canonical form, shared by the server and the offline verifier.

Only the standard library is used here: ``audit.verify`` imports this module on an
auditor's machine that has nothing of Samverka installed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

# Format names of the files an auditor receives (see audit/services/export.py). /2 files
# hold /2 (chained) checkpoints; /1 files, written before, are still verified.
EXPORT_FORMAT = "samverka-audit-export/2"
PROOF_FORMAT = "samverka-audit-proof/2"
EXPORT_FORMAT_V1 = "samverka-audit-export/1"
PROOF_FORMAT_V1 = "samverka-audit-proof/1"

# The fields an entry's hash covers, in the order they are documented.
HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_agency",
    "actor_unit",
    "action",
    "case_id",
    "case_ref",
    "legal_basis",
    "recipients",
    "fields",
    "request_id",
    "detail",
    "prev_hash",
)


# json.dumps with these arguments builds a new encoder on every call; the output is the same.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(entry: dict[str, Any]) -> bytes:
    """UTF-8 JSON of the hashed fields with sorted keys and no insignificant space."""
    return _ENCODER.encode({name: entry[name] for name in HASHED_FIELDS}).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def export_line(entry: dict[str, Any]) -> str:
    """An entry with its hash as one line of an export: ``{"hash":"<hash>",`` and then the
    entry's canonical bytes after their opening brace.

    So the bytes the hash covers are in the file as they are: the verifier checks that the
    line starts with ``line_head(hash)``, hashes ``{`` and the rest of the line, and reads
    the entry's fields from the same line, without rebuilding the canonical form.
    """
    return line_head(entry["hash"]) + canonical(entry).decode()[1:]


def line_head(entry_hash_hex: str) -> str:
    """How an export line starts: the hash as the entry's first member."""
    return '{"hash":"' + entry_hash_hex + '",'


def leaf_bytes(entry_hash_hex: str) -> bytes:
    """What an entry contributes to the Merkle tree: its 32-byte chain hash.

    The chain hash already covers every field of the entry, so the tree commits to the
    entries exactly while the server never re-reads them to extend it.
    """
    return bytes.fromhex(entry_hash_hex)


# -- signed checkpoints ----------------------------------------------------------------

# /1: the checkpoints signed before they were chained; still read (exports, proofs and
# saved checkpoints written then), never written.
CHECKPOINT_FORMAT_V1 = "samverka-audit-checkpoint/1"
# /2: each checkpoint also signs ``previous_hash``, the SHA-256 of the signed message of
# the checkpoint before it, so the newest signature covers the whole series.
CHECKPOINT_FORMAT = "samverka-audit-checkpoint/2"

# The fields of a checkpoint as exported; ``signature`` covers all others but ``key_id``
# (a wrong key is caught by the signature itself).
# ``previous_size`` (the tree size of the checkpoint before, 0 for the first) chains the
# checkpoints, so one left out of an export is noticed. ``previous_hash`` is
# ``checkpoint_digest`` of the checkpoint before (GENESIS_HASH for the first); it is
# empty in a /1 checkpoint written before the field existed.
CHECKPOINT_FIELDS = (
    "tree_size",
    "previous_size",
    "previous_hash",
    "root_hash",
    "head_hash",
    "at",
    "key_id",
    "signature",
)
# A /1 checkpoint as /1 exports and proofs hold it: without ``previous_hash``.
CHECKPOINT_FIELDS_V1 = tuple(name for name in CHECKPOINT_FIELDS if name != "previous_hash")


def checkpoint_message(
    tree_size: int,
    previous_size: int,
    root_hash: str,
    head_hash: str,
    at: str,
    previous_hash: str = "",
) -> bytes:
    """The exact bytes an Ed25519 checkpoint signature covers, one value a line.

    With ``previous_hash`` the /2 message, which has it as the line after
    ``previous_size``; without it (a checkpoint signed before /2) the /1 message.
    """
    if previous_hash:
        return (
            f"{CHECKPOINT_FORMAT}\n{tree_size}\n{previous_size}\n{previous_hash}\n"
            f"{root_hash}\n{head_hash}\n{at}\n"
        ).encode()
    return (
        f"{CHECKPOINT_FORMAT_V1}\n{tree_size}\n{previous_size}\n{root_hash}\n{head_hash}\n{at}\n"
    ).encode()


def checkpoint_signed_message(checkpoint: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers, from the checkpoint as exported: the /2
    message when it has a non-empty ``previous_hash``, the /1 message otherwise."""
    return checkpoint_message(
        checkpoint["tree_size"],
        checkpoint["previous_size"],
        checkpoint["root_hash"],
        checkpoint["head_hash"],
        checkpoint["at"],
        checkpoint.get("previous_hash", ""),
    )


def checkpoint_digest(checkpoint: dict[str, Any]) -> str:
    """SHA-256 (hex) of the checkpoint's signed message: the next checkpoint's
    ``previous_hash``."""
    return hashlib.sha256(checkpoint_signed_message(checkpoint)).hexdigest()


def key_id(raw_public_key: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]

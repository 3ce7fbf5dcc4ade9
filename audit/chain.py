"""The hash chain's canonical form, shared by the server and the offline verifier.

Only the standard library is used here: ``audit.verify`` imports this module on an
auditor's machine that has nothing of Samverka installed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

# Format names of the files an auditor receives (see audit/services/export.py).
EXPORT_FORMAT = "samverka-audit-export/1"
PROOF_FORMAT = "samverka-audit-proof/1"

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

CHECKPOINT_FORMAT = "samverka-audit-checkpoint/1"

# The fields of a checkpoint as exported; ``signature`` covers all others but ``key_id``
# (a wrong key is caught by the signature itself).
# ``previous_size`` (the tree size of the checkpoint before, 0 for the first) chains the
# checkpoints, so one left out of an export is noticed.
CHECKPOINT_FIELDS = (
    "tree_size",
    "previous_size",
    "root_hash",
    "head_hash",
    "at",
    "key_id",
    "signature",
)


def checkpoint_message(
    tree_size: int, previous_size: int, root_hash: str, head_hash: str, at: str
) -> bytes:
    """The exact bytes an Ed25519 checkpoint signature covers, one value a line."""
    return (
        f"{CHECKPOINT_FORMAT}\n{tree_size}\n{previous_size}\n{root_hash}\n{head_hash}\n{at}\n"
    ).encode()


def key_id(raw_public_key: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]

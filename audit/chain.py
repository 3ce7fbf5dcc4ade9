"""The hash chain's canonical form, shared by the server and the offline verifier.

Only the standard library is used here: ``audit.verify`` imports this module on an
auditor's machine that has nothing of Samverka installed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

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


def canonical(entry: dict[str, Any]) -> bytes:
    """UTF-8 JSON of the hashed fields with sorted keys and no insignificant space."""
    body = {name: entry[name] for name in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()

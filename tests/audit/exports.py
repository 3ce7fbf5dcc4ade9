"""Helpers for tests of exports and proofs: a populated trail, exported and parsed."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.chain import checkpoint_message, entry_hash, key_id
from audit.services.export import export_write
from audit.services.trail import record_atomic


def populate(org: Any, case: Any, count: int) -> None:
    """``count`` varied entries: people and the system, with and without a case."""
    people = [org.user("officer"), org.user("lead"), None, org.user("nurse")]
    for n in range(count):
        actor = people[n % len(people)]
        record_atomic(
            actor=actor,
            action=["case.viewed", "test.änd", "disclosure.recorded"][n % 3],
            case=case if n % 2 else None,
            legal_basis="owning_unit" if n % 2 else "",
            recipients=["Region Östergötland"] if n % 3 == 2 else [],
            fields=["name", "personnummer"] if n % 5 == 0 else [],
            detail={"n": n, "text": "åäö ✓", "flagged": n % 7 == 0, "nested": {"k": [1, 2.5]}},
        )


def export_now() -> dict[str, Any]:
    buffer = io.StringIO()
    export_write(actor=None, out=buffer, via="test")
    data: dict[str, Any] = json.loads(buffer.getvalue())
    return data


def clone(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def mutate(value: Any) -> Any:
    """The value with one byte (character, digit, element) changed."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.0
    if isinstance(value, str):
        if not value:
            return "x"
        middle = len(value) // 2
        replacement = "0" if value[middle] != "0" else "1"
        return value[:middle] + replacement + value[middle + 1 :]
    if isinstance(value, list):
        return [mutate(value[0]), *value[1:]] if value else ["x"]
    if isinstance(value, dict):
        if not value:
            return {"x": 1}
        first = sorted(value)[0]
        return {**value, first: mutate(value[first])}
    raise TypeError(type(value))


def relink(entries: list[dict[str, Any]], start: int = 0) -> None:
    """Renumber and rehash entries from ``start`` on, as a forger covering tracks would."""
    for index in range(start, len(entries)):
        entry = entries[index]
        entry["seq"] = index + 1
        entry["prev_hash"] = entries[index - 1]["hash"] if index else "0" * 64
        entry["hash"] = entry_hash(entry)


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_document(key: Ed25519PrivateKey) -> dict[str, str]:
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return {"algorithm": "Ed25519", "key_id": key_id(raw), "pem": pem}


def sign_checkpoint(
    checkpoint: dict[str, Any], key: Ed25519PrivateKey, *, claim_key_id: str | None = None
) -> None:
    message = checkpoint_message(
        checkpoint["tree_size"],
        checkpoint["previous_size"],
        checkpoint["root_hash"],
        checkpoint["head_hash"],
        checkpoint["at"],
    )
    checkpoint["signature"] = base64.b64encode(key.sign(message)).decode()
    checkpoint["key_id"] = claim_key_id or public_document(key)["key_id"]

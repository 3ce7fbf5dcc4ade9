"""Helpers for tests of exports and proofs: a populated trail, exported and parsed."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.chain import checkpoint_message, entry_hash, export_line, key_id
from audit.services.export import export_write
from audit.services.trail import record_atomic
from audit.verify import ENTRY_KEYS, Broken, Report, read_document, verify_export


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


def export_text() -> str:
    """The export file exactly as ``manage.py audit_export`` writes it."""
    buffer = io.StringIO()
    export_write(actor=None, out=buffer, via="test")
    return buffer.getvalue()


def export_now() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(export_text())
    return data


def entry_lines(text: str) -> list[str]:
    """The entry lines of an export in the writer's layout (one entry a line)."""
    body = text[text.index('"entries":[\n') + len('"entries":[\n') : text.rindex("\n]}")]
    return [line.removesuffix(",") for line in body.split("\n")]


def _line(entry: Any) -> str:
    if isinstance(entry, dict) and set(entry) == ENTRY_KEYS and isinstance(entry["hash"], str):
        line = export_line(entry)
    else:  # not an entry the writer could write: as plain JSON
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert json.loads(line) == entry  # the file says exactly what the document says
    return line


def as_file(data: dict[str, Any]) -> bytes:
    """``data`` written as the export writer writes a file: one entry a line, each with its
    hash first and then its canonical bytes (for an entry with the documented fields)."""
    header = {key: value for key, value in data.items() if key != "entries"}
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    if "entries" not in data:
        return head.encode()
    entries = data["entries"]
    lines = ",\n".join(_line(e) for e in entries) if isinstance(entries, list) else None
    body = f"[\n{lines}\n]" if lines is not None else json.dumps(entries)
    opening = head[:-1] + "," if header else "{"
    return f'{opening}"entries":{body}}}\n'.encode()


def verify_file(raw: bytes, **kwargs: Any) -> Report:
    """Verify as ``python -m audit.verify`` does: from the file's bytes."""
    try:
        document = read_document(raw, "export.json")
    except Broken as broken:
        return Report(ok=False, message=broken.message, position=broken.position)
    return verify_export(document.data, entry_texts=document.entry_texts, **kwargs)


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

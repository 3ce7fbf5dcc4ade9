"""Helpers for tests of exports and proofs: a populated trail, exported and parsed."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from audit import merkle, signing
from audit.chain import (
    EXPORT_FORMAT_V1,
    GENESIS_HASH,
    checkpoint_digest,
    checkpoint_message,
    checkpoint_signed_message,
    entry_hash,
    export_line,
    key_id,
    leaf_bytes,
)
from audit.models import AuditEvent, AuditHead, Checkpoint
from audit.services.export import export_write
from audit.services.trail import format_time, record_atomic
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


def legacy_checkpoint() -> Checkpoint:
    """Sign the head as the server did before checkpoints were chained: a /1 checkpoint
    (the /1 message, no previous_hash), the head left without a checkpoint_hash."""
    head = AuditHead.objects.get()
    hashes = AuditEvent.objects.filter(seq__lte=head.seq).order_by("seq").values_list("hash")
    root = merkle.tree_root([merkle.leaf_hash(leaf_bytes(h)) for (h,) in hashes]).hex()
    at = timezone.now()
    message = checkpoint_message(head.seq, head.checkpoint_size, root, head.hash, format_time(at))
    assert message.startswith(b"samverka-audit-checkpoint/1\n")
    checkpoint = Checkpoint.objects.create(
        tree_size=head.seq,
        previous_size=head.checkpoint_size,
        root_hash=root,
        head_hash=head.hash,
        at=at,
        key_id=signing.current_key_id(),
        signature=signing.sign(message),
    )
    AuditHead.objects.filter(pk=head.pk).update(
        checkpoint_size=head.seq, checkpoint_at=at, checkpoint_hash=""
    )
    return checkpoint


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
    """(Re-)sign ``checkpoint`` with ``key``: its /2 message when it has a previous_hash,
    its /1 message otherwise."""
    message = checkpoint_signed_message(checkpoint)
    checkpoint["signature"] = base64.b64encode(key.sign(message)).decode()
    checkpoint["key_id"] = claim_key_id or public_document(key)["key_id"]


def sign_series(
    checkpoints: list[dict[str, Any]], key: Ed25519PrivateKey, *, first: str = GENESIS_HASH
) -> None:
    """Chain and sign every checkpoint again, as a forger holding ``key`` would: each /2
    checkpoint's previous_hash made the digest of the one before (``first`` for the
    first), then signed."""
    before = first
    for checkpoint in checkpoints:
        if checkpoint.get("previous_hash"):
            checkpoint["previous_hash"] = before
        sign_checkpoint(checkpoint, key)
        before = checkpoint_digest(checkpoint)


def as_v1_export(data: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``data`` as a /1 export, written before checkpoints were chained: no previous_hash,
    each checkpoint signed on its own (/1 message) with ``key``, whose public key it holds."""
    old = clone(data)
    old["format"] = EXPORT_FORMAT_V1
    old["public_key"] = public_document(key)
    for checkpoint in old["checkpoints"]:
        del checkpoint["previous_hash"]
        sign_checkpoint(checkpoint, key)
    return old

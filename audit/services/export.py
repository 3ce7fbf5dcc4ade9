"""What an auditor takes away: the full export, and proofs about single entries or checkpoints.

The export format (``samverka-audit-export/2``) is one JSON object::

    {"format": "samverka-audit-export/2",
     "exported_at": "<UTC time>",
     "tree_size": <entries in the export>,
     "public_key": {"algorithm": "Ed25519", "key_id": "<16 hex>", "pem": "<PEM>"},
     "checkpoints": [{"tree_size", "previous_size", "previous_hash", "root_hash",
                      "head_hash", "at", "key_id", "signature"}, ...],
     "entries": [<audit.services.entry_dict>, ...]}

A checkpoint's ``previous_hash`` is ``audit.chain.checkpoint_digest`` of the one before it
(64 zeros for the first), or empty in a checkpoint signed before checkpoints were chained;
/1 exports, written before, have no such field.

It is written one entry a line so that millions of entries never sit in memory at once.
Each line is ``audit.chain.export_line``: the entry's hash first, then its canonical bytes,
so the verifier hashes the bytes in the file instead of rebuilding them.
``python -m audit.verify`` checks it with nothing but the standard library and
``cryptography``.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from audit import merkle, signing
from audit.chain import EXPORT_FORMAT, PROOF_FORMAT, export_line, leaf_bytes
from audit.models import AuditEvent, Checkpoint
from audit.services.trail import (
    checkpoint_create,
    checkpoint_dict,
    checkpoint_latest,
    entry_dict,
    format_time,
    record,
)

__all__ = ["EXPORT_FORMAT", "PROOF_FORMAT", "consistency_proof", "export_write", "inclusion_proof"]


@dataclass(frozen=True)
class ExportSummary:
    entries: int
    checkpoints: int
    root_hash: str
    key_id: str


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def export_write(*, actor: Any, out: TextIO, via: str = "manage.py audit_export") -> ExportSummary:
    """Write the whole trail, signed to its end, to ``out``.

    The export is itself recorded first, and a checkpoint is signed over everything up
    to and including that entry, so the export ends in a signature and the trail shows
    when it was taken.
    """
    with transaction.atomic():
        record(
            actor=actor,
            action="audit.exported",
            detail={"via": via, "os_user": _os_user()},
        )
        final = checkpoint_create()
    assert final is not None  # the entry just written makes the trail non-empty
    size = final.tree_size
    checkpoints = list(Checkpoint.objects.filter(tree_size__lte=size).order_by("tree_size"))
    out.write("{")
    out.write(f'"format":{_dumps(EXPORT_FORMAT)},\n')
    out.write(f'"exported_at":{_dumps(format_time(timezone.now()))},\n')
    out.write(f'"tree_size":{size},\n')
    out.write(f'"public_key":{_dumps(signing.public_key_document())},\n')
    out.write('"checkpoints":[\n')
    out.write(",\n".join(_dumps(checkpoint_dict(c)) for c in checkpoints))
    out.write('\n],\n"entries":[\n')
    events = AuditEvent.objects.filter(seq__lte=size).order_by("seq").iterator(chunk_size=2000)
    for position, event in enumerate(events):
        if position:
            out.write(",\n")
        out.write(export_line(entry_dict(event)))
    out.write("\n]}\n")
    return ExportSummary(
        entries=size,
        checkpoints=len(checkpoints),
        root_hash=final.root_hash,
        key_id=final.key_id,
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return ""


def _leaf_hashes(size: int) -> list[bytes]:
    hashes = (
        AuditEvent.objects.filter(seq__lte=size)
        .order_by("seq")
        .values_list("hash", flat=True)
        .iterator(chunk_size=5000)
    )
    return [merkle.leaf_hash(leaf_bytes(h)) for h in hashes]


def inclusion_proof(event: AuditEvent) -> dict[str, Any]:
    """Proof that ``event`` is in the signed trail, to show one entry without the rest.

    Signs the head first if the newest checkpoint does not yet cover the entry.
    """
    checkpoint = checkpoint_latest()
    if checkpoint is None or checkpoint.tree_size < event.seq:
        checkpoint = checkpoint_create()
    assert checkpoint is not None and checkpoint.tree_size >= event.seq
    leaves = _leaf_hashes(checkpoint.tree_size)
    return {
        "format": PROOF_FORMAT,
        "kind": "inclusion",
        "entry": entry_dict(event),
        "leaf_index": event.seq - 1,
        "tree_size": checkpoint.tree_size,
        "audit_path": [h.hex() for h in merkle.inclusion_proof(leaves, event.seq - 1)],
        "checkpoint": checkpoint_dict(checkpoint),
        "public_key": signing.public_key_document(),
    }


def consistency_proof(old: Checkpoint, new: Checkpoint) -> dict[str, Any]:
    """Proof that the trail signed by ``new`` extends the one signed by ``old`` unchanged."""
    if old.tree_size > new.tree_size:
        old, new = new, old
    leaves = _leaf_hashes(new.tree_size)
    proof = (
        merkle.consistency_proof(leaves, old.tree_size) if old.tree_size != new.tree_size else []
    )
    return {
        "format": PROOF_FORMAT,
        "kind": "consistency",
        "old": checkpoint_dict(old),
        "new": checkpoint_dict(new),
        "proof": [h.hex() for h in proof],
        "public_key": signing.public_key_document(),
    }

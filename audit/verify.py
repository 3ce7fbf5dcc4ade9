"""Offline verification of an audit export or proof: ``python -m audit.verify FILE``.

Runs on an auditor's machine with nothing but the standard library and ``cryptography``
(no Django, no database). Exit status 0: intact, with a summary; 1: broken, naming the
first broken position; 2: the file could not be read or the command was wrong.

What is checked for an export (``samverka-audit-export/2``, and ``/1`` written before):

* every checkpoint is well formed, follows the one before it (``previous_size``, growing
  sizes, times that never go back), and is signed (Ed25519) by the export's public key,
  or by the key given with ``--public-key`` — the key the auditor trusts, obtained
  separately. A /2 checkpoint also signs ``previous_hash``, the SHA-256 of the signed
  message of the checkpoint before it (``audit.chain.checkpoint_digest``; 64 zeros for
  the first), so the newest checkpoint's signature covers the whole series: the newest
  signature is verified, and each older checkpoint's message is hashed and compared with
  the ``previous_hash`` of the one after it. In a chained series an older checkpoint's
  own signature is therefore not checked again in an export: the newest signature
  already covers its content, and a change to it breaks the link. Each checkpoint still
  carries its own signature, so that it can stand alone, in a proof or saved with
  ``--save-checkpoint``; there it is checked. A checkpoint no later one links to (one
  signed before the chaining, /1, followed by another /1 one; every checkpoint of a /1
  export) is checked by its own signature. A broken link names the changed checkpoint:
  the one after it is shown unchanged by the signature that covers it;
* the entries form one chain: entry *k* has löpnummer *k*, points at the hash of entry
  *k-1*, and its hash matches its content. The hash is taken over the entry's bytes as
  they stand in the file (each line of the export is the entry's hash followed by its
  canonical bytes, see ``audit.chain.export_line``), and the fields checked are parsed
  from those same bytes; an entry in another layout (a file re-indented by some tool) is
  checked by rebuilding its canonical form from its fields instead, which is slower;
* at every checkpoint, the RFC 6962 Merkle root over the entries so far and the chain's
  head equal the signed ones;
* every entry is covered by a checkpoint, and no checkpoint covers entries that are
  missing;
* with ``--known-checkpoint``: checkpoints saved earlier (for example by last month's
  verification with ``--save-checkpoint``) are consistent with the export, so an export
  cut back to an older checkpoint is caught.

A proof (``samverka-audit-proof/2``, and ``/1`` written before) shows one entry's
inclusion in a signed tree, or that a newer checkpoint extends an older one, without the
whole log. Its checkpoints stand alone: each is checked by its own signature, over the /1
or /2 message as its fields say (with a non-empty ``previous_hash``: /2).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from json.decoder import JSONDecodeError
from json.scanner import make_scanner
from operator import itemgetter
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import merkle
from audit.chain import (
    CHECKPOINT_FIELDS,
    CHECKPOINT_FIELDS_V1,
    EXPORT_FORMAT,
    EXPORT_FORMAT_V1,
    GENESIS_HASH,
    HASHED_FIELDS,
    PROOF_FORMAT,
    PROOF_FORMAT_V1,
    checkpoint_digest,
    checkpoint_signed_message,
    entry_hash,
    key_id,
    leaf_bytes,
    line_head,
)

ENTRY_KEYS = frozenset((*HASHED_FIELDS, "hash"))
_HEX_DIGITS = "0123456789abcdef"
_CHECKPOINT_KEYS = frozenset(CHECKPOINT_FIELDS)  # a checkpoint of a /2 export or proof
_CHECKPOINT_KEYS_V1 = frozenset(CHECKPOINT_FIELDS_V1)  # of a /1 export or proof
_ANY_CHECKPOINT_KEYS = (_CHECKPOINT_KEYS, _CHECKPOINT_KEYS_V1)  # one saved on its own


class Broken(Exception):
    """The file is not intact; ``position`` is the first broken entry, when one is known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass
class Report:
    ok: bool
    message: str
    position: int | None = None
    entries: int = 0
    checkpoints: int = 0
    # Checkpoints whose own signature was verified; in a chained series the newest one's
    # covers the others (see _check_series).
    signatures_checked: int = 0
    key_id: str = ""
    newest: dict[str, Any] | None = None
    known_matched: int = 0
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "position": self.position,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "signatures_checked": self.signatures_checked,
            "key_id": self.key_id,
            "newest_checkpoint": self.newest,
        }


# -- small checks ------------------------------------------------------------------------


def _is_hash(value: Any) -> bool:
    # Nothing is left once the hex digits are stripped from both ends: all are hex digits.
    return isinstance(value, str) and len(value) == 64 and not value.strip(_HEX_DIGITS)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def load_public_key(
    pem: Any, what: str = "Exportens publika nyckel"
) -> tuple[Ed25519PublicKey, str]:
    if not isinstance(pem, str):
        raise Broken(f"{what} saknas.")
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise Broken(f"{what} går inte att läsa.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise Broken(f"{what} är inte en Ed25519-nyckel.")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, key_id(raw)


def _key_from_document(doc: Any, trusted: Ed25519PublicKey | None) -> tuple[Ed25519PublicKey, str]:
    """The key to verify with: the embedded one, which must equal the trusted one if given."""
    if (
        not isinstance(doc, dict)
        or set(doc) != {"algorithm", "key_id", "pem"}
        or doc.get("algorithm") != "Ed25519"
    ):
        raise Broken("Filen saknar en Ed25519-nyckel (public_key).")
    key, kid = load_public_key(doc.get("pem"))
    if doc.get("key_id") != kid:
        raise Broken(f"Nyckel-id {doc.get('key_id')!r} hör inte till den publika nyckeln ({kid}).")
    if trusted is not None:
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        trusted_id = key_id(trusted.public_bytes(*raw))
        if trusted.public_bytes(*raw) != key.public_bytes(*raw):
            raise Broken(
                f"Filen är signerad med nyckel-id {kid}, inte med den betrodda nyckeln "
                f"(nyckel-id {trusted_id})."
            )
    return key, kid


def _checkpoint_fields(
    cp: Any, kid: str, name: str, keys: tuple[frozenset[str], ...] = _ANY_CHECKPOINT_KEYS
) -> str:
    """Raise Broken unless ``cp`` is a well-formed checkpoint with one of the field sets
    ``keys`` that names the key ``kid``; its label for messages. The signature is not
    checked here."""
    if not isinstance(cp, dict) or cp.keys() not in keys:
        raise Broken(f"{name} har fel fält.")
    size, previous = cp["tree_size"], cp["previous_size"]
    if not _is_count(size) or size < 1 or not _is_count(previous) or previous >= size:
        raise Broken(f"{name} har ett ogiltigt antal poster.")
    label = f"{name} (poster 1–{size})"
    if not (_is_hash(cp["root_hash"]) and _is_hash(cp["head_hash"])):
        raise Broken(f"{label} har en ogiltig hash.")
    linked = cp.get("previous_hash", "")
    if linked != "" and not _is_hash(linked):
        raise Broken(f"{label} har en ogiltig hash av kontrollpunkten före (previous_hash).")
    if not isinstance(cp["at"], str) or not isinstance(cp["signature"], str):
        raise Broken(f"{label} har en ogiltig tidpunkt eller signatur.")
    if cp["key_id"] != kid:
        raise Broken(
            f"{label} är signerad med en annan nyckel (nyckel-id {cp['key_id']!r}, väntat {kid})."
        )
    return label


def _signature_holds(cp: dict[str, Any], key: Ed25519PublicKey) -> bool:
    """Whether ``cp``'s own signature covers its signed message (/1 or /2, as its fields say)."""
    try:
        key.verify(base64.b64decode(cp["signature"], validate=True), checkpoint_signed_message(cp))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _bad_signature(label: str) -> Broken:
    return Broken(
        f"Signaturen på {_lower_first(label)} stämmer inte: kontrollpunkten är "
        "ändrad eller signerad med en annan nyckel."
    )


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:]


def check_checkpoint(
    cp: Any,
    key: Ed25519PublicKey,
    kid: str,
    name: str = "Kontrollpunkt",
    keys: tuple[frozenset[str], ...] = _ANY_CHECKPOINT_KEYS,
) -> dict[str, Any]:
    """A well-formed checkpoint signed by ``key``; raises Broken otherwise.

    For a checkpoint standing alone (in a proof, or saved from an earlier verification):
    it is checked with its own signature, over the /1 or /2 message as its fields say.
    """
    label = _checkpoint_fields(cp, kid, name, keys)
    if not _signature_holds(cp, key):
        raise _bad_signature(label)
    return cp


def _check_series(
    checkpoints: list[Any],
    key: Ed25519PublicKey,
    kid: str,
    keys: tuple[frozenset[str], ...],
) -> int:
    """Check an export's checkpoints as one series; the number of signatures verified.

    Raises Broken for the first broken checkpoint in series order. Each must be well
    formed and follow the one before (``previous_size``, growing sizes, times that never
    go back). Each must also be authentic, which is shown backwards from the newest: the
    newest by its signature, and checkpoint *i* by the link from checkpoint *i+1* when
    that one is authentic, a /2 checkpoint and follows it: the digest of checkpoint *i*'s
    signed message must then equal the ``previous_hash`` of *i+1*. Only a checkpoint no
    authentic successor links to (the newest, one followed by a /1 checkpoint, or one
    whose successor is itself broken) is checked by its own signature.
    """
    labels: list[str] = []
    digests: list[str] = []
    out_of_line: list[Broken | None] = []  # how each one fails to follow the one before
    malformed: Broken | None = None
    for index, cp in enumerate(checkpoints, start=1):
        try:
            labels.append(_checkpoint_fields(cp, kid, f"Kontrollpunkt {index}", keys))
        except Broken as broken:
            malformed = broken
            break
        digests.append(checkpoint_digest(cp))
        out_of_line.append(_out_of_line(checkpoints, index, labels[-1]))
    usable = len(labels)  # the well-formed ones before the first that is not

    # Backwards: which checkpoint's signature shows each one authentic (None: not).
    anchors: list[int | None] = [None] * usable
    forged: dict[int, Broken] = {}
    verified = 0
    for i in reversed(range(usable)):
        successor = i + 1
        anchor = anchors[successor] if successor < usable else None
        link = checkpoints[successor].get("previous_hash") if anchor is not None else None
        if anchor is not None and link and out_of_line[successor] is None:
            if link == digests[i]:
                anchors[i] = anchor
            else:
                forged[i] = _broken_link(labels[i], successor, anchor)
            continue
        verified += 1
        if _signature_holds(checkpoints[i], key):
            anchors[i] = i
        else:
            forged[i] = _bad_signature(labels[i])

    for i in range(usable):  # the first broken one; at one checkpoint, forgery comes first
        problem = forged.get(i) or out_of_line[i]
        if problem is not None:
            raise problem
    if malformed is not None:
        raise malformed
    return verified


def _out_of_line(checkpoints: list[Any], index: int, label: str) -> Broken | None:
    """How checkpoint ``index`` (1-based, well formed like all before it) fails to follow
    the one before it in the export; None when it follows it."""
    cp = checkpoints[index - 1]
    previous = checkpoints[index - 2] if index > 1 else None
    if previous is not None and cp["tree_size"] <= previous["tree_size"]:
        return Broken(f"Kontrollpunkt {index} står i fel ordning (eller är en dubblett).")
    expected = previous["tree_size"] if previous is not None else 0
    if cp["previous_size"] != expected:
        return Broken(
            f"Kontrollpunkt {index} bygger på kontrollpunkten över {cp['previous_size']} "
            f"poster, men den före i exporten omfattar {expected}: en kontrollpunkt saknas "
            "eller är tillagd."
        )
    if previous is not None and cp["at"] < previous["at"]:
        return Broken(f"Kontrollpunkt {index} är äldre än kontrollpunkten före den.")
    if previous is None and cp.get("previous_hash", "") not in ("", GENESIS_HASH):
        return Broken(
            f"{label} bygger på en kontrollpunkt före den (previous_hash), men den är "
            "exportens första: en kontrollpunkt saknas."
        )
    return None


def _broken_link(label: str, successor: int, anchor: int) -> Broken:
    """Checkpoint ``label`` does not hash to the ``previous_hash`` of the checkpoint after
    it (0-based ``successor``), which ``anchor``'s signature shows to be unchanged: so it is
    this checkpoint that was changed, not that previous_hash."""
    after = f"kontrollpunkt {successor + 1}"
    if anchor == successor:
        why = "dess signatur stämmer"
    else:
        why = f"signaturen på kontrollpunkt {anchor + 1} täcker den genom kedjan"
    return Broken(
        f"{label} är ändrad: den stämmer inte med hashen som {after} anger för den "
        f"(previous_hash), och {after} är oförändrad ({why})."
    )


# -- exports --------------------------------------------------------------------------------


def verify_export(
    data: Any,
    *,
    trusted_key: Ed25519PublicKey | None = None,
    known_checkpoints: Sequence[Any] = (),
    entry_texts: Sequence[str] | None = None,
) -> Report:
    """Check a parsed export; never raises for a broken one (see ``Report.ok``).

    ``entry_texts`` is the text each of ``data["entries"]`` was parsed from, as
    ``read_document`` returns it; each entry is then hashed from its text. Without it
    every entry's canonical form is rebuilt from its fields.
    """
    if entry_texts is not None and (
        not isinstance(data, dict)
        or not isinstance(data.get("entries"), list)
        or len(entry_texts) != len(data["entries"])
    ):
        raise ValueError("entry_texts must hold the text of every entry of the export")
    report = Report(ok=False, message="")
    try:
        _verify_export(data, trusted_key, known_checkpoints, entry_texts, report)
    except Broken as broken:
        report.ok = False
        report.message = broken.message
        report.position = broken.position
        return report
    report.ok = True
    return report


def _verify_export(
    data: Any,
    trusted_key: Ed25519PublicKey | None,
    known_checkpoints: Sequence[Any],
    texts: Sequence[str] | None,
    report: Report,
) -> None:
    if not isinstance(data, dict) or data.get("format") not in (EXPORT_FORMAT, EXPORT_FORMAT_V1):
        raise Broken(
            f"Filen är inte en export i formatet {EXPORT_FORMAT} (eller {EXPORT_FORMAT_V1})."
        )
    entries, checkpoints = data.get("entries"), data.get("checkpoints")
    if not isinstance(entries, list) or not isinstance(checkpoints, list):
        raise Broken("Exporten saknar poster eller kontrollpunkter.")
    key, kid = _key_from_document(data.get("public_key"), trusted_key)
    report.key_id = kid

    keys = (_CHECKPOINT_KEYS,) if data["format"] == EXPORT_FORMAT else (_CHECKPOINT_KEYS_V1,)
    report.signatures_checked = _check_series(checkpoints, key, kid, keys)
    signed: dict[int, dict[str, Any]] = {cp["tree_size"]: cp for cp in checkpoints}
    known: dict[int, dict[str, Any]] = {}
    for index, cp in enumerate(known_checkpoints, start=1):
        check_checkpoint(cp, key, kid, f"Sparad kontrollpunkt {index}")
        known[cp["tree_size"]] = cp

    last_checked = 0
    prev_hash = GENESIS_HASH
    frontier: list[bytes] = []
    heads = signed.keys() | known.keys()  # where the tree head is compared with a signed one
    count = len(entries)
    # The entries are taken a stretch of up to _STRETCH at a time. A stretch in the
    # export's own layout with every entry the chain's next link is checked in one pass
    # (_links_in_layout); any other stretch is walked entry by entry (_walk), which names
    # the first broken position. Either way the tree head is compared at each signed size
    # in turn, so what is reported first is what an entry-by-entry walk meets first.
    stops = sorted(size for size in heads if 0 < size <= count)
    next_stop = 0  # index into stops
    done = 0
    while done < count:
        upto = min(count, done + _STRETCH)
        digests = _links_in_layout(entries, texts, done, upto, prev_hash)
        leaves = merkle.leaf_hashes(digests) if digests is not None else []
        position = done
        while position < upto:
            stop = upto
            if next_stop < len(stops) and stops[next_stop] <= upto:
                stop = stops[next_stop]
                next_stop += 1
            if digests is None:  # somewhere in this stretch: try it checkpoint by checkpoint
                part = None
                if texts is not None and (position, stop) != (done, upto):
                    part = _links_in_layout(entries, texts, position, stop, prev_hash)
                if part is None:
                    prev_hash = _walk(entries, texts, position, stop, prev_hash, frontier)
                else:
                    merkle.frontier_extend(frontier, position, merkle.leaf_hashes(part))
                    prev_hash = entries[stop - 1]["hash"]
            else:
                merkle.frontier_extend(frontier, position, leaves[position - done : stop - done])
                prev_hash = entries[stop - 1]["hash"]
            position = stop
            if position not in heads:
                continue
            root = merkle.frontier_root(frontier).hex()
            if position in signed:
                if not _matches(signed[position], root, prev_hash):
                    first = last_checked + 1
                    raise Broken(
                        f"Posterna {first}–{position} stämmer inte med kontrollpunkten över "
                        f"{position} poster: någon av dem har ändrats, tagits bort, lagts till "
                        f"eller flyttats (första brottet finns bland posterna "
                        f"{first}–{position}).",
                        position=first,
                    )
                last_checked = position
            if position in known:
                if not _matches(known[position], root, prev_hash):
                    raise Broken(
                        f"Exporten stämmer inte med kontrollpunkten du sparat över {position} "
                        "poster: poster bland dem har ändrats i efterhand.",
                        position=1,
                    )
                report.known_matched += 1
        done = upto

    declared: Any = data.get("tree_size")
    if declared != count:
        if _is_count(declared) and declared > count:
            raise Broken(
                f"Exporten ska innehålla {declared} poster men innehåller {count}: posterna "
                f"{count + 1}–{declared} saknas.",
                position=count + 1,
            )
        raise Broken(
            f"Exporten ska innehålla {declared!r} poster men innehåller {count}.",
            position=(declared + 1) if _is_count(declared) else None,
        )
    beyond = [size for size in signed if size > count]
    if beyond:
        size = min(beyond)
        raise Broken(
            f"Kontrollpunkten över {size} poster omfattar fler poster än exporten har ({count}): "
            f"posterna {count + 1}–{size} saknas (slutet är avskuret).",
            position=count + 1,
        )
    ahead = [size for size in known if size > count]
    if ahead:
        size = max(ahead)
        raise Broken(
            f"En kontrollpunkt du har sparat omfattar {size} poster, men exporten slutar vid "
            f"post {count}: posterna {count + 1}–{size} saknas, och en äldre kontrollpunkt "
            "visas som den senaste.",
            position=count + 1,
        )
    newest = max(signed) if signed else 0
    if newest < count:
        raise Broken(
            f"Posterna {newest + 1}–{count} omfattas inte av någon signerad kontrollpunkt.",
            position=newest + 1,
        )

    report.entries = count
    report.checkpoints = len(checkpoints)
    report.newest = signed[newest] if signed else None
    report.message = "Granskningsloggen är oförändrad."
    report.lines = _export_summary(report)


# An entry line as the export writes it (audit.chain.export_line) starts with this head.
_HEAD = line_head(GENESIS_HASH)
_HEAD_PREFIX, _HEAD_SUFFIX = _HEAD.split(GENESIS_HASH)
_HEAD_BETWEEN = _HEAD_SUFFIX + _HEAD_PREFIX
_STRETCH = 4096
_digest = type(sha256()).digest
_seq, _hash, _prev_hash = itemgetter("seq"), itemgetter("hash"), itemgetter("prev_hash")
_head_of = itemgetter(slice(None, len(_HEAD)))
_after_head = itemgetter(slice(len(_HEAD), None))
_opening_brace = "{".__add__
_ONLY_DICTS, _ONLY_INTS = {dict}, {int}
_ONLY_FULL, _ONLY_HASH_LENGTH = {len(ENTRY_KEYS)}, {len(GENESIS_HASH)}


def _links_in_layout(
    entries: list[Any], texts: Sequence[str] | None, start: int, end: int, prev_hash: str
) -> list[bytes] | None:
    """The chain hashes of ``entries[start:end]``, when every one of them is in the
    export's own layout and is the chain's next link; None when any is not.

    The same checks as ``_walk`` makes of each entry, made over the whole stretch at once:
    each entry is a dict with exactly the documented fields, entry *k* has löpnummer *k*
    and points at the hash of entry *k-1*, its line is ``line_head(hash)`` and then the
    bytes that hash covers, and SHA-256 of those bytes is the hash. None only means "walk
    it": ``_walk`` then finds what is wrong.
    """
    if texts is None or start >= end:
        return None
    chunk = entries[start:end]
    lines = texts[start:end]
    try:
        # Each entry is a dict with exactly the documented fields: each has as many fields
        # as are documented, and all of them together have no other.
        if (
            set(map(type, chunk)) != _ONLY_DICTS
            or set(map(len, chunk)) != _ONLY_FULL
            or set().union(*chunk) != ENTRY_KEYS
        ):
            return None
        seqs = list(map(_seq, chunk))
        hashes = list(map(_hash, chunk))
        prevs = list(map(_prev_hash, chunk))
        if (
            set(map(type, seqs)) != _ONLY_INTS
            or seqs != list(range(start + 1, end + 1))
            or prevs[0] != prev_hash
            or prevs[1:] != hashes[:-1]
        ):
            return None
        # Every line starts with line_head(its hash): with every hash 64 characters long,
        # the lines' first 75 characters end to end are the heads of the hashes end to end.
        if (
            set(map(len, hashes)) != _ONLY_HASH_LENGTH
            or "".join(map(_head_of, lines))
            != _HEAD_PREFIX + _HEAD_BETWEEN.join(hashes) + _HEAD_SUFFIX
        ):
            return None
        # "{" and the rest of each line: the bytes its hash covers. (Encoded line by line:
        # one long string encoded and split again costs more.)
        bodies = map(str.encode, map(_opening_brace, map(_after_head, lines)))
        digests = list(map(_digest, map(sha256, bodies)))
        if b"".join(digests).hex() != "".join(hashes):  # 64 each, so entry by entry
            return None
    except (TypeError, ValueError):  # not text, or not UTF-8 text: walk it
        return None
    return digests


def _walk(
    entries: list[Any],
    texts: Sequence[str] | None,
    start: int,
    end: int,
    prev_hash: str,
    frontier: list[bytes],
) -> str:
    """Check ``entries[start:end]`` one by one, extending ``frontier`` with each; the hash
    of the last. Raises Broken, naming the entry, at the first that is not the next link."""
    for position in range(start + 1, end + 1):
        entry = entries[position - 1]
        try:
            if (
                type(entry) is not dict
                or entry.keys() != ENTRY_KEYS
                or type(entry["seq"]) is not int
                or entry["seq"] != position
                or entry["prev_hash"] != prev_hash
            ):
                _check_link(entry, position, prev_hash)
            claimed = entry["hash"]
            digest = b""
            if texts is not None and type(claimed) is str:
                line = texts[position - 1]
                head = line_head(claimed)
                if line.startswith(head):
                    # The line is the hashed bytes with the hash put first: hash "{" and the
                    # rest, the very text the fields above were parsed from.
                    digest = sha256(("{" + line[len(head) :]).encode()).digest()
                    if digest.hex() != claimed:
                        digest = b""
            if not digest:
                digest = _rebuilt_digest(
                    entry, position, texts[position - 1] if texts is not None else None
                )
        except Broken as broken:
            raise _fork(entries, position) or broken from None
        merkle.frontier_push(frontier, position - 1, merkle.leaf_hash(digest))
        prev_hash = claimed
    return prev_hash


def _fork(entries: list[Any], position: int) -> Broken | None:
    """Name the right entry when two entries claim the same place in the chain.

    An entry inserted (or copied) into an export repeats the löpnummer and predecessor of
    its neighbour. The walk stops at the second of the two; the genuine one is the entry
    that the following entry points back to, so the other is the first broken position.
    """
    if position < 2:
        return None
    here, before = entries[position - 1], entries[position - 2]
    if not (isinstance(here, dict) and isinstance(before, dict)):
        return None
    if here.get("seq") != before.get("seq") or here.get("prev_hash") != before.get("prev_hash"):
        return None
    if here == before:
        return Broken(
            f"Post {position} är en kopia av post {position - 1}: posten är dubblerad.", position
        )
    after = entries[position] if position < len(entries) else None
    follows = after.get("prev_hash") if isinstance(after, dict) else None
    forged = position - 1 if follows == here.get("hash") else position
    return Broken(
        f"Post {forged} är infogad: posterna {position - 1} och {position} gör anspråk på "
        f"samma plats i kedjan (löpnummer {here.get('seq')!r}), och kedjan fortsätter inte "
        f"från post {forged}.",
        forged,
    )


def _matches(cp: dict[str, Any], root_hash: str, head_hash: str) -> bool:
    return cp["root_hash"] == root_hash and cp["head_hash"] == head_hash


def _check_link(entry: Any, position: int, prev_hash: str) -> None:
    """Raise Broken, naming what is wrong, for an entry that is not the chain's next link."""
    if not isinstance(entry, dict):
        raise Broken(f"Post {position} är inte en loggpost.", position)
    if set(entry) != ENTRY_KEYS:
        missing = sorted(ENTRY_KEYS - set(entry))
        extra = sorted(set(entry) - ENTRY_KEYS)
        raise Broken(
            f"Post {position} har fel fält (saknas: {', '.join(missing) or '–'}; "
            f"okända: {', '.join(extra) or '–'}).",
            position,
        )
    seq = entry["seq"]
    if seq != position or not _is_count(seq):
        if _is_count(seq) and seq == position - 1:
            detail = f"löpnummer {seq} en gång till: posten är dubblerad"
        else:
            detail = (
                f"löpnummer {seq!r} i stället för {position}: poster har tagits bort, lagts "
                "till eller bytt plats"
            )
        raise Broken(f"Post {position} har {detail}.", position)
    if entry["prev_hash"] != prev_hash:
        raise Broken(
            f"Post {position} pekar inte på post {position - 1}: kedjan är bruten (en post är "
            "ändrad, borttagen, tillagd eller flyttad).",
            position,
        )


class _DuplicateKey(ValueError):
    """An object in an entry's text names one field twice."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _rebuilt_digest(entry: dict[str, Any], position: int, text: str | None) -> bytes:
    """The entry's hash from its canonical form rebuilt from its fields, if that is right.

    For an entry whose text is not in the export's own layout, and for a document given
    without its text. A field given twice is refused: JSON readers differ in which of the
    two they show, and the export's writer never gives one twice.
    """
    if text is not None:
        try:
            json.loads(text, object_pairs_hook=_refuse_duplicates)
        except _DuplicateKey:
            raise Broken(
                f"Post {position} har samma fält två gånger: posten är ändrad.", position
            ) from None
    try:
        computed = entry_hash(entry)
    except (TypeError, ValueError) as exc:
        raise Broken(f"Post {position} går inte att tolka.", position) from exc
    if computed != entry["hash"]:
        raise Broken(
            f"Post {position} är ändrad: innehållet stämmer inte med postens hash.", position
        )
    return bytes.fromhex(computed)


def _export_summary(report: Report) -> list[str]:
    lines = [report.message]
    if report.entries:
        lines.append(
            f"  Poster:            1–{report.entries} ({report.entries} st.), en obruten kedja"
        )
    else:
        lines.append("  Poster:            inga")
    lines.append(f"  Kontrollpunkter:   {_checkpoints_summary(report)}")
    lines.append(f"  Nyckel-id:         {report.key_id}")
    if report.newest:
        lines.append(
            f"  Senaste kontrollpunkt: {report.newest['tree_size']} poster, "
            f"signerad {report.newest['at']}"
        )
        lines.append(f"  Merkle-rot:        {report.newest['root_hash']}")
    if report.known_matched:
        lines.append(f"  Sparade kontrollpunkter som stämmer: {report.known_matched}")
    return lines


def _checkpoints_summary(report: Report) -> str:
    count, own = report.checkpoints, report.signatures_checked
    if count == 0:
        return "inga"
    if own == count:
        return f"{count}, var och en med kontrollerad signatur (Ed25519)"
    if own == 1:
        return f"{count}, kedjade: den senastes signatur (Ed25519) täcker alla genom kedjan"
    return (
        f"{count}: {own} med kontrollerad signatur (Ed25519), övriga {count - own} "
        "täckta genom kedjan av en senare kontrollpunkts signatur"
    )


# -- proofs ---------------------------------------------------------------------------------


_PROOF_FORMATS = (PROOF_FORMAT, PROOF_FORMAT_V1)


def verify_proof(data: Any, *, trusted_key: Ed25519PublicKey | None = None) -> Report:
    report = Report(ok=False, message="")
    try:
        if not isinstance(data, dict) or data.get("format") not in _PROOF_FORMATS:
            raise Broken(
                f"Filen är inte ett bevis i formatet {PROOF_FORMAT} (eller {PROOF_FORMAT_V1})."
            )
        key, kid = _key_from_document(data.get("public_key"), trusted_key)
        report.key_id = kid
        # A proof's checkpoints stand alone: each is checked with its own signature.
        keys = (_CHECKPOINT_KEYS,) if data["format"] == PROOF_FORMAT else (_CHECKPOINT_KEYS_V1,)
        if data.get("kind") == "inclusion":
            _verify_inclusion(data, key, kid, keys, report)
        elif data.get("kind") == "consistency":
            _verify_consistency(data, key, kid, keys, report)
        else:
            raise Broken("Okänt slag av bevis.")
    except Broken as broken:
        report.message = broken.message
        report.position = broken.position
        return report
    report.ok = True
    report.lines.insert(0, report.message)
    report.lines.append(f"  Nyckel-id:         {report.key_id}")
    return report


def _hashes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list) or not all(_is_hash(v) for v in values):
        raise Broken(f"{what} är ogiltig.")
    return [bytes.fromhex(v) for v in values]


def _verify_inclusion(
    data: dict[str, Any],
    key: Ed25519PublicKey,
    kid: str,
    keys: tuple[frozenset[str], ...],
    report: Report,
) -> None:
    cp = check_checkpoint(data.get("checkpoint"), key, kid, keys=keys)
    entry = data.get("entry")
    if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS or not _is_count(entry["seq"]):
        raise Broken("Beviset innehåller ingen giltig loggpost.")
    seq = entry["seq"]
    try:
        computed = entry_hash(entry)
    except (TypeError, ValueError) as exc:
        raise Broken("Loggposten går inte att tolka.", seq) from exc
    if computed != entry["hash"]:
        raise Broken(f"Post {seq} är ändrad: innehållet stämmer inte med postens hash.", seq)
    if data.get("leaf_index") != seq - 1 or data.get("tree_size") != cp["tree_size"]:
        raise Broken("Bevisets position eller trädstorlek stämmer inte med posten.", seq)
    path = _hashes(data.get("audit_path"), "Bevisets väg i trädet")
    leaf = merkle.leaf_hash(leaf_bytes(entry["hash"]))
    if not merkle.verify_inclusion(
        seq - 1, cp["tree_size"], leaf, path, bytes.fromhex(cp["root_hash"])
    ):
        raise Broken(
            f"Post {seq} ingår inte i loggen som kontrollpunkten över {cp['tree_size']} poster "
            "signerar.",
            seq,
        )
    report.entries = 1
    report.newest = cp
    report.message = (
        f"Post {seq} ({entry['action']}, {entry['at']}) ingår oförändrad i granskningsloggen."
    )
    report.lines = [
        f"  Kontrollpunkt:     {cp['tree_size']} poster, signerad {cp['at']}",
        f"  Merkle-rot:        {cp['root_hash']}",
    ]


def _verify_consistency(
    data: dict[str, Any],
    key: Ed25519PublicKey,
    kid: str,
    keys: tuple[frozenset[str], ...],
    report: Report,
) -> None:
    old = check_checkpoint(data.get("old"), key, kid, "Den äldre kontrollpunkten", keys)
    new = check_checkpoint(data.get("new"), key, kid, "Den nyare kontrollpunkten", keys)
    proof = _hashes(data.get("proof"), "Beviset")
    consistent = merkle.verify_consistency(
        old["tree_size"],
        new["tree_size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        proof,
    )
    if not consistent:
        raise Broken(
            f"Loggen över {new['tree_size']} poster bygger inte vidare på loggen över "
            f"{old['tree_size']} poster: tidigare poster har ändrats.",
            position=1,
        )
    report.newest = new
    report.message = (
        f"Loggen över {new['tree_size']} poster innehåller oförändrat de "
        f"{old['tree_size']} poster som den äldre kontrollpunkten signerar."
    )


# -- reading files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A file as read: its JSON, and the exact text of each entry when it is an export."""

    data: Any
    entry_texts: list[str] | None = None


def read_document(raw: bytes, name: str) -> Document:
    """Parse ``raw`` as ``json.loads`` would, keeping the text of each entry of an export.

    The entries are parsed one by one, and the text each was parsed from is kept, so the
    verifier hashes exactly the bytes whose fields it checks, and every entry is parsed
    once. A top-level field given twice is refused. Raises Broken when ``raw`` is not
    UTF-8 JSON.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Broken(f"{name} är inte UTF-8-text: filen är skadad eller ändrad.") from exc
    try:
        return _parse_document(text)
    except JSONDecodeError as exc:
        raise Broken(
            f"{name} går inte att läsa som JSON (rad {exc.lineno}): filen är skadad eller ändrad."
        ) from exc


_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's


def _skip(text: str, pos: int) -> int:
    """The first position at or after ``pos`` that is not whitespace."""
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _parse_document(text: str) -> Document:
    # What json.loads parses each value with (the stub wants another argument type).
    scan: Any = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
    pos = _skip(text, 0)
    if not text.startswith("{", pos):
        return Document(json.loads(text))  # not an export; json's own answer
    data: dict[str, Any] = {}
    texts: list[str] | None = None
    pos = _skip(text, pos + 1)
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            if not text.startswith('"', pos):
                raise JSONDecodeError(
                    "Expecting property name enclosed in double quotes", text, pos
                )
            key, pos = scan(text, pos)
            pos = _skip(text, pos)
            if not text.startswith(":", pos):
                raise JSONDecodeError("Expecting ':' delimiter", text, pos)
            pos = _skip(text, pos + 1)
            if key in data:
                raise Broken(f"Fältet {key!r} finns två gånger i filen: filen är ändrad.")
            if key == "entries" and text.startswith("[", pos):
                data[key], texts, pos = _parse_entries(text, pos, scan)
            else:
                data[key], pos = _value(text, pos, scan)
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
            elif text.startswith("}", pos):
                pos += 1
                break
            else:
                raise JSONDecodeError("Expecting ',' delimiter", text, pos)
    pos = _skip(text, pos)
    if pos != len(text):
        raise JSONDecodeError("Extra data", text, pos)
    return Document(data, texts)


def _value(text: str, pos: int, scan: Any) -> tuple[Any, int]:
    try:
        value, end = scan(text, pos)
    except StopIteration as stop:
        raise JSONDecodeError("Expecting value", text, stop.value) from None
    return value, end


def _parse_entries(text: str, pos: int, scan: Any) -> tuple[list[Any], list[str], int]:
    """The array starting at ``pos``, and the exact text of each of its elements."""
    values: list[Any] = []
    texts: list[str] = []
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return values, texts, pos + 1
    while True:
        try:
            value, end = scan(text, pos)
        except StopIteration as stop:
            raise JSONDecodeError("Expecting value", text, stop.value) from None
        values.append(value)
        texts.append(text[pos:end])
        if text.startswith(",\n{", end):  # the export's own layout: one entry a line
            pos = end + 2
            continue
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return values, texts, pos + 1
        else:
            raise JSONDecodeError("Expecting ',' delimiter", text, pos)


# -- command line ---------------------------------------------------------------------------


def _read(path: str) -> Document:
    """The parsed file; raises OSError when it cannot be read, Broken when it is not JSON."""
    return read_document(Path(path).read_bytes(), path)


def _checkpoint_from_file(data: Any) -> Any:
    """A saved checkpoint: the checkpoint itself, or a document holding one."""
    if isinstance(data, dict) and isinstance(data.get("checkpoint"), dict):
        return data["checkpoint"]
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.verify",
        description="Kontrollera en export av granskningsloggen, eller ett bevis, utan nätverk.",
    )
    parser.add_argument("file", help="exporten (audit_export) eller ett bevis (JSON)")
    parser.add_argument(
        "--public-key",
        metavar="PEM",
        help="den publika nyckel du litar på (hämtad separat); annars används filens egen",
    )
    parser.add_argument(
        "--known-checkpoint",
        metavar="JSON",
        action="append",
        default=[],
        help="en kontrollpunkt du sparat tidigare; exporten måste bygga vidare på den",
    )
    parser.add_argument(
        "--save-checkpoint",
        metavar="JSON",
        help="spara exportens senaste kontrollpunkt hit (till nästa kontroll)",
    )
    parser.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    args = parser.parse_args(argv)

    try:
        trusted = None
        if args.public_key:
            trusted, _kid = load_public_key(
                Path(args.public_key).read_text(), "Den betrodda nyckeln"
            )
        known = [_checkpoint_from_file(_read(p).data) for p in args.known_checkpoint]
        document = _read(args.file)
    except OSError as exc:
        print(f"Filen kunde inte läsas: {exc}", file=sys.stderr)
        return 2
    except Broken as broken:
        report = Report(ok=False, message=broken.message)
    else:
        data = document.data
        if isinstance(data, dict) and data.get("format") in _PROOF_FORMATS:
            report = verify_proof(data, trusted_key=trusted)
        else:
            report = verify_export(
                data,
                trusted_key=trusted,
                known_checkpoints=known,
                entry_texts=document.entry_texts,
            )

    if report.ok and args.save_checkpoint and report.newest is not None:
        Path(args.save_checkpoint).write_text(json.dumps(report.newest, indent=2) + "\n")
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.ok:
        print("\n".join(report.lines))
        if not args.public_key:
            print(
                "Obs: kontrollerat mot filens egen nyckel. Jämför nyckel-id med det som "
                "myndigheten publicerat, eller ange --public-key."
            )
    else:
        print("FEL: granskningsloggen är inte intakt.", file=sys.stderr)
        if report.position is not None:
            print(f"Första brottet: post {report.position}.", file=sys.stderr)
        print(report.message, file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

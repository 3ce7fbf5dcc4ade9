"""Offline verification of an audit export or proof: ``python -m audit.verify FILE``.

Runs on an auditor's machine with nothing but the standard library and ``cryptography``
(no Django, no database). Exit status 0: intact, with a summary; 1: broken, naming the
first broken position; 2: the file could not be read or the command was wrong.

What is checked for an export (``samverka-audit-export/1``):

* every checkpoint is signed (Ed25519) by the export's public key, or by the key given
  with ``--public-key`` — the key the auditor trusts, obtained separately;
* the entries form one chain: entry *k* has löpnummer *k*, points at the hash of entry
  *k-1*, and its hash matches its content;
* at every checkpoint, the RFC 6962 Merkle root over the entries so far and the chain's
  head equal the signed ones;
* every entry is covered by a checkpoint, and no checkpoint covers entries that are
  missing;
* with ``--known-checkpoint``: checkpoints saved earlier (for example by last month's
  verification with ``--save-checkpoint``) are consistent with the export, so an export
  cut back to an older checkpoint is caught.

A proof (``samverka-audit-proof/1``) shows one entry's inclusion in a signed tree, or
that a newer checkpoint extends an older one, without the whole log.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import merkle
from audit.chain import (
    CHECKPOINT_FIELDS,
    EXPORT_FORMAT,
    GENESIS_HASH,
    HASHED_FIELDS,
    PROOF_FORMAT,
    checkpoint_message,
    entry_hash,
    key_id,
    leaf_bytes,
)

ENTRY_KEYS = frozenset((*HASHED_FIELDS, "hash"))
HEX = frozenset("0123456789abcdef")


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
            "key_id": self.key_id,
            "newest_checkpoint": self.newest,
        }


# -- small checks ------------------------------------------------------------------------


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX


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


def check_checkpoint(
    cp: Any, key: Ed25519PublicKey, kid: str, name: str = "Kontrollpunkt"
) -> dict[str, Any]:
    """A well-formed checkpoint signed by ``key``; raises Broken otherwise."""
    if not isinstance(cp, dict) or set(cp) != set(CHECKPOINT_FIELDS):
        raise Broken(f"{name} har fel fält.")
    size, previous = cp["tree_size"], cp["previous_size"]
    if not _is_count(size) or size < 1 or not _is_count(previous) or previous >= size:
        raise Broken(f"{name} har ett ogiltigt antal poster.")
    label = f"{name} (poster 1–{size})"
    if not (_is_hash(cp["root_hash"]) and _is_hash(cp["head_hash"])):
        raise Broken(f"{label} har en ogiltig hash.")
    if not isinstance(cp["at"], str) or not isinstance(cp["signature"], str):
        raise Broken(f"{label} har en ogiltig tidpunkt eller signatur.")
    if cp["key_id"] != kid:
        raise Broken(
            f"{label} är signerad med en annan nyckel (nyckel-id {cp['key_id']!r}, väntat {kid})."
        )
    try:
        signature = base64.b64decode(cp["signature"], validate=True)
        key.verify(
            signature,
            checkpoint_message(size, previous, cp["root_hash"], cp["head_hash"], cp["at"]),
        )
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise Broken(
            f"Signaturen på {label[0].lower() + label[1:]} stämmer inte: kontrollpunkten är "
            "ändrad eller signerad med en annan nyckel."
        ) from exc
    return cp


# -- exports --------------------------------------------------------------------------------


def verify_export(
    data: Any,
    *,
    trusted_key: Ed25519PublicKey | None = None,
    known_checkpoints: Sequence[Any] = (),
) -> Report:
    """Check a parsed export; never raises for a broken one (see ``Report.ok``)."""
    report = Report(ok=False, message="")
    try:
        _verify_export(data, trusted_key, known_checkpoints, report)
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
    report: Report,
) -> None:
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise Broken(f"Filen är inte en export i formatet {EXPORT_FORMAT}.")
    entries, checkpoints = data.get("entries"), data.get("checkpoints")
    if not isinstance(entries, list) or not isinstance(checkpoints, list):
        raise Broken("Exporten saknar poster eller kontrollpunkter.")
    key, kid = _key_from_document(data.get("public_key"), trusted_key)
    report.key_id = kid

    signed: dict[int, dict[str, Any]] = {}
    previous: dict[str, Any] | None = None
    for index, cp in enumerate(checkpoints, start=1):
        check_checkpoint(cp, key, kid, f"Kontrollpunkt {index}")
        if previous is not None and cp["tree_size"] <= previous["tree_size"]:
            raise Broken(f"Kontrollpunkt {index} står i fel ordning (eller är en dubblett).")
        expected = previous["tree_size"] if previous is not None else 0
        if cp["previous_size"] != expected:
            raise Broken(
                f"Kontrollpunkt {index} bygger på kontrollpunkten över {cp['previous_size']} "
                f"poster, men den före i exporten omfattar {expected}: en kontrollpunkt saknas "
                "eller är tillagd."
            )
        if previous is not None and cp["at"] < previous["at"]:
            raise Broken(f"Kontrollpunkt {index} är äldre än kontrollpunkten före den.")
        signed[cp["tree_size"]] = cp
        previous = cp
    known: dict[int, dict[str, Any]] = {}
    for index, cp in enumerate(known_checkpoints, start=1):
        check_checkpoint(cp, key, kid, f"Sparad kontrollpunkt {index}")
        known[cp["tree_size"]] = cp

    last_checked = 0
    prev_hash = GENESIS_HASH
    frontier: list[bytes] = []
    for position, entry in enumerate(entries, start=1):
        try:
            _check_entry(entry, position, prev_hash)
        except Broken as broken:
            raise _fork(entries, position) or broken from None
        frontier = merkle.frontier_append(
            frontier, position - 1, merkle.leaf_hash(leaf_bytes(entry["hash"]))
        )
        prev_hash = entry["hash"]
        if position in signed:
            if not _matches(signed[position], frontier, prev_hash):
                first = last_checked + 1
                raise Broken(
                    f"Posterna {first}–{position} stämmer inte med kontrollpunkten över "
                    f"{position} poster: någon av dem har ändrats, tagits bort, lagts till eller "
                    f"flyttats (första brottet finns bland posterna {first}–{position}).",
                    position=first,
                )
            last_checked = position
        if position in known:
            if not _matches(known[position], frontier, prev_hash):
                raise Broken(
                    f"Exporten stämmer inte med kontrollpunkten du sparat över {position} "
                    "poster: poster bland dem har ändrats i efterhand.",
                    position=1,
                )
            report.known_matched += 1

    count = len(entries)
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


def _matches(cp: dict[str, Any], frontier: list[bytes], head_hash: str) -> bool:
    return cp["root_hash"] == merkle.frontier_root(frontier).hex() and cp["head_hash"] == head_hash


def _check_entry(entry: Any, position: int, prev_hash: str) -> None:
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
    try:
        computed = entry_hash(entry)
    except (TypeError, ValueError) as exc:
        raise Broken(f"Post {position} går inte att tolka.", position) from exc
    if computed != entry["hash"]:
        raise Broken(
            f"Post {position} är ändrad: innehållet stämmer inte med postens hash.", position
        )


def _export_summary(report: Report) -> list[str]:
    lines = [report.message]
    if report.entries:
        lines.append(
            f"  Poster:            1–{report.entries} ({report.entries} st.), en obruten kedja"
        )
    else:
        lines.append("  Poster:            inga")
    lines.append(f"  Kontrollpunkter:   {report.checkpoints}, alla signerade (Ed25519)")
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


# -- proofs ---------------------------------------------------------------------------------


def verify_proof(data: Any, *, trusted_key: Ed25519PublicKey | None = None) -> Report:
    report = Report(ok=False, message="")
    try:
        if not isinstance(data, dict) or data.get("format") != PROOF_FORMAT:
            raise Broken(f"Filen är inte ett bevis i formatet {PROOF_FORMAT}.")
        key, kid = _key_from_document(data.get("public_key"), trusted_key)
        report.key_id = kid
        if data.get("kind") == "inclusion":
            _verify_inclusion(data, key, kid, report)
        elif data.get("kind") == "consistency":
            _verify_consistency(data, key, kid, report)
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
    data: dict[str, Any], key: Ed25519PublicKey, kid: str, report: Report
) -> None:
    cp = check_checkpoint(data.get("checkpoint"), key, kid)
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
    data: dict[str, Any], key: Ed25519PublicKey, kid: str, report: Report
) -> None:
    old = check_checkpoint(data.get("old"), key, kid, "Den äldre kontrollpunkten")
    new = check_checkpoint(data.get("new"), key, kid, "Den nyare kontrollpunkten")
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


# -- command line ---------------------------------------------------------------------------


def _read_json(path: str) -> Any:
    """The parsed file; raises OSError when it cannot be read, Broken when it is not JSON."""
    raw = Path(path).read_bytes()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Broken(f"{path} är inte UTF-8-text: filen är skadad eller ändrad.") from exc
    except json.JSONDecodeError as exc:
        raise Broken(
            f"{path} går inte att läsa som JSON (rad {exc.lineno}): filen är skadad eller ändrad."
        ) from exc


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
        known = [_checkpoint_from_file(_read_json(p)) for p in args.known_checkpoint]
        data = _read_json(args.file)
    except OSError as exc:
        print(f"Filen kunde inte läsas: {exc}", file=sys.stderr)
        return 2
    except Broken as broken:
        report = Report(ok=False, message=broken.message)
    else:
        if isinstance(data, dict) and data.get("format") == PROOF_FORMAT:
            report = verify_proof(data, trusted_key=trusted)
        else:
            report = verify_export(data, trusted_key=trusted, known_checkpoints=known)

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

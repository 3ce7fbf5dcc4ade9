"""Benchmark of the audit trail: append rate under concurrent writers, and verification rate.

Each figure stands beside the raw rates of its primitives (SHA-256 over an entry's
canonical bytes, Ed25519 sign and verify) measured in the same run on the same machine,
so a reader can tell how far the trail is from what the hardware allows. Verification is
also set beside the cryptography it cannot skip (required_crypto_entries_per_s), timed
alone over the same export.

    python bench/audit_bench.py [--writers 4] [--per-writer 1500] [--out bench/results/audit.json]

Starts its own throwaway PostgreSQL (tests/servers.PostgresServer); needs nothing running.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django(database_url: str, key_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["SAMVERKA_KEY_DIR"] = key_dir
    os.environ["SAMVERKA_ENV"] = "development"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    import django

    django.setup()


def _sample_entry() -> dict[str, Any]:
    """An entry shaped like a real case read: the bytes whose hash the trail computes."""
    return {
        "seq": 123456,
        "at": "2026-11-30T14:05:09.123456+00:00",
        "actor": "anna.handlaggare",
        "actor_agency": "Motala socialkontor",
        "actor_unit": "Barn och unga",
        "action": "case.viewed",
        "case_id": "6f1c1a8e-8b3f-4b8f-9a51-3f1c7d2e4a10",
        "case_ref": "VINR-0583-2026-0042",
        "legal_basis": "owning_unit",
        "recipients": [],
        "fields": ["address", "children", "email", "name", "personnummer", "phone"],
        "request_id": "0f8e1c2d3b4a59687766554433221100",
        "detail": {"context": "case_page", "level": "identified", "flagged": False},
        "prev_hash": "9" * 64,
    }


def _rate(operation: Any, seconds: float = 1.5) -> float:
    """Operations per second, repeating ``operation`` for about ``seconds``."""
    count, start = 0, time.perf_counter()
    batch = 1
    while True:
        for _ in range(batch):
            operation()
        count += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed
        batch = min(batch * 2, 4096)


def _sha256_rate(data: bytes | None = None) -> float:
    """SHA-256 calls per second over ``data`` (by default the sample entry's canonical bytes)."""
    from audit.chain import canonical

    if data is None:
        data = canonical(_sample_entry())
    return _rate(lambda: hashlib.sha256(data).digest())


def _typical_entry_bytes(document: Any) -> bytes:
    """The canonical bytes of the export's entry of median length: what the verifier hashes."""
    from audit.chain import canonical

    bodies = sorted((canonical(entry) for entry in document.data["entries"]), key=len)
    return bodies[len(bodies) // 2]


def primitive_rates() -> dict[str, float]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit.chain import canonical, checkpoint_message, entry_hash
    from audit.merkle import leaf_hash, node_hash

    entry = _sample_entry()
    data = canonical(entry)
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = checkpoint_message(
        200, 100, "a" * 64, "b" * 64, "2026-11-30T14:05:09.123456+00:00", "c" * 64
    )
    signature = key.sign(message)
    digest = hashlib.sha256(b"x").digest()
    return {
        "entry_canonical_bytes": len(data),
        "sha256_entry_per_s": _sha256_rate(),
        "entry_hash_with_serialisation_per_s": _rate(lambda: entry_hash(entry)),
        "merkle_leaf_plus_node_per_s": _rate(lambda: node_hash(leaf_hash(digest), digest)),
        "ed25519_sign_per_s": _rate(lambda: key.sign(message)),
        "ed25519_verify_per_s": _rate(lambda: public.verify(signature, message)),
    }


def _writer(database_url: str, key_dir: str, count: int, barrier: Any, queue: Any) -> None:
    _setup_django(database_url, key_dir)
    from django.db import connection

    from audit.services import record_atomic

    connection.ensure_connection()
    barrier.wait()
    start = time.perf_counter()
    for n in range(count):
        record_atomic(
            actor=None,
            action="case.viewed",
            legal_basis="owning_unit",
            fields=["name", "personnummer"],
            detail={"context": "case_page", "level": "identified", "flagged": False, "n": n},
        )
    queue.put((start, time.perf_counter()))
    connection.close()


def append_rate(database_url: str, key_dir: str, writers: int, per_writer: int) -> dict[str, Any]:
    """Entries per second with ``writers`` processes appending at once (checkpoints included)."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    queue = context.Queue()
    processes = [
        context.Process(target=_writer, args=(database_url, key_dir, per_writer, barrier, queue))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    spans = [queue.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a writer failed with exit code {process.exitcode}")
    start = min(s for s, _e in spans)
    end = max(e for _s, e in spans)
    total = writers * per_writer
    return {
        "writers": writers,
        "entries": total,
        "seconds": round(end - start, 3),
        "entries_per_s": total / (end - start),
    }


def _median_seconds(operation: Any, runs: int = 7) -> float:
    """The median time of ``runs`` calls: one call over a small export takes milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def required_crypto_seconds(document: Any) -> float:
    """The cryptography verification cannot skip, and nothing else, over ``document``.

    Per entry SHA-256 of its canonical bytes, its Merkle leaf and the tree's inner nodes;
    per checkpoint SHA-256 of its signed message (the digest the next checkpoint's
    previous_hash is compared with); and Ed25519 for each checkpoint that no later one
    links to: the newest, and one followed by a /1 checkpoint (no previous_hash), which
    in an export from before the chaining is every one. Whatever the verifier does beyond
    this is its overhead.
    """
    import base64

    from audit.chain import canonical, checkpoint_signed_message
    from audit.verify import load_public_key

    bodies = [canonical(entry) for entry in document.data["entries"]]
    key, _kid = load_public_key(document.data["public_key"]["pem"])
    checkpoints = document.data["checkpoints"]
    messages = [checkpoint_signed_message(cp) for cp in checkpoints]
    signed = [
        (base64.b64decode(cp["signature"]), message)
        for cp, following, message in zip(
            checkpoints, [*checkpoints[1:], None], messages, strict=True
        )
        if following is None or not following.get("previous_hash")
    ]
    sha256 = hashlib.sha256

    def crypto() -> None:
        frontier: list[bytes] = []
        for size, body in enumerate(bodies):
            node = sha256(b"\x00" + sha256(body).digest()).digest()
            while size & 1:
                node = sha256(b"\x01" + frontier.pop() + node).digest()
                size >>= 1
            frontier.append(node)
        for message in messages:
            sha256(message).digest()
        for signature, message in signed:
            key.verify(signature, message)

    return _median_seconds(crypto)


def export_and_verify(tmp: Path) -> dict[str, Any]:
    from audit.models import AuditEvent, Checkpoint
    from audit.services.export import export_write
    from audit.verify import read_document, verify_export

    path = tmp / "export.json"
    start = time.perf_counter()
    with path.open("w", encoding="utf-8") as handle:
        summary = export_write(actor=None, out=handle, via="bench")
    export_seconds = time.perf_counter() - start

    # What python -m audit.verify does: read the file (each entry parsed once, its text
    # kept), then verify. The two are timed apart; each is the median of several runs.
    raw = path.read_bytes()
    document = read_document(raw, str(path))
    report = verify_export(document.data, entry_texts=document.entry_texts)
    if not report.ok:
        raise RuntimeError(f"the benchmark's own export did not verify: {report.message}")
    if AuditEvent.objects.count() != summary.entries:
        raise RuntimeError("the export does not hold every entry")
    read_seconds = _median_seconds(lambda: read_document(raw, str(path)))
    # The machine may be shared: the raw rate is measured again around the verification,
    # so that the ratio compares rates taken under the same load.
    # It is taken over the bytes of an entry of this export (of median length), the kind
    # of bytes the verifier hashes, not over the larger sample entry of the primitives.
    typical = _typical_entry_bytes(document)
    sha_before = _sha256_rate(typical)
    verify_seconds = _median_seconds(
        lambda: verify_export(document.data, entry_texts=document.entry_texts)
    )
    crypto_seconds = required_crypto_seconds(document)
    sha_around = (sha_before + _sha256_rate(typical)) / 2
    return {
        "entries": summary.entries,
        "checkpoints": Checkpoint.objects.count(),
        # Ed25519 verifications verify_export made (chained: the newest checkpoint's).
        "signatures_checked": report.signatures_checked,
        "file_bytes": path.stat().st_size,
        "export_entries_per_s": summary.entries / export_seconds,
        "verify_entries_per_s": summary.entries / verify_seconds,
        "read_and_verify_entries_per_s": summary.entries / (verify_seconds + read_seconds),
        "required_crypto_entries_per_s": summary.entries / crypto_seconds,
        "verify_seconds": round(verify_seconds, 4),
        "read_seconds": round(read_seconds, 4),
        "sha256_entry_bytes_around_verification": len(typical),
        "sha256_entry_per_s_around_verification": sha_around,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per-writer", type=int, default=1500)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "audit.json"))
    args = parser.parse_args()

    from tests.servers import PostgresServer

    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="samverka-bench-") as tmp_name:
        tmp = Path(tmp_name)
        key_dir = tmp / "keys"
        server = PostgresServer()
        server.start()
        try:
            _setup_django(server.url, str(key_dir))
            from django.conf import settings
            from django.core.management import call_command
            from django.db import connection, connections

            call_command("migrate", verbosity=0)
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                row = cursor.fetchone()
                pg_version = row[0] if row else ""
            connections.close_all()  # the writers open their own

            print("Råa hastigheter (SHA-256, Ed25519) …", flush=True)
            primitives = primitive_rates()
            print(f"{args.writers} samtidiga skrivare × {args.per_writer} poster …", flush=True)
            concurrent = append_rate(server.url, str(key_dir), args.writers, args.per_writer)
            print("1 skrivare …", flush=True)
            single = append_rate(server.url, str(key_dir), 1, args.per_writer)
            print("Export och kontroll …", flush=True)
            verification = export_and_verify(tmp)
            checkpoint_every = settings.SAMVERKA["AUDIT_CHECKPOINT_EVERY"]
        finally:
            server.close()

    sha = primitives["sha256_entry_per_s"]
    sha_around = verification["sha256_entry_per_s_around_verification"]
    results = {
        "benchmark": "audit",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # The machine may be shared: a load above the CPU count means others ran too.
            "load_average_1m_at_start": load_at_start,
            "load_average_1m_at_end": os.getloadavg()[0],
            "postgresql": pg_version,
            "postgresql_settings": "throwaway test server: fsync=off, synchronous_commit=off",
        },
        "parameters": {
            "writers": args.writers,
            "entries_per_writer": args.per_writer,
            "checkpoint_every": checkpoint_every,
        },
        "primitives": primitives,
        "append": {
            "concurrent": concurrent,
            "single_writer": single,
            "concurrent_vs_sha256": concurrent["entries_per_s"] / sha,
        },
        "verification": {
            **verification,
            "verify_vs_sha256": verification["verify_entries_per_s"] / sha_around,
            # The most any verifier doing the required hashing and signature checks in
            # Python could reach on this machine.
            "required_crypto_vs_sha256": (
                verification["required_crypto_entries_per_s"] / sha_around
            ),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"Skrivet till {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

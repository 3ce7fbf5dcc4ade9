"""``manage.py audit_export`` / ``audit_proof`` and ``python -m audit.verify``, end to end.

The verifier runs as its own process, once with Django made unimportable, as on an
auditor's machine that has only Python and ``cryptography``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from audit import signing
from audit.models import AuditEvent, Checkpoint
from tests.audit.exports import new_key, populate

BLOCK_DJANGO = (
    "import runpy, sys; sys.modules['django'] = None; "
    "runpy.run_module('audit.verify', run_name='__main__', alter_sys=True)"
)


def verify(*args: str, without_django: bool = False) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, "-c", BLOCK_DJANGO, *args]
        if without_django
        else [sys.executable, "-m", "audit.verify", *args]
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def exported(org: Any, case: Any, tmp_path: Path) -> Path:
    with override_settings(SAMVERKA={"AUDIT_CHECKPOINT_EVERY": 8, "AUDIT_CHECKPOINT_SECONDS": 0}):
        populate(org, case, 30)
    out = io.StringIO()
    path = tmp_path / "export.json"
    call_command("audit_export", out=str(path), stdout=out)
    count = AuditEvent.objects.count()
    assert f"Exporterade {count} poster" in out.getvalue()
    assert not (tmp_path / "export.json.part").exists()
    return path


def test_an_intact_export_verifies_with_a_swedish_summary_without_django(
    exported: Path,
) -> None:
    result = verify(str(exported), without_django=True)
    assert result.returncode == 0, result.stderr
    count = AuditEvent.objects.count()
    assert "Granskningsloggen är oförändrad." in result.stdout
    assert f"1–{count} ({count} st.)" in result.stdout
    assert "den senastes signatur (Ed25519) täcker alla genom kedjan" in result.stdout
    assert signing.current_key_id() in result.stdout
    assert "--public-key" in result.stdout  # reminds the auditor to pin the key
    assert result.stderr == ""


def test_the_export_records_itself_and_ends_in_a_signature(exported: Path) -> None:
    data = json.loads(exported.read_text())
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == "audit.exported"
    assert data["tree_size"] == last.seq == len(data["entries"])
    assert data["checkpoints"][-1]["tree_size"] == last.seq
    assert Checkpoint.objects.count() == len(data["checkpoints"])
    assert data["public_key"]["pem"] == signing.public_key_pem()


def test_a_changed_entry_fails_naming_the_first_broken_position(exported: Path) -> None:
    data = json.loads(exported.read_text())
    data["entries"][11]["actor"] = "someone-else"
    exported.write_text(json.dumps(data))
    result = verify(str(exported))
    assert result.returncode == 1
    assert "Första brottet: post 12." in result.stderr
    assert "Post 12 är ändrad" in result.stderr
    machine = verify(str(exported), "--json")
    assert machine.returncode == 1
    assert json.loads(machine.stdout)["position"] == 12


def test_one_changed_byte_in_the_file_fails_naming_that_entry(exported: Path) -> None:
    raw = exported.read_bytes()
    lines = raw.split(b"\n")
    index = next(i for i, line in enumerate(lines) if b'"seq":7}' in line)
    line = lines[index]
    at = line.index(b'"request_id":"') + len(b'"request_id":"')
    changed = line[:at] + (b"0" if line[at : at + 1] != b"0" else b"1") + line[at + 1 :]
    exported.write_bytes(raw.replace(line, changed, 1))
    result = verify(str(exported), without_django=True)
    assert result.returncode == 1
    assert "Första brottet: post 7." in result.stderr
    assert "Post 7 är ändrad" in result.stderr


def test_a_damaged_file_fails_and_a_missing_one_is_a_usage_error(
    exported: Path, tmp_path: Path
) -> None:
    raw = exported.read_bytes()
    exported.write_bytes(raw[: len(raw) // 2])
    result = verify(str(exported))
    assert result.returncode == 1
    assert "går inte att läsa som JSON" in result.stderr
    exported.write_bytes(raw.replace(b'"audit.exported"', b'"audit.exp\xffrted"'))
    assert verify(str(exported)).returncode == 1
    assert verify(str(tmp_path / "missing.json")).returncode == 2


def test_the_trusted_key_is_pinned_with_public_key(exported: Path, tmp_path: Path) -> None:
    genuine = tmp_path / "genuine.pem"
    call_command("audit_public_key", out=str(genuine), stdout=io.StringIO())
    assert verify(str(exported), "--public-key", str(genuine)).returncode == 0
    other = tmp_path / "other.pem"
    other.write_bytes(
        new_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = verify(str(exported), "--public-key", str(other))
    assert result.returncode == 1
    assert "betrodda nyckeln" in result.stderr


def test_last_months_checkpoint_catches_an_export_cut_back_to_an_older_one(
    exported: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "kontrollpunkt.json"
    assert verify(str(exported), "--save-checkpoint", str(saved)).returncode == 0
    newest = json.loads(saved.read_text())
    data = json.loads(exported.read_text())
    assert newest == data["checkpoints"][-1]
    older = data["checkpoints"][-3]["tree_size"]
    data["entries"] = data["entries"][:older]
    data["checkpoints"] = [c for c in data["checkpoints"] if c["tree_size"] <= older]
    data["tree_size"] = older
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(data))
    assert verify(str(cut)).returncode == 0  # consistent on its own ...
    result = verify(str(cut), "--known-checkpoint", str(saved))
    assert result.returncode == 1  # ... but older than what the auditor saw last time
    assert f"Första brottet: post {older + 1}." in result.stderr
    assert verify(str(exported), "--known-checkpoint", str(saved)).returncode == 0


def test_an_inclusion_proof_shows_one_entry_without_the_log(exported: Path, tmp_path: Path) -> None:
    proof = tmp_path / "proof.json"
    call_command("audit_proof", seq=5, out=str(proof), stdout=io.StringIO())
    result = verify(str(proof), without_django=True)
    assert result.returncode == 0, result.stderr
    assert "Post 5" in result.stdout and "ingår oförändrad" in result.stdout
    document = json.loads(proof.read_text())
    assert "entries" not in document and document["entry"]["seq"] == 5
    document["entry"]["detail"] = {"changed": True}
    proof.write_text(json.dumps(document))
    assert verify(str(proof)).returncode == 1
    # The genuine entry with a path that leads elsewhere is refused too.
    call_command("audit_proof", seq=5, out=str(proof), stdout=io.StringIO())
    document = json.loads(proof.read_text())
    document["audit_path"][0] = "0" * 64
    proof.write_text(json.dumps(document))
    assert verify(str(proof)).returncode == 1


def test_a_consistency_proof_shows_the_log_grew_without_changing(
    exported: Path, tmp_path: Path
) -> None:
    first = Checkpoint.objects.order_by("tree_size").first()
    assert first is not None
    proof = tmp_path / "consistency.json"
    call_command("audit_proof", since=first.tree_size, out=str(proof), stdout=io.StringIO())
    result = verify(str(proof))
    assert result.returncode == 0, result.stderr
    genuine = json.loads(proof.read_text())
    assert genuine["old"]["tree_size"] == first.tree_size
    assert genuine["new"]["tree_size"] == AuditEvent.objects.count()
    document = json.loads(json.dumps(genuine))
    document["old"]["root_hash"] = "1" * 64  # an older head that was not the real one
    proof.write_text(json.dumps(document))
    assert verify(str(proof)).returncode == 1
    document = json.loads(json.dumps(genuine))
    document["proof"][0] = "0" * 64  # signed heads, but a path that does not join them
    proof.write_text(json.dumps(document))
    result = verify(str(proof))
    assert result.returncode == 1
    assert "bygger inte vidare" in result.stderr

"""Key files: where Samverka's secret keys live and how development keys are made.

Layout under the key folder (``SAMVERKA_KEY_DIR``)::

    secret-key              Django's SECRET_KEY (development only)
    kek/<id>.key            key-encryption keys for the identity vault (32 bytes, base64)
    kek/current             the id of the key-encryption key that wraps new data keys
    blind-index.key         HMAC key for the personnummer blind index (32 bytes, base64)
    audit-signing.key       Ed25519 private key (PEM) that signs audit checkpoints

In development the files are generated on first use. In production nothing is generated:
a missing file is an error.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class KeyMissing(RuntimeError):
    pass


def _production() -> bool:
    return os.environ.get("SAMVERKA_ENV", "development") == "production"


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _read_or_create(path: Path, make: bytes) -> bytes:
    if path.exists():
        return path.read_bytes()
    if _production():
        raise KeyMissing(f"Key file {path} is missing.")
    with contextlib.suppress(FileExistsError):  # another process made it first
        _write_secret(path, make)
    return path.read_bytes()


def development_secret_key(key_dir: Path) -> str:
    return _read_or_create(key_dir / "secret-key", secrets.token_urlsafe(50).encode()).decode()


def _b64_key(raw: bytes) -> bytes:
    key = base64.b64decode(raw.strip())
    if len(key) != 32:
        raise KeyMissing("A symmetric key file must hold 32 bytes in base64.")
    return key


def new_symmetric_key() -> bytes:
    return base64.b64encode(secrets.token_bytes(32)) + b"\n"


def key_encryption_keys(key_dir: Path) -> tuple[str, dict[str, bytes]]:
    """The current key id and every known key-encryption key by id."""
    kek_dir = key_dir / "kek"
    current_file = kek_dir / "current"
    if not current_file.exists():
        if _production():
            raise KeyMissing(f"Key file {current_file} is missing.")
        _read_or_create(kek_dir / "k1.key", new_symmetric_key())
        _read_or_create(current_file, b"k1\n")
    current = current_file.read_text().strip()
    keys = {path.stem: _b64_key(path.read_bytes()) for path in kek_dir.glob("*.key")}
    if current not in keys:
        raise KeyMissing(f"The current key-encryption key {current!r} has no key file.")
    return current, keys


def add_key_encryption_key(key_dir: Path) -> str:
    """Create a new key-encryption key and make it current; returns its id."""
    kek_dir = key_dir / "kek"
    kek_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    numbers = [int(p.stem[1:]) for p in kek_dir.glob("k*.key") if p.stem[1:].isdigit()]
    key_id = f"k{max(numbers, default=0) + 1}"
    _write_secret(kek_dir / f"{key_id}.key", new_symmetric_key())
    tmp = kek_dir / "current.tmp"
    tmp.write_text(key_id + "\n")
    tmp.replace(kek_dir / "current")
    return key_id


def blind_index_key(key_dir: Path) -> bytes:
    return _b64_key(_read_or_create(key_dir / "blind-index.key", new_symmetric_key()))


def audit_signing_key(key_dir: Path) -> Ed25519PrivateKey:
    pem = os.environ.get("SAMVERKA_AUDIT_SIGNING_KEY", "").encode()
    if not pem:
        generated = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        pem = _read_or_create(key_dir / "audit-signing.key", generated)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing("The audit signing key must be an Ed25519 key.")
    return key

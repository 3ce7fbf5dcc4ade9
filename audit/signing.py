"""The checkpoint signing key: loaded once from the key file or the environment.

``keystore.audit_signing_key`` reads ``SAMVERKA_AUDIT_SIGNING_KEY`` (PEM) or the file
``audit-signing.key`` in the key folder; development generates the file on first use.
"""

from __future__ import annotations

import base64
import os
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

import keystore
from audit.chain import key_id


@cache
def _private_key(key_dir: str, from_environment: str) -> Ed25519PrivateKey:
    return keystore.audit_signing_key(settings.KEY_DIR)


def private_key() -> Ed25519PrivateKey:
    # Cached per key folder and environment value, so tests that change either get the
    # right key, while a running server reads the key once.
    return _private_key(str(settings.KEY_DIR), os.environ.get("SAMVERKA_AUDIT_SIGNING_KEY", ""))


def raw_public_key() -> bytes:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def current_key_id() -> str:
    return key_id(raw_public_key())


def sign(message: bytes) -> str:
    """The Ed25519 signature of ``message``, base64."""
    return base64.b64encode(private_key().sign(message)).decode()


def public_key_document() -> dict[str, str]:
    """The public key as exported next to the checkpoints it verifies."""
    return {"algorithm": "Ed25519", "key_id": current_key_id(), "pem": public_key_pem()}

"""The identity vault's cryptography: per-case data keys, field encryption, blind index.

Each case has its own 256-bit data key. It is stored only wrapped (AES-256-GCM) by a
key-encryption key named by id, so the key-encryption key can be rotated by rewrapping
data keys without touching any field. Every ciphertext carries associated data naming
its case and field, so a ciphertext copied to another case or field does not decrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

import keystore
from coordination import identity

if TYPE_CHECKING:
    from coordination.models import Case

Blob = bytes | memoryview

NONCE_BYTES = 12
FORMAT_VERSION = b"\x01"


class VaultError(Exception):
    """A ciphertext could not be opened: changed, moved, or its case was erased."""


class CaseErased(VaultError):
    """The case's data key was destroyed (gallring)."""


@cache
def _key_encryption_keys() -> tuple[str, dict[str, bytes]]:
    return keystore.key_encryption_keys(settings.KEY_DIR)


def reload_keys() -> None:
    """Forget cached keys (after rotation, or when tests change the key folder)."""
    _key_encryption_keys.cache_clear()
    _blind_index_key.cache_clear()


def current_kek_id() -> str:
    return _key_encryption_keys()[0]


def _aad(*parts: str) -> bytes:
    return "|".join(parts).encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: Blob, aad: bytes) -> bytes:
    sealed = bytes(sealed)
    if sealed[:1] != FORMAT_VERSION:
        raise VaultError("unknown ciphertext format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag as exc:
        raise VaultError("ciphertext does not authenticate") from exc


def new_wrapped_data_key(case_id: str) -> tuple[bytes, str]:
    """A fresh data key for a case, wrapped by the current key-encryption key."""
    kek_id, keks = _key_encryption_keys()
    data_key = AESGCM.generate_key(bit_length=256)
    return _seal(keks[kek_id], data_key, _aad("data-key", case_id, kek_id)), kek_id


def unwrap_data_key(case_id: str, wrapped: Blob | None, kek_id: str) -> bytes:
    if not wrapped:
        raise CaseErased(case_id)
    _current, keks = _key_encryption_keys()
    if kek_id not in keks:
        raise VaultError(f"key-encryption key {kek_id!r} is not available")
    return _open(keks[kek_id], wrapped, _aad("data-key", case_id, kek_id))


def rewrap_data_key(case_id: str, wrapped: Blob | None, kek_id: str) -> tuple[bytes, str]:
    """The same data key, wrapped by the current key-encryption key."""
    data_key = unwrap_data_key(case_id, wrapped, kek_id)
    new_id, keks = _key_encryption_keys()
    return _seal(keks[new_id], data_key, _aad("data-key", case_id, new_id)), new_id


def encrypt_value(data_key: bytes, case_id: str, field: str, value: Any) -> bytes:
    plaintext = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return _seal(data_key, plaintext, _aad("field", case_id, field))


def decrypt_value(data_key: bytes, case_id: str, field: str, sealed: Blob) -> Any:
    return json.loads(_open(data_key, sealed, _aad("field", case_id, field)))


def case_data_key(case: Case) -> bytes:
    """The case's data key; ``CaseErased`` once the case has been erased."""
    return unwrap_data_key(str(case.id), case.wrapped_data_key, case.data_key_id)


@cache
def _blind_index_key() -> bytes:
    return keystore.blind_index_key(settings.KEY_DIR)


def blind_index(identity_number: str) -> str:
    """HMAC of the normalised number: equal numbers in any format give equal digests."""
    digits = identity.normalise(identity_number)
    return hmac.new(_blind_index_key(), digits.encode(), hashlib.sha256).hexdigest()

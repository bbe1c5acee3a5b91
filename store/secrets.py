"""Secrets kept in the database (webhook signing secrets) sealed with AES-256-GCM.

A minimal stand-in for the keyring of branch `codec` (stack/crypto.py), in the same shapes so one can replace the
other: the key file is `{"keys": [{"id", "key": "<base64 of 32 bytes>", "created_at"}]}` (the last key seals, every
key opens), a sealed value is the printable `v1:<key id>:<base64 of nonce ‖ ciphertext>`, and the associated data
binds a value to its row (a sealed secret copied onto another row does not open).

The key comes from SECRETS_KEY (base64 of 32 bytes; every API and worker process needs the same one) or else the
file DATA_DIR/keys/secret-keys.json, created with one fresh key on first use, readable by its owner only.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class SecretsError(Exception):
    """A key that cannot be read, or a sealed value that does not open under any key."""


class SecretBox:
    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise SecretsError("no key to seal secrets with")
        for key_id, key in keys.items():
            if len(key) != KEY_BYTES:
                raise SecretsError(f"key {key_id} is {len(key)} bytes, not {KEY_BYTES}")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = next(reversed(keys))

    @classmethod
    def from_setting(cls, value: str) -> SecretBox:
        try:
            key = base64.b64decode(value, validate=True)
        except ValueError as exc:
            raise SecretsError("SECRETS_KEY is not base64") from exc
        return cls({"setting": key})

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        if not path.exists():
            _create(path)
        try:
            data = json.loads(path.read_text())
            return cls({str(e["id"]): base64.b64decode(e["key"], validate=True) for e in data["keys"]})
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise SecretsError(f"{path}: not a key file ({{'keys': [{{'id', 'key'}}, ...]}}): {exc}") from exc

    def seal(self, plaintext: str, associated_data: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._keys[self._current].encrypt(nonce, plaintext.encode(), associated_data.encode())
        return f"{PREFIX}:{self._current}:{base64.b64encode(blob).decode()}"

    def unseal(self, sealed: str, associated_data: str) -> str:
        prefix, key_id, encoded = [*sealed.split(":", 2), "", ""][:3]
        cipher = self._keys.get(key_id)
        if prefix != PREFIX or cipher is None:
            raise SecretsError(f"sealed under unknown key {key_id!r}")
        try:
            blob = base64.b64decode(encoded, validate=True)
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data.encode()).decode()
        except (ValueError, InvalidTag) as exc:
            raise SecretsError(f"a value sealed under key {key_id!r} does not open") from exc


def _create(path: Path) -> None:
    """Write a key file with one fresh key; a process that loses the race to create it reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    entry = {
        "id": f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}",
        "key": base64.b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode(),
        "created_at": datetime.now(UTC).isoformat(),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"keys": [entry]}, out)
    try:
        os.link(tmp, path)  # atomic, and fails if another process created the file first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


_boxes: dict[tuple[str, Path], SecretBox] = {}


def secret_box(secrets_key: str, key_file: Path) -> SecretBox:
    """The process's box for these settings (read once)."""
    cache_key = (secrets_key, key_file.resolve())
    box = _boxes.get(cache_key)
    if box is None:
        box = SecretBox.from_setting(secrets_key) if secrets_key else SecretBox.from_file(key_file)
        _boxes[cache_key] = box
    return box

"""AES-256-GCM over a keyring: the newest key encrypts, every key in the ring decrypts, so a key can be rotated
while data sealed under the older ones (running clearances, their histories, stored secrets) stays readable.

The ring is a JSON file, by default DATA_DIR/keys/payload-keys.json (PAYLOAD_KEYS_FILE changes it), created with
one key on first use and readable by its owner only:

    {"keys": [{"id": "20260101T120000-3fa2c1d9", "key": "<base64 of 32 bytes>", "created_at": "..."}, ...]}

`Keyring.encrypt(plaintext, associated_data)` returns the key id and nonce ‖ ciphertext; `decrypt` reverses it.
`seal` / `unseal` do the same into one printable string (`v1:<key id>:<base64>`) for values kept in a database.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # 96-bit random nonce per message, as NIST SP 800-38D recommends for GCM
KEY_BYTES = 32
SEALED_PREFIX = "v1"
RELOAD_CHECK_SECONDS = 5.0  # how soon a running process starts encrypting with a key rotated in by another


class KeyringError(Exception):
    """A ring that cannot be read, a key id not in the ring, or a ciphertext that does not authenticate."""


def _new_key_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def _new_entry() -> dict[str, str]:
    return {
        "id": _new_key_id(),
        "key": base64.b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode(),
        "created_at": datetime.now(UTC).isoformat(),
    }


def _parse(data: Any, source: str) -> list[tuple[str, bytes]]:
    try:
        entries = [(str(e["id"]), base64.b64decode(e["key"], validate=True)) for e in data["keys"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyringError(f"{source}: not a keyring ({{'keys': [{{'id', 'key'}}, ...]}}): {exc}") from exc
    if not entries:
        raise KeyringError(f"{source}: the keyring holds no key")
    for key_id, key in entries:
        if len(key) != KEY_BYTES:
            raise KeyringError(f"{source}: key {key_id} is {len(key)} bytes, not {KEY_BYTES}")
    return entries


@dataclass
class Keyring:
    """Keys in order of creation; the last one encrypts. `path` set: the ring follows its file (see `refresh`)."""

    keys: dict[str, bytes]
    path: Path | None = None
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)
    _mtime: float = field(default=0.0, repr=False)
    _checked: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def generate(cls) -> Keyring:
        """A ring of one fresh key held in memory only (tests, tools)."""
        entry = _new_entry()
        return cls({entry["id"]: base64.b64decode(entry["key"])})

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> Keyring:
        """The ring in `path`, created with one key if it does not exist yet (and `create`)."""
        if not path.exists():
            if not create:
                raise KeyringError(f"{path}: no keyring")
            _create(path)
        ring = cls({}, path=path)
        ring._load()
        return ring

    def save(self, path: Path) -> None:
        """Write the whole ring to `path` (owner-only), e.g. to hand a test's ring to a worker process."""
        now = datetime.now(UTC).isoformat()
        entries = [{"id": k, "key": base64.b64encode(v).decode(), "created_at": now} for k, v in self.keys.items()]
        _write_new(path, {"keys": entries}, replace=True)

    @property
    def current_id(self) -> str:
        self._maybe_reload()
        return next(reversed(self.keys))

    def encrypt(self, plaintext: bytes, associated_data: bytes = b"") -> tuple[str, bytes]:
        key_id = self.current_id
        nonce = os.urandom(NONCE_BYTES)
        return key_id, nonce + self._cipher(key_id).encrypt(nonce, plaintext, associated_data)

    def decrypt(self, key_id: str, blob: bytes, associated_data: bytes = b"") -> bytes:
        if key_id not in self.keys:
            self.refresh()  # another process may have rotated a key in since we read the file
        if key_id not in self.keys:
            raise KeyringError(f"key {key_id!r} is not in the keyring{f' {self.path}' if self.path else ''}")
        try:
            return self._cipher(key_id).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)
        except InvalidTag as exc:
            raise KeyringError(f"ciphertext under key {key_id!r} does not authenticate") from exc

    def seal(self, plaintext: bytes, associated_data: bytes = b"") -> str:
        key_id, blob = self.encrypt(plaintext, associated_data)
        return f"{SEALED_PREFIX}:{key_id}:{base64.b64encode(blob).decode()}"

    def unseal(self, sealed: str, associated_data: bytes = b"") -> bytes:
        prefix, _, rest = sealed.partition(":")
        key_id, _, encoded = rest.partition(":")
        if prefix != SEALED_PREFIX or not key_id or not encoded:
            raise KeyringError("not a sealed value (v1:<key id>:<base64>)")
        return self.decrypt(key_id, base64.b64decode(encoded), associated_data)

    def refresh(self) -> None:
        """Re-read the file if it changed (a rotation by `clearance keys rotate-payload-key`)."""
        if self.path is None:
            return
        with self._lock:
            self._checked = time.monotonic()
            try:
                mtime = self.path.stat().st_mtime
            except OSError:
                return  # keep the keys we have: never lose the ability to decrypt
            if mtime != self._mtime:
                self._load()

    def _maybe_reload(self) -> None:
        if self.path is not None and time.monotonic() - self._checked > RELOAD_CHECK_SECONDS:
            self.refresh()

    def _load(self) -> None:
        assert self.path is not None
        try:
            stat = self.path.stat()
            data = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise KeyringError(f"{self.path}: cannot read the keyring: {exc}") from exc
        entries = _parse(data, str(self.path))
        # Keys only join the ring: a key dropped from the file stays usable for what this process already holds.
        self.keys = {**self.keys, **dict(entries)}
        # ... but the file's newest key is the one that encrypts
        newest, key = entries[-1]
        self.keys.pop(newest)
        self.keys[newest] = key
        self._mtime, self._checked = stat.st_mtime, time.monotonic()

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return cipher


def _write_new(path: Path, data: dict[str, Any], *, replace: bool) -> bool:
    """Write `data` to `path` atomically (owner-only); without `replace`, only if `path` does not exist.
    Returns False when another process created it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)  # fails if it exists: the API and the worker may start at the same instant
        except FileExistsError:
            return False
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _create(path: Path) -> None:
    _write_new(path, {"keys": [_new_entry()]}, replace=False)


def rotate(path: Path) -> str:
    """Add a new key to the ring in `path` (created if missing) and return its id; the new key encrypts from
    now on (running processes pick it up within RELOAD_CHECK_SECONDS), the older ones still decrypt."""
    if not path.exists():
        _create(path)
    data = json.loads(path.read_text())
    _parse(data, str(path))
    entry = _new_entry()
    data["keys"].append(entry)
    _write_new(path, data, replace=True)
    return entry["id"]

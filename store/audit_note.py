"""The log's Ed25519 key and checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint),
and witnesses' cosignatures of them (c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`).

A checkpoint body is `origin\\ntree_size\\nbase64(root_hash)\\n`; the note is the body, a blank line and one
signature line `— <name> base64(key_id ‖ signature)` where key_id is the first 4 bytes of
SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key) and the signature is Ed25519 over the body.

A cosignature line is `— <witness name> base64(key_id ‖ u64 timestamp ‖ signature)` with key_id the first 4 bytes
of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key), the timestamp big-endian POSIX seconds and the signature Ed25519 over
`cosignature/v1\\ntime <timestamp>\\n` followed by the checkpoint body.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"  # the signed-note signature type of Ed25519
COSIGNATURE_V1 = b"\x04"  # the signature type of an Ed25519 cosignature/v1
DASH = "\u2014"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def key_id(name: str, public_key: bytes, kind: bytes = ED25519) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + kind + public_key).digest()[:4]


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    return key_id(name, public_key, COSIGNATURE_V1)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{b64(self.root_hash)}\n"


class NoteError(ValueError):
    """A note that is malformed or carries no valid signature of the expected key."""


@dataclass(frozen=True)
class LogSigner:
    """The administration's log key; `name` is the key name in signature lines (the log's origin)."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return raw_public_key(self.private_key.public_key())

    def sign(self, checkpoint: Checkpoint) -> str:
        body = checkpoint.body()
        signature = self.private_key.sign(body.encode())
        return f"{body}\n{DASH} {self.name} {b64(key_id(self.name, self.public_key) + signature)}\n"


def parse_checkpoint(note: str, name: str, public_key: bytes) -> Checkpoint:
    """The checkpoint of a note signed by (`name`, `public_key`); raises NoteError otherwise."""
    body, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signature lines")
    body += "\n"
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    wanted = key_id(name, public_key)
    for line in signatures.removesuffix("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError(f"malformed signature line {line!r}")
        try:
            blob = unb64(parts[2])
        except ValueError as exc:
            raise NoteError(f"signature of {parts[1]} is not base64") from exc
        if parts[1] != name or blob[:4] != wanted:
            continue  # another signer's line (a witness): not ours to check
        try:
            verifier.verify(blob[4:], body.encode())
        except InvalidSignature as exc:
            raise NoteError(f"the signature of {name} does not verify") from exc
        lines = body.split("\n")
        if len(lines) < 4:
            raise NoteError("a checkpoint has an origin, a tree size and a root hash")
        try:
            return Checkpoint(origin=lines[0], tree_size=int(lines[1]), root_hash=unb64(lines[2]))
        except ValueError as exc:
            raise NoteError("malformed checkpoint body") from exc
    raise NoteError(f"no signature of {name} (key id {wanted.hex()})")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The PEM (PKCS#8) key at `path`, generated on first use. Processes starting together agree on one key:
    the new key is written to a temporary file and linked into place, which fails if another got there first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".log-key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key")
    return key


def load_signer(key_file: Path, origin: str) -> LogSigner:
    return LogSigner(name=origin, private_key=load_or_create_key(key_file))


# --- cosignatures (c2sp.org/tlog-cosignature) ----------------------------------------------------------------


def split_note(note: str) -> tuple[str, list[str]]:
    """The note's body (final newline included) and its signature lines; raises NoteError when malformed."""
    body, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signature lines")
    lines = signatures.removesuffix("\n").split("\n")
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError(f"malformed signature line {line!r}")
    return body + "\n", lines


def signature_parts(line: str) -> tuple[str, bytes]:
    """(key name, decoded key id ‖ signature) of one signature line."""
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != DASH:
        raise NoteError(f"malformed signature line {line!r}")
    try:
        return parts[1], unb64(parts[2])
    except ValueError as exc:
        raise NoteError(f"signature of {parts[1]} is not base64") from exc


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


@dataclass(frozen=True)
class Cosigner:
    """A witness's identity: its name (a schema-less URL) and Ed25519 key."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return raw_public_key(self.private_key.public_key())

    def cosign(self, body: str, timestamp: int) -> str:
        """The cosignature line (without its newline) of a checkpoint body at `timestamp` (POSIX seconds)."""
        signature = self.private_key.sign(_cosigned_message(body, timestamp))
        blob = cosignature_key_id(self.name, self.public_key) + timestamp.to_bytes(8, "big") + signature
        return f"{DASH} {self.name} {b64(blob)}"


def verify_cosignature(line: str, body: str, public_key: bytes) -> tuple[str, int] | None:
    """(witness name, timestamp) when `line` is a valid cosignature/v1 of `body` by `public_key`; None when the
    line is another key's (its key id does not match); raises NoteError when it matches but does not verify."""
    name, blob = signature_parts(line)
    if blob[:4] != cosignature_key_id(name, public_key):
        return None
    if len(blob) != 4 + 8 + 64:
        raise NoteError(f"the cosignature of {name} is not 76 bytes")
    timestamp = int.from_bytes(blob[4:12], "big")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(blob[12:], _cosigned_message(body, timestamp))
    except InvalidSignature as exc:
        raise NoteError(f"the cosignature of {name} does not verify") from exc
    return name, timestamp

"""The keyring behind encrypted history (and any value sealed at rest): AES-GCM that refuses what was altered, a
fresh nonce per message, a file created once by whichever process starts first, and rotation that keeps every
older key decrypting, in this process and in those that read the file before."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from typer.testing import CliRunner

from stack import crypto
from stack.codec import ENCODING, KEY_ID, EncryptionCodec
from stack.crypto import Keyring, KeyringError


def test_sealed_values_open_only_unaltered_and_with_their_associated_data() -> None:
    ring = Keyring.generate()
    sealed = ring.seal(b"whsec_live_4f2a", b"webhook:17")
    assert b"whsec" not in sealed.encode() and sealed.startswith(f"v1:{ring.current_id}:")
    assert ring.unseal(sealed, b"webhook:17") == b"whsec_live_4f2a"
    assert ring.seal(b"whsec_live_4f2a", b"webhook:17") != sealed  # a random nonce each time
    with pytest.raises(KeyringError, match="does not authenticate"):
        ring.unseal(sealed, b"webhook:18")  # moved to another row
    key_id, blob = ring.encrypt(b"declaration", b"")
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(KeyringError, match="does not authenticate"):
        ring.decrypt(key_id, flipped)
    with pytest.raises(KeyringError, match="not in the keyring"):
        Keyring.generate().decrypt(key_id, blob)
    with pytest.raises(KeyringError, match="not a sealed value"):
        ring.unseal("plain text")


def test_the_file_is_created_once_owner_only_and_rotation_keeps_old_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "payload-keys.json"
    api, worker = Keyring.from_file(path), Keyring.from_file(path)  # two processes starting together
    assert api.keys == worker.keys and len(api.keys) == 1
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    old = api.current_id
    sealed_before = api.seal(b"before")

    new = crypto.rotate(path)
    assert [e["id"] for e in json.loads(path.read_text())["keys"]] == [old, new]
    worker.refresh()
    assert worker.current_id == new
    sealed_after = worker.seal(b"after")
    # `api` read the file before the rotation: it learns the new key when it first meets it
    assert api.unseal(sealed_after) == b"after" and api.current_id == new
    assert worker.unseal(sealed_before) == b"before"
    # a key dropped from the file by hand stays usable for what a running process already holds
    path.write_text(json.dumps({"keys": [e for e in json.loads(path.read_text())["keys"] if e["id"] == new]}))
    api.refresh()
    assert api.unseal(sealed_before) == b"before"


def test_a_ring_that_is_not_a_ring_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "payload-keys.json"
    for text, message in [
        ("{", "cannot read"),
        ('{"keys": []}', "holds no key"),
        ('{"keys": [{"id": "a", "key": "c2hvcnQ="}]}', "5 bytes"),
        ('{"keys": [{"id": "a"}]}', "not a keyring"),
    ]:
        path.write_text(text)
        with pytest.raises(KeyringError, match=message):
            Keyring.from_file(path)
    with pytest.raises(KeyringError, match="no keyring"):
        Keyring.from_file(tmp_path / "missing.json", create=False)


def test_codec_seals_whole_payloads_and_passes_plain_ones_through() -> None:
    codec = EncryptionCodec(Keyring.generate())
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"lrn": "DE-EXP-2026-000417"}')
    [sealed] = asyncio.run(codec.encode([plain]))
    assert dict(sealed.metadata) == {"encoding": ENCODING, KEY_ID: codec.keyring.current_id.encode()}
    assert b"DE-EXP" not in sealed.SerializeToString() and b"json/plain" not in sealed.SerializeToString()
    assert asyncio.run(codec.decode([sealed])) == [plain]
    assert asyncio.run(codec.encode([sealed])) == [sealed]  # never sealed twice
    assert asyncio.run(codec.decode([plain])) == [plain]  # recorded before encryption: replays as it was
    with pytest.raises(KeyringError, match=KEY_ID):
        asyncio.run(codec.decode([Payload(metadata={"encoding": ENCODING}, data=sealed.data)]))


def test_rotate_payload_key_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from settings import get_settings
    from stack.cli import app

    path = tmp_path / "ring.json"
    monkeypatch.setenv("PAYLOAD_KEYS_FILE", str(path))
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["keys", "rotate-payload-key"])
        second = CliRunner().invoke(app, ["keys", "rotate-payload-key"])
        path.write_text("not json")
        broken = CliRunner().invoke(app, ["keys", "rotate-payload-key"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert json.loads(second.output)["new_key_id"] != json.loads(first.output)["new_key_id"]
    assert broken.exit_code == 2

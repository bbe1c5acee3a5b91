"""The verifiable audit log end to end: clearances run by the real worker, proofs fetched from the HTTP API and an
evidence bundle exported by `clearance audit export`, checked by a verifier written here from RFC 9162 and the
C2SP signed-note spec with only hashlib and cryptography (none of the project's proof code)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.conftest import Stack
from tests.e2e import (
    CHECKED,
    awaiting,
    completed,
    finish_task,
    licence_body,
    lodge,
    new_licence_reference,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import ROOT, example

pytestmark = pytest.mark.e2e


# --- an independent verifier, from the RFC and the spec ----------------------------------------------------


def h_leaf(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def h_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf_hash: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = h_node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = h_node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def consistent(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not path and first_root == second_root
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = h_node(c, fr), h_node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = h_node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def open_checkpoint(note: str, public_key: bytes) -> tuple[str, int, bytes]:
    """c2sp.org/signed-note: the text up to the blank line is signed; a line `— name base64(keyid ‖ sig)`."""
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    origin = text.split("\n")[0]
    wanted = hashlib.sha256(origin.encode() + b"\n\x01" + public_key).digest()[:4]
    for line in signatures.strip("\n").split("\n"):
        dash, name, sig = line.split(" ")
        blob = base64.b64decode(sig)
        if dash == "\u2014" and name == origin and blob[:4] == wanted:
            Ed25519PublicKey.from_public_bytes(public_key).verify(blob[4:], text.encode())  # raises if forged
            _, size, root = text.split("\n")[:3]
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature of the log's key")


def b64d(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


# --- clearances ------------------------------------------------------------------------------------------


async def released_through_inspection(stack: Stack) -> str:
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")
    await finish_task(stack, "inspector", customs["id"], "compliant", "seals intact", CHECKED)
    await finish_task(stack, "export_control_officer", export_control["id"], "compliant", "matches", CHECKED)
    await wait_for(stack, mrn, awaiting("approval"))
    [approval] = await open_tasks(stack, "supervisor", mrn, "approval")
    await finish_task(stack, "supervisor", approval["id"], "approve", "consistent")
    assert (await wait_for(stack, mrn, completed))["outcome"] == "released"
    return mrn


async def get(stack: Stack, path: str, who: str = "auditor", **params: Any) -> dict[str, Any]:
    response = await stack.http.get(path, params=params, headers=stack.auth(who))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_every_event_of_a_clearance_is_proven_against_the_signed_checkpoint(stack: Stack) -> None:
    first = await lodge(stack, example("green-lane"))
    await wait_for(stack, first["mrn"], completed)
    before = await get(stack, "/v1/audit/checkpoint", who="declarant")  # any principal
    mrn = await released_through_inspection(stack)

    checkpoint = await get(stack, "/v1/audit/checkpoint")
    public_key = base64.b64decode(checkpoint["public_key"])
    origin, size, root = open_checkpoint(checkpoint["note"], public_key)
    assert (origin, size, base64.b64encode(root).decode()) == (
        checkpoint["origin"],
        checkpoint["tree_size"],
        checkpoint["root_hash"],
    )
    trail = (await get(stack, f"/v1/clearances/{mrn}/audit"))["events"]
    kinds = [e["kind"] for e in trail]
    # the chain keeps the order of occurrence: the joint inspection's events before the approval and the outcome;
    # after the release only the exchange with the partner of the destination country (signed at the next checkpoint)
    outcome = kinds.index("outcome")
    assert kinds.index("inspection_scheduled") < outcome
    assert all(k.startswith(("exchange_", "exit_")) for k in kinds[outcome + 1 :]), kinds[outcome + 1 :]
    trail = trail[: outcome + 1]
    assert [e["leaf_index"] for e in trail] == sorted(e["leaf_index"] for e in trail)
    assert trail[-1]["leaf_index"] < size  # the outcome was signed when it was written

    previous: bytes | None = None
    for event in trail:
        proof = await get(stack, "/v1/audit/proof", mrn=mrn, seq=event["seq"])
        leaf = base64.b64decode(proof["leaf"])
        fields = json.loads(leaf)
        assert (fields["mrn"], fields["seq"], fields["kind"], fields["detail"]) == (
            mrn,
            event["seq"],
            event["kind"],
            event["detail"],
        )
        assert proof["leaf_hash"] == event["leaf_hash"] == base64.b64encode(h_leaf(leaf)).decode()
        assert proof["tree_size"] == size and proof["leaf_index"] == event["leaf_index"]
        assert root_from_inclusion(proof["leaf_index"], size, h_leaf(leaf), b64d(proof["proof"])) == root
        assert fields["prev_hash"] == (base64.b64encode(previous).decode() if previous else None)
        previous = h_leaf(leaf)

    # a proof against an older tree, and the newer tree extending it
    old_size = before["tree_size"]
    old = await get(stack, "/v1/audit/proof", mrn=first["mrn"], seq=1, tree_size=old_size)
    assert root_from_inclusion(
        old["leaf_index"], old_size, h_leaf(base64.b64decode(old["leaf"])), b64d(old["proof"])
    ) == base64.b64decode(before["root_hash"])
    extension = await get(stack, "/v1/audit/consistency", who="declarant", **{"from": old_size, "to": size})
    assert consistent(old_size, size, base64.b64decode(before["root_hash"]), root, b64d(extension["proof"]))
    assert not consistent(old_size, size, hashlib.sha256(b"other").digest(), root, b64d(extension["proof"]))


async def test_proof_requests_are_checked(stack: Stack) -> None:
    mrn = (await lodge(stack, example("green-lane")))["mrn"]
    await wait_for(stack, mrn, completed)
    size = (await get(stack, "/v1/audit/checkpoint"))["tree_size"]

    async def status(path: str, who: str | None = "auditor", **params: Any) -> tuple[int, Any]:
        headers = stack.auth(who) if who else {}
        response = await stack.http.get(path, params=params, headers=headers)
        body = response.json()
        return response.status_code, body["errors"][0]["loc"] if response.status_code == 422 else body["detail"]

    assert (await status("/v1/audit/checkpoint", None))[0] == 401
    assert (await status("/v1/audit/proof", "declarant", mrn=mrn, seq=1))[0] == 403
    assert await status("/v1/audit/proof", mrn=mrn, seq="one") == (422, ["query", "seq"])
    assert await status("/v1/audit/proof", mrn="XX", seq=1) == (422, ["query", "mrn"])
    assert await status("/v1/audit/proof", seq=1) == (422, ["query", "mrn"])
    assert (await status("/v1/audit/proof", mrn=mrn, seq=999))[0] == 404
    assert await status("/v1/audit/proof", mrn=mrn, seq=1, tree_size=size + 10_000) == (422, ["query", "tree_size"])
    assert await status("/v1/audit/proof", mrn=mrn, seq=1, tree_size=0) == (422, ["query", "tree_size"])
    assert await status("/v1/audit/proof", mrn=mrn, seq=1, tree_size=1) == (422, ["query", "tree_size"])
    assert await status("/v1/audit/consistency", **{"from": size, "to": size - 1}) == (422, ["query", "from"])
    assert await status("/v1/audit/consistency", **{"from": 1, "to": size + 10_000}) == (422, ["query", "to"])
    assert await status("/v1/audit/consistency", **{"from": 0}) == (422, ["query", "from"])
    assert await status("/v1/audit/consistency", to=size) == (422, ["query", "from"])


async def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command against the stack's database, in a thread: the stack in this process keeps serving
    (and finishing its transactions) while the command runs, as an engine does beside an operator's shell."""
    env = {
        **os.environ,
        "DATABASE_URL": stack.db.url,
        "DATA_DIR": str(stack.settings.data_dir),
        "AUDIT_LOG_ORIGIN": stack.settings.audit_log_origin,
    }
    command = [sys.executable, "-m", "stack.cli", "audit", *args]
    return await asyncio.to_thread(
        subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_an_exported_bundle_verifies_without_the_database(stack: Stack, tmp_path: Path) -> None:
    # to a country without a partner administration: nothing is exchanged after the release, the trail ends there
    body = example("green-lane", country_of_destination="CH")
    body["consignee"]["address"]["country"] = "CH"
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, completed)
    out = tmp_path / "bundle.json"
    exported = await cli(stack, "export", mrn, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    bundle = json.loads(out.read_text())

    public_key = base64.b64decode(bundle["public_key"])
    _, size, root = open_checkpoint(bundle["checkpoint"]["note"], public_key)
    trail = (await get(stack, f"/v1/clearances/{mrn}/audit"))["events"]
    assert [e["seq"] for e in bundle["events"]] == [e["seq"] for e in trail]
    for entry in bundle["events"]:
        leaf = base64.b64decode(entry["leaf"])
        assert json.loads(leaf)["mrn"] == mrn
        assert root_from_inclusion(entry["leaf_index"], size, h_leaf(leaf), b64d(entry["proof"])) == root

    verified = await cli(stack, "verify", "--bundle", str(out), "--public-key", checkpoint_key(stack))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"OK bundle of {mrn}")

    forged = json.loads(out.read_text())
    fields = json.loads(base64.b64decode(forged["events"][-1]["leaf"]))
    fields["detail"]["outcome"] = "referred"
    forged["events"][-1]["leaf"] = base64.b64encode(json.dumps(fields).encode()).decode()
    out.write_text(json.dumps(forged))
    refused = await cli(stack, "verify", "--bundle", str(out))
    assert refused.returncode == 1 and "does not lead to the signed root" in refused.stdout
    with pytest.raises(InvalidSignature):
        note = bundle["checkpoint"]["note"].replace(f"\n{size}\n", f"\n{size + 1}\n")
        open_checkpoint(note, public_key)

    whole = await cli(stack, "verify")  # the stack's whole database against its checkpoints
    assert whole.returncode == 0, whole.stdout + whole.stderr


def checkpoint_key(stack: Stack) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(stack.settings.audit_log_key_path.read_bytes(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()

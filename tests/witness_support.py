"""What the witness tests share: a log's tree recomputed from leaf bytes (to fork it), an independent check of a
cosignature line written from c2sp.org/tlog-cosignature with hashlib and cryptography only, and a forged
checkpoint signed by a log key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from store import audit_merkle as merkle
from store.audit_note import Checkpoint, LogSigner


def tree_nodes(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete subtree of the tree over these leaf bytes, as the log stores them."""
    level = [merkle.leaf_hash(leaf) for leaf in leaves]
    nodes = {(0, i): h for i, h in enumerate(level)}
    depth = 0
    while len(level) > 1:
        level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        depth += 1
        nodes.update({(depth, i): h for i, h in enumerate(level)})
    return nodes


def forked(signer: LogSigner, leaves: list[bytes], old: int) -> tuple[str, list[bytes]]:
    """A checkpoint of the tree over `leaves`, signed with the log's key, and its consistency proof from `old`."""
    nodes = tree_nodes(leaves)
    size = len(leaves)
    root = merkle.range_hash(0, size, nodes)
    proof = merkle.proof_hashes(merkle.consistency_ranges(old, size), nodes) if 0 < old < size else []
    return signer.sign(Checkpoint(origin=signer.name, tree_size=size, root_hash=root)), proof


def check_cosignature(line: str, body: str, name: str, public_key: bytes) -> int:
    """The timestamp of a valid Ed25519 cosignature/v1 line; AssertionError (or InvalidSignature) otherwise."""
    dash, line_name, encoded = line.split(" ")
    assert dash == "\u2014" and line_name == name
    blob = base64.b64decode(encoded, validate=True)
    assert len(blob) == 4 + 8 + 64
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n" + b"\x04" + public_key).digest()[:4]
    timestamp = int.from_bytes(blob[4:12], "big")
    message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + body.encode()
    Ed25519PublicKey.from_public_bytes(public_key).verify(blob[12:], message)
    return timestamp

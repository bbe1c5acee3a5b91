"""RFC 6962 / RFC 9162 Merkle tree hashing: leaf and node hashes, the compact range ("frontier") that appends
leaves and gives the root, inclusion and consistency proofs over stored subtree hashes, and their verification.

Pure functions, no database: `store.audit_log` stores the complete subtrees (`(level, index)` → hash) and asks
this module which ones a proof needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

Hash = bytes
Node = tuple[int, int]  # (level, index): the complete subtree over leaves [index * 2**level, (index + 1) * 2**level)

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> Hash:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


# --- the frontier: complete subtrees covering [0, size), largest first ---------------------------------------


def frontier_nodes(size: int) -> list[Node]:
    """The complete subtrees the binary decomposition of `size` names, left to right."""
    nodes, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def append_leaves(
    size: int, frontier: list[Hash], leaves: Iterable[Hash]
) -> tuple[int, list[Hash], list[tuple[Node, Hash]]]:
    """Append leaf hashes to a tree of `size` whose frontier is `frontier`; returns the new size, the new frontier
    and every complete subtree the appends finished (the leaves themselves included, as level 0)."""
    levels = [level for level, _ in frontier_nodes(size)]
    stack = list(zip(levels, frontier, strict=True))
    created: list[tuple[Node, Hash]] = []
    for leaf in leaves:
        created.append(((0, size), leaf))
        level, value, size = 0, leaf, size + 1
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            value, level = node_hash(left, value), level + 1
            created.append(((level, (size >> level) - 1), value))
        stack.append((level, value))
    return size, [value for _, value in stack], created


def root_from_frontier(frontier: list[Hash]) -> Hash:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for value in reversed(frontier[:-1]):
        root = node_hash(value, root)
    return root


# --- proofs: which stored subtrees they need, then the hashes ------------------------------------------------


def range_nodes(start: int, end: int) -> list[Node]:
    """Complete subtrees whose hashes give MTH(D[start:end]) for a subtree of the RFC 6962 tree."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return [(level, start >> level)]
    k = _split(size)
    return range_nodes(start, start + k) + range_nodes(start + k, end)


def range_hash(start: int, end: int, nodes: Mapping[Node, Hash]) -> Hash:
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return nodes[(level, start >> level)]
    k = _split(size)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, from the leaf's sibling up to the root's child."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return list(reversed(ranges))


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges, in proof order."""
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, new, True
    m = old
    while True:
        if m == end - start:
            if not complete:
                ranges.append((start, end))
            break
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    return list(reversed(ranges))


def nodes_for(ranges: Iterable[tuple[int, int]]) -> set[Node]:
    return {node for start, end in ranges for node in range_nodes(start, end)}


def proof_hashes(ranges: list[tuple[int, int]], nodes: Mapping[Node, Hash]) -> list[Hash]:
    return [range_hash(start, end, nodes) for start, end in ranges]


def prove(ranges: list[tuple[int, int]], fetch: Callable[[set[Node]], Mapping[Node, Hash]]) -> list[Hash]:
    return proof_hashes(ranges, fetch(nodes_for(ranges)))


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------------------------


def verify_inclusion(index: int, size: int, leaf: Hash, proof: list[Hash], root: Hash) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: Hash, new_root: Hash, proof: list[Hash]) -> bool:
    if old > new or old == 0:
        return old == 0 and not proof  # every tree extends the empty one
    if old == new:
        return not proof and old_root == new_root
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root

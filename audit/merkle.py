"""Merkle trees hashed as in RFC 6962 (and RFC 9162 §2.1): tree heads and proofs.

Leaves are hashed as SHA-256(0x00 || leaf bytes), interior nodes as
SHA-256(0x01 || left || right); the tree over n leaves splits at the largest power of two
smaller than n. Every function here takes *leaf hashes* (already hashed with the 0x00
prefix), so callers hash each leaf once.

Only the standard library is used: ``audit.verify`` runs this on an auditor's machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256
from itertools import repeat

EMPTY_ROOT = sha256(b"").digest()

# The digest method of the objects sha256() returns, to map over many of them at once.
_digest = type(sha256()).digest
_join = b"".join


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def leaf_hashes(data: Iterable[bytes]) -> list[bytes]:
    """``leaf_hash`` of each of ``data``, in one pass without a Python call per leaf."""
    return list(map(_digest, map(sha256, map(b"\x00".__add__, data))))


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for the given leaf hashes."""
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier_push(frontier, size, leaf)
    return frontier_root(frontier)


# A frontier is the list of roots of the perfect subtrees that make up a tree of ``size``
# leaves, largest first (one per set bit of ``size``). Appending a leaf and computing the
# tree head from it cost O(log n), which is what lets every audit write keep it current.


def frontier_append(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier after appending ``leaf`` to a tree of ``size`` leaves."""
    stack = list(frontier)
    frontier_push(stack, size, leaf)
    return stack


def frontier_push(frontier: list[bytes], size: int, leaf: bytes) -> None:
    """``frontier_append`` in place, for loops over many leaves (no copy per leaf)."""
    node, n = leaf, size
    while n & 1:
        node = sha256(b"\x01" + frontier.pop() + node).digest()  # node_hash, without a call
        n >>= 1
    frontier.append(node)


def frontier_extend(frontier: list[bytes], size: int, leaves: Sequence[bytes]) -> None:
    """``frontier_push`` of each of ``leaves`` in turn, computed a level at a time.

    The nodes are the same and so is their number; only the loop runs inside ``map`` over
    a whole level rather than once per leaf in Python. At each level the frontier's lowest
    subtree (there is one when ``size`` has that bit set) is the left sibling of the first
    new node; a node left without a sibling at the end of a level joins the frontier.
    """
    nodes = list(leaves)
    left_over: list[bytes] = []  # lowest level first
    n = size
    while nodes:
        if n & 1:
            nodes.insert(0, frontier.pop())
        if len(nodes) & 1:
            left_over.append(nodes.pop())
        # 0x01 || left || right for each pair, one bytes object each (zip reuses its tuple).
        pairs = iter(nodes)
        nodes = list(map(_digest, map(sha256, map(_join, zip(repeat(b"\x01"), pairs, pairs)))))
        n >>= 1
    frontier.extend(reversed(left_over))


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        root = sha256(b"\x01" + subtree + root).digest()  # node_hash, without a call
    return root


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index`` (0-based) in the tree of ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ValueError("index outside the tree")
    return _path(index, leaves)


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves[:k]), tree_root(leaves[k:])]
    return [*_path(m - k, leaves[k:]), tree_root(leaves[:k])]


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The tree head the proof leads to (RFC 9162 §2.1.3.2), or None if it is malformed."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    root = leaf
    for sibling in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            root = node_hash(sibling, root)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            root = node_hash(root, sibling)
        fn >>= 1
        sn >>= 1
    return root if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    return root_from_inclusion_proof(index, size, leaf, proof) == root


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]): shows the tree of the first ``old_size`` leaves is a prefix of this one."""
    if not 0 < old_size <= len(leaves):
        raise ValueError("old size outside the tree")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [tree_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), tree_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), tree_root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does the tree of ``new_size`` leaves extend that of ``old_size``?"""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root

"""RFC 6962 Merkle trees: tree heads, inclusion and consistency proofs."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH written straight from RFC 6962 §2.1, over raw leaf data."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(
        b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])
    ).digest()


def data(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def hashed(leaves: list[bytes]) -> list[bytes]:
    return [merkle.leaf_hash(leaf) for leaf in leaves]


def test_known_tree_heads() -> None:
    # Leaf and node hashing with the RFC's 0x00 / 0x01 prefixes.
    a, b, c = b"a", b"b", b"c"
    la, lb, lc = (hashlib.sha256(b"\x00" + x).digest() for x in (a, b, c))
    assert merkle.tree_root([]) == hashlib.sha256(b"").digest()
    assert merkle.tree_root([la]) == la
    assert merkle.tree_root([la, lb]) == hashlib.sha256(b"\x01" + la + lb).digest()
    ab = hashlib.sha256(b"\x01" + la + lb).digest()
    assert merkle.tree_root([la, lb, lc]) == hashlib.sha256(b"\x01" + ab + lc).digest()


def test_rfc6962_test_vector() -> None:
    # The eight-leaf tree of the certificate-transparency reference tests
    # (certificate-transparency-go merkletree tests, RFC 6962 data set).
    leaves = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    assert (
        merkle.tree_root(hashed(leaves)).hex()
        == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )
    expected = {
        1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    }
    for size, root in expected.items():
        assert merkle.tree_root(hashed(leaves[:size])).hex() == root


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=70))
def test_frontier_root_equals_the_recursive_definition(n: int) -> None:
    leaves = data(n)
    frontier: list[bytes] = []
    for size, leaf in enumerate(hashed(leaves)):
        frontier = merkle.frontier_append(frontier, size, leaf)
        assert len(frontier) == (size + 1).bit_count()
    assert merkle.frontier_root(frontier) == reference_root(leaves)
    assert merkle.tree_root(hashed(leaves)) == reference_root(leaves)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_every_inclusion_proof_verifies_and_no_other_leaf_or_position_does(
    draw: st.DataObject,
) -> None:
    n = draw.draw(st.integers(min_value=1, max_value=40))
    index = draw.draw(st.integers(min_value=0, max_value=n - 1))
    leaves = hashed(data(n))
    root = merkle.tree_root(leaves)
    proof = merkle.inclusion_proof(leaves, index)
    assert merkle.verify_inclusion(index, n, leaves[index], proof, root)
    assert not merkle.verify_inclusion(index, n, merkle.leaf_hash(b"forged"), proof, root)
    if n > 1:
        other = (index + 1) % n
        assert not merkle.verify_inclusion(other, n, leaves[index], proof, root)
    # The proof does not lead to the head of a longer tree (the signed size and root go
    # together: a path alone does not pin the size, the signature does).
    longer = merkle.tree_root([*leaves, merkle.leaf_hash(b"later")])
    assert not merkle.verify_inclusion(index, n + 1, leaves[index], proof, longer)
    if proof:
        assert not merkle.verify_inclusion(index, n, leaves[index], proof[:-1], root)
        bent = [*proof[:-1], merkle.leaf_hash(b"x")]
        assert not merkle.verify_inclusion(index, n, leaves[index], bent, root)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_consistency_proofs_hold_for_prefixes_and_fail_for_changed_history(
    draw: st.DataObject,
) -> None:
    n = draw.draw(st.integers(min_value=1, max_value=40))
    m = draw.draw(st.integers(min_value=1, max_value=n))
    leaves = hashed(data(n))
    old_root, new_root = merkle.tree_root(leaves[:m]), merkle.tree_root(leaves)
    proof = merkle.consistency_proof(leaves, m)
    assert merkle.verify_consistency(m, n, old_root, new_root, proof)
    # The same new tree does not extend an old tree with a changed entry.
    changed = draw.draw(st.integers(min_value=0, max_value=m - 1))
    forged_old = list(leaves[:m])
    forged_old[changed] = merkle.leaf_hash(b"rewritten")
    assert not merkle.verify_consistency(m, n, merkle.tree_root(forged_old), new_root, proof)
    if m < n:
        assert not merkle.verify_consistency(m, n, old_root, merkle.leaf_hash(b"x"), proof)
        assert not merkle.verify_consistency(m, n, old_root, new_root, [])


def test_proof_arguments_outside_the_tree_are_refused() -> None:
    leaves = hashed(data(4))
    for bad_index in (-1, 4):
        try:
            merkle.inclusion_proof(leaves, bad_index)
        except ValueError:
            pass
        else:
            raise AssertionError("an index outside the tree gave a proof")
    assert merkle.root_from_inclusion_proof(4, 4, leaves[0], []) is None
    assert not merkle.verify_consistency(0, 4, b"", merkle.tree_root(leaves), [])
    assert not merkle.verify_consistency(5, 4, b"", merkle.tree_root(leaves), [])


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=0, max_value=70), st.integers(min_value=0, max_value=70))
def test_extending_a_frontier_by_many_leaves_equals_pushing_them_one_by_one(
    size: int, more: int
) -> None:
    leaves = hashed(data(size + more))
    assert merkle.leaf_hashes(data(size + more)) == leaves
    pushed: list[bytes] = []
    for index, leaf in enumerate(leaves):
        merkle.frontier_push(pushed, index, leaf)
    extended: list[bytes] = []
    merkle.frontier_extend(extended, 0, leaves[:size])
    merkle.frontier_extend(extended, size, leaves[size:])
    assert extended == pushed
    assert merkle.frontier_root(extended) == reference_root(data(size + more))

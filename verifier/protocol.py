"""The zkpor/1 commitments: domain tags, limb packing, leaf, node and accumulator hashes.

These functions are the native (out-of-circuit) twin of the batch circuit in
``publisher.snark.circuit``; both must agree bit for bit. Every packing here is injective
in the field because the limbs of one element add up to fewer than 253 bits.
"""

from collections.abc import Sequence
from hashlib import sha256

from verifier.field import R
from verifier.poseidon import poseidon

FORMAT = "zkpor/1"

# Domain tags: the first input of every hash, so a leaf can never be read as a node.
TAG_ID = 1
TAG_LEAF = 2
TAG_NODE = 3
TAG_ACC = 4

BALANCE_BITS = 64
BALANCES_PER_ELEMENT = 3
TOTAL_BITS = 96
TOTALS_PER_ELEMENT = 2
#: Poseidon takes at most 16 inputs: the leaf has a tag and the id commitment besides
#: the packed balances, the accumulator a tag and the blind besides the packed totals.
MAX_HASH_INPUTS = 16
MAX_ASSETS = min(
    (MAX_HASH_INPUTS - 2) * BALANCES_PER_ELEMENT, (MAX_HASH_INPUTS - 2) * TOTALS_PER_ELEMENT
)


def _pack(values: Sequence[int], per_element: int, bits: int) -> list[int]:
    """Return ``values`` packed ``per_element`` to a field element, little-endian limbs."""
    packed = []
    for start in range(0, len(values), per_element):
        element = 0
        for position, value in enumerate(values[start : start + per_element]):
            if not 0 <= value < 1 << bits:
                raise ValueError(f"limb {start + position} = {value} does not fit {bits} bits")
            element += value << (bits * position)
        packed.append(element)
    return packed


def pack_balances(balances: Sequence[int]) -> list[int]:
    """Return the balances packed three 64-bit limbs per element."""
    return _pack(balances, BALANCES_PER_ELEMENT, BALANCE_BITS)


def pack_totals(totals: Sequence[int]) -> list[int]:
    """Return the cumulative totals packed two 96-bit limbs per element."""
    return _pack(totals, TOTALS_PER_ELEMENT, TOTAL_BITS)


def user_id_to_field(user_id: str) -> int:
    """Return ``uid``: the sha256 of the UTF-8 user id, reduced mod r."""
    return int.from_bytes(sha256(user_id.encode("utf-8")).digest(), "big") % R


def id_commitment(uid: int, salt: int) -> int:
    """Return ``idc = H(ID, uid, salt)``, which hides the user id behind the salt."""
    return poseidon([TAG_ID, uid, salt])


def leaf_hash(idc: int, balances: Sequence[int]) -> int:
    """Return ``H(LEAF, idc, p_1..p_m)`` for one account."""
    return poseidon([TAG_LEAF, idc, *pack_balances(balances)])


def node_hash(children: Sequence[int]) -> int:
    """Return ``H(NODE, c_1..c_k)``."""
    return poseidon([TAG_NODE, *children])


def accumulator(totals: Sequence[int], blind: int) -> int:
    """Return ``H(ACC, q_1..q_n, blind)``: a hiding commitment to cumulative totals."""
    return poseidon([TAG_ACC, *pack_totals(totals), blind])


def initial_accumulator(n_assets: int) -> int:
    """Return ``acc_0 = H(ACC, 0..0, 0)``, where every accumulator chain starts."""
    return accumulator([0] * n_assets, 0)


def subtree_root(leaves: Sequence[int], arity: int) -> int:
    """Return the root of the complete arity-``k`` tree over ``leaves`` (k^d of them)."""
    level = list(leaves)
    while len(level) > 1:
        if len(level) % arity:
            raise ValueError(f"{len(level)} nodes is not a multiple of the arity {arity}")
        level = [node_hash(level[i : i + arity]) for i in range(0, len(level), arity)]
    return level[0]


def top_depth_for(batches: int, arity: int) -> int:
    """Return ``d_t``: the fewest levels of arity ``k`` above ``batches`` batch roots."""
    depth = 0
    while arity**depth < batches:
        depth += 1
    return depth


def top_levels(batch_roots: Sequence[int], arity: int, top_depth: int) -> list[list[int]]:
    """Return the public top of the tree, from the ``k^d_t`` batch slots up to ``[root]``.

    Slots with no batch hold 0 (docs/protocol.md §5.5).
    """
    width = arity**top_depth
    if len(batch_roots) > width:
        raise ValueError(f"{len(batch_roots)} batches do not fit {width} slots")
    levels = [list(batch_roots) + [0] * (width - len(batch_roots))]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i : i + arity]) for i in range(0, len(below), arity)])
    return levels

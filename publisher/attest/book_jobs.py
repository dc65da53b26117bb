"""zkpor/2 jobs: the per-batch work a worker process (or Dask worker) does.

Phase 1 (``run_leaves_job``) hashes the leaves of some consecutive batches of one shape
and returns each batch's subtree levels; phase 2 (``run_prove_job``) proves one batch with
the challenges ``β, γ``. A job carries only its own leaves (user id, entries, salt), the
registry's tier tables and the batch's mask, plus the absolute path of the proving key,
which each worker process loads once (``publisher.attest.jobs``). ``ShapeRun`` is the
coordinator's state of one shape through the run; ``place`` draws its random placement.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.attest.book_shapes import BookShape, Placed
from publisher.attest.bundles import subtree_levels
from publisher.attest.jobs import _proving_key
from publisher.attest.pipeline import SALT_BITS
from publisher.snark.batch2 import Batch2Input, batch2_witness, build_batch2
from publisher.snark.keys import Keys
from publisher.snark.prove import prove
from verifier import book, protocol
from verifier.book import Entry, TierTable
from verifier.field import R

# -- phase 1 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One leaf of a shape's tree: an account (user id, entries) or padding (None, ())."""

    user_id: str | None
    entries: tuple[Entry, ...]
    salt: int


def _id_commitment(leaf: Leaf) -> int:
    uid = 0 if leaf.user_id is None else protocol.user_id_to_field(leaf.user_id)
    return protocol.id_commitment(uid, leaf.salt)


@dataclass(frozen=True)
class LeavesJob:
    """Phase 1 of some consecutive batches of one shape: their subtree levels."""

    shape_index: int
    first_batch: int
    slots: int
    arity: int
    batch_size: int
    leaves: tuple[Leaf, ...]


def run_leaves_job(job: LeavesJob) -> tuple[int, int, list[list[list[int]]]]:
    """Return (shape index, first batch, subtree levels of each batch): runs in a worker."""
    hashes = [book.leaf2_hash(_id_commitment(leaf), leaf.entries, job.slots) for leaf in job.leaves]
    size = job.batch_size
    levels = [
        subtree_levels(hashes[start : start + size], job.arity)
        for start in range(0, len(hashes), size)
    ]
    return job.shape_index, job.first_batch, levels


@dataclass
class ShapeRun:
    """One used shape through the run: placement, secrets, then proofs."""

    shape: BookShape
    keys: Keys
    leaves: list[Leaf]
    masks: list[int]
    #: Per batch, its subtree levels (leaf hashes first, root last).
    levels: list[list[list[int]]] = field(default_factory=list)
    top: list[list[int]] = field(default_factory=list)
    commitments: list[int] = field(default_factory=list)
    #: Per batch, (public outputs [root, c, s], snarkjs proof JSON).
    proofs: list[tuple[tuple[int, int, int], dict[str, Any]]] = field(default_factory=list)

    @property
    def batches(self) -> int:
        return len(self.masks)

    @property
    def roots(self) -> list[int]:
        return [levels[-1][0] for levels in self.levels]

    @property
    def top_depth(self) -> int:
        return protocol.top_depth_for(self.batches, self.shape.arity)

    @property
    def root(self) -> int:
        return self.top[-1][0]

    def batch_leaves(self, j: int) -> list[Leaf]:
        size = self.shape.batch_size
        return self.leaves[j * size : (j + 1) * size]


def place(placed: Placed, keys: Keys) -> ShapeRun:
    """Return the shape's random placement: its accounts and padding on ``N · B`` leaves
    in a uniformly random order, a fresh salt per leaf, a fresh mask per batch."""
    shape = placed.shape
    batches = -(-len(placed.accounts) // shape.batch_size)
    leaves = [Leaf(a.account, a.entries, secrets.randbits(SALT_BITS)) for a in placed.accounts]
    leaves += [
        Leaf(None, (), secrets.randbits(SALT_BITS))
        for _ in range(batches * shape.batch_size - len(leaves))
    ]
    secrets.SystemRandom().shuffle(leaves)
    masks = [secrets.randbelow(R) for _ in range(batches)]
    return ShapeRun(shape, keys, leaves, masks)


# -- phase 2 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProveJob:
    """Phase 2 of one batch: everything one worker needs to prove it."""

    shape_index: int
    batch: int
    shape: BookShape
    key_path: str
    leaves: tuple[Leaf, ...]
    tables: tuple[TierTable, ...]
    beta: int
    gamma: int
    mask: int


def batch_input(
    leaves: Sequence[Leaf], tables: Sequence[TierTable], beta: int, gamma: int, mask: int
) -> Batch2Input:
    """Return the circuit's input of one batch."""
    return Batch2Input(
        id_commitments=[_id_commitment(leaf) for leaf in leaves],
        accounts=[list(leaf.entries) for leaf in leaves],
        registry=list(tables),
        beta=beta,
        gamma=gamma,
        mask=mask,
    )


def run_prove_job(job: ProveJob) -> tuple[int, int, tuple[int, int, int], dict[str, Any]]:
    """Return (shape index, batch, [root, c, s], proof JSON): runs in a worker."""
    shape = job.shape.batch2()
    data = batch_input(job.leaves, job.tables, job.beta, job.gamma, job.mask)
    cs = build_batch2(shape).cs
    witness = batch2_witness(shape, data)
    proof = prove(_proving_key(job.key_path), cs, witness)
    root, c, s = witness[1 : 1 + book.PUBLIC_BETA]
    return job.shape_index, job.batch, (root, c, s), proof.to_json()


def public_vector(
    outputs: Sequence[int], beta: int, gamma: int, registry_part: Sequence[int]
) -> list[int]:
    """Return a batch proof's full public inputs: ``[root, c, s, β, γ, *registry]``."""
    return [*outputs, beta % R, gamma % R, *registry_part]


#: (shape index, batch) -> (public outputs [root, c, s], proof JSON).
Found = dict[tuple[int, int], tuple[tuple[int, int, int], dict[str, Any]]]

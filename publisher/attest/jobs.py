"""One batch as a self-contained job, run by any ``concurrent.futures.Executor`` worker.

A job carries only what its batch needs (its accounts, salts, incoming totals and the two
blinds) plus the path of the proving key, so memory per worker is bounded by one batch
and the same job runs in a local process pool or on a Dask worker. Each worker process
loads the proving key once and keeps it: on the native backend straight into the kernels'
form (``PackedKey``, about 12x smaller in memory than a ``ProvingKey``).

The key path is made absolute where the job is made, so that a worker with another working
directory (a Dask worker) reads the same file; a worker that cannot read it fails the job
with a ``ClusterError`` naming the worker and the path (``publisher.attest.workers``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from publisher.attest.bundles import subtree_levels
from publisher.attest.workers import this_worker, unreadable_key
from publisher.snark import backend
from publisher.snark.circuit import (
    BatchWitnessInput,
    CircuitShape,
    batch_witness,
    build_batch_circuit,
)
from publisher.snark.keys import ProvingKey
from publisher.snark.native import PackedKey
from publisher.snark.prove import prove
from verifier import protocol


@dataclass(frozen=True)
class BatchJob:
    """Everything one worker needs to prove batch ``index``."""

    index: int
    shape: CircuitShape
    key_path: str
    #: Per leaf: the user id, or None for a padding leaf (uid 0).
    user_ids: Sequence[str | None]
    salts: Sequence[int]
    balances: Sequence[Sequence[int]]
    totals_in: Sequence[int]
    blind_in: int
    blind_out: int

    def __post_init__(self) -> None:
        # where the job is made (a job unpickled on a worker keeps it as it is)
        object.__setattr__(self, "key_path", os.path.abspath(self.key_path))


@dataclass(frozen=True)
class BatchResult:
    """A proven batch: public inputs ``[root, acc_in, acc_out]``, the proof as snarkjs JSON,
    and every level of its subtree, leaf hashes first, root last (kept privately, for the
    per-user inclusion paths: made here, in parallel, not by the coordinator)."""

    index: int
    public: tuple[int, ...]
    proof: dict[str, Any]
    levels: tuple[tuple[int, ...], ...]


def _proving_key(path: str) -> ProvingKey | PackedKey:
    """Return the proving key at ``path`` for the backend in use, read once per process."""
    packed = backend.native() is not None
    try:
        return _load_key(path, packed)
    except OSError as exc:
        raise unreadable_key(path, {this_worker(): exc.strerror or str(exc)}) from exc


@lru_cache(maxsize=2)
def _load_key(path: str, packed: bool) -> ProvingKey | PackedKey:
    return PackedKey.load(Path(path)) if packed else ProvingKey.load(Path(path))


def id_commitments(user_ids: Sequence[str | None], salts: Sequence[int]) -> list[int]:
    """Return ``H(ID, uid, salt)`` per leaf; padding leaves use uid 0."""
    return [
        protocol.id_commitment(0 if uid is None else protocol.user_id_to_field(uid), salt)
        for uid, salt in zip(user_ids, salts, strict=True)
    ]


def run_batch_job(job: BatchJob) -> BatchResult:
    """Return the proof of one batch (runs in a worker)."""
    idc = id_commitments(job.user_ids, job.salts)
    data = BatchWitnessInput(idc, job.balances, job.totals_in, job.blind_in, job.blind_out)
    cs = build_batch_circuit(job.shape)
    witness = batch_witness(job.shape, data)
    proof = prove(_proving_key(job.key_path), cs, witness)
    leaves = [protocol.leaf_hash(i, b) for i, b in zip(idc, job.balances, strict=True)]
    levels = tuple(map(tuple, subtree_levels(leaves, job.shape.arity)))
    return BatchResult(job.index, tuple(witness[1 : 1 + cs.n_public]), proof.to_json(), levels)

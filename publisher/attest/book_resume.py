"""Resuming a zkpor/2 run: its plan and its checkpoints, in ``--private``.

The plan (``book-leaves.csv``: each shape's leaves, user and salt; ``book-plan.json``: the
masks and seeds, written last, so that it marks the plan complete) is saved before the
first proof and reused by a rerun on the same inputs (their sha256), so phase 1 and the
challenges come out the same. Each proven batch is checkpointed in ``book-batches/`` and
reused only if its outputs are phase 1's and its proof verifies under this run's key. A
rerun after the final rename finds the published manifest (its mask sum, a secret until
then, is the plan's) and returns it. Everything here is secret: never publish it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.attest.book_jobs import Found, Leaf, ShapeRun, public_vector
from publisher.attest.book_publish import ProvenBook
from publisher.attest.book_shapes import BookShape, Placed
from publisher.attest.pipeline import CODES, STAGE_CHECKPOINTS, StageProgress, _no_stage
from publisher.errors import PipelineError
from publisher.files import atomic_writer, write_atomic
from publisher.snark.keys import Keys
from verifier import book
from verifier.book import TierTable
from verifier.errors import ZkporError
from verifier.field import R
from verifier.groth16 import Proof, verify_many
from verifier.manifest import MANIFEST
from verifier.manifest2 import Manifest2
from verifier.reserves import shortfalls

# -- resuming: the plan and the checkpoints ---------------------------------------------------

PLAN2 = "book-plan.json"
LEAVES2 = "book-leaves.csv"
CHECKPOINTS2 = "book-batches"


@dataclass(frozen=True)
class BookPlan:
    """The secrets of a run besides the placement, salts and masks (in its ``ShapeRun``s)."""

    inputs_sha256: str
    #: Key of the per-run code PRF (``derived_code``) when no code secret is given.
    code_seed: bytes
    #: Seed of the bundles' run salt and dummy records.
    bundle_seed: bytes


def save_book_plan(private: Path, plan: BookPlan, runs: Sequence[ShapeRun]) -> None:
    """Write the plan to ``private``: the leaves first, ``book-plan.json`` (which marks the
    plan complete) last."""
    with atomic_writer(private / LEAVES2) as out:
        out.write(b"slots,leaf,user_id,salt\n")
        for run in runs:
            for i, leaf in enumerate(run.leaves):
                user = "" if leaf.user_id is None else json.dumps(leaf.user_id, ensure_ascii=False)
                out.write(f"{run.shape.slots},{i},{user},{leaf.salt:x}\n".encode())
    meta = {
        "inputs_sha256": plan.inputs_sha256,
        "code_seed": plan.code_seed.hex(),
        "bundle_seed": plan.bundle_seed.hex(),
        "shapes": [
            {"circuit_id": run.shape.circuit_id, "masks": [str(m) for m in run.masks]}
            for run in runs
        ],
    }
    write_atomic(private / PLAN2, json.dumps(meta).encode())


def load_book_plan(
    private: Path, digest: str, used: Sequence[Placed], keys: Sequence[Keys]
) -> tuple[BookPlan, list[ShapeRun]] | None:
    """Return the plan saved in ``private`` for these inputs and its runs, None if there
    is none; ``PipelineError`` if it is for other inputs or does not place every account
    of each shape exactly once."""
    if not (private / PLAN2).exists():
        return None
    try:
        return _read_book_plan(private, digest, used, keys)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # not the exception's text: it could quote a salt or an account id
        raise PipelineError(
            f"the plan in {private} is damaged ({type(exc).__name__}); "
            "use a fresh --private directory"
        ) from exc


def _read_book_plan(
    private: Path, digest: str, used: Sequence[Placed], keys: Sequence[Keys]
) -> tuple[BookPlan, list[ShapeRun]]:
    meta = json.loads((private / PLAN2).read_text())
    if meta["inputs_sha256"] != digest:
        raise PipelineError(
            f"{private} holds a run for other inputs; use a fresh --private directory"
        )
    if [s["circuit_id"] for s in meta["shapes"]] != [p.shape.circuit_id for p in used]:
        raise PipelineError(f"{private / PLAN2} is for other shapes")
    plan = BookPlan(digest, bytes.fromhex(meta["code_seed"]), bytes.fromhex(meta["bundle_seed"]))
    by_slots = {p.shape.slots: i for i, p in enumerate(used)}
    leaves: list[list[Leaf]] = [[] for _ in used]
    path = private / LEAVES2
    with path.open(encoding="utf-8") as rows:
        next(rows)
        for row in rows:
            slots, leaf, rest = row.split(",", 2)
            user, salt = rest.rsplit(",", 1)
            index = by_slots.get(int(slots))
            if index is None or int(leaf) != len(leaves[index]):
                raise PipelineError(f"{path}: leaf {leaf} of shape {slots} is out of place")
            user_id = json.loads(user) if user else None
            if not (user_id is None or isinstance(user_id, str)):
                raise PipelineError(f"{path}: leaf {leaf} of shape {slots} has no user id")
            leaves[index].append(Leaf(user_id, (), int(salt, 16)))
    runs = []
    for placed, k, shape_leaves, shape_meta in zip(used, keys, leaves, meta["shapes"], strict=True):
        accounts = {a.account: a.entries for a in placed.accounts}
        masks = [int(m) for m in shape_meta["masks"]]
        placed_ids = [leaf.user_id for leaf in shape_leaves if leaf.user_id is not None]
        if (
            len(shape_leaves) != len(masks) * placed.shape.batch_size
            or sorted(placed_ids) != sorted(accounts)
            or len(masks) != -(-len(accounts) // placed.shape.batch_size)
        ):
            raise PipelineError(f"{path} does not place every account of the snapshot once")
        filled = [
            leaf if leaf.user_id is None else Leaf(leaf.user_id, accounts[leaf.user_id], leaf.salt)
            for leaf in shape_leaves
        ]
        runs.append(ShapeRun(placed.shape, k, filled, masks))
    return plan, runs


def _checkpoint(private: Path, run: ShapeRun, j: int) -> Path:
    return private / CHECKPOINTS2 / f"{run.shape.circuit_id}-{j:06d}.json"


def save_book_checkpoint(
    private: Path, run: ShapeRun, j: int, outputs: tuple[int, int, int], proof: dict[str, Any]
) -> None:
    """Record a proven batch, so that an interrupted run resumes after it."""
    doc = {"public": [str(v) for v in outputs], "proof": proof}
    write_atomic(_checkpoint(private, run, j), json.dumps(doc).encode())


def load_book_checkpoints(
    private: Path,
    runs: Sequence[ShapeRun],
    tables: Sequence[TierTable],
    beta: int,
    gamma: int,
    stage: StageProgress = _no_stage,
) -> Found:
    """Return the checkpoints of earlier runs of this plan that still hold: outputs equal
    to phase 1's (root, commitment, masked total) and a proof that verifies under this
    run's key; delete any other."""
    found: Found = {}
    total = sum(run.batches for run in runs)
    done = 0
    for index, run in enumerate(runs):
        registry_part = book.registry_public_inputs(tables, run.shape.tiers)
        roots = run.roots
        for j in range(run.batches):
            stage(STAGE_CHECKPOINTS, done, total)
            done += 1
            path = _checkpoint(private, run, j)
            if not path.exists():
                continue
            try:
                doc = json.loads(path.read_text())
                outputs = tuple(int(v) for v in doc["public"])
                proof = doc["proof"]
                entries = [e for leaf in run.batch_leaves(j) for e in leaf.entries]
                expected = (
                    roots[j],
                    run.commitments[j],
                    book.batch_total(entries, beta, gamma, run.masks[j]),
                )
                if outputs != expected:
                    raise ValueError("other outputs")
                public = public_vector(outputs, beta, gamma, registry_part)
                verify_many(run.keys.verifying_key, [(public, Proof.from_json(proof))])
            except (ValueError, KeyError, TypeError, ZkporError):
                path.unlink()
                continue
            found[index, j] = (expected, proof)
    stage(STAGE_CHECKPOINTS, total, total)
    return found


def published_book(out: Path, private: Path, digest: str) -> ProvenBook | None:
    """Return what a run of this plan published in ``out`` (killed after its final
    rename), None if ``out`` is anything else.

    ``out`` appears whole or not at all; a readable manifest whose mask sum is the
    plan's (a secret until that rename: a sum of uniform field elements) was written by a
    run of this plan, codes first.
    """
    try:
        meta = json.loads((private / PLAN2).read_text())
        manifest = Manifest2.from_json(json.loads((out / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, ZkporError):
        return None
    masks = sum(int(m) for s in meta["shapes"] for m in s["masks"]) % R
    if (
        meta.get("inputs_sha256") != digest
        or manifest.mask_sum != masks
        or not (private / CODES).exists()
    ):
        return None
    registry = manifest.registry
    shapes = tuple(
        BookShape(len(registry.assets), registry.tiers, s.slots, s.arity, s.batch_depth)
        for s in manifest.shapes
    )
    reserves = any(a.reserves is not None for a in manifest.assets)
    under = shortfalls(manifest.reserves_view().assets) if reserves else []
    return ProvenBook(manifest, shapes, tuple(under))


def _remove_book_temporaries(private: Path) -> None:
    """Delete the temporary files of atomic writes a kill interrupted in ``private``."""
    for folder in (private, private / CHECKPOINTS2):
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)

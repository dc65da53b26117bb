"""``zkpor prove --registry``: a zkpor/2 book -> shapes -> two-phase proofs -> directory.

The zkpor/2 attestation (docs/protocol.md §16, docs/zkpor2-design.md) proves an
exchange's *book*: per account and asset an equity and a debt, priced by a registry with
tiered collateral, every account collateralised. The run:

1. **shapes**: each account goes to the smallest configured shape (``Config2.shapes``)
   with at least as many slots ``K`` as it holds assets; shapes holding no account are
   left out. An account holding more assets than the largest shape is refused, with its
   file and line, as an under-collateralised one is (``Snapshot2.check_collateral``),
   before anything is proven.
2. **phase 1** (natively, leaves hashed on the executor): per shape, the accounts and
   empty padding accounts (no entries, uid 0) are placed uniformly at random on
   ``N_K · B`` leaves, each with a fresh salt; leaves ``verifier.book.leaf2_hash``, batch
   subtrees, the top levels and root (zkpor/1 §5.5); per batch a uniform mask ``m_j`` and
   ``c_j = mask_commitment(root_j, m_j)``; the per-asset totals ``E_a``, ``D_a`` and
   ``M = Σ m_j``. Then ``(β, γ) = verifier.book.challenges(...)``: they depend on every
   root, commitment and total, fixed before.
3. **phase 2**: every batch proven (``publisher.snark.batch2``) on the executor with
   those ``β, γ``; each proof is checked against its shape's verifying key, and its
   public outputs against phase 1, before anything is written.
4. **write**: the public files in a temporary sibling of ``out``, renamed into place
   (``pipeline._staging``: ``out`` is complete or absent); the codes to
   ``PRIVATE/codes.csv`` first.

Secrets (salts, masks, placement, codes) never reach ``out``: they stay in ``--private``.
With ``digest`` the run resumes as zkpor/1's does (``book_resume``: the plan saved before
any proof, each batch checkpointed).

The steps live in their own modules: ``book_shapes`` (shapes, registry tables, keys),
``book_jobs`` (what the workers run), ``book_resume`` (plan and checkpoints),
``book_publish`` (the directory); this module runs them. Memory: the accounts' entries,
every leaf and every batch subtree are held in memory (about a kilobyte per account in
Python objects): fine for books of up to a few million accounts.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from publisher.attest.book_jobs import (
    Found,
    Leaf,
    LeavesJob,
    ProveJob,
    ShapeRun,
    batch_input,
    place,
    public_vector,
    run_leaves_job,
    run_prove_job,
)
from publisher.attest.book_publish import (
    ProvenBook,
    book_entries,
    setup_statement,
    shape_files,
    write_book,
)
from publisher.attest.book_resume import (
    CHECKPOINTS2,
    LEAVES2,
    PLAN2,
    BookPlan,
    _remove_book_temporaries,
    load_book_checkpoints,
    load_book_plan,
    published_book,
    save_book_checkpoint,
    save_book_plan,
)
from publisher.attest.book_shapes import (
    STAGE_SHAPES,
    BookShape,
    Placed,
    assign_shapes,
    book_shapes,
    dev_book_keys,
    published_registry,
    registry_tables,
    registry_tiers,
    shapes_for,
)
from publisher.attest.ingest2 import Snapshot2
from publisher.attest.pipeline import (
    STAGE_ALREADY,
    StageProgress,
    _no_stage,
    _remove_partial,
    run_all,
)
from publisher.attest.registry import Registry
from publisher.config import Config2
from publisher.errors import PipelineError
from publisher.snark.keys import Keys
from verifier import book, protocol
from verifier.book import TierTable
from verifier.errors import ZkporError
from verifier.field import R
from verifier.groth16 import Proof, verify_many
from verifier.reserves import Wallet

__all__ = [
    "CHECKPOINTS2",
    "LEAVES2",
    "PLAN2",
    "STAGE_SHAPES",
    "BookPlan",
    "BookShape",
    "Found",
    "Leaf",
    "LeavesJob",
    "Placed",
    "ProveJob",
    "ProvenBook",
    "ShapeRun",
    "assign_shapes",
    "batch_input",
    "book_entries",
    "book_shapes",
    "check_proofs",
    "checked_keys",
    "dev_book_keys",
    "load_book_checkpoints",
    "load_book_plan",
    "phase1",
    "phase2",
    "place",
    "prove_book",
    "public_vector",
    "published_book",
    "published_registry",
    "registry_tables",
    "registry_tiers",
    "run_all",
    "run_leaves_job",
    "run_prove_job",
    "save_book_checkpoint",
    "save_book_plan",
    "setup_statement",
    "shape_files",
    "shapes_for",
    "write_book",
]

STAGE_LEAVES = "phase 1: leaves and batch roots"
STAGE_CHECK = "checking every proof"
#: Leaves hashed per phase-1 job, about (whole batches).
LEAVES_PER_JOB = 256


def stage_proving(shape: BookShape) -> str:
    """Return the name of the progress stage that proves ``shape``'s batches."""
    return f"phase 2: proving {shape.circuit_id}"


def _leaves_jobs(runs: Sequence[ShapeRun]) -> Iterator[LeavesJob]:
    for index, run in enumerate(runs):
        shape = run.shape
        per_job = max(1, LEAVES_PER_JOB // shape.batch_size)
        for first in range(0, run.batches, per_job):
            stop = min(run.batches, first + per_job) * shape.batch_size
            leaves = tuple(run.leaves[first * shape.batch_size : stop])
            yield LeavesJob(index, first, shape.slots, shape.arity, shape.batch_size, leaves)


def phase1(
    runs: Sequence[ShapeRun], executor: Executor, in_flight: int, stage: StageProgress
) -> None:
    """Fill each run's subtree levels, top levels and mask commitments."""
    found: dict[tuple[int, int], list[list[list[int]]]] = {}
    total = sum(run.batches for run in runs)
    done = 0
    stage(STAGE_LEAVES, 0, total)

    def finished(result: tuple[int, int, list[list[list[int]]]]) -> None:
        nonlocal done
        index, first, levels = result
        found[index, first] = levels
        done += len(levels)
        stage(STAGE_LEAVES, done, total)

    run_all(executor, run_leaves_job, _leaves_jobs(runs), in_flight, finished)
    for index, run in enumerate(runs):
        run.levels = [
            levels for (i, _), chunk in sorted(found.items()) if i == index for levels in chunk
        ]
        if len(run.levels) != run.batches:
            raise PipelineError(f"phase 1 lost batches of {run.shape.circuit_id}")
        run.top = protocol.top_levels(run.roots, run.shape.arity, run.top_depth)
        run.commitments = [
            book.mask_commitment(root, mask)
            for root, mask in zip(run.roots, run.masks, strict=True)
        ]


def phase2(
    runs: Sequence[ShapeRun],
    tables: Sequence[TierTable],
    beta: int,
    gamma: int,
    executor: Executor,
    in_flight: int,
    stage: StageProgress,
    found: Found | None = None,
    on_proven: Callable[[ShapeRun, int, tuple[int, int, int], dict[str, Any]], None] | None = None,
) -> None:
    """Prove every batch of every run not in ``found`` (proven by an earlier run), calling
    ``on_proven`` on each new proof; fill ``run.proofs``."""
    found = {} if found is None else found
    done = [sum(1 for i, _ in found if i == index) for index in range(len(runs))]

    def jobs() -> Iterator[ProveJob]:
        for index, run in enumerate(runs):
            stage(stage_proving(run.shape), done[index], run.batches)
            for j in range(run.batches):
                if (index, j) in found:
                    continue
                yield ProveJob(
                    index,
                    j,
                    run.shape,
                    str(run.keys.proving_key_path.resolve()),
                    tuple(run.batch_leaves(j)),
                    tuple(tables),
                    beta,
                    gamma,
                    run.masks[j],
                )

    def finished(result: tuple[int, int, tuple[int, int, int], dict[str, Any]]) -> None:
        index, j, outputs, proof = result
        found[index, j] = outputs, proof
        if on_proven is not None:
            on_proven(runs[index], j, outputs, proof)
        done[index] += 1
        stage(stage_proving(runs[index].shape), done[index], runs[index].batches)

    run_all(executor, run_prove_job, jobs(), in_flight, finished)
    for index, run in enumerate(runs):
        run.proofs = [found[index, j] for j in range(run.batches)]


def check_proofs(
    runs: Sequence[ShapeRun],
    tables: Sequence[TierTable],
    beta: int,
    gamma: int,
    stage: StageProgress,
) -> None:
    """Raise ``PipelineError`` unless every proof's outputs are phase 1's (root, c, and
    the masked total computed natively) and every proof verifies under its shape's key."""
    total = sum(run.batches for run in runs)
    done = 0
    stage(STAGE_CHECK, 0, total)
    for run in runs:
        registry_part = book.registry_public_inputs(tables, run.shape.tiers)
        roots = run.roots
        items = []
        for j, (outputs, proof) in enumerate(run.proofs):
            entries = [e for leaf in run.batch_leaves(j) for e in leaf.entries]
            expected = (
                roots[j],
                run.commitments[j],
                book.batch_total(entries, beta, gamma, run.masks[j]),
            )
            if tuple(outputs) != expected:
                raise PipelineError(
                    f"batch {j} of {run.shape.circuit_id}: the proof's outputs are not phase 1's"
                )
            items.append(
                (public_vector(outputs, beta, gamma, registry_part), Proof.from_json(proof))
            )
        try:
            verify_many(run.keys.verifying_key, items)
        except ZkporError as exc:
            raise PipelineError(
                f"a proof of {run.shape.circuit_id} does not verify under its key: {exc}"
            ) from exc
        done += run.batches
        stage(STAGE_CHECK, done, total)


def prove_book(
    snapshot: Snapshot2,
    registry: Registry,
    config: Config2,
    out: Path,
    private: Path,
    keys_for: Callable[[BookShape], Keys],
    executor: Executor,
    in_flight: int,
    code_secret: bytes | None = None,
    reserves: list[Wallet] | None = None,
    stage: StageProgress = _no_stage,
    digest: str | None = None,
) -> ProvenBook:
    """Prove ``snapshot`` against ``registry`` and write the zkpor/2 directory ``out``.

    Refuses (``InputError``) an under-collateralised account and one holding more assets
    than the largest shape, before any proving. Codes go to ``private/codes.csv``, derived
    from ``code_secret`` when given, else from the plan's per-run seed. ``reserves``
    (checked by ``publisher.reserves.ingest``) adds ``reserves.json`` and the coverage.

    With ``digest`` (the sha256 of the inputs, ``pipeline.inputs_digest``) the run can be
    resumed: its plan (placement, salts, masks, seeds) is saved in ``private`` before
    any proof, each proven batch is checkpointed there, and a rerun on the same inputs
    reuses both (a checkpoint only if it still verifies); a rerun after the final rename
    returns the published manifest. Without it every run starts afresh.
    """
    if out.exists():
        published = None if digest is None else published_book(out, private, digest)
        if published is None:
            raise PipelineError(f"{out} already exists; choose a new --out directory")
        stage(STAGE_ALREADY, 1, 1)
        return published
    snapshot.check_collateral()
    tables = registry_tables(registry)
    used = assign_shapes(snapshot, registry, config, stage)
    equity, debt = _totals(used, len(registry))
    if (tuple(equity), tuple(debt)) != (snapshot.equity_totals, snapshot.debt_totals):
        raise PipelineError("the accounts' entries do not add up to the snapshot's totals")
    _remove_partial(out)
    private.mkdir(parents=True, exist_ok=True)
    _remove_book_temporaries(private)
    keys = [checked_keys(keys_for, placed.shape) for placed in used]
    if len({k.setup_kind for k in keys}) != 1:
        kinds = sorted({k.setup_kind for k in keys})
        raise PipelineError(f"the shapes' keys come from different setups: {kinds}")
    loaded = None if digest is None else load_book_plan(private, digest, used, keys)
    if loaded is None:
        plan = BookPlan(digest or "", secrets.token_bytes(32), secrets.token_bytes(32))
        runs = [place(placed, k) for placed, k in zip(used, keys, strict=True)]
        if digest is not None:
            save_book_plan(private, plan, runs)
    else:
        plan, runs = loaded
    phase1(runs, executor, in_flight, stage)
    mask_sum = sum(m for run in runs for m in run.masks) % R
    beta, gamma = book.challenges(
        config.attestation_id,
        bytes.fromhex(registry.digest()),
        [(run.shape.slots, list(zip(run.roots, run.commitments, strict=True))) for run in runs],
        equity,
        debt,
        mask_sum,
    )
    found: Found = {}
    on_proven = None
    if digest is not None:
        found = load_book_checkpoints(private, runs, tables, beta, gamma, stage)

        def on_proven(
            run: ShapeRun, j: int, outputs: tuple[int, int, int], proof: dict[str, Any]
        ) -> None:
            save_book_checkpoint(private, run, j, outputs, proof)

    phase2(runs, tables, beta, gamma, executor, in_flight, stage, found, on_proven)
    check_proofs(runs, tables, beta, gamma, stage)
    sums = [outputs[2] for run in runs for outputs, _ in run.proofs]
    if not book.totals_identity_holds(sums, mask_sum, equity, debt, beta, gamma):
        raise PipelineError("the batch totals do not add up to the published totals")
    return write_book(
        out,
        private,
        config,
        registry,
        runs,
        (equity, debt, mask_sum, beta, gamma),
        code_secret if code_secret is not None else plan.code_seed,
        reserves,
        stage,
        plan.bundle_seed,
    )


def checked_keys(keys_for: Callable[[BookShape], Keys], shape: BookShape) -> Keys:
    """Return ``keys_for(shape)`` once its verifying key has the shape's public inputs."""
    keys = keys_for(shape)
    if len(keys.verifying_key.ic) != shape.n_public + 1:
        raise PipelineError(
            f"the verifying key of {shape.circuit_id} has "
            f"{len(keys.verifying_key.ic) - 1} public inputs, not {shape.n_public}"
        )
    return keys


def _totals(used: Sequence[Placed], assets: int) -> tuple[list[int], list[int]]:
    equity, debt = [0] * assets, [0] * assets
    for placed in used:
        for account in placed.accounts:
            for a, e, d in account.entries:
                equity[a] += e
                debt[a] += d
    return equity, debt

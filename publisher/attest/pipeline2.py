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

Resuming, as zkpor/1 (with ``digest``, as ``zkpor prove`` passes it): the plan
(``book-leaves.csv``: each shape's leaves, user and salt; ``book-plan.json``: the masks
and seeds, written last) is saved before the first proof and reused by a rerun on the
same inputs, so phase 1 and the challenges come out the same; each proven batch is
checkpointed in ``book-batches/`` and reused only if its outputs are phase 1's and its
proof verifies under this run's key. A rerun after the final rename finds the
published manifest (its mask sum is the plan's) and returns it.

Memory: the accounts' entries, every leaf and every batch subtree are held in memory (about
a kilobyte per account in Python objects): fine for books of up to a few million accounts.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from publisher.attest.bundles import UserEntry, sibling_path, subtree_levels, write_buckets
from publisher.attest.ingest2 import Account2, Snapshot2
from publisher.attest.jobs import _proving_key
from publisher.attest.pipeline import (
    CODES,
    SALT_BITS,
    STAGE_ALREADY,
    STAGE_CHECKPOINTS,
    STAGE_PUBLISH,
    STAGE_SEALING,
    STAGE_SIZING,
    StageProgress,
    _CodesWriter,
    _json_bytes,
    _no_stage,
    _remove_partial,
    _staging,
    _sums_file,
    _with_codes,
)
from publisher.attest.registry import Registry
from publisher.config import Config2
from publisher.crypto import NaclBackend
from publisher.errors import InputError, PipelineError
from publisher.files import atomic_writer, write_atomic
from publisher.snark.batch2 import Batch2Input, Batch2Shape, batch2_witness, build_batch2
from publisher.snark.dev_setup import DEV_SETUP_WARNING, dev_setup
from publisher.snark.keys import KEY_FORMAT, Keys
from publisher.snark.prove import prove
from publisher.snark.r1cs import r1cs_digest
from verifier import __version__, book, protocol
from verifier.book import Entry, TierTable
from verifier.bundle import Bundle2
from verifier.ceremony import SETUP_CEREMONY, TRANSCRIPT
from verifier.codes import derived_code
from verifier.errors import ZkporError
from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, verify_many
from verifier.manifest import (
    BUNDLE_SUMS,
    MANIFEST,
    RESERVES,
    SETUP_INSECURE_DEV,
    tree_to_json,
)
from verifier.manifest2 import (
    Asset2,
    Manifest2,
    Registry2,
    RegistryEntry,
    RegistryTable,
    Shape2,
    ceremony_name,
    proofs_name,
    tree_name,
    vk_name,
)
from verifier.reserves import Wallet, reserves_to_json, shortfalls
from verifier.segregation import CUSTOMER, RoleTotals, segregation_of
from verifier.text_fields import MAX_STATEMENT

__all__ = [
    "BookShape",
    "Leaf",
    "ProvenBook",
    "ShapeRun",
    "assign_shapes",
    "book_shapes",
    "dev_book_keys",
    "prove_book",
    "shape_files",
    "shapes_for",
    "write_book",
]

T = TypeVar("T")

STAGE_SHAPES = "sorting accounts into shapes"
STAGE_LEAVES = "phase 1: leaves and batch roots"
STAGE_CHECK = "checking every proof"
#: Leaves hashed per phase-1 job, about (whole batches).
LEAVES_PER_JOB = 256


def stage_proving(shape: BookShape) -> str:
    """Return the name of the progress stage that proves ``shape``'s batches."""
    return f"phase 2: proving {shape.circuit_id}"


# -- shapes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookShape:
    """One zkpor/2 batch circuit of an attestation: a registry of ``assets`` assets with
    tables padded to ``tiers``, accounts of ``slots`` slots, batches of
    ``arity**batch_depth`` accounts."""

    assets: int
    tiers: int
    slots: int
    arity: int
    batch_depth: int

    @property
    def batch_size(self) -> int:
        return int(self.arity**self.batch_depth)

    @property
    def circuit_id(self) -> str:
        return book.circuit_id2(self.assets, self.tiers, self.slots, self.arity, self.batch_depth)

    @property
    def n_public(self) -> int:
        """Return the public inputs of a batch proof: 5 + A (3T - 1)."""
        return book.PUBLIC_REGISTRY + self.assets * (3 * self.tiers - 1)

    def batch2(self) -> Batch2Shape:
        """Return the circuit shape of ``publisher.snark.batch2``."""
        return Batch2Shape(
            batch_size=self.batch_size,
            max_assets=self.slots,
            registry_size=self.assets,
            tiers=self.tiers,
            arity=self.arity,
        )


def registry_tiers(registry: Registry) -> int:
    """Return ``T``: the most tiers of any of the registry's published tables."""
    return published_registry(registry).tiers


def registry_tables(registry: Registry) -> list[TierTable]:
    """Return each asset's table in equity units, derived from the published registry as
    the verifier derives it (``Registry2.tier_tables``); refuse a registry whose own
    tables differ (they never should)."""
    tables = published_registry(registry).tier_tables
    for asset, table in zip(registry.assets, tables, strict=True):
        if asset.tiers != table:
            raise PipelineError(
                f"the registry's tiers of {asset.symbol} are not the published ones"
            )
    return tables


def book_shapes(registry: Registry, config: Config2) -> list[BookShape]:
    """Return every configured shape for ``registry`` (used or not), by slots."""
    tiers = registry_tiers(registry)
    return [
        BookShape(len(registry), tiers, s.slots, config.arity, s.batch_depth) for s in config.shapes
    ]


@dataclass
class Placed:
    """The accounts of one shape, before placement."""

    shape: BookShape
    accounts: list[Account2] = field(default_factory=list)


def assign_shapes(
    snapshot: Snapshot2, registry: Registry, config: Config2, stage: StageProgress = _no_stage
) -> list[Placed]:
    """Return the used shapes with their accounts: each account in the smallest shape with
    at least as many slots as its entries. Raise ``InputError`` (file, line of the account)
    for an account with more entries than the largest shape has slots."""
    shapes = book_shapes(registry, config)
    found = [Placed(shape) for shape in shapes]
    total = len(snapshot)
    for n, account in enumerate(snapshot.accounts()):
        held = len(account.entries)
        for placed in found:
            if held <= placed.shape.slots:
                placed.accounts.append(account)
                break
        else:
            largest = shapes[-1].slots
            raise InputError(
                snapshot.file,
                account.line,
                "account",
                f"holds {held} assets, more than the {largest} slots of the largest shape: "
                f"add a [[shapes]] entry with at least {held} slots to the config",
            )
        if n % 4096 == 0:
            stage(STAGE_SHAPES, n, total)
    stage(STAGE_SHAPES, total, total)
    return [placed for placed in found if placed.accounts]


# -- keys ---------------------------------------------------------------------------------


def dev_book_keys(
    shape: BookShape, cache: Path, on_setup: Callable[[], None] | None = None
) -> Keys:
    """Return the development keys of ``shape`` (single party: tests and quick runs only),
    made on first use and cached per circuit and R1CS digest in ``cache/keys``."""
    cs = build_batch2(shape.batch2()).cs
    stem = cache / "keys" / f"{shape.circuit_id}-{r1cs_digest(cs)[:16]}-v{KEY_FORMAT}-dev"
    pk_path, vk_path = stem.with_suffix(".pk"), stem.with_suffix(".vk.json")
    if not (pk_path.exists() and vk_path.exists()):
        if on_setup:
            on_setup()
        pk, vk = dev_setup(cs, shape.circuit_id)
        pk.save(pk_path)
        write_atomic(vk_path, json.dumps(vk.to_json(), indent=1).encode())
    vk = VerifyingKey.from_json(json.loads(vk_path.read_text()))
    return Keys(pk_path, vk, SETUP_INSECURE_DEV, DEV_SETUP_WARNING)


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


def run_all(
    executor: Executor,
    fn: Callable[[Any], T],
    jobs: Iterator[Any],
    in_flight: int,
    on_done: Callable[[T], None],
) -> None:
    """Run ``fn`` on each of ``jobs`` with at most ``in_flight`` submitted at once."""
    pending: set[Future[T]] = set()
    for job in jobs:
        pending.add(executor.submit(fn, job))
        if len(pending) >= in_flight:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(future.result())
    for future in wait(pending).done:
        on_done(future.result())


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


# -- the run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvenBook:
    """What ``prove_book`` wrote: its manifest, the shapes it used, and one sentence per
    asset whose declared reserves are below ``max(net, 0)`` (none without reserves)."""

    manifest: Manifest2
    shapes: tuple[BookShape, ...]
    shortfalls: tuple[str, ...] = ()


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


def _totals(used: Sequence[Placed], assets: int) -> tuple[list[int], list[int]]:
    equity, debt = [0] * assets, [0] * assets
    for placed in used:
        for account in placed.accounts:
            for a, e, d in account.entries:
                equity[a] += e
                debt[a] += d
    return equity, debt


def book_entries(
    config: Config2, runs: Sequence[ShapeRun], code_key: bytes, name: str, stage: StageProgress
) -> Iterator[UserEntry]:
    """Yield each account's code and bundle, shape by shape, in leaf order."""
    total = sum(run.batches for run in runs)
    done = 0
    for run in runs:
        shape = run.shape
        for j, levels in enumerate(run.levels):
            above = sibling_path(run.top, j, shape.arity)
            for position, leaf in enumerate(run.batch_leaves(j)):
                if leaf.user_id is None:
                    continue
                bundle = Bundle2(
                    attestation_id=config.attestation_id,
                    user_id=leaf.user_id,
                    salt=leaf.salt,
                    entries=leaf.entries,
                    slots=shape.slots,
                    leaf=j * shape.batch_size + position,
                    batch=j,
                    leaf_hash=levels[0][position],
                    path=tuple(sibling_path(levels, position, shape.arity) + above),
                )
                yield UserEntry(derived_code(code_key, leaf.user_id), bundle)
            done += 1
            stage(name, done, total)


def write_book(
    out: Path,
    private: Path,
    config: Config2,
    registry: Registry,
    runs: Sequence[ShapeRun],
    totals: tuple[list[int], list[int], int, int, int],
    code_key: bytes,
    reserves: list[Wallet] | None,
    stage: StageProgress = _no_stage,
    bundle_seed: bytes | None = None,
) -> ProvenBook:
    """Write the public files into a temporary sibling of ``out``, then rename it into
    place; the codes go to ``private/codes.csv`` before (as zkpor/1's writer). The
    bundles are a function of ``bundle_seed`` (fresh if None) and the private inputs."""
    equity, debt, mask_sum, beta, gamma = totals
    pass_number = 0
    with _staging(out) as staging, atomic_writer(private / CODES) as codes_file:
        codes = _CodesWriter(codes_file, config.site_url)

        def entries() -> Iterator[UserEntry]:
            nonlocal pass_number
            pass_number += 1
            name = STAGE_SIZING if pass_number == 1 else STAGE_SEALING
            found = book_entries(config, runs, code_key, name, stage)
            return _with_codes(found, codes) if pass_number == 1 else found

        sums: list[tuple[str, str]] = []

        def write_bucket(name: str, data: bytes) -> None:
            path = staging / name
            path.parent.mkdir(exist_ok=True)
            with path.open("xb") as f:
                f.write(data)
            sums.append((name, hashlib.sha256(data).hexdigest()))

        bundle_info = write_buckets(
            config.attestation_id,
            entries,
            NaclBackend().secretbox_seal,
            secrets.token_bytes(32) if bundle_seed is None else bundle_seed,
            write_bucket,
            scratch=private,
        )
        codes.close()
        stage(STAGE_PUBLISH, 0, 1)
        files = {BUNDLE_SUMS: _sums_file(sums), **shape_files(runs)}
        held: RoleTotals | None = None
        if reserves is not None:
            decimals = {a.symbol: a.decimals for a in registry.assets}
            files[RESERVES] = _json_bytes(
                reserves_to_json(config.attestation_id, reserves, decimals)
            )
            held = {}
            for wallet in reserves:
                slot = (wallet.role or CUSTOMER, wallet.asset)
                held[slot] = held.get(slot, 0) + wallet.balance
        manifest = Manifest2(
            attestation_id=config.attestation_id,
            issuer_name=config.issuer_name,
            issuer_url=config.issuer_url,
            as_of=config.as_of,
            registry=published_registry(registry),
            assets=tuple(
                Asset2(
                    a.symbol,
                    a.decimals,
                    e,
                    d,
                    None if held is None else held.get((CUSTOMER, a.symbol), 0),
                )
                for a, e, d in zip(registry.assets, equity, debt, strict=True)
            ),
            arity=config.arity,
            shapes=tuple(published_shape(run) for run in runs),
            mask_sum=mask_sum,
            beta=beta,
            gamma=gamma,
            setup_kind=runs[0].keys.setup_kind,
            setup_statement=setup_statement(runs),
            software_version=__version__,
            files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
            bundles=bundle_info,
            cosigners=config.cosigners,
        )
        if held is not None:
            liabilities = manifest.reserves_view().assets
            manifest = replace(manifest, segregation=segregation_of(held, liabilities, ()))
        files[MANIFEST] = _json_bytes(manifest.to_json())
        if Manifest2.from_json(json.loads(files[MANIFEST])).to_json() != manifest.to_json():
            raise PipelineError("the manifest does not read back as written")
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    stage(STAGE_PUBLISH, 1, 1)
    under = shortfalls(manifest.reserves_view().assets) if reserves is not None else []
    return ProvenBook(manifest, tuple(run.shape for run in runs), tuple(under))


def shape_files(runs: Sequence[ShapeRun]) -> dict[str, bytes]:
    """Return each shape's public files: key, proofs, top of the tree, ceremony transcript."""
    files: dict[str, bytes] = {}
    for run in runs:
        slots = run.shape.slots
        files[vk_name(slots)] = _json_bytes(run.keys.verifying_key.to_json())
        files[proofs_name(slots)] = _json_bytes(
            [
                {"batch": j, "public": [str(v) for v in outputs], "proof": proof}
                for j, (outputs, proof) in enumerate(run.proofs)
            ]
        )
        files[tree_name(slots)] = _json_bytes(tree_to_json(run.shape.arity, run.top))
        if run.keys.setup_kind == SETUP_CEREMONY:
            if TRANSCRIPT not in run.keys.published:
                raise PipelineError(
                    f"the ceremony keys of {run.shape.circuit_id} have no transcript"
                )
            files[ceremony_name(slots)] = bytes(run.keys.published[TRANSCRIPT])
    return files


def published_registry(registry: Registry) -> Registry2:
    """Return the manifest's ``registry`` section, as the verifier reads it; refuse a
    registry it would not write back identically."""
    published = Registry2(
        registry.quote_symbol,
        registry.quote_decimals,
        registry.price_source,
        tuple(RegistryTable(t.bounds, t.ratios) for t in registry.tables),
        tuple(RegistryEntry(a.symbol, a.decimals, a.price, a.table) for a in registry.assets),
    )
    if published.to_json() != registry.to_json():
        raise PipelineError("the registry does not publish as registry.toml states it")
    return published


def published_shape(run: ShapeRun) -> Shape2:
    """Return one entry of the manifest's ``shapes``."""
    shape = run.shape
    return Shape2(
        slots=shape.slots,
        batch_depth=shape.batch_depth,
        batches=run.batches,
        root=run.root,
        constraints=len(build_batch2(shape.batch2()).cs.constraints),
        arity=shape.arity,
        circuit_id=shape.circuit_id,
    )


def setup_statement(runs: Sequence[ShapeRun]) -> str:
    """Return the manifest's setup statement: the shapes' one, or each shape's prefixed by
    its circuit id when they differ (one ceremony per shape)."""
    statements = [run.keys.setup_statement for run in runs]
    if len(set(statements)) == 1:
        return statements[0]
    joined = "; ".join(
        f"{run.shape.circuit_id}: {s}" for run, s in zip(runs, statements, strict=True)
    )
    if len(joined) <= MAX_STATEMENT:
        return joined
    circuits = ", ".join(run.shape.circuit_id for run in runs)
    return (
        f"one {runs[0].keys.setup_kind} setup per circuit ({circuits}): each shape's "
        "ceremony-s<K>.json says who contributed"
    )


def shapes_for(snapshot: Snapshot2, registry: Registry, config: Config2) -> list[BookShape]:
    """Return the shapes an attestation of ``snapshot`` will use (to set up their keys
    before proving, e.g. one ceremony each); ``InputError`` as ``assign_shapes``."""
    return [placed.shape for placed in assign_shapes(snapshot, registry, config)]

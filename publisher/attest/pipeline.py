"""``zkpor prove``: snapshot -> placement -> batches -> proofs -> attestation directory.

The run is split so that it can stop anywhere and resume:

1. **plan** (``PRIVATE_DIR/leaves.csv``, then ``PRIVATE_DIR/plan.json``): the random
   placement of users on leaves with a fresh salt per leaf, and the blinds of the
   accumulator chain, bound to the sha256 of the inputs. Written once; a rerun on the same
   inputs reuses it.
2. **batches**: one job per batch on an executor; each finished batch is checkpointed in
   ``PRIVATE_DIR/batches/`` and verified before it is reused by a later run.
3. **attestation**: the public files are written into a temporary sibling directory and
   renamed into place, so ``ATTESTATION_DIR`` either does not exist or is complete.

Secrets (salts, blinds, placement, proving key) only ever go to ``PRIVATE_DIR``.

Memory stays flat in the number of accounts: accounts, placement and salts live in the
snapshot's SQLite file (``publisher.attest.accounts``), every stage walks the leaves batch
by batch, and the bundles are written bucket by bucket (``publisher.attest.bundles``).
What grows is per batch: the batch totals, proofs and roots (the tree's top levels).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from publisher.attest import accounts
from publisher.attest.bundles import UserEntry, sibling_path, subtree_levels, write_buckets
from publisher.attest.ingest import Snapshot, dedup_key
from publisher.attest.jobs import BatchJob, BatchResult, run_batch_job
from publisher.config import Config
from publisher.crypto import NaclBackend
from publisher.errors import PipelineError
from publisher.files import atomic_writer, write_atomic
from publisher.snark.circuit import CircuitShape, build_batch_circuit
from publisher.snark.keys import Keys
from verifier import __version__, protocol
from verifier.attestation import AttestationFiles, read_manifest
from verifier.bundle import Bundle
from verifier.codes import derived_code, format_code
from verifier.errors import ZkporError
from verifier.fetch import directory_reader
from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, verify_many
from verifier.manifest import (
    BUNDLE_SUMS,
    MANIFEST,
    PROOFS,
    RESERVES,
    TREE,
    VK,
    AssetLiability,
    BatchEntry,
    BundleInfo,
    Manifest,
    TreeInfo,
    tree_to_json,
)
from verifier.reserves import Wallet, reserves_to_json
from verifier.segregation import CUSTOMER, RoleTotals, segregation_of

__all__ = ["PipelineError", "prove_attestation"]

SALT_BITS = 248
T = TypeVar("T")
PLAN = "plan.json"
CODES = "codes.csv"
LEAVES = "leaves.csv"
CHECKPOINTS = "batches"


@dataclass(frozen=True)
class Plan:
    """The secret layout of one attestation, but for the placement and salts of the leaves,
    which are in the snapshot's store (``Snapshot.store``, saved as ``leaves.csv``)."""

    inputs_sha256: str
    batches: int
    #: blinds[j] opens the accumulator between batch j-1 and batch j; blinds[0] = 0.
    blinds: list[int]
    #: Key of the per-attestation code PRF: a user's code is derived_code(code_seed, id),
    #: as good as 16 random bytes per user without storing a table.
    code_seed: bytes
    #: Seed of the dummy bucket records, so the bundles are a function of the plan.
    bundle_seed: bytes


#: (done, total) of the batches proven.
Progress = Callable[[int, int], None]
#: (stage, done, total) of the stages around the proving, for progress bars and benchmarks.
StageProgress = Callable[[str, int, int], None]

STAGE_PLAN = "placing accounts on leaves"
STAGE_TOTALS = "summing batch totals"
STAGE_CHECKPOINTS = "checking saved batches"
STAGE_SIZING = "bundles: sizing"
STAGE_SEALING = "bundles: sealing"
STAGE_PUBLISH = "publishing"
STAGE_ALREADY = "already published by an earlier run of this plan: nothing to do"


def _no_stage(stage: str, done: int, total: int) -> None:
    """The default StageProgress: report nothing."""


def inputs_digest(*paths: Path) -> str:
    """Return a sha256 over the input files, so a plan is never reused for other inputs."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def batch_count(n_accounts: int, config: Config) -> int:
    """Return the number of batches: enough leaves for every account and the pad target."""
    leaves = max(n_accounts, config.pad_to, 1)
    return -(-leaves // config.batch_size)


def make_plan(snapshot: Snapshot, config: Config, digest: str) -> Plan:
    """Return a fresh random plan: shuffled placement, salts and blinds from the OS.

    The placement is the order of a fresh random 63-bit key per leaf (accounts and
    padding alike), sorted on disk by the store.
    """
    batches = batch_count(len(snapshot), config)
    n_leaves = batches * config.batch_size

    def draw() -> tuple[int, int]:
        return secrets.randbits(63), secrets.randbits(SALT_BITS)

    snapshot.store.place_randomly(n_leaves, draw)
    blinds = [0] + [secrets.randbelow(R) for _ in range(batches)]
    return Plan(digest, batches, blinds, secrets.token_bytes(32), secrets.token_bytes(32))


def save_plan(plan: Plan, snapshot: Snapshot, private: Path) -> None:
    """Write the plan to ``private`` (leaves.csv first: plan.json marks it complete)."""
    with atomic_writer(private / LEAVES) as out:
        out.write(b"leaf,user_id,salt\n")
        for leaf, user_id, salt in snapshot.store.leaves():
            user = "" if user_id is None else json.dumps(user_id, ensure_ascii=False)
            out.write(f"{leaf},{user},{salt:x}\n".encode())
    meta = {
        "inputs_sha256": plan.inputs_sha256,
        "batches": plan.batches,
        "blinds": [str(b) for b in plan.blinds],
        "code_seed": plan.code_seed.hex(),
        "bundle_seed": plan.bundle_seed.hex(),
    }
    write_atomic(private / PLAN, json.dumps(meta).encode())


def load_plan(private: Path, digest: str, snapshot: Snapshot, batch_size: int) -> Plan | None:
    """Return the plan saved in ``private`` for these inputs (its leaves put back into the
    snapshot's store), None if there is none."""
    if not (private / PLAN).exists():
        return None
    meta = json.loads((private / PLAN).read_text())
    if meta["inputs_sha256"] != digest:
        raise PipelineError(
            f"{private} holds a run for other inputs; use a fresh --private directory"
        )
    plan = Plan(
        digest,
        meta["batches"],
        [int(b) for b in meta["blinds"]],
        bytes.fromhex(meta["code_seed"]),
        bytes.fromhex(meta["bundle_seed"]),
    )
    path, store = private / LEAVES, snapshot.store
    with path.open(encoding="utf-8") as rows:
        next(rows)
        try:
            store.set_leaves(_saved_leaves(rows, snapshot, path))
        except sqlite3.IntegrityError:
            raise PipelineError(f"{path} places an account on two leaves") from None
    if store.n_leaves() != plan.batches * batch_size or store.placed() != len(snapshot):
        raise PipelineError(f"{path} does not place every account of the snapshot once")
    return plan


def _saved_leaves(
    rows: Iterator[str], snapshot: Snapshot, path: Path
) -> Iterator[tuple[int, int | None, int]]:
    """Yield (leaf, account or None, salt) from the rows of ``leaves.csv``."""
    for expected, row in enumerate(rows):
        leaf, rest = row.split(",", 1)
        user, salt = rest.rsplit(",", 1)
        if int(leaf) != expected:
            raise PipelineError(f"{path}: leaf {expected} is missing")
        account = None
        if user:
            account = snapshot.store.account_of(dedup_key(json.loads(user)))
            if account is None:
                raise PipelineError(f"{path}, leaf {leaf}: an account the snapshot does not hold")
        yield expected, account, int(salt, 16)


def cumulative_totals(
    snapshot: Snapshot, plan: Plan, batch_size: int, stage: StageProgress = _no_stage
) -> list[list[int]]:
    """Return the per-asset running totals before each batch, and after the last."""
    running = [0] * len(snapshot.assets)
    out = [list(running)]
    for j in range(plan.batches):
        for _, _, balances, _ in snapshot.store.leaf_rows(j * batch_size, batch_size):
            if balances is not None:
                running = [total + value for total, value in zip(running, balances, strict=True)]
        out.append(list(running))
        stage(STAGE_TOTALS, j + 1, plan.batches)
    return out


def make_jobs(
    snapshot: Snapshot,
    plan: Plan,
    totals: list[list[int]],
    shape: CircuitShape,
    key_path: Path,
    todo: list[int],
) -> Iterator[BatchJob]:
    """Yield the jobs of the batches in ``todo``, built lazily (one batch in memory)."""
    zero = (0,) * shape.n_assets
    for j in todo:
        rows = snapshot.store.leaf_rows(j * shape.batch_size, shape.batch_size)
        yield BatchJob(
            index=j,
            shape=shape,
            key_path=str(key_path),
            user_ids=[user_id for _, user_id, _, _ in rows],
            salts=[salt for _, _, _, salt in rows],
            balances=[zero if balances is None else balances for _, _, balances, _ in rows],
            totals_in=totals[j],
            blind_in=plan.blinds[j],
            blind_out=plan.blinds[j + 1],
        )


def run_jobs(
    executor: Executor,
    jobs: Iterator[BatchJob],
    in_flight: int,
    on_done: Callable[[BatchResult], None],
) -> None:
    """Run ``jobs`` with at most ``in_flight`` submitted at once, calling ``on_done`` each."""
    run_all(executor, run_batch_job, jobs, in_flight, on_done)


def run_all(
    executor: Executor,
    fn: Callable[[Any], T],
    jobs: Iterator[Any],
    in_flight: int,
    on_done: Callable[[T], None],
) -> None:
    """Run ``fn`` on each of ``jobs`` with at most ``in_flight`` submitted at once,
    calling ``on_done`` with each result (zkpor/1's batch jobs, zkpor/2's of each phase)."""
    pending: set[Future[T]] = set()
    for job in jobs:
        pending.add(executor.submit(fn, job))
        if len(pending) >= in_flight:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(future.result())
    for future in wait(pending).done:
        on_done(future.result())


# -- checkpoints ----------------------------------------------------------------------


@dataclass(frozen=True)
class Proven:
    """What the coordinator keeps of a proven batch: public inputs and proof. Its leaves
    and subtree stay in the checkpoint file, read again batch by batch."""

    index: int
    public: tuple[int, ...]
    proof: dict[str, Any]


def _checkpoint_path(private: Path, index: int) -> Path:
    return private / CHECKPOINTS / f"{index:06d}.json"


def save_checkpoint(private: Path, result: BatchResult) -> Proven:
    """Record a proven batch, with every level of its subtree (the bundles' paths), so
    that an interrupted run can resume after it."""
    doc = {
        "index": result.index,
        "public": [str(v) for v in result.public],
        "proof": result.proof,
        "levels": [[str(v) for v in level] for level in result.levels],
    }
    write_atomic(_checkpoint_path(private, result.index), json.dumps(doc).encode())
    return Proven(result.index, result.public, result.proof)


def load_checkpoints(
    private: Path,
    plan: Plan,
    totals: list[list[int]],
    vk: VerifyingKey,
    shape: CircuitShape,
    stage: StageProgress = _no_stage,
) -> dict[int, Proven]:
    """Return the checkpoints of earlier runs that still verify, deleting any that do not.

    A checkpoint is reused only if its levels are the subtree of its leaves, whose root
    is its public root, its accumulators are the ones this plan expects, and its proof
    verifies.
    """
    found: dict[int, Proven] = {}
    for j in range(plan.batches):
        stage(STAGE_CHECKPOINTS, j, plan.batches)
        path = _checkpoint_path(private, j)
        if not path.exists():
            continue
        read = _read_checkpoint(path, j)
        expected = (
            protocol.accumulator(totals[j], plan.blinds[j]),
            protocol.accumulator(totals[j + 1], plan.blinds[j + 1]),
        )
        if (
            read is not None
            and len(read[1][0]) == shape.batch_size
            and read[0].public[1:] == expected
            and read[1] == subtree_levels(read[1][0], shape.arity)
            and read[0].public[0] == read[1][-1][0]
            and _proof_verifies(vk, read[0])
        ):
            found[j] = read[0]
        else:
            path.unlink()
    stage(STAGE_CHECKPOINTS, plan.batches, plan.batches)
    return found


def _read_checkpoint(path: Path, index: int) -> tuple[Proven, list[list[int]]] | None:
    """Return the checkpoint at ``path`` and its subtree levels, or None if it cannot be
    read (or was written by an earlier version, without its levels)."""
    try:
        doc = json.loads(path.read_text())
        proven = Proven(index, tuple(int(v) for v in doc["public"]), doc["proof"])
        return proven, [[int(v) for v in level] for level in doc["levels"]]
    except (ValueError, KeyError, TypeError):
        return None


def _checkpoint_levels(private: Path, proven: Proven) -> list[list[int]]:
    """Return the subtree levels of a checkpoint this run verified or wrote."""
    read = _read_checkpoint(_checkpoint_path(private, proven.index), proven.index)
    if read is None or read[0] != proven or read[1][-1] != [proven.public[0]]:
        raise PipelineError(f"the checkpoint of batch {proven.index} changed during the run")
    return read[1]


def _proof_verifies(vk: VerifyingKey, result: Proven) -> bool:
    try:
        verify_many(vk, [(result.public, Proof.from_json(result.proof))])
    except ZkporError:
        return False
    return True


# -- the run --------------------------------------------------------------------------


def prove_attestation(
    snapshot: Snapshot,
    config: Config,
    digest: str,
    out: Path,
    private: Path,
    keys_for: Callable[[CircuitShape], Keys],
    executor: Executor,
    in_flight: int,
    progress: Progress | None = None,
    code_secret: bytes | None = None,
    reserves: list[Wallet] | None = None,
    stage: StageProgress = _no_stage,
) -> Manifest:
    """Prove ``snapshot`` and write the attestation directory ``out``; return its manifest.

    Codes are derived from ``code_secret`` when given (the custodian can recompute them
    from user ids), else from the plan's fresh per-attestation seed. ``reserves`` (already
    checked by ``publisher.reserves.ingest``) adds ``reserves.json`` and the coverage.
    """
    if out.exists():
        # A run killed after its final rename: the attestation is complete, say so.
        manifest = published_attestation(out, private, digest, snapshot)
        if manifest is None:
            raise PipelineError(f"{out} already exists; choose a new --out directory")
        stage(STAGE_ALREADY, 1, 1)
        return manifest
    _remove_partial(out)
    _remove_temporaries(private)
    shape = CircuitShape(len(config.assets), config.arity, config.batch_depth)
    private.mkdir(parents=True, exist_ok=True)
    accounts.remove_stale(private, keep=snapshot.store.path)
    stage(STAGE_PLAN, 0, 1)
    plan = load_plan(private, digest, snapshot, config.batch_size)
    if plan is None:
        plan = make_plan(snapshot, config, digest)
        save_plan(plan, snapshot, private)
    stage(STAGE_PLAN, 1, 1)
    keys = keys_for(shape)
    totals = cumulative_totals(snapshot, plan, shape.batch_size, stage)
    done = load_checkpoints(private, plan, totals, keys.verifying_key, shape, stage)
    todo = [j for j in range(plan.batches) if j not in done]

    def finished(result: BatchResult) -> None:
        done[result.index] = save_checkpoint(private, result)
        if progress:
            progress(len(done), plan.batches)

    if progress:
        progress(len(done), plan.batches)
    jobs = make_jobs(snapshot, plan, totals, shape, keys.proving_key_path, todo)
    run_jobs(executor, jobs, in_flight, finished)
    proven = [done[j] for j in range(plan.batches)]
    code_key = code_secret if code_secret is not None else plan.code_seed
    return write_attestation(
        out, private, config, snapshot, plan, keys, proven, shape, code_key, reserves, stage
    )


def published_attestation(
    out: Path, private: Path, digest: str, snapshot: Snapshot
) -> Manifest | None:
    """Return the manifest in ``out`` if this plan published it, else None.

    ``out`` appears complete or not at all (one rename), so a readable manifest whose final
    blind is the plan's (a secret until that rename: 254 random bits) and whose totals
    are the snapshot's was written by a run of this plan for these inputs, codes first.
    """
    try:
        meta = json.loads((private / PLAN).read_text())
        manifest, _ = read_manifest(AttestationFiles(directory_reader(out)))
    except (OSError, ValueError, KeyError, ZkporError):
        return None
    if (
        meta.get("inputs_sha256") != digest
        or str(manifest.final_blind) != meta["blinds"][-1]
        or list(manifest.final_totals) != snapshot.totals
        or not (private / CODES).exists()
    ):
        return None
    return manifest


def write_attestation(
    out: Path,
    private: Path,
    config: Config,
    snapshot: Snapshot,
    plan: Plan,
    keys: Keys,
    proven: list[Proven],
    shape: CircuitShape,
    code_key: bytes,
    reserves: list[Wallet] | None = None,
    stage: StageProgress = _no_stage,
) -> Manifest:
    """Write the public files into a temporary sibling of ``out``, then rename it into place.

    The codes go to ``private/codes.csv`` (written during the bundles' first pass, in
    place before the rename): an attestation whose users cannot get their codes must never
    be published.
    """
    top_depth = protocol.top_depth_for(plan.batches, config.arity)
    levels = protocol.top_levels([p.public[0] for p in proven], config.arity, top_depth)

    with _staging(out) as staging, atomic_writer(private / CODES) as codes_file:
        codes = _CodesWriter(codes_file, config.site_url)
        bundle_info, sums = _write_bundles(
            staging,
            private,
            codes,
            config.attestation_id,
            lambda name: user_entries(
                config, snapshot, proven, private, levels, code_key, name, stage
            ),
            plan.bundle_seed,
        )
        stage(STAGE_PUBLISH, 0, 1)
        files = {
            VK: _json_bytes(keys.verifying_key.to_json()),
            PROOFS: _json_bytes([BatchEntry(p.index, p.public, p.proof).to_json() for p in proven]),
            TREE: _json_bytes(tree_to_json(config.arity, levels)),
            BUNDLE_SUMS: _sums_file(sums),
            **keys.published,
        }
        held = _reserves_file(files, config.attestation_id, reserves, config.assets)
        assets = tuple(
            AssetLiability(
                a.symbol,
                a.decimals,
                total,
                None if held is None else held.get((CUSTOMER, a.symbol), 0),
            )
            for a, total in zip(config.assets, snapshot.totals, strict=True)
        )
        manifest = Manifest(
            attestation_id=config.attestation_id,
            issuer_name=config.issuer_name,
            issuer_url=config.issuer_url,
            as_of=config.as_of,
            assets=assets,
            tree=TreeInfo(config.arity, config.batch_depth, top_depth, plan.batches, levels[-1][0]),
            initial_accumulator=protocol.initial_accumulator(len(config.assets)),
            final_accumulator=proven[-1].public[2],
            final_totals=tuple(snapshot.totals),
            final_blind=plan.blinds[-1],
            circuit_id=shape.circuit_id,
            constraints=len(build_batch_circuit(shape).constraints),
            setup_kind=keys.setup_kind,
            setup_statement=keys.setup_statement,
            software_version=__version__,
            files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
            bundles=bundle_info,
            # Wallets always carry roles now: attestations without a segregation section
            # are only those made before roles (or without reserves).
            segregation=None if held is None else segregation_of(held, assets, config.wrapped),
            cosigners=config.cosigners,
        )
        files[MANIFEST] = _json_bytes(manifest.to_json())
        _write_files(staging, files)
    stage(STAGE_PUBLISH, 1, 1)
    return manifest


def user_entries(
    config: Config,
    snapshot: Snapshot,
    proven: list[Proven],
    private: Path,
    top: list[list[int]],
    code_key: bytes,
    name: str = STAGE_SEALING,
    stage: StageProgress = _no_stage,
) -> Iterator[UserEntry]:
    """Yield each account's code and bundle (its path up the batch and the top levels),
    batch by batch, in leaf order."""
    size = config.batch_size
    for j, batch in enumerate(proven):
        levels = _checkpoint_levels(private, batch)
        above = sibling_path(top, j, config.arity)
        rows = snapshot.store.leaf_rows(j * size, size)
        for position, (_, user_id, balances, salt) in enumerate(rows):
            if user_id is None or balances is None:
                continue
            bundle = Bundle(
                attestation_id=config.attestation_id,
                user_id=user_id,
                salt=salt,
                balances=balances,
                leaf=j * size + position,
                batch=j,
                leaf_hash=levels[0][position],
                path=tuple(sibling_path(levels, position, config.arity) + above),
            )
            yield UserEntry(derived_code(code_key, user_id), bundle)
        stage(name, j + 1, len(proven))


class _CodesWriter:
    """Rows of ``codes.csv``: user id, code and the verify-page link, for the custodian."""

    def __init__(self, out: BinaryIO, site_url: str) -> None:
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        self.rows = csv.writer(self.text, lineterminator="\n")
        self.rows.writerow(["user_id", "code", "link"])
        self.site_url = site_url

    def add(self, entry: UserEntry) -> None:
        code = format_code(entry.code)
        self.rows.writerow([entry.bundle.user_id, code, f"{self.site_url}verify/#code={code}"])

    def close(self) -> None:
        """Flush the rows into the file, which stays open for its atomic writer."""
        self.text.flush()
        self.text.detach()


def _write_bundles(
    staging: Path,
    private: Path,
    codes: _CodesWriter,
    attestation_id: str,
    entries_of: Callable[[str], Iterator[UserEntry]],
    bundle_seed: bytes,
) -> tuple[BundleInfo, list[tuple[str, str]]]:
    """Write the bundles' buckets into ``staging`` (either format's writer): ``entries_of(stage
    name)`` gives the user entries of one pass, the first of which also writes each code
    to ``codes`` (closed once done). Return the layout and each bucket's (name, sha256)."""
    pass_number = 0

    def entries() -> Iterator[UserEntry]:
        # The first pass over the bundles also writes each code to codes.csv.
        nonlocal pass_number
        pass_number += 1
        name = STAGE_SIZING if pass_number == 1 else STAGE_SEALING
        found = entries_of(name)
        return _with_codes(found, codes) if pass_number == 1 else found

    sums: list[tuple[str, str]] = []

    def write_bucket(name: str, data: bytes) -> None:
        path = staging / name
        path.parent.mkdir(exist_ok=True)
        with path.open("xb") as f:
            f.write(data)
        sums.append((name, hashlib.sha256(data).hexdigest()))

    bundle_info = write_buckets(
        attestation_id,
        entries,
        NaclBackend().secretbox_seal,
        bundle_seed,
        write_bucket,
        scratch=private,
    )
    codes.close()
    return bundle_info, sums


class _HasDecimals(Protocol):
    @property
    def symbol(self) -> str: ...

    @property
    def decimals(self) -> int: ...


def _reserves_file(
    files: dict[str, bytes],
    attestation_id: str,
    reserves: list[Wallet] | None,
    assets: Sequence[_HasDecimals],
) -> RoleTotals | None:
    """Add ``reserves.json`` to ``files`` (either format's writer) and return the wallets'
    balances by (role, asset); None, and no file, without reserves."""
    if reserves is None:
        return None
    decimals = {a.symbol: a.decimals for a in assets}
    files[RESERVES] = _json_bytes(reserves_to_json(attestation_id, reserves, decimals))
    held: RoleTotals = {}
    for wallet in reserves:
        slot = (wallet.role or CUSTOMER, wallet.asset)
        held[slot] = held.get(slot, 0) + wallet.balance
    return held


def _write_files(staging: Path, files: dict[str, bytes]) -> None:
    """Write each public file into ``staging``, making its folder as needed."""
    for name, data in files.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _with_codes(entries: Iterator[UserEntry], codes: _CodesWriter) -> Iterator[UserEntry]:
    """Yield ``entries``, adding each one's code to ``codes`` (leaf order)."""
    for entry in entries:
        codes.add(entry)
        yield entry


def bundle_sums(buckets: dict[str, bytes]) -> bytes:
    """Return ``bundles/SHA256SUMS`` (sha256sum format) over every bucket file."""
    return _sums_file([(name, hashlib.sha256(data).hexdigest()) for name, data in buckets.items()])


def _sums_file(digests: list[tuple[str, str]]) -> bytes:
    lines = [f"{digest}  {name.removeprefix('bundles/')}\n" for name, digest in sorted(digests)]
    return "".join(lines).encode()


def _json_bytes(doc: Any) -> bytes:
    """Return ``doc`` as deterministic, human-readable JSON."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


PUBLIC_FILE, PUBLIC_FOLDER = 0o644, 0o755
PARTIAL = ".partial-"


def _remove_temporaries(private: Path) -> None:
    """Delete the temporary files of writes a kill interrupted in ``private`` (one may hold
    every user's code); stale account stores go in ``accounts.remove_stale``."""
    for folder in (private, private / CHECKPOINTS):
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)


def _remove_partial(out: Path) -> None:
    """Delete the staging directories of runs killed before they published ``out``."""
    for leftover in out.parent.glob(f".{out.name}{PARTIAL}*"):
        shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``out`` to write the attestation in, renamed to ``out``
    when the block ends without error (deleted otherwise): ``out`` never holds part of it.

    The attestation is public: its folders are 0755 and its files 0644 (``mkdtemp`` would
    leave them readable by their owner only, and a web server serving them as another
    user would refuse them). Everything is flushed to disk before the rename, so a crash
    after it cannot leave empty files behind a published name.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}{PARTIAL}"))
    try:
        yield staging
        for path in staging.rglob("*"):
            path.chmod(PUBLIC_FOLDER if path.is_dir() else PUBLIC_FILE)
        staging.chmod(PUBLIC_FOLDER)
        os.sync()
        os.rename(staging, out)
        _fsync_directory(out.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

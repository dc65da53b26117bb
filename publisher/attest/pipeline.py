"""``zkpor prove``: snapshot -> placement -> batches -> proofs -> attestation directory.

The run is split so that it can stop anywhere and resume:

1. **plan** (``PRIVATE_DIR/plan.json``, ``PRIVATE_DIR/leaves.csv``): the random placement
   of users on leaves, a fresh salt per leaf, and the blinds of the accumulator chain,
   bound to the sha256 of the inputs. Written once; a rerun on the same inputs reuses it.
2. **batches**: one job per batch on an executor; each finished batch is checkpointed in
   ``PRIVATE_DIR/batches/`` and verified before it is reused by a later run.
3. **attestation**: the public files are written into a temporary sibling directory and
   renamed into place, so ``ATTESTATION_DIR`` either does not exist or is complete.

Secrets (salts, blinds, placement, proving key) only ever go to ``PRIVATE_DIR``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.attest.bundles import UserEntry, build_buckets, sibling_path, subtree_levels
from publisher.attest.ingest import Snapshot
from publisher.attest.jobs import BatchJob, BatchResult, run_batch_job
from publisher.config import Config
from publisher.crypto import NaclBackend
from publisher.files import write_atomic
from publisher.snark.circuit import CircuitShape, build_batch_circuit
from publisher.snark.keys import Keys
from verifier import __version__, protocol
from verifier.bundle import Bundle
from verifier.codes import derived_code, format_code
from verifier.errors import ZkporError
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
    Manifest,
    TreeInfo,
    tree_to_json,
)
from verifier.reserves import Wallet, reserves_to_json

SALT_BITS = 248
PLAN = "plan.json"
CODES = "codes.csv"
LEAVES = "leaves.csv"
CHECKPOINTS = "batches"


class PipelineError(ZkporError):
    """The run cannot go on (inputs do not fit the tree, a private dir from other inputs)."""


@dataclass(frozen=True)
class Plan:
    """The secret layout of one attestation: who sits on which leaf, salts and blinds."""

    inputs_sha256: str
    batches: int
    #: Per leaf: index of the account in the snapshot, or -1 for padding.
    placement: list[int]
    salts: list[int]
    #: blinds[j] opens the accumulator between batch j-1 and batch j; blinds[0] = 0.
    blinds: list[int]
    #: Key of the per-attestation code PRF: a user's code is derived_code(code_seed, id),
    #: as good as 16 random bytes per user without storing a table.
    code_seed: bytes
    #: Seed of the dummy bucket records, so the bundles are a function of the plan.
    bundle_seed: bytes


Progress = Callable[[int, int], None]


def inputs_digest(*paths: Path) -> str:
    """Return a sha256 over the input files, so a plan is never reused for other inputs."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def batch_count(n_accounts: int, config: Config) -> int:
    """Return the number of batches: enough leaves for every account and the pad target."""
    leaves = max(n_accounts, config.pad_to, 1)
    return -(-leaves // config.batch_size)


def make_plan(snapshot: Snapshot, config: Config, digest: str) -> Plan:
    """Return a fresh random plan: shuffled placement, salts and blinds from the OS."""
    batches = batch_count(len(snapshot), config)
    n_leaves = batches * config.batch_size
    placement = list(range(len(snapshot))) + [-1] * (n_leaves - len(snapshot))
    secrets.SystemRandom().shuffle(placement)
    salts = [secrets.randbits(SALT_BITS) for _ in range(n_leaves)]
    blinds = [0] + [secrets.randbelow(R) for _ in range(batches)]
    return Plan(
        digest, batches, placement, salts, blinds, secrets.token_bytes(32), secrets.token_bytes(32)
    )


def save_plan(plan: Plan, snapshot: Snapshot, private: Path) -> None:
    """Write the plan to ``private`` (leaves.csv first: plan.json marks it complete)."""
    lines = ["leaf,user_id,salt\n"]
    for leaf, (account, salt) in enumerate(zip(plan.placement, plan.salts, strict=True)):
        user = "" if account < 0 else json.dumps(snapshot.user_ids[account], ensure_ascii=False)
        lines.append(f"{leaf},{user},{salt:x}\n")
    write_atomic(private / LEAVES, "".join(lines).encode())
    meta = {
        "inputs_sha256": plan.inputs_sha256,
        "batches": plan.batches,
        "placement": plan.placement,
        "blinds": [str(b) for b in plan.blinds],
        "code_seed": plan.code_seed.hex(),
        "bundle_seed": plan.bundle_seed.hex(),
    }
    write_atomic(private / PLAN, json.dumps(meta).encode())


def load_plan(private: Path, digest: str) -> Plan | None:
    """Return the plan saved in ``private`` for these inputs, None if there is none."""
    if not (private / PLAN).exists():
        return None
    meta = json.loads((private / PLAN).read_text())
    if meta["inputs_sha256"] != digest:
        raise PipelineError(
            f"{private} holds a run for other inputs; use a fresh --private directory"
        )
    salts = []
    with (private / LEAVES).open(encoding="utf-8") as rows:
        next(rows)
        for row in rows:
            salts.append(int(row.rsplit(",", 1)[1], 16))
    blinds = [int(b) for b in meta["blinds"]]
    return Plan(
        digest,
        meta["batches"],
        meta["placement"],
        salts,
        blinds,
        bytes.fromhex(meta["code_seed"]),
        bytes.fromhex(meta["bundle_seed"]),
    )


def cumulative_totals(snapshot: Snapshot, plan: Plan, batch_size: int) -> list[list[int]]:
    """Return the per-asset running totals before each batch, and after the last."""
    n_assets = len(snapshot.assets)
    running = [0] * n_assets
    out = [list(running)]
    for start in range(0, len(plan.placement), batch_size):
        for account in plan.placement[start : start + batch_size]:
            if account >= 0:
                for a, value in enumerate(snapshot.balances_of(account)):
                    running[a] += value
        out.append(list(running))
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
        leaves = range(j * shape.batch_size, (j + 1) * shape.batch_size)
        accounts = [plan.placement[i] for i in leaves]
        yield BatchJob(
            index=j,
            shape=shape,
            key_path=str(key_path),
            user_ids=[snapshot.user_ids[a] if a >= 0 else None for a in accounts],
            salts=[plan.salts[i] for i in leaves],
            balances=[snapshot.balances_of(a) if a >= 0 else zero for a in accounts],
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
    pending: set[Future[BatchResult]] = set()
    for job in jobs:
        pending.add(executor.submit(run_batch_job, job))
        if len(pending) >= in_flight:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(future.result())
    for future in wait(pending).done:
        on_done(future.result())


# -- checkpoints ----------------------------------------------------------------------


def _checkpoint_path(private: Path, index: int) -> Path:
    return private / CHECKPOINTS / f"{index:06d}.json"


def save_checkpoint(private: Path, result: BatchResult) -> None:
    """Record a proven batch so that an interrupted run can resume after it."""
    doc = {
        "index": result.index,
        "public": [str(v) for v in result.public],
        "proof": result.proof,
        "leaves": [str(v) for v in result.leaves],
    }
    write_atomic(_checkpoint_path(private, result.index), json.dumps(doc).encode())


def load_checkpoints(
    private: Path, plan: Plan, totals: list[list[int]], vk: VerifyingKey, shape: CircuitShape
) -> dict[int, BatchResult]:
    """Return the checkpoints of earlier runs that still verify, deleting any that do not.

    A checkpoint is reused only if its leaves hash to its root, its accumulators are the
    ones this plan expects, and its proof verifies.
    """
    found: dict[int, BatchResult] = {}
    for j in range(plan.batches):
        path = _checkpoint_path(private, j)
        if not path.exists():
            continue
        result = _read_checkpoint(path, j)
        expected = (
            protocol.accumulator(totals[j], plan.blinds[j]),
            protocol.accumulator(totals[j + 1], plan.blinds[j + 1]),
        )
        if (
            result is not None
            and len(result.leaves) == shape.batch_size
            and result.public[1:] == expected
            and result.public[0] == protocol.subtree_root(result.leaves, shape.arity)
            and _proof_verifies(vk, result)
        ):
            found[j] = result
        else:
            path.unlink()
    return found


def _read_checkpoint(path: Path, index: int) -> BatchResult | None:
    """Return the checkpoint at ``path``, or None if it cannot be read."""
    try:
        doc = json.loads(path.read_text())
        return BatchResult(
            index,
            tuple(int(v) for v in doc["public"]),
            doc["proof"],
            tuple(int(v) for v in doc["leaves"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _proof_verifies(vk: VerifyingKey, result: BatchResult) -> bool:
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
) -> Manifest:
    """Prove ``snapshot`` and write the attestation directory ``out``; return its manifest.

    Codes are derived from ``code_secret`` when given (the custodian can recompute them
    from user ids), else from the plan's fresh per-attestation seed. ``reserves`` (already
    checked by ``publisher.reserves.ingest``) adds ``reserves.json`` and the coverage.
    """
    if out.exists():
        raise PipelineError(f"{out} already exists; choose a new --out directory")
    shape = CircuitShape(len(config.assets), config.arity, config.batch_depth)
    private.mkdir(parents=True, exist_ok=True)
    plan = load_plan(private, digest)
    if plan is None:
        plan = make_plan(snapshot, config, digest)
        save_plan(plan, snapshot, private)
    keys = keys_for(shape)
    totals = cumulative_totals(snapshot, plan, shape.batch_size)
    done = load_checkpoints(private, plan, totals, keys.verifying_key, shape)
    todo = [j for j in range(plan.batches) if j not in done]

    def finished(result: BatchResult) -> None:
        save_checkpoint(private, result)
        done[result.index] = result
        if progress:
            progress(len(done), plan.batches)

    if progress:
        progress(len(done), plan.batches)
    jobs = make_jobs(snapshot, plan, totals, shape, keys.proving_key_path, todo)
    run_jobs(executor, jobs, in_flight, finished)
    results = [done[j] for j in range(plan.batches)]
    code_key = code_secret if code_secret is not None else plan.code_seed
    return write_attestation(
        out, private, config, snapshot, plan, keys, results, shape, code_key, reserves
    )


def write_attestation(
    out: Path,
    private: Path,
    config: Config,
    snapshot: Snapshot,
    plan: Plan,
    keys: Keys,
    results: list[BatchResult],
    shape: CircuitShape,
    code_key: bytes,
    reserves: list[Wallet] | None = None,
) -> Manifest:
    """Write the public files into a temporary sibling of ``out``, then rename it into place.

    The codes go to ``private/codes.csv`` first: an attestation whose users cannot get
    their codes must never be published.
    """
    top_depth = protocol.top_depth_for(plan.batches, config.arity)
    levels = protocol.top_levels([r.public[0] for r in results], config.arity, top_depth)
    entries = user_entries(config, snapshot, plan, results, levels, code_key)
    bundle_info, buckets = build_buckets(
        config.attestation_id, entries, NaclBackend().secretbox_seal, plan.bundle_seed
    )
    write_atomic(private / CODES, codes_csv(entries, config.site_url))
    files = {
        VK: _json_bytes(keys.verifying_key.to_json()),
        PROOFS: _json_bytes([BatchEntry(r.index, r.public, r.proof).to_json() for r in results]),
        TREE: _json_bytes(tree_to_json(config.arity, levels)),
        BUNDLE_SUMS: bundle_sums(buckets),
        **keys.published,
    }
    held: dict[str, int] | None = None
    if reserves is not None:
        decimals = {a.symbol: a.decimals for a in config.assets}
        files[RESERVES] = _json_bytes(reserves_to_json(config.attestation_id, reserves, decimals))
        held = dict.fromkeys(decimals, 0)
        for wallet in reserves:
            held[wallet.asset] += wallet.balance
    manifest = Manifest(
        attestation_id=config.attestation_id,
        issuer_name=config.issuer_name,
        issuer_url=config.issuer_url,
        as_of=config.as_of,
        assets=tuple(
            AssetLiability(a.symbol, a.decimals, total, None if held is None else held[a.symbol])
            for a, total in zip(config.assets, snapshot.totals, strict=True)
        ),
        tree=TreeInfo(config.arity, config.batch_depth, top_depth, plan.batches, levels[-1][0]),
        initial_accumulator=protocol.initial_accumulator(len(config.assets)),
        final_accumulator=results[-1].public[2],
        final_totals=tuple(snapshot.totals),
        final_blind=plan.blinds[-1],
        circuit_id=shape.circuit_id,
        constraints=len(build_batch_circuit(shape).constraints),
        setup_kind=keys.setup_kind,
        setup_statement=keys.setup_statement,
        software_version=__version__,
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        bundles=bundle_info,
    )
    files.update(buckets)
    files[MANIFEST] = _json_bytes(manifest.to_json())
    _publish_directory(out, files)
    return manifest


def user_entries(
    config: Config,
    snapshot: Snapshot,
    plan: Plan,
    results: list[BatchResult],
    top: list[list[int]],
    code_key: bytes,
) -> list[UserEntry]:
    """Return each account's code and bundle (its path up the batch and the top levels)."""
    size = config.batch_size
    entries = []
    for result in results:
        levels = subtree_levels(result.leaves, config.arity)
        above = sibling_path(top, result.index, config.arity)
        for position in range(size):
            leaf = result.index * size + position
            account = plan.placement[leaf]
            if account < 0:
                continue
            user_id = snapshot.user_ids[account]
            bundle = Bundle(
                attestation_id=config.attestation_id,
                user_id=user_id,
                salt=plan.salts[leaf],
                balances=snapshot.balances_of(account),
                leaf=leaf,
                batch=result.index,
                leaf_hash=result.leaves[position],
                path=tuple(sibling_path(levels, position, config.arity) + above),
            )
            entries.append(UserEntry(derived_code(code_key, user_id), bundle))
    return entries


def codes_csv(entries: list[UserEntry], site_url: str) -> bytes:
    """Return ``codes.csv``: user id, code and the verify-page link, for the custodian."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["user_id", "code", "link"])
    for entry in sorted(entries, key=lambda e: e.bundle.leaf):
        code = format_code(entry.code)
        writer.writerow([entry.bundle.user_id, code, f"{site_url}verify/#code={code}"])
    return buffer.getvalue().encode()


def bundle_sums(buckets: dict[str, bytes]) -> bytes:
    """Return ``bundles/SHA256SUMS`` (sha256sum format) over every bucket file."""
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {name.removeprefix('bundles/')}\n"
        for name, data in sorted(buckets.items())
    ]
    return "".join(lines).encode()


def _json_bytes(doc: Any) -> bytes:
    """Return ``doc`` as deterministic, human-readable JSON."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


PUBLIC_FILE, PUBLIC_FOLDER = 0o644, 0o755


def _publish_directory(out: Path, files: dict[str, bytes]) -> None:
    """Create ``out`` holding ``files``, all at once: a temp dir renamed into place.

    The attestation is public: its folders are 0755 and its files 0644 (``mkdtemp`` and
    ``mkstemp`` would leave them readable by their owner only, and a web server serving
    them as another user would refuse them).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        for name, data in files.items():
            write_atomic(staging / name, data, mode=PUBLIC_FILE)
        for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            folder.chmod(PUBLIC_FOLDER)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

"""Proving and verifying cost per account of the zkpor/2 batch circuit (issue 13).

Run from the repository root::

    python bench/zkpor2_prove.py [--cases 1:16:64,4:16:64,50:4:64,500:1:512] [--tiers 8]
                                 [--reps 3] [--max-seconds 60] [--out bench/out]

Each case ``K:B:A`` is one shape of ``publisher.snark.batch2``, the circuit every zkpor/2
batch proof is made with: ``B`` accounts of ``K`` held-asset slots, a registry of ``A``
assets with ``T``-tier tables, arity 4 where ``B`` is a power of 4 (``B = 1`` included:
``d_b = 0``, the shape of the big accounts), else 2. ``A`` must be at least ``K`` (an
account's asset indexes are distinct and in the registry): ``A = 512`` at K = 500.

Every case runs in a fresh process, which:

1. builds the circuit and counts its constraints, and how many of them scale with the
   registry (labels ``lookup: multiplicities in range`` and ``lookup: registry rows``,
   plus what the packed multiplicities add to the tier sponge);
2. makes keys with the **insecure single-party development setup**
   (``publisher.snark.dev_setup``: a benchmark, never a publication), packs the key and
   the R1CS for the native kernels once; timed, and excluded from the per-account cost;
3. ``--reps`` times: the witness (``batch2_witness``, Python) and the proof (``prove``
   on the native backend), wall and CPU (``time.process_time``: all threads of the
   process); a case whose first proof takes longer than ``--max-seconds`` is proven once;
4. checks the witness's public inputs against ``batch2.public_inputs`` (native), then
   verifies the last proof, each ``--reps`` times (once beyond ``--max-seconds``), on cold
   ``verifier.bn254`` caches:

   * ``fast``: ``verifier.groth16.verify(..., ops=FAST_OPS)``, what ``zkpor verify`` runs
     (``publisher.snark.pairing``: gmpy2 pairing, native MSM for ``vk_x``);
   * ``pure``: ``verifier.groth16.verify`` with its default ``PURE_OPS``
     (``verifier/bn254.py`` on plain ints, the code the browser runs in Pyodide, where it
     is 1.8-2x slower than in CPython);

   each both on the whole statement (all ``5 + A (3T - 1)`` public inputs, as one proof
   stands alone) and with the registry's part of ``vk_x`` folded into ``IC_0`` once per
   attestation (``IC_0 + Σ x_i IC_i`` over the registry inputs, which every batch of an
   attestation shares: docs/protocol.md §16): then a batch proof has 5 public inputs,
   and the fold is timed apart (native MSM for fast, ``verifier.bn254.g1_msm`` for pure);
   a statement with the batch total changed must be rejected.

Per account: the witness's and the proof's CPU seconds over ``B``, with the registry
part (the A·T table rows and their multiplicities: the same for any batch size) either
included, or removed pro rata by constraints (an estimate: the prover's time is not
exactly linear in constraints, the domain being a power of two).

Prints a markdown table and writes ``<out>/zkpor2_prove.json``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from publisher.snark import backend  # noqa: E402
from publisher.snark.account2 import AMOUNT_LIMIT, Entry, TierTable, account_values  # noqa: E402
from publisher.snark.batch2 import (  # noqa: E402
    SPONGE_RATE,
    Batch2Input,
    Batch2Shape,
    _sponge,
    batch2_witness,
    build_batch2,
    public_inputs,
)
from publisher.snark.dev_setup import dev_setup  # noqa: E402
from publisher.snark.gadgets import private_value  # noqa: E402
from publisher.snark.native import PackedKey, packed_r1cs  # noqa: E402
from publisher.snark.pairing import BN254 as FAST_BN254  # noqa: E402
from publisher.snark.pairing import FAST_OPS  # noqa: E402
from publisher.snark.prove import prove  # noqa: E402
from publisher.snark.qap import domain_size  # noqa: E402
from publisher.snark.r1cs import ConstraintSystem, r1cs_digest  # noqa: E402
from verifier import bn254  # noqa: E402
from verifier.book import PUBLIC_REGISTRY, PUBLIC_TOTAL  # noqa: E402
from verifier.groth16 import PairingCheckFailed, VerifyingKey, verify  # noqa: E402

Json = dict[str, Any]
DEFAULT_CASES = "1:16:64,4:16:64,50:4:64,500:1:512"
SEED = 13_2026
#: Collateral tiers of every registry asset, by value (quote units): (from, ratio %).
TIERS_BY_VALUE = [
    (0, 100),
    (10**4, 95),
    (10**5, 90),
    (10**6, 80),
    (10**7, 70),
    (10**8, 60),
    (10**9, 50),
    (10**10, 40),
]
REGISTRY_LABELS = ("lookup: multiplicities in range", "lookup: registry rows")


# --------------------------------------------------------------------------- inputs


def arity_for(batch: int) -> int:
    """Return 4 when ``batch`` is a power of 4 (1 included), else 2."""
    size = 1
    while size < batch:
        size *= 4
    return 4 if size == batch else 2


def random_registry(rng: random.Random, assets: int, tiers: int) -> list[TierTable]:
    return [
        TierTable.from_values(rng.randint(1, 1000), TIERS_BY_VALUE[:tiers]) for _ in range(assets)
    ]


def random_account(rng: random.Random, k: int, registry: Sequence[TierTable]) -> list[Entry]:
    """``k`` held assets (distinct, sorted), equities across the tiers, one debt backed by
    at most the account's collateral (no debt in a quarter of the accounts)."""
    indexes = sorted(rng.sample(range(len(registry)), k))
    entries = [(i, rng.randrange(1 << rng.randint(0, 40)), 0) for i in indexes]
    if rng.random() < 0.25:
        return entries
    collateral, _ = account_values(entries, [registry[i] for i, _, _ in entries])
    slot = rng.randrange(k)
    index, equity, _ = entries[slot]
    most = min(collateral // (100 * registry[index].price), AMOUNT_LIMIT - 1)
    entries[slot] = (index, equity, rng.randint(0, most))
    return entries


def batch_input(shape: Batch2Shape, rng: random.Random) -> Batch2Input:
    registry = random_registry(rng, shape.registry_size, shape.tiers)
    return Batch2Input(
        id_commitments=[rng.getrandbits(250) for _ in range(shape.batch_size)],
        accounts=[random_account(rng, shape.max_assets, registry) for _ in range(shape.batch_size)],
        registry=registry,
        beta=rng.getrandbits(250) + shape.registry_size,
        gamma=rng.getrandbits(250),
        mask=rng.getrandbits(250),
    )


# --------------------------------------------------------------------------- counting


def by_label(cs: ConstraintSystem) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (first, text), (end, _) in pairwise([*cs.labels, (len(cs.constraints), "")]):
        counts[text] = counts.get(text, 0) + end - first
    return counts


def sponge_cost(elements: int) -> int:
    """Constraints of ``batch2._sponge`` over ``elements`` (only its last chunks differ)."""
    cs = ConstraintSystem(n_public=0)
    _sponge(cs, 0, [private_value(cs, lambda _: 0) for _ in range(elements)])
    return len(cs.constraints)


def registry_constraints(cs: ConstraintSystem, shape: Batch2Shape) -> int:
    """Constraints that scale with the registry: its table rows, their multiplicities
    and the multiplicities' share of the tier sponge."""
    labels = by_label(cs)
    rows = shape.registry_size * shape.tiers
    packed = -(-rows // (253 // shape.multiplicity_bits))
    slots = 3 * shape.batch_size * shape.max_assets
    # The sponge's cost depends only on the sizes of its chunks: count the difference on
    # a small prefix with the same remainder modulo the rate.
    base = slots % SPONGE_RATE + SPONGE_RATE
    share = sponge_cost(base + packed) - sponge_cost(base)
    return sum(labels.get(label, 0) for label in REGISTRY_LABELS) + share


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Return (result, wall s, CPU s of the whole process, every thread)."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - w0, time.process_time() - c0


def clear_caches() -> None:
    bn254.clear_caches()
    FAST_BN254.clear_caches()


def repeat(fn: Callable[[], Any], reps: int, max_seconds: float) -> list[float]:
    """Wall seconds of up to ``reps`` calls on cold pairing caches; one if it is slow."""
    out = []
    for _ in range(reps):
        clear_caches()
        _, wall, _ = timed(fn)
        out.append(wall)
        if wall > max_seconds:
            break
    return out


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


# --------------------------------------------------------------------------- one case


def run_case(k: int, b: int, a: int, tiers: int, reps: int, max_seconds: float) -> Json:
    shape = Batch2Shape(b, k, a, tiers, arity_for(b))
    out: Json = {"K": k, "B": b, "A": a, "T": tiers, "arity": shape.arity}
    out["circuit"] = shape.circuit_id
    out["load_before"] = [round(x, 2) for x in os.getloadavg()]

    build = getattr(build_batch2, "__wrapped__", build_batch2)
    circuit, out["build_s"], _ = timed(lambda: build(shape))
    cs = circuit.cs
    out["constraints"] = len(cs.constraints)
    out["wires"] = cs.n_wires
    out["n_public"] = cs.n_public
    out["domain"] = domain_size(cs)
    out["registry_constraints"] = registry_constraints(cs, shape)
    print(
        f"  K={k} B={b} A={a}: {out['constraints']:,} constraints "
        f"({out['registry_constraints']:,} for the registry), domain 2^"
        f"{out['domain'].bit_length() - 1}, {cs.n_public:,} public inputs",
        file=sys.stderr,
        flush=True,
    )

    (pk, vk), out["setup_s"], out["setup_cpu_s"] = timed(lambda: dev_setup(cs, shape.circuit_id))

    def pack(key: Any = pk) -> PackedKey:
        packed_r1cs(cs)
        r1cs_digest(cs)
        return PackedKey.of(key)

    packed, out["pack_s"], _ = timed(pack)
    del pack, pk
    print(f"  dev setup {out['setup_s']:.1f} s, packing {out['pack_s']:.1f} s", file=sys.stderr)

    data = batch_input(shape, random.Random(SEED + k))
    runs = []
    proof = witness = None
    for _ in range(reps):
        witness, w_wall, w_cpu = timed(lambda: batch2_witness(shape, data))
        proof, p_wall, p_cpu = timed(lambda w=witness: prove(packed, cs, w))
        runs.append({"witness_s": w_wall, "witness_cpu_s": w_cpu, "prove_s": p_wall})
        runs[-1]["prove_cpu_s"] = p_cpu
        print(f"  witness {w_wall:.2f} s, prove {p_wall:.2f} s", file=sys.stderr, flush=True)
        if p_wall > max_seconds:
            break
    assert proof is not None and witness is not None
    out["runs"] = runs
    for key in runs[0]:
        out[key] = median([r[key] for r in runs])

    statement = public_inputs(shape, data)
    if list(witness[1 : 1 + cs.n_public]) != statement:
        raise AssertionError("the witness's public inputs are not the native ones")
    out.update(verify_times(vk, statement, proof, reps, max_seconds))
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def fold_registry(vk: VerifyingKey, statement: Sequence[int], msm: Callable[..., Any]) -> Any:
    """Return ``IC_0 + Σ x_i IC_i`` over the registry's public inputs."""
    first = 1 + PUBLIC_REGISTRY
    return msm([vk.ic[0], *vk.ic[first:]], [1, *statement[PUBLIC_REGISTRY:]])


def verify_times(
    vk: VerifyingKey, statement: list[int], proof: Any, reps: int, max_seconds: float
) -> Json:
    from publisher.snark.msm import msm_g1

    out: Json = {}
    wrong = list(statement)
    wrong[PUBLIC_TOTAL] = (wrong[PUBLIC_TOTAL] + 1) % bn254.R
    try:
        verify(vk, wrong, proof, ops=FAST_OPS)
    except PairingCheckFailed:
        out["wrong_total_rejected"] = True
    else:
        raise AssertionError("a wrong batch total verified")

    for name, ops, msm in (("fast", FAST_OPS, msm_g1), ("pure", None, bn254.g1_msm)):
        whole = repeat(lambda o=ops: verify(vk, statement, proof, ops=o), reps, max_seconds)
        folds = repeat(lambda m=msm: fold_registry(vk, statement, m), reps, max_seconds)
        ic0 = fold_registry(vk, statement, msm)
        small = VerifyingKey(
            alpha_g1=vk.alpha_g1,
            beta_g2=vk.beta_g2,
            gamma_g2=vk.gamma_g2,
            delta_g2=vk.delta_g2,
            ic=(ic0, *vk.ic[1 : 1 + PUBLIC_REGISTRY]),
        )
        batch = statement[:PUBLIC_REGISTRY]
        per_batch = repeat(
            lambda o=ops, v=small, x=batch: verify(v, x, proof, ops=o), reps, max_seconds
        )
        out[f"verify_{name}_s"] = median(whole)
        out[f"fold_{name}_s"] = median(folds)
        out[f"verify_{name}_folded_s"] = median(per_batch)
        print(
            f"  verify {name}: whole {out[f'verify_{name}_s']:.3f} s, fold "
            f"{out[f'fold_{name}_s']:.3f} s, per batch {out[f'verify_{name}_folded_s']:.4f} s",
            file=sys.stderr,
            flush=True,
        )
    return out


# --------------------------------------------------------------------------- report


def per_account(case: Json) -> Json:
    b = case["B"]
    share = 1 - case["registry_constraints"] / case["constraints"]
    return {
        "witness_core_s": case["witness_cpu_s"] / b,
        "prove_core_s": case["prove_cpu_s"] / b,
        "total_core_s": (case["witness_cpu_s"] + case["prove_cpu_s"]) / b,
        "total_core_s_no_registry": (case["witness_cpu_s"] + case["prove_cpu_s"]) * share / b,
    }


def table(cases: Sequence[Json]) -> str:
    head = (
        "| K | B | A | arity | constraints (registry part) | domain | public inputs | setup s "
        "| witness s | prove s (runs) | prove CPU s | verify fast, whole / folded ms "
        "| verify pure, whole / folded ms | registry fold fast / pure ms "
        "| core-s per account (witness + prove) | without the registry part |"
    )
    lines = [head, "|" + "---:|" * 16]
    for c in cases:
        p = per_account(c)
        lines.append(
            f"| {c['K']} | {c['B']} | {c['A']} | {c['arity']} "
            f"| {c['constraints']:,} ({c['registry_constraints']:,}) "
            f"| 2^{c['domain'].bit_length() - 1} | {c['n_public']:,} | {c['setup_s']:.1f} "
            f"| {c['witness_s']:.2f} | {c['prove_s']:.2f} ({len(c['runs'])}) "
            f"| {c['prove_cpu_s']:.2f} "
            f"| {1e3 * c['verify_fast_s']:,.1f} / {1e3 * c['verify_fast_folded_s']:,.1f} "
            f"| {1e3 * c['verify_pure_s']:,.0f} / {1e3 * c['verify_pure_folded_s']:,.1f} "
            f"| {1e3 * c['fold_fast_s']:,.1f} / {1e3 * c['fold_pure_s']:,.0f} "
            f"| {p['total_core_s']:.3f} ({p['witness_core_s']:.3f} + {p['prove_core_s']:.3f}) "
            f"| {p['total_core_s_no_registry']:.3f} |"
        )
    return "\n".join(lines)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=DEFAULT_CASES, help="K:B:A,... (held, batch, registry)")
    parser.add_argument("--tiers", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        k, b, a = (int(x) for x in args.worker.split(":"))
        with backend.forced("native"):
            result = run_case(k, b, a, args.tiers, args.reps, args.max_seconds)
        print(json.dumps(result))
        return

    print(f"zkpor/2 batch circuit: {backend.describe()}, T = {args.tiers}", file=sys.stderr)
    print("keys: single-party development setup (insecure, benchmark only)", file=sys.stderr)
    started = datetime.datetime.now(datetime.UTC)
    cases = []
    for case in args.cases.split(","):
        print(f"== case K:B:A = {case}", file=sys.stderr, flush=True)
        cmd = [sys.executable, __file__, "--worker", case, "--tiers", str(args.tiers)]
        cmd += ["--reps", str(args.reps), "--max-seconds", str(args.max_seconds)]
        w0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
        stdout, _ = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"case {case} failed (exit {proc.returncode})")
        result = json.loads(stdout.strip().splitlines()[-1])
        result["process_wall_s"] = time.perf_counter() - w0
        cases.append(result)

    report = {
        "started": started.isoformat(timespec="seconds"),
        "ended": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git": git_commit(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "backend": backend.describe(),
        "cases": cases,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "zkpor2_prove.json").write_text(json.dumps(report, indent=1))
    print(f"\n{report['started']} .. {report['ended']}, git {report['git']}, {report['backend']}\n")
    print(table(cases))


if __name__ == "__main__":
    main()

"""Benchmark of the verifier's pairing (``verifier.bn254``) against py_ecc's and gmpy2's.

Run from the repository root::

    python bench/pairing.py [--reps 5] [--proofs 64] [--baseline-rev afe604c]
                            [--max-seconds 20] [--out bench/out/pairing.json]

Every figure is the median over ``--reps`` repetitions (wall and CPU time of this process;
the machine is shared, and CPU time is the less noisy of the two); within a repetition the
implementations of a row run one after the other, so that they share the same moments of
load, and the ratios in the last columns are of medians from this one run. The caches of
``verifier.bn254`` (prepared lines, G2 points known to be in G2) are emptied before every
measurement: each one starts like a fresh page or process, and only what a check itself
reuses (the key's lines from one chunk of proofs to the next) is reused.

Implementations:

* ``py_ecc``: ``py_ecc.optimized_bn128`` (``verifier.ceremony_crypto.PY_ECC_OPS``), what the
  verifier used before;
* ``pure``: ``verifier.bn254`` on Python ints, the verifier's default (``PURE_OPS``), what
  the browser runs under Pyodide;
* ``gmpy2``: the same code run on gmpy2 integers, with the publisher's MSMs
  (``publisher.snark.pairing.FAST_OPS``, what ``zkpor verify`` and the ceremony use);
* ``old gmpy2`` (with ``--baseline-rev REV``): the publisher's previous gmpy2 pairing, read
  from git (``git show REV:publisher/snark/pairing.py``), with its ``FAST_OPS``.

Proofs are real: ``--proofs`` random batches of a small circuit shape (4 assets, arity 2,
batch depth 1; the pairing work does not depend on the circuit size, only the public-input
sum does, and every zkpor/1 proof has 3 public inputs) proven with the development keys of
``publisher.snark.batch`` (cached in ``$ZKPOR_CACHE``). The ceremony row checks the protocol
vectors' transcript against their vk.json (``verifier.ceremony.check_setup``: one
contribution and a beacon), as step 9 of ``zkpor verify`` and the account holder's step 7
do. A py_ecc measurement whose first repetition exceeds ``--max-seconds`` is taken once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gmpy2  # noqa: E402
from py_ecc.optimized_bn128 import optimized_curve as ecc  # noqa: E402
from py_ecc.optimized_bn128.optimized_pairing import (  # noqa: E402
    final_exponentiate,
    pairing,
)

from publisher.snark import pairing as fast  # noqa: E402
from publisher.snark.batch import default_cache_dir, dev_keys, prove_batch, random_batch  # noqa: E402
from publisher.snark.circuit import CircuitShape  # noqa: E402
from verifier import bn254, groth16  # noqa: E402
from verifier.ceremony import check_setup  # noqa: E402
from verifier.ceremony_crypto import PY_ECC_OPS, CurveOps  # noqa: E402
from verifier.ceremony_format import SETUP_CEREMONY  # noqa: E402
from verifier.field import R  # noqa: E402
from verifier.groth16 import Proof, VerifyingKey, verify, verify_many  # noqa: E402

SHAPE = CircuitShape(n_assets=4, arity=2, batch_depth=1)
VECTORS = ROOT / "tests" / "vectors" / "protocol" / "attestation"
Items = list[tuple[tuple[int, ...], Proof]]


def clear_caches() -> None:
    bn254.clear_caches()
    fast.BN254.clear_caches()


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    """Return (wall, CPU) seconds of one call, on cold ``verifier.bn254`` caches."""
    clear_caches()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def run_row(
    name: str, impls: dict[str, Callable[[], object]], reps: int, max_seconds: float
) -> dict[str, Any]:
    """Time each implementation ``reps`` times, interleaved; return medians in ms."""
    walls: dict[str, list[float]] = {k: [] for k in impls}
    cpus: dict[str, list[float]] = {k: [] for k in impls}
    for rep in range(reps):
        for label, fn in impls.items():
            if rep and label == "py_ecc" and walls[label][0] > max_seconds:
                continue  # measured once: too slow to repeat
            wall, cpu = measure(fn)
            walls[label].append(wall)
            cpus[label].append(cpu)
    row: dict[str, Any] = {"row": name, "impls": {}}
    for label in impls:
        row["impls"][label] = {
            "reps": len(walls[label]),
            "wall_ms": statistics.median(walls[label]) * 1e3,
            "cpu_ms": statistics.median(cpus[label]) * 1e3,
            "all_wall_ms": [round(w * 1e3, 3) for w in walls[label]],
        }
    print_row(row)
    return row


def print_row(row: dict[str, Any]) -> None:
    impls = row["impls"]
    ref = impls.get("py_ecc", {}).get("cpu_ms")
    pure = impls.get("pure", {}).get("cpu_ms")
    print(f"\n{row['row']}")
    for label, m in impls.items():
        ratio = f"  py_ecc/this {ref / m['cpu_ms']:6.1f}x" if ref else ""
        vs_pure = f"  this/pure {m['cpu_ms'] / pure:5.2f}" if pure else ""
        print(
            f"  {label:10s} wall {m['wall_ms']:9.2f} ms  cpu {m['cpu_ms']:9.2f} ms"
            f"  (reps {m['reps']}){ratio}{vs_pure}"
        )


def old_fast_module(rev: str) -> types.ModuleType:
    """Return the publisher's gmpy2 pairing module as it was at git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:publisher/snark/pairing.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("bench_old_pairing")
    sys.modules[module.__name__] = module
    exec(compile(source, f"{rev}:publisher/snark/pairing.py", "exec"), module.__dict__)
    return module


def make_proofs(count: int) -> tuple[VerifyingKey, Items]:
    pk, vk = dev_keys(SHAPE, default_cache_dir())
    items: Items = []
    for i in range(count):
        batch = prove_batch(SHAPE, random_batch(SHAPE, random.Random(i)), pk)
        items.append((batch.public, batch.proof))
    verify_many(vk, items)
    return vk, items


def ecc_g1(point: bn254.G1Point) -> Any:
    assert point is not None
    return ecc.FQ(point[0]), ecc.FQ(point[1]), ecc.FQ.one()


def ecc_g2(point: bn254.G2Point) -> Any:
    assert point is not None
    (x0, x1), (y0, y1) = point
    return ecc.FQ2([x0, x1]), ecc.FQ2([y0, y1]), ecc.FQ2.one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--proofs", type=int, default=64)
    parser.add_argument("--baseline-rev", help="git revision of the old gmpy2 pairing")
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "pairing.json")
    args = parser.parse_args()

    load_before = os.getloadavg()
    print(f"making {args.proofs} proofs ({SHAPE.circuit_id}) ...", flush=True)
    vk, items = make_proofs(args.proofs)
    old = old_fast_module(args.baseline_rev) if args.baseline_rev else None
    ops: dict[str, CurveOps | None] = {"py_ecc": PY_ECC_OPS, "pure": None, "gmpy2": fast.FAST_OPS}
    if old is not None:
        ops["old gmpy2"] = old.FAST_OPS

    rng = random.Random(1)
    p1 = bn254.g1_mul(bn254.G1_GENERATOR, rng.randrange(1, R))
    q2 = bn254.g2_mul(bn254.G2_GENERATOR, rng.randrange(1, R))
    assert p1 is not None and q2 is not None
    ecc_p, ecc_q = ecc_g1(p1), ecc_g2(q2)
    miller = bn254.miller_loop([(p1, bn254.prepare(q2))])
    ecc_miller = pairing(ecc_q, ecc_p, final_exponentiate=False)
    miller_mpz = tuple(gmpy2.mpz(c) for c in miller)
    rows = []

    def row(name: str, impls: dict[str, Callable[[], object]]) -> None:
        rows.append(run_row(name, impls, args.reps, args.max_seconds))

    pairings: dict[str, Callable[[], object]] = {
        "py_ecc": lambda: pairing(ecc_q, ecc_p),
        "pure": lambda: bn254.pairing(p1, q2),
        "gmpy2": lambda: fast.BN254.pairing(p1, q2),
    }
    finals: dict[str, Callable[[], object]] = {
        "py_ecc": lambda: final_exponentiate(ecc_miller),
        "pure": lambda: bn254.final_exponentiation(miller),
        "gmpy2": lambda: fast.BN254.final_exponentiation(miller_mpz),
    }
    subgroup: dict[str, Callable[[], object]] = {
        "py_ecc": lambda: groth16._g2_in_subgroup(q2),
        "pure": lambda: bn254.g2_in_subgroup(q2),
        "gmpy2": lambda: fast.FAST_OPS.g2_in_subgroup(q2),
    }
    if old is not None:
        old_f = old.miller_product([(p1, q2)])
        pairings["old gmpy2"] = lambda: old.product_is_one([(p1, q2)])
        finals["old gmpy2"] = lambda: old._final_exponentiation_is_one(old_f)
        subgroup["old gmpy2"] = lambda: old.FAST_OPS.g2_in_subgroup(q2)
    row("one pairing e(P, Q) (old gmpy2: the same work as a check that it is 1)", pairings)
    row(
        "Miller loop, one pair",
        {
            "py_ecc": lambda: pairing(ecc_q, ecc_p, final_exponentiate=False),
            "pure": lambda: bn254.miller_loop([(p1, bn254.prepare(q2))]),
            "gmpy2": lambda: fast.BN254.miller_loop([(p1, fast.BN254.prepare(q2))]),
            **({"old gmpy2": lambda: old.miller_product([(p1, q2)])} if old else {}),
        },
    )
    row("final exponentiation", finals)
    row("G2 subgroup check", subgroup)

    def verifies(call: Callable[[CurveOps | None], object]) -> dict[str, Callable[[], object]]:
        return {label: (lambda o=o: call(o)) for label, o in ops.items()}

    row("verify, 1 proof", verifies(lambda o: verify(vk, *items[0], ops=o)))
    row("verify_many, 4 proofs", verifies(lambda o: verify_many(vk, items[:4], ops=o)))
    row(
        f"verify_many, {len(items)} proofs",
        verifies(lambda o: verify_many(vk, items, ops=o)),
    )

    def chunks(o: CurveOps | None) -> None:
        for start in range(0, len(items), 4):
            verify_many(vk, items[start : start + 4], ops=o)

    row(
        f"{len(items)} proofs in chunks of 4 (the Verify page's progress chunks)",
        {k: v for k, v in verifies(chunks).items() if k != "py_ecc"},
    )
    read = lambda name: (VECTORS / name).read_bytes()  # noqa: E731
    vectors_vk = VerifyingKey.from_json(json.loads(read("vk.json")))
    circuit_id = json.loads(read("attestation.json"))["circuit"]["id"]
    row(
        "ceremony check (check_setup on the protocol vectors: a contribution and a beacon)",
        verifies(
            lambda o: check_setup(
                read,
                SETUP_CEREMONY,
                vectors_vk,
                circuit_id,
                ops=o or bn254.PURE_OPS,
                allow_unknown_phase1=True,
            )
        ),
    )

    # e(alpha, beta) in a batch: one more pair on beta's prepared lines (and [W] alpha in
    # G1, W = sum of the batch coefficients), or the GT value e(alpha, beta) raised to W?
    beta_lines = bn254._unit_lines(bn254.prepare(vk.beta_g2))
    others = [
        (p1, bn254._unit_lines(bn254.prepare(q))) for q in (vk.gamma_g2, vk.delta_g2, items[0][1].b)
    ]
    assert beta_lines is not None and None not in [lines for _, lines in others]
    weight = sum(rng.randrange(1, 1 << 128) for _ in range(4))
    e_ab = bn254.pairing(vk.alpha_g1, vk.beta_g2)
    alpha_w = bn254.g1_mul(vk.alpha_g1, weight)
    row(
        "e(alpha, beta)^W, W = sum of 4 coefficients: as a pair (3 pairs + it, minus 3 pairs)",
        {
            "3 pairs": lambda: bn254.miller_loop(others),  # type: ignore[arg-type]
            "4 pairs": lambda: bn254.miller_loop([*others, (alpha_w, beta_lines)]),  # type: ignore[list-item]
            "[W] alpha": lambda: bn254.g1_mul(vk.alpha_g1, weight),
            "GT power": lambda: bn254.fp12_mul(miller, bn254.gt_pow(e_ab, weight)),
        },
    )

    costs = {k: v["cpu_ms"] for k, v in rows[-1]["impls"].items()}
    as_pair = costs["4 pairs"] - costs["3 pairs"] + costs["[W] alpha"]
    print(
        f"  -> e(alpha, beta) as one more pair: {as_pair:.2f} ms CPU; "
        f"as a GT power: {costs['GT power']:.2f} ms CPU"
    )

    result = {
        "machine": {
            "python": platform.python_version(),
            "gmpy2": gmpy2.version(),
            "nproc": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),
        },
        "args": {k: str(v) for k, v in vars(args).items()},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"\nload {load_before} -> {result['machine']['load_after']}; written to {args.out}")


if __name__ == "__main__":
    main()

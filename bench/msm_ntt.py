"""Benchmark of the prover's arithmetic kernels: MSM (G1, G2), fixed-base, NTT.

Run: ``python bench/msm_ntt.py [--reps 3] [--g1 14,16] [--g2 14,16] [--ntt 14,16]``.
Prints medians over the repetitions, both wall-clock and CPU time of this process: the
development machine is shared, and CPU time is the less noisy of the two. Scalars are
uniformly random in [0, r) ("random"), or a witness-like mix ("70% bits": 35% zeros,
35% ones, 30% random), since most wires of the target circuits are bits.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.snark.curve import G1_GEN, G2_GEN
from publisher.snark.msm import fixed_base_g1, fixed_base_g2, msm_g1, msm_g2
from publisher.snark.ntt import coset_ntt, intt, ntt
from verifier.field import R


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds over ``reps`` runs, and the last result."""
    walls, cpus = [], []
    out = None
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def report(label: str, n: int, wall: float, cpu: float, unit: str = "us/pt") -> None:
    if unit == "s":
        print(f"{label:34s} n=2^{n.bit_length() - 1:<3d} wall {wall:7.3f} s    cpu {cpu:7.3f} s")
    else:
        print(
            f"{label:34s} n=2^{n.bit_length() - 1:<3d} "
            f"wall {wall / n * 1e6:7.1f} {unit}  cpu {cpu / n * 1e6:7.1f} {unit}"
        )


def bits_mix(rng: random.Random, n: int) -> list[int]:
    out = []
    for _ in range(n):
        u = rng.random()
        out.append(0 if u < 0.35 else 1 if u < 0.7 else rng.randrange(R))
    return out


def bench_group(
    name: str,
    sizes: list[int],
    reps: int,
    fixed: Callable[[Any, list[int]], list[Any]],
    gen: Any,
    msm: Callable[[list[Any], list[int]], Any],
) -> None:
    rng = random.Random(1)
    for k in sizes:
        n = 1 << k
        ks = [rng.randrange(R) for _ in range(n)]
        # The fixed-base run doubles as the generator of random points for the MSM.
        wall, cpu, points = timed(lambda ks=ks: fixed(gen, ks), 1)
        report(f"{name} fixed-base (keygen)", n, wall, cpu)
        scalars = [rng.randrange(R) for _ in range(n)]
        wall, cpu, _ = timed(lambda p=points, s=scalars: msm(p, s), reps)
        report(f"{name} MSM random 254-bit", n, wall, cpu)
        mix = bits_mix(rng, n)
        wall, cpu, _ = timed(lambda p=points, s=mix: msm(p, s), reps)
        report(f"{name} MSM 70% bits", n, wall, cpu)


def bench_ntt(sizes: list[int], reps: int) -> None:
    rng = random.Random(2)
    for k in sizes:
        n = 1 << k
        values = [rng.randrange(R) for _ in range(n)]
        for label, fn in (
            ("NTT", lambda v=values: ntt(v)),
            ("inverse NTT", lambda v=values: intt(v)),
            ("coset NTT", lambda v=values: coset_ntt(v, 5)),
        ):
            wall, cpu, _ = timed(fn, reps)
            report(label, n, wall, cpu, unit="s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--g1", default="14,16", help="log2 sizes for G1 (empty: skip)")
    parser.add_argument("--g2", default="14,16", help="log2 sizes for G2 (empty: skip)")
    parser.add_argument("--ntt", default="14,16", help="log2 sizes for the NTT (empty: skip)")
    args = parser.parse_args()

    def sizes(text: str) -> list[int]:
        return [int(s) for s in text.split(",") if s]

    print(f"python {sys.version.split()[0]}; medians of {args.reps} runs (fixed-base: 1 run)")
    bench_group("G1", sizes(args.g1), args.reps, fixed_base_g1, G1_GEN, msm_g1)
    bench_group("G2", sizes(args.g2), args.reps, fixed_base_g2, G2_GEN, msm_g2)
    bench_ntt(sizes(args.ntt), args.reps)


if __name__ == "__main__":
    main()

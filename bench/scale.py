"""Memory and time of every stage of ``zkpor prove`` and ``zkpor site build`` around the
proving, at 10^4 .. 10^6 accounts (issue: a million accounts).

Run from the repository root::

    python bench/scale.py [--sizes 10000,100000,1000000] [--out bench/out/scale]

For each size it writes the demo snapshot of N users x 4 assets (arity 4, 64 accounts per
batch, the shape of the figures in bench/README.md), then runs, in a fresh child process:
ingest (``read_liabilities``), ``prove_attestation`` and ``build_site``, recording each
stage's wall time and the child's peak RSS during that stage (Linux: ``VmHWM``, reset at
every stage start through ``/proc/self/clear_refs``).

**The attestation is not a real one.** The proving is replaced by a placeholder that
returns random leaf hashes and subtree levels and one fixed, invalid proof per batch, with
the protocol vectors' verifying key (``tests/vectors/protocol/attestation/vk.json``), so
that every other stage runs on its real code at sizes whose proofs would take days; the
site build's check parses the proofs without verifying them, skips the steps that such an
attestation fails (accumulator chain, totals, setup) and runs the others (manifest,
verifying key, top of the tree, every bucket's hash and order, reserves). Real proofs are
measured by ``bench/pipeline.py`` and ``bench/e2e.py``.

Prints a markdown table and writes every figure to ``<out>.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from publisher.attest import pipeline  # noqa: E402
from publisher.attest.ingest import read_liabilities  # noqa: E402
from publisher.attest.jobs import BatchJob, BatchResult  # noqa: E402
from publisher.config import load_config  # noqa: E402
from publisher.demo import write_demo_inputs  # noqa: E402
from publisher.site.build import BuildOptions, build_site  # noqa: E402
from publisher.snark.circuit import CircuitShape  # noqa: E402
from publisher.snark.keys import Keys  # noqa: E402
from verifier import attestation as checks  # noqa: E402
from verifier.field import R  # noqa: E402
from verifier.groth16 import VerifyingKey  # noqa: E402
from verifier.manifest import PROOFS, SETUP_INSECURE_DEV  # noqa: E402

MB = 1 << 20
SEED = 1
VECTORS = REPO / "tests" / "vectors" / "protocol" / "attestation"
PLACEHOLDER = "bench/scale.py placeholder: NOT an attestation (random leaves, invalid proofs)"


# -- the child: one size, every stage ---------------------------------------------------


def _peak_rss_mb() -> float:
    """Return this process's peak RSS since the last reset (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class Stages:
    """Times each stage and its peak RSS: a new stage name closes the previous one."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.name: str | None = None
        self.started = 0.0

    def enter(self, name: str) -> None:
        if name == self.name:
            return
        self.close()
        _reset_peak()
        self.name, self.started = name, time.perf_counter()

    def close(self) -> None:
        if self.name is not None:
            seconds = time.perf_counter() - self.started
            self.rows.append({"stage": self.name, "s": seconds, "peak_mb": _peak_rss_mb()})
        self.name = None

    def report(self, name: str, done: int, total: int) -> None:
        self.enter(name)


def _placeholder_batch(job: BatchJob) -> BatchResult:
    """Random leaves and levels, the vectors' (invalid here) proof: no proving at all."""
    rng = random.Random(job.index)
    levels, width = [], job.shape.batch_size
    while width >= 1:
        levels.append(tuple(rng.randrange(R) for _ in range(width)))
        width //= job.shape.arity
    public = (levels[-1][0], rng.randrange(R), rng.randrange(R))
    return BatchResult(job.index, public, _PROOF, tuple(levels))


_PROOF: dict[str, Any] = json.loads((VECTORS / PROOFS).read_text())[0]["proof"]


def _placeholder_keys(shape: CircuitShape) -> Keys:
    vk = VerifyingKey.from_json(json.loads((VECTORS / "vk.json").read_text()))
    return Keys(Path("/nonexistent/placeholder.zkey"), vk, SETUP_INSECURE_DEV, PLACEHOLDER)


def _not_checked(files: Any) -> str:
    return "not checked (bench placeholder)"


def run_child(folder: Path) -> None:
    """Run every stage on the inputs in ``folder``; write ``folder/stages.json``."""
    stages = Stages()
    config = load_config(folder / "zkpor.toml")
    private, out, site = folder / "private", folder / "attestation", folder / "site"
    private.mkdir()
    stages.enter("ingest")
    snapshot = read_liabilities(folder / "liabilities.csv", config, workdir=private)
    digest = pipeline.inputs_digest(folder / "liabilities.csv", folder / "zkpor.toml")
    pipeline.run_batch_job = _placeholder_batch  # type: ignore[assignment]
    batches = 0

    def proved(done: int, total: int) -> None:
        nonlocal batches
        stages.enter("proving (placeholder) + checkpoints")
        batches = total

    with ThreadPoolExecutor(1) as executor, snapshot:
        pipeline.prove_attestation(
            snapshot,
            config,
            digest,
            out,
            private,
            _placeholder_keys,
            executor,
            in_flight=4,
            progress=proved,
            stage=stages.report,
        )
    # Proofs are parsed (later steps use them) but not verified; the chain, totals and
    # setup steps, which the placeholder fails by construction, are not run.
    checks.verify_many = lambda *args, **kwargs: None  # type: ignore[assignment]
    for name in ("_check_chain", "_check_totals", "_check_setup"):
        setattr(checks, name, _not_checked)
    stages.enter("site build (mkdocs in a child)")
    build_site(out, site, BuildOptions(allow_insecure_dev_setup=True))
    stages.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "accounts": len(snapshot),
        "batches": batches,
        "stages": stages.rows,
        "mkdocs_peak_mb": children,
        "attestation_mb": _size(out) / MB,
        "site_mb": _size(site) / MB,
        "site_files": sum(1 for p in site.rglob("*") if p.is_file()),
    }
    (folder / "stages.json").write_text(json.dumps(result, indent=1))


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- the parent: sizes, table -----------------------------------------------------------


def run_size(users: int, out: Path) -> dict[str, Any]:
    folder = out / f"n{users}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    write_demo_inputs(folder, users, SEED, batch_depth=3)
    print(f"{users} accounts: inputs written in {time.perf_counter() - started:.1f} s", flush=True)
    subprocess.run([sys.executable, __file__, "--child", str(folder)], check=True)
    result: dict[str, Any] = json.loads((folder / "stages.json").read_text())
    return result


def table(results: list[dict[str, Any]]) -> str:
    names = list(dict.fromkeys(row["stage"] for r in results for row in r["stages"]))
    head = "| stage | " + " | ".join(f"{r['accounts']:,} s | MiB" for r in results) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(results)]
    for name in names:
        cells = []
        for r in results:
            row = next((x for x in r["stages"] if x["stage"] == name), None)
            cells.append("- | -" if row is None else f"{row['s']:.1f} | {row['peak_mb']:.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    total = " | ".join(
        f"**{sum(x['s'] for x in r['stages']):.1f}** | "
        f"**{max(x['peak_mb'] for x in r['stages']):.0f}**"
        for r in results
    )
    lines.append(f"| whole run (peak: largest stage) | {total} |")
    lines.append("")
    for r in results:
        lines.append(
            f"- {r['accounts']:,} accounts, {r['batches']:,} batches: attestation "
            f"{r['attestation_mb']:.0f} MiB, site {r['site_mb']:.0f} MiB in {r['site_files']:,} "
            f"files; mkdocs peak {r['mkdocs_peak_mb']:.0f} MiB"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "scale")
    parser.add_argument("--keep", action="store_true", help="keep each size's files")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child)
        return
    load = os.getloadavg()[0]
    results = []
    for users in (int(n) for n in args.sizes.split(",")):
        results.append(run_size(users, args.out))
        if not args.keep:
            shutil.rmtree(args.out / f"n{users}")
    report = table(results)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"{when}, load average {load:.1f} -> {os.getloadavg()[0]:.1f}; {PLACEHOLDER}\n\n"
    print(header + report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(results, indent=1))
    Path(f"{args.out}.md").write_text(header + report + "\n")


if __name__ == "__main__":
    main()

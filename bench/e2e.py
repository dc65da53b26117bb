"""A whole attestation at scale, as an operator runs it: ceremony keys, ``zkpor prove`` on
local workers, ``zkpor verify``, ``zkpor site build`` (issue: a million accounts, item 2).

Run from the repository root::

    python bench/e2e.py [--users 100000] [--workers 2] [--out bench/out/e2e]

1. the demo snapshot of N users x 4 assets (arity 4, 64 accounts per batch), padded to
   whole batches only (``pad_to = N``: every proven leaf but the last batch's is an account);
2. a ceremony for that circuit, as ``docs/operations.md`` runs one: a single-party phase-1
   file made here (``zkpor ceremony demo-ptau``; a real attestation uses a public one),
   ``init``, two contributions, a beacon, ``finalize``: the keys are the ceremony's, not the
   development setup's;
3. ``zkpor prove --ceremony KEYS --workers W``; 4. ``zkpor verify --json``;
5. ``zkpor site build``.

Per step: wall time; CPU of the process and every descendant (``os.wait4`` rusage); the
peak RSS (``VmHWM``) of each process, sampled every second: the coordinator (the CLI) and
each pool worker separately. Then core-seconds per account and the sizes on disk. Writes
``<out>.json`` and ``<out>.md``; a run can be resumed (``--resume``: the ceremony and a
killed ``prove`` pick up where they stopped, as the CLI does).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from publisher.demo import write_demo_inputs  # noqa: E402

MB = 1 << 20
SEED = 1
PTAU_POWER = 16  # 43,373 constraints at 64 accounts x 4 assets: 2^16 rows


def zkpor() -> list[str]:
    script = Path(sys.executable).parent / "zkpor"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "publisher.cli.main"]


class PeakSampler(threading.Thread):
    """Samples VmHWM of a process and all its descendants once a second, per process."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peaks: dict[int, float] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(1.0):
            for pid in self._tree():
                peak = _vm_hwm_mb(pid)
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def step(name: str, cmd: list[str], log: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd``; return its wall time, CPU (with descendants) and per-process peaks."""
    print(f"{datetime.datetime.now():%H:%M:%S} {name}: {' '.join(cmd[1:])}", flush=True)
    with log.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
        sampler = PeakSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.halt.set()
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{name} failed (exit {code}); see {log}")
    coordinator = max(usage.ru_maxrss / 1024, sampler.peaks.get(proc.pid, 0.0))
    others = sorted((v for pid, v in sampler.peaks.items() if pid != proc.pid), reverse=True)
    result = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "coordinator_peak_mb": coordinator,
        "other_process_peaks_mb": others,
        "load_after": os.getloadavg()[0],
    }
    print(f"  {wall:.1f} s wall, {result['cpu_s']:.1f} s CPU, coordinator {coordinator:.0f} MiB")
    return result


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "e2e")
    parser.add_argument("--resume", action="store_true", help="reuse the work folder")
    args = parser.parse_args()
    work = args.out.resolve() / f"n{args.users}"
    if work.exists() and not args.resume:
        sys.exit(f"{work} exists: pass --resume or remove it")
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ZKPOR_CACHE": str(work / "cache"), "COLUMNS": "120", "NO_COLOR": "1"}
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
        "users": args.users,
        "workers": args.workers,
        "nproc": os.cpu_count(),
        "load_start": os.getloadavg()[0],
        "steps": {},
    }
    csv_path, toml_path = work / "liabilities.csv", work / "zkpor.toml"
    if not toml_path.exists():
        write_demo_inputs(work, args.users, SEED, batch_depth=3)
        toml = re.sub(r"(?m)^pad_to = \d+$", f"pad_to = {args.users}", toml_path.read_text())
        toml_path.write_text(toml)
    ceremony, keys = work / "ceremony", work / "keys"
    ptau = work / f"pot{PTAU_POWER}.ptau"
    steps = report["steps"]
    z = zkpor()
    if not keys.exists():
        if not ptau.exists():
            cmd = [*z, "ceremony", "demo-ptau", "--power", str(PTAU_POWER), "--out", str(ptau)]
            steps["phase 1 (demo, single party)"] = step("phase1", cmd, work / "ptau.log", env)
        if not ceremony.exists():
            cmd = [*z, "ceremony", "init", str(ceremony), "--ptau", str(ptau), "--assets", "4"]
            cmd += ["--arity", "4", "--batch-depth", "3"]
            steps["ceremony init"] = step("init", cmd, work / "init.log", env)
            for who in ("alice", "bob"):
                cmd = [*z, "ceremony", "contribute", str(ceremony), "--name", who]
                cmd += ["--ptau", str(ptau)]
                steps[f"contribution ({who})"] = step(who, cmd, work / f"{who}.log", env)
            cmd = [*z, "ceremony", "beacon", str(ceremony), "--name", "beacon"]
            cmd += ["--value", "5a" * 32, "--iterations-exp", "10"]
            steps["beacon"] = step("beacon", cmd, work / "beacon.log", env)
        cmd = [*z, "ceremony", "finalize", str(ceremony), "--ptau", str(ptau), "--out", str(keys)]
        steps["finalize"] = step("finalize", cmd, work / "finalize.log", env)
    attestation, private, site = work / "attestation", work / "private", work / "site"
    cmd = [*z, "prove", "--liabilities", str(csv_path), "--config", str(toml_path)]
    cmd += ["--out", str(attestation), "--private", str(private), "--ceremony", str(keys)]
    cmd += ["--workers", str(args.workers)]
    prove = steps["prove"] = step("prove", cmd, work / "prove.log", env)
    unknown = ["--allow-unknown-phase1"]
    cmd = [*z, "verify", "--json", *unknown, str(attestation)]
    steps["verify"] = step("verify", cmd, work / "verify.log", env)
    cmd = [*z, "site", "build", str(attestation), "--out", str(site), *unknown, "--force"]
    steps["site build"] = step("site build", cmd, work / "site.log", env)
    manifest = json.loads((attestation / "attestation.json").read_text())
    report.update(
        batches=manifest["tree"]["batches"],
        constraints_per_batch=manifest["circuit"]["constraints"],
        core_s_per_account=prove["cpu_s"] / args.users,
        attestation_mb=size_mb(attestation),
        site_mb=size_mb(site),
        site_files=sum(1 for p in site.rglob("*") if p.is_file()),
        load_end=os.getloadavg()[0],
    )
    out = args.out.resolve()
    Path(f"{out}.json").write_text(json.dumps(report, indent=1))
    lines = [
        f"{report['date']}: {args.users:,} accounts x 4 assets, {report['batches']:,} batches of "
        f"64, {args.workers} workers on {report['nproc']} CPUs, load {report['load_start']:.1f}"
        f" -> {report['load_end']:.1f}",
        "",
        "| step | wall s | CPU s | coordinator peak MiB | other processes' peaks MiB |",
        "|---|---:|---:|---:|---|",
    ]
    for name, s in steps.items():
        others = ", ".join(f"{v:.0f}" for v in s["other_process_peaks_mb"][:4]) or "-"
        lines.append(
            f"| {name} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} | "
            f"{s['coordinator_peak_mb']:.0f} | {others} |"
        )
    lines += [
        "",
        f"core-s per account (prove, all processes): {report['core_s_per_account']:.4f}; "
        f"attestation {report['attestation_mb']:.0f} MiB, site {report['site_mb']:.0f} MiB in "
        f"{report['site_files']:,} files",
    ]
    Path(f"{out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""End-to-end benchmark of ``zkpor prove``: demo snapshots proven by the real CLI, then verified.

Run from the repository root, after ``pip install -e '.[dask]'``::

    python bench/pipeline.py [--users 1000,10000] [--modes w1,w2,dask] [--reps 1]
                             [--pad demo|users] [--out bench/out/pipeline] [--fresh]
                             [--wait-for bench/prove.py,pytest] [--wait-minutes 25]

For every size it writes the ``zkpor demo`` snapshot of N users x 4 assets
(``publisher.demo.write_demo_inputs``, arity 4) at ``--batch-depth`` (default 3: 64 accounts
per batch, the shape of the figures in ``bench/README.md``; the demo itself proves batches
of 16), ``pad_to`` the next power of two; ``--pad users`` pads only to whole batches instead), then
runs ``zkpor prove`` in a subprocess, each run into a fresh ``--out``/``--private``:

* ``wN``: ``zkpor prove --workers N`` (a local process pool of N provers);
* ``dask``/``daskN``: a ``distributed.LocalCluster(n_workers=N (2), threads_per_worker=1,
  processes=True)`` started here, fresh for every run, and ``zkpor prove --dask ADDRESS``.

All runs share ``ZKPOR_CACHE=<out>/cache``: the one-time development key setup is done and
timed first, on its own, then a one-batch warm-up run (1 worker) measures the fixed
cost of a run, and ``zkpor batch prove`` one batch in-process with the prover's phases.

Per run: wall time; CPU (user + sys) of everything that proved: the CLI and its pool (one
``os.wait4`` rusage, which includes reaped descendants), plus, for Dask, the CPU the
cluster's worker processes (children of this process, read from ``/proc``) and its
scheduler (threads of this process) spent during the run; peak memory, as the largest
single process (``ru_maxrss`` / ``VmHWM``) and the peak of the summed RSS of all prover
processes (sampled every 0.5 s; forked pool workers share pages, so the sum is an upper
bound); load average before and after, and the CPU that all other processes used
meanwhile (``interference``); then ``zkpor verify --json`` on the attestation, timed.
Before each measurement it waits (up to ``--wait-minutes``) while a process matching
``--wait-for`` (default ``bench/prove.py``) runs, then measures anyway; a run during which
other processes used more than ``--max-interference`` cores is kept but marked disturbed,
measured again (``--retries``), and left out of the medians if a clean run exists.

Prints markdown tables, writes them to ``<out>.md`` and every figure to ``<out>.json``
(``bench/out/pipeline.json``); runs of earlier invocations in that file are kept and
aggregated with the new ones unless ``--fresh``. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import logging
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from publisher.config import load_config  # noqa: E402
from publisher.demo import write_demo_inputs  # noqa: E402
from publisher.snark.batch import dev_key_paths  # noqa: E402
from publisher.snark.circuit import CircuitShape, build_batch_circuit  # noqa: E402

MB = 1 << 20
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
TARGET_CORE_S_PER_USER = 0.1
BENCH_ARITY = 4  # write_demo_inputs's default arity
SEED = 1  # of the synthetic snapshot: the same accounts in every run of a size
WAIT_FOR = "bench/prove.py"  # default --wait-for: a benchmark that must not run meanwhile
OTHER_LOAD = ("bench/prove.py", "snarkjs")  # recorded if running during a measurement
SAMPLE_S = 0.5
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MODE = re.compile(r"^(w|dask)(\d*)$")
_PROVED = re.compile(r"proved in ([\d.]+)s \(([^)]*)\)")
PROVE_FLAGS: list[str] = []  # set in main() from what this zkpor offers
VERIFY_FLAGS: list[str] = []

Json = dict[str, Any]


# --------------------------------------------------------------------------- /proc


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None


def _stat(pid: int) -> list[str] | None:
    """Return the fields of /proc/PID/stat after the command name (field 3 first)."""
    text = _read(f"/proc/{pid}/stat")
    return None if text is None else text.rsplit(")", 1)[1].split()


def parents() -> dict[int, int]:
    """Return pid -> parent pid of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            table[int(entry)] = int(fields[1])
    return table


def descendants(root: int, table: dict[int, int]) -> list[int]:
    """Return every descendant of ``root`` in ``table``."""
    children: dict[int, list[int]] = {}
    for pid, ppid in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_bytes(pid: int) -> int:
    text = _read(f"/proc/{pid}/statm")
    return 0 if text is None else int(text.split()[1]) * PAGE


def hwm_bytes(pid: int) -> int:
    """Return the peak RSS of a live process (VmHWM), 0 if it is gone."""
    for line in (_read(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of a live process (not of its children)."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def other_load(extra: Sequence[str] = ()) -> list[str]:
    """Return the command lines of running processes named in ``OTHER_LOAD`` or ``extra``."""
    found = []
    mine = {os.getpid(), *descendants(os.getpid(), parents())}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        cmd = (_read(f"/proc/{entry}/cmdline") or "").replace("\0", " ").strip()
        names = (*OTHER_LOAD, *extra)
        if any(name in cmd for name in names) and not cmd.startswith(("bash", "sh ")):
            found.append(f"{entry} {cmd[:120]}")
    return found


def system_cpu() -> tuple[float, float]:
    """Return (busy, steal) CPU seconds of the whole machine since boot (/proc/stat)."""
    fields = [int(v) for v in (_read("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]]
    fields += [0] * (8 - len(fields))
    # user nice system idle iowait irq softirq steal: busy leaves out idle, iowait, steal.
    busy = sum(fields[:3]) + fields[5] + fields[6]
    return busy / TICK, fields[7] / TICK


def our_cpu() -> float:
    """Return the CPU seconds of this process and of its reaped descendants."""
    return _rusage_cpu(resource.RUSAGE_SELF) + _rusage_cpu(resource.RUSAGE_CHILDREN)


def others_cpu() -> dict[int, tuple[str, float]]:
    """Return pid -> (command line, CPU seconds) of every live process that is not ours."""
    mine = {os.getpid(), *descendants(os.getpid(), parents())}
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in mine:
            cmd = (_read(f"/proc/{entry}/cmdline") or "").replace("\0", " ").strip()
            found[int(entry)] = (cmd[:100], cpu_seconds(int(entry)))
    return found


@dataclass
class Interference:
    """What the rest of the machine did while we measured: call ``start`` then ``stop``."""

    t0: float = 0.0
    system0: tuple[float, float] = (0.0, 0.0)
    ours0: float = 0.0
    procs0: dict[int, tuple[str, float]] = field(default_factory=dict)

    def start(self) -> Interference:
        self.procs0 = others_cpu()
        self.t0, self.system0, self.ours0 = time.perf_counter(), system_cpu(), our_cpu()
        return self

    def stop(self) -> Json:
        """Return the CPU seconds others used (all busy time minus ours, once our processes
        are reaped), the average cores that is, steal time, and the busiest live others."""
        wall = time.perf_counter() - self.t0
        busy, steal = system_cpu()
        others = max(0.0, busy - self.system0[0] - (our_cpu() - self.ours0))
        by_cmd: dict[str, float] = {}
        for pid, (cmd, cpu) in others_cpu().items():
            used = cpu - self.procs0[pid][1] if pid in self.procs0 else cpu
            if used > 0:
                by_cmd[cmd] = by_cmd.get(cmd, 0.0) + used
        top = sorted(by_cmd.items(), key=lambda kv: -kv[1])[:3]
        return {
            "cpu_s": round(others, 2),
            "cores": round(others / wall, 2) if wall else 0.0,
            "steal_s": round(steal - self.system0[1], 2),
            "top": [[cmd, round(cpu, 2)] for cmd, cpu in top if cpu >= 0.02 * wall],
        }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Quiet:
    """Waits, before each measurement, while a process matching ``patterns`` is running."""

    def __init__(self, minutes: float, patterns: Sequence[str]) -> None:
        self.minutes = minutes
        self.patterns = list(patterns)
        self.waited_s = 0.0

    def wait(self) -> list[str]:
        """Wait at most ``minutes``; return the other load still running once we go ahead."""
        deadline = time.monotonic() + 60 * self.minutes
        while True:
            running = other_load(self.patterns)
            busy = [p for p in running if any(name in p for name in self.patterns)]
            if not busy or time.monotonic() >= deadline:
                if busy:
                    print(f"  still running after the wait, measuring anyway: {busy}")
                return running
            print(f"  waiting: {busy[0]} is running", flush=True)
            time.sleep(30)
            self.waited_s += 30


# --------------------------------------------------------------------------- children


class MemorySampler(threading.Thread):
    """Samples the RSS of a process tree (plus ``extra`` pids) until ``halt`` is set."""

    def __init__(self, root: int, extra: Sequence[int]) -> None:
        super().__init__(daemon=True)
        self.root, self.extra = root, list(extra)
        self.halt = threading.Event()
        self.peak_sum = 0
        self.hwm: dict[int, int] = {}
        self.samples = 0
        self.cpu_s = 0.0

    def run(self) -> None:
        start = time.thread_time()
        while True:
            self.sample()
            if self.halt.wait(SAMPLE_S):
                break
        self.cpu_s = time.thread_time() - start

    def sample(self) -> None:
        total = 0
        for pid in [self.root, *descendants(self.root, parents()), *self.extra]:
            total += rss_bytes(pid)
            self.hwm[pid] = max(self.hwm.get(pid, 0), hwm_bytes(pid))
        self.peak_sum = max(self.peak_sum, total)
        self.samples += 1


@dataclass
class Child:
    """What one subprocess (and its reaped descendants) did."""

    code: int
    wall_s: float
    cpu_s: float
    maxrss_bytes: int
    started_epoch: float
    log: Path
    sampler: MemorySampler

    @property
    def largest_bytes(self) -> int:
        return max(self.maxrss_bytes, *self.sampler.hwm.values(), 0)

    def output(self) -> str:
        return _ANSI.sub("", self.log.read_text(errors="replace"))


def run_child(
    cmd: Sequence[str | Path],
    log: Path,
    env: dict[str, str],
    extra_pids: Sequence[int] = (),
    stdout: IO[bytes] | None = None,
) -> Child:
    """Run ``cmd``; return its wall time, CPU and peak RSS (``os.wait4``) and RSS samples."""
    with log.open("wb") as sink:
        started = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in cmd], cwd=REPO, env=env, stdout=stdout or sink, stderr=sink
        )
        sampler = MemorySampler(proc.pid, extra_pids)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.halt.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(
        code=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_bytes=usage.ru_maxrss * 1024,
        started_epoch=started,
        log=log,
        sampler=sampler,
    )


def must(child: Child, what: str) -> Child:
    if child.code != 0:
        raise SystemExit(f"{what} failed (exit {child.code}):\n{child.output()[-3000:]}")
    return child


def zkpor_command() -> list[str]:
    """Return how to run this interpreter's ``zkpor`` (its entry point, else the module)."""
    script = Path(sys.executable).parent / "zkpor"
    if script.is_file():
        return [str(script)]
    found = shutil.which("zkpor")
    if found:
        return [found]
    return [sys.executable, "-c", "from publisher.cli.main import app; app(prog_name='zkpor')"]


def cli_flags(command: str, wanted: Sequence[str]) -> list[str]:
    """Return those of ``wanted`` that ``zkpor COMMAND --help`` lists (the CLI evolves:
    ``prove`` needs ``--insecure-dev-setup`` and ``verify`` ``--allow-insecure-dev-setup``
    for development keys since the ceremony landed)."""
    done = subprocess.run(
        [*zkpor_command(), command, "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    return [flag for flag in wanted if re.search(rf"{flag}(?![-\w])", done.stdout)]


def git_state() -> Json:
    """Return the commit and the locally modified files of the code that is measured."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "publisher", "verifier", "pyproject.toml")
    return {"commit": git("rev-parse", "--short", "HEAD"), "modified": dirty.splitlines()}


def child_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "ZKPOR_CACHE": str(cache), "COLUMNS": "120", "NO_COLOR": "1"}


def _rusage_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- Dask


@dataclass
class Cluster:
    """A LocalCluster started for one run: its address, worker pids and timings."""

    address: str
    worker_pids: list[int]
    start_s: float
    handle: Any = field(repr=False)


@contextmanager
def local_cluster(workers: int) -> Iterator[Cluster]:
    """Start a LocalCluster of ``workers`` single-threaded worker processes here."""
    from distributed import LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    try:
        cluster.wait_for_workers(workers)
        pids = [int(nanny.pid) for nanny in cluster.workers.values()]
        yield Cluster(str(cluster.scheduler_address), pids, time.perf_counter() - start, cluster)
    finally:
        cluster.close()


# --------------------------------------------------------------------------- steps


def parse_mode(mode: str) -> tuple[str, int]:
    """Return ("w" or "dask", number of workers) of a ``--modes`` item."""
    match = _MODE.match(mode)
    if not match:
        raise SystemExit(f"unknown mode {mode!r}: use wN (local processes) or dask[N]")
    kind, n = match.group(1), int(match.group(2) or 2)
    if n < 1:
        raise SystemExit(f"mode {mode!r}: at least one worker")
    return kind, n


def demo_inputs(folder: Path, users: int, pad: str, depth: int) -> tuple[Path, Path]:
    """Write the demo snapshot of ``users`` (``pad`` users: pad_to = users) into ``folder``,
    in batches of depth ``depth``."""
    csv_path, toml_path = write_demo_inputs(folder, users, SEED, batch_depth=depth)
    if pad == "users":
        text = re.sub(r"(?m)^pad_to = \d+$", f"pad_to = {users}", toml_path.read_text())
        toml_path.write_text(text)
    return csv_path, toml_path


def shape_of(toml_path: Path) -> CircuitShape:
    config = load_config(toml_path)
    return CircuitShape(len(config.assets), config.arity, config.batch_depth)


def setup_worker(cache: Path, assets: int, arity: int, depth: int) -> None:
    """(In a subprocess.) Make the development keys of a shape into ``cache``; print JSON."""
    shape = CircuitShape(assets, arity, depth)
    t0 = time.perf_counter()
    cs = build_batch_circuit(shape)
    circuit_s = time.perf_counter() - t0
    made: list[bool] = []
    t0 = time.perf_counter()
    pk_path, _ = dev_key_paths(shape, cache, on_setup=lambda: made.append(True))
    print(
        json.dumps(
            {
                "circuit_id": shape.circuit_id,
                "constraints": len(cs.constraints),
                "circuit_build_s": circuit_s,
                "made": bool(made),
                "setup_s": time.perf_counter() - t0,
                "pk_bytes": pk_path.stat().st_size,
            }
        )
    )


def measure_setup(toml_path: Path, work: Path, cache: Path, quiet: Quiet) -> Json:
    """Make (or find) the shared development keys, in a subprocess of its own."""
    shape = shape_of(toml_path)
    work.mkdir(parents=True, exist_ok=True)
    running = quiet.wait()
    before, others = loadavg(), Interference().start()
    cmd: list[str | Path] = [sys.executable, Path(__file__).resolve(), "--worker-setup", cache]
    cmd += [str(shape.n_assets), str(shape.arity), str(shape.batch_depth)]
    with (work / "setup.json").open("wb") as out:
        child = must(run_child(cmd, work / "setup.log", child_env(cache), stdout=out), "setup")
    info: Json = json.loads((work / "setup.json").read_text())
    info.update(
        wall_s=child.wall_s,
        cpu_s=child.cpu_s,
        peak_rss_mb=child.largest_bytes / MB,
        load_before=before,
        load_after=loadavg(),
        other_load=running,
        interference=others.stop(),
    )
    state = "made" if info["made"] else "already cached (not timed)"
    print(f"key setup {shape.circuit_id}: {state}, {child.wall_s:.1f} s wall")
    return info


def measure_reference(work: Path, cache: Path, shape: CircuitShape, quiet: Quiet) -> Json:
    """Prove one random batch with ``zkpor batch prove``: the prover's phases, in-process."""
    running = quiet.wait()
    before, others = loadavg(), Interference().start()
    out = work / "reference"
    shutil.rmtree(out, ignore_errors=True)
    cmd: list[str | Path] = [*zkpor_command(), "batch", "prove", "--out", out]
    cmd += ["--assets", str(shape.n_assets)]
    cmd += ["--arity", str(shape.arity), "--batch-depth", str(shape.batch_depth)]
    child = must(run_child(cmd, work / "reference.log", child_env(cache)), "zkpor batch prove")
    match = _PROVED.search(child.output())
    phases: Json = {}
    prove_s = None
    if match:
        prove_s = float(match.group(1))
        for item in match.group(2).split(","):
            name, secs = item.split()
            phases[name] = float(secs.rstrip("s"))
    print(f"reference batch: prove {prove_s} s, process {child.wall_s:.1f} s; {phases}")
    return {
        "prove_s": prove_s,
        "phases_s": phases,
        "process_wall_s": child.wall_s,
        "process_cpu_s": child.cpu_s,
        "peak_rss_mb": child.largest_bytes / MB,
        "load_before": before,
        "load_after": loadavg(),
        "other_load": running,
        "interference": others.stop(),
    }


def _timeline(private: Path, started: float, wall_s: float) -> Json:
    """Return when planning ended and the first/last batch checkpoints were written."""
    plan = private / "plan.json"
    stamps = sorted(p.stat().st_mtime for p in (private / "batches").glob("*.json"))
    if not plan.exists() or not stamps:
        return {}
    planned = plan.stat().st_mtime - started
    return {
        "startup_s": planned,  # interpreter, imports, reading the CSV, the plan
        "first_batch_s": stamps[0] - started,
        "proving_s": stamps[-1] - plan.stat().st_mtime,  # keys, workers, every batch
        "finish_s": wall_s - (stamps[-1] - started),  # attestation files, pool shutdown
    }


def verify_run(attestation: Path, work: Path, cache: Path, batches: int) -> Json:
    """Run ``zkpor verify --json`` on ``attestation``; return its timing and verdict."""
    with (work / "verify.json").open("wb") as out:
        cmd: list[str | Path] = [*zkpor_command(), "verify", "--json", *VERIFY_FLAGS]
        cmd.append(attestation)
        child = run_child(cmd, work / "verify.log", child_env(cache), stdout=out)
    try:
        report = json.loads((work / "verify.json").read_text())
        passed = bool(report["passed"])
        steps = [f"{s['number']}. {s['status']}: {s['name']}" for s in report["steps"]]
    except (ValueError, KeyError, TypeError):
        passed, steps = False, []
    return {
        "passed": passed and child.code == 0,
        "steps": steps,
        "exit": child.code,
        "wall_s": child.wall_s,
        "cpu_s": child.cpu_s,
        "ms_per_batch": 1000 * child.wall_s / batches,
        "peak_rss_mb": child.largest_bytes / MB,
    }


def prove_run(
    users: int,
    mode: str,
    rep: int,
    inputs: tuple[Path, Path],
    args: argparse.Namespace,
    quiet: Quiet,
    verify: bool = True,
) -> Json:
    """Run ``zkpor prove`` once in ``mode`` on ``inputs``; return every figure of the run."""
    kind, workers = parse_mode(mode)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = args.out / "runs" / f"{users}-{args.pad}-{mode}-{rep}-{stamp}"
    work.mkdir(parents=True)
    attestation, private = work / "attestation", work / "private"
    csv_path, toml_path = inputs
    cmd: list[str | Path] = [*zkpor_command(), "prove", "--liabilities", csv_path]
    cmd += ["--config", toml_path]
    cmd += ["--out", attestation, "--private", private, *PROVE_FLAGS]
    env = child_env(args.cache)
    running = quiet.wait()
    print(f"{users} users, {mode}, run {rep + 1}: ", end="", flush=True)
    before, others = loadavg(), Interference().start()
    record: Json = {"users": users, "pad": args.pad, "mode": mode, "workers": workers}
    record["batch_depth"] = args.batch_depth
    if kind == "w":
        child = run_child([*cmd, "--workers", str(workers)], work / "prove.log", env)
        cpu = {"cli_and_pool": child.cpu_s}
    else:
        children0 = _rusage_cpu(resource.RUSAGE_CHILDREN)
        self0 = _rusage_cpu(resource.RUSAGE_SELF)
        with local_cluster(workers) as cluster:
            worker0 = sum(cpu_seconds(p) for p in cluster.worker_pids)
            self1 = _rusage_cpu(resource.RUSAGE_SELF)
            child = run_child(
                [*cmd, "--dask", cluster.address], work / "prove.log", env, cluster.worker_pids
            )
            self2 = _rusage_cpu(resource.RUSAGE_SELF)
            worker_cpu = sum(cpu_seconds(p) for p in cluster.worker_pids) - worker0
            close_start = time.perf_counter()
        close_s = time.perf_counter() - close_start
        scheduler = max(0.0, self2 - self1 - child.sampler.cpu_s)
        cpu = {"cli": child.cpu_s, "workers": worker_cpu, "scheduler": scheduler}
        record["cluster"] = {
            "start_s": cluster.start_s,
            "close_s": close_s,
            # Everything from cluster start to close, start-up and shut-down included:
            "lifetime_cpu_s": _rusage_cpu(resource.RUSAGE_CHILDREN)
            - children0
            + _rusage_cpu(resource.RUSAGE_SELF)
            - self0,
        }
    after = loadavg()
    record["interference"] = others.stop()
    must(child, f"zkpor prove ({users} users, {mode})")
    manifest = json.loads((attestation / "attestation.json").read_text())
    batches, leaves = manifest["tree"]["batches"], manifest["tree"]["leaves"]
    cpu_s = sum(cpu.values())
    record.update(
        rep=rep,
        dir=str(work.relative_to(REPO) if work.is_relative_to(REPO) else work),
        batches=batches,
        leaves=leaves,
        constraints_per_batch=manifest["circuit"]["constraints"],
        wall_s=child.wall_s,
        cpu_s=cpu_s,
        cpu=cpu,
        core_s_per_user=cpu_s / users,
        occupied_core_s_per_user=child.wall_s * workers / users,
        core_s_per_leaf=cpu_s / leaves,
        cpu_s_per_batch=cpu_s / batches,
        wall_s_per_batch=child.wall_s / batches,
        accounts_per_s=users / child.wall_s,
        peak_rss_sum_mb=child.sampler.peak_sum / MB,
        largest_process_mb=child.largest_bytes / MB,
        rss_samples=child.sampler.samples,
        timeline=_timeline(private, child.started_epoch, child.wall_s),
        load_before=before,
        load_after=after,
        other_load=running,
        started=datetime.datetime.fromtimestamp(child.started_epoch, datetime.UTC).isoformat(
            timespec="seconds"
        ),
    )
    print(
        f"{child.wall_s:.1f} s wall, {cpu_s:.1f} s CPU ({cpu_s / users:.3f} core-s/user), "
        f"{batches} batches, peak {record['largest_process_mb']:.0f} MB, load "
        f"{before[0]} -> {after[0]}, others used {record['interference']['cores']} cores",
        flush=True,
    )
    if verify:
        record["verify"] = verify_run(attestation, work, args.cache, batches)
        v = record["verify"]
        print(f"  verify: {'passed' if v['passed'] else 'FAILED'} in {v['wall_s']:.1f} s")
    return record


# --------------------------------------------------------------------------- report


def machine_info(args: argparse.Namespace) -> Json:
    import gmpy2

    cpu = "unknown"
    models = [
        ln.split(":", 1)[1].strip()
        for ln in (_read("/proc/cpuinfo") or "").splitlines()
        if ln.startswith("model name")
    ]
    cpu = models[0] if models else cpu
    mem = (_read("/proc/meminfo") or "MemTotal: 0 kB").splitlines()[0].split()[1]
    try:
        dask_version = importlib.metadata.version("distributed")
    except importlib.metadata.PackageNotFoundError:
        dask_version = "missing"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "mem_total_gib": round(int(mem) / MB, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "gmpy2": str(gmpy2.version()),
        "distributed": dask_version,
        "zkpor": zkpor_command(),
        "prove_flags": PROVE_FLAGS,
        "verify_flags": VERIFY_FLAGS,
        "git": git_state(),
        "argv": sys.argv[1:],
        "load_start": loadavg(),
        "other_load_start": other_load(),
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def summarize(runs: list[Json]) -> list[Json]:
    """Return one row per (users, pad, mode, depth): medians over its runs, speed-ups vs w1, w2."""
    groups: dict[tuple[int, str, str, int], list[Json]] = {}
    for run in runs:
        # Runs recorded before the depth was an option were all of depth 3.
        key = (run["users"], run["pad"], run["mode"], run.get("batch_depth", 3))
        groups.setdefault(key, []).append(run)
    keys = [
        "wall_s",
        "cpu_s",
        "core_s_per_user",
        "occupied_core_s_per_user",
        "core_s_per_leaf",
        "cpu_s_per_batch",
        "wall_s_per_batch",
        "accounts_per_s",
        "peak_rss_sum_mb",
        "largest_process_mb",
    ]
    rows = []
    for (users, pad, mode, depth), every in sorted(groups.items(), key=_row_order):
        clean = [r for r in every if not r.get("disturbed")]
        group = clean or every  # disturbed runs count only if there is no other
        row: Json = {"users": users, "pad": pad, "mode": mode, "runs": len(group)}
        row["batch_depth"] = depth
        row["disturbed_runs"] = len(every) - len(clean)
        row["only_disturbed"] = not clean
        row["batches"] = group[0]["batches"]
        row["leaves"] = group[0]["leaves"]
        row["workers"] = group[0]["workers"]
        row.update({k: median([r[k] for r in group]) for k in keys})
        row["load_before"] = [r["load_before"][0] for r in group]
        row["load_after"] = [r["load_after"][0] for r in group]
        row["other_load"] = any(r["other_load"] for r in group)
        row["others_cores"] = [r.get("interference", {}).get("cores") for r in group]
        verified = [r["verify"] for r in group if "verify" in r]
        row["verified"] = f"{sum(v['passed'] for v in verified)}/{len(verified)}"
        if verified:
            row["verify_s"] = median([v["wall_s"] for v in verified])
            row["verify_ms_per_batch"] = median([v["ms_per_batch"] for v in verified])
        if mode.startswith("dask"):
            row["cluster_start_s"] = median([r["cluster"]["start_s"] for r in group])
            row["scheduler_cpu_s"] = median([r["cpu"]["scheduler"] for r in group])
        row["x_target"] = row["core_s_per_user"] / TARGET_CORE_S_PER_USER
        rows.append(row)
    for row in rows:
        for base in ("w1", "w2"):
            ref = next(
                (
                    r
                    for r in rows
                    if (r["users"], r["pad"], r["mode"], r["batch_depth"])
                    == (row["users"], row["pad"], base, row["batch_depth"])
                ),
                None,
            )
            row[f"speedup_vs_{base}"] = ref["wall_s"] / row["wall_s"] if ref else None
    return rows


def _row_order(
    item: tuple[tuple[int, str, str, int], list[Json]],
) -> tuple[int, int, str, int, str]:
    users, pad, mode, depth = item[0]
    kind, n = parse_mode(mode)
    return depth, users, pad, n + (100 if kind == "dask" else 0), mode


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _loads(before: list[float], after: list[float]) -> str:
    return ", ".join(f"{b:.1f}→{a:.1f}" for b, a in zip(before, after, strict=True))


def tables(report: Json) -> str:
    """Return the markdown tables of ``report``."""
    m = report["machine"]
    lines = [
        f"{m['date'][:10]}, {m['nproc']} cores ({m['cpu']}), Python {m['python']}, "
        f"gmpy2 {m['gmpy2']}, distributed {m['distributed']}. Medians over `runs`; "
        "CPU = user + sys of every process that proved (CLI, pool or Dask workers, "
        "scheduler); core-s/user = CPU / users, occupied = wall × workers / users.",
        "",
    ]
    head = (
        "| users | accounts/batch | pad | mode | batches | runs | wall s | CPU s | core-s/user "
        "| × target "
        "| occupied core-s/user | CPU s/batch | accounts/s | speed-up vs w1 | vs w2 "
        "| peak RSS sum MB | largest process MB | load 1-min before→after | others' cores "
        "| verify s "
        "| verify ms/batch | verified |"
    )
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for r in report["summary"]:
        cells = [
            str(r["users"]),
            str(BENCH_ARITY ** r["batch_depth"]),
            r["pad"],
            r["mode"],
            str(r["batches"]),
            str(r["runs"]) + (" (disturbed)" if r["only_disturbed"] else ""),
            _f(r["wall_s"], 1),
            _f(r["cpu_s"], 1),
            _f(r["core_s_per_user"], 3),
            _f(r["x_target"], 1) + "×",
            _f(r["occupied_core_s_per_user"], 3),
            _f(r["cpu_s_per_batch"], 1),
            _f(r["accounts_per_s"], 1),
            _f(r["speedup_vs_w1"]),
            _f(r["speedup_vs_w2"]),
            _f(r["peak_rss_sum_mb"], 0),
            _f(r["largest_process_mb"], 0),
            _loads(r["load_before"], r["load_after"]),
            ", ".join("?" if c is None else f"{c:.2f}" for c in r["others_cores"]),
            _f(r.get("verify_s"), 1),
            _f(r.get("verify_ms_per_batch"), 0),
            r["verified"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    dask = [r for r in report["summary"] if r["mode"].startswith("dask")]
    if dask:
        lines += ["", "| users | mode | cluster start s | scheduler CPU s | wall vs w2 |"]
        lines.append("|---|---|---|---|---|")
        for r in dask:
            over = None if r["speedup_vs_w2"] is None else 1 / r["speedup_vs_w2"] - 1
            lines.append(
                f"| {r['users']} | {r['mode']} | {_f(r['cluster_start_s'], 1)} "
                f"| {_f(r['scheduler_cpu_s'], 1)} | "
                + ("–" if over is None else f"{100 * over:+.1f} %")
                + " |"
            )
    s, w, ref = report.get("setup"), report.get("warmup"), report.get("reference")
    lines += ["", "| once / fixed | wall s | CPU s | peak RSS MB | note |", "|---|---|---|---|---|"]
    if s:
        note = f"{s['circuit_id']}, {s['constraints']} constraints, pk {s['pk_bytes'] / MB:.1f} MB"
        state = "" if s["made"] else " (keys were already cached: not a setup time)"
        lines.append(
            f"| key setup (dev, once per shape) | {_f(s['wall_s'], 1)} | {_f(s['cpu_s'], 1)} "
            f"| {_f(s['peak_rss_mb'], 0)} | {note}{state} |"
        )
    if w:
        lines.append(
            f"| warm-up run: {w['users']} users = 1 batch, w1 | {_f(w['wall_s'], 1)} "
            f"| {_f(w['cpu_s'], 1)} "
            f"| {_f(w['largest_process_mb'], 0)} | whole `zkpor prove` incl. start-up, key load |"
        )
    if ref:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in ref["phases_s"].items())
        lines.append(
            f"| one batch, `zkpor batch prove` | {_f(ref['process_wall_s'], 1)} "
            f"| {_f(ref['process_cpu_s'], 1)} | {_f(ref['peak_rss_mb'], 0)} "
            f"| prove() {_f(ref['prove_s'])} s: {phases} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", default="1000,10000", help="snapshot sizes, comma-separated")
    parser.add_argument("--modes", default="w1,w2,dask", help="wN (processes) and/or dask[N]")
    parser.add_argument("--reps", type=int, default=1, help="runs per size and mode (median)")
    parser.add_argument(
        "--batch-depth", type=int, default=3, help="batch depth: 4^DEPTH accounts per proof"
    )
    parser.add_argument(
        "--pad",
        choices=("demo", "users"),
        default="demo",
        help="demo: pad_to the next power of two, as `zkpor demo`; users: pad_to = users",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "pipeline")
    parser.add_argument("--cache", type=Path, help="shared ZKPOR_CACHE (default: <out>/cache)")
    parser.add_argument("--no-verify", action="store_true", help="skip `zkpor verify`")
    parser.add_argument("--no-warmup", action="store_true", help="skip warm-up and reference")
    parser.add_argument("--fresh", action="store_true", help="forget the runs in <out>.json")
    parser.add_argument(
        "--wait-for",
        default=WAIT_FOR,
        help="comma-separated command-line fragments: wait while such a process runs",
    )
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=25.0,
        help="wait at most this long before each measurement, then measure anyway",
    )
    parser.add_argument(
        "--max-interference",
        type=float,
        default=0.15,
        help="a run during which other processes used more cores on average is disturbed",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="times a disturbed run is measured again"
    )
    parser.add_argument("--worker-setup", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    args.out = args.out.resolve()
    args.cache = (args.cache or args.out / "cache").resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_setup:
        cache, *shape = args.worker_setup
        setup_worker(Path(cache), *(int(v) for v in shape))
        return 0
    sizes = [int(s) for s in args.users.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    for mode in modes:
        parse_mode(mode)
    PROVE_FLAGS[:] = cli_flags("prove", ["--insecure-dev-setup"])
    VERIFY_FLAGS[:] = cli_flags("verify", ["--allow-insecure-dev-setup"])
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out.with_suffix(".json")
    old: Json = {}
    if json_path.exists() and not args.fresh:
        old = json.loads(json_path.read_text())
    info = machine_info(args)
    print(
        f"{info['date']}  {info['nproc']} CPUs ({info['cpu']}), load {info['load_start']}; "
        f"python {info['python']}, distributed {info['distributed']}; zkpor {info['zkpor']}"
    )
    quiet = Quiet(args.wait_minutes, [p for p in args.wait_for.split(",") if p])
    report: Json = {
        "machine": info,
        "sessions": [*old.get("sessions", []), info],
        "target_core_s_per_user": TARGET_CORE_S_PER_USER,
        "seed": SEED,
        "batch_depth": args.batch_depth,
        "setup": old.get("setup"),
        "warmup": old.get("warmup"),
        "reference": old.get("reference"),
        "runs": list(old.get("runs", [])),
    }

    def save() -> None:
        report["summary"] = summarize(report["runs"])
        report["machine"]["load_end"] = loadavg()
        report["machine"]["waited_s"] = quiet.waited_s
        json_path.write_text(json.dumps(report, indent=1))

    one_batch = BENCH_ARITY**args.batch_depth
    warm_inputs = demo_inputs(
        args.out / "inputs" / f"{one_batch}-demo-d{args.batch_depth}",
        one_batch,
        "demo",
        args.batch_depth,
    )
    setup = measure_setup(warm_inputs[1], args.out / "setup", args.cache, quiet)
    if setup["made"] or report["setup"] is None:
        report["setup"] = setup
    if not args.no_warmup:
        report["warmup"] = prove_run(
            one_batch, "w1", 0, warm_inputs, _with_pad(args, "demo"), quiet
        )
        shape = shape_of(warm_inputs[1])
        report["reference"] = measure_reference(args.out, args.cache, shape, quiet)
    save()
    for users in sizes:
        folder = args.out / "inputs" / f"{users}-{args.pad}-d{args.batch_depth}"
        inputs = demo_inputs(folder, users, args.pad, args.batch_depth)
        for rep in range(args.reps):
            for mode in modes:
                for _ in range(1 + args.retries):
                    run = prove_run(users, mode, rep, inputs, args, quiet, not args.no_verify)
                    run["disturbed"] = run["interference"]["cores"] > args.max_interference
                    report["runs"].append(run)
                    save()
                    if not run["disturbed"]:
                        break
                    print(f"  disturbed: {run['interference']}; measuring again")
    save()
    text = tables(report)
    args.out.with_suffix(".md").write_text(text + "\n")
    print()
    print(text)
    print(f"\nload average: start {info['load_start']}, end {info['load_end']}; {json_path}")
    failed = [r for r in report["runs"] if "verify" in r and not r["verify"]["passed"]]
    return 1 if failed else 0


def _with_pad(args: argparse.Namespace, pad: str) -> argparse.Namespace:
    copy = argparse.Namespace(**vars(args))
    copy.pad = pad
    return copy


if __name__ == "__main__":
    sys.exit(main())

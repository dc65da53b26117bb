"""Benchmark of the Groth16 prover on batch circuits, against snarkjs on the same R1CS and witness.

Run from the repository root::

    python bench/prove.py [--sizes 16,64,256] [--reps 3] [--max-seconds 60]
                          [--ptau PATH | --ptau-power K] [--out bench/out]

For every batch size (users; 4 assets, arity 4, so 16, 64, 256 users are batch depths
2, 3, 4) it runs, each in a fresh subprocess whose peak RSS is read with ``os.wait4``:

1. the zkpor development setup (timed once, not repeated), which writes the proving key,
   the verifying key and ``circuit.r1cs``;
2. the zkpor prover: ``--reps`` times witness + ``prove``, phases timed by ``PhaseTimer``;
   then the last proof is checked by ``verifier.groth16.verify`` (and, as a cross-check,
   by ``snarkjs groth16 verify``), and the witness is written as ``witness.wtns``;
3. snarkjs on that R1CS and witness: ``groth16 setup`` once (not repeated; its zkey is
   reused by later runs while the R1CS and ptau are the same, unless ``--fresh-zkey``),
   then ``--reps`` times ``groth16 prove circuit.zkey witness.wtns proof.json public.json``,
   whose proof must pass ``snarkjs groth16 verify`` and whose public inputs must be
   zkpor's (``--no-snarkjs`` skips this step).

A size whose first repetition takes longer than ``--max-seconds`` is measured once.
snarkjs needs a prepared powers-of-tau file of power >= log2 of the domain; a size it
does not cover is reported as not run, zkpor's figures still are. Without ``--ptau``,
``<out>/pot<K>_final.ptau`` is used, made with snarkjs if missing (``prepare phase2``
alone takes ~7 min at K = 14, ~30 min at 16 on a 2-core machine, hours at 18: K is capped
at 16 unless ``--ptau-power`` says otherwise).

Prints markdown tables and writes ``<out>/prove.json`` with every figure and the machine.
Exits 1 if a cross-check failed (a proof rejected, different public inputs). See
bench/README.md for what the columns mean and measured results.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.snark import backend
from publisher.snark.batch import BatchProof, prove_batch, random_batch, write_snarkjs_files
from publisher.snark.circuit import CircuitShape, batch_witness, build_batch_circuit
from publisher.snark.dev_setup import dev_setup
from publisher.snark.iden3 import write_r1cs, write_wtns
from publisher.snark.keys import ProvingKey
from publisher.snark.native import PackedKey
from publisher.snark.prove import PhaseTimer
from publisher.snark.qap import domain_size
from verifier.field import R
from verifier.groth16 import VerifyingKey, verify

REPO = Path(__file__).resolve().parent.parent
SNARKJS = REPO / "tests" / "js" / "node_modules" / "snarkjs" / "build" / "cli.cjs"
N_ASSETS, ARITY = 4, 4
SEED = 20_241_121  # the batch's accounts: the same witness in every repetition and both provers
PTAU_POWER_CAP = 16  # largest default ptau the script makes itself
#: zkpor phases, in proving order; "other" is prove() minus its timed phases. The native
#: backend proves in one call (``_native.prove``), which times the same phases itself
#: (``_native.prove_phases``: its "rows" and "ntt" make up the phase "ntt" here, which
#: for the Python prover also includes evaluating the rows).
PHASES = ("witness", "ntt", "msm_a_g1", "msm_b_g2", "msm_b_g1", "msm_l_g1", "msm_h_g1", "other")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MB = 1 << 20

Json = dict[str, Any]


# --------------------------------------------------------------------------- helpers


def shape_for(users: int) -> CircuitShape:
    """Return the batch shape holding ``users`` leaves (a power of the arity)."""
    depth = 0
    while ARITY**depth < users:
        depth += 1
    if ARITY**depth != users or depth < 1:
        raise SystemExit(f"batch size {users} is not a power of {ARITY} (>= {ARITY})")
    return CircuitShape(n_assets=N_ASSETS, arity=ARITY, batch_depth=depth)


def snarkjs_power(constraints: int, n_public: int) -> int:
    """Return the ptau power snarkjs's ``groth16 setup`` needs (its ``cirPower``)."""
    return (constraints + n_public).bit_length()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def peak_rss_mb() -> float:
    """Return this process's peak RSS in MiB (Linux reports ru_maxrss in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Child:
    """What one subprocess did: exit code, wall and CPU seconds, peak RSS, output."""

    code: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    output: str


def run_child(cmd: Sequence[str | Path], cwd: Path, log: Path) -> Child:
    """Run ``cmd`` and return its exit code, wall time, CPU time and peak RSS (``wait4``)."""
    with log.open("w") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(
        code=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        output=_ANSI.sub("", log.read_text(errors="replace")),
    )


def snarkjs(*args: str | Path, cwd: Path, log: Path) -> Child:
    """Run the snarkjs CLI through node."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH: install Node.js, then `make install-test`")
    if not SNARKJS.is_file():
        raise SystemExit(f"snarkjs is not installed ({SNARKJS}): run `make install-test`")
    return run_child([node, SNARKJS, *args], cwd, log)


def must(child: Child, what: str) -> Child:
    """Return ``child`` if it succeeded, else stop with its output."""
    if child.code != 0:
        raise SystemExit(f"{what} failed (exit {child.code}):\n{child.output[-3000:]}")
    return child


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --------------------------------------------------------------------------- workers
# Each runs in its own process (``--worker``), so its peak RSS is its own.


def setup_worker(users: int, folder: Path) -> Json:
    """Make and save the development keys and the R1CS of ``users``'s circuit."""
    shape = shape_for(users)
    t0 = time.perf_counter()
    cs = build_batch_circuit(shape)
    circuit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pk, vk = dev_setup(cs, shape.circuit_id)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pk.save(folder / "zkpor.pk")
    save_s = time.perf_counter() - t0
    (folder / "zkpor.vk.json").write_text(json.dumps(vk.to_json(), indent=1))
    write_r1cs(cs, folder / "circuit.r1cs")
    return {
        "circuit_id": shape.circuit_id,
        "constraints": len(cs.constraints),
        "wires": cs.n_wires,
        "n_public": cs.n_public,
        "domain_size": domain_size(cs),
        "circuit_build_s": circuit_s,
        "setup_s": setup_s,
        "pk_save_s": save_s,
        "pk_bytes": (folder / "zkpor.pk").stat().st_size,
        "worker_peak_rss_mb": peak_rss_mb(),
    }


def _scalar_mix(values: Sequence[int]) -> Json:
    """Count the scalars an MSM sees: zeros, ones, < 2^64, and the rest (full width)."""
    zeros = sum(1 for v in values if v == 0)
    ones = sum(1 for v in values if v == 1)
    small = sum(1 for v in values if 1 < v < 1 << 64)
    return {
        "count": len(values),
        "zero": zeros,
        "one": ones,
        "below_2^64": small,
        "full": len(values) - zeros - ones - small,
    }


def _msm_terms(points: Sequence[object], scalars: Sequence[int] | None) -> Json:
    """Count an MSM's terms: point at infinity, scalar 0, scalar 1, or full work."""
    inf = sum(1 for p in points if p is None)
    if scalars is None:  # h: values on the coset, uniformly random
        return {
            "terms": len(points),
            "infinity": inf,
            "zero": 0,
            "one": 0,
            "other": len(points) - inf,
        }
    zero = one = other = 0
    for point, k in zip(points, scalars, strict=True):
        if point is None:
            continue
        if k == 0:
            zero += 1
        elif k == 1:
            one += 1
        else:
            other += 1
    return {"terms": len(points), "infinity": inf, "zero": zero, "one": one, "other": other}


def _native_phases() -> dict[str, float]:
    from publisher.snark import _native  # type: ignore[attr-defined]

    return dict(_native.prove_phases())


def prove_worker(users: int, folder: Path, reps: int, max_seconds: float) -> Json:
    """Load the key, prove ``reps`` times, verify the last proof and write the witness."""
    shape = shape_for(users)
    t0 = time.perf_counter()
    cs = build_batch_circuit(shape)
    circuit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    native = backend.native() is not None
    # the native prover reads the key straight into its own form (no Python int per
    # coordinate): that is what the pipeline's workers do, and what the RSS should show
    pk: ProvingKey | PackedKey = (
        PackedKey.load(folder / "zkpor.pk") if native else ProvingKey.load(folder / "zkpor.pk")
    )
    load_s = time.perf_counter() - t0
    vk = VerifyingKey.from_json(json.loads((folder / "zkpor.vk.json").read_text()))
    data = random_batch(shape, random.Random(SEED))

    runs: list[Json] = []
    proof: BatchProof | None = None
    for _ in range(reps):
        gc.collect()
        timer = PhaseTimer()
        w0, c0 = time.perf_counter(), time.process_time()
        proof = prove_batch(shape, data, pk, timer=timer)  # type: ignore[arg-type]
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        phases = dict(timer.seconds)
        if native:
            del phases["native"]
            inner = _native_phases()
            phases["ntt"] = inner["rows"] + inner["ntt"]
            phases.update({k: v for k, v in inner.items() if k.startswith("msm_")})
        prove_s = wall - phases["witness"]
        phases["other"] = prove_s - sum(v for k, v in phases.items() if k != "witness")
        runs.append({"phases": phases, "prove_s": prove_s, "total_s": wall, "cpu_s": cpu})
        if wall > max_seconds:
            break
    assert proof is not None

    t0 = time.perf_counter()
    verify(vk, proof.public, proof.proof)  # raises if the proof is rejected
    verify_s = time.perf_counter() - t0
    witness = batch_witness(shape, data)
    if tuple(witness[1 : 1 + cs.n_public]) != proof.public:
        raise AssertionError("the proof's public inputs are not the witness's")
    write_wtns(witness, folder / "witness.wtns")
    write_snarkjs_files(folder / "zkpor", vk, proof)
    private = witness[cs.n_public + 1 :]
    rss = peak_rss_mb()  # before the term counts below, which need the key as Python ints
    keys = ProvingKey.load(folder / "zkpor.pk")
    return {
        "backend": backend.describe(),
        "runs": runs,
        "circuit_build_s": circuit_s,
        "pk_load_s": load_s,
        "verify_s": verify_s,
        "verified": True,
        "public": [str(v) for v in proof.public],
        "scalars": {"witness": _scalar_mix(witness), "private": _scalar_mix(private)},
        "msm_terms": {
            "msm_a_g1": _msm_terms(keys.a_g1, witness),
            "msm_b_g2": _msm_terms(keys.b_g2, witness),
            "msm_b_g1": _msm_terms(keys.b_g1, witness),
            "msm_l_g1": _msm_terms(keys.l_g1, private),
            "msm_h_g1": _msm_terms(keys.h_g1, None),
        },
        "worker_peak_rss_mb": rss,
    }


def worker_main(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    if args.worker == "setup":
        result = setup_worker(args.users, folder)
    else:
        result = prove_worker(args.users, folder, args.reps, args.max_seconds)
    (folder / f"zkpor-{args.worker}.json").write_text(json.dumps(result, indent=1))


# --------------------------------------------------------------------------- ptau


def ptau_info(path: Path) -> tuple[int, bool]:
    """Return (power, prepared for phase 2) of a snarkjs ``.ptau`` file, from its header."""
    with path.open("rb") as f:
        magic, _version, n_sections = (
            f.read(4),
            int.from_bytes(f.read(4), "little"),
            int.from_bytes(f.read(4), "little"),
        )
        if magic != b"ptau":
            raise SystemExit(f"{path} is not a .ptau file")
        power, kinds = 0, set()
        for _ in range(n_sections):
            kind = int.from_bytes(f.read(4), "little")
            size = int.from_bytes(f.read(8), "little")
            start = f.tell()
            kinds.add(kind)
            if kind == 1:  # header: u32 n8 | n8 prime q | u32 power | u32 ceremonyPower
                n8 = int.from_bytes(f.read(4), "little")
                f.seek(n8, os.SEEK_CUR)
                power = int.from_bytes(f.read(4), "little")
            f.seek(start + size)
    return power, 12 in kinds  # section 12: the Lagrange basis phase 2 reads


def make_ptau(power: int, out: Path) -> Path:
    """Return ``<out>/pot<power>_final.ptau``, made with snarkjs if it is missing."""
    final = out / f"pot{power}_final.ptau"
    if final.exists():
        return final
    print(f"making {final} with snarkjs (prepare phase2 is slow: minutes at 14, ~30 at 16)")
    stem = out / f"pot{power}"
    log = out / f"pot{power}.log"
    steps: list[tuple[str | Path, ...]] = [
        ("powersoftau", "new", "bn128", str(power), f"{stem}_0000.ptau"),
        (
            "powersoftau",
            "contribute",
            f"{stem}_0000.ptau",
            f"{stem}_0001.ptau",
            "--name=zkpor bench",
            f"-e={secrets.token_hex(32)}",
        ),
        ("powersoftau", "prepare", "phase2", f"{stem}_0001.ptau", f"{stem}_tmp.ptau"),
    ]
    for step in steps:
        child = must(snarkjs(*step, cwd=out, log=log), "snarkjs " + " ".join(map(str, step[:2])))
        print(f"  snarkjs {' '.join(map(str, step[:3]))}: {child.wall_s:.0f} s")
    Path(f"{stem}_tmp.ptau").rename(final)  # only a complete file takes the cache name
    for name in ("_0000", "_0001"):
        Path(f"{stem}{name}.ptau").unlink()
    return final


# --------------------------------------------------------------------------- one size


def bench_size(users: int, args: argparse.Namespace, ptau: Path | None, ptau_power: int) -> Json:
    """Return every figure of one batch size."""
    folder = Path(args.out) / f"u{users}"
    folder.mkdir(parents=True, exist_ok=True)
    me: list[str | Path] = [sys.executable, Path(__file__).resolve()]
    common: list[str | Path] = ["--users", str(users), "--dir", folder]
    result: Json = {"users": users, "assets": N_ASSETS, "arity": ARITY, "load_before": loadavg()}

    print(f"\n== {users} users: zkpor setup", flush=True)
    child = must(
        run_child([*me, "--worker", "setup", *common], REPO, folder / "zkpor-setup.log"),
        "zkpor setup",
    )
    setup: Json = json.loads((folder / "zkpor-setup.json").read_text())
    setup["process_peak_rss_mb"] = child.peak_rss_mb
    result["setup"] = setup
    print(f"   {setup['constraints']} constraints, setup {setup['setup_s']:.1f} s", flush=True)

    print(f"== {users} users: zkpor prove x{args.reps}", flush=True)
    cmd: list[str | Path] = [
        *me,
        "--worker",
        "prove",
        *common,
        "--reps",
        str(args.reps),
        "--max-seconds",
        str(args.max_seconds),
    ]
    child = must(run_child(cmd, REPO, folder / "zkpor-prove.log"), "zkpor prove")
    zk: Json = json.loads((folder / "zkpor-prove.json").read_text())
    runs: list[Json] = zk["runs"]
    zk["reps"] = len(runs)
    zk["median"] = {p: median([r["phases"][p] for r in runs]) for p in PHASES}
    for key in ("prove_s", "total_s", "cpu_s"):
        zk["median"][key] = median([r[key] for r in runs])
    zk["process_peak_rss_mb"] = child.peak_rss_mb
    zk["process_wall_s"] = child.wall_s
    zk["snarkjs_accepts"] = None
    if not args.no_snarkjs:  # a cross-check: snarkjs verifies zkpor's proof too
        check = snarkjs(
            "groth16",
            "verify",
            "vk.json",
            "public.json",
            "proof.json",
            cwd=folder / "zkpor",
            log=folder / "zkpor" / "verify.log",
        )
        zk["snarkjs_accepts"] = check.code == 0 and "OK" in check.output
    result["zkpor"] = zk
    print(f"   prove {zk['median']['prove_s']:.2f} s (median of {len(runs)})", flush=True)

    result["load_between"] = loadavg()
    result["snarkjs"] = js = bench_snarkjs(folder, setup, zk, args, ptau, ptau_power)
    if js["status"] == "ok":  # zkpor / snarkjs; zkpor's prove excludes witness and key load
        result["ratio"] = {
            "prove": zk["median"]["prove_s"] / js["prove_s"],
            "prove_plus_key_load": (zk["median"]["prove_s"] + zk["pk_load_s"]) / js["prove_s"],
            "cpu": zk["median"]["cpu_s"] / js["prove_cpu_s"],
        }
    result["load_after"] = loadavg()
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snarkjs_setup(folder: Path, ptau: Path, power: int, fresh: bool) -> Json:
    """Make ``circuit.zkey`` and ``vk.json`` with snarkjs; return its setup time and RSS.

    The zkey depends only on the R1CS and the ptau, and ``groth16 setup`` takes minutes
    at 2^16: it is reused from an earlier run when ``circuit.zkey.json`` records the same
    R1CS digest and ptau (and ``fresh`` is false), with the setup figures of that run.
    """
    stamp = folder / "circuit.zkey.json"
    ptau_stat = ptau.resolve().stat()
    source = {
        "r1cs_sha256": _sha256(folder / "circuit.r1cs"),
        "ptau": str(ptau.resolve()),
        "ptau_bytes": ptau_stat.st_size,
        "ptau_mtime": ptau_stat.st_mtime,
    }
    zkey = folder / "circuit.zkey"
    if not fresh and stamp.exists() and zkey.exists() and (folder / "vk.json").exists():
        made: Json = json.loads(stamp.read_text())
        if made["source"] == source:
            print("== snarkjs groth16 setup: reusing circuit.zkey (same R1CS and ptau)")
            return {**made["figures"], "reused": True}
    stamp.unlink(missing_ok=True)
    print(f"== snarkjs groth16 setup (ptau 2^{power})", flush=True)
    child = must(
        snarkjs(
            "groth16",
            "setup",
            "circuit.r1cs",
            ptau.resolve(),
            "circuit.zkey",
            cwd=folder,
            log=folder / "snarkjs-setup.log",
        ),
        "snarkjs groth16 setup",
    )
    must(
        snarkjs(
            "zkey",
            "export",
            "verificationkey",
            "circuit.zkey",
            "vk.json",
            cwd=folder,
            log=folder / "snarkjs-export.log",
        ),
        "snarkjs zkey export verificationkey",
    )
    figures = {"setup_s": child.wall_s, "setup_peak_rss_mb": child.peak_rss_mb}
    stamp.write_text(json.dumps({"source": source, "figures": figures}, indent=1))
    return {**figures, "reused": False}


def bench_snarkjs(
    folder: Path, setup: Json, zk: Json, args: argparse.Namespace, ptau: Path | None, power: int
) -> Json:
    """Return snarkjs's figures on the R1CS and witness in ``folder``."""
    need = snarkjs_power(setup["constraints"], setup["n_public"])
    if ptau is None:
        return {"status": "not run (--no-snarkjs)", "needs_power": need}
    if need > power:
        return {"status": f"not run (needs ptau 2^{need}: pass --ptau)", "needs_power": need}
    zset = snarkjs_setup(folder, ptau, power, args.fresh_zkey)
    print(f"   setup {zset['setup_s']:.1f} s; groth16 prove x{args.reps}", flush=True)
    runs: list[Child] = []
    for _ in range(args.reps):
        child = must(
            snarkjs(
                "groth16",
                "prove",
                "circuit.zkey",
                "witness.wtns",
                "proof.json",
                "public.json",
                cwd=folder,
                log=folder / "snarkjs-prove.log",
            ),
            "snarkjs groth16 prove",
        )
        runs.append(child)
        if child.wall_s > args.max_seconds:
            break
    check = snarkjs(
        "groth16",
        "verify",
        "vk.json",
        "public.json",
        "proof.json",
        cwd=folder,
        log=folder / "snarkjs-verify.log",
    )
    public = json.loads((folder / "public.json").read_text())
    verified = check.code == 0 and "OK" in check.output
    status = "ok" if verified and public == zk["public"] else "FAILED"
    if status != "ok":
        print(
            f"   snarkjs proof verified: {verified}, same public inputs: {public == zk['public']}"
        )
    return {
        "status": status,
        "verified": verified,
        "same_public_inputs": public == zk["public"],
        "needs_power": need,
        "ptau": str(ptau),
        "ptau_power": power,
        "setup_s": zset["setup_s"],
        "setup_peak_rss_mb": zset["setup_peak_rss_mb"],
        "zkey_reused": zset["reused"],
        "zkey_bytes": (folder / "circuit.zkey").stat().st_size,
        "reps": len(runs),
        "prove_runs": [
            {"wall_s": c.wall_s, "cpu_s": c.cpu_s, "peak_rss_mb": c.peak_rss_mb} for c in runs
        ],
        "prove_s": median([c.wall_s for c in runs]),
        "prove_cpu_s": median([c.cpu_s for c in runs]),
        "peak_rss_mb": max(c.peak_rss_mb for c in runs),
    }


# --------------------------------------------------------------------------- report


def machine_info() -> Json:
    def first_line(cmd: list[str]) -> str:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
        except OSError:
            return "missing"
        return (done.stdout or done.stderr).strip().splitlines()[0]

    import gmpy2

    cpu = "unknown"
    meminfo = Path("/proc/meminfo")
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    mem_total = meminfo.read_text().splitlines()[0].split()[1] if meminfo.exists() else "0"
    package = SNARKJS.parent.parent / "package.json"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "mem_total_gib": round(int(mem_total) / MB, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "gmpy2": str(gmpy2.version()),
        "gmp": str(gmpy2.mp_version()),
        "node": first_line(["node", "--version"]),
        "snarkjs": json.loads(package.read_text())["version"] if package.exists() else "missing",
        "load_start": loadavg(),
        "git": git_state(),
    }


def git_state() -> Json:
    """Return what code was measured: the commit, and a digest of the loaded repo modules.

    The digest covers every module of ``publisher`` and ``verifier`` this process
    imported (the prover, the circuit, the curve, ...), committed or not.
    """
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=30
        )
        head = done.stdout.strip()
    except OSError:
        head = ""
    files = sorted(
        path
        for module in list(sys.modules.values())
        if (name := getattr(module, "__file__", None))
        and (path := Path(name).resolve()).is_relative_to(REPO)
        and path.parts[len(REPO.parts)] in ("publisher", "verifier")
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return {"head": head, "code_sha256": digest.hexdigest(), "modules": len(files)}


def _cell(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def tables(results: list[Json], backend_name: str) -> str:
    """Return the markdown tables of ``results``."""
    head = (
        "| users | constraints | wires | reps | witness | ntt | msm A G1 | msm B G2 | msm B G1 "
        "| msm L G1 | msm H G1 | other | prove | total | CPU | µs/constr. | peak RSS MiB |"
    )
    lines = [
        f"zkpor ({backend_name} backend), wall seconds (median per column; CPU: process time "
        "of witness + prove):",
        "",
        head,
        "|" + "---:|" * (head.count("|") - 1),
    ]
    for res in results:
        s, z = res["setup"], res["zkpor"]
        m = z["median"]
        cells = [str(res["users"]), str(s["constraints"]), str(s["wires"]), str(z["reps"])]
        cells += [_cell(m[p]) for p in PHASES]
        cells += [
            _cell(m["prove_s"]),
            _cell(m["total_s"]),
            _cell(m["cpu_s"]),
            _cell(m["total_s"] / s["constraints"] * 1e6, 0),
            _cell(z["process_peak_rss_mb"], 0),
        ]
        lines.append("| " + " | ".join(cells) + " |")

    head = (
        "| users | zkpor setup s | setup RSS MiB | pk MiB | pk load s | snarkjs setup s "
        "| zkey MiB | snarkjs prove s | snarkjs CPU s | snarkjs RSS MiB | zkpor prove s "
        "| zkpor/snarkjs |"
    )
    lines += [
        "",
        "Setup (once, outside the repetitions) and the comparison with snarkjs "
        "(prove wall seconds, median; zkpor without witness):",
        "",
        head,
        "|" + "---:|" * (head.count("|") - 1),
    ]
    for res in results:
        s, z, j = res["setup"], res["zkpor"], res["snarkjs"]
        cells = [
            str(res["users"]),
            _cell(s["setup_s"], 1),
            _cell(s["process_peak_rss_mb"], 0),
            _cell(s["pk_bytes"] / MB, 1),
            _cell(z["pk_load_s"]),
        ]
        if j["status"] == "ok":
            cells += [
                _cell(j["setup_s"], 1) + (" (reused)" if j["zkey_reused"] else ""),
                _cell(j["zkey_bytes"] / MB, 1),
                _cell(j["prove_s"]),
                _cell(j["prove_cpu_s"]),
                _cell(j["peak_rss_mb"], 0),
                _cell(z["median"]["prove_s"]),
                _cell(res["ratio"]["prove"], 1) + "x",
            ]
        else:
            cells += [j["status"], "", "", "", "", _cell(z["median"]["prove_s"]), ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="16,64,256", help="users per batch, comma-separated")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per size (median)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="measure a size once if its first repetition takes longer",
    )
    parser.add_argument("--ptau", type=Path, help="a prepared snarkjs ptau (default: see --out)")
    parser.add_argument(
        "--ptau-power",
        type=int,
        help="power of the default <out>/pot<K>_final.ptau, made if missing "
        f"(default: what the largest size needs, at most {PTAU_POWER_CAP})",
    )
    parser.add_argument(
        "--fresh-zkey",
        action="store_true",
        help="rerun snarkjs groth16 setup even if <out>/u<N>/circuit.zkey matches",
    )
    parser.add_argument("--no-snarkjs", action="store_true", help="zkpor figures only")
    parser.add_argument(
        "--backend",
        choices=("native", "python"),
        default="native",
        help="zkpor's prover: the native kernels (default) or the pure-Python reference",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--worker", choices=("setup", "prove"), help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def choose_ptau(args: argparse.Namespace, sizes: list[int]) -> tuple[Path | None, int]:
    """Return the ptau snarkjs uses and its power, making the default one if needed."""
    if args.no_snarkjs:
        return None, 0
    if args.ptau is None:
        needs = []
        for users in sizes:
            cs = build_batch_circuit(shape_for(users))
            needs.append(snarkjs_power(len(cs.constraints), cs.n_public))
        power = args.ptau_power or min(max(needs), PTAU_POWER_CAP)
        args.ptau = make_ptau(power, args.out)
    if not args.ptau.is_file():
        raise SystemExit(f"--ptau {args.ptau}: no such file")
    power, prepared = ptau_info(args.ptau)
    if not prepared:
        raise SystemExit(f"{args.ptau} is not prepared: run `snarkjs powersoftau prepare phase2`")
    return args.ptau, power


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:  # the backend comes from the parent, through the environment
        worker_main(args)
        return 0
    os.environ[backend.BACKEND_ENV] = args.backend  # for this process and every worker
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for users in sizes:
        shape_for(users)
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    ptau, power = choose_ptau(args, sizes)
    info["ptau"], info["ptau_power"] = (str(ptau), power) if ptau else (None, None)
    info["backend"] = backend.describe()
    print(
        f"{info['date']}  {info['nproc']} CPUs ({info['cpu']}), load {info['load_start']}; "
        f"python {info['python']}, gmpy2 {info['gmpy2']}, node {info['node']}, "
        f"snarkjs {info['snarkjs']}; ptau: " + (f"2^{power} {ptau}" if ptau else "none")
    )

    results = [bench_size(users, args, ptau, power) for users in sizes]
    info["load_end"] = loadavg()
    info["git_end"] = git_state()
    if info["git_end"]["code_sha256"] != info["git"]["code_sha256"]:
        print("note: the prover's code changed during the run")
    report = {
        "machine": info,
        "reps": args.reps,
        "max_seconds": args.max_seconds,
        "seed": SEED,
        "field_r": str(R),
        "sizes": results,
    }
    (args.out / "prove.json").write_text(json.dumps(report, indent=1))
    print()
    print(tables(results, args.backend))
    print(
        f"\nload average: start {info['load_start']}, end {info['load_end']}; "
        f"figures in {args.out / 'prove.json'}"
    )
    failed = [
        r["users"]
        for r in results
        if r["snarkjs"]["status"] == "FAILED" or r["zkpor"]["snarkjs_accepts"] is False
    ]
    if failed:
        print(f"FAILED cross-checks for sizes {failed}: see {args.out}/u<users>/*.log")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

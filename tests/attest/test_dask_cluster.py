"""``zkpor prove --dask`` on a real cluster: a ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1, started with the ``dask`` command as an operator starts them.

- One worker is killed (SIGKILL) while it proves: Dask gives its jobs to the other worker,
  the run completes, and its attestation is the one a local-pool run of the same plan
  writes (every file, except the bytes of the randomized Groth16 proofs).
- A worker that cannot read the proving key fails the run at once, with a message naming
  the worker, the key path and what to do, and no proof made.

The workers run without a nanny (``--no-nanny``): a worker is then one process, and
killing it loses the worker for good, as losing its machine would (a nanny would start a
new one); Dask must move its jobs to the survivor. Each test starts its own cluster and
kills every process it started (by process group) when it ends. The two tests run one after
the other on one xdist worker (``xdist_group``): each runs up to four processes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from publisher.attest.pipeline import CHECKPOINTS, CODES
from publisher.cli.main import app

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask-cluster")]

BIN = Path(sys.executable).parent
DASK = shutil.which("dask", path=str(BIN)) or shutil.which("dask")
ZKPOR = shutil.which("zkpor", path=str(BIN)) or shutil.which("zkpor")
#: Generous bounds on a busy machine: a test fails at them rather than hang.
START_TIMEOUT = 60.0
RUN_TIMEOUT = 180.0

#: 80 accounts in batches of 4 (arity 2, depth 2, 2 assets): 20 batches of ~0.4 s each on
#: one core, so a run lasts several seconds and a worker can be killed in the middle.
ACCOUNTS = 80
CONFIG = """\
[issuer]
name = "Test Custodian"
url = "https://example.com"

[attestation]
id = "dask-cluster-2026-11-21"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 2
batch_depth = 2
pad_to = 0

[[assets]]
symbol = "BTC"
decimals = 8

[[assets]]
symbol = "USDT"
decimals = 6
"""
BATCHES = ACCOUNTS // 4

needs_dask_cli = pytest.mark.skipif(
    DASK is None or ZKPOR is None, reason="the dask or zkpor command is not installed"
)


def write_inputs(folder: Path) -> list[str]:
    """Write liabilities.csv and zkpor.toml into ``folder``; return their prove options."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["user_id,BTC,USDT"]
    rows += [f"user-{i:03d},{i}.{i:08d},{i * 7}.25" for i in range(ACCOUNTS)]
    (folder / "liabilities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "zkpor.toml").write_text(CONFIG, encoding="utf-8")
    return [
        "--liabilities",
        str(folder / "liabilities.csv"),
        "--config",
        str(folder / "zkpor.toml"),
        "--insecure-dev-setup",
    ]


def wait_for(what: str, ready: Callable[[], Any], timeout: float = START_TIMEOUT) -> Any:
    """Return ``ready()`` once it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := ready()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
    return value


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` and everything it started (its own process group), and reap it."""
    if proc.poll() is None:
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 30.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
    with suppress(ProcessLookupError):  # the group may outlive its leader (its children)
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    #: By worker name: the process and its address.
    workers: dict[str, tuple[subprocess.Popen[bytes], str]]
    logs: Path

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


def spawn(stack: ExitStack, args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``args`` in its own process group; ``stack`` kills the group when it closes."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
    stack.callback(stop, proc)
    return proc


@contextmanager
def dask_cluster(folder: Path, workers: dict[str, Path]) -> Iterator[Cluster]:
    """Run ``dask scheduler`` and one ``dask worker`` per name (started in its folder), all
    on 127.0.0.1; yield once every worker is registered, kill them all on the way out."""
    assert DASK is not None
    logs = folder / "logs"
    logs.mkdir(parents=True)
    scheduler_file = folder / "scheduler.json"
    # each worker proves with one thread: two workers share this machine's two cores
    env = {**os.environ, "ZKPOR_THREADS": "1"}
    with ExitStack() as stack:
        scheduler = spawn(
            stack,
            [
                *(DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
                *("--scheduler-file", str(scheduler_file)),
            ],
            logs / "scheduler.log",
            cwd=folder,
        )

        def scheduler_address() -> str | None:
            assert scheduler.poll() is None, (logs / "scheduler.log").read_text()
            try:  # written once the scheduler listens, maybe not at once: read until it parses
                return str(json.loads(scheduler_file.read_text())["address"])
            except (OSError, ValueError, KeyError):
                return None

        address = wait_for("the scheduler", scheduler_address)
        procs = {}
        for name, cwd in workers.items():
            procs[name] = spawn(
                stack,
                [
                    *(DASK, "worker", "--scheduler-file", str(scheduler_file), "--name", name),
                    *("--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"),
                    *("--local-directory", str(folder / f"{name}-space")),
                    # a worker whose scheduler is gone exits by itself after this
                    *("--death-timeout", "60"),
                ],
                logs / f"{name}.log",
                cwd=cwd,
                env=env,
            )
        with distributed.Client(address, timeout=START_TIMEOUT) as client:

            def registered() -> dict[str, str] | None:
                for name, proc in procs.items():
                    assert proc.poll() is None, (logs / f"{name}.log").read_text()
                info = client.scheduler_info()["workers"]
                named = {w["name"]: a for a, w in info.items()}
                return named if set(named) == set(workers) else None

            addresses = wait_for("the workers to register", registered)
        yield Cluster(
            address,
            scheduler,
            {name: (procs[name], addresses[name]) for name in workers},
            logs,
        )


def zkpor_prove(
    stack: ExitStack, args: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    assert ZKPOR is not None
    return spawn(stack, [ZKPOR, "prove", *args], log, cwd=cwd, env=env)


def finished(proc: subprocess.Popen[bytes], log: Path) -> tuple[int, str]:
    """Wait for ``proc`` (failing the test rather than hanging); return its code and log."""
    try:
        code = proc.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"zkpor prove still runs after {RUN_TIMEOUT:.0f} s:\n{log.read_text()}")
    return code, log.read_text(errors="replace")


def checkpoints(private: Path) -> int:
    folder = private / CHECKPOINTS
    return len(list(folder.glob("*.json"))) if folder.exists() else 0


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# -- a killed worker ------------------------------------------------------------------------


@needs_dask_cli
def test_a_run_survives_a_killed_worker_and_matches_a_local_run(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "input")
    local, private = tmp_path / "local", tmp_path / "private-local"
    on_dask, private_dask = tmp_path / "dask", tmp_path / "private-dask"
    with ExitStack() as stack:
        # the local pool's run; it also makes the development key (cached in ZKPOR_CACHE)
        log = tmp_path / "prove-local.log"
        proc = zkpor_prove(
            stack,
            [*inputs, "--out", str(local), "--private", str(private), "--workers", "2"],
            log,
            tmp_path,
        )
        code, output = finished(proc, log)
        assert code == 0, output
    # the same plan for the Dask run: the private dir without its checkpoints and codes
    shutil.copytree(private, private_dask, ignore=shutil.ignore_patterns(CHECKPOINTS, CODES))
    assert checkpoints(private_dask) == 0

    start = time.monotonic()
    with (
        dask_cluster(tmp_path / "cluster", {"w-1": tmp_path, "w-2": tmp_path}) as cluster,
        distributed.Client(cluster.address, timeout=START_TIMEOUT) as client,
        ExitStack() as stack,
    ):
        log = tmp_path / "prove-dask.log"
        args = [*inputs, "--out", str(on_dask), "--private", str(private_dask)]
        proc = zkpor_prove(stack, [*args, "--dask", cluster.address], log, tmp_path)
        victim, victim_address = cluster.workers["w-1"]

        def proving() -> bool:
            """At least one batch proven, not all, and the victim busy with a job."""
            assert proc.poll() is None, log.read_text()
            done = checkpoints(private_dask)
            assert done < BATCHES, "the run finished before a worker could be killed"
            return done >= 1 and bool(client.processing([victim_address])[victim_address])

        wait_for("a first proven batch while w-1 proves", proving, timeout=RUN_TIMEOUT)
        killed_at = checkpoints(private_dask)
        os.killpg(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL

        code, output = finished(proc, log)
        assert code == 0, output
        assert checkpoints(private_dask) == BATCHES

        # the scheduler saw w-1 leave unexpectedly, with jobs of the run still on it
        info = client.scheduler_info()["workers"]
        assert {w["name"] for w in info.values()} == {"w-2"}
        removed = [
            event
            for _, event in client.get_events("all")
            if event.get("action") == "remove-worker" and event.get("worker") == victim_address
        ]
        assert len(removed) == 1, removed
        assert removed[0]["expected"] is False
        assert any(key.startswith("run_batch_job-") for key in removed[0]["processing-tasks"])
        assert any(
            "Remove worker" in line and victim_address in line
            for line in cluster.log("scheduler").splitlines()
        )
    elapsed = time.monotonic() - start
    print(f"the Dask run: {elapsed:.1f} s, w-1 killed after {killed_at} of {BATCHES} batches")

    result = CliRunner().invoke(app, ["verify", str(on_dask), "--allow-insecure-dev-setup"])
    assert result.exit_code == 0, result.output

    # The same attestation as the local pool's. Groth16 proofs are randomized (fresh r, s
    # per proof, for zero knowledge), so the proofs' bytes differ, and with them their
    # sha256 in attestation.json; everything else is the same bytes.
    ours, theirs = files_of(on_dask), files_of(local)
    assert set(ours) == set(theirs)
    for name in sorted(set(ours) - {"proofs.json", "attestation.json"}):
        assert ours[name] == theirs[name], name
    proofs_ours, proofs_theirs = json.loads(ours["proofs.json"]), json.loads(theirs["proofs.json"])
    assert [(p["batch"], p["public"]) for p in proofs_ours] == [
        (p["batch"], p["public"]) for p in proofs_theirs
    ]
    assert len(proofs_ours) == BATCHES
    assert proofs_ours != proofs_theirs  # fresh randomness: not copied from the first run
    manifests = [json.loads(ours["attestation.json"]), json.loads(theirs["attestation.json"])]
    for manifest in manifests:
        assert set(manifest["files"]) >= {"proofs.json", "vk.json", "tree.json"}
        del manifest["files"]["proofs.json"]
    assert manifests[0] == manifests[1]
    assert (private_dask / CODES).read_bytes() == (private / CODES).read_bytes()


# -- a worker that cannot read the proving key ---------------------------------------------


@needs_dask_cli
def test_a_worker_without_the_proving_key_fails_the_run_at_once(tmp_path: Path) -> None:
    # On one machine every process sees the same files; but a key path under
    # /proc/self/cwd names a file in each process's own working directory. So with
    # ZKPOR_CACHE=/proc/self/cwd/cache the development key is made in the custodian's
    # folder, w-here (started there) reads it, and w-elsewhere lacks it, as a worker on
    # a machine without the shared storage would.
    custodian, elsewhere = tmp_path / "custodian", tmp_path / "elsewhere"
    elsewhere.mkdir()
    inputs = write_inputs(custodian)
    private = tmp_path / "private"
    env = {**os.environ, "ZKPOR_CACHE": "/proc/self/cwd/cache"}
    with (
        dask_cluster(tmp_path / "cluster", {"w-here": custodian, "w-elsewhere": elsewhere}) as cl,
        ExitStack() as stack,
    ):
        log = tmp_path / "prove.log"
        args = [*inputs, "--out", str(tmp_path / "out"), "--private", str(private)]
        start = time.monotonic()
        proc = zkpor_prove(stack, [*args, "--dask", cl.address], log, custodian, env)
        code, output = finished(proc, log)
        elapsed = time.monotonic() - start
        # the workers are still there: the run failed on its own, not because one died
        assert all(p.poll() is None for p, _ in cl.workers.values())
        bad = cl.workers["w-elsewhere"][1]
    print(f"failed in {elapsed:.1f} s:\n{output}")
    key = next((custodian / "cache" / "keys").glob("*.pk"))
    assert code == 2, output
    message = " ".join(output.split())  # rich wraps long lines
    assert (
        f"error: Dask worker {bad} (w-elsewhere) cannot read the proving key "
        f"/proc/self/cwd/cache/keys/{key.name}: No such file or directory; every worker "
        "must see the proving key at that same "
        "path: shared storage mounted at the same path, or a copy there with the same sha256"
    ) in message
    assert "w-here" not in message
    assert "Traceback" not in output
    assert checkpoints(private) == 0  # checked before any proving
    assert not (tmp_path / "out").exists()


# -- a lost scheduler -----------------------------------------------------------------------


@needs_dask_cli
def test_a_lost_scheduler_fails_the_run_instead_of_hanging(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "input")
    private = tmp_path / "private"
    with (
        dask_cluster(tmp_path / "cluster", {"w-1": tmp_path, "w-2": tmp_path}) as cluster,
        ExitStack() as stack,
    ):
        log = tmp_path / "prove.log"
        args = [*inputs, "--out", str(tmp_path / "out"), "--private", str(private)]
        proc = zkpor_prove(stack, [*args, "--dask", cluster.address], log, tmp_path)

        def proving() -> bool:
            assert proc.poll() is None, log.read_text()
            return 1 <= checkpoints(private) < BATCHES

        wait_for("a first proven batch", proving, timeout=RUN_TIMEOUT)
        os.killpg(cluster.scheduler.pid, signal.SIGKILL)
        lost = time.monotonic()
        code, output = finished(proc, log)
        elapsed = time.monotonic() - lost
    print(f"failed {elapsed:.1f} s after the scheduler was killed:\n{output}")
    assert code == 2, output
    # Dask's client logs its lost connection (with a traceback) before zkpor's own error
    message = " ".join(output[output.rindex("error: ") :].split())
    assert message == (
        f"error: the Dask scheduler {cluster.address} dropped the batch jobs (did it stop, or "
        "did the connection to it break?). The batches proven so far are checkpointed: run "
        'the same command again to resume; see docs/operations.md, "Proving on a '
        'multi-machine Dask cluster"'
    )
    assert checkpoints(private) >= 1
    assert not (tmp_path / "out").exists()

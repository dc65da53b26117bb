"""Batch jobs on the backend in use: the proving key's form, the CPUs shared by workers, and
the proving key checked on every Dask worker (tests/attest/test_dask_cluster.py runs a real
cluster)."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from publisher.attest import executors
from publisher.attest.executors import ClusterError, _worker_check, check_workers, open_executor
from publisher.attest.jobs import BatchJob, _proving_key, run_batch_job
from publisher.attest.pipeline import PipelineError
from publisher.snark import backend
from publisher.snark.circuit import CircuitShape
from publisher.snark.keys import ProvingKey
from publisher.snark.native import PackedKey
from tests.conftest import SMALL_SHAPE
from verifier import __version__
from verifier.groth16 import VerifyingKey

CPUS = len(os.sched_getaffinity(0))
native_only = pytest.mark.skipif(not backend.native_built(), reason="native kernels not built")


def _threads() -> str | None:
    return os.environ.get(backend.THREADS_ENV)


@native_only
def test_a_worker_loads_the_key_for_the_backend_in_use(
    small_keys: tuple[ProvingKey, VerifyingKey], tmp_path: Path
) -> None:
    pk, _ = small_keys
    path = tmp_path / "proving_key.pk"
    pk.save(path)
    packed = _proving_key(str(path))
    assert isinstance(packed, PackedKey)
    assert packed == PackedKey.of(pk)
    assert _proving_key(str(path)) is packed  # read once per process
    with backend.forced("python"):
        assert _proving_key(str(path)) == pk


@pytest.mark.parametrize("workers", [1, 2, CPUS + 1])
def test_local_workers_share_the_cpus(workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(backend.THREADS_ENV, raising=False)
    with open_executor(workers) as (pool, parallel):
        assert parallel == workers
        assert pool.submit(_threads).result() == str(max(1, CPUS // workers))
    assert _threads() is None  # set in the workers only


def test_zkpor_threads_wins_over_the_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(backend.THREADS_ENV, "5")
    with open_executor(2) as (pool, _):
        assert pool.submit(backend.threads).result() == 5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (backend.BACKEND_ENV, "fast", "expected native, python or auto"),
        (backend.THREADS_ENV, "0", "must be at least 1"),
    ],
)
def test_a_bad_setting_fails_before_any_worker_starts(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(backend.BackendError, match=message), open_executor(2):
        pytest.fail("the executor opened")


@pytest.mark.slow
def test_dask_workers_share_the_cpus_of_their_host(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    monkeypatch.delenv(backend.THREADS_ENV, raising=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        with open_executor(1, cluster.scheduler_address) as (executor, parallel):
            assert parallel == 2
            # by value (a lambda): the Dask workers need not import the tests
            threads = executor.submit(lambda: os.environ.get("ZKPOR_THREADS")).result()
            assert threads == str(max(1, CPUS // 2))
    assert _threads() is None


# -- the proving key on the workers --------------------------------------------------------


def _job(shape: CircuitShape, key_path: str) -> BatchJob:
    """A job of padding leaves only, proven with the key at ``key_path``."""
    n, zero = shape.batch_size, [0] * shape.n_assets
    return BatchJob(0, shape, key_path, [None] * n, [1] * n, [zero] * n, zero, 0, 5)


def test_a_job_carries_an_absolute_key_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a Dask worker has its own working directory: a relative path would name another file
    monkeypatch.chdir(tmp_path)
    job = _job(SMALL_SHAPE, "keys/proving_key.pk")
    assert job.key_path == str(tmp_path / "keys" / "proving_key.pk")
    assert pickle.loads(pickle.dumps(job)) == job  # unpickled as it was made


def test_a_worker_that_cannot_read_the_key_says_which_and_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "proving_key.pk"
    with pytest.raises(ClusterError) as caught:
        run_batch_job(_job(SMALL_SHAPE, str(missing)))
    assert str(caught.value).startswith(
        f"worker process {os.getpid()} on {socket.gethostname()} cannot read the proving key "
        f"{missing}: No such file or directory; every worker must see the proving key at that "
        "same path"
    )
    assert isinstance(caught.value, PipelineError)  # zkpor prove prints it, exit code 2


class _FakeClient:
    """What ``check_workers`` asks of a Dask client, with the workers' answers given."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def scheduler_info(self) -> dict[str, Any]:
        return {"workers": {address: {"name": f"w{i}"} for i, address in enumerate(self.answers)}}

    def run(self, function: Any, *args: Any, on_error: str) -> dict[str, Any]:
        assert function is _worker_check and on_error == "return"
        return self.answers


def test_the_workers_check_names_each_worker_that_cannot_prove(tmp_path: Path) -> None:
    key = tmp_path / "proving_key.pk"
    key.write_bytes(b"the key")
    good = _worker_check(str(key))
    assert good == (hashlib.sha256(b"the key").hexdigest(), None, __version__)
    a, b = "tcp://10.0.0.1:4000", "tcp://10.0.0.2:4000"
    check_workers(_FakeClient({a: good, b: good}), str(key))

    missing = (None, "No such file or directory", __version__)
    with pytest.raises(
        ClusterError,
        match=re.escape(
            f"Dask worker {b} (w1) cannot read the proving key {key}: No such file or directory; "
            "every worker must see the proving key at that same path"
        ),
    ):
        check_workers(_FakeClient({a: good, b: missing}), str(key))
    with pytest.raises(
        ClusterError,
        match=re.escape(
            f"Dask workers {a} (w0), {b} (w1) cannot read the proving key {key} ({a} (w0): "
            f"No such file or directory; {b} (w1): Permission denied); every worker"
        ),
    ):
        check_workers(
            _FakeClient({a: missing, b: (None, "Permission denied", __version__)}), str(key)
        )

    stale = ("0" * 64, None, __version__)
    with pytest.raises(
        ClusterError,
        match=re.escape(
            f"Dask worker {a} (w0) holds a different proving key at {key}: sha256 {'0' * 64}, "
            f"not {good[0]} as for zkpor prove; copy the same file to every worker"
        ),
    ):
        check_workers(_FakeClient({a: stale, b: good}), str(key))

    with pytest.raises(
        ClusterError,
        match=re.escape(
            f"Dask worker {b} (w1) cannot take part: it runs zkpor 0.0; every Dask worker must run "
            f"the zkpor of zkpor prove ({__version__})"
        ),
    ):
        check_workers(_FakeClient({a: good, b: (good[0], None, "0.0")}), str(key))
    gone = ModuleNotFoundError("No module named 'publisher'")
    with pytest.raises(
        ClusterError,
        match=re.escape(
            f"Dask worker {a} (w0) cannot take part: zkpor's check failed (ModuleNotFoundError: "
            "No module named 'publisher')"
        ),
    ):
        check_workers(_FakeClient({a: gone, b: good}), str(key))


@pytest.mark.slow
def test_dask_checks_the_key_on_every_worker_before_the_first_job(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    missing = str(tmp_path / "proving_key.pk")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        open_executor(1, cluster.scheduler_address) as (executor, _),
    ):
        one, two = (f"{a} ({w.name})" for a, w in sorted(cluster.scheduler.workers.items()))
        gone = "No such file or directory"
        with pytest.raises(
            ClusterError,
            match=re.escape(
                f"Dask workers {one}, {two} cannot read the proving key {missing} "
                f"({one}: {gone}; {two}: {gone})"
            ),
        ):
            executor.submit(run_batch_job, _job(SMALL_SHAPE, missing))
        assert not cluster.scheduler.tasks  # nothing was submitted

        # a worker that joins after the check: its job comes back with the same error, once
        # (an exception in a job is the job's result; Dask retries only jobs of lost workers)
        with distributed.Client(cluster) as client, client.get_executor() as plain:
            future = plain.submit(run_batch_job, _job(SMALL_SHAPE, missing))
            with pytest.raises(
                ClusterError, match=r"^Dask worker \S+ \(\d\) cannot read the proving key"
            ):
                future.result(timeout=60)


@pytest.mark.slow
def test_dask_without_workers_fails_instead_of_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "WORKER_WAIT_SECONDS", 0.5)
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster,
        pytest.raises(ClusterError, match=r"no Dask worker joined the scheduler \S+ within 0 s"),
        open_executor(1, cluster.scheduler_address),
    ):
        pytest.fail("the executor opened")


@pytest.mark.slow
def test_dask_fails_on_a_scheduler_it_cannot_reach() -> None:
    dask = pytest.importorskip("dask")
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(
            ClusterError, match=r"^cannot connect to the Dask scheduler tcp://127\.0\.0\.1:1: "
        ),
        open_executor(1, "tcp://127.0.0.1:1"),
    ):
        pytest.fail("the executor opened")


@pytest.mark.slow
def test_dask_a_job_that_kills_its_workers_fails_the_run_with_a_message() -> None:
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with (
        # the scheduler gives up on a job after its first dead worker (default: the fourth)
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        pytest.raises(
            ClusterError,
            match=r"^Attempted to run task .* on 1 different workers, but all those workers "
            r"died while running it\..* The batches proven so far are checkpointed: run the "
            r"same command again to resume",
        ),
        open_executor(1, cluster.scheduler_address) as (executor, _),
    ):
        executor.submit(os._exit, 1).result(timeout=60)  # the worker process dies

"""Batch jobs on the backend in use: the proving key's form, and the CPUs shared by workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from publisher.attest.executors import open_executor
from publisher.attest.jobs import _proving_key
from publisher.snark import backend
from publisher.snark.keys import ProvingKey
from publisher.snark.native import PackedKey
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
        open_executor(1, cluster.scheduler_address) as (executor, parallel),
    ):
        assert parallel == 2
        # by value (a lambda): the Dask workers need not import the tests
        threads = executor.submit(lambda: os.environ.get("ZKPOR_THREADS")).result()
        assert threads == str(max(1, CPUS // 2))
    assert _threads() is None

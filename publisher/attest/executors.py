"""Where batch proofs run: a local process pool, or a Dask cluster.

Both are ``concurrent.futures.Executor``s, so the pipeline does not know which it has.
With Dask, every worker must see the proving key path (same machine or shared storage).

Each native prove runs ``ZKPOR_THREADS`` threads (``publisher.snark.backend``; default:
every CPU), and several proofs run at once, so unless ``ZKPOR_THREADS`` is set the CPUs
are shared out: each of N local worker processes gets ``cpus // N`` threads, and each
Dask worker ``its cpus // the task threads of all workers on its host``, set when the
executor opens (a worker that joins later keeps every CPU per task).
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from publisher.snark import backend

#: Tokens of the Dask executors open in this process (a worker in this process shares it).
_OPEN: set[str] = set()
#: The ZKPOR_THREADS this module set in this (Dask worker) process, so it may set it again.
_shared: str | None = None


@contextmanager
def open_executor(workers: int, dask_address: str | None = None) -> Iterator[tuple[Executor, int]]:
    """Yield (executor, number of parallel workers behind it)."""
    # A bad ZKPOR_BACKEND or ZKPOR_THREADS fails here, and the fallback's warning is printed
    # once, not once per worker.
    backend.native()
    cpus = backend.threads()
    if dask_address:
        from distributed import Client  # optional dependency: pip install 'zkpor[dask]'

        with Client(dask_address) as client:  # type: ignore[no-untyped-call]
            info = client.scheduler_info()["workers"]
            tasks = Counter[str]()
            for w in info.values():
                tasks[w["host"]] += int(w.get("nthreads", 1))
            token = secrets.token_hex(16)
            _OPEN.add(token)
            try:
                per_worker = {address: tasks[w["host"]] for address, w in info.items()}
                client.run(_share_dask_worker_cpus, per_worker, token)
                with client.get_executor() as executor:
                    yield executor, max(1, tasks.total())
            finally:
                _OPEN.discard(token)
        return
    threads = None if _threads_set() else max(1, cpus // workers)
    with ProcessPoolExecutor(workers, initializer=_use_threads, initargs=(threads,)) as pool:
        yield pool, workers


def _threads_set() -> bool:
    return bool(os.environ.get(backend.THREADS_ENV, "").strip())


def _use_threads(threads: int | None) -> None:
    """Pool initializer: each native prove of this worker process uses ``threads``."""
    if threads is not None:
        os.environ[backend.THREADS_ENV] = str(threads)


def _share_dask_worker_cpus(tasks: dict[str, int], token: str, dask_worker: Any) -> None:
    """Run on each Dask worker: its CPUs shared by the task threads of its host."""
    global _shared
    if token in _OPEN:  # an in-process worker: leave the client's environment alone
        return
    if _threads_set() and os.environ[backend.THREADS_ENV] != _shared:  # the operator's setting
        return
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    _shared = str(max(1, cpus // tasks.get(dask_worker.address, 1)))
    os.environ[backend.THREADS_ENV] = _shared

"""Where batch proofs run: a local process pool, or a Dask cluster.

Both are ``concurrent.futures.Executor``s, so the pipeline does not know which it has.
With Dask, every worker must see the proving key path (same machine or shared storage),
with the same content, and run the same zkpor: before the first job of a proving key, every
worker reads and hashes it (``client.run``), so a worker that cannot fails the run at once
with a ``ClusterError`` naming the worker, the path and what to do, before any proving. A
worker that joins later, and cannot read the key, fails its first job with the same error
(``publisher.attest.jobs``). A failed run cancels the jobs still queued or running on the
cluster instead of waiting for them. No worker at all, an unreachable scheduler, a scheduler
lost mid-run and a job that killed its workers (Dask's ``KilledWorker``) are
``ClusterError``s too: ``zkpor prove`` prints one line and exits 2, never hangs on them.
(A worker lost mid-run is no error: Dask gives its jobs to the other workers.)

Each native prove runs ``ZKPOR_THREADS`` threads (``publisher.snark.backend``; default:
every CPU), and several proofs run at once, so unless ``ZKPOR_THREADS`` is set the CPUs
are shared out: each of N local worker processes gets ``cpus // N`` threads, and each
Dask worker ``its cpus // the task threads of all workers on its host``, set when the
executor opens (a worker that joins later keeps every CPU per task).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from publisher.attest.workers import (
    CLUSTER_DOCS,
    ClusterError,
    each_worker,
    unreadable_key,
    worker_label,
)
from publisher.snark import backend
from verifier import __version__

#: Tokens of the Dask executors open in this process (a worker in this process shares it).
_OPEN: set[str] = set()
#: The ZKPOR_THREADS this module set in this (Dask worker) process, so it may set it again.
_shared: str | None = None
#: How long ``zkpor prove --dask`` waits for a first worker to join the scheduler.
WORKER_WAIT_SECONDS = 60.0
#: How often a local pool worker checks that its coordinator still runs.
PARENT_POLL_S = 0.5
#: Where the operator reads how to set up the workers.
RESUME = (
    "The batches proven so far are checkpointed: run the same command again to resume; "
    f"see {CLUSTER_DOCS}"
)

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def open_executor(workers: int, dask_address: str | None = None) -> Iterator[tuple[Executor, int]]:
    """Yield (executor, number of parallel workers behind it)."""
    # A bad ZKPOR_BACKEND or ZKPOR_THREADS fails here, and the fallback's warning is printed
    # once, not once per worker.
    backend.native()
    cpus = backend.threads()
    if dask_address:
        from distributed import Client  # optional dependency: pip install 'zkpor[dask]'
        from distributed.scheduler import KilledWorker

        try:
            client = Client(dask_address)  # type: ignore[no-untyped-call]
        except (OSError, TypeError, ValueError) as exc:  # TypeError: tls:// without TLS set up
            raise ClusterError(
                f"cannot connect to the Dask scheduler {dask_address}: {exc}; check the address "
                "and, for tls://, the DASK_DISTRIBUTED__COMM__TLS__* settings; see "
                f"{CLUSTER_DOCS}"
            ) from exc
        with client:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except TimeoutError as exc:
                raise ClusterError(
                    f"no Dask worker joined the scheduler {dask_address} within "
                    f"{WORKER_WAIT_SECONDS:.0f} s: start the workers first "
                    f"(dask worker {dask_address}); see {CLUSTER_DOCS}"
                ) from exc
            info = client.scheduler_info()["workers"]
            tasks = Counter[str]()
            for w in info.values():
                tasks[w["host"]] += int(w.get("nthreads", 1))
            token = secrets.token_hex(16)
            _OPEN.add(token)
            try:
                per_worker = {address: tasks[w["host"]] for address, w in info.items()}
                client.run(_share_dask_worker_cpus, per_worker, token)
                with _DaskExecutor(client) as executor:
                    yield executor, max(1, tasks.total())
            except KilledWorker as exc:  # every worker that ran the job died (out of memory?)
                raise ClusterError(f"{exc} {RESUME}") from exc
            except CancelledError as exc:  # the scheduler is gone, or our connection to it
                raise ClusterError(
                    f"the Dask scheduler {dask_address} dropped the batch jobs (did it stop, or "
                    f"did the connection to it break?). {RESUME}"
                ) from exc
            finally:
                _OPEN.discard(token)
        return
    threads = None if _threads_set() else max(1, cpus // workers)
    with ProcessPoolExecutor(workers, initializer=_use_threads, initargs=(threads,)) as pool:
        try:
            yield pool, workers
        except BaseException:
            pool.shutdown(cancel_futures=True)  # the jobs not started yet
            raise


class _DaskExecutor(Executor):
    """Dask's ``ClientExecutor``, checking each proving key on every worker before its
    first job, and cancelling the cluster's jobs when the run fails."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._inner: Executor = client.get_executor()
        self._checked: set[str] = set()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        for arg in args:
            # zkpor/1's BatchJob, zkpor/2's pipeline2.ProveJob: any job naming a key
            key_path = getattr(arg, "key_path", None)
            if isinstance(key_path, str) and key_path not in self._checked:
                check_workers(self._client, key_path)
                self._checked.add(key_path)
        return self._inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # Dask's executor cancels every job when it does not wait: no job outlives a run
        self._inner.shutdown(wait=wait and not cancel_futures)

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)


def check_workers(client: Any, key_path: str) -> None:
    """Raise ``ClusterError`` unless every Dask worker reads the proving key at
    ``key_path``, with the content this process sees there, and runs this zkpor."""
    info = client.scheduler_info()["workers"]
    try:
        answers = client.run(_worker_check, key_path, on_error="return")
    except Exception as exc:
        raise ClusterError(
            f"cannot run zkpor's check on the Dask workers ({type(exc).__name__}: {exc}): "
            f"every worker needs the same zkpor installed; see {CLUSTER_DOCS}"
        ) from exc
    here = _worker_check(key_path)
    unreadable: dict[str, str] = {}
    different: dict[str, str] = {}
    versions: dict[str, str] = {}
    for address, answer in sorted(answers.items()):
        name = worker_label(address, info.get(address, {}).get("name"))
        if isinstance(answer, BaseException):
            versions[name] = f"zkpor's check failed ({type(answer).__name__}: {answer})"
            continue
        digest, reason, version = answer
        if version != __version__:
            versions[name] = f"it runs zkpor {version}"
        elif reason is not None:
            unreadable[name] = reason
        elif here[0] is not None and digest != here[0]:
            different[name] = f"sha256 {digest}, not {here[0]} as for zkpor prove"
    if versions:
        raise ClusterError(
            f"{each_worker(versions, 'cannot take part')}; every Dask worker must run the zkpor of "
            f"zkpor prove ({__version__}): install the same version on every worker; see "
            f"{CLUSTER_DOCS}"
        )
    if unreadable:
        raise unreadable_key(key_path, unreadable)
    if different:
        what = f"holds a different proving key at {key_path}"
        raise ClusterError(
            f"{each_worker(different, what)}; copy the same file to every worker (check its "
            f"sha256) or use shared storage; see {CLUSTER_DOCS}"
        )


def _worker_check(key_path: str) -> tuple[str | None, str | None, str]:
    """Run on each worker: (sha256 of the proving key or None, why it cannot be read or
    None, the zkpor version)."""
    digest = hashlib.sha256()
    try:
        with open(key_path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        return None, exc.strerror or str(exc), __version__
    return digest.hexdigest(), None, __version__


def _threads_set() -> bool:
    return bool(os.environ.get(backend.THREADS_ENV, "").strip())


def _use_threads(threads: int | None) -> None:
    """Pool initializer: each native prove of this worker process uses ``threads``, and the
    worker exits when its coordinator is gone."""
    if threads is not None:
        os.environ[backend.THREADS_ENV] = str(threads)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Exit this pool worker once its parent has died (a coordinator killed with SIGKILL).

    The worker inherited the write end of the pool's call queue, so it would wait for its
    next job forever, holding the proving key; an orphan is reparented, so its parent id
    changes.
    """
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


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

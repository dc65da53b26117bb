"""Errors about the workers that prove batches, shared by the executors (which check the
workers before a run) and the jobs (which run on them): no import cycle between the two."""

from __future__ import annotations

import os
import socket

from publisher.errors import PipelineError

#: Where the operator reads how to set up the workers.
CLUSTER_DOCS = 'docs/operations.md, "Proving on a multi-machine Dask cluster"'


class ClusterError(PipelineError):
    """A worker cannot do its part (no worker, an unreadable or different proving key,
    another zkpor): the message names the workers, the key path and what to do."""


def unreadable_key(key_path: str, reasons: dict[str, str]) -> ClusterError:
    """The error of workers (by label) that cannot read the proving key, with their reasons."""
    what = f"cannot read the proving key {key_path}"
    return ClusterError(
        f"{each_worker(reasons, what)}; every worker must see the proving key at that same "
        "path: shared storage mounted at the same path, or a copy there with the same sha256; "
        f"see {CLUSTER_DOCS}"
    )


def this_worker() -> str:
    """A label of the worker this runs in: the Dask worker's address and name, or this
    process on this host."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not in a Dask worker
        return f"worker process {os.getpid()} on {socket.gethostname()}"
    return worker_label(worker.address, worker.name)


def worker_label(address: str, name: object) -> str:
    """``Dask worker ADDRESS (NAME)``, the name left out when it is the address."""
    named = name is not None and str(name) != address
    return f"Dask worker {address}" + (f" ({name})" if named else "")


def each_worker(workers: dict[str, str], what: str) -> str:
    """``<worker> <what>: <reason>``, or for several, ``<workers> <what> (<each>: <reason>)``."""
    if len(workers) == 1:
        [(name, reason)] = workers.items()
        return f"{name} {what}: {reason}"
    short = {name.removeprefix("Dask worker "): reason for name, reason in workers.items()}
    details = "; ".join(f"{name}: {reason}" for name, reason in short.items())
    return f"Dask workers {', '.join(short)} {what} ({details})"

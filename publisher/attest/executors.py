"""Where batch proofs run: a local process pool, or a Dask cluster.

Both are ``concurrent.futures.Executor``s, so the pipeline does not know which it has.
With Dask, every worker must see the proving key path (same machine or shared storage).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def open_executor(workers: int, dask_address: str | None = None) -> Iterator[tuple[Executor, int]]:
    """Yield (executor, number of parallel workers behind it)."""
    if dask_address:
        from distributed import Client  # optional dependency: pip install 'zkpor[dask]'

        with Client(dask_address) as client:  # type: ignore[no-untyped-call]
            info = client.scheduler_info()["workers"]
            threads = sum(int(w.get("nthreads", 1)) for w in info.values())
            with client.get_executor() as executor:
                yield executor, max(1, threads)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool, workers

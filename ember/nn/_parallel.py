"""Run the elementwise work on a large array on all CPU cores.

NumPy's matrix products use every core (through BLAS), but its elementwise loops run on one.
They release the GIL, though, so an update over a large array can hand disjoint slices of it
to a small pool of threads (the optimizers do, for parameters of a million elements or more).
Each slice is computed exactly as the whole would be (no reductions are split), so results do
not depend on the number of threads.

It serves the NumPy code (the compiled loops split their work on the extension's own pool,
ember.kernels). Layers do not use it: unless OpenBLAS runs on that pool, its idle threads keep
spinning on the other cores for a while after a matrix product, and an elementwise op split
across threads then runs no faster (measured: a ReLU after a GEMM, 1.5 ms on one thread, 1.7 ms
on two).

EMBER_NUM_THREADS sets the number of threads (default: the CPU count, at most 8); 1 turns the
pool off.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .. import kernels

NUM_THREADS = kernels.NUM_THREADS
MIN_WORK = 1 << 16   # elements of work below which an op runs on the calling thread only

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(NUM_THREADS - 1, thread_name_prefix="ember")
    return _pool


def parallel_for(fn, n: int, work: int) -> None:
    """Call fn(lo, hi) on consecutive ranges covering [0, n), concurrently when `work`
    (elements touched) is large enough to pay for the hand-off."""
    parts = min(NUM_THREADS, n, max(1, work // MIN_WORK))
    if parts <= 1:
        fn(0, n)
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    pool = _executor()
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        fn(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()

"""Compiled CPU loops, for the few places where NumPy's one pass per ufunc costs the most.

NumPy runs an update such as Adam's as a dozen separate ufunc calls, each a full pass over the
parameter through memory; a max-pool's backward as one masked pass per kernel offset; im2col as
a padded copy and then a strided one. Here such loops (adam, sgd_momentum, max_pool2d and its
backward, im2col, col2im, relu_backward) are written once in C (`_native.c`, its loops in
`_native_impl.h`), for float32 and float64, and built into the extension `ember.kernels._native`
when ember is installed with a C compiler at hand. Each loop computes exactly what the NumPy
code beside its caller computes, in the same order of operations and the same dtype, so the two
give the same numbers (the tests compare them); the loops release the GIL, so ember's threads
can share the work.

Callers ask `takes(xp, *arrays)` and take their NumPy path when it is False: the loops are off
(not built, `EMBER_NATIVE=0`, or inside `disabled()`, which the tests use to run the NumPy
paths), the arrays are not NumPy's (CuPy), or not all float32 or all float64 (or, where the loop
needs it, not all C-contiguous).
"""

from __future__ import annotations

import contextlib
import os
import threading

from .. import backend

__all__ = ["enabled", "disabled", "takes", "native"]

try:
    from . import _native as native
except ImportError:          # built without a C compiler: the NumPy code runs instead
    native = None

_lock = threading.Lock()
_off = 0 if os.environ.get("EMBER_NATIVE", "1").strip() != "0" else 1


def enabled() -> bool:
    """Whether the compiled loops run (built, EMBER_NATIVE not 0, not inside disabled())."""
    return native is not None and not _off


_DTYPES = frozenset(backend.cpu.xp.dtype(t) for t in ("float32", "float64"))


def takes(xp, *arrays, contiguous: bool = False) -> bool:
    """Whether the loops run on these arrays: the loops are on, xp is NumPy, the arrays share
    one dtype, float32 or float64, and (with `contiguous`) are all C-contiguous."""
    if native is None or _off or xp is not backend.cpu.xp:
        return False
    dtype = arrays[0].dtype
    return dtype in _DTYPES and all(
        a.dtype == dtype and (not contiguous or a.flags.c_contiguous) for a in arrays)


@contextlib.contextmanager
def disabled():
    """Run the NumPy code instead of the compiled loops inside the block (process-wide)."""
    global _off
    with _lock:
        _off += 1
    try:
        yield
    finally:
        with _lock:
            _off -= 1

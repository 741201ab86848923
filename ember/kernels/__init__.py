"""Compiled CPU loops, for the few places where NumPy's one pass per ufunc costs the most.

NumPy runs an update such as Adam's as a dozen separate ufunc calls, each a full pass over the
parameter through memory; a max-pool's backward as one masked pass per kernel offset; im2col as
a padded copy and then a strided one. Here such loops (adam, sgd_momentum, max_pool2d and its
backward, im2col, col2im, relu and relu_backward, a Linear layer's bias and its gradient:
add_rows, sum_rows) are written once in C (`_native.c`, its loops in
`_native_impl.h`), for float32 and float64, and built into the extension `ember.kernels._native`
when ember is installed with a C compiler at hand. Each loop computes exactly what the NumPy
code beside its caller computes, in the same order of operations and the same dtype, so the two
give the same numbers (the tests compare them); the loops release the GIL, so ember's threads
can share the work. Two matrix products of shapes OpenBLAS handles poorly (a CNN's first layer:
gemm_small_k, a tiny inner dimension against many columns; gemm_long_k, a tiny result over a
long inner dimension) are compiled too; those sum in an order of their own (tested against
float64 products), the same on any number of threads.

Callers ask `takes(xp, *arrays)` and take their NumPy path when it is False: the loops are off
(not built, `EMBER_NATIVE=0`, or inside `disabled()`, which the tests use to run the NumPy
paths), the arrays are not NumPy's (CuPy), or not all float32 or all float64 (or, where the loop
needs it, not all C-contiguous).

Threads: the loops split their work across a pool of threads of the extension's own (`_pool.h`:
`EMBER_NUM_THREADS`, default the CPU count up to 8), and NumPy's OpenBLAS runs its threaded
matrix products on the same pool, through OpenBLAS's caller-managed threading (0.3.27 and
later), so that OpenBLAS's own worker threads no longer spin on the cores after each product
while ember's loops want them. `blas_on_pool()` says whether that hook is in place; a NumPy whose
BLAS is not OpenBLAS, or an older one, keeps its own threads. A loop's parts never overlap and
never reduce, so results do not depend on the number of threads.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings

from .. import backend

__all__ = ["enabled", "disabled", "takes", "native", "blas_on_pool", "NUM_THREADS"]

try:
    from . import _native as native
except ImportError:          # built without a C compiler: the NumPy code runs instead
    native = None

_lock = threading.Lock()
_off = 0 if os.environ.get("EMBER_NATIVE", "1").strip() != "0" else 1


def _num_threads() -> int:
    """EMBER_NUM_THREADS, or the default (also for 0 or an empty value); a value that is not a
    count is named in a warning and the default used."""
    default = min(os.cpu_count() or 1, 8)
    value = os.environ.get("EMBER_NUM_THREADS", "").strip()
    try:
        n = int(value) if value else 0
    except ValueError:
        n = -1
    if n < 0:
        warnings.warn(f"EMBER_NUM_THREADS={value!r} is not a number of threads; using "
                      f"{default}", stacklevel=3)
    return n if n > 0 else default


NUM_THREADS = min(_num_threads(), 256)    # the extension's pool holds at most 256


# the setter, where an OpenBLAS exports it but not the variable (NumPy 2.5's OpenBLAS 0.3.34;
# SciPy's builds prefix and suffix their symbols)
_SETTERS = ("openblas_set_threads_callback_function",
            "scipy_openblas_set_threads_callback_function64_",
            "scipy_openblas_set_threads_callback_function")


def _openblas_hooks() -> tuple:
    """(hooks, found): for each OpenBLAS library this process has loaded (NumPy's, and any
    other; found through /proc/self/maps, Linux), ("slot", address of its
    `openblas_threads_callback_`) or ("setter", address of its setter function); found: whether
    any OpenBLAS is loaded at all."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {fields[5] for fields in (line.split(None, 5) for line in maps)
                     if len(fields) == 6 and "openblas" in fields[5].lower()}
    except OSError:
        return [], False
    import ctypes

    hooks, found = [], False
    for path in sorted(p.strip() for p in paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:                  # not a library
            continue
        found = True
        try:
            slot = ctypes.c_void_p.in_dll(lib, "openblas_threads_callback_")
            hooks.append(("slot", ctypes.addressof(slot)))
            continue
        except ValueError:
            pass
        for name in _SETTERS:
            try:
                hooks.append(("setter", ctypes.cast(getattr(lib, name), ctypes.c_void_p).value))
                break
            except AttributeError:       # an OpenBLAS older than 0.3.27 has neither
                continue
    return hooks, found


def _hook_blas(on: bool) -> None:
    """Point the hooked OpenBLAS libraries at the pool (on) or back at their own threads."""
    for kind, address in _blas_hooks:
        if kind == "slot":
            native.blas_hook(address, on)
        else:
            native.blas_hook_setter(address, on)


def _install(hooks: list, found: bool) -> list:
    """Point each hook at the pool; the hooks in place. Where an OpenBLAS is loaded but none
    could be hooked, the loops stay on one thread (unless EMBER_NUM_THREADS says otherwise): an
    OpenBLAS with its own threads spins them on the other cores after every product, and a loop
    split across cores then runs slower than on one (measured: 2094 against 75 us)."""
    done = []
    for kind, address in hooks:
        try:
            if kind == "setter":
                native.blas_hook_setter(address, True)
            elif (held := native.blas_hook(address, True)) != 0:
                native.blas_hook(address, False, held)    # someone else's threads: leave them
                continue
        except RuntimeError:             # built without threads (no pool): OpenBLAS keeps its own
            break
        done.append((kind, address))
    if found and not done and not os.environ.get("EMBER_NUM_THREADS", "").strip():
        native.set_num_threads(1)
    return done


_blas_hooks: list = []
if native is not None:
    native.set_num_threads(NUM_THREADS)
    if not _off and NUM_THREADS > 1:
        _blas_hooks = _install(*_openblas_hooks())


def blas_on_pool() -> bool:
    """Whether NumPy's OpenBLAS runs its threaded products on ember's thread pool."""
    return bool(_blas_hooks)


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

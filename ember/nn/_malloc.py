"""Keep NumPy's large temporaries out of mmap (glibc only).

glibc serves allocations above M_MMAP_THRESHOLD (128 KiB at first, rising dynamically to at most
32 MiB) with a fresh mmap and gives them back with munmap on free, and it trims the top of the
heap whenever more than M_TRIM_THRESHOLD is free there. A training step allocates and frees the
same multi-megabyte activations and gradients every time, so each step pays the page faults of
touching brand-new memory again (the dominant cost of a NumPy MLP step at batch 128). Setting
both thresholds once makes glibc keep that memory in the heap and reuse it: the next step's
arrays land on pages that are already mapped.

Done once when ember.nn is imported; EMBER_MALLOC_TUNING=0 turns it off. Other C libraries
(musl, macOS, Windows) are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 30      # arrays up to 1 GiB come from the heap
TRIM_THRESHOLD = 1 << 30      # keep up to 1 GiB of freed heap for reuse instead of trimming

applied = False


def tune() -> bool:
    """Set glibc's mmap and trim thresholds; True if they were set."""
    global applied
    if applied:
        return True
    if os.environ.get("EMBER_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    applied = ok
    return ok

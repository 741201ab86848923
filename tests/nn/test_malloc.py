"""ember.nn keeps large temporaries in the heap (glibc's mallopt) instead of mapping and
unmapping them every training step."""

import resource
import sys

import numpy as np
import pytest

import ember.nn  # noqa: F401  (importing it applies the tuning)
from ember.nn import _malloc


def test_tune_is_idempotent_and_reports_whether_it_applied():
    first = _malloc.tune()
    assert _malloc.tune() is first
    if sys.platform.startswith("linux"):
        assert isinstance(first, bool)


@pytest.mark.skipif(not _malloc.applied, reason="needs glibc (mallopt)")
def test_reallocating_a_large_array_does_not_fault_its_pages_again():
    n = 40 * (1 << 20) // 4          # 40 MiB: above glibc's largest automatic mmap threshold
    a = np.ones(n, np.float32)
    del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        a = np.ones(n, np.float32)
        del a
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 500               # untuned: about 10,000 (one per 4 KiB page, each time)

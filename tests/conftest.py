"""Test configuration: EMBER_TEST_DEVICE=cuda reruns the suite on a GPU (CUDA-only tests skip
cleanly where there is none)."""

import os

import numpy as np
import pytest

import ember

DEVICE = os.environ.get("EMBER_TEST_DEVICE", "cpu")


def cuda_available() -> bool:
    return ember.device("cuda").available


requires_cuda = pytest.mark.skipif(not cuda_available(), reason="needs CUDA (a GPU and CuPy)")


@pytest.fixture
def device():
    return ember.device(DEVICE)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _fresh_state():
    ember.manual_seed(0)
    ember.set_default_dtype(ember.float32)
    yield
    ember.set_default_dtype(ember.float32)


def to_numpy(t):
    """A tensor's values as a NumPy array (detached, on the host)."""
    return np.asarray(t.detach().cpu().numpy())

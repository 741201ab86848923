"""Test configuration: EMBER_TEST_DEVICE=cuda reruns the suite on a GPU (CUDA-only tests skip
cleanly where there is none)."""

import os

import numpy as np
import pytest

import ember

# A NumPy-backed second device, for tests only: EMBER_TEST_DEVICE=fake runs the whole suite with
# it as the default device, which checks device placement without a GPU.
FAKE = ember.backend.register_device("fake", 0, np)
DEVICE = os.environ.get("EMBER_TEST_DEVICE", "cpu")
if DEVICE == "fake":
    DEVICE = "fake:0"
# set before the test modules are collected, so their module-level tensors live there too
ember.set_default_device(None if DEVICE == "cpu" else DEVICE)


def cuda_available() -> bool:
    return ember.device("cuda").available


requires_cuda = pytest.mark.skipif(not cuda_available(), reason="needs CUDA (a GPU and CuPy)")


@pytest.fixture
def on_cpu():
    """For tests of CPU-only behaviour (NumPy memory sharing, printing without a device)."""
    ember.set_default_device(None)
    yield


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
    ember.set_default_device(None if DEVICE == "cpu" else DEVICE)
    yield
    ember.set_default_dtype(ember.float32)
    ember.set_default_device(None if DEVICE == "cpu" else DEVICE)


def to_numpy(t):
    """A tensor's values as a NumPy array (detached, on the host)."""
    return np.asarray(t.detach().cpu().numpy())

"""Test configuration: EMBER_TEST_DEVICE=cuda reruns the suite on a GPU (CUDA-only tests skip
cleanly where there is none).

EMBER_TEST_DEVICE: cpu (the default), fake (a NumPy-backed second device, see below), cuda or
cuda:N. With cuda where CUDA is unavailable, every test is skipped with the reason (CuPy not
installed / no GPU / the driver's error) rather than failing at collection. Tests marked
`@pytest.mark.cuda` (or decorated with `requires_cuda`) run only where CUDA is available.
"""

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
if DEVICE.split(":")[0] not in ("cpu", "fake", "cuda"):
    raise pytest.UsageError(f"EMBER_TEST_DEVICE={DEVICE!r}: expected cpu, fake or cuda[:N]")


def cuda_available() -> bool:
    return ember.cuda.is_available()


def _cuda_reason() -> str:
    try:
        ember.device(DEVICE if DEVICE.startswith("cuda") else "cuda").check_available()
    except RuntimeError as exc:
        return str(exc)
    return ""


# EMBER_TEST_DEVICE=cuda without a usable GPU: run nothing, and say why (see pytest_collection_
# modifyitems); the tests are collected on the CPU so that collection itself cannot fail.
CUDA_SKIP_REASON = _cuda_reason() if DEVICE.startswith("cuda") else ""
if CUDA_SKIP_REASON:
    DEVICE = "cpu"
# set before the test modules are collected, so their module-level tensors live there too
ember.set_default_device(None if DEVICE == "cpu" else DEVICE)

requires_cuda = pytest.mark.skipif(not cuda_available(), reason="needs CUDA (a GPU and CuPy)")
requires_no_cuda = pytest.mark.skipif(cuda_available(),
                                      reason="checks the behaviour where CUDA is unavailable")


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA device (skipped where there is none)")


def pytest_collection_modifyitems(config, items):
    if CUDA_SKIP_REASON:
        skip_all = pytest.mark.skip(reason=f"EMBER_TEST_DEVICE=cuda: {CUDA_SKIP_REASON}")
        for item in items:
            item.add_marker(skip_all)
        return
    if not cuda_available():
        skip = pytest.mark.skip(reason=f"needs CUDA: {_cuda_reason()}")
        for item in items:
            if item.get_closest_marker("cuda") is not None:
                item.add_marker(skip)


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


@pytest.fixture
def threads():
    """set_num_threads of the compiled loops' pool for one test, restored afterwards."""
    from ember import kernels
    before = kernels.native.num_threads()
    yield kernels.native.set_num_threads
    kernels.native.set_num_threads(before)

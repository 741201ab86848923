"""ember.kernels' thread pool: the compiled loops split across threads, and NumPy's OpenBLAS
running its threaded products on the same threads.

A loop's parts never overlap and never reduce, so every result must have the same bits on any
number of threads; OpenBLAS partitions a product the same way whichever threads run the parts,
so its products must have the same bits with and without the hook. The pool must also survive
several Python threads using it at once, and a fork.
"""

import multiprocessing
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import kernels, nn, optim
from ember.nn.functional.conv import _relu_max_pool2d

from .conftest import to_numpy

native = pytest.mark.skipif(not kernels.enabled(),
                            reason="the compiled loops are off (not built, or EMBER_NATIVE=0)")


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def _workload(dtype):
    """Every compiled loop on arrays large enough to be split: conv2d (im2col; col2im in the
    backward), max pooling with the fused ReLU and its gradient, relu's gradient, Adam and SGD
    with momentum."""
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((32, 8, 24, 24)).astype(dtype), requires_grad=True)
    w = ember.tensor(rng.standard_normal((12, 8, 3, 3)).astype(dtype), requires_grad=True)
    y = F.conv2d(x, w, padding=1)                        # columns: 72 x 18432
    z = _relu_max_pool2d(y, 3, stride=2, padding=1)      # overlapping windows: added gradients
    r = F.relu(z * 1.5 - 0.1)
    (r * r).sum().backward()
    out = [to_numpy(y), to_numpy(z), to_numpy(x.grad), to_numpy(w.grad)]
    for name, kwargs in [("Adam", {"lr": 0.01, "amsgrad": True}),
                         ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True})]:
        p = nn.Parameter(ember.tensor(rng.standard_normal(300_001).astype(dtype)))
        opt = getattr(optim, name)([p], **kwargs)
        for _ in range(3):
            p.grad = ember.tensor(rng.standard_normal(300_001).astype(dtype))
            opt.step()
        out.append(to_numpy(p))
    return out


@native
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loops_give_the_same_bits_on_any_number_of_threads(threads, dtype):
    threads(1)
    one = _workload(dtype)
    for n in (2, 3, 5):
        threads(n)
        many = _workload(dtype)
        for a, b in zip(one, many):
            np.testing.assert_array_equal(_bits(a), _bits(b))


@native
@pytest.mark.skipif(sys.platform == "win32", reason="built without the pool on Windows")
def test_a_large_loop_runs_its_parts_side_by_side(threads):
    g, y = np.ones(1 << 20, np.float32), np.ones(1 << 20, np.float32)
    out = np.empty_like(g)
    threads(1)
    before = kernels.native.pool_regions()
    kernels.native.relu_backward(g, y, out)
    assert kernels.native.pool_regions() == before       # one thread: no region
    threads(2)
    kernels.native.relu_backward(g, y, out)
    assert kernels.native.pool_regions() == before + 1
    kernels.native.relu_backward(g[:1000], y[:1000], out[:1000])
    assert kernels.native.pool_regions() == before + 1   # too small to share


@native
def test_a_worker_that_fell_asleep_wakes_for_the_next_region(threads):
    threads(2)
    rng = np.random.default_rng(5)
    g, y = rng.standard_normal(1 << 20), rng.standard_normal(1 << 20)
    for pause in (0.0, 0.02, 0.05):        # idle workers sleep after 2 ms
        time.sleep(pause)
        out = np.empty_like(g)
        kernels.native.relu_backward(g, y, out)
        np.testing.assert_array_equal(out, g * (y > 0))


@native
def test_set_num_threads_rejects_counts_out_of_range():
    for n in (0, -1, 257):
        with pytest.raises(ValueError, match="set_num_threads"):
            kernels.native.set_num_threads(n)


def _blas_required():
    return os.environ.get("EMBER_REQUIRE_NATIVE") == "1" and sys.platform.startswith("linux")


def test_openblas_runs_on_the_pool_where_ci_requires_it():
    if not _blas_required():
        pytest.skip("EMBER_REQUIRE_NATIVE is not set (CI sets it, on Linux)")
    assert kernels.blas_on_pool(), "NumPy's OpenBLAS does not run on ember's threads"


_STUB_IMPORT = """
import sys, types
sys.path.insert(0, {root!r})
native = types.ModuleType("ember.kernels._native")
native.set_num_threads = lambda n: None
def blas_hook(*args):
    raise RuntimeError("blas_hook: built without threads")
native.blas_hook = native.blas_hook_setter = blas_hook
sys.modules["ember.kernels._native"] = native
import ember.kernels
assert ember.kernels.native is native
print(ember.kernels.blas_on_pool())
"""


@pytest.mark.skipif(not kernels._openblas_hooks()[0],
                    reason="no OpenBLAS with caller-managed threading is loaded")
def test_an_extension_built_without_threads_leaves_openblas_alone():
    # a build without POSIX threads or C11 atomics has no pool: its blas_hook raises, and
    # importing ember where an OpenBLAS with the hook is loaded must not
    root = os.path.dirname(os.path.dirname(ember.__file__))
    env = dict(os.environ, EMBER_NATIVE="1", EMBER_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", _STUB_IMPORT.format(root=root)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]


@native
def test_an_openblas_that_cannot_be_hooked_keeps_the_loops_on_one_thread(threads, monkeypatch):
    # (an OpenBLAS older than 0.3.27: loaded, nothing to hook)
    monkeypatch.delenv("EMBER_NUM_THREADS", raising=False)
    threads(2)
    assert kernels._install([], True) == []
    assert kernels.native.num_threads() == 1
    threads(2)
    assert kernels._install([], False) == []     # no OpenBLAS at all: nothing spins
    assert kernels.native.num_threads() == 2
    monkeypatch.setenv("EMBER_NUM_THREADS", "2")
    kernels._install([], True)                    # asked for: kept
    assert kernels.native.num_threads() == 2


@pytest.mark.skipif(not kernels.blas_on_pool(), reason="NumPy's OpenBLAS does not run on ember's "
                    "pool (EMBER_NATIVE=0, or not an OpenBLAS with caller-managed threading)")
def test_installing_the_hooks_again_keeps_them(threads):
    # (importlib.reload(ember.kernels) does this): the pool found in place is ember's own
    hooks, found = kernels._openblas_hooks()
    threads(2)
    assert kernels._install(hooks, found) == hooks
    assert kernels.native.num_threads() == 2


def _products():
    rng = np.random.default_rng(1)
    out = []
    for dtype in (np.float32, np.float64):
        for m, k, n in [(128, 784, 512), (64, 289, 3000), (300, 2000, 40), (513, 257, 129)]:
            a = rng.standard_normal((m, k)).astype(dtype)
            b = rng.standard_normal((k, n)).astype(dtype)
            out += [a @ b, a.T.copy().T @ b, (b.T @ a.T).T]
    return out


@pytest.mark.skipif(not kernels.blas_on_pool(),
                    reason="NumPy's OpenBLAS does not run on ember's pool (EMBER_NATIVE=0, or not "
                           "an OpenBLAS with caller-managed threading)")
def test_openblas_products_have_the_same_bits_on_the_pool():
    before = kernels.native.pool_regions()
    pooled = _products()
    assert kernels.native.pool_regions() > before          # OpenBLAS handed its parts over
    kernels._hook_blas(False)
    try:
        before = kernels.native.pool_regions()
        own = _products()
        assert kernels.native.pool_regions() == before     # OpenBLAS's own threads
    finally:
        kernels._hook_blas(True)
    for a, b in zip(pooled, own):
        np.testing.assert_array_equal(_bits(a), _bits(b))


def _thread_work(seed, results, errors):
    try:
        rng = np.random.default_rng(seed)
        a = rng.standard_normal((256, 300)).astype(np.float32)
        g = rng.standard_normal(200_000).astype(np.float32)
        y = rng.standard_normal(200_000).astype(np.float32)
        p = nn.Parameter(ember.tensor(rng.standard_normal(200_000).astype(np.float32)))
        opt = optim.Adam([p], lr=0.01)
        out = []
        for _ in range(15):
            out.append(a @ a.T)
            t = ember.tensor(y).requires_grad_()
            t.relu().backward(ember.tensor(g))
            out.append(to_numpy(t.grad))
            p.grad = ember.tensor(g)
            opt.step()
        out.append(to_numpy(p))
        results[seed] = out
    except BaseException as e:      # reported by the main thread
        errors.append(e)


def test_threads_share_the_pool_and_get_their_own_results():
    alone, errors = {}, []
    for seed in range(4):
        _thread_work(seed, alone, errors)
    together = {}
    workers = [threading.Thread(target=_thread_work, args=(seed, together, errors))
               for seed in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in workers), "a thread hung on the pool"
    assert not errors, errors
    for seed in range(4):
        for a, b in zip(alone[seed], together[seed]):
            np.testing.assert_array_equal(_bits(a), _bits(b))


def _child(queue):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((400, 400))
    p = nn.Parameter(ember.tensor(rng.standard_normal(500_000).astype(np.float32)))
    opt = optim.Adam([p], lr=0.1)
    p.grad = ember.tensor(np.ones(500_000, np.float32))
    opt.step()
    queue.put((float((a @ a).trace()), float(to_numpy(p).sum())))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_uses_the_pool_afresh():
    _workload(np.float32)                  # the parent's pool has started its threads
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_child, args=(queue,))
    child.start()
    child.join(timeout=120)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung")
    assert child.exitcode == 0
    got = queue.get(timeout=10)
    rng = np.random.default_rng(2)
    a = rng.standard_normal((400, 400))
    p0 = rng.standard_normal(500_000).astype(np.float32)
    assert got[0] == pytest.approx(float((a @ a).trace()), rel=1e-12)
    assert got[1] == pytest.approx(float((p0 - np.float32(0.1)).sum()), rel=1e-5)

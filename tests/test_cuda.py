"""The CUDA backend and ember.cuda.

Three kinds of tests: (1) how CUDA reports itself unavailable (a stand-in `cupy` module makes the
"driver error" and "no device" paths reachable without a GPU); (2) device placement with the
NumPy-backed fake device of conftest.py (optimizer state on the parameter's device, save from any
device, load with map_location); (3) CUDA-only tests, marked `cuda`, which skip cleanly where
there is no GPU or no CuPy.
"""

import io
import sys
import types

import numpy as np
import pytest

import ember
from ember import backend, nn, optim

from .conftest import FAKE, cuda_available, to_numpy

# ---------------------------------------------------------------------- unavailable CUDA paths


@pytest.fixture
def fresh_cuda(monkeypatch):
    """Forget what loading CuPy found (and the cuda devices made from it); restored after."""
    saved = {k: v for k, v in backend._DEVICES.items() if k[0] == "cuda"}
    state = (backend._cuda.loaded, backend._cuda.cupy, backend._cuda.count, backend._cuda.why)
    for k in saved:
        del backend._DEVICES[k]
    backend._cuda.loaded = False
    yield monkeypatch
    for k in [k for k in backend._DEVICES if k[0] == "cuda"]:
        del backend._DEVICES[k]
    backend._DEVICES.update(saved)
    (backend._cuda.loaded, backend._cuda.cupy, backend._cuda.count, backend._cuda.why) = state


def _fake_cupy(get_count):
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count))
    return cupy


def test_driver_error_is_named(fresh_cuda):
    def broken():
        raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")
    fresh_cuda.setitem(sys.modules, "cupy", _fake_cupy(broken))
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is unavailable: CuPy is installed but the "
                       "CUDA driver reported an error: .*insufficient"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="driver version is insufficient"):
        ember.cuda.get_device_name()


def test_no_device_is_named(fresh_cuda):
    fresh_cuda.setitem(sys.modules, "cupy", _fake_cupy(lambda: 0))
    assert not ember.cuda.is_available()
    with pytest.raises(RuntimeError, match="no CUDA device was found"):
        ember.ones(3).to("cuda")
    with pytest.raises(RuntimeError, match="no CUDA device was found"):
        nn.Linear(2, 2).cuda()


def test_cupy_missing_is_named(fresh_cuda):
    fresh_cuda.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(RuntimeError, match="CuPy is not installed.*ember\\[cuda\\]"):
        ember.ones(1).cuda()
    with pytest.raises(RuntimeError, match="CUDA is unavailable"):
        ember.load(io.BytesIO(b""), map_location="cuda")


def test_disable_switch(fresh_cuda):
    fresh_cuda.setenv("EMBER_DISABLE_CUDA", "1")
    assert ember.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="disabled by EMBER_DISABLE_CUDA"):
        ember.randn(2, device="cuda")


def test_cuda_device_strings_without_a_gpu():
    assert str(ember.device("cuda:3")) == "cuda:3"
    with pytest.raises(ValueError, match="negative"):
        ember.device("cuda", -1)
    with pytest.raises(ValueError, match="index given twice"):
        ember.device("cuda:0", 1)


def test_without_cuda_the_seeding_and_cache_calls_are_harmless():
    if cuda_available():
        pytest.skip("checks the behaviour where CUDA is unavailable")
    ember.cuda.manual_seed(1)
    ember.cuda.manual_seed_all(1)
    ember.cuda.empty_cache()
    with pytest.raises(TypeError, match="seed must be an int"):
        ember.cuda.manual_seed_all("1")
    for call in (ember.cuda.max_memory_allocated, ember.cuda.memory_reserved,
                 ember.cuda.get_device_capability, lambda: ember.cuda.set_device(0)):
        with pytest.raises(RuntimeError, match="CUDA is unavailable"):
            call()


def test_to_numpy_helper():
    a = np.arange(3.0)
    assert backend.to_numpy(a) is a
    assert backend.to_numpy([1, 2]).tolist() == [1, 2]


# ------------------------------------------------------------------ the fake second device


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    lambda ps: optim.AdamW(ps, lr=0.01),
    lambda ps: optim.Adagrad(ps, lr=0.1),
])
def test_optimizer_state_lives_on_the_parameters_device(make):
    model = nn.Linear(3, 2).to(FAKE)
    opt = make(model.parameters())
    x = ember.randn(4, 3, device=FAKE)
    for _ in range(2):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    tensors = [v for s in opt.state.values() for v in s.values() if isinstance(v, ember.Tensor)]
    assert tensors, "the optimizer kept no tensor state"
    for v in tensors:
        if v.numel() > 1:  # step counters may be scalars kept anywhere; buffers must follow
            assert v.device == FAKE, f"state tensor on {v.device}, parameters on {FAKE}"
    # the state loaded into an optimizer of CPU parameters moves to the CPU
    state = opt.state_dict()
    cpu_model = nn.Linear(3, 2, device="cpu")
    cpu_opt = make(cpu_model.parameters())
    cpu_opt.load_state_dict(state)
    for s in cpu_opt.state.values():
        for v in s.values():
            if isinstance(v, ember.Tensor) and v.numel() > 1:
                assert v.device == "cpu"


def test_optimizer_step_on_the_fake_device_matches_the_cpu():
    ember.manual_seed(3)
    cpu_model = nn.Linear(3, 2, device="cpu")
    fake_model = nn.Linear(3, 2).to(FAKE)
    fake_model.load_state_dict(cpu_model.state_dict())
    x = ember.randn(5, 3, device="cpu")
    results = []
    for model, xx in ((cpu_model, x), (fake_model, x.to(FAKE))):
        opt = optim.Adam(model.parameters(), lr=0.05)
        for _ in range(3):
            opt.zero_grad()
            model(xx).pow(2).mean().backward()
            opt.step()
        results.append(to_numpy(model.weight))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-7)


def test_save_from_the_fake_device_and_load_with_map_location(tmp_path):
    model = nn.Linear(2, 3).to(FAKE)
    x = ember.arange(4.0, device=FAKE)
    path = tmp_path / "ckpt.safetensors"
    ember.save({"model": model.state_dict(), "x": x, "n": 4}, path)
    default = ember.load(path)
    assert default["x"].device == "cpu" and default["n"] == 4
    assert default["model"]["weight"].device == "cpu"
    np.testing.assert_array_equal(to_numpy(default["model"]["weight"]), to_numpy(model.weight))
    placed = ember.load(path, map_location="fake:0")
    assert placed["x"].device == FAKE and placed["model"]["bias"].device == FAKE
    assert placed["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    placed = ember.load(path, map_location=FAKE)
    assert placed["model"]["weight"].device == FAKE
    # a module on the CPU takes the state saved from another device
    cpu_model = nn.Linear(2, 3, device="cpu")
    cpu_model.load_state_dict(default["model"])
    assert cpu_model.weight.device == "cpu"
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        ember.load(path, map_location="tpu")


def test_a_mix_of_devices_names_both():
    a = ember.ones(2, device="cpu")
    b = ember.ones(2, device=FAKE)
    with pytest.raises(RuntimeError, match="cpu and fake:0|fake:0 and cpu"):
        a + b


# ---------------------------------------------------------------------------- CUDA only


cuda = pytest.mark.cuda


@cuda
def test_cuda_queries():
    assert ember.cuda.is_available()
    n = ember.cuda.device_count()
    assert n >= 1
    assert 0 <= ember.cuda.current_device() < n
    name = ember.cuda.get_device_name()
    assert isinstance(name, str) and name
    major, minor = ember.cuda.get_device_capability(0)
    assert major >= 3
    ember.cuda.set_device(0)
    assert ember.cuda.current_device() == 0
    with pytest.raises(RuntimeError, match="invalid device index"):
        ember.cuda.set_device(n)
    ember.cuda.synchronize()
    ember.cuda.manual_seed_all(0)


@cuda
def test_cuda_memory_counters():
    ember.cuda.synchronize()
    before = ember.cuda.memory_allocated()
    x = ember.zeros(1024, 1024, device="cuda")  # 4 MiB
    used = ember.cuda.memory_allocated()
    assert used - before >= 4 * 1024 * 1024
    assert ember.cuda.max_memory_allocated() >= used
    assert ember.cuda.memory_reserved() >= used
    del x
    assert ember.cuda.memory_allocated() <= used - 4 * 1024 * 1024
    assert ember.cuda.max_memory_allocated() >= used  # the peak stays
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() < used
    ember.cuda.empty_cache()


@cuda
def test_moves_keep_values_and_gradients():
    x = ember.randn(3, 4, requires_grad=True, device="cpu")
    g = x.cuda()
    assert g.device.type == "cuda" and g.is_cuda and g.get_device() == 0
    assert g.device == "cuda:0" and g.device == ember.device("cuda")
    np.testing.assert_array_equal(to_numpy(g), to_numpy(x))
    (g * g).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(to_numpy(x.grad), 2 * to_numpy(x), rtol=1e-6)
    assert g.to("cuda") is g and g.cpu().device == "cpu"
    assert x.to("cuda", ember.float64).dtype == ember.float64
    with pytest.raises(TypeError, match="can't convert cuda"):
        g.numpy()
    assert g.tolist() == x.tolist() and g.sum().item() == pytest.approx(x.sum().item(), 1e-6)


@cuda
def test_factories_on_cuda():
    for t in (ember.zeros(2, 3, device="cuda"), ember.ones(2, device="cuda"),
              ember.arange(5, device="cuda"), ember.tensor([1.0, 2.0], device="cuda"),
              ember.randn(4, device="cuda"), ember.rand(4, device="cuda"),
              ember.randint(0, 5, (3,), device="cuda"), ember.full((2,), 7.0, device="cuda"),
              ember.eye(3, device="cuda"), ember.empty(2, device="cuda"),
              ember.linspace(0, 1, 5, device="cuda")):
        assert t.device.type == "cuda", t
    assert ember.zeros_like(ember.ones(2, device="cuda")).device.type == "cuda"
    assert ember.tensor(ember.ones(2, device="cuda")).device.type == "cuda"


@cuda
def test_mixing_cpu_and_cuda_names_both():
    with pytest.raises(RuntimeError, match="cpu and cuda:0|cuda:0 and cpu"):
        ember.ones(2, device="cpu") + ember.ones(2, device="cuda")


@cuda
def test_module_and_adam_on_cuda_match_the_cpu():
    ember.manual_seed(0)
    cpu_model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    gpu_model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).to("cuda")
    gpu_model.load_state_dict(cpu_model.state_dict())
    assert all(p.device.type == "cuda" for p in gpu_model.parameters())
    x = ember.randn(16, 6, device="cpu")
    y = ember.randint(0, 3, (16,), device="cpu")
    for model, xx, yy in ((cpu_model, x, y), (gpu_model, x.cuda(), y.cuda())):
        opt = optim.Adam(model.parameters(), lr=0.01)
        for _ in range(3):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xx), yy).backward()
            opt.step()
        for s in opt.state.values():
            for v in s.values():
                if isinstance(v, ember.Tensor) and v.numel() > 1:
                    assert v.device.type == model[0].weight.device.type
    for a, b in zip(cpu_model.parameters(), gpu_model.parameters()):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-4, atol=1e-5)


@cuda
def test_save_from_cuda_and_load_with_map_location():
    model = nn.Linear(3, 2).cuda()
    buf = io.BytesIO()
    ember.save(model.state_dict(), buf)
    buf.seek(0)
    on_cpu = ember.load(buf)
    assert on_cpu["weight"].device == "cpu"
    np.testing.assert_array_equal(to_numpy(on_cpu["weight"]), to_numpy(model.weight))
    buf.seek(0)
    on_gpu = ember.load(buf, map_location="cuda")
    assert on_gpu["weight"].device.type == "cuda"


@cuda
@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "lgamma", "digamma"])
def test_special_functions_on_cuda(name):
    x = ember.tensor([0.1, 0.5, 0.9, 0.3], dtype=ember.float64)
    if name not in ("erfinv",):
        x = x * 3.0
    want = getattr(ember, name)(x)
    got = getattr(ember, name)(x.cuda())
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-10, atol=1e-12)
    p = ember.polygamma(2, x.cuda())
    np.testing.assert_allclose(to_numpy(p), to_numpy(ember.polygamma(2, x)), rtol=1e-8)


@cuda
def test_scatter_indexing_and_conv_gradients_on_cuda():
    ember.manual_seed(1)
    w = ember.randn(5, 3, dtype=ember.float64)
    idx = ember.tensor([0, 2, 2, 4])
    outs = []
    for dev in ("cpu", "cuda"):
        ww = w.to(dev).requires_grad_(True)
        ww[idx.to(dev)].sum().backward()  # index backward: add.at / scatter_add
        outs.append(to_numpy(ww.grad))
    np.testing.assert_array_equal(outs[0], outs[1])
    x = ember.randn(2, 3, 8, 8, dtype=ember.float64)
    k = ember.randn(4, 3, 3, 3, dtype=ember.float64)
    grads = []
    for dev in ("cpu", "cuda"):
        xx, kk = x.to(dev).requires_grad_(True), k.to(dev).requires_grad_(True)
        y = nn.functional.max_pool2d(nn.functional.conv2d(xx, kk, padding=1), 2)
        y.sum().backward()
        grads.append((to_numpy(y), to_numpy(xx.grad), to_numpy(kk.grad)))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@cuda
def test_linalg_on_cuda():
    ember.manual_seed(2)
    a = ember.randn(4, 4, dtype=ember.float64)
    spd = a @ a.mT + 4 * ember.eye(4, dtype=ember.float64)
    b = ember.randn(4, 2, dtype=ember.float64)
    g = spd.cuda()
    checks = [
        (ember.linalg.solve(spd, b), ember.linalg.solve(g, b.cuda())),
        (ember.linalg.inv(spd), ember.linalg.inv(g)),
        (ember.linalg.det(spd), ember.linalg.det(g)),
        (ember.linalg.cholesky(spd), ember.linalg.cholesky(g)),
        (ember.linalg.eigvalsh(spd), ember.linalg.eigvalsh(g)),
        (ember.linalg.svdvals(a), ember.linalg.svdvals(a.cuda())),
    ]
    for want, got in checks:
        assert got.device.type == "cuda"
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-8, atol=1e-10)


@cuda
def test_dataloader_batches_move_to_cuda():
    data = ember.data.TensorDataset(ember.arange(20.0).reshape(10, 2), ember.arange(10))
    loader = ember.data.DataLoader(data, batch_size=4, pin_memory=True)
    seen = 0
    for xb, yb in loader:
        xg, yg = xb.to("cuda", non_blocking=True), yb.cuda(non_blocking=True)
        assert xg.device.type == "cuda" and yg.device.type == "cuda"
        seen += int(yg.shape[0])
    assert seen == 10


def test_is_writeable_without_a_writeable_flag():
    # CuPy's arrays have no `writeable` flag: a broadcast view (a zero stride) is caught by stride
    class NoFlag:
        def __init__(self, a):
            self.flags, self.strides, self.shape = types.SimpleNamespace(), a.strides, a.shape
    a = np.ones(3)
    assert backend.is_writeable(a) and not backend.is_writeable(np.broadcast_to(a, (2, 3)))
    assert backend.is_writeable(NoFlag(a))
    assert not backend.is_writeable(NoFlag(np.broadcast_to(a, (2, 3))))
    assert backend.is_writeable(NoFlag(np.broadcast_to(np.ones(1), (1, 1))))

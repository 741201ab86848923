"""ember.kernels: the compiled loops give what the NumPy code they replace gives.

Every case runs twice, with the loops and inside kernels.disabled() (the NumPy code), and the
results must be identical, bit for bit, except where overlapping pooling windows add several
gradients into one element (the order of those sums differs; checked to rounding). The tests
that need the extension skip where it was not built (no C compiler at install time); CI sets
EMBER_REQUIRE_NATIVE=1 so that a build that silently lost it fails there.
"""

import os
import sys

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import kernels, optim
from ember.nn.functional.conv import _relu_max_pool2d

from .conftest import to_numpy

native = pytest.mark.skipif(not kernels.enabled(),
                            reason="the compiled loops are off (not built, or EMBER_NATIVE=0)")


def test_the_extension_is_built_where_ci_requires_it():
    if os.environ.get("EMBER_REQUIRE_NATIVE") != "1":
        pytest.skip("EMBER_REQUIRE_NATIVE is not set")
    assert kernels.native is not None, "ember.kernels._native was not built"
    assert kernels.enabled()


def test_disabled_turns_the_loops_off_and_back_on():
    before = kernels.enabled()
    with kernels.disabled():
        assert not kernels.enabled()
        with kernels.disabled():
            assert not kernels.enabled()
        assert not kernels.enabled()
    assert kernels.enabled() == before


def _both(run):
    """run() with the compiled loops, then with the NumPy code: both results (lists of arrays)."""
    a = run()
    with kernels.disabled():
        b = run()
    return a, b


def _same(a, b):
    """Equal dtype, shape and bits (-0.0 is not 0.0 here; a nan is compared by its bits)."""
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        uint = np.dtype(f"u{u.dtype.itemsize}")
        np.testing.assert_array_equal(np.ascontiguousarray(u).view(uint),
                                      np.ascontiguousarray(v).view(uint))


# ------------------------------------------------------------------------------- optimizers

ADAM_CASES = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"maximize": True}),
    ("Adam", {"amsgrad": True, "maximize": True, "weight_decay": 0.05}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
]


def _adam_run(name, kwargs, n, dtype):
    rng = np.random.default_rng(0)
    p = ember.nn.Parameter(ember.tensor(rng.standard_normal(n).astype(dtype)))
    opt = getattr(optim, name)([p], lr=0.01, **kwargs)
    for _ in range(4):
        p.grad = ember.tensor(rng.standard_normal(n).astype(dtype))
        opt.step()
    state = opt.state[p]
    return [to_numpy(p)] + [to_numpy(state[k]) for k in sorted(state) if k != "step"]


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", ADAM_CASES)
@pytest.mark.parametrize("n", [1, 3000])
def test_adam_loop_matches_the_numpy_rule(dtype, name, kwargs, n):
    _same(*_both(lambda: _adam_run(name, kwargs, n, dtype)))


@native
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_loop_on_a_large_parameter_matches(name):
    # from CHUNK_MIN elements on, the loop runs on slices shared among the threads
    _same(*_both(lambda: _adam_run(name, {}, 2_500_000, "float32")))


def _adam_group_run(name, kwargs, dtype, skip_first=False):
    """A group of parameters of several sizes (one not a multiple of the loop's alignment, one
    large enough to be shared among threads); with skip_first, the first parameter has no
    gradient at the first step and then lags one step behind the others."""
    rng = np.random.default_rng(3)
    sizes = [(512, 784), (512,), (7,), (100_003,), (1,)]
    params = [ember.nn.Parameter(ember.tensor(rng.standard_normal(s).astype(dtype)))
              for s in sizes]
    opt = getattr(optim, name)(params, lr=0.01, **kwargs)
    for step in range(4):
        for i, p in enumerate(params):
            p.grad = None if skip_first and step == 0 and i == 0 else \
                ember.tensor(rng.standard_normal(p.shape).astype(dtype))
        opt.step()
    out = [to_numpy(p) for p in params]
    for p in params:
        out += [to_numpy(t) for k, t in opt.state[p].items() if k != "step"]
    return out + [np.array([opt.state[p]["step"] for p in params])]


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", ADAM_CASES)
@pytest.mark.parametrize("skip_first", [False, True])
def test_adam_loop_over_a_group_in_one_call_matches(dtype, name, kwargs, skip_first):
    a, b = _both(lambda: _adam_group_run(name, kwargs, dtype, skip_first))
    _same(a, b)
    assert list(a[-1]) == ([3, 4, 4, 4, 4] if skip_first else [4] * 5)


@native
def test_adam_many_rejects_what_it_cannot_take():
    f32, f64 = np.zeros(5, np.float32), np.zeros(5, np.float64)
    consts = (0.1, 0.001, 0.999, 1e-8, -1e-3, 1.0, 0.0, False, False)
    with pytest.raises(ValueError, match="adam_many: sequences of different lengths"):
        kernels.native.adam_many([f32], [f32, f32], [f32], [f32], None, *consts)
    with pytest.raises(ValueError, match="adam_many: parameters of different dtypes"):
        kernels.native.adam_many([f32.copy(), f64.copy()], [f32, f64], [f32.copy(), f64.copy()],
                                 [f32.copy(), f64.copy()], None, *consts)
    with pytest.raises(ValueError, match="adam: arrays of different sizes"):
        kernels.native.adam_many([f32.copy()], [np.zeros(4, np.float32)], [f32.copy()],
                                 [f32.copy()], None, *consts)
    with pytest.raises(ValueError, match="adam: param must be a C-contiguous, writable array"):
        kernels.native.adam_many([np.zeros(10, np.float32)[::2]], [f32], [f32.copy()],
                                 [f32.copy()], None, *consts)
    kernels.native.adam_many([], [], [], [], None, *consts)     # nothing to do


@native
@pytest.mark.skipif(sys.version_info < (3, 12),
                    reason="a Python class exports a buffer (__buffer__) from Python 3.12 on")
def test_adam_many_keeps_its_arrays_while_an_export_empties_the_lists():
    # taking a buffer may run Python code that changes the lists: adam_many must hold the arrays
    # it was given, not read them from the lists as they are afterwards
    rng = np.random.default_rng(8)
    p0, g = rng.standard_normal((2, 8)).astype(np.float32), rng.standard_normal((2, 8))
    grads = [g[0].astype(np.float32), g[1].astype(np.float32)]

    class Param:
        def __init__(self, a):
            self.a = a

        def __buffer__(self, flags):
            grads.clear()
            return memoryview(self.a)

        def __release_buffer__(self, view):
            view.release()

    ps = [Param(p0[0].copy()), p0[1].copy()]
    ms, vs = [np.zeros(8, np.float32) for _ in ps], [np.zeros(8, np.float32) for _ in ps]
    consts = (0.1, 0.001, 0.999, 1e-8, -1e-3, 1.0, 0.0, False, False)
    want = [p0[0].copy(), p0[1].copy()]
    for i in range(2):
        kernels.native.adam(want[i], g[i].astype(np.float32), np.zeros(8, np.float32),
                            np.zeros(8, np.float32), None, *consts)
    kernels.native.adam_many(ps, grads, ms, vs, None, *consts)
    assert grads == []
    _same([ps[0].a, ps[1]], want)


def test_a_group_of_mixed_dtypes_is_updated_one_parameter_at_a_time():
    rng = np.random.default_rng(4)
    p32 = ember.nn.Parameter(ember.tensor(rng.standard_normal(300).astype(np.float32)))
    p64 = ember.nn.Parameter(ember.tensor(rng.standard_normal(300)))
    g32, g64 = rng.standard_normal(300).astype(np.float32), rng.standard_normal(300)
    ref = [p32.detach().clone(), p64.detach().clone()]
    opt = optim.Adam([p32, p64], lr=0.1)
    p32.grad, p64.grad = ember.tensor(g32), ember.tensor(g64)
    opt.step()
    # the first Adam step: m and v bias-corrected are g and g^2, so p -= lr g / (|g| + eps)
    np.testing.assert_allclose(to_numpy(p32), to_numpy(ref[0]) - 0.1 * g32 / (abs(g32) + 1e-8),
                               atol=1e-6)
    np.testing.assert_allclose(to_numpy(p64), to_numpy(ref[1]) - 0.1 * g64 / (abs(g64) + 1e-8),
                               rtol=1e-12)


SGD_CASES = [
    {"momentum": 0.9},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.5, "dampening": 0.3},
    {"momentum": 0.9, "weight_decay": 0.01, "maximize": True},
    {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
]


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_momentum_loop_matches_the_numpy_rule(dtype, kwargs):
    def run():
        rng = np.random.default_rng(1)
        p = ember.nn.Parameter(ember.tensor(rng.standard_normal(2000).astype(dtype)))
        opt = optim.SGD([p], lr=0.01, **kwargs)
        for _ in range(4):                 # the first step sets the buffer, the rest update it
            p.grad = ember.tensor(rng.standard_normal(2000).astype(dtype))
            opt.step()
        return [to_numpy(p), to_numpy(opt.state[p]["momentum_buffer"])]

    _same(*_both(run))


@native
def test_adam_loop_with_nan_and_inf_gradients_matches():
    def run():
        p = ember.nn.Parameter(ember.tensor([1.0, 2.0, 3.0, 4.0]))
        opt = optim.Adam([p], lr=0.1, amsgrad=True)
        for g in ([np.nan, 1.0, np.inf, -1.0], [1.0, np.nan, 2.0, -np.inf]):
            p.grad = ember.tensor(g)
            opt.step()
        return [to_numpy(p), to_numpy(opt.state[p]["max_exp_avg_sq"])]

    _same(*_both(run))


@native
def test_adam_takes_the_numpy_rule_for_non_contiguous_or_half_arrays():
    # a float16 parameter and a non-contiguous gradient are outside the loop's reach
    for p_data, g_data in ((np.ones(6, np.float16), np.ones(6, np.float16)),
                           (np.ones(6, np.float32), np.ones(12, np.float32)[::2])):
        def run(p_data=p_data, g_data=g_data):
            p = ember.nn.Parameter(ember.tensor(p_data.copy()))
            p.grad = ember.tensor(g_data)
            optim.Adam([p], lr=0.1).step()
            return [to_numpy(p)]

        _same(*_both(run))


# ---------------------------------------------------------------------------------- pooling

def _pool_cases():
    rng = np.random.default_rng(0)
    cases = []
    while len(cases) < 60:
        n, c = (int(v) for v in rng.integers(1, 4, 2))
        h, w = (int(v) for v in rng.integers(3, 9, 2))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        ceil = bool(rng.integers(0, 2))
        span = [d[i] * (k[i] - 1) + 1 for i in range(2)]
        if any((h, w)[i] + 2 * p[i] < span[i] for i in range(2)):
            continue
        cases.append(((n, c, h, w), k, s, p, d, ceil))
    return cases


POOL_CASES = _pool_cases()


@native
@pytest.mark.parametrize("shape,k,s,p,d,ceil", POOL_CASES)
def test_max_pool_loop_matches_the_numpy_code(shape, k, s, p, d, ceil):
    rng = np.random.default_rng(sum(shape) + sum(k) * 7)
    dtype = "float64" if sum(shape) % 2 else "float32"
    x = rng.integers(-3, 4, shape).astype(dtype)           # small integers: many ties
    layouts = [x, np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
               np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)]
    # NCHW, batch-last (as after a convolution), and neither
    for xs in layouts:
        out_shape = tuple(F.max_pool2d(ember.tensor(xs), k, s, p, d, ceil_mode=ceil).shape)
        g = rng.standard_normal(out_shape).astype(dtype)
        for fn in (lambda t: F.max_pool2d(t, k, s, p, d, ceil_mode=ceil),
                   lambda t: _relu_max_pool2d(t, k, s, p, d, ceil_mode=ceil),
                   lambda t: F.max_pool2d(t, k, s, p, d, ceil_mode=ceil, return_indices=True)):
            def run(fn=fn, xs=xs, g=g):
                t = ember.from_numpy(xs).to(ember.get_default_device()).requires_grad_()
                y = fn(t)
                extra = []
                if isinstance(y, tuple):
                    y, idx = y
                    extra = [to_numpy(idx)]
                y.backward(ember.tensor(g))
                return [to_numpy(y), to_numpy(t.grad)] + extra

            a, b = _both(run)
            overlap = s[0] < d[0] * (k[0] - 1) + 1 or s[1] < d[1] * (k[1] - 1) + 1
            for u, v in zip(a, b):
                if overlap:     # several windows add into one element: sums in another order
                    np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)
                else:
                    _same([u], [v])


@native
def test_max_pool_loop_propagates_nan_as_the_numpy_code():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[0, 0, :2, :2] = np.nan                                  # a whole window of nan

    def run():
        t = ember.tensor(x).requires_grad_()
        y1 = F.max_pool2d(t, 2)
        y2 = _relu_max_pool2d(t, 3, 2, 1)
        (y1.sum() + y2.sum()).backward()
        return [to_numpy(y1), to_numpy(y2), to_numpy(t.grad)]

    _same(*_both(run))


@native
def test_max_pool_second_backward_still_raises_with_the_loop():
    t = ember.randn(2, 3, 4, 4, requires_grad=True)
    y = F.max_pool2d(t, 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


# ------------------------------------------------------------------------- im2col, col2im

# conv2d's forward runs the compiled im2col and its input gradient the compiled col2im;
# conv_transpose2d's forward runs col2im
CONV_CASES = [
    # (input shape, weight shape, stride, padding, dilation, transposed)
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, 1, False),      # 'same': the centre is copied first
    ((2, 3, 7, 6), (4, 3, 3, 2), 2, (1, 0), 1, False),
    ((1, 2, 9, 9), (3, 2, 3, 3), 1, 2, 2, False),
    ((3, 1, 5, 5), (2, 1, 1, 1), 1, 0, 1, False),
    ((2, 3, 5, 4), (3, 2, 3, 3), 1, 0, 1, True),
    ((2, 3, 5, 4), (3, 2, 3, 2), 2, 1, 1, True),
]


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,transposed", CONV_CASES)
def test_im2col_and_col2im_loops_match_the_numpy_code(dtype, xs, ws, stride, padding, dilation,
                                             transposed):
    rng = np.random.default_rng(len(xs) + ws[-1])
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    op = F.conv_transpose2d if transposed else F.conv2d
    out_shape = tuple(op(ember.tensor(x), ember.tensor(w), stride=stride, padding=padding,
                         dilation=dilation).shape)
    g = rng.standard_normal(out_shape).astype(dtype)

    def run():
        tx, tw = ember.tensor(x).requires_grad_(), ember.tensor(w).requires_grad_()
        y = op(tx, tw, stride=stride, padding=padding, dilation=dilation)
        y.backward(ember.tensor(g))
        return [to_numpy(y), to_numpy(tx.grad), to_numpy(tw.grad)]

    _same(*_both(run))


# ------------------------------------------------------------------------- the C functions

@native
def test_native_functions_reject_arrays_they_cannot_take():
    nat = kernels.native
    a = np.zeros((2, 4, 4, 3), np.float32)
    out = np.zeros((2, 2, 2, 3), np.float32)
    arg = np.zeros((2, 2, 2, 3), np.int32)
    window = (2, 2, 2, 2, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="max_pool2d: input must be a C-contiguous"):
        nat.max_pool2d(a[:, ::-1], out, arg, None, *window)
    with pytest.raises(ValueError, match="max_pool2d: out has the wrong element type"):
        nat.max_pool2d(a, out.astype(np.float16), arg, None, *window)
    with pytest.raises(ValueError, match="max_pool2d: arg has the wrong element type"):
        nat.max_pool2d(a, out, arg.astype(np.int64), None, *window)
    with pytest.raises(ValueError, match="max_pool2d: out does not have the expected element"):
        nat.max_pool2d(a, out.astype(np.float64), arg, None, *window)
    with pytest.raises(ValueError, match="max_pool2d: arg does not have the expected shape"):
        nat.max_pool2d(a, out, arg[:1], None, *window)
    with pytest.raises(ValueError, match="max_pool2d: input must have 4 dimensions"):
        nat.max_pool2d(a[0], out, arg, None, *window)
    with pytest.raises(ValueError, match="writable"):
        ro = out.copy()
        ro.flags.writeable = False
        nat.max_pool2d(a, ro, arg, None, *window)
    p = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match="adam: arrays of different sizes"):
        nat.adam(p, p, p, np.zeros(4, np.float32), None, 0.1, 0.1, 0.9, 1e-8, -0.1, 1.0, 0.0,
                 False, False)
    with pytest.raises(ValueError, match="sgd_momentum: arrays of different sizes"):
        nat.sgd_momentum(p, p, np.zeros(4, np.float32), 1.0, 0.0, 0.9, 1.0, 0.1, False, False,
                         False)
    with pytest.raises(ValueError, match="adam: grad does not have the expected element type"):
        nat.adam(p, p.astype(np.float64), p, p, None, 0.1, 0.1, 0.9, 1e-8, -0.1, 1.0, 0.0,
                 False, False)
    with pytest.raises(ValueError, match="im2col: shapes or window do not match"):
        nat.im2col(a, np.zeros((2 * 9, 5), np.float32), 3, 3, 1, 1, 1, 1, 1, 1, 4, 4)
    with pytest.raises(ValueError, match="im2col: cols must be a C-contiguous, writable"):
        nat.im2col(a, np.zeros((18, 48, 2), np.float32)[:, :, 0], 3, 3, 1, 1, 1, 1, 1, 1, 4, 4)
    cols = np.zeros((2, 3, 3, 2, 2, 3), np.float32)
    with pytest.raises(ValueError, match="col2im: shapes, offsets or init do not match"):
        nat.col2im(cols, np.zeros((2, 4, 4, 3), np.float32), np.array([9]), 1, 1, 1, 1, 0, 0)
    # init 2 copies the first offset into out: it must cover all of out (here offset 0 of a
    # 3x3 kernel over a 2x2 output misses the image's last rows), and init is 0, 1 or 2
    out = np.zeros((2, 2, 2, 3), np.float32)
    with pytest.raises(ValueError, match="col2im: shapes, offsets or init do not match"):
        nat.col2im(cols, np.zeros((2, 3, 3, 3), np.float32), np.array([0]), 1, 1, 1, 1, 0, 0, 2)
    with pytest.raises(ValueError, match="col2im: shapes, offsets or init do not match"):
        nat.col2im(cols, out, np.array([4]), 1, 1, 1, 1, 1, 1, 3)
    nat.col2im(cols, out, np.array([4]), 1, 1, 1, 1, 1, 1, 2)   # the centre covers 2x2
    empty = np.zeros((2, 3, 3, 0, 2, 3), np.float32)
    out = np.full((2, 4, 4, 3), 7.0, np.float32)
    nat.col2im(empty, out, np.array([0]), 1, 1, 1, 1, 0, 0, 1)
    assert not out.any()                     # init 1 zeroes out even with nothing to add


# ------------------------------------------------------------------------------------ relu

@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_loop_matches_the_numpy_code(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 9)).astype(dtype)
    x[0, :3] = 0.0                                     # the gradient at 0 is 0
    g = rng.standard_normal((7, 9)).astype(dtype)
    g[1, :4] = np.nan
    x[1, :2] = -1.0

    def run():
        t = ember.tensor(x).requires_grad_()
        t.relu().backward(ember.tensor(g))
        return [to_numpy(t.grad)]

    a, b = _both(run)
    _same(a, b)
    _same(a, [g * (x > 0)])


# ------------------------------------------------- out-of-range windows, signed zeros, nan


@native
def test_native_functions_reject_windows_whose_sizes_overflow():
    # products and coordinates that wrap around must not pass the checks (they used to
    # write or read out of bounds, or loop for ever)
    nat = kernels.native
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="im2col: shapes or window"):   # C kh kw wraps to 0
        nat.im2col(x, np.zeros((1, 4), np.float32), 2**62, 4, 1, 1, 1, 1, 0, 0, 2, 2)
    with pytest.raises(ValueError, match="im2col: shapes or window"):   # ho wo N wraps to 0
        nat.im2col(x, np.zeros((1, 0), np.float32), 1, 1, 1, 1, 1, 1, 0, 0, 2**32, 2**32)
    with pytest.raises(ValueError, match="im2col: shapes or window"):   # x * stride wraps
        nat.im2col(x, np.zeros((1, 3), np.float32), 1, 1, 1, 3 * 2**60, 1, 1, 0, 0, 1, 3)
    out, arg = np.zeros((1, 1, 1, 1), np.float32), np.zeros((1, 1, 1, 1), np.int32)
    with pytest.raises(ValueError, match="max_pool2d: shapes or window"):   # kh kw wraps
        nat.max_pool2d(x, out, arg, None, 2**32, 2**32, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="max_pool2d: shapes or window"):
        nat.max_pool2d(x, out, arg, None, 2, 2, 1, 1, 0, 0, 2**62, 1)
    g, arg = np.ones((1, 2, 2, 1), np.float32), np.zeros((1, 2, 2, 1), np.int32)
    for window in ((0, 2, 2, 2, 0, 0, 1, 1), (2, 2, 0, 2, 0, 0, 1, 1), (2, 2, 2, 2, 0, 0, 0, 1),
                   (2**33, 2**33, 1, 1, 0, 0, 1, 1), (2, 2, 2**62, 1, 0, 0, 1, 1)):
        with pytest.raises(ValueError, match="max_pool2d_backward: shapes or window"):
            nat.max_pool2d_backward(g, arg, None, x.copy(), *window, False)
    cols = np.ones((1, 2, 2, 2, 2, 1), np.float32)
    with pytest.raises(ValueError, match="col2im: shapes, offsets or init"):     # stride 0
        nat.col2im(cols, np.zeros((1, 3, 3, 1), np.float32), np.arange(4), 0, 1, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="col2im: shapes, offsets or init"):
        nat.col2im(cols, np.zeros((1, 3, 3, 1), np.float32), np.arange(4), 1, 1, 2**62, 1, 0, 0)


@native
def test_native_functions_return_at_once_on_empty_arrays_of_huge_dimensions():
    nat = kernels.native
    x = np.zeros((1, 4, 4, 0), np.float32)
    nat.col2im(np.zeros((1, 1, 1, 2**40, 2**20, 0), np.float32), x, np.array([0]),
               1, 1, 1, 1, 0, 0)
    nat.max_pool2d(x, np.zeros((1, 2**40, 2**20, 0), np.float32),
                   np.zeros((1, 2**40, 2**20, 0), np.int32), None, 1, 1, 1, 1, 0, 0, 1, 1)
    nat.im2col(np.zeros((1, 4, 4, 1), np.float32), np.zeros((2**40, 0), np.float32),
               1, 1, 1, 1, 1, 1, 0, 0, 2**40, 0)


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,k,s,p,ceil", [
    ((2, 3, 4, 6), 2, 2, 0, False),       # windows that tile the input
    ((2, 3, 3, 3), 2, 2, 1, False),       # ... that tile the padded input
    ((2, 3, 5, 5), 2, 2, 0, True),        # ... with ceil_mode's last window
    ((2, 3, 7, 7), 2, 3, 0, False),       # gaps between the windows
])
def test_max_pool_gradient_has_the_numpy_codes_bits(dtype, shape, k, s, p, ceil):
    # the NumPy code multiplies g by each tap's 0/1 mask: -0.0 where g < 0 and the mask is 0,
    # nan at every tap of a window whose g is nan or inf
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(dtype)
    for relu in (False, True):
        fn = _relu_max_pool2d if relu else F.max_pool2d
        out_shape = tuple(fn(ember.tensor(x), k, s, p, ceil_mode=ceil).shape)
        g = -np.abs(rng.standard_normal(out_shape)).astype(dtype)
        g[0, 0, 0, 0], g[1, 2, -1, -1] = np.nan, np.inf

        def run(fn=fn, g=g):
            t = ember.tensor(x).requires_grad_()
            y = fn(t, k, s, p, ceil_mode=ceil)
            y.backward(ember.tensor(g))
            return [to_numpy(y), to_numpy(t.grad)]

        _same(*_both(run))


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_of_signed_zeros_has_the_numpy_codes_bits(dtype):
    # np.maximum(a, b) of -0.0 and 0.0 gives b; relu (np.maximum(y, 0)) turns -0.0 into 0.0
    x = np.array([[[[-0.0, 0.0, 0.0, -0.0], [0.0, 0.0, -0.0, -0.0]],
                   [[-0.0, -0.0, -1.0, -0.0], [-2.0, -0.0, 0.0, -3.0]]]], dtype)

    def run():
        t = ember.tensor(x)
        y, idx = F.max_pool2d(t, (1, 2), return_indices=True)
        return [to_numpy(y), to_numpy(idx), to_numpy(_relu_max_pool2d(t, (1, 2))),
                to_numpy(F.max_pool2d(t, 2, 1, 1))]

    _same(*_both(run))


@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_col2im_cropped_keeps_a_negative_zero_of_the_copied_centre(dtype):
    from ember.nn.functional._conv import col2im_cropped

    rng = np.random.default_rng(2)
    for kh, pads in ((1, (0, 0, 0, 0)), (3, (1, 1, 1, 1))):
        cols = rng.standard_normal((2, kh, kh, 4, 5, 3)).astype(dtype)
        cols[:, kh // 2, kh // 2] = -0.0             # the centre part: copied in first
        if kh == 3:
            cols[:, :, :, 0] = -0.0                   # the first row: -0.0 from every part
        _same(*_both(lambda c=cols, p=pads: [col2im_cropped(np, c, 4, 5, p, 1, 1, 1, 1)]))


def test_pooling_and_transposed_conv_reject_bad_dilation_padding_and_groups():
    # PyTorch's errors; the compiled loop and the NumPy code used to disagree here (one
    # raised, the other returned numbers)
    x = ember.randn(1, 2, 5, 5)
    w = ember.randn(2, 3, 3, 3)
    for kwargs in ({"dilation": 0}, {"dilation": -1}, {"padding": -1}):
        with pytest.raises(RuntimeError, match="max_pool2d: (dilation|pad)"):
            F.max_pool2d(x, 3, **kwargs)
    for kwargs, what in (({"dilation": 0}, "dilation"), ({"dilation": -1}, "dilation"),
                         ({"padding": -1}, "negative padding"), ({"groups": 0}, "groups")):
        with pytest.raises(RuntimeError, match=f"conv_transpose2d: {what}"):
            F.conv_transpose2d(x, w, **kwargs)


@native
@pytest.mark.parametrize("name,kwargs", [
    ("Adam", {"lr": np.float64(0.01)}),
    ("AdamW", {"lr": np.float64(0.01), "weight_decay": np.float64(0.1), "amsgrad": True}),
    ("Adam", {"betas": (np.float64(0.8), np.float64(0.99)), "eps": np.float64(1e-6),
              "weight_decay": np.float64(0.1)}),
    ("SGD", {"lr": np.float64(0.01), "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": np.float64(0.9), "weight_decay": np.float64(0.01),
             "dampening": np.float64(0.1)}),
])
def test_optimizers_with_numpy_scalar_hyper_parameters_match(name, kwargs):
    # (lr from np.logspace, say): a NumPy float64 must not make the NumPy rule compute in
    # float64 where the compiled loop computes in float32
    def run():
        rng = np.random.default_rng(4)
        p = ember.nn.Parameter(ember.tensor(rng.standard_normal(500).astype(np.float32)))
        opt = getattr(optim, name)([p], **kwargs)
        for _ in range(3):
            p.grad = ember.tensor(rng.standard_normal(500).astype(np.float32))
            opt.step()
        return [to_numpy(p)] + [to_numpy(v) for _, v in sorted(opt.state[p].items())
                                if not isinstance(v, int)]

    _same(*_both(run))


@native
def test_max_pool_with_a_huge_stride_over_one_output_matches():
    # one output along an axis never uses its stride: the compiled loop must not reject it
    x = np.random.default_rng(6).standard_normal((1, 2, 5, 5)).astype(np.float32)

    def run():
        t = ember.tensor(x).requires_grad_()
        y = F.max_pool2d(t, 3, (2**62, 2**63), 1)
        y.backward(ember.ones(*y.shape))
        return [to_numpy(y), to_numpy(t.grad)]

    _same(*_both(run))


# ---------------------------------------------------------------- the first layer's products

products = pytest.mark.skipif(not kernels.enabled() or not hasattr(kernels.native, "gemm_small_k"),
                              reason="the compiled products are not built (or EMBER_NATIVE=0)")


# (function, shape of a, shape of b, the float64 product, its float64 tolerance): gemm_small_k
# is a @ b for a small inner dimension, gemm_long_k is a @ b.T for a long one
PRODUCT_CASES = [("gemm_small_k", (m, k), (k, n), lambda a, b: a @ b, 1e-13)
                 for m, k, n in [(32, 10, 50176), (13, 1, 1000), (9, 16, 97), (1, 3, 48)]] + \
                [("gemm_long_k", (m, length), (n, length), lambda a, b: a @ b.T, 1e-12)
                 for m, n, length in [(32, 10, 50176), (7, 6, 10_001), (1, 1, 15), (5, 11, 4097)]]


@products
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,ashape,bshape,product,tol64", PRODUCT_CASES)
def test_compiled_products_match_a_float64_product_on_any_number_of_threads(
        threads, dtype, name, ashape, bshape, product, tol64):
    rng = np.random.default_rng(sum(ashape) + sum(bshape))
    a, b = rng.standard_normal(ashape).astype(dtype), rng.standard_normal(bshape).astype(dtype)
    ref = product(a.astype(np.float64), b.astype(np.float64))
    runs = []
    for t in (1, 2, 3):
        threads(t)
        out = np.full(ref.shape, np.nan, dtype)
        getattr(kernels.native, name)(a, b, out)
        runs.append(out)
    tol = 1e-5 if dtype == "float32" else tol64
    np.testing.assert_allclose(runs[0], ref, rtol=tol, atol=tol * np.abs(ref).max())
    for out in runs[1:]:
        _same([out], [runs[0]])


@products
def test_the_compiled_products_reject_what_they_cannot_take():
    f = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match="gemm_small_k: shapes do not match"):
        kernels.native.gemm_small_k(f, np.zeros((4, 5), np.float32), np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="gemm_long_k: shapes do not match"):
        kernels.native.gemm_long_k(f, np.zeros((2, 4), np.float32), np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match="gemm_small_k: b does not have the expected element"):
        kernels.native.gemm_small_k(f, np.zeros((3, 5)), np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="gemm_long_k: a must be a C-contiguous array"):
        kernels.native.gemm_long_k(np.zeros((4, 6), np.float32)[:, ::2], f, np.zeros((4, 4),
                                                                                     np.float32))


@products
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_first_layer_conv_with_the_compiled_products_matches_the_numpy_code(dtype):
    # one input channel over 8 x 48 x 48 outputs: the forward takes gemm_small_k, the weight
    # gradient gemm_long_k (NumPy: OpenBLAS, in pieces)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 1, 48, 48)).astype(dtype)
    w = rng.standard_normal((8, 1, 3, 3)).astype(dtype)
    bias = rng.standard_normal(8).astype(dtype)
    g = rng.standard_normal((8, 8, 48, 48)).astype(dtype)

    def run():
        tw, tb = ember.tensor(w).requires_grad_(), ember.tensor(bias).requires_grad_()
        y = F.conv2d(ember.tensor(x), tw, tb, padding=1)
        y.backward(ember.tensor(g))
        return [to_numpy(y), to_numpy(tw.grad), to_numpy(tb.grad)]

    a, b = _both(run)
    tol = 2e-5 if dtype == "float32" else 1e-11
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=tol, atol=tol * np.abs(v).max())


# ------------------------------------------------- a Linear layer's bias and ReLU, in threads

@native
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(128, 512), (3, 5), (1, 70_000), (1000, 33)])
def test_relu_bias_and_bias_gradient_loops_have_numpys_bits_on_any_threads(threads, dtype,
                                                                           shape):
    rng = np.random.default_rng(shape[1])
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[:6] = [-0.0, 0.0, np.nan, -np.nan, -np.inf, np.inf]     # np.maximum's special cases
    x[:, -1] = -0.0                                                 # a sum of -0.0s is 0.0
    b = rng.standard_normal(shape[1]).astype(dtype)
    b[:2] = [-0.0, np.nan]
    for n in (1, 2, 3):
        threads(n)
        out = np.full_like(x, 7.0)
        kernels.native.relu(x, out)
        _same([out], [np.maximum(x, 0)])
        y = x.copy()
        kernels.native.add_rows(y, b)
        _same([y], [x + b])
        s = np.full(shape[1], 7.0, dtype)
        kernels.native.sum_rows(x, s)
        _same([s], [x.sum(0)])


@native
def test_linear_and_relu_take_the_loops_with_numpys_results():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((64, 300)).astype(np.float32)
    w = rng.standard_normal((700, 300)).astype(np.float32)
    b = rng.standard_normal(700).astype(np.float32)
    g = rng.standard_normal((64, 700)).astype(np.float32)

    def run():
        tx, tw, tb = (ember.tensor(a).requires_grad_() for a in (x, w, b))
        y = F.linear(tx, tw, tb).relu()
        y.backward(ember.tensor(g))
        return [to_numpy(y), to_numpy(tx.grad), to_numpy(tw.grad), to_numpy(tb.grad)]

    _same(*_both(run))


@native
def test_the_row_loops_reject_what_they_cannot_take():
    y, b = np.zeros((4, 3), np.float32), np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="add_rows: bias does not have the rows' length"):
        kernels.native.add_rows(y, b)
    s = np.full(3, 7.0, np.float32)
    kernels.native.sum_rows(np.zeros((0, 3), np.float32), s)    # no rows: zeros, as NumPy's
    _same([s], [np.zeros((0, 3), np.float32).sum(0)])
    with pytest.raises(ValueError, match="sum_rows: out does not have the expected element"):
        kernels.native.sum_rows(y, np.zeros(3))
    with pytest.raises(ValueError, match="relu: out does not have the expected shape"):
        kernels.native.relu(y, np.zeros((3, 4), np.float32))

"""Property tests (hypothesis) for broadcasting and reductions over random shapes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

from ..conftest import to_numpy

SETTINGS = settings(max_examples=60, deadline=None)
finite = st.floats(-10, 10, allow_nan=False, width=64)


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                    min_side=0, max_side=4))
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=finite))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=finite))
    return a, b


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "maximum", "atan2"]))
def test_binary_ops_broadcast_as_numpy_and_gradients_keep_shapes(pair, name):
    a, b = pair
    x = ember.tensor(a, requires_grad=True)
    y = ember.tensor(b, requires_grad=True)
    out = getattr(ember, name)(x, y)
    ref = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
           "atan2": np.arctan2}[name](a, b)
    assert out.shape == ref.shape
    np.testing.assert_allclose(to_numpy(out), ref, rtol=1e-12)
    out.sum().backward()
    assert x.grad.shape == a.shape and y.grad.shape == b.shape


@SETTINGS
@given(broadcastable_pair())
def test_gradient_of_a_broadcast_sum_counts_the_copies(pair):
    a, b = pair
    x = ember.tensor(a, requires_grad=True)
    y = ember.tensor(b, requires_grad=True)
    out = x + y
    out.sum().backward()
    copies_of_x = out.numel() // max(x.numel(), 1) if x.numel() else 0
    np.testing.assert_array_equal(to_numpy(x.grad), np.full(a.shape, copies_of_x))


@st.composite
def array_and_dims(draw):
    arr = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, min_side=1,
                                                       max_side=4), elements=finite))
    dims = draw(st.lists(st.integers(-arr.ndim, arr.ndim - 1), unique_by=lambda d: d % arr.ndim,
                         max_size=arr.ndim))
    return arr, tuple(dims), draw(st.booleans())


REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k), lambda a, d, k: a.sum(d, keepdims=k)),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k), lambda a, d, k: a.mean(d, keepdims=k)),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k), lambda a, d, k: a.max(d, keepdims=k)),
    "amin": (lambda x, d, k: x.amin(d, keepdim=k), lambda a, d, k: a.min(d, keepdims=k)),
    "logsumexp": (lambda x, d, k: ember.logsumexp(x, d, keepdim=k),
                  lambda a, d, k: np.log(np.exp(a).sum(d, keepdims=k))),
    "var": (lambda x, d, k: x.var(d, keepdim=k, correction=0),
            lambda a, d, k: a.var(d, keepdims=k)),
    "norm": (lambda x, d, k: x.norm(dim=d, keepdim=k),
             lambda a, d, k: np.sqrt((a * a).sum(d, keepdims=k))),
}


@SETTINGS
@given(array_and_dims(), st.sampled_from(sorted(REDUCTIONS)))
def test_reductions_match_numpy_over_any_dims(case, name):
    a, dims, keepdim = case
    dims = dims or None  # no dims: reduce all
    ours, theirs = REDUCTIONS[name]
    x = ember.tensor(a, requires_grad=True)
    out = ours(x, dims, keepdim)
    ref = theirs(a, dims, keepdim)
    assert out.shape == np.shape(ref)
    np.testing.assert_allclose(to_numpy(out), ref, rtol=1e-9, atol=1e-12)
    out.sum().backward()
    assert x.grad.shape == a.shape and bool(ember.isfinite(x.grad).all())


@SETTINGS
@given(array_and_dims())
def test_sum_gradient_is_ones_and_mean_gradient_is_one_over_n(case):
    a, dims, keepdim = case
    dims = dims or None
    x = ember.tensor(a, requires_grad=True)
    x.sum(dims, keepdim=keepdim).sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), np.ones_like(a))
    x.grad = None
    x.mean(dims, keepdim=keepdim).sum().backward()
    n = a.size if dims is None else np.prod([a.shape[d] for d in dims])
    np.testing.assert_allclose(to_numpy(x.grad), np.full(a.shape, 1.0 / n))


@st.composite
def broadcastable_triple(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                    min_side=0, max_side=3))
    return [draw(hnp.arrays(np.float64, s, elements=finite)) for s in shapes.input_shapes]


@SETTINGS
@given(broadcastable_triple())
def test_where_lerp_and_clamp_broadcast_three_operands_as_numpy(arrays):
    a, b, c = arrays
    x, y, z = (ember.tensor(v, requires_grad=True) for v in arrays)
    cases = [
        (ember.where(x > 0, y, z), np.where(a > 0, b, c)),
        (ember.lerp(x, y, z), a + c * (b - a)),
        (ember.clamp(x, min=y, max=z), np.minimum(np.maximum(a, b), c)),
        (ember.addcmul(x, y, z, value=0.5), a + 0.5 * b * c),
    ]
    for out, ref in cases:
        assert out.shape == ref.shape
        np.testing.assert_allclose(to_numpy(out), ref, rtol=1e-12, atol=1e-12)
        x.grad = y.grad = z.grad = None
        out.sum().backward()
        for t, v in ((x, a), (y, b), (z, c)):
            assert t.grad is None or t.grad.shape == v.shape


@settings(max_examples=25, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1,
                                         max_side=3),
       st.sampled_from(["mul", "div", "hypot", "logaddexp", "pow"]))
def test_gradients_through_broadcasting_pass_gradcheck(shapes, name):
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0.5, 2.0, s) for s in shapes.input_shapes)
    x = ember.tensor(a, requires_grad=True)
    y = ember.tensor(b, requires_grad=True)
    assert ember.autograd.gradcheck(getattr(ember, name), (x, y))


@st.composite
def array_and_dim(draw):
    arr = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=1,
                                                       max_side=4), elements=finite))
    n = max(arr.ndim, 1)
    return arr, draw(st.integers(-n, n - 1)), draw(st.booleans())


def _np_dim(a, dim):
    """NumPy's axis for a PyTorch dim: a 0-d array is reduced along nothing."""
    return dim if a.ndim else None


@SETTINGS
@given(array_and_dim())
def test_single_dim_reductions_and_scans_match_numpy(case):
    a, dim, keepdim = case
    x = ember.tensor(a, requires_grad=True)
    ax = _np_dim(a, dim)
    values, indices = ember.max(x, dim, keepdim=keepdim)
    ref = a.max(ax, keepdims=keepdim) if a.ndim else a
    np.testing.assert_array_equal(to_numpy(values), ref)
    ref_idx = a.argmax(ax, keepdims=keepdim) if a.ndim else np.array(0)
    np.testing.assert_array_equal(to_numpy(indices), ref_idx)
    np.testing.assert_array_equal(to_numpy(ember.argmin(x, dim, keepdim=keepdim)),
                                  a.argmin(ax, keepdims=keepdim) if a.ndim else np.array(0))
    np.testing.assert_allclose(to_numpy(ember.prod(x, dim, keepdim=keepdim)),
                               np.prod(a, ax, keepdims=keepdim) if a.ndim else a, rtol=1e-9)
    np.testing.assert_allclose(to_numpy(ember.cumsum(x, dim)),
                               np.cumsum(a, ax).reshape(a.shape), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(to_numpy(ember.std(x, dim, correction=0, keepdim=keepdim)),
                               np.std(a, ax, keepdims=keepdim), rtol=1e-9, atol=1e-12)
    values.sum().backward()
    assert x.grad.shape == a.shape
    assert float(x.grad.sum()) == values.numel()  # one unit of gradient per selected element

"""Numerics that are safe by default: no overflow at magnitude 1e4, and a zero gradient never
turns into nan through an op whose local derivative is infinite there."""

import math

import numpy as np
import pytest
import scipy.special

import ember

from .conftest import to_numpy

BIG = ember.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)


@pytest.mark.parametrize("name, fn, expected", [
    ("logsumexp", lambda x: ember.logsumexp(x, 0), 1e4),
    ("softplus", lambda x: ember.softplus(x), [0.0, math.exp(-50), math.log(2.0), 50.0, 1e4]),
    ("sigmoid", ember.sigmoid, [0.0, math.exp(-50), 0.5, 1.0, 1.0]),
    ("logaddexp", lambda x: ember.logaddexp(x, x.flip(0)),
     [1e4, 50.0, math.log(2.0), 50.0, 1e4]),
    ("log1p", lambda x: ember.log1p(x.clamp(min=-0.5)), None),
    ("expm1", lambda x: ember.expm1(x.clamp(max=1.0)), None),
    ("logit(sigmoid)", lambda x: ember.sigmoid(x / 1e4), None),
])
def test_no_overflow_at_magnitude_1e4(name, fn, expected):
    x = BIG.detach().clone().requires_grad_()
    y = fn(x)
    assert bool(ember.isfinite(y).all()), f"{name} gave {y}"
    if expected is not None:
        np.testing.assert_allclose(to_numpy(y), expected, rtol=1e-5, atol=1e-30)
    y.sum().backward()
    assert bool(ember.isfinite(x.grad).all()), f"{name}'s gradient: {x.grad}"


def test_logsumexp_of_all_minus_inf_is_minus_inf_with_zero_gradient():
    x = ember.full((2, 3), -math.inf, requires_grad=True)
    y = ember.logsumexp(x, 1)
    assert to_numpy(y).tolist() == [-math.inf, -math.inf]
    y.sum().backward()
    assert to_numpy(x.grad).tolist() == [[0.0] * 3] * 2


def test_logsumexp_keeps_precision():
    x = ember.tensor([1000.0, 1000.0], dtype=ember.float64)
    assert ember.logsumexp(x, 0).item() == pytest.approx(1000 + math.log(2), rel=1e-15)


@pytest.mark.parametrize("name, fn", [
    ("sqrt", lambda x: ember.where(x > 0, ember.sqrt(x), 0.0)),
    ("log", lambda x: ember.where(x > 0, ember.log(x), 0.0)),
    ("log2", lambda x: ember.where(x > 0, ember.log2(x), 0.0)),
    ("rsqrt", lambda x: ember.where(x > 0, ember.rsqrt(x), 0.0)),
    ("div", lambda x: ember.where(x != 0, 1 / x, 0.0)),
    ("pow", lambda x: ember.where(x > 0, x ** 0.5, 0.0)),
    ("acos", lambda x: ember.where(x.abs() < 1, ember.acos(x), 0.0)),
    ("atanh", lambda x: ember.where(x.abs() < 1, ember.atanh(x), 0.0)),
    ("exp overflow", lambda x: ember.where(x < 0.8, ember.exp(x * 100), 0.0)),
    ("xlogy", lambda x: ember.xlogy(x.abs(), x.abs())),
    ("lgamma", lambda x: ember.where(x > 0, ember.lgamma(x), 0.0)),
    ("masked_fill", lambda x: ember.sqrt(x).masked_fill(x <= 0, 0.0)),
])
def test_masked_out_infinite_derivatives_give_finite_gradients(name, fn):
    x = ember.tensor([-2.0, -1.0, 0.0, 0.5, 1.0, 4.0], requires_grad=True)
    fn(x).sum().backward()
    assert bool(ember.isfinite(x.grad).all()), f"{name}: {x.grad}"


def test_sqrt_gradient_at_zero_is_still_infinite_when_used():
    x = ember.tensor([0.0], requires_grad=True)
    ember.sqrt(x).sum().backward()
    assert math.isinf(x.grad.item())


def test_zero_times_log_zero_is_zero_with_xlogy():
    p = ember.tensor([0.0, 0.5, 0.5], requires_grad=True)
    h = -ember.xlogy(p, p).sum()
    assert h.item() == pytest.approx(math.log(2))
    h.backward()
    assert bool(ember.isfinite(p.grad[1:]).all())


def test_xlogy_of_zero_and_nan_is_nan_as_pytorch_and_scipy():
    nan = math.nan
    x = ember.tensor([0.0, 0.0, 1.0, 0.0], dtype=ember.float64)
    y = ember.tensor([nan, 0.0, nan, 2.0], dtype=ember.float64)
    np.testing.assert_array_equal(to_numpy(ember.xlogy(x, y)),
                                  scipy.special.xlogy(to_numpy(x), to_numpy(y)))
    assert math.isnan(ember.xlogy(x, nan)[0].item())
    assert ember.xlogy(x, 0.0)[0].item() == 0.0
    assert math.isnan(ember.xlogy(0.0, y)[0].item())


def test_xlogy_gradient_in_x_at_zero_and_nan_is_nan_as_pytorch():
    nan = math.nan
    x = ember.tensor([0.0, 0.0, 1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([nan, 2.0, nan, 3.0], dtype=ember.float64)
    ember.xlogy(x, y).sum().backward()
    g = to_numpy(x.grad)
    assert math.isnan(g[0]) and g[1] == 0.0 and math.isnan(g[2])
    assert g[3] == pytest.approx(math.log(3.0))
    x.grad = None
    ember.xlogy(x, nan).sum().backward()  # a nan number: nan everywhere, x = 0 included
    assert bool(ember.isnan(x.grad).all())
    x.grad = None
    ember.xlogy(x, 2.0).sum().backward()  # an ordinary number: 0 at x = 0, log 2 elsewhere
    np.testing.assert_allclose(to_numpy(x.grad), [0.0, 0.0, math.log(2), math.log(2)])
    # away from the special points the rule still matches finite differences
    a = ember.tensor([0.3, 1.2], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([0.7, 2.5], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(ember.xlogy, (a, b))
    assert ember.autograd.gradgradcheck(ember.xlogy, (a, b))


def test_logaddexp_of_two_minus_infinities():
    a = ember.tensor([-math.inf], requires_grad=True)
    b = ember.tensor([-math.inf], requires_grad=True)
    y = ember.logaddexp(a, b)
    assert y.item() == -math.inf
    y.backward()
    assert a.grad.item() == 0.5 and b.grad.item() == 0.5


def test_prod_gradient_with_zeros_is_exact():
    x = ember.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    y = ember.tensor([0.0, 0.0, 3.0], requires_grad=True)
    y.prod().backward()
    assert y.grad.tolist() == [0.0, 0.0, 0.0]


def test_norm_gradient_at_zero_is_zero():
    x = ember.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_std_gradient_where_std_is_zero_is_zero():
    x = ember.ones(4, requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0] * 4


def test_float16_running_sums_and_products_accumulate_in_float32():
    # PyTorch accumulates half in float (at::acc_type); NumPy's float16 cumsum stalled at 2048
    x = ember.ones(5000, dtype=ember.float16)
    c = x.cumsum(0)
    assert c.dtype is ember.float16 and c[-1].item() == 5000.0 and c[2999].item() == 3000.0
    p = ember.full((20,), 1.5, dtype=ember.float16).cumprod(0)
    assert p.dtype is ember.float16
    assert p[-1].item() == float(np.float16(np.float32(1.5) ** 20))  # 3326, not NumPy's 3324
    assert x.cumsum(0, dtype=ember.float16)[-1].item() == 5000.0


def _warnings_of(fn):
    """The warnings `fn()` lets reach a user (filters as installed, then "always")."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", append=True)
        result = fn()
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


@pytest.mark.parametrize("fn", [
    lambda: ember.zeros(0).mean(),
    lambda: ember.zeros(0, 3).mean(0),
    lambda: ember.nn.functional.mse_loss(ember.zeros(0), ember.zeros(0)),
    lambda: ember.zeros(0).var(),
    lambda: ember.zeros(0, 2).std(0),
])
def test_empty_mean_var_std_are_nan_without_warnings(fn):
    # PyTorch: a reduction over no elements is nan, silently (not NumPy's "Mean of empty slice")
    out, caught = _warnings_of(fn)
    assert bool(out.isnan().all()) and caught == []


@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
def test_var_std_with_no_degrees_of_freedom_warn_once_as_pytorch(op):
    out, caught = _warnings_of(lambda: getattr(ember, op)(ember.ones(1, 3), 0))
    out = out[0] if isinstance(out, tuple) else out
    assert bool(out.isnan().all())
    assert caught == [f"UserWarning: {op}(): degrees of freedom is <= 0. Correction should be "
                      "strictly less than the reduction factor (input numel divided by output "
                      "numel)."]
    _, caught = _warnings_of(lambda: getattr(ember, op)(ember.ones(2, 3), 0))
    assert caught == []

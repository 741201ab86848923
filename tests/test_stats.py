"""ember.stats against NumPy: moments, cov / corrcoef (rows or columns, correction, weights),
median, quantile (every interpolation), histc / histogram / bincount, standardize,
log_likelihood; gradients by gradcheck; input errors."""

import math

import numpy as np
import pytest
import scipy.stats as st

import ember
import ember.distributions as D
from ember import stats
from ember.autograd import gradcheck

from .conftest import to_numpy


def _x(shape=(3, 10), seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _t(a, grad=False):
    return ember.tensor(a, dtype=ember.float64, requires_grad=grad)


def test_mean_var_std():
    x = _x((4, 6))
    np.testing.assert_allclose(to_numpy(stats.mean(_t(x), 1)), x.mean(1))
    np.testing.assert_allclose(to_numpy(stats.var(_t(x), 0)), x.var(0, ddof=1))
    np.testing.assert_allclose(to_numpy(stats.var(_t(x), 0, correction=0)), x.var(0))
    np.testing.assert_allclose(to_numpy(stats.std(_t(x), None, correction=0)), x.std())
    w = np.random.default_rng(1).uniform(size=(4, 6))
    np.testing.assert_allclose(to_numpy(stats.mean(_t(x), 1, weights=_t(w))),
                               np.average(x, 1, w))
    np.testing.assert_allclose(to_numpy(stats.mean([1, 2, 3])), 2.0)
    with pytest.raises(ValueError, match="non-negative"):
        stats.mean(_t(x), weights=-_t(w))
    with pytest.raises(RuntimeError, match=r"mean: shapes \(4, 6\) and \(4,\)"):
        stats.mean(_t(x), 1, weights=_t(w[:, 0]))
    with pytest.raises(RuntimeError, match=r"mean: weights of shape \(2, 4, 6\)"):
        stats.mean(_t(x), 1, weights=_t(np.stack([w, w])))
    np.testing.assert_allclose(to_numpy(stats.mean(_t(x), 1, weights=_t(w[:1]))),
                               np.average(x, 1, np.broadcast_to(w[:1], x.shape)))


@pytest.mark.parametrize("rowvar", [True, False])
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov_matches_numpy(rowvar, correction):
    x = _x((3, 10)) if rowvar else _x((10, 3))
    rng = np.random.default_rng(3)
    fw, aw = rng.integers(0, 4, 10), rng.uniform(0.1, 1, 10)
    got = stats.cov(_t(x), correction=correction, rowvar=rowvar)
    np.testing.assert_allclose(to_numpy(got), np.cov(x, rowvar=rowvar, ddof=correction))
    got = stats.cov(_t(x), correction=correction, rowvar=rowvar, fweights=ember.tensor(fw),
                    aweights=_t(aw))
    np.testing.assert_allclose(to_numpy(got), np.cov(x, rowvar=rowvar, ddof=correction,
                                                     fweights=fw, aweights=aw))
    got = stats.cov(_t(x), correction=correction, rowvar=rowvar, aweights=_t(aw))
    np.testing.assert_allclose(to_numpy(got), np.cov(x, rowvar=rowvar, ddof=correction,
                                                     aweights=aw))


def test_cov_of_one_variable_and_corrcoef():
    x = _x((10,))
    c = stats.cov(_t(x))
    assert c.ndim == 0 and c.item() == pytest.approx(np.var(x, ddof=1))
    m = _x((4, 12))
    np.testing.assert_allclose(to_numpy(stats.corrcoef(_t(m))), np.corrcoef(m), atol=1e-12)
    np.testing.assert_allclose(to_numpy(stats.corrcoef(_t(m.T), rowvar=False)), np.corrcoef(m),
                               atol=1e-12)
    assert stats.corrcoef(_t(x)).item() == pytest.approx(1.0)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: stats.cov(ember.zeros(2, 2, 2)), RuntimeError, "two or fewer dimensions"),
    (lambda: stats.cov(ember.zeros(2, 3), fweights=ember.tensor([1.0, 1.0, 1.0])),
     RuntimeError, "integral dtype"),
    (lambda: stats.cov(ember.zeros(2, 3), fweights=ember.tensor([1, -1, 1])), RuntimeError,
     "cannot be negative"),
    (lambda: stats.cov(ember.zeros(2, 3), fweights=ember.tensor([1, 1])), RuntimeError,
     "same numel"),
    (lambda: stats.cov(ember.zeros(2, 3), aweights=ember.tensor([1.0, -1.0, 1.0])),
     RuntimeError, "cannot be negative"),
    (lambda: stats.cov(ember.zeros(2, 3), aweights=ember.tensor([1, 1, 1])), RuntimeError,
     "floating point"),
    (lambda: stats.quantile(ember.zeros(3), 1.5), RuntimeError, r"range \[0, 1\]"),
    (lambda: stats.quantile(ember.zeros(3), 0.5, interpolation="cubic"), ValueError,
     "interpolation"),
    (lambda: stats.quantile(ember.zeros(0), 0.5), RuntimeError, "non-empty"),
    (lambda: stats.histc(ember.zeros(3), bins=0), RuntimeError, "bins must be > 0"),
    (lambda: stats.histc(ember.zeros(3), min=2, max=1), RuntimeError, "max must be larger"),
    (lambda: stats.histogram(ember.zeros(3), ember.tensor([1.0, 0.0])), RuntimeError,
     "increasing"),
    (lambda: stats.log_likelihood("normal", ember.zeros(3)), TypeError, "Distribution"),
])
def test_invalid_calls_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_median_is_the_lower_median():
    x = _x((4, 6))
    srt = np.sort(x, 1)
    np.testing.assert_allclose(to_numpy(stats.median(_t(x), 1).values), srt[:, 2])
    assert stats.median(_t([3.0, 1.0, 2.0, 4.0])).item() == 2.0


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(interpolation):
    x = _x((3, 7))
    q = np.array([0.0, 0.1, 0.5, 0.77, 1.0])
    got = stats.quantile(_t(x), _t(q), dim=1, interpolation=interpolation)
    np.testing.assert_allclose(to_numpy(got), np.quantile(x, q, axis=1, method=interpolation))
    got = stats.quantile(_t(x), 0.3, interpolation=interpolation)
    assert got.ndim == 0
    assert got.item() == pytest.approx(np.quantile(x, 0.3, method=interpolation))
    got = stats.quantile(_t(x), _t(q), dim=0, keepdim=True, interpolation=interpolation)
    np.testing.assert_allclose(to_numpy(got), np.quantile(x, q, axis=0, keepdims=True,
                                                          method=interpolation))
    ties = stats.quantile(_t([1.0, 2.0, 3.0, 4.0, 5.0]), _t([0.125, 0.375]),
                          interpolation=interpolation)
    np.testing.assert_allclose(to_numpy(ties), np.quantile([1, 2, 3, 4, 5], [0.125, 0.375],
                                                           method=interpolation))


def test_quantile_of_a_slice_with_nan_is_nan_and_gradients():
    x = _t([[1.0, math.nan, 3.0], [1.0, 2.0, 3.0]])
    out = to_numpy(stats.quantile(x, 0.5, dim=1))
    assert math.isnan(out[0]) and out[1] == 2.0
    v = _t(_x((2, 5)), grad=True)
    assert gradcheck(lambda a: stats.quantile(a, _t([0.2, 0.5]), dim=1), (v,))


def test_histc_matches_numpy_and_ignores_outliers():
    x = _x((200,))
    got = to_numpy(stats.histc(_t(x), bins=7, min=-1.5, max=2.0))
    expected, _ = np.histogram(x[(x >= -1.5) & (x <= 2.0)], bins=7, range=(-1.5, 2.0))
    np.testing.assert_array_equal(got, expected)
    got = to_numpy(stats.histc(_t(x), bins=5))
    np.testing.assert_array_equal(got, np.histogram(x, bins=5)[0])
    assert stats.histc(ember.tensor([2.0, 2.0]), bins=4).tolist() == [0.0, 0.0, 2.0, 0.0]


def test_histogram_matches_numpy():
    x = _x((300,))
    w = np.random.default_rng(4).uniform(size=300)
    hist, edges = stats.histogram(_t(x), 6, range=(-2.0, 2.0), weight=_t(w), density=True)
    h, e = np.histogram(x, 6, range=(-2, 2), weights=w, density=True)
    np.testing.assert_allclose(to_numpy(hist), h)
    np.testing.assert_allclose(to_numpy(edges), e)
    custom = _t([-3.0, -1.0, 0.0, 0.5, 3.0])
    hist, _ = stats.histogram(_t(x), custom)
    np.testing.assert_allclose(to_numpy(hist), np.histogram(x, to_numpy(custom))[0])
    hist, edges = stats.histogram(_t(x), 4)
    np.testing.assert_allclose(to_numpy(hist), np.histogram(x, 4)[0])


def test_bincount():
    x = ember.tensor([0, 1, 1, 3])
    assert stats.bincount(x).tolist() == [1, 2, 0, 1]
    assert stats.bincount(x, minlength=6).tolist() == [1, 2, 0, 1, 0, 0]
    np.testing.assert_allclose(to_numpy(stats.bincount(x, weights=_t([0.5, 1.0, 2.0, 4.0]))),
                               [0.5, 3.0, 0.0, 4.0])


def test_standardize():
    x = _x((50, 3)) * [1.0, 10.0, 0.1] + [5.0, -2.0, 0.0]
    z = to_numpy(stats.standardize(_t(x)))
    np.testing.assert_allclose(z, (x - x.mean(0)) / x.std(0, ddof=1))
    z0 = to_numpy(stats.standardize(_t(x), correction=0))
    np.testing.assert_allclose(z0.std(0), 1.0)
    const = to_numpy(stats.standardize(_t([[1.0, 2.0], [1.0, 3.0]])))
    np.testing.assert_array_equal(const[:, 0], [0.0, 0.0])
    v = _t(_x((6, 2)), grad=True)
    assert gradcheck(lambda a: stats.standardize(a), (v,))


def test_gradients_of_cov_and_corrcoef():
    v = _t(_x((3, 6)), grad=True)
    aw = _t(np.random.default_rng(5).uniform(0.2, 1, 6))
    assert gradcheck(lambda a: stats.cov(a, aweights=aw), (v,))
    assert gradcheck(lambda a: stats.corrcoef(a), (v,))
    assert gradcheck(lambda a: stats.mean(a, 1, weights=aw), (v,))


def test_log_likelihood():
    d = D.Normal(_t([0.0, 1.0]), _t([1.0, 2.0]))
    x = _x((5, 2))
    assert stats.log_likelihood(d, _t(x)).item() == pytest.approx(
        st.norm([0, 1], [1, 2]).logpdf(x).sum())


def test_gradients_of_moments_median_and_log_likelihood():
    v = _t(_x((3, 6), seed=7), grad=True)
    assert gradcheck(lambda a: stats.mean(a, 1), (v,))
    assert gradcheck(lambda a: stats.var(a, 1), (v,))
    assert gradcheck(lambda a: stats.var(a, None, correction=0), (v,))
    assert gradcheck(lambda a: stats.std(a, 0), (v,))
    assert gradcheck(lambda a: stats.median(a, 1).values, (v,))
    assert gradcheck(lambda a: stats.median(a), (v,))
    loc, scale = _t([0.3, -0.2], grad=True), _t([1.1, 0.7], grad=True)
    data = _t(_x((8, 2), seed=8))
    assert gradcheck(lambda m, s: stats.log_likelihood(D.Normal(m, s), data), (loc, scale))
    # d/dloc sum log N(x; loc, s) = sum(x - loc) / s^2
    stats.log_likelihood(D.Normal(loc, scale), data).backward()
    np.testing.assert_allclose(to_numpy(loc.grad), (to_numpy(data) - [0.3, -0.2]).sum(0)
                               / np.array([1.1, 0.7]) ** 2)

"""The private ops behind the distributions: the regularised incomplete gamma function (value,
derivative in the shape against mpmath, inverse), and the Cholesky / triangular-solve ops."""

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.special as ss

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.backend import cpu
from ember.distributions._linalg import cholesky, solve_triangular
from ember.distributions._special import GammaInc, GammaIncInv, gammainc_parts, gammaincinv_array

from ..conftest import to_numpy


def _grid():
    rng = np.random.default_rng(0)
    a = np.exp(rng.uniform(math.log(0.05), math.log(500), 2000))
    x = ss.gammaincinv(a, rng.uniform(0.001, 0.999, 2000)) * np.exp(rng.normal(0, 0.2, 2000))
    return a, x


def test_incomplete_gamma_matches_scipy():
    a, x = _grid()
    p, q, _ = gammainc_parts(cpu.special, np, a, x)
    np.testing.assert_allclose(p, ss.gammainc(a, x), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(q, ss.gammaincc(a, x), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("a,x", [(0.3, 0.1), (0.05, 3.0), (2.5, 7.0), (50.0, 40.0),
                                 (50.0, 70.0), (400.0, 380.0)])
def test_derivative_in_the_shape_matches_mpmath(a, x):
    _, _, dp = gammainc_parts(cpu.special, np, np.array([a]), np.array([x]))
    ref = float(mp.diff(lambda s: mp.gammainc(s, 0, x, regularized=True), a))
    assert dp[0] == pytest.approx(ref, rel=1e-9)


def test_inverse_incomplete_gamma_matches_scipy():
    rng = np.random.default_rng(1)
    a = np.exp(rng.uniform(math.log(0.01), math.log(1000), 5000))
    u = rng.uniform(0, 1, 5000)
    x = gammaincinv_array(cpu.special, np, a, u)
    np.testing.assert_allclose(x, ss.gammaincinv(a, u), rtol=1e-10)
    edge = gammaincinv_array(cpu.special, np, np.array([2.0, 2.0, -1.0]), np.array([0.0, 1.0,
                                                                                    0.5]))
    assert edge[0] == 0 and edge[1] == np.inf and np.isnan(edge[2])


def test_incomplete_gamma_ops_gradcheck():
    a = ember.tensor([0.7, 2.0, 9.0], dtype=ember.float64, requires_grad=True)
    x = ember.tensor([0.3, 2.5, 12.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda s, t: GammaInc.apply(s, t, False), (a, x))
    assert gradcheck(lambda s, t: GammaInc.apply(s, t, True), (a, x))
    u = ember.tensor([0.1, 0.5, 0.97], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda s, v: GammaIncInv.apply(s, v), (a, u))


def test_gamma_and_poisson_cdfs_beyond_pytorch():
    import ember.distributions as D
    g = D.Gamma(ember.tensor([0.5, 3.0], dtype=ember.float64), 2.0)
    x = ember.tensor([0.2, 1.7], dtype=ember.float64)
    np.testing.assert_allclose(to_numpy(g.cdf(x)), ss.gammainc([0.5, 3.0], [0.4, 3.4]))
    np.testing.assert_allclose(to_numpy(g.icdf(g.cdf(x))), to_numpy(x), rtol=1e-10)
    p = D.Poisson(ember.tensor(250.0, dtype=ember.float64))
    k = ember.tensor([200.0, 250.0, 330.0], dtype=ember.float64)
    import scipy.stats as st
    np.testing.assert_allclose(to_numpy(p.cdf(k)), st.poisson(250).cdf([200, 250, 330]),
                               rtol=1e-9)
    big = D.Poisson(ember.tensor([2000.0], dtype=ember.float64))
    assert big.entropy().item() == pytest.approx(st.poisson(2000).entropy(), rel=1e-10)


def test_cholesky_and_triangular_solve_gradients():
    rng = np.random.default_rng(2)
    a = ember.tensor(rng.normal(size=(2, 3, 3)), dtype=ember.float64, requires_grad=True)
    eye = ember.eye(3, dtype=ember.float64)

    def chol(m):
        return cholesky(m @ m.mT + eye)

    assert gradcheck(chol, (a,))
    assert gradgradcheck(chol, (a,))
    low = ember.tensor(np.tril(rng.normal(size=(2, 3, 3))) + 3 * np.eye(3), dtype=ember.float64,
                       requires_grad=True)
    b = ember.tensor(rng.normal(size=(4, 1, 3, 2)), dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda m, v: solve_triangular(m, v, upper=False), (low, b))
    assert gradcheck(lambda m, v: solve_triangular(m.mT, v, upper=True), (low, b))
    assert gradgradcheck(lambda m, v: solve_triangular(m, v, upper=False), (low, b))
    sol = solve_triangular(low, b, upper=False)
    np.testing.assert_allclose(to_numpy(low @ sol), np.broadcast_to(to_numpy(b), (4, 2, 3, 2)),
                               atol=1e-12)


def test_cholesky_of_a_matrix_that_is_not_positive_definite_raises():
    with pytest.raises(ValueError, match="not positive definite"):
        cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        cholesky(ember.zeros(2, 3))

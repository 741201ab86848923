"""Transforms (inverse, log |det J| against autograd and finite differences), the
change-of-variables formula of TransformedDistribution against known densities (LogNormal as
exp of a Normal, logit-normal as sigmoid of a Normal, Weibull as a power of an Exponential),
and biject_to / transform_to."""

import math

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import expit

import ember
import ember.distributions as D
from ember.autograd import gradcheck
from ember.distributions import constraints
from ember.distributions import transforms as T

from ..conftest import to_numpy

RNG_SEED = 7

SCALAR = [
    ("Exp", T.ExpTransform(), (-2, 2)),
    ("Sigmoid", T.SigmoidTransform(), (-4, 4)),
    ("Tanh", T.TanhTransform(), (-2, 2)),
    ("Softplus", T.SoftplusTransform(), (-4, 4)),
    ("Power 2.5", T.PowerTransform(2.5), (0.2, 3)),
    ("Power -0.5", T.PowerTransform(-0.5), (0.2, 3)),
    ("Affine", T.AffineTransform(1.5, -2.0), (-2, 2)),
    ("Compose", T.ComposeTransform([T.AffineTransform(0.5, 3.0), T.SigmoidTransform()]),
     (-1, 1)),
    ("Exp.inv", T.ExpTransform().inv, (0.2, 3)),
    ("Sigmoid.inv", T.SigmoidTransform().inv, (0.05, 0.95)),
    ("Tanh.inv", T.TanhTransform().inv, (-0.9, 0.9)),
    ("Softplus.inv", T.SoftplusTransform().inv, (0.2, 3)),
    ("Power 2.5.inv", T.PowerTransform(2.5).inv, (0.2, 3)),
    ("Affine.inv", T.AffineTransform(1.5, -2.0).inv, (-2, 2)),
    ("Compose.inv", T.ComposeTransform([T.AffineTransform(0.5, 3.0), T.SigmoidTransform()]).inv,
     (0.1, 0.9)),
]


def _x(domain, shape=(4, 3)):
    return ember.tensor(np.random.default_rng(RNG_SEED).uniform(*domain, shape),
                        dtype=ember.float64)


@pytest.mark.parametrize("t,domain", [pytest.param(t, d, id=n) for n, t, d in SCALAR])
def test_scalar_transform_inverse_and_log_det_jacobian(t, domain):
    x = _x(domain).requires_grad_(True)
    y = t(x)
    np.testing.assert_allclose(to_numpy(t.inv(y)), to_numpy(x), rtol=1e-10, atol=1e-12)
    (dy,) = ember.autograd.grad(y.sum(), x)  # elementwise: the Jacobian is diagonal
    np.testing.assert_allclose(to_numpy(t.log_abs_det_jacobian(x, y)),
                               np.log(np.abs(to_numpy(dy))), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(to_numpy(t.inv.log_abs_det_jacobian(y, x)),
                               -to_numpy(t.log_abs_det_jacobian(x, y)), atol=1e-12)
    assert t.inv.inv is t or t.inv.inv == t
    assert gradcheck(lambda v: t.log_abs_det_jacobian(v, t(v)), (x,))


def _numerical_jacobian(f, x, eps=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.stack(cols, -1)


def test_stick_breaking_maps_onto_the_simplex_with_the_right_log_det():
    t = T.StickBreakingTransform()
    x = np.random.default_rng(1).normal(size=3)
    y = t(ember.tensor(x, dtype=ember.float64))
    yv = to_numpy(y)
    assert yv.shape == (4,) and np.all(yv > 0) and yv.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(to_numpy(t.inv(y)), x, rtol=1e-9)
    jac = _numerical_jacobian(lambda v: to_numpy(t(ember.tensor(v, dtype=ember.float64)))[:-1],
                              x)
    ld = float(t.log_abs_det_jacobian(ember.tensor(x, dtype=ember.float64), y).item())
    assert ld == pytest.approx(math.log(abs(np.linalg.det(jac))), rel=1e-6)
    zero = to_numpy(t(ember.zeros(3, dtype=ember.float64)))
    np.testing.assert_allclose(zero, np.full(4, 0.25))


def test_affine_with_event_dim_sums_the_log_det():
    scale = ember.tensor([2.0, -3.0], dtype=ember.float64)
    t = T.AffineTransform(0.0, scale, event_dim=1)
    x = ember.zeros(5, 2, dtype=ember.float64)
    ld = t.log_abs_det_jacobian(x, t(x))
    assert tuple(ld.shape) == (5,)
    np.testing.assert_allclose(to_numpy(ld), math.log(6.0))


def test_compose_of_transforms_and_its_inverse():
    t = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)])
    x = _x((-1, 1))
    y = t(x)
    np.testing.assert_allclose(to_numpy(y), 1 + 2 * np.exp(to_numpy(x)))
    np.testing.assert_allclose(to_numpy(t.inv(y)), to_numpy(x))
    np.testing.assert_allclose(to_numpy(t.log_abs_det_jacobian(x, y)),
                               to_numpy(x) + math.log(2))
    assert t.inv.inv is t
    assert T.identity_transform(x) is x or bool((T.identity_transform(x) == x).all())
    assert t.bijective and t.sign == 1


def test_cache_returns_the_exact_input_for_its_own_output():
    t = T.SigmoidTransform(cache_size=1)
    x = ember.tensor([40.0], dtype=ember.float64)
    y = t(x)
    assert t.inv(y) is x


def _normal(loc, scale):
    return D.Normal(ember.tensor(loc, dtype=ember.float64),
                    ember.tensor(scale, dtype=ember.float64))


LOC, SCALE = np.array([0.3, -0.4]), np.array([0.7, 1.3])


def test_lognormal_is_exp_of_a_normal():
    y = np.random.default_rng(2).uniform(0.1, 4, (6, 2))
    yt = ember.tensor(y, dtype=ember.float64)
    td = D.TransformedDistribution(_normal(LOC, SCALE), [T.ExpTransform()])
    ref = st.lognorm(SCALE, scale=np.exp(LOC))
    np.testing.assert_allclose(to_numpy(td.log_prob(yt)), ref.logpdf(y), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(D.LogNormal(ember.tensor(LOC), ember.tensor(SCALE))
                                        .log_prob(yt)), ref.logpdf(y), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(td.cdf(yt)), ref.cdf(y), rtol=1e-10)
    u = ember.tensor([[0.1, 0.9]], dtype=ember.float64)
    np.testing.assert_allclose(to_numpy(td.icdf(u)), ref.ppf([[0.1, 0.9]]), rtol=1e-9)
    assert td.support is constraints.positive or isinstance(td.support, type(
        constraints.positive))


def test_logit_normal_is_sigmoid_of_a_normal():
    y = np.random.default_rng(3).uniform(0.02, 0.98, (6, 2))
    td = D.TransformedDistribution(_normal(LOC, SCALE), T.SigmoidTransform())
    logit = np.log(y / (1 - y))
    expected = st.norm(LOC, SCALE).logpdf(logit) - np.log(y * (1 - y))
    np.testing.assert_allclose(to_numpy(td.log_prob(ember.tensor(y, dtype=ember.float64))),
                               expected, rtol=1e-9)
    ember.manual_seed(0)
    x = to_numpy(td.sample((100_000,)))
    assert np.all((x > 0) & (x < 1))
    mean = [st.norm(m, s).expect(expit) for m, s in zip(LOC, SCALE)]
    np.testing.assert_allclose(x.mean(0), mean, atol=5 * x.std(0).max() / math.sqrt(1e5))


def test_weibull_as_a_power_of_an_exponential():
    k, lam = 1.7, 2.5
    base = D.Exponential(ember.tensor(1.0, dtype=ember.float64))
    td = D.TransformedDistribution(base, [T.PowerTransform(1 / k), T.AffineTransform(0.0, lam)])
    y = np.linspace(0.1, 6, 7)
    ref = st.weibull_min(k, scale=lam)
    yt = ember.tensor(y, dtype=ember.float64)
    np.testing.assert_allclose(to_numpy(td.log_prob(yt)), ref.logpdf(y), rtol=1e-9)
    np.testing.assert_allclose(to_numpy(td.cdf(yt)), ref.cdf(y), rtol=1e-9)


def test_tanh_normal_density_and_decreasing_affine_cdf():
    y = np.array([-0.9, -0.2, 0.4, 0.95])
    td = D.TransformedDistribution(_normal(0.2, 0.8), T.TanhTransform())
    expected = st.norm(0.2, 0.8).logpdf(np.arctanh(y)) - np.log(1 - y ** 2)
    np.testing.assert_allclose(to_numpy(td.log_prob(ember.tensor(y, dtype=ember.float64))),
                               expected, rtol=1e-9)
    flipped = D.TransformedDistribution(_normal(0.2, 0.8), T.AffineTransform(1.0, -2.0))
    ref = st.norm(1.0 - 0.4, 1.6)
    yt = ember.tensor(y, dtype=ember.float64)
    np.testing.assert_allclose(to_numpy(flipped.log_prob(yt)), ref.logpdf(y), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(flipped.cdf(yt)), ref.cdf(y), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(flipped.icdf(ember.tensor([0.25], dtype=ember.float64))),
                               ref.ppf([0.25]), rtol=1e-10)


def test_softplus_of_a_normal_density():
    y = np.array([0.1, 0.7, 2.5])
    td = D.TransformedDistribution(_normal(0.0, 1.0), T.SoftplusTransform())
    x = np.log(np.expm1(y))
    expected = st.norm().logpdf(x) - np.log(1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(to_numpy(td.log_prob(ember.tensor(y, dtype=ember.float64))),
                               expected, rtol=1e-9)


def test_transformed_rsample_is_differentiable():
    loc = ember.tensor([0.1, 0.4], dtype=ember.float64, requires_grad=True)
    scale = ember.tensor([0.5, 1.1], dtype=ember.float64, requires_grad=True)

    def f(m, s):
        ember.manual_seed(4)
        return D.TransformedDistribution(D.Normal(m, s), [T.SigmoidTransform()]).rsample((3,))

    assert gradcheck(f, (loc, scale))


TD_CASES = [
    ("Sigmoid", lambda: T.SigmoidTransform(), [0.1, 0.5, 0.9]),
    ("Tanh", lambda: T.TanhTransform(), [-0.8, 0.1, 0.6]),
    ("Softplus", lambda: T.SoftplusTransform(), [0.2, 1.0, 3.0]),
    ("Exp then Power -0.5", lambda: [T.ExpTransform(), T.PowerTransform(-0.5)], [0.5, 1.0, 2.0]),
    ("Affine then Exp", lambda: T.ComposeTransform([T.AffineTransform(0.5, -2.0),
                                                    T.ExpTransform()]), [0.3, 1.0, 4.0]),
]


@pytest.mark.parametrize("make,y", [pytest.param(m, y, id=n) for n, m, y in TD_CASES])
def test_transformed_log_prob_and_cdf_gradients_in_the_base_parameters(make, y):
    loc = ember.tensor(0.2, dtype=ember.float64, requires_grad=True)
    scale = ember.tensor(0.9, dtype=ember.float64, requires_grad=True)
    yt = ember.tensor(y, dtype=ember.float64)

    def td(m, s):
        return D.TransformedDistribution(D.Normal(m, s), make())

    assert gradcheck(lambda m, s: td(m, s).log_prob(yt), (loc, scale))
    assert gradcheck(lambda m, s: td(m, s).cdf(yt), (loc, scale))
    # the cdf is increasing in y whatever the transforms' signs
    assert np.all(np.diff(to_numpy(td(loc, scale).cdf(yt))) > 0)


def test_transformed_distribution_shapes_with_event_dims():
    base = D.Normal(ember.zeros(4, 3), ember.ones(4, 3))
    td = D.TransformedDistribution(base, T.AffineTransform(0.0, ember.ones(3), event_dim=1))
    assert td.batch_shape == (4,) and td.event_shape == (3,)
    assert tuple(td.log_prob(td.sample((2,))).shape) == (2, 4)
    assert td.expand((5, 4)).batch_shape == (5, 4)


CONSTRAINTS = [
    ("real", constraints.real, (3,)),
    ("positive", constraints.positive, (3,)),
    ("greater_than", constraints.greater_than(2.0), (3,)),
    ("less_than", constraints.less_than(-1.0), (3,)),
    ("unit_interval", constraints.unit_interval, (3,)),
    ("interval", constraints.interval(-2.0, 5.0), (3,)),
    ("simplex", constraints.simplex, (2, 3)),
    ("lower_cholesky", constraints.lower_cholesky, (2, 3, 3)),
    ("positive_definite", constraints.positive_definite, (2, 3, 3)),
    ("independent positive", constraints.independent(constraints.positive, 1), (2, 3)),
]


@pytest.mark.parametrize("c,shape", [pytest.param(c, s, id=n) for n, c, s in CONSTRAINTS])
def test_biject_to_and_transform_to_land_in_the_constraint(c, shape):
    x = ember.tensor(np.random.default_rng(5).normal(size=shape), dtype=ember.float64)
    if c.event_dim == 2:
        x = x.tril()  # only the lower triangle parameterises a Cholesky factor
    for registry in (D.biject_to, D.transform_to):
        t = registry(c)
        y = t(x)
        assert bool(c.check(y).all()), (registry, y)
        if registry is D.biject_to and c is not constraints.simplex:
            np.testing.assert_allclose(to_numpy(t.inv(y)), to_numpy(x), rtol=1e-8, atol=1e-10)
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        D.biject_to(constraints.boolean)

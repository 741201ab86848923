"""Closed-form maximum likelihood (Family.fit) recovers the parameters of synthetic data and
equals the textbook formulas; ember.stats.mle (gradient ascent) agrees with fit and with
SciPy's numerical fits; GaussianMixture.fit (EM) recovers well-separated components."""

import math

import numpy as np
import pytest
import scipy.stats as st

import ember
import ember.distributions as D
from ember import stats

from ..conftest import to_numpy

N = 20_000


def _draws(dist, n=N, seed=3):
    ember.manual_seed(seed)
    return dist.sample((n,))


def _f64(*values):
    return [ember.tensor(v, dtype=ember.float64) for v in values]


# name, true distribution, fit call, {attribute: true value}, tolerance (absolute)
FITS = [
    ("Normal", D.Normal(*_f64([1.0, -2.0], [0.5, 3.0])), lambda x: D.Normal.fit(x),
     {"loc": [1.0, -2.0], "scale": [0.5, 3.0]}, 0.08),
    ("LogNormal", D.LogNormal(*_f64(0.3, 0.4)), lambda x: D.LogNormal.fit(x),
     {"loc": 0.3, "scale": 0.4}, 0.02),
    ("Exponential", D.Exponential(*_f64(2.5)), lambda x: D.Exponential.fit(x),
     {"rate": 2.5}, 0.08),
    ("Laplace", D.Laplace(*_f64(1.5, 0.7)), lambda x: D.Laplace.fit(x),
     {"loc": 1.5, "scale": 0.7}, 0.03),
    ("Uniform", D.Uniform(*_f64(-1.0, 3.0)), lambda x: D.Uniform.fit(x),
     {"low": -1.0, "high": 3.0}, 0.01),
    ("Bernoulli", D.Bernoulli(*_f64(0.3)), lambda x: D.Bernoulli.fit(x), {"probs": 0.3}, 0.02),
    ("Binomial", D.Binomial(10, *_f64(0.35)), lambda x: D.Binomial.fit(x, 10),
     {"probs": 0.35}, 0.01),
    ("Categorical", D.Categorical(*_f64([0.1, 0.2, 0.3, 0.4])),
     lambda x: D.Categorical.fit(x, 4), {"probs": [0.1, 0.2, 0.3, 0.4]}, 0.02),
    ("Poisson", D.Poisson(*_f64(4.2)), lambda x: D.Poisson.fit(x), {"rate": 4.2}, 0.08),
    ("Geometric", D.Geometric(*_f64(0.3)), lambda x: D.Geometric.fit(x), {"probs": 0.3}, 0.02),
    ("MultivariateNormal",
     D.MultivariateNormal(*_f64([1.0, -1.0], [[2.0, 0.6], [0.6, 1.0]])),
     lambda x: D.MultivariateNormal.fit(x),
     {"loc": [1.0, -1.0], "covariance_matrix": [[2.0, 0.6], [0.6, 1.0]]}, 0.08),
]


@pytest.mark.parametrize("true,fit,expected,tol", [pytest.param(d, f, e, t, id=n)
                                                   for n, d, f, e, t in FITS])
def test_fit_recovers_the_parameters_of_synthetic_data(true, fit, expected, tol):
    fitted = fit(_draws(true))
    assert type(fitted) is type(true)
    for name, value in expected.items():
        np.testing.assert_allclose(to_numpy(getattr(fitted, name)), value, atol=tol)


def test_fit_equals_the_closed_forms():
    x = np.random.default_rng(0).normal(2.0, 1.5, (50, 3))
    xt = ember.tensor(x, dtype=ember.float64)
    n = D.Normal.fit(xt)
    np.testing.assert_allclose(to_numpy(n.loc), x.mean(0))
    np.testing.assert_allclose(to_numpy(n.scale), x.std(0))  # the biased MLE
    mvn = D.MultivariateNormal.fit(xt)
    np.testing.assert_allclose(to_numpy(mvn.covariance_matrix), np.cov(x.T, bias=True))
    unbiased = D.MultivariateNormal.fit(xt, unbiased=True)
    np.testing.assert_allclose(to_numpy(unbiased.covariance_matrix), np.cov(x.T))
    # observations along dim 1
    np.testing.assert_allclose(to_numpy(D.Normal.fit(xt.mT, dim=1).loc), x.mean(0))
    np.testing.assert_allclose(to_numpy(D.MultivariateNormal.fit(
        xt.unsqueeze(0).expand((2, 50, 3)), dim=1).loc), np.tile(x.mean(0), (2, 1)))
    pos = np.abs(x) + 0.1
    lap = D.Laplace.fit(ember.tensor(pos[:, 0], dtype=ember.float64))
    med = np.sort(pos[:, 0])[24]  # the lower median of 50
    assert lap.loc.item() == pytest.approx(med)
    assert lap.scale.item() == pytest.approx(np.abs(pos[:, 0] - med).mean())


@pytest.mark.parametrize("call,match", [
    (lambda: D.Normal.fit(ember.zeros(0)), "no observations"),
    (lambda: D.Categorical.fit(ember.tensor([0, 5]), 3), "labels"),
    (lambda: D.MultivariateNormal.fit(ember.zeros(1, 2), unbiased=True), "at least 2"),
    # data the family cannot produce: ValueError naming the fit and the support
    (lambda: D.LogNormal.fit(ember.tensor([1.0, -1.0])),
     r"LogNormal\.fit: .*support GreaterThan.*\[-1\.0\]"),
    (lambda: D.Exponential.fit(ember.tensor([1.0, -2.0])), r"Exponential\.fit: .*support"),
    (lambda: D.Poisson.fit(ember.tensor([1.0, 2.5])), r"Poisson\.fit: .*\[2\.5\]"),
    (lambda: D.Geometric.fit(ember.tensor([-1.0, 2.0])), r"Geometric\.fit: .*support"),
    (lambda: D.Bernoulli.fit(ember.tensor([0.0, 0.5, 1.0])), r"Bernoulli\.fit: .*Boolean"),
    (lambda: D.Binomial.fit(ember.tensor([1.0, 5.0]), 3),
     r"Binomial\.fit: .*IntegerInterval.*upper_bound=3"),
    (lambda: D.Categorical.fit(ember.tensor([0.0, 1.5])), r"Categorical\.fit: .*\[1\.5\]"),
    (lambda: D.Normal.fit(ember.tensor([1.0, math.nan])), r"Normal\.fit: .*Real"),
    (lambda: D.Laplace.fit(ember.tensor([1.0, math.nan])), r"Laplace\.fit: .*Real"),
    (lambda: D.Uniform.fit(ember.tensor([1.0, math.nan])), r"Uniform\.fit: .*Real"),
    (lambda: D.MultivariateNormal.fit(ember.tensor([[0.0, math.nan], [1.0, 2.0], [2.0, 1.0]])),
     r"MultivariateNormal\.fit: .*Real"),
])
def test_fit_rejects_bad_data(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# family, true distribution, init
MLE = [
    ("Normal", D.Normal(*_f64(1.0, 2.0)), {"loc": 0.0, "scale": 1.0}),
    ("Exponential", D.Exponential(*_f64(2.5)), {"rate": 1.0}),
    ("Poisson", D.Poisson(*_f64(4.2)), {"rate": 1.0}),
    ("Bernoulli", D.Bernoulli(*_f64(0.3)), {"probs": 0.5}),
    ("Geometric", D.Geometric(*_f64(0.3)), {"probs": 0.5}),
    ("LogNormal", D.LogNormal(*_f64(0.3, 0.4)), {"loc": 0.0, "scale": 1.0}),
    ("Categorical", D.Categorical(*_f64([0.1, 0.2, 0.3, 0.4])), {"probs": [0.25] * 4}),
]


@pytest.mark.parametrize("true,init", [pytest.param(d, i, id=n) for n, d, i in MLE])
def test_mle_matches_the_closed_form_fit(true, init):
    x = _draws(true, 5000)
    family = type(true)
    fitted = family.fit(x, 4) if family is D.Categorical else family.fit(x)
    est = stats.mle(family, x, init, steps=600)
    for name in init:
        np.testing.assert_allclose(to_numpy(getattr(est, name)), to_numpy(getattr(fitted, name)),
                                   rtol=2e-3, atol=2e-4)


def test_mle_of_a_laplace_is_the_median_and_the_mean_absolute_deviation():
    # an odd count, so the median (the MLE of loc) is unique; log_prob is not smooth in loc
    x = _draws(D.Laplace(*_f64(1.5, 0.7)), 5001)
    fitted = D.Laplace.fit(x)
    est = stats.mle(D.Laplace, x, {"loc": 0.0, "scale": 1.0}, steps=600)
    assert est.loc.item() == pytest.approx(fitted.loc.item(), abs=1e-4)
    assert est.scale.item() == pytest.approx(fitted.scale.item(), rel=1e-4)


def test_mle_of_a_multivariate_normal_through_its_cholesky_factor():
    true = D.MultivariateNormal(*_f64([1.0, -1.0], [[2.0, 0.6], [0.6, 1.0]]))
    x = _draws(true, 3000)
    fitted = D.MultivariateNormal.fit(x)
    est = stats.mle(D.MultivariateNormal, x, {"loc": [0.0, 0.0], "scale_tril": np.eye(2)},
                    steps=500, lr=0.1)
    np.testing.assert_allclose(to_numpy(est.loc), to_numpy(fitted.loc), atol=2e-3)
    np.testing.assert_allclose(to_numpy(est.covariance_matrix),
                               to_numpy(fitted.covariance_matrix), atol=5e-3)


def test_mle_without_closed_form_matches_scipy_fit():
    g = to_numpy(_draws(D.Gamma(*_f64(2.5, 1.5)), 2000))
    est = stats.mle(D.Gamma, g, {"concentration": 1.0, "rate": 1.0}, steps=500, lr=0.1)
    a, _, scale = st.gamma.fit(g, floc=0)
    assert est.concentration.item() == pytest.approx(a, rel=2e-3)
    assert est.rate.item() == pytest.approx(1 / scale, rel=2e-3)
    b = to_numpy(_draws(D.Beta(*_f64(2.0, 5.0)), 2000))
    est = stats.mle(D.Beta, b, {"concentration1": 1.0, "concentration0": 1.0}, steps=500,
                    lr=0.1)
    a1, a0, _, _ = st.beta.fit(b, floc=0, fscale=1)
    assert est.concentration1.item() == pytest.approx(a1, rel=2e-3)
    assert est.concentration0.item() == pytest.approx(a0, rel=2e-3)


def test_mle_with_fixed_parameters_and_a_custom_optimizer():
    x = _draws(D.Binomial(12, *_f64(0.4)), 3000)

    class SGD:
        def __init__(self, params):
            self.params = params

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            with ember.no_grad():
                for p in self.params:
                    p.data = p.data - 0.5 * p.grad

    est = stats.mle(D.Binomial, x, {"probs": 0.5}, steps=300, optimizer=SGD,
                    fixed={"total_count": 12})
    assert est.probs.item() == pytest.approx(D.Binomial.fit(x, 12).probs.item(), rel=1e-4)


def test_mle_with_an_ember_optim_optimizer():
    x = _draws(D.Normal(*_f64(1.0, 2.0)), 2000)
    fitted = D.Normal.fit(x)
    est = stats.mle(D.Normal, x, {"loc": 0.0, "scale": 1.0}, steps=400,
                    optimizer=lambda ps: ember.optim.Adam(ps, lr=0.05))
    assert est.loc.item() == pytest.approx(fitted.loc.item(), rel=1e-3)
    assert est.scale.item() == pytest.approx(fitted.scale.item(), rel=1e-3)


def test_mle_keeps_parameters_in_their_constraint_sets():
    x = ember.tensor([0.01, 0.02, 0.015], dtype=ember.float64)
    est = stats.mle(D.Exponential, x, {"rate": 1.0}, steps=200, lr=0.5)
    assert est.rate.item() > 0
    est = stats.mle(D.Normal, x, {"loc": 0.0, "scale": 10.0}, steps=300, lr=0.5, tol=1e-12)
    assert est.scale.item() > 0


def test_mle_errors():
    x = ember.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="no parameter 'mean'"):
        stats.mle(D.Normal, x, {"mean": 0.0})
    with pytest.raises(ValueError, match="Uniform.fit"):
        stats.mle(D.Uniform, x, {"low": 0.0, "high": 3.0})
    with pytest.raises(ValueError, match="outside the constraint"):
        stats.mle(D.Normal, x, {"loc": 0.0, "scale": -1.0})
    with pytest.raises(TypeError, match="Distribution class"):
        stats.mle(D.Normal(0.0, 1.0), x, {"loc": 0.0})
    with pytest.raises(ValueError, match=r"mle: the data cannot come from Exponential: .*support"):
        stats.mle(D.Exponential, ember.tensor([-1.0, 1.0]), {"rate": 1.0})
    with pytest.raises(ValueError, match=r"mle: the data cannot come from Binomial: .*support"):
        stats.mle(D.Binomial, ember.tensor([1.0, 13.0]), {"probs": 0.5},
                  fixed={"total_count": 12})
    with pytest.raises(ValueError, match=r"mle: .*event_shape"):
        stats.mle(D.MultivariateNormal, ember.zeros(4, 3),
                  {"loc": [0.0, 0.0], "scale_tril": np.eye(2)})


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[-6.0, 0.0], [0.0, 6.0], [6.0, -1.0]])
    covs = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.6, 0.0], [0.0, 1.2]], [[0.8, -0.2],
                                                                          [-0.2, 0.4]]])
    sizes = [600, 900, 1500]
    x = np.concatenate([rng.multivariate_normal(m, c, n) for m, c, n in zip(means, covs, sizes)])
    return x, means, covs, np.array(sizes) / sum(sizes)


def test_gaussian_mixture_em_recovers_well_separated_components():
    x, means, covs, weights = _blobs()
    gm = D.GaussianMixture.fit(ember.tensor(x, dtype=ember.float64), 3, seed=1)
    assert isinstance(gm, D.MixtureSameFamily) and gm.converged_
    order = np.argsort(to_numpy(gm.means)[:, 0])
    np.testing.assert_allclose(to_numpy(gm.means)[order], means, atol=0.15)
    np.testing.assert_allclose(to_numpy(gm.covariances)[order], covs, atol=0.15)
    np.testing.assert_allclose(to_numpy(gm.weights)[order], weights, atol=0.01)
    labels = to_numpy(gm.predict(ember.tensor(x, dtype=ember.float64)))
    truth = np.repeat(np.arange(3), [600, 900, 1500])
    rank = np.argsort(order)  # component -> its position in the sorted order
    assert (rank[labels] == truth).mean() > 0.99
    ll = gm.log_prob(ember.tensor(x, dtype=ember.float64)).mean().item()
    assert ll == pytest.approx(gm.lower_bound_, abs=1e-4)


def test_gaussian_mixture_em_in_one_dimension_and_reproducibility():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-4, 1.0, 1000), rng.normal(3, 0.5, 500)])
    xt = ember.tensor(x, dtype=ember.float64)
    a = D.GaussianMixture.fit(xt, 2, seed=7)
    b = D.GaussianMixture.fit(xt, 2, seed=7)
    np.testing.assert_array_equal(to_numpy(a.means), to_numpy(b.means))
    order = np.argsort(to_numpy(a.means))
    np.testing.assert_allclose(to_numpy(a.means)[order], [-4, 3], atol=0.1)
    np.testing.assert_allclose(np.sqrt(to_numpy(a.covariances))[order], [1.0, 0.5], atol=0.06)
    assert isinstance(a.component_distribution, D.Normal)
    assert a.event_shape == ()
    assert a.sample((5,)).shape == (5,)


def test_gaussian_mixture_regularises_a_component_on_one_point():
    x = ember.tensor([[0.0, 0.0]] * 20 + [[5.0, 5.0], [5.1, 4.9], [4.8, 5.2]],
                     dtype=ember.float64)
    gm = D.GaussianMixture.fit(x, 2, reg=1e-3)
    assert bool(ember.isfinite(gm.log_prob(x)).all())


def test_gaussian_mixture_errors():
    with pytest.raises(ValueError, match="cannot fit 3 components"):
        D.GaussianMixture.fit(ember.zeros(2, 2), 3)
    with pytest.raises(ValueError, match="positive int"):
        D.GaussianMixture.fit(ember.zeros(4, 2), 0)
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, D\)"):
        D.GaussianMixture.fit(ember.zeros(4, 2, 2), 2)


def test_mixture_of_multivariate_normals_log_prob_and_sample():
    w = ember.tensor([0.3, 0.7], dtype=ember.float64)
    m = ember.tensor([[0.0, 0.0], [3.0, 1.0]], dtype=ember.float64)
    c = ember.eye(2, dtype=ember.float64).expand((2, 2, 2)) * ember.tensor([1.0, 0.5],
                                                                           dtype=ember.float64
                                                                           ).reshape(2, 1, 1)
    gm = D.GaussianMixture(w, m, c)
    x = np.array([[0.5, -0.2], [2.0, 2.0]])
    expected = np.log(0.3 * st.multivariate_normal([0, 0], np.eye(2)).pdf(x)
                      + 0.7 * st.multivariate_normal([3, 1], 0.5 * np.eye(2)).pdf(x))
    np.testing.assert_allclose(to_numpy(gm.log_prob(ember.tensor(x, dtype=ember.float64))),
                               expected)
    ember.manual_seed(0)
    s = to_numpy(gm.sample((100_000,)))
    np.testing.assert_allclose(s.mean(0), to_numpy(gm.mean), atol=0.02)
    np.testing.assert_allclose(s.var(0), to_numpy(gm.variance), atol=0.04)
    r = to_numpy(gm.responsibilities(ember.tensor(x, dtype=ember.float64)))
    np.testing.assert_allclose(r.sum(-1), 1.0)
    assert math.isclose(r[0, 0], 0.3 * st.multivariate_normal([0, 0], np.eye(2)).pdf(x[0])
                        / np.exp(expected[0]), rel_tol=1e-9)

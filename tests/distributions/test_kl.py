"""Every closed-form KL divergence against a Monte-Carlo estimate and against SciPy (discrete
sums, numerical integration of the densities: one-dimensional, or a double integral for the
2-D MultivariateNormal and the 3-component Dirichlet); gradients by gradcheck; dispatch and
the error for a pair without a closed form."""

import math

import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st

import ember
import ember.distributions as D
from ember import info
from ember.autograd import gradcheck

from ..conftest import to_numpy


def _t(*values):
    return [ember.tensor(v, dtype=ember.float64) for v in values]


def _quad(p, q, lo, hi, points=None):
    """KL(p || q) = int p log(p / q) by numerical integration (SciPy frozen p, q)."""
    def integrand(x):
        lp = p.logpdf(x)
        return 0.0 if math.exp(lp) == 0 else math.exp(lp) * (lp - q.logpdf(x))
    return si.quad(integrand, lo, hi, limit=200, points=points)[0]


def _quad2(p, q, lo, hi, ylo, yhi):
    """KL(p || q) by a double integral over x in [lo, hi], y in [ylo(x), yhi(x)] (logp, logq:
    functions of (x, y))."""
    def integrand(y, x):
        lp = p(x, y)
        return 0.0 if lp == -math.inf or math.exp(lp) == 0 else math.exp(lp) * (lp - q(x, y))
    return si.dblquad(integrand, lo, hi, ylo, yhi, epsabs=1e-11, epsrel=1e-9)[0]


def _mvn_kl(p, q):
    lp = st.multivariate_normal(p[0], p[1]).logpdf
    lq = st.multivariate_normal(q[0], q[1]).logpdf
    return _quad2(lambda x, y: lp([x, y]), lambda x, y: lq([x, y]), -12, 12, -12, 12)


def _dirichlet_kl(p, q):
    def logpdf(a):
        norm = math.lgamma(sum(a)) - sum(math.lgamma(ai) for ai in a)

        def f(x, y):
            z = 1 - x - y
            if x <= 0 or y <= 0 or z <= 0:
                return -math.inf
            return norm + sum((ai - 1) * math.log(v) for ai, v in zip(a, (x, y, z)))
        return f
    return _quad2(logpdf(p[0]), logpdf(q[0]), 0, 1, 0, lambda x: 1 - x)


def _discrete(p, q, support):
    return st.entropy(p.pmf(support), q.pmf(support))


# name, params of p, params of q, build(p params) -> Distribution, scipy KL (params -> float)
PAIRS = [
    ("Normal", [0.3, 1.2], [-0.5, 0.7], lambda a, b: D.Normal(a, b),
     lambda p, q: _quad(st.norm(*p), st.norm(*q), -np.inf, np.inf)),
    ("Exponential", [1.5], [0.6], lambda r: D.Exponential(r),
     lambda p, q: _quad(st.expon(scale=1 / p[0]), st.expon(scale=1 / q[0]), 0, np.inf)),
    ("Laplace", [0.3, 1.2], [-0.5, 0.7], lambda a, b: D.Laplace(a, b),
     lambda p, q: _quad(st.laplace(*p), st.laplace(*q), -60, 60, [-0.5, 0.3])),
    ("Uniform", [0.2, 0.9], [-0.5, 1.5], lambda a, b: D.Uniform(a, b),
     lambda p, q: _quad(st.uniform(p[0], p[1] - p[0]), st.uniform(q[0], q[1] - q[0]),
                        p[0], p[1])),
    ("Gamma", [2.5, 1.5], [1.5, 0.8], lambda a, b: D.Gamma(a, b),
     lambda p, q: _quad(st.gamma(p[0], scale=1 / p[1]), st.gamma(q[0], scale=1 / q[1]), 0,
                        np.inf)),
    ("Beta", [2.5, 1.5], [1.5, 3.0], lambda a, b: D.Beta(a, b),
     lambda p, q: _quad(st.beta(*p), st.beta(*q), 0, 1)),
    ("Cauchy", [0.3, 1.2], [-0.5, 0.7], lambda a, b: D.Cauchy(a, b),
     lambda p, q: _quad(st.cauchy(*p), st.cauchy(*q), -np.inf, np.inf)),
    ("Gumbel", [0.3, 1.2], [-0.5, 0.7], lambda a, b: D.Gumbel(a, b),
     lambda p, q: _quad(st.gumbel_r(*p), st.gumbel_r(*q), -8, 60)),
    ("LogNormal", [0.3, 0.6], [-0.2, 0.9], lambda a, b: D.LogNormal(a, b),
     lambda p, q: _quad(st.lognorm(p[1], scale=np.exp(p[0])), st.lognorm(q[1],
                        scale=np.exp(q[0])), 0, np.inf)),
    ("Bernoulli", [0.3], [0.8], lambda p: D.Bernoulli(p),
     lambda p, q: _discrete(st.bernoulli(*p), st.bernoulli(*q), [0, 1])),
    ("Binomial", [0.3], [0.6], lambda p: D.Binomial(9, probs=p),
     lambda p, q: _discrete(st.binom(9, *p), st.binom(9, *q), np.arange(10))),
    ("Geometric", [0.3], [0.6], lambda p: D.Geometric(p),
     lambda p, q: _discrete(st.geom(*p, loc=-1), st.geom(*q, loc=-1), np.arange(400))),
    ("Poisson", [3.5], [1.5], lambda r: D.Poisson(r),
     lambda p, q: _discrete(st.poisson(*p), st.poisson(*q), np.arange(60))),
    ("Categorical", [[0.1, 0.2, 0.7]], [[0.3, 0.3, 0.4]], lambda p: D.Categorical(p),
     lambda p, q: st.entropy(p[0], q[0])),
    ("OneHotCategorical", [[0.1, 0.2, 0.7]], [[0.3, 0.3, 0.4]],
     lambda p: D.OneHotCategorical(p), lambda p, q: st.entropy(p[0], q[0])),
    ("Dirichlet", [[1.5, 2.0, 3.0]], [[1.0, 1.0, 2.0]], lambda a: D.Dirichlet(a),
     _dirichlet_kl),
    ("Chi2 (as Gamma)", [3.0], [5.0], lambda k: D.Chi2(k),
     lambda p, q: _quad(st.chi2(*p), st.chi2(*q), 0, np.inf)),
    ("MultivariateNormal",
     [[0.2, -0.1], [[2.0, 0.3], [0.3, 1.0]]], [[0.0, 0.5], [[1.0, -0.2], [-0.2, 1.5]]],
     lambda m, c: D.MultivariateNormal(m, covariance_matrix=0.5 * (c + c.mT)), _mvn_kl),
    ("Independent", [[0.3, 0.1], [1.2, 0.8]], [[-0.5, 0.4], [0.7, 1.1]],
     lambda a, b: D.Independent(D.Normal(a, b), 1),
     lambda p, q: sum(_quad(st.norm(p[0][i], p[1][i]), st.norm(q[0][i], q[1][i]), -np.inf,
                            np.inf) for i in range(2))),
]


@pytest.mark.parametrize("build,pp,qp,ref", [pytest.param(b, p, q, r, id=n)
                                             for n, p, q, b, r in PAIRS])
def test_closed_form_kl_matches_scipy_and_monte_carlo(build, pp, qp, ref):
    p, q = build(*_t(*pp)), build(*_t(*qp))
    kl = float(D.kl_divergence(p, q).item())
    if ref is not None:
        assert kl == pytest.approx(ref(pp, qp), rel=1e-6, abs=1e-9)
    ember.manual_seed(21)
    n = 200_000
    x = p.sample((n,))
    ratio = to_numpy(p.log_prob(x) - q.log_prob(x))
    assert abs(ratio.mean() - kl) < 5 * ratio.std() / math.sqrt(n) + 1e-9
    mc = float(D.kl_divergence_mc(p, q, 20_000).item())
    assert abs(mc - kl) < 5 * ratio.std() / math.sqrt(20_000) + 1e-9
    assert float(D.kl_divergence(p, p).item()) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("build,pp,qp", [pytest.param(b, p, q, id=n)
                                         for n, p, q, b, _ in PAIRS])
def test_kl_gradients(build, pp, qp):
    ps = [t.requires_grad_(True) for t in _t(*pp)]
    qs = [t.requires_grad_(True) for t in _t(*qp)]
    k = len(ps)

    def f(*args):
        return D.kl_divergence(build(*args[:k]), build(*args[k:]))

    assert gradcheck(f, ps + qs, atol=1e-6, rtol=1e-4)


def test_kl_in_bits_and_through_info():
    p, q = D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)
    nats = D.kl_divergence(p, q)
    assert D.kl_divergence(p, q, base=2).item() == pytest.approx(nats.item() / math.log(2))
    assert info.kl_divergence(p, q).item() == pytest.approx(nats.item() / math.log(2))
    h = info.cross_entropy(p, q, base=math.e)
    assert h.item() == pytest.approx((p.entropy() + nats).item())


def test_kl_is_inf_where_q_has_no_mass():
    assert D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(0.0, 1.0)).item() == math.inf
    cat = D.kl_divergence(D.Categorical(ember.tensor([0.5, 0.5])),
                          D.Categorical(ember.tensor([1.0, 0.0])))
    assert cat.item() == math.inf
    assert D.kl_divergence(D.Bernoulli(0.5), D.Bernoulli(0.0)).item() == math.inf
    assert D.kl_divergence(D.Bernoulli(0.0), D.Bernoulli(0.3)).item() == pytest.approx(
        -math.log(0.7))
    mc = D.kl_divergence_mc(D.Uniform(0.0, 2.0), D.Uniform(0.0, 1.0), 100)
    assert mc.item() == math.inf
    # p = Binomial(5, .) puts mass on 4 and 5, which Binomial(3, .) cannot reach (as PyTorch)
    n_p, n_q = ember.tensor([5.0, 3.0], dtype=ember.float64), ember.tensor([3.0, 3.0],
                                                                           dtype=ember.float64)
    kl = to_numpy(D.kl_divergence(D.Binomial(n_p, probs=0.3), D.Binomial(n_q, probs=0.4)))
    assert kl[0] == math.inf
    assert kl[1] == pytest.approx(_discrete(st.binom(3, 0.3), st.binom(3, 0.4), np.arange(4)))


def test_kl_of_a_geometric_certain_of_zero_failures():
    # Geometric(1) is a point mass at 0: KL = -log q(0) = -log q.probs, and 0 against itself
    # (0 log 0 = 0, not 0 * -inf = nan)
    one = ember.tensor([1.0, 1.0], dtype=ember.float64)
    q = D.Geometric(ember.tensor([1.0, 0.5], dtype=ember.float64))
    np.testing.assert_allclose(to_numpy(D.kl_divergence(D.Geometric(one), q)),
                               [0.0, math.log(2)])
    assert D.kl_divergence(D.Geometric(ember.tensor(0.5)), D.Geometric(ember.tensor(1.0))
                           ).item() == math.inf


def test_dirac_kl_is_the_negative_log_density_at_the_point():
    x0 = ember.tensor([0.3, -1.0], dtype=ember.float64)
    q = D.Normal(ember.tensor(0.5, dtype=ember.float64), 2.0)
    kl = D.kl_divergence(D.Dirac(x0), q)
    np.testing.assert_allclose(to_numpy(kl), -st.norm(0.5, 2.0).logpdf([0.3, -1.0]))
    assert D.kl_divergence(D.Dirac(ember.tensor(-1.0)), D.Exponential(1.0)).item() == math.inf
    point = D.Dirac(ember.tensor([0.2, 0.3, 0.5]), event_dim=1)
    kl = D.kl_divergence(point, D.Dirichlet(ember.tensor([1.0, 2.0, 3.0])))
    assert kl.item() == pytest.approx(-st.dirichlet([1, 2, 3]).logpdf([0.2, 0.3, 0.5]),
                                      rel=1e-5)
    assert D.kl_divergence(D.Dirac(ember.tensor(1.0)), D.Dirac(ember.tensor(1.0))).item() == 0


def test_a_pair_without_closed_form_names_both_types_and_the_monte_carlo_estimate():
    with pytest.raises(NotImplementedError, match=r"Normal \|\| Laplace.*kl_divergence_mc"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Laplace(0.0, 1.0))
    with pytest.raises(NotImplementedError, match=r"q\.total_count > p\.total_count"):
        D.kl_divergence(D.Binomial(3, probs=0.5), D.Binomial(4, probs=0.5))
    est = D.kl_divergence_mc(D.Normal(0.0, 1.0), D.Laplace(0.0, 1.0), 50_000)
    ref = _quad(st.norm(0, 1), st.laplace(0, 1), -40, 40, [0.0])
    assert est.item() == pytest.approx(ref, abs=0.02)


def test_register_kl_and_most_specific_dispatch():
    class MyNormal(D.Normal):
        pass

    calls = []

    @D.register_kl(MyNormal, D.Laplace)
    def _kl(p, q):
        calls.append(1)
        return p.loc * 0

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Laplace(0.0, 1.0)).item() == 0
    assert calls == [1]
    # a subclass without its own pair uses its parent's closed form
    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == pytest.approx(0.5)
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def test_kl_mc_is_differentiable_through_rsample():
    loc = ember.tensor(0.5, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    est = D.kl_divergence_mc(D.Normal(loc, 1.0), D.Normal(0.0, 1.0), 20_000)
    est.backward()
    assert loc.grad.item() == pytest.approx(0.5, abs=0.05)  # d/dmu mu^2 / 2

"""The family table: one row per distribution family, driving the tests against SciPy.

A row names the family, builds it from float64 parameter tensors (`make`), draws random
parameters (`params`, a function of a NumPy Generator; batch shape (3,) or (2,)), draws values
in the support (`values`, shape (5,) + batch + event), and gives SciPy references for the
methods it checks (`ref`: log_prob, cdf, icdf, entropy, mean, variance, each a function of the
NumPy parameters and, for the first three, the values). `moments` says whether sample means
and variances are compared (finite mean and variance), `kurtosis` gives the fourth moment for
the variance's standard error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.stats as st

import ember.distributions as D


@dataclass
class Fam:
    name: str
    make: Callable
    params: Callable
    values: Callable
    ref: dict
    grad: tuple = (0,)            # indices of parameters that are differentiated
    discrete: bool = False
    moments: bool = True
    rsample: bool = False
    event_dim: int = 0
    prep: dict = field(default_factory=dict)  # {param index: fn} applied before make

    def build(self, *params):
        """The distribution from parameter tensors (after `prep`: symmetrise a covariance,
        keep a Cholesky factor's lower triangle, so finite differences stay in the family)."""
        return self.make(*[self.prep.get(i, lambda t: t)(t) for i, t in enumerate(params)])

    def __repr__(self) -> str:
        return self.name


def _uni(frozen, discrete=False, skip=()):
    """References for a univariate SciPy family: frozen(*params) is the SciPy distribution."""
    logf = "logpmf" if discrete else "logpdf"
    ref = {
        "log_prob": lambda p, x: getattr(frozen(*p), logf)(x),
        "cdf": lambda p, x: frozen(*p).cdf(x),
        "icdf": lambda p, u: frozen(*p).ppf(u),
        "entropy": lambda p: np.broadcast_to(frozen(*p).entropy(), np.broadcast(*p).shape),
        "mean": lambda p: np.broadcast_to(frozen(*p).mean(), np.broadcast(*p).shape),
        "variance": lambda p: np.broadcast_to(frozen(*p).var(), np.broadcast(*p).shape),
        "kurtosis": lambda p: frozen(*p).stats(moments="k"),
    }
    for k in skip:
        ref.pop(k)
    return ref


def _u(lo, hi, shape=(3,)):
    return lambda rng: rng.uniform(lo, hi, shape)


def _scipy_values(frozen):
    def values(rng, p):
        shape = (5,) + np.broadcast(*p).shape
        return frozen(*p).rvs(size=shape, random_state=rng).astype(float)
    return values


def _batched(fn, p, x=None):
    """Apply a 1-D SciPy function per batch element (batch = leading dims of p[0] less the
    event), values x (5, B, ...) -> (5, B)."""
    b = p[0].shape[0]
    if x is None:
        return np.array([fn(*[q[i] for q in p]) for i in range(b)])
    return np.stack([np.array([fn(*[q[i] for q in p], x[s, i]) for i in range(b)])
                     for s in range(x.shape[0])])


def _simplex(rng, shape):
    w = rng.uniform(0.2, 1.0, shape)
    return w / w.sum(-1, keepdims=True)


# --------------------------------------------------------------------- multivariate refs

def _dirichlet_ref():
    return {
        "log_prob": lambda p, x: _batched(lambda a, v: st.dirichlet(a).logpdf(v), p, x),
        "entropy": lambda p: _batched(lambda a: st.dirichlet(a).entropy(), p),
        "mean": lambda p: _batched(lambda a: st.dirichlet(a).mean(), p),
        "variance": lambda p: _batched(lambda a: st.dirichlet(a).var(), p),
    }


def _dirichlet_values(rng, p):
    (a,) = p
    return np.stack([np.stack([rng.dirichlet(ai) for ai in a]) for _ in range(5)])


def _mvn_cov(rng, b=2, d=3):
    a = rng.normal(size=(b, d, d))
    return a @ np.swapaxes(a, -1, -2) + d * np.eye(d)


def _mvn_ref(cov_of):
    return {
        "log_prob": lambda p, x: _batched(
            lambda m, c, v: st.multivariate_normal(m, cov_of(c)).logpdf(v), p, x),
        "entropy": lambda p: _batched(lambda m, c: st.multivariate_normal(m, cov_of(c))
                                      .entropy(), p),
        "mean": lambda p: p[0],
        "variance": lambda p: np.stack([np.diag(cov_of(c)) for c in p[1]]),
    }


def _mvn_values(rng, p):
    return rng.normal(size=(5,) + p[0].shape) * 2 + p[0]


def _multinomial_ref(n):
    return {
        "log_prob": lambda p, x: _batched(lambda q, v: st.multinomial(n, q).logpmf(v), p, x),
        "entropy": lambda p: _batched(lambda q: st.multinomial(n, q).entropy(), p),
        "mean": lambda p: n * p[0],
        "variance": lambda p: n * p[0] * (1 - p[0]),
    }


def _multinomial_values(n):
    def values(rng, p):
        return np.stack([np.stack([rng.multinomial(n, q) for q in p[0]])
                         for _ in range(5)]).astype(float)
    return values


def _categorical_ref():
    return {
        "log_prob": lambda p, x: np.log(np.take_along_axis(
            np.broadcast_to(p[0], x.shape + p[0].shape[-1:]), x[..., None].astype(int),
            -1)[..., 0]),
        "entropy": lambda p: st.entropy(p[0], axis=-1),
    }


def _onehot_ref():
    return {
        "log_prob": lambda p, x: _batched(lambda q, v: st.multinomial(1, q).logpmf(v), p, x),
        "entropy": lambda p: st.entropy(p[0], axis=-1),
        "mean": lambda p: p[0],
        "variance": lambda p: p[0] * (1 - p[0]),
    }


def _mixture_ref():
    def log_prob(p, x):
        w, m, s = p
        comp = st.norm(m, s).logpdf(x[..., None])
        return np.log((w * np.exp(comp)).sum(-1))

    def cdf(p, x):
        w, m, s = p
        return (w * st.norm(m, s).cdf(x[..., None])).sum(-1)

    def mean(p):
        w, m, s = p
        return (w * m).sum(-1)

    def variance(p):
        w, m, s = p
        mu = (w * m).sum(-1, keepdims=True)
        return (w * (s ** 2 + (m - mu) ** 2)).sum(-1)

    return {"log_prob": log_prob, "cdf": cdf, "mean": mean, "variance": variance}


def _independent_ref():
    return {
        "log_prob": lambda p, x: st.norm(p[0], p[1]).logpdf(x).sum(-1),
        "entropy": lambda p: st.norm(p[0], p[1]).entropy().sum(-1),
        "mean": lambda p: p[0],
        "variance": lambda p: p[1] ** 2,
    }


def _softmax(lg):
    e = np.exp(lg - lg.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _expit(lg):
    return 1 / (1 + np.exp(-lg))


def _on_probs(fn, to_probs):
    """A reference function of probs applied to a row parameterised by logits."""
    return lambda p, *rest: fn([to_probs(p[0])] + list(p[1:]), *rest)


def _logits_ref(ref, to_probs):
    return {k: _on_probs(f, to_probs) for k, f in ref.items()}


def _sym(t):
    return 0.5 * (t + t.mT)


def _tril(t):
    return t.tril()


def _geometric(p):
    return st.geom(p, loc=-1)


FAMILIES = [
    Fam("Normal", D.Normal, lambda r: [r.uniform(-2, 2, 3), r.uniform(0.5, 2, 3)],
        _scipy_values(st.norm), _uni(st.norm), grad=(0, 1), rsample=True),
    Fam("Uniform", D.Uniform, lambda r: [r.uniform(-2, 0, 3), r.uniform(0.5, 2, 3)],
        _scipy_values(lambda a, b: st.uniform(a, b - a)),
        _uni(lambda a, b: st.uniform(a, b - a)), grad=(0, 1), rsample=True),
    Fam("Exponential", D.Exponential, lambda r: [r.uniform(0.5, 3, 3)],
        _scipy_values(lambda lam: st.expon(scale=1 / lam)),
        _uni(lambda lam: st.expon(scale=1 / lam)), rsample=True),
    Fam("Laplace", D.Laplace, lambda r: [r.uniform(-2, 2, 3), r.uniform(0.5, 2, 3)],
        _scipy_values(st.laplace), _uni(st.laplace), grad=(0, 1), rsample=True),
    Fam("Cauchy", D.Cauchy, lambda r: [r.uniform(-2, 2, 3), r.uniform(0.5, 2, 3)],
        _scipy_values(st.cauchy), _uni(st.cauchy, skip=("variance", "mean")), grad=(0, 1),
        rsample=True, moments=False),
    Fam("Gumbel", D.Gumbel, lambda r: [r.uniform(-2, 2, 3), r.uniform(0.5, 2, 3)],
        _scipy_values(st.gumbel_r), _uni(st.gumbel_r), grad=(0, 1), rsample=True),
    Fam("StudentT", D.StudentT,
        lambda r: [r.uniform(5, 9, 3), r.uniform(-2, 2, 3), r.uniform(0.5, 2, 3)],
        _scipy_values(st.t), _uni(st.t, skip=("cdf", "icdf")), grad=(0, 1, 2), rsample=True),
    Fam("Gamma", D.Gamma, lambda r: [r.uniform(0.5, 4, 3), r.uniform(0.5, 3, 3)],
        _scipy_values(lambda a, b: st.gamma(a, scale=1 / b)),
        _uni(lambda a, b: st.gamma(a, scale=1 / b)), grad=(0, 1), rsample=True),
    Fam("Chi2", D.Chi2, lambda r: [r.uniform(1, 6, 3)], _scipy_values(st.chi2),
        _uni(st.chi2), rsample=True),
    Fam("Beta", D.Beta, lambda r: [r.uniform(0.5, 4, 3), r.uniform(0.5, 4, 3)],
        _scipy_values(st.beta), _uni(st.beta, skip=("cdf", "icdf")), grad=(0, 1),
        rsample=True),
    Fam("LogNormal", D.LogNormal, lambda r: [r.uniform(-1, 1, 3), r.uniform(0.2, 0.8, 3)],
        _scipy_values(lambda m, s: st.lognorm(s, scale=np.exp(m))),
        _uni(lambda m, s: st.lognorm(s, scale=np.exp(m))), grad=(0, 1), rsample=True),
    Fam("Bernoulli", lambda p: D.Bernoulli(probs=p), lambda r: [r.uniform(0.1, 0.9, 3)],
        _scipy_values(st.bernoulli), _uni(st.bernoulli, discrete=True, skip=("icdf",)),
        discrete=True),
    Fam("Bernoulli(logits)", lambda lg: D.Bernoulli(logits=lg),
        lambda r: [r.uniform(-2, 2, 3)],
        _scipy_values(lambda lg: st.bernoulli(1 / (1 + np.exp(-lg)))),
        _uni(lambda lg: st.bernoulli(1 / (1 + np.exp(-lg))), discrete=True,
             skip=("icdf",)), discrete=True),
    Fam("Binomial", lambda p: D.Binomial(7, probs=p), lambda r: [r.uniform(0.1, 0.9, 3)],
        _scipy_values(lambda p: st.binom(7, p)),
        _uni(lambda p: st.binom(7, p), discrete=True, skip=("icdf",)), discrete=True),
    Fam("Binomial(logits)", lambda lg: D.Binomial(7, logits=lg), lambda r: [r.uniform(-2, 2, 3)],
        _scipy_values(lambda lg: st.binom(7, _expit(lg))),
        _uni(lambda lg: st.binom(7, _expit(lg)), discrete=True, skip=("icdf",)), discrete=True),
    Fam("Geometric", lambda p: D.Geometric(probs=p), lambda r: [r.uniform(0.2, 0.9, 3)],
        _scipy_values(_geometric), _uni(_geometric, discrete=True, skip=("icdf",)),
        discrete=True),
    Fam("Geometric(logits)", lambda lg: D.Geometric(logits=lg), lambda r: [r.uniform(-1.5, 2, 3)],
        _scipy_values(lambda lg: _geometric(_expit(lg))),
        _uni(lambda lg: _geometric(_expit(lg)), discrete=True, skip=("icdf",)), discrete=True),
    Fam("Poisson", D.Poisson, lambda r: [r.uniform(0.5, 8, 3)], _scipy_values(st.poisson),
        _uni(st.poisson, discrete=True, skip=("icdf",)), discrete=True),
    Fam("Categorical", lambda p: D.Categorical(probs=p), lambda r: [_simplex(r, (3, 4))],
        lambda r, p: np.stack([[r.choice(4, p=q) for q in p[0]] for _ in range(5)]),
        _categorical_ref(), discrete=True, moments=False),
    Fam("OneHotCategorical", lambda p: D.OneHotCategorical(probs=p),
        lambda r: [_simplex(r, (3, 4))],
        lambda r, p: np.eye(4)[np.stack([[r.choice(4, p=q) for q in p[0]]
                                         for _ in range(5)])],
        _onehot_ref(), discrete=True, event_dim=1),
    Fam("Multinomial", lambda p: D.Multinomial(6, probs=p), lambda r: [_simplex(r, (3, 4))],
        _multinomial_values(6), _multinomial_ref(6), discrete=True, event_dim=1),
    Fam("Categorical(logits)", lambda lg: D.Categorical(logits=lg),
        lambda r: [r.normal(size=(3, 4))],
        lambda r, p: np.stack([[r.choice(4, p=q) for q in _softmax(p[0])] for _ in range(5)]),
        _logits_ref(_categorical_ref(), _softmax), discrete=True, moments=False),
    Fam("OneHotCategorical(logits)", lambda lg: D.OneHotCategorical(logits=lg),
        lambda r: [r.normal(size=(3, 4))],
        lambda r, p: np.eye(4)[np.stack([[r.choice(4, p=q) for q in _softmax(p[0])]
                                         for _ in range(5)])],
        _logits_ref(_onehot_ref(), _softmax), discrete=True, event_dim=1),
    Fam("Multinomial(logits)", lambda lg: D.Multinomial(6, logits=lg),
        lambda r: [r.normal(size=(3, 4))],
        lambda r, p: _multinomial_values(6)(r, [_softmax(p[0])]),
        _logits_ref(_multinomial_ref(6), _softmax), discrete=True, event_dim=1),
    Fam("Dirichlet", D.Dirichlet, lambda r: [r.uniform(0.5, 4, (3, 4))], _dirichlet_values,
        _dirichlet_ref(), rsample=True, event_dim=1),
    Fam("MultivariateNormal", lambda m, c: D.MultivariateNormal(m, covariance_matrix=c),
        lambda r: [r.uniform(-2, 2, (2, 3)), _mvn_cov(r)], _mvn_values,
        _mvn_ref(lambda c: c), grad=(0, 1), rsample=True, event_dim=1, prep={1: _sym}),
    Fam("MultivariateNormal(scale_tril)",
        lambda m, s: D.MultivariateNormal(m, scale_tril=s),
        lambda r: [r.uniform(-2, 2, (2, 3)), np.linalg.cholesky(_mvn_cov(r))], _mvn_values,
        _mvn_ref(lambda s: s @ s.T), grad=(0, 1), rsample=True, event_dim=1,
        prep={1: _tril}),
    Fam("MultivariateNormal(precision)",
        lambda m, p: D.MultivariateNormal(m, precision_matrix=p),
        lambda r: [r.uniform(-2, 2, (2, 3)), _mvn_cov(r)], _mvn_values,
        _mvn_ref(np.linalg.inv), grad=(0, 1), rsample=True, event_dim=1, prep={1: _sym}),
    Fam("LowRankMultivariateNormal",
        lambda m, w, d: D.LowRankMultivariateNormal(m, w, d),
        lambda r: [r.uniform(-2, 2, (2, 3)), r.normal(size=(2, 3, 2)), r.uniform(0.5, 2, (2, 3))],
        lambda r, p: r.normal(size=(5, 2, 3)) * 2 + p[0],
        {"log_prob": lambda p, x: _batched(
            lambda m, w, d, v: st.multivariate_normal(m, w @ w.T + np.diag(d)).logpdf(v), p, x),
         "entropy": lambda p: _batched(
             lambda m, w, d: st.multivariate_normal(m, w @ w.T + np.diag(d)).entropy(), p),
         "mean": lambda p: p[0],
         "variance": lambda p: (p[1] ** 2).sum(-1) + p[2]},
        grad=(0, 1, 2), rsample=True, event_dim=1),
    Fam("MixtureSameFamily",
        lambda w, m, s: D.MixtureSameFamily(D.Categorical(probs=w), D.Normal(m, s)),
        lambda r: [_simplex(r, (3, 2)), r.uniform(-3, 3, (3, 2)), r.uniform(0.5, 2, (3, 2))],
        lambda r, p: r.normal(size=(5, 3)) * 2, _mixture_ref(), grad=(0, 1, 2)),
    Fam("Independent", lambda m, s: D.Independent(D.Normal(m, s), 1),
        lambda r: [r.uniform(-2, 2, (2, 3)), r.uniform(0.5, 2, (2, 3))],
        lambda r, p: r.normal(size=(5, 2, 3)), _independent_ref(), grad=(0, 1),
        rsample=True, event_dim=1),
]


"""KL divergence between distributions: closed forms registered per pair of types, and a
Monte-Carlo estimate for the rest.

    KL(p || q) = E_p[log p(X) - log q(X)]     (nats; >= 0, and 0 iff p = q)

`kl_divergence(p, q)` looks up the most specific registered pair (subclasses inherit: Chi2 is
a Gamma); a pair with no closed form raises NotImplementedError naming both types and pointing
to `kl_divergence_mc(p, q, n)`. Register more with `@register_kl(TypeP, TypeQ)`.
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from . import constraints
from ._linalg import mahalanobis_sq, solve_triangular
from .categorical import Categorical, OneHotCategorical
from .continuous import Cauchy, Exponential, Gumbel, Laplace, Normal, Uniform
from .dirac import Dirac
from .discrete import Bernoulli, Binomial, Geometric, Poisson
from .distribution import Distribution, in_base
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .multivariate_normal import MultivariateNormal
from .transformed_distribution import TransformedDistribution
from .utils import softplus, sum_rightmost

__all__ = ["kl_divergence", "kl_divergence_mc", "register_kl"]

_KL_REGISTRY: dict = {}
_KL_CACHE: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator: register fn(p, q) as KL(p || q) for p of type_p and q of type_q (and their
    subclasses, unless a more specific pair is registered)."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)
            and isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError(f"register_kl: expected two Distribution subclasses, got {type_p!r} "
                        f"and {type_q!r}")

    def deco(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_CACHE.clear()
        return fn

    return deco


def _dispatch(type_p: type, type_q: type):
    matches = [(p, q) for p, q in _KL_REGISTRY
               if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None
    best = min(matches, key=lambda pq: (type_p.__mro__.index(pq[0]),
                                        type_q.__mro__.index(pq[1])))
    return _KL_REGISTRY[best]


def kl_divergence(p: Distribution, q: Distribution, base=None):
    """KL(p || q) in closed form, of the broadcast batch shape: nats by default, log base
    `base` otherwise (2: bits). +inf where p puts mass where q has none.

    Raises NotImplementedError for a pair with no registered closed form (estimate it with
    kl_divergence_mc(p, q, n)).
    """
    key = (type(p), type(q))
    fn = _KL_CACHE.get(key)
    if fn is None:
        fn = _dispatch(*key)
        if fn is None:
            raise NotImplementedError(
                f"kl_divergence: no closed form is registered for KL({type(p).__name__} || "
                f"{type(q).__name__}); estimate it by Monte Carlo with "
                f"kl_divergence_mc(p, q, n), or register one with @register_kl("
                f"{type(p).__name__}, {type(q).__name__})")
        _KL_CACHE[key] = fn
    return in_base(fn(p, q), base)


def kl_divergence_mc(p: Distribution, q: Distribution, n: int = 10_000, base=None):
    """A Monte-Carlo estimate of KL(p || q): the mean of log p(x) - log q(x) over n draws of
    p (reparameterised when p has rsample, so the estimate is differentiable in p's
    parameters). +inf if a draw falls outside q's support. Standard error ~ sd / sqrt(n)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"kl_divergence_mc: n must be a positive int, got {n!r}")
    x = p.rsample((n,)) if p.has_rsample else p.sample((n,))
    saved = q._validate_args
    q._validate_args = False
    try:
        lq = q.log_prob(x)
    finally:
        q._validate_args = saved
    with no_grad():
        inside = constraints._checked(q.support, x)
        n_event = len(q.event_shape) - q.support.event_dim
        if n_event > 0:
            inside = inside.reshape(tuple(inside.shape[:inside.ndim - n_event]) + (-1,)).all(-1)
    lq = lq.where(inside, -math.inf)
    return in_base((p.log_prob(x) - lq).mean(0), base)


def _inf_like(t):
    return t.new_full(tuple(t.shape), math.inf)


# ----------------------------------------------------------------------------- continuous

@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: MultivariateNormals of different event shapes "
                         f"{p.event_shape} and {q.event_shape}")
    d = p.event_shape[0]
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_log_det = lq.diagonal(0, -2, -1).log().sum(-1) - lp.diagonal(0, -2, -1).log().sum(-1)
    # tr(Sigma_q^-1 Sigma_p) = |Lq^-1 Lp|_F^2
    m = solve_triangular(lq, lp, upper=False)
    trace = m.pow(2).sum((-2, -1))
    maha = mahalanobis_sq(lq, q.loc - p.loc)
    out = half_log_det + 0.5 * (trace + maha - d)
    return out.expand(tuple(_bshape(p, q))) if tuple(out.shape) != _bshape(p, q) else out


def _bshape(p, q):
    from ..ops._util import broadcast_shapes_or_raise
    return broadcast_shapes_or_raise("kl_divergence", p.batch_shape, q.batch_shape)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    ratio = p.scale / q.scale
    diff = (p.loc - q.loc).abs()
    return -ratio.log() + diff / q.scale + ratio * (-diff / p.scale).exp() - 1


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    inside = (q.low <= p.low) & (q.high >= p.high)
    return result.where(inside, math.inf)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = q.concentration.lgamma() - p.concentration.lgamma()
    t3 = (p.concentration - q.concentration) * p.concentration.digamma()
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    a1, b1 = p.concentration1, p.concentration0
    a2, b2 = q.concentration1, q.concentration0
    s1, s2 = a1 + b1, a2 + b2
    t1 = a2.lgamma() + b2.lgamma() + s1.lgamma()
    t2 = a1.lgamma() + b1.lgamma() + s2.lgamma()
    t3 = (a1 - a2) * a1.digamma()
    t4 = (b1 - b2) * b1.digamma()
    t5 = (s2 - s1) * s1.digamma()
    return t1 - t2 + t3 + t4 + t5


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    a, b = p.concentration, q.concentration
    sa, sb = a.sum(-1), b.sum(-1)
    t1 = sa.lgamma() - sb.lgamma()
    t2 = (a.lgamma() - b.lgamma()).sum(-1)
    t3 = ((a - b) * (a.digamma() - sa.unsqueeze(-1).digamma())).sum(-1)
    return t1 - t2 + t3


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    # Chyzak & Nielsen (2019): log(((s_p + s_q)^2 + (l_p - l_q)^2) / (4 s_p s_q))
    num = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return (num / (4 * p.scale * q.scale)).log()


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ct1 = p.scale / q.scale
    ct2 = q.loc / q.scale
    ct3 = p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t2 = ct1 * 0.57721566490153286061
    t3 = (ct2 + (1 + ct1).lgamma() - ct3).exp()
    return t1 + t2 + t3 - (1 + 0.57721566490153286061)


# ------------------------------------------------------------------------------- discrete

@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # log p = -softplus(-logits), log(1 - p) = -softplus(logits)
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = t1.where(q.probs != 0, math.inf).where(p.probs != 0, 0.0)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = t2.where(q.probs != 1, math.inf).where(p.probs != 1, 0.0)
    return t1 + t2


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    # n_p = n_q: n KL(Bernoulli || Bernoulli); n_p > n_q: +inf (p puts mass on k > n_q, where
    # q has none), as PyTorch; n_p < n_q has no closed form
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("kl_divergence: KL between Binomials where q.total_count > "
                                  "p.total_count has no closed form; use kl_divergence_mc")
    kl = p.total_count * _kl_bernoulli_bernoulli(p, q)
    return kl.where(p.total_count == q.total_count, math.inf)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = t.where(q.probs != 0, math.inf).where(p.probs != 0, 0.0)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    # -H(p) - E_p[k log(1 - q) + log q], E_p[k] = 1/p - 1
    mean_p = 1 / p.probs - 1
    # E_p[k] log(1 - q) is 0 when p is certain of k = 0 (0 log 0 = 0), even for q = 1
    expected = (mean_p * q._log1m_probs()).where(mean_p != 0, 0.0)
    return -p._entropy() - (expected + q.probs.log())


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate.xlogy(p.rate) - p.rate.xlogy(q.rate) - (p.rate - q.rate)


# ------------------------------------------------------------------------------ composite

@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("kl_divergence: Independent distributions with different "
                                  "reinterpreted_batch_ndims")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    # KL is invariant under one bijection applied to both
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError("kl_divergence: TransformedDistributions with different "
                                  "transforms; use kl_divergence_mc")
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Dirac, Distribution)
def _kl_dirac_any(p, q):
    # p is a point mass at x0: KL = sum p log(p / q) = -log q(x0)
    saved = q._validate_args
    q._validate_args = False
    try:
        lq = q.log_prob(p.loc)
    finally:
        q._validate_args = saved
    with no_grad():
        inside = constraints._checked(q.support, p.loc)
        n_event = len(q.event_shape) - q.support.event_dim
        if n_event > 0:
            inside = inside.reshape(tuple(inside.shape[:inside.ndim - n_event]) + (-1,)).all(-1)
    return -lq.where(inside, -math.inf)

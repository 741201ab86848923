"""Univariate discrete families: Bernoulli, Binomial, Geometric and Poisson.

Bernoulli, Binomial and Geometric take `probs` or `logits` (exactly one); the other is derived
on first use. Draws are floating-point tensors of 0, 1, 2, ... as in PyTorch. None has a
reparameterised sampler (a discrete draw has no derivative in its parameters).
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..creation import arange
from ..tensor import Tensor
from . import constraints
from ._special import GammaInc
from .distribution import Distribution
from .utils import (
    _rng,
    broadcast_all,
    fit_data,
    host,
    host_sample,
    lazy_property,
    logits_to_probs,
    noise,
    probs_to_logits,
    softplus,
)

__all__ = ["Bernoulli", "Binomial", "Geometric", "Poisson"]


def _one_of(name: str, probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")


def _neg_p_log_p(logp: Tensor) -> Tensor:
    """-p log p from log p, 0 where p = 0 (log p = -inf) with a zero gradient, no nan."""
    finite = logp > -math.inf
    safe = logp.where(finite, 0.0)
    return (-(safe.exp() * safe)).where(finite, 0.0)


def _fit_data(cls, x, dim, support=None):
    return fit_data(cls, x, dim, support)


class Bernoulli(Distribution):
    """Bernoulli distribution: 1 with probability `probs` (or sigmoid(`logits`)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        self._param = param
        super().__init__(tuple(param.shape), validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.where(self.probs != 0.5, math.nan)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = noise("uniform", shape, self._param)
            return (u < self.probs.expand(shape)).to(self._param.dtype)

    def log_prob(self, value):
        value = self._value(value, self._param)
        # v log p + (1 - v) log(1 - p) = v logits - softplus(logits)
        return value * self.logits - softplus(self.logits)

    def cdf(self, value):
        value = self._value(value, self._param)
        zero = value.new_zeros(())
        return (1 - self.probs).where(value < 1, 1.0).where(value >= 0, zero)

    def _entropy(self):
        return softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand: bool = True):
        values = arange(2, dtype=self._param.dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((2,) + self.batch_shape) if expand else values

    @classmethod
    def fit(cls, x, dim: int = 0) -> Bernoulli:
        """Maximum likelihood: probs = the fraction of ones in x (0/1 observations along
        `dim`)."""
        return cls(probs=_fit_data(cls, x, dim).mean(0))


class Binomial(Distribution):
    """Binomial distribution: the number of successes in `total_count` trials of probability
    `probs` (or sigmoid(`logits`)). total_count may be a tensor (broadcast)."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _one_of("Binomial", probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.to(self.probs.dtype)
            param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.to(self.logits.dtype)
            param = self.logits
        self._param = param
        super().__init__(tuple(param.shape), validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            n = host(self.total_count.expand(shape)).astype("int64")
            draw = _rng().binomial(n, host(self.probs.expand(shape)))
            return host_sample(draw, self._param)

    def log_prob(self, value):
        return self._log_pmf(self._value(value, self._param))

    def _log_pmf(self, k):
        n, lg = self.total_count, self.logits
        log_binom = (n + 1).lgamma() - (k + 1).lgamma() - (n - k + 1).lgamma()
        # k log p + (n - k) log(1 - p) = k logits - n softplus(logits)
        return log_binom + k * lg - n * softplus(lg)

    def cdf(self, value):
        """P(X <= value): the finite sum of the pmf over 0, ..., floor(value) (beyond
        PyTorch), differentiable in probs / logits."""
        value = self._value(value, self._param)
        top = int(self.total_count.max().item()) if self.total_count.numel() else 0
        k = arange(top + 1, dtype=self._param.dtype)  # along a new last dim
        n, lg = self.total_count.unsqueeze(-1), self.logits.unsqueeze(-1)
        kk = k.clamp(max=n)
        log_binom = (n + 1).lgamma() - (kk + 1).lgamma() - (n - kk + 1).lgamma()
        lp = log_binom + kk * lg - n * softplus(lg)
        keep = (k <= n) & (k <= value.floor().unsqueeze(-1))
        return lp.exp().where(keep, 0.0).sum(-1).clamp(max=1.0)

    def _entropy(self):
        k = self._grid()
        inside = k <= self.total_count  # total_count may differ across the batch
        lp = self._log_pmf(k.clamp(max=self.total_count))
        return _neg_p_log_p(lp.where(inside, -math.inf)).sum(0)

    def _grid(self):
        top = int(self.total_count.max().item()) if self.total_count.numel() else 0
        return arange(top + 1, dtype=self._param.dtype).reshape(
            (-1,) + (1,) * len(self.batch_shape))

    def enumerate_support(self, expand: bool = True):
        top = int(self.total_count.max().item())
        if int(self.total_count.min().item()) != top:
            raise NotImplementedError("Binomial.enumerate_support: inhomogeneous total_count "
                                      "is not supported")
        values = self._grid()
        return values.expand((top + 1,) + self.batch_shape) if expand else values

    @classmethod
    def fit(cls, x, total_count, dim: int = 0) -> Binomial:
        """Maximum likelihood with known `total_count` n: probs = mean(x) / n (counts in
        0..n along `dim`)."""
        x = _fit_data(cls, x, dim, constraints.integer_interval(0, total_count))
        return cls(total_count, probs=x.mean(0) / total_count)


class Geometric(Distribution):
    """Geometric distribution: the number of failures before the first success in trials of
    probability `probs` in (0, 1] (or sigmoid(`logits`)): P(k) = (1 - p)^k p, k = 0, 1, ..."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Geometric", probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        self._param = param
        super().__init__(tuple(param.shape), validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs (Tensor of shape "
                             f"{tuple(self.probs.shape)}) of distribution {self!r} to be "
                             f"positive but found invalid values:\n{self.probs.detach()}")

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return self.probs.new_zeros(tuple(self.probs.shape))

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = noise("uniform", shape, self._param)
            return (u.log() / (-self.probs).log1p()).floor()

    def _log1m_probs(self):
        """log(1 - p) = -softplus(logits)."""
        if "logits" in self.__dict__:
            return -softplus(self.logits)
        return (-self.probs).log1p()

    def log_prob(self, value):
        value = self._value(value, self._param)
        # value * log(1 - p) is 0 at value = 0 even for p = 1
        return (value * self._log1m_probs()).where(value != 0, 0.0) + self.probs.log()

    def cdf(self, value):
        value = self._value(value, self._param)
        k = value.floor()
        return 1 - ((k + 1) * self._log1m_probs()).exp()

    def _entropy(self):
        p = self.probs
        # (-p log p - (1 - p) log(1 - p)) / p, the Bernoulli entropy per success
        return (softplus(self.logits) - p * self.logits) / p

    @classmethod
    def fit(cls, x, dim: int = 0) -> Geometric:
        """Maximum likelihood: probs = 1 / (1 + mean(x)) (x counts failures)."""
        return cls(probs=1.0 / (1.0 + _fit_data(cls, x, dim).mean(0)))


class Poisson(Distribution):
    """Poisson distribution with `rate` lambda >= 0: P(k) = lambda^k e^-lambda / k!.

    cdf(k) = Q(floor(k) + 1, lambda), the regularised upper incomplete gamma function
    (differentiable in rate); entropy by summing -P log P over k (an asymptotic series for
    rates above 1000).
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(tuple(self.rate.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return host_sample(_rng().poisson(host(self.rate.expand(shape))), self.rate)

    def log_prob(self, value):
        value = self._value(value, self.rate)
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()

    def cdf(self, value):
        value = self._value(value, self.rate)
        a = (value.floor() + 1).clamp(min=1).to(self.rate.dtype)
        return GammaInc.apply(a, self.rate, True).where(value >= 0, 0.0)

    def _entropy(self):
        rate = self.rate
        big = rate > 1000
        small_rate = rate.where(~big, 1.0)
        top = float(small_rate.max().item()) if small_rate.numel() else 0.0
        n = int(math.ceil(top + 12 * math.sqrt(top) + 30))
        k = arange(n + 1, dtype=rate.dtype).reshape((-1,) + (1,) * rate.ndim)
        lp = k.xlogy(small_rate) - small_rate - (k + 1).lgamma()
        summed = _neg_p_log_p(lp).sum(0)
        big_rate = rate.where(big, 1000.0)
        asym = (0.5 * (2 * math.pi * math.e * big_rate).log() - 1 / (12 * big_rate)
                - 1 / (24 * big_rate.pow(2)) - 19 / (360 * big_rate.pow(3)))
        return summed.where(~big, asym)

    @classmethod
    def fit(cls, x, dim: int = 0) -> Poisson:
        """Maximum likelihood: rate = mean(x)."""
        return cls(_fit_data(cls, x, dim).mean(0))


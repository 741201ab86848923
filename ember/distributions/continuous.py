"""Univariate continuous families with closed forms: Uniform, Normal, Exponential, Laplace,
Cauchy, Gumbel and StudentT.

Each: log_prob, entropy, mean, mode, variance differentiable in the parameters; rsample by the
reparameterisation trick (a fixed noise draw pushed through loc + scale * noise, or the
inverse cdf); cdf and icdf where closed-form; fit() with the closed-form maximum-likelihood
estimate where there is one.
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import (
    broadcast_all,
    fit_data,
    host,
    host_sample,
    noise,
)

__all__ = ["Cauchy", "Exponential", "Gumbel", "Laplace", "Normal", "StudentT", "Uniform"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EULER = 0.57721566490153286061


def _nan_like(t: Tensor) -> Tensor:
    return t.new_full(tuple(t.shape), math.nan)


def _fit_data(cls, x, dim, support=None):
    return fit_data(cls, x, dim, support)


class Normal(Distribution):
    r"""Normal (Gaussian) distribution N(loc, scale^2).

    .. math:: \log p(x) = -\frac{(x-\mu)^2}{2\sigma^2} - \log\sigma - \tfrac12\log 2\pi

    Args:
        loc: mean (any real).
        scale: standard deviation (> 0).
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        eps = noise("normal", self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._value(value, self.loc)
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - self.scale.log() - _HALF_LOG_2PI

    def cdf(self, value):
        value = self._value(value, self.loc)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value):
        value = self._level(value, self.loc)
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def _entropy(self):
        return 0.5 + _HALF_LOG_2PI + self.scale.log()

    @classmethod
    def fit(cls, x, dim: int = 0) -> Normal:
        """Maximum likelihood: loc = the sample mean, scale = the biased standard deviation
        sqrt(mean((x - loc)^2)); x: observations along `dim` (batch dims elsewhere)."""
        x = _fit_data(cls, x, dim)
        loc = x.mean(0)
        return cls(loc, ((x - loc) ** 2).mean(0).sqrt())


class Uniform(Distribution):
    """Uniform distribution on [low, high): density 1 / (high - low)."""

    arg_constraints = {"low": constraints.dependent(is_discrete=False, event_dim=0),
                       "high": constraints.dependent(is_discrete=False, event_dim=0)}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(tuple(self.low.shape), validate_args=validate_args)
        if self._validate_args and not bool((self.low < self.high).all()):
            raise ValueError(f"Expected parameters low and high of distribution {self!r} to "
                             f"satisfy low < high, but found invalid values:\nlow = "
                             f"{self.low.detach()}\nhigh = {self.high.detach()}")

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return _nan_like(self.high)

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        u = noise("uniform", self._extended_shape(sample_shape), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        value = self._value(value, self.low)
        inside = (self.low <= value) & (self.high > value)
        return (-(self.high - self.low).log()).where(inside, -math.inf)

    def cdf(self, value):
        value = self._value(value, self.low)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value):
        value = self._level(value, self.low)
        return value * (self.high - self.low) + self.low

    def _entropy(self):
        return (self.high - self.low).log()

    @classmethod
    def fit(cls, x, dim: int = 0) -> Uniform:
        """Maximum likelihood: low = min(x), high = max(x) (the smallest interval holding
        the data)."""
        x = _fit_data(cls, x, dim, constraints.real)
        return cls(x.amin(0), x.amax(0))


class Exponential(Distribution):
    """Exponential distribution: density rate * exp(-rate x) on x >= 0."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(tuple(self.rate.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return self.rate.new_zeros(tuple(self.rate.shape))

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        e = noise("exponential", self._extended_shape(sample_shape), self.rate)
        return e / self.rate

    def log_prob(self, value):
        value = self._value(value, self.rate)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        value = self._value(value, self.rate)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-self._level(value, self.rate)).log1p() / self.rate

    def _entropy(self):
        return 1.0 - self.rate.log()

    @classmethod
    def fit(cls, x, dim: int = 0) -> Exponential:
        """Maximum likelihood: rate = 1 / mean(x)."""
        return cls(_fit_data(cls, x, dim).mean(0).reciprocal())


class Laplace(Distribution):
    """Laplace distribution: density exp(-|x - loc| / scale) / (2 scale)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    def rsample(self, sample_shape=()):
        # the inverse cdf of u uniform in (-1, 1): loc - scale sign(u) log(1 - |u|)
        u = 2 * noise("uniform", self._extended_shape(sample_shape), self.loc) - 1
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        value = self._value(value, self.loc)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        value = self._value(value, self.loc)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value):
        t = self._level(value, self.loc) - 0.5
        return self.loc - self.scale * t.sign() * (-2 * t.abs()).log1p()

    def _entropy(self):
        return 1 + (2 * self.scale).log()

    @classmethod
    def fit(cls, x, dim: int = 0) -> Laplace:
        """Maximum likelihood: loc = the median (the lower one for an even count; any point
        between the middle two maximises the likelihood equally), scale = the mean absolute
        deviation from it."""
        x = _fit_data(cls, x, dim)
        loc = x.median(0).values if x.ndim > 1 else x.median()
        return cls(loc, (x - loc).abs().mean(0))


class Cauchy(Distribution):
    """Cauchy distribution: density 1 / (pi scale (1 + ((x - loc) / scale)^2)); no mean or
    variance (nan and inf)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), validate_args=validate_args)

    @property
    def mean(self):
        return _nan_like(self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self.loc.new_full(tuple(self.loc.shape), math.inf)

    def rsample(self, sample_shape=()):
        eps = noise("cauchy", self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._value(value, self.loc)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z * z).log1p()

    def cdf(self, value):
        value = self._value(value, self.loc)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (self._level(value, self.loc) - 0.5)).tan() * self.scale + self.loc

    def _entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(Distribution):
    """Gumbel (type-I extreme value) distribution: cdf exp(-exp(-(x - loc) / scale))."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        u = noise("uniform", self._extended_shape(sample_shape), self.loc)
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value):
        value = self._value(value, self.loc)
        z = (value - self.loc) / self.scale
        return -(z + (-z).exp()) - self.scale.log()

    def cdf(self, value):
        value = self._value(value, self.loc)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value):
        return self.loc - self.scale * (-self._level(value, self.loc).log()).log()

    def _entropy(self):
        return self.scale.log() + (1 + _EULER)


class StudentT(Distribution):
    """Student's t distribution with df degrees of freedom, location loc and scale scale.

    Mean loc for df > 1 (nan otherwise); variance scale^2 df / (df - 2) for df > 2, inf for
    1 < df <= 2, nan for df <= 1. rsample is loc + scale * Z / sqrt(V / df) with Z normal and
    V ~ Chi2(df) reparameterised exactly (see Gamma).
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(tuple(self.df.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.loc.where(self.df > 1, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        var = self.scale.pow(2) * df / (df - 2).where(df > 2, 1.0)
        var = var.where(df > 2, math.inf)
        return var.where(df > 1, math.nan)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            from .utils import _rng
            t = host_sample(_rng().standard_t(host(self.df), shape), self.df)
            return self.loc + self.scale * t

    def rsample(self, sample_shape=()):
        from .gamma import _standard_gamma_rsample
        shape = self._extended_shape(sample_shape)
        z = noise("normal", shape, self.df)
        g = _standard_gamma_rsample(0.5 * self.df.expand(shape))
        return self.loc + self.scale * z * (0.5 * self.df / g).sqrt()

    def log_prob(self, value):
        value = self._value(value, self.loc)
        y = (value - self.loc) / self.scale
        df = self.df
        norm = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                + (0.5 * df).lgamma() - (0.5 * (df + 1)).lgamma())
        return -0.5 * (df + 1) * (y * y / df).log1p() - norm

    def _entropy(self):
        df = self.df
        lbeta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma()
                                                      - (0.5 * df).digamma())
                + 0.5 * df.log() + lbeta)

"""The gamma family and its relatives: Gamma, Chi2, Beta and Dirichlet.

Reparameterisation is exact: a standard gamma draw with shape a is x = P^-1(a, u) for
u ~ U(0, 1), where P is the regularised lower incomplete gamma function (_special.py), and its
derivative in a is the implicit one, -(dP/da)(a, x) / p(x; a), computed to full precision.
Chi2 is a Gamma; Beta(a, b) is X / (X + Y) and Dirichlet(alpha) is G / sum(G) for independent
standard gamma draws, so their rsample is exact too. sample() (no gradient) uses NumPy's fast
gamma sampler instead.
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..backend import get_default_dtype
from ..ops.index import one_hot
from ..tensor import Tensor
from . import constraints
from ._special import GammaInc, GammaIncInv
from .distribution import Distribution
from .utils import _rng, as_tensor, broadcast_all, clamp_probs, finfo, host, host_sample, noise

__all__ = ["Beta", "Chi2", "Dirichlet", "Gamma"]


def _standard_gamma_rsample(concentration: Tensor) -> Tensor:
    """One standard gamma draw per element of `concentration`, differentiable in it."""
    u = noise("uniform", tuple(concentration.shape), concentration)
    return GammaIncInv.apply(concentration, u)


def _standard_gamma_sample(concentration: Tensor, shape: tuple) -> Tensor:
    """Standard gamma draws of `shape` (concentration broadcast), outside the graph."""
    with no_grad():
        draw = _rng().standard_gamma(host(concentration.expand(shape)))
        return host_sample(draw, concentration).clamp(min=finfo(concentration.dtype).tiny)


class Gamma(Distribution):
    r"""Gamma distribution with shape `concentration` (alpha > 0) and `rate` (beta > 0).

    .. math:: p(x) = \frac{\beta^\alpha}{\Gamma(\alpha)} x^{\alpha-1} e^{-\beta x}

    cdf(x) = P(alpha, beta x) and icdf are exact, differentiable in both parameters (ember goes
    beyond PyTorch here, which has neither).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(tuple(self.concentration.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return _standard_gamma_sample(self.concentration, shape) / self.rate

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _standard_gamma_rsample(self.concentration.expand(shape)) / self.rate

    def log_prob(self, value):
        value = self._value(value, self.rate)
        a, b = self.concentration, self.rate
        return a.xlogy(b) + (a - 1).xlogy(value) - b * value - a.lgamma()

    def cdf(self, value):
        value = self._value(value, self.rate)
        return GammaInc.apply(self.concentration, self.rate * value, False)

    def icdf(self, value):
        return GammaIncInv.apply(self.concentration, self._level(value, self.rate)) / self.rate

    def _entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()


class Chi2(Gamma):
    """Chi-squared distribution with `df` degrees of freedom: Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        self.df = df
        super().__init__(0.5 * df, df.new_full((), 0.5).expand(tuple(df.shape)),
                         validate_args=validate_args)


class Beta(Distribution):
    r"""Beta distribution on [0, 1] with concentrations a = concentration1 and
    b = concentration0: density x^(a-1) (1-x)^(b-1) / B(a, b)."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(tuple(self.concentration1.shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """(a - 1) / (a + b - 2) for a, b > 1, else the end of [0, 1] where the density is
        largest: 0 when a <= 1 < b or a < 1 = b, 1 in the mirror cases (PyTorch's Beta, the
        first coordinate of the Dirichlet((a, b)) mode, gives these too, except nan for
        a < 1 = b); for a, b < 1 (unbounded at both ends) 1 if a >= b else 0, as
        Dirichlet.mode; nan for a = b = 1 (the uniform density has no unique mode)."""
        a, b = self.concentration1, self.concentration0
        a1, b1 = (a - 1).clamp(min=0), (b - 1).clamp(min=0)
        total = a1 + b1
        mode = (a1 / total.where(total > 0, 1.0)).where(total > 0, math.nan)
        a_low, b_low = a < 1, b < 1
        mode = b_low.to(a.dtype).where(a_low != b_low, mode)
        return (a >= b).to(a.dtype).where(a_low & b_low, mode)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            x = _standard_gamma_sample(self.concentration1, shape)
            y = _standard_gamma_sample(self.concentration0, shape)
            return clamp_probs(x / (x + y))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = _standard_gamma_rsample(self.concentration1.expand(shape))
        y = _standard_gamma_rsample(self.concentration0.expand(shape))
        return clamp_probs(x / (x + y))

    def log_prob(self, value):
        value = self._value(value, self.concentration1)
        a, b = self.concentration1, self.concentration0
        return ((a - 1).xlogy(value) + (b - 1).xlogy(1 - value) + (a + b).lgamma()
                - a.lgamma() - b.lgamma())

    def _entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        lbeta = a.lgamma() + b.lgamma() - total.lgamma()
        return lbeta - (a - 1) * a.digamma() - (b - 1) * b.digamma() \
            + (total - 2) * total.digamma()


class Dirichlet(Distribution):
    r"""Dirichlet distribution on the simplex with concentration alpha (..., K), alpha > 0:
    density prod x_k^(alpha_k - 1) / B(alpha)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        concentration = as_tensor(concentration)
        if not concentration.dtype.is_floating_point:
            concentration = concentration.to(get_default_dtype())
        if concentration.ndim < 1:
            raise ValueError("Dirichlet: concentration parameter must be at least "
                             "one-dimensional (..., K)")
        self.concentration = concentration
        super().__init__(tuple(concentration.shape[:-1]), tuple(concentration.shape[-1:]),
                         validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        a = self.concentration
        k = a.shape[-1]
        mode = (a - 1).clamp(min=0)
        mode = mode / mode.sum(-1, keepdim=True)
        # with every alpha_k < 1 the density is unbounded at the vertices: take the vertex of
        # the largest alpha_k, as PyTorch does
        vertex = one_hot(a.argmax(-1), k).to(a.dtype)
        return vertex.where((a < 1).all(-1, keepdim=True), mode)

    @property
    def variance(self):
        a = self.concentration
        a0 = a.sum(-1, keepdim=True)
        return a * (a0 - a) / (a0.pow(2) * (a0 + 1))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            g = _standard_gamma_sample(self.concentration, shape)
            return clamp_probs(g / g.sum(-1, keepdim=True))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        g = _standard_gamma_rsample(self.concentration.expand(shape))
        return clamp_probs(g / g.sum(-1, keepdim=True))

    def log_prob(self, value):
        value = self._value(value, self.concentration)
        a = self.concentration
        return ((a - 1).xlogy(value).sum(-1) + a.sum(-1).lgamma() - a.lgamma().sum(-1))

    def _entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        lbeta = a.lgamma().sum(-1) - a0.lgamma()
        return lbeta + (a0 - k) * a0.digamma() - ((a - 1) * a.digamma()).sum(-1)

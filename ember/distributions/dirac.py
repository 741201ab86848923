"""Dirac: a point mass (PyTorch has none; Pyro calls it Delta)."""

from __future__ import annotations

import math

from ..backend import get_default_dtype
from . import constraints
from .distribution import Distribution
from .utils import as_tensor, sum_rightmost

__all__ = ["Dirac"]


class Dirac(Distribution):
    """All probability at the point `loc` (batched: one point per batch element).

    Treated as a discrete distribution with one atom: log_prob is 0 (log 1) at the point and
    -inf elsewhere, entropy is 0, sample and rsample return the point (rsample is
    differentiable in loc: the draw *is* loc), mean and mode are loc and variance 0. With
    event_dim = k the last k dims of loc form one point (a vector, a matrix) and log_prob
    compares whole events. kl_divergence(Dirac(x), q) = -q.log_prob(x).
    """

    arg_constraints = {"loc": constraints.real}
    has_rsample = True

    def __init__(self, loc, event_dim: int = 0, validate_args=None):
        loc = as_tensor(loc)
        if not loc.dtype.is_floating_point:
            loc = loc.to(get_default_dtype())
        if not 0 <= event_dim <= loc.ndim:
            raise ValueError(f"Dirac: event_dim must be in [0, {loc.ndim}] for loc of shape "
                             f"{tuple(loc.shape)}, got {event_dim}")
        self.loc = loc
        self._event_dim = event_dim
        n = loc.ndim - event_dim
        super().__init__(tuple(loc.shape[:n]), tuple(loc.shape[n:]),
                         validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        """Real values, with event_dim = the point's (real vectors for event_dim 1, ...)."""
        if self._event_dim:
            return constraints.independent(constraints.real, self._event_dim)
        return constraints.real

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self.loc.new_zeros(tuple(self.loc.shape))

    def rsample(self, sample_shape=()):
        return self.loc.expand(self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = self._value(value, self.loc)
        hit = sum_rightmost((value != self.loc).to(self.loc.dtype), self._event_dim) == 0
        zero = self.loc.new_zeros(())
        return zero.expand(tuple(hit.shape)).where(hit, -math.inf)

    def cdf(self, value):
        if self._event_dim:
            raise NotImplementedError("Dirac.cdf is defined for scalar points (event_dim 0)")
        value = self._value(value, self.loc)
        return (value >= self.loc).to(self.loc.dtype)

    def icdf(self, value):
        if self._event_dim:
            raise NotImplementedError("Dirac.icdf is defined for scalar points (event_dim 0)")
        value = self._level(value, self.loc)
        return self.loc + value.new_zeros(tuple(value.shape))

    def _entropy(self):
        return self.loc.new_zeros(self._batch_shape)

"""Distributions over K categories: Categorical (an index), OneHotCategorical (a one-hot
vector) and Multinomial (counts of total_count draws).

`probs` (..., K) are non-negative weights, normalised over the last dim; `logits` (..., K) are
unnormalised log-probabilities (normalised by log-sum-exp). Give exactly one.
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..backend import get_default_dtype, int64
from ..creation import arange
from ..ops.index import one_hot
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import (
    _rng,
    as_tensor,
    check_observations,
    finfo,
    host,
    host_sample,
    lazy_property,
    log_normalize,
    logits_to_probs,
    noise,
    observations_first,
    probs_to_logits,
)

__all__ = ["Categorical", "Multinomial", "OneHotCategorical"]


def _param(name: str, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")
    value = as_tensor(probs if probs is not None else logits)
    if not value.dtype.is_floating_point:
        value = value.to(get_default_dtype())
    if value.ndim < 1:
        raise ValueError(f"{name}: `{'probs' if probs is not None else 'logits'}` must be at "
                         "least one-dimensional (..., K)")
    return value


class Categorical(Distribution):
    """Categorical distribution over {0, ..., K-1}: P(k) = probs[..., k] (normalised).

    Draws are int64 indices of shape sample_shape + batch_shape (batch_shape = probs.shape[:-1]).
    Mean and variance are undefined (nan), as in PyTorch.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None, *, _owner=None):
        # _owner: the distribution built on this one (OneHotCategorical, Multinomial), named
        # in the errors instead
        owner = _owner or type(self).__name__
        value = _param(owner, probs, logits)
        if probs is not None:
            validate = Distribution._validate_args if validate_args is None else validate_args
            if validate and not bool(((value >= 0).all(-1) & (value.sum(-1) > 0)).all()):
                raise ValueError(f"Expected parameter probs (Tensor of shape "
                                 f"{tuple(value.shape)}) of distribution {owner} "
                                 f"to satisfy the constraint Simplex() (non-negative weights "
                                 f"with a positive sum), but found invalid values:\n"
                                 f"{value.detach()}")
            self.probs = value / value.sum(-1, keepdim=True)
        else:
            self.logits = log_normalize(value)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = value.shape[-1]
        super().__init__(tuple(value.shape[:-1]), validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return tuple(self._param.shape)

    @property
    def mean(self):
        return self._param.new_full(self._extended_shape(), math.nan)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self._param.new_full(self._extended_shape(), math.nan)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            cdf = self.probs.cumsum(-1)
            u = noise("uniform", shape + (1,), self._param) * cdf[..., -1:]
            idx = (cdf.expand(shape + (self._num_events,)) < u).sum(-1)
            return idx.clamp(max=self._num_events - 1).to(int64)

    def log_prob(self, value):
        value = self._value(value, self._param)
        value = value.to(int64)
        logits = self.logits
        shape = tuple(_broadcast(tuple(value.shape), tuple(logits.shape[:-1])))
        index = value.expand(shape).unsqueeze(-1)
        return logits.expand(shape + (self._num_events,)).gather(-1, index).squeeze(-1)

    def _entropy(self):
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(self.probs * logits).sum(-1)

    def enumerate_support(self, expand: bool = True):
        values = arange(self._num_events, dtype=int64).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        return values.expand((self._num_events,) + self.batch_shape) if expand else values

    @classmethod
    def fit(cls, x, num_categories: int | None = None, dim: int = 0) -> Categorical:
        """Maximum likelihood: probs = the frequency of each index 0..K-1 in x (integer labels
        along `dim`); K = num_categories or max(x) + 1."""
        if not isinstance(x, Tensor):
            x = as_tensor(x)
        if x.numel() == 0:
            raise ValueError("Categorical.fit: no observations")
        if x.dtype.is_floating_point:
            check_observations(x, constraints.nonnegative_integer, "Categorical.fit")
        x = observations_first(x, dim, 0, "Categorical.fit").to(int64)
        k = num_categories if num_categories is not None else int(x.max().item()) + 1
        if int(x.min().item()) < 0 or int(x.max().item()) >= k:
            raise ValueError(f"Categorical.fit: labels must lie in [0, {k - 1}], got "
                             f"[{int(x.min().item())}, {int(x.max().item())}]")
        counts = one_hot(x, k).to(get_default_dtype()).sum(0)
        return cls(probs=counts / x.shape[0])


def _broadcast(a: tuple, b: tuple) -> tuple:
    from ..ops._util import broadcast_shapes_or_raise
    return broadcast_shapes_or_raise("log_prob", a, b)


class OneHotCategorical(Distribution):
    """A Categorical draw as a one-hot vector of length K (event_shape (K,))."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args,
                                        _owner=type(self).__name__)
        super().__init__(self._categorical.batch_shape, (self._categorical._num_events,),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._categorical = self._categorical.expand(batch_shape)
        new._batch_shape = tuple(batch_shape)
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def _param(self):
        return self._categorical._param

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return one_hot(self.probs.argmax(-1), self.event_shape[0]).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        idx = self._categorical.sample(sample_shape)
        return one_hot(idx, self.event_shape[0]).to(self._param.dtype)

    def log_prob(self, value):
        value = self._value(value, self._param)
        return self._categorical.log_prob(value.argmax(-1))

    def _entropy(self):
        return self._categorical._entropy()

    def enumerate_support(self, expand: bool = True):
        n = self.event_shape[0]
        values = one_hot(arange(n, dtype=int64), n).to(self._param.dtype)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand((n,) + self.batch_shape + (n,)) if expand else values


class Multinomial(Distribution):
    """Counts of `total_count` (an int) independent Categorical draws: event_shape (K,).

    log P(x) = log n! - sum_k log x_k! + sum_k x_k log p_k.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int) or isinstance(total_count, bool) or total_count < 0:
            raise ValueError(f"Multinomial: total_count must be a non-negative int, got "
                             f"{total_count!r}")
        self.total_count = total_count
        self._categorical = Categorical(probs, logits, validate_args=validate_args,
                                        _owner=type(self).__name__)
        super().__init__(self._categorical.batch_shape, (self._categorical._num_events,),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._categorical = self._categorical.expand(batch_shape)
        new._batch_shape = tuple(batch_shape)
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def _param(self):
        return self._categorical._param

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = host(self.probs.expand(shape)).astype("float64")
            p = p / p.sum(-1, keepdims=True)
            return host_sample(_rng().multinomial(self.total_count, p), self._param)

    def log_prob(self, value):
        value = self._value(value, self._param)
        logits = self.logits
        # x_k log p_k is 0 where x_k = 0, even for p_k = 0
        terms = (value * logits.clamp(min=finfo(logits.dtype).min)).where(value != 0, 0.0)
        return ((value.sum(-1) + 1).lgamma() - (value + 1).lgamma().sum(-1) + terms.sum(-1))

    def _entropy(self):
        # H = -log n! - n sum p log p + sum_k E[log X_k!], X_k ~ Binomial(n, p_k)
        n = self.total_count
        p = self.probs
        cat = self._categorical._entropy()
        k = arange(n + 1, dtype=p.dtype).reshape((-1,) + (1,) * p.ndim)
        logits = self.logits.clamp(min=finfo(p.dtype).min)
        log1m = (-p).log1p().clamp(min=finfo(p.dtype).min)
        log_binom = (math.lgamma(n + 1) - (k + 1).lgamma() - (n - k + 1).lgamma()
                     + (k * logits).where(k != 0, 0.0) + ((n - k) * log1m).where(k != n, 0.0))
        expected = (log_binom.exp() * (k + 1).lgamma()).sum(0).sum(-1)
        return n * cat - math.lgamma(n + 1) + expected

"""The Distribution base class (torch.distributions.Distribution's interface).

A distribution has a `batch_shape` (independent, differently parameterised copies) and an
`event_shape` (the shape of one draw: () for scalars, (k,) for vectors). `sample(sample_shape)`
returns `sample_shape + batch_shape + event_shape`; `log_prob(value)` returns the broadcast
batch shape. Parameters are checked against `arg_constraints` when the distribution is built
and values against `support` in log_prob, while validation is on (the default;
`Distribution.set_default_validate_args(False)` or `validate_args=False` turns it off).

Entropies are in nats; `entropy(base=2)` gives bits (and `base=10` dits) -- ember goes further
than PyTorch here: H_b = H_nats / ln b.
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..ops._util import broadcast_shapes_or_raise
from ..tensor import Tensor
from . import constraints
from .utils import as_tensor

__all__ = ["Distribution"]


def _shape(sample_shape) -> tuple:
    if isinstance(sample_shape, int):
        return (sample_shape,)
    return tuple(int(n) for n in sample_shape)


def check_base(base) -> float:
    """The log base of an information unit: a positive number other than 1 (2 = bits,
    e = nats, 10 = dits); ValueError otherwise."""
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not base > 0 \
            or base == 1 or math.isinf(base):
        raise ValueError(f"base must be a positive number other than 1 (2 for bits, math.e for "
                         f"nats, 10 for dits), got {base!r}")
    return float(base)


def in_base(nats: Tensor, base) -> Tensor:
    """An information quantity in nats converted to log base `base` (None or e: unchanged)."""
    if base is None:
        return nats
    base = check_base(base)
    return nats if base == math.e else nats / math.log(base)


class Distribution:
    """Base class of probability distributions.

    Subclasses set `arg_constraints`, `support`, `has_rsample`, and implement the methods they
    can: sample/rsample, log_prob, cdf, icdf, _entropy (nats), mean, mode, variance.
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument and value validation on or off for distributions built from now on
        (on by default, as in PyTorch)."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__:
                continue  # a lazily derived parameter (logits from probs, ...)
            value = getattr(self, param)
            if not isinstance(value, Tensor):
                continue
            if not bool(constraints._checked(constraint, value).all()):
                raise ValueError(
                    f"Expected parameter {param} (Tensor of shape {tuple(value.shape)}) of "
                    f"distribution {self!r} to satisfy the constraint {constraint!r}, but found "
                    f"invalid values:\n{value.detach()}")

    # ---------------------------------------------------------------------------------- shapes
    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        return _shape(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape, _instance=None) -> Distribution:
        """The same distribution with its batch dims expanded to `batch_shape` (the parameters
        are expanded, not copied, and not validated again)."""
        batch_shape = _shape(batch_shape)
        broadcast_shapes_or_raise(f"{type(self).__name__}.expand", self._batch_shape,
                                  batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        nb = len(self._batch_shape)
        for key, value in self.__dict__.items():
            if isinstance(value, Tensor) and value.ndim >= nb \
                    and tuple(value.shape[:nb]) == self._batch_shape:
                value = value.expand(batch_shape + tuple(value.shape[nb:]))
            new.__dict__[key] = value
        new._batch_shape = batch_shape
        return new

    # ------------------------------------------------------------------------ declarations
    @property
    def arg_constraints(self) -> dict:
        """{parameter name: Constraint} for the parameters validation checks."""
        raise NotImplementedError

    @property
    def support(self):
        """The Constraint the values of this distribution lie in."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------- moments
    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    # ---------------------------------------------------------------------------- sampling
    def sample(self, sample_shape=()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised draw: differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler "
                                  f"(has_rsample is False); use sample()")

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    # ------------------------------------------------------------------------- densities
    def log_prob(self, value) -> Tensor:
        """The log density (or log mass) at `value`, of the broadcast batch shape."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no closed-form cdf")

    def icdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no closed-form icdf")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no finite support to enumerate")

    def entropy(self, base=None) -> Tensor:
        """The differential (or Shannon) entropy, of shape batch_shape: in nats by default,
        in log base `base` otherwise (2: bits, 10: dits): H_b = H_nats / ln b."""
        return in_base(self._entropy(), base)

    def _entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        """exp(entropy in nats) (= b^H_b in any base b)."""
        return self._entropy().exp()

    @classmethod
    def fit(cls, x, dim: int = 0):
        """The maximum-likelihood distribution for data `x` (observations along `dim`)."""
        raise NotImplementedError(f"{cls.__name__}.fit: no closed-form maximum-likelihood "
                                  f"estimate; use ember.stats.mle({cls.__name__}, data, init)")

    # -------------------------------------------------------------------------- validation
    def _value(self, value, like: Tensor | None = None) -> Tensor:
        """`value` as a Tensor, checked against the support while validation is on."""
        if not isinstance(value, Tensor):
            value = as_tensor(value, like)
        if self._validate_args:
            self._validate_sample(value)
        return value

    def _level(self, value, like: Tensor | None = None) -> Tensor:
        """The argument of icdf as a Tensor, checked to be probabilities in [0, 1] while
        validation is on (PyTorch does not check, and returns nan or a wrong number)."""
        value = as_tensor(value, like)
        if self._validate_args:
            with no_grad():
                bad = (value < 0) | (value > 1) | value.isnan()
                if bool(bad.any()):
                    raise ValueError(f"{type(self).__name__}.icdf: value must be probabilities "
                                     f"in [0, 1], but found {value[bad].detach().tolist()}")
        return value

    def _validate_sample(self, value: Tensor) -> None:
        n = len(self._event_shape)
        if n and tuple(value.shape[value.ndim - n:]) != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(tuple(value.shape)), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{tuple(value.shape)} vs {expected}.")
        support = self.support
        if not bool(constraints._checked(support, value).all()):
            raise ValueError(
                f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within "
                f"the support ({support!r}) of the distribution {self!r}, but found invalid "
                f"values:\n{value.detach()}")

    def __repr__(self) -> str:
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        parts = []
        for k in names:
            v = self.__dict__[k]
            if isinstance(v, Tensor):
                parts.append(f"{k}: {v.detach().item() if v.numel() == 1 else tuple(v.shape)}")
        return f"{type(self).__name__}({', '.join(parts)})"

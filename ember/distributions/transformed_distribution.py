"""TransformedDistribution (the change-of-variables formula) and LogNormal, the exp of a
Normal."""

from __future__ import annotations

from ..autograd import no_grad
from . import constraints
from .continuous import Normal, _fit_data
from .distribution import Distribution
from .independent import Independent
from .transforms import ComposeTransform, ExpTransform, Transform
from .utils import sum_rightmost

__all__ = ["LogNormal", "TransformedDistribution"]


class TransformedDistribution(Distribution):
    r"""The distribution of Y = f(X) for X ~ base_distribution and f = transforms applied in
    order (a Transform or a list). For an invertible f,

    .. math:: \log p_Y(y) = \log p_X(f^{-1}(y)) - \log|\det J_f(f^{-1}(y))|

    cdf and icdf exist for scalar monotone transforms (the cdf is flipped for decreasing
    ones). rsample exists when the base has one.
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, (list, tuple)):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = list(transforms)
        else:
            raise ValueError(f"transforms must be a Transform or a list, but was {transforms}")
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{transform.domain.event_dim}, but got {base_shape}.")
        forward_shape = transform.forward_shape(base_shape)
        expanded_base_shape = transform.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            base_batch = expanded_base_shape[:len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch)
        reinterpreted = transform.domain.event_dim - base_event_dim
        if reinterpreted > 0:
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        transform_change = transform.codomain.event_dim - transform.domain.event_dim
        event_dim = max(transform.codomain.event_dim,
                        len(base_distribution.event_shape) + transform_change)
        n = len(forward_shape)
        super().__init__(forward_shape[:n - event_dim], forward_shape[n - event_dim:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        shape = batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        n = len(self.base_dist.event_shape)
        new.base_dist = self.base_dist.expand(shape[:len(shape) - n])
        new._batch_shape = batch_shape
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    def sample(self, sample_shape=()):
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=()):
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        value = self._value(value, _param_like(self))
        event_dim = len(self.event_shape)
        log_prob = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - sum_rightmost(t.log_abs_det_jacobian(x, y),
                                                event_dim - t.domain.event_dim)
            y = x
        base = sum_rightmost(self.base_dist.log_prob(y),
                             event_dim - len(self.base_dist.event_shape))
        return base + log_prob

    def _monotonize_cdf(self, value):
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        value = self._value(value, _param_like(self))
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        value = self._monotonize_cdf(self._level(value, _param_like(self)))
        value = self.base_dist.icdf(value)
        for t in self.transforms:
            value = t(value)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_dist!r}, {self.transforms!r})"


def _param_like(dist: Distribution):
    """A parameter tensor of the innermost base distribution (for dtype and device)."""
    d = dist
    while hasattr(d, "base_dist"):
        d = d.base_dist
    for v in d.__dict__.values():
        from ..tensor import Tensor
        if isinstance(v, Tensor) and v.dtype.is_floating_point:
            return v
    return None


class LogNormal(TransformedDistribution):
    """exp(X) for X ~ Normal(loc, scale): a TransformedDistribution with closed-form mean,
    mode, variance and entropy."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.pow(2)).exp()

    @property
    def variance(self):
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def _entropy(self):
        return self.base_dist._entropy() + self.loc

    def __repr__(self) -> str:
        return f"LogNormal(loc: {_short(self.loc)}, scale: {_short(self.scale)})"

    @classmethod
    def fit(cls, x, dim: int = 0) -> LogNormal:
        """Maximum likelihood: the Normal fit of log x (observations must be positive)."""
        x = _fit_data(cls, x, dim)
        normal = Normal.fit(x.log(), 0)
        return cls(normal.loc, normal.scale)


def _short(t):
    return t.detach().item() if t.numel() == 1 else tuple(t.shape)


"""Helpers shared by the distributions: parameters as tensors, broadcasting, probs <-> logits,
random noise from ember's generator, and lazily computed attributes."""

from __future__ import annotations

import functools
import math
from numbers import Number

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor, _make

__all__ = ["broadcast_all", "lazy_property", "logits_to_probs", "probs_to_logits",
           "clamp_probs", "sum_rightmost", "as_tensor"]


def _rng():
    """The NumPy Generator behind ember.manual_seed (looked up on every call: manual_seed
    replaces it)."""
    return backend.default_generator.rng


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """A Tensor from a Tensor (returned as is), number, list or array. With `like` (a floating
    tensor) the result takes its dtype and device; otherwise a number becomes the default
    floating dtype, and lists and arrays keep their own dtype as ember.tensor infers it
    (float64 NumPy arrays stay float64)."""
    if isinstance(value, Tensor):
        return value
    if like is not None and like.dtype.is_floating_point:
        return _make(like._device.asarray(value, like.dtype), like._device)
    device = like._device if like is not None else backend.device(None)
    if isinstance(value, Number) and not isinstance(value, bool):
        return _make(device.asarray(value, backend.get_default_dtype()), device)
    from ..creation import tensor
    return tensor(value, device=device)


def broadcast_all(*values) -> tuple:
    """Tensors broadcast to one shape (differentiable): lists and arrays become tensors of
    their own dtype, numbers take the dtype of the first floating tensor (or the default
    dtype), and integer tensors become floating. RuntimeError if the shapes do not broadcast.
    """
    converted = []
    for v in values:
        if not isinstance(v, (Tensor, Number, list, tuple)) and not backend.is_array(v):
            raise TypeError(f"expected Tensors or numbers, got {type(v).__name__}")
        converted.append(v if isinstance(v, (Tensor, Number)) else as_tensor(v))
    like = next((v for v in converted if isinstance(v, Tensor) and v.dtype.is_floating_point),
                None)
    dtype = like.dtype if like is not None else backend.get_default_dtype()
    tensors = []
    for v in converted:
        t = as_tensor(v, like)
        tensors.append(t if t.dtype.is_floating_point else t.to(dtype))
    if len(tensors) == 1:
        return tuple(tensors)
    shapes = [tuple(t.shape) for t in tensors]
    if all(s == shapes[0] for s in shapes):
        return tuple(tensors)
    from ..ops.shape import broadcast_tensors
    return tuple(broadcast_tensors(*tensors))


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum over the rightmost `dim` dims (no-op for 0)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.ndim - dim]) + (-1,)).sum(-1)


class finfo:  # noqa: N801  (torch.finfo's name)
    """Machine limits of a floating dtype as Python floats: eps, tiny, min, max."""

    def __init__(self, dtype):
        info = backend.float_info(dtype)
        self.eps, self.tiny = float(info.eps), float(info.tiny)
        self.min, self.max = float(info.min), float(info.max)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities pulled into [eps, 1 - eps] so that their logs stay finite."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(eps, 1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds log p - log(1 - p) (binary) or log p (categorical), with p clamped away from 0
    and 1."""
    ps = clamp_probs(probs)
    if is_binary:
        return ps.log() - (-ps).log1p()
    return ps.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) (binary) or softmax over the last dim (categorical)."""
    if is_binary:
        return logits.sigmoid()
    return (logits - logits.logsumexp(-1, keepdim=True)).exp()


def log_normalize(logits: Tensor) -> Tensor:
    """logits - logsumexp(logits): log-probabilities along the last dim."""
    return logits - logits.logsumexp(-1, keepdim=True)


class lazy_property:  # noqa: N801  (a decorator, named like property)
    """A property computed once per instance and then stored on it (so `probs` and `logits` can
    each be given and the other derived on demand). Read on the class, it returns itself."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def noise(kind: str, shape: tuple, like: Tensor, **kwargs) -> Tensor:
    """A tensor of standard noise ('normal', 'uniform' in (0, 1), 'exponential', 'gumbel',
    'cauchy') with `like`'s dtype and device, from ember's default generator."""
    rng = _rng()
    shape = tuple(shape)
    if kind == "normal":
        host = rng.standard_normal(shape)
    elif kind == "uniform":
        host = rng.random(shape)
    elif kind == "exponential":
        host = rng.standard_exponential(shape)
    elif kind == "gumbel":
        host = rng.gumbel(size=shape)
    elif kind == "cauchy":
        host = rng.standard_cauchy(shape)
    else:
        raise ValueError(f"unknown noise kind {kind!r}")
    host = host.astype(like.dtype.np)
    if kind == "uniform":  # (0, 1) open: log u and log(1 - u) stay finite
        lim = finfo(like.dtype)
        host = host.clip(lim.tiny, 1 - lim.eps / 2)
    return _make(like._device.asarray(host), like._device)


def host_sample(host, like: Tensor, dtype=None) -> Tensor:
    """A NumPy sample (from the generator) as a Tensor on `like`'s device."""
    dt = like.dtype if dtype is None else dtype
    return _make(like._device.asarray(host.astype(dt.np)), like._device)


def host(t: Tensor):
    """A tensor's values on the host (for the NumPy generator's samplers)."""
    with no_grad():
        return t._device.to_host(t._data)


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) exactly (no linear threshold), stable for any x."""
    return x.softplus(1.0, math.inf)


def data_tensor(x, op: str) -> Tensor:
    """Observations for a fit: a floating Tensor (arrays, lists and integer tensors converted to
    the default dtype); ValueError if empty."""
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    if not x.dtype.is_floating_point:
        x = x.to(backend.get_default_dtype())
    if x.numel() == 0:
        raise ValueError(f"{op}: no observations (got an empty tensor of shape "
                         f"{tuple(x.shape)})")
    return x


def check_observations(x: Tensor, support, op: str) -> None:
    """ValueError naming `op` unless every observation lies in `support` (a Constraint): a fit
    of data the family cannot produce (negative counts, 0.5 for a Bernoulli, nan) has no
    maximum-likelihood estimate."""
    from . import constraints
    ok = constraints._checked(support, x)
    if not bool(ok.all()):
        with no_grad():
            bad = x[~ok] if tuple(ok.shape) == tuple(x.shape) else x
            shown = bad.reshape(-1)[:5].tolist()
        raise ValueError(f"{op}: observations must lie in the support {support!r} of the "
                         f"family, but found values outside it: {shown}"
                         f"{' ...' if bad.numel() > 5 else ''}")


def fit_data(cls, x, dim: int, support=None) -> Tensor:
    """Observations for cls.fit of a univariate family: a floating tensor with the
    observation dim first, checked against `support` (default: the class's support unless it
    depends on the parameters)."""
    from . import constraints
    op = f"{cls.__name__}.fit"
    x = observations_first(data_tensor(x, op), dim, 0, op)
    if support is None and not constraints.is_dependent(cls.support):
        support = cls.support
    if support is not None:
        check_observations(x, support, op)
    return x


def observations_first(x: Tensor, dim: int, event_dims: int, op: str) -> Tensor:
    """x with its observation dim moved to the front (event dims stay last)."""
    from ..ops._util import wrap_dim
    if x.ndim < 1 + event_dims:
        raise ValueError(f"{op}: expected data with an observation dim and {event_dims} event "
                         f"dim(s), got shape {tuple(x.shape)}")
    d = wrap_dim(dim, x.ndim - event_dims, op)
    return x.movedim(d, 0)

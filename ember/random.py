"""Random tensors. Every function takes `generator=` (default: the generator that
`ember.manual_seed` seeds), so results are reproducible under a seed."""

from __future__ import annotations

from . import backend
from .autograd import grad_mode
from .backend import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed
from .creation import _dtype, _finish
from .ops._util import check_tensor, parse_shape
from .ops.index import check_inplace
from .tensor import Tensor, _make

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
           "poisson", "rand_like", "randn_like", "randint_like"]

set_rng_state = backend.set_rng_state


def _rng(generator, device: backend.Device):
    gen = default_generator if generator is None else generator
    if not isinstance(gen, Generator):
        raise TypeError(f"generator must be an ember.Generator, got {type(gen).__name__}")
    return gen.rng


def _sample(dt: backend.DType, draw, complex_scale: float):
    """draw(real dtype name) as an array of dtype `dt`. A complex dtype gets independent real and
    imaginary parts, each scaled by complex_scale, as PyTorch's (randn: variance 1/2 each, so
    that E|z|^2 = 1; rand: each part uniform in [0, 1))."""
    real = "float32" if dt in (backend.float32, backend.complex64) else "float64"
    if dt.category < 3:
        return draw(real).astype(dt.np, copy=False)
    z = draw(real).astype(dt.np)
    z.imag = draw(real)
    if complex_scale != 1.0:
        z *= complex_scale
    return z


def _shape(op: str, sizes, size) -> tuple[int, ...]:
    shape = parse_shape(op, sizes if size is None else (size,))
    if any(n < 0 for n in shape):
        raise RuntimeError(f"{op}: trying to create tensor with negative dimension: "
                           f"{list(shape)}")
    return shape


def _check_float(op: str, dt: backend.DType) -> None:
    if dt.category < 2:
        raise RuntimeError(f"{op}: expected a floating-point dtype, got {dt}")


def rand(*sizes, size=None, generator=None, dtype=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    shape = _shape("rand", sizes, size)
    dt = _dtype(dtype)
    _check_float("rand", dt)
    dev = backend.device(device)
    rng = _rng(generator, dev)
    host = _sample(dt, lambda real: rng.random(shape, dtype=real), 1.0)
    return _finish(dev.asarray(host), dev, requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples (mean 0, variance 1)."""
    shape = _shape("randn", sizes, size)
    dt = _dtype(dtype)
    _check_float("randn", dt)
    dev = backend.device(device)
    rng = _rng(generator, dev)
    host = _sample(dt, lambda real: rng.standard_normal(shape, dtype=real), 0.5 ** 0.5)
    return _finish(dev.asarray(host), dev, requires_grad)


def randint(*args, low=None, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high): randint(high, size) or randint(low, high, size) (the
    arguments may also be given by name)."""
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise TypeError("randint: expected a size tuple, e.g. randint(10, (3,))")
        size, args = args[-1], args[:-1]
    if high is not None:
        args = (*args, high)
    if low is not None:
        args = (low, *args)
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint(low=0, high, size)")
    if high <= low:
        raise RuntimeError(f"randint: random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    dt = backend.to_dtype(dtype) if dtype is not None else backend.int64
    dev = backend.device(device)
    host = _rng(generator, dev).integers(low, high, size=tuple(size), dtype="int64")
    return _finish(dev.asarray(host.astype(dt.np)), dev, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1."""
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    dt = backend.to_dtype(dtype) if dtype is not None else backend.int64
    dev = backend.device(device)
    host = _rng(generator, dev).permutation(n)
    return _finish(dev.asarray(host.astype(dt.np)), dev, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples: normal(mean, std, size) with numbers, or with tensor mean and/or std
    (broadcast). Differentiable in tensor mean and std (mean + std * eps)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        shape = tuple(like.shape)
        if isinstance(mean, Tensor) and isinstance(std, Tensor):
            from .ops._util import broadcast_shapes_or_raise
            shape = broadcast_shapes_or_raise("normal", tuple(mean.shape), tuple(std.shape))
        if isinstance(std, Tensor) and bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        eps = randn(shape, generator=generator, dtype=like.dtype, device=like._device)
        return mean + std * eps
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal: with number mean and std, give a size")
    eps = randn(*parse_shape("normal", (size,)), generator=generator, dtype=dtype, device=device)
    out = eps * std + mean
    return out.requires_grad_(True) if requires_grad else out


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples, 1 with probability input (or p); the result has input's dtype and shape."""
    check_tensor("bernoulli", input)
    probs = input._data if p is None else p
    xp = input._device.xp
    if bool(xp.any((xp.asarray(probs) < 0) | (xp.asarray(probs) > 1))):
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1]")
    u = _rng(generator, input._device).random(tuple(input.shape))
    host = (u < backend.cpu.xp.asarray(input._device.to_host(xp.asarray(probs))))
    return _make(input._device.asarray(host.astype(input.dtype.np)), input._device)


def multinomial(input, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Indices sampled from each row of non-negative weights (not necessarily normalised).
    Without replacement an index is drawn at most once per row."""
    check_tensor("multinomial", input)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape "
                           f"{tuple(input.shape)}")
    np_ = backend.cpu.xp
    w = np_.asarray(input._device.to_host(input._data), dtype="float64")
    rows = w.reshape(-1, w.shape[-1])
    if not np_.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: invalid distribution (probabilities must be finite and "
                           "non-negative)")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities "
                           "<= 0)")
    n = rows.shape[1]
    if not replacement and num_samples > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({num_samples} > {n})")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples}")
    rng = _rng(generator, input._device)
    if replacement:
        cdf = np_.cumsum(rows / totals[:, None], axis=1)
        cdf[:, -1] = 1.0
        u = rng.random((rows.shape[0], num_samples))
        out = np_.stack([np_.searchsorted(c, v, side="right") for c, v in zip(cdf, u)])
        out = np_.minimum(out, n - 1)
    else:
        if ((rows > 0).sum(axis=1) < num_samples).any():
            raise RuntimeError("multinomial: invalid multinomial distribution (with replacement="
                               "False, not enough non-negative category to sample)")
        # Gumbel-top-k: the k largest log w + Gumbel noise are a draw without replacement
        with np_.errstate(divide="ignore"):
            keys = np_.log(rows) + rng.gumbel(size=rows.shape)
        out = np_.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.reshape(tuple(input.shape[:-1]) + (num_samples,)).astype("int64")
    return _make(input._device.asarray(out), input._device)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates `input`."""
    check_tensor("poisson", input)
    rates = input._device.to_host(input._data)
    if (rates < 0).any():
        raise RuntimeError("poisson: rates must be non-negative")
    host = _rng(generator, input._device).poisson(rates).astype(input.dtype.np)
    return _make(input._device.asarray(host), input._device)


def rand_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return rand(tuple(input.shape), dtype=dtype or input.dtype,
                device=device or input._device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return randn(tuple(input.shape), dtype=dtype or input.dtype,
                 device=device or input._device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input._device, requires_grad=requires_grad)


# --------------------------------------------------------------------- in-place random fills

def _random_fill(op: str, self: Tensor, host) -> Tensor:
    check_inplace(op, self, grad_mode.state.enabled and self._requires_grad)
    self._data[...] = self._device.asarray(host.astype(self.dtype.np, copy=False))
    self._vc[0] += 1
    if self.grad_fn is not None:  # overwritten by samples: no longer part of the graph
        self.grad_fn = None
        self._requires_grad = False
    return self


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Fill with uniform samples from [a, b) (a floating-point tensor)."""
    _check_float("uniform_", self.dtype)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > "
                           f"to={b}")
    rng = _rng(generator, self._device)
    return _random_fill("uniform_", self, rng.uniform(a, b, tuple(self.shape)))


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with normal samples (a floating-point tensor)."""
    _check_float("normal_", self.dtype)
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    rng = _rng(generator, self._device)
    return _random_fill("normal_", self, rng.normal(mean, std, tuple(self.shape)))


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability p (a number or a tensor)."""
    rng = _rng(generator, self._device)
    probs = p._device.to_host(p._data) if isinstance(p, Tensor) else p
    return _random_fill("bernoulli_", self, rng.random(tuple(self.shape)) < probs)


def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate lambd."""
    rng = _rng(generator, self._device)
    return _random_fill("exponential_", self, rng.exponential(1.0 / lambd, tuple(self.shape)))


def random_(self, from_: int = 0, to: int | None = None, *, generator=None) -> Tensor:
    """Fill with integers uniform in [from, to); random_(to) is [0, to); random_() is [0, 2^24]
    for float32 (2^53 for float64), or the whole non-negative range of an integer dtype."""
    if to is None:
        if from_:
            from_, to = 0, from_
        elif self.dtype.category == 1:
            to = int(backend.iinfo(self.dtype).max) + 1
        elif self.dtype is backend.bool_:
            to = 2
        else:
            to = 2 ** 24 + 1 if self.dtype is not backend.float64 else 2 ** 53 + 1
    rng = _rng(generator, self._device)
    return _random_fill("random_", self, rng.integers(from_, to, tuple(self.shape)))


for _method in (uniform_, normal_, bernoulli_, exponential_, random_):
    setattr(Tensor, _method.__name__, _method)


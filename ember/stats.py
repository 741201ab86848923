"""Statistics: moments, covariance and correlation, medians and quantiles, histograms,
standardisation, log-likelihoods and maximum-likelihood estimation by gradient ascent.

PyTorch's names and semantics where it has the function (torch.cov, torch.corrcoef,
torch.quantile, torch.histc, torch.histogram, torch.bincount); all differentiable except the
counting ones (histc, histogram, bincount).
"""

from __future__ import annotations

import math
from collections import namedtuple

from . import backend
from .autograd import enable_grad, no_grad
from .ops._util import check_tensor, normalize_dims
from .ops.index import bincount
from .ops.reduce import median as _median
from .tensor import Tensor, _make

__all__ = ["bincount", "corrcoef", "cov", "histc", "histogram", "log_likelihood", "mean",
           "median", "mle", "nanquantile", "quantile", "standardize", "std", "var"]

histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def _float_tensor(op: str, x) -> Tensor:
    from .distributions.utils import as_tensor
    if not isinstance(x, Tensor):
        try:
            x = as_tensor(x)
        except (TypeError, ValueError):
            raise TypeError(f"{op}: expected a Tensor or array-like, got "
                            f"{type(x).__name__}") from None
    if not x.dtype.is_floating_point:
        x = x.to(backend.get_default_dtype())
    return x


# ------------------------------------------------------------------------------- moments

def mean(input, dim=None, keepdim: bool = False, *, weights=None) -> Tensor:
    """The arithmetic mean over `dim` (all elements by default), or with `weights`
    (broadcast against input) the weighted mean sum(w x) / sum(w)."""
    x = _float_tensor("mean", input)
    if weights is None:
        return x.mean(dim, keepdim)
    w = _float_tensor("mean", weights).to(x.dtype)
    if bool((w < 0).any()):
        raise ValueError("mean: weights must be non-negative")
    from .ops._util import broadcast_shapes_or_raise
    shape = broadcast_shapes_or_raise("mean", tuple(x.shape), tuple(w.shape))
    if shape != tuple(x.shape):
        raise RuntimeError(f"mean: weights of shape {tuple(w.shape)} must broadcast to the "
                           f"input's shape {tuple(x.shape)}")
    w = w.expand(tuple(x.shape)) if tuple(w.shape) != tuple(x.shape) else w
    return (w * x).sum(dim, keepdim) / w.sum(dim, keepdim)


def var(input, dim=None, *, correction: float = 1, keepdim: bool = False) -> Tensor:
    """sum((x - mean)^2) / (N - correction) over `dim` (correction=1: the unbiased sample
    variance; 0: the population variance, the MLE of a Normal)."""
    return _float_tensor("var", input).var(dim, keepdim=keepdim, correction=correction)


def std(input, dim=None, *, correction: float = 1, keepdim: bool = False) -> Tensor:
    """sqrt(var(input, dim, correction=correction))."""
    return _float_tensor("std", input).std(dim, keepdim=keepdim, correction=correction)


def cov(input, *, correction: int = 1, fweights=None, aweights=None,
        rowvar: bool = True) -> Tensor:
    r"""The covariance matrix of variables observed together, as torch.cov.

    input: (V, N) with variables in rows and observations in columns (rowvar=True, PyTorch's
    and NumPy's layout), or (N, V) with rowvar=False; a 1-D input is one variable (the result
    is then 0-dim). fweights (N,) are integer frequency weights, aweights (N,) non-negative
    observation weights; with w = fweights * aweights,

    .. math:: \mathrm{cov} = \frac{\sum_i w_i (x_i - \bar x)(x_i - \bar x)^T}{\sum w - c\,
              \frac{\sum w \cdot a}{\sum w}}

    (the denominator is N - correction without weights). A non-positive denominator gives
    inf/nan, as in PyTorch.
    """
    op = "cov"
    x = input if isinstance(input, Tensor) else _float_tensor(op, input)
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    if not rowvar and x.ndim == 2:
        x = x.mT
    x = x.reshape(1, -1) if x.ndim < 2 else x
    if not x.dtype.is_floating_point:
        x = x.to(backend.get_default_dtype())
    n = x.shape[1]
    w = None
    if fweights is not None:
        fw = fweights if isinstance(fweights, Tensor) else _make(
            x._device.asarray(fweights), x._device)
        if fw.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but "
                               f"got fweights with {fw.ndim} dimensions")
        if fw.numel() != n:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are "
                               f"observations in the input but got {fw.numel()} != {n}")
        if fw.dtype.category != 1:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {fw.dtype} dtype")
        if bool((fw < 0).any()):
            raise RuntimeError(f"cov(): fweights cannot be negative but got "
                               f"{fw.min().item()}")
        w = fw.to(x.dtype)
    aw = None
    if aweights is not None:
        aw = aweights if isinstance(aweights, Tensor) else _float_tensor(op, aweights)
        if aw.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but "
                               f"got aweights with {aw.ndim} dimensions")
        if aw.numel() != n:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are "
                               f"observations in the input but got {aw.numel()} != {n}")
        if not aw.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {aw.dtype} dtype")
        if bool((aw < 0).any()):
            raise RuntimeError(f"cov(): aweights cannot be negative but got "
                               f"{aw.min().item()}")
        aw = aw.to(x.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = x.mean(1)
        norm = n - correction
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aw is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aw).sum() / w_sum
    if isinstance(norm, Tensor):
        norm = norm.clamp(min=0)
    else:
        norm = max(norm, 0)
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = (xw @ xm.mT) / norm
    return c.squeeze() if input_ndim(input) < 2 else c


def input_ndim(x) -> int:
    return x.ndim if isinstance(x, Tensor) else _float_tensor("cov", x).ndim


def corrcoef(input, *, rowvar: bool = True) -> Tensor:
    """Pearson correlation coefficients cov_ij / sqrt(cov_ii cov_jj) of variables in rows
    (rowvar=True) or columns, clipped to [-1, 1] against rounding, as torch.corrcoef."""
    c = cov(input, rowvar=rowvar)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1) / stddev.unsqueeze(0)
    return c.clamp(-1, 1)


def median(input, dim=None, keepdim: bool = False):
    """The lower median (of an even count, the smaller middle value), as torch.median: a
    Tensor for dim=None, else (values, indices)."""
    x = _float_tensor("median", input) if not isinstance(input, Tensor) else input
    if dim is None:
        return _median(x)
    return _median(x, dim, keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles of input over `dim` (flattened when None), as torch.quantile.

    q is a number or a 1-D tensor of values in [0, 1] (a tensor q puts its dim first in the
    result). The quantile sits at position q (n - 1) of the sorted values; between two values
    it is interpolated: 'linear', 'lower', 'higher', 'midpoint' or 'nearest' (ties to the even
    position). A slice holding nan gives nan. Differentiable (linear: a weighted pair of order
    statistics).
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile ignoring nan, as torch.nanquantile: each slice's quantile of its m non-nan
    values (position q (m - 1)); nan only where a slice is all nan."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def _quantile(op: str, input, q, dim, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:
    x = _float_tensor(op, input)
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}."
                         f" Got {interpolation!r}")
    scalar_q = not isinstance(q, Tensor)
    from .distributions.utils import as_tensor
    qt = (q if isinstance(q, Tensor) else as_tensor(q, x)).to(x.dtype)
    if qt.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape "
                           f"{tuple(qt.shape)}")
    if bool(((qt < 0) | (qt > 1)).any()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if x.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if dim is None:
        src = x.reshape(-1)
        d = 0
    else:
        (d,) = normalize_dims(dim, x.ndim, op)
        src = x
    srt = src.sort(d).values.movedim(d, -1)               # (..., n), nan last
    n = srt.shape[-1]
    nans = srt.isnan()
    qs = qt.reshape(-1)
    if ignore_nan:
        # each slice's own count m of non-nan values: positions q (m - 1), (..., Q)
        count = (~nans).sum(-1, keepdim=True).to(x.dtype)
        last = (count - 1).clamp(min=0)
        pos = qs * last
        bad = count == 0
    else:
        last = n - 1
        pos = qs * last
        bad = nans.any(-1, keepdim=True)
    # q (m - 1) one rounding above an integer (0.3 * 20 = 6.000000000000001) is that integer,
    # as in NumPy and PyTorch, so 'higher' does not jump to the next order statistic
    whole = pos.round()
    tol = 8 * _eps(x) * (last.clamp(min=1) if isinstance(last, Tensor) else max(last, 1))
    pos = whole.where((pos - whole).abs() <= tol, pos)
    lo = pos.floor().clamp(0, n - 1)
    hi = pos.ceil().clamp(0, n - 1)
    if interpolation == "nearest":
        near = pos.round()  # half to even, as torch.quantile
        lo = hi = near
    lead = tuple(srt.shape[:-1])
    lo_i = lo.to(backend.int64).expand(lead + (qs.shape[0],))
    hi_i = hi.to(backend.int64).expand(lead + (qs.shape[0],))
    v_lo = srt.gather(-1, lo_i)
    v_hi = srt.gather(-1, hi_i)
    if interpolation == "linear":
        frac = pos - lo
        out = v_lo + (v_hi - v_lo) * frac
    elif interpolation in ("lower", "nearest"):
        out = v_lo
    elif interpolation == "higher":
        out = v_hi
    else:
        out = 0.5 * (v_lo + v_hi)
    out = out.where(~bad, math.nan)                          # (..., Q)
    out = out.movedim(-1, 0)                                 # (Q, ...)
    if keepdim:
        if dim is None:
            out = out.reshape((qs.shape[0],) + (1,) * x.ndim)
        else:
            out = out.unsqueeze(d + 1)
    if scalar_q or qt.ndim == 0:
        out = out.squeeze(0)
    return out


def _eps(x: Tensor) -> float:
    return float(backend.float_info(x.dtype).eps)


# ------------------------------------------------------------------------------ counting

def histc(input, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of the elements in `bins` equal-width bins over [min, max] (the data's min and
    max when both are 0, widened by 1 each way when those are equal), as torch.histc.
    Elements outside are ignored; max itself falls in the last bin. Not differentiable."""
    op = "histc"
    check_tensor(op, input)
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for bins")
    if min > max:
        raise RuntimeError(f"torch.histc: max must be larger than min, but got min {min} "
                           f"max {max}")
    x = input.detach()
    xp = x._device.xp
    data = x._data.reshape(-1).astype("float64")
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    keep = (data >= lo) & (data <= hi)
    idx = ((data[keep] - lo) * bins / (hi - lo)).astype("int64")
    idx = xp.minimum(idx, bins - 1)
    counts = xp.bincount(idx, minlength=bins)[:bins]
    dt = x.dtype if x.dtype.is_floating_point else backend.get_default_dtype()
    return _make(counts.astype(dt.np), x._device)


def histogram(input, bins=100, *, range=None, weight=None,  # noqa: A002
              density: bool = False):
    """(hist, bin_edges) as torch.histogram: `bins` equal-width bins over `range` (default:
    the data's min and max), or a 1-D tensor of increasing bin edges. Each bin is [left,
    right) except the last, [left, right]. With `weight` each element counts its weight; with
    density=True the histogram integrates to 1. Not differentiable."""
    op = "histogram"
    check_tensor(op, input)
    x = input.detach()
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the "
                           f"same dtype, but got input {x.dtype}")
    xp = x._device.xp
    data = x._data.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins.detach()._data.astype(data.dtype)
        if edges.ndim != 1 or edges.size < 2:
            raise RuntimeError("torch.histogram: bins tensor should have one dimension and at "
                               "least 2 elements")
        if bool((edges[1:] < edges[:-1]).any()):
            raise RuntimeError("torch.histogram: bin edges must be increasing")
    else:
        if int(bins) <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins}")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise RuntimeError(f"torch.histogram: min should not exceed max, but got min "
                                   f"{lo} max {hi}")
        else:
            lo = float(data.min()) if data.size else 0.0
            hi = float(data.max()) if data.size else 0.0
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        from .creation import linspace  # (creation imports the ops, which register these)
        edges = linspace(lo, hi, int(bins) + 1, dtype=x.dtype)._data
    nb = edges.size - 1
    idx = xp.searchsorted(edges, data, side="right") - 1
    idx = xp.where(data == edges[-1], nb - 1, idx)
    keep = (idx >= 0) & (idx < nb) & (data >= edges[0]) & (data <= edges[-1])
    w = None
    if weight is not None:
        check_tensor(op, weight, "weight")
        if tuple(weight.shape) != tuple(x.shape):
            raise RuntimeError(f"torch.histogram: if weight tensor is provided it should have "
                               f"the same shape as the input tensor, got {tuple(weight.shape)} "
                               f"and {tuple(x.shape)}")
        w = weight.detach()._data.reshape(-1)[keep].astype("float64")
    hist = xp.bincount(idx[keep], weights=w, minlength=nb)[:nb].astype(data.dtype)
    if density:
        widths = edges[1:] - edges[:-1]
        total = hist.sum()
        hist = hist / (total * widths) if total > 0 else hist
    dev = x._device
    return histogram_result(_make(hist.astype(data.dtype), dev),
                            _make(edges.astype(data.dtype), dev))


def standardize(input, dim=0, *, correction: float = 1, eps: float = 0.0) -> Tensor:
    """z-scores (x - mean) / std over `dim` (observations along dim 0 by default: each
    column of an (N, D) table is standardised). std uses `correction` (1: the sample std);
    a constant slice (std = 0) maps to 0 rather than nan. eps is added to std."""
    x = _float_tensor("standardize", input)
    m = x.mean(dim, keepdim=True)
    s = x.std(dim, keepdim=True, correction=correction) + eps
    return ((x - m) / s.where(s > 0, 1.0)).where(s > 0, 0.0)


# -------------------------------------------------------------------------- likelihoods

def log_likelihood(dist, data) -> Tensor:
    """log L = sum of dist.log_prob over all observations (and batch elements)."""
    from .distributions import Distribution
    if not isinstance(dist, Distribution):
        raise TypeError(f"log_likelihood: expected a Distribution, got {type(dist).__name__}")
    return dist.log_prob(data).sum()


class _Adam:
    """mle's default optimiser: Adam (Kingma & Ba 2015) on leaf tensors, with the learning
    rate decayed along a cosine from lr to lr / 1000 over `steps` (a constant rate would leave
    Adam circling the optimum at a distance ~ lr). Any ember.optim optimiser can be passed
    instead: mle(..., optimizer=lambda ps: ember.optim.Adam(ps, lr=0.05))."""

    def __init__(self, params, lr: float, steps: int, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.steps, self.betas, self.eps = lr, max(steps, 1), betas, eps
        self.t = 0
        self.m = [p._device.xp.zeros_like(p._data) for p in self.params]
        self.v = [p._device.xp.zeros_like(p._data) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        frac = min(self.t / self.steps, 1.0)
        lr = self.lr * (1e-3 + (1 - 1e-3) * 0.5 * (1 + math.cos(math.pi * frac)))
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            xp = p._device.xp
            g = p.grad._data
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p._data -= lr * m_hat / (xp.sqrt(v_hat) + self.eps)


def mle(family, data, init: dict, steps: int = 1000, optimizer=None, *, lr: float = 0.05,
        fixed: dict | None = None, tol: float | None = None):
    r"""Maximum-likelihood estimate of a distribution family's parameters by gradient ascent
    on the mean log-likelihood (1/N) sum_i log p(x_i; theta), with autograd.

    Args:
        family: a Distribution class (Normal, Gamma, StudentT, ...): any family whose log_prob
            is differentiable in the parameters named in `init`.
        data: observations, broadcast against the parameters' batch shape (x: (N,) for scalar
            parameters, (N, D) for a batch of D, ...).
        init: {parameter name: starting value}, e.g. {"loc": 0.0, "scale": 1.0}.
        steps: optimisation steps.
        optimizer: None for the built-in Adam (learning rate `lr`, cosine-decayed), or a
            factory params -> optimizer with step() and zero_grad() (e.g.
            lambda ps: ember.optim.Adam(ps, lr=0.01)).
        fixed: parameters held fixed, passed to the family as is (e.g. {"total_count": 10}).
        tol: stop early when the mean log-likelihood changes by less than tol over 10 steps.

    Each parameter is optimised as an unconstrained real u with theta = transform_to(
    constraint)(u) (exp for positive, sigmoid for the unit interval, softmax for a simplex,
    ...), so it stays in its constraint set at every step. Returns family(**estimates)
    (detached). Raises ValueError for an unknown parameter name, a parameter with a dependent
    constraint (such as Uniform's bounds, whose MLE is the closed form Uniform.fit), or data
    outside the family's support (checked at the initial parameters).
    """
    from .distributions import Distribution
    from .distributions.constraint_registry import transform_to
    from .distributions.constraints import is_dependent
    if not (isinstance(family, type) and issubclass(family, Distribution)):
        raise TypeError(f"mle: family must be a Distribution class, got {family!r}")
    if not isinstance(init, dict) or not init:
        raise ValueError("mle: init must be a non-empty dict {parameter name: initial value}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"mle: steps must be a positive int, got {steps!r}")
    fixed = dict(fixed or {})
    cons = family.arg_constraints
    x = _float_tensor("mle", data).detach()
    transforms, params = {}, []
    for name, value in init.items():
        if name not in cons:
            raise ValueError(f"mle: {family.__name__} has no parameter {name!r}; its parameters "
                             f"are {', '.join(cons)}")
        if is_dependent(cons[name]):
            raise ValueError(f"mle: {family.__name__}.{name} has a constraint that depends on "
                             f"other parameters and cannot be optimised freely; use "
                             f"{family.__name__}.fit for its closed-form estimate")
        t = transform_to(cons[name])
        v = _float_tensor("mle", value).to(x.dtype).detach()
        if not bool(cons[name].check(v).all()):
            raise ValueError(f"mle: init[{name!r}] = {v.tolist()} is outside the constraint "
                             f"{cons[name]!r} of {family.__name__}.{name}")
        u = t.inv(v).detach().clone().requires_grad_(True)
        transforms[name] = t
        params.append(u)
    names = list(transforms)
    with no_grad():
        start = family(**{n: transforms[n](u) for n, u in zip(names, params)}, **fixed,
                       validate_args=True)
        try:
            start._validate_sample(x)
        except ValueError as e:
            raise ValueError(f"mle: the data cannot come from {family.__name__}: {e}") from None
    opt = _Adam(params, lr, steps) if optimizer is None else optimizer(params)

    def objective():
        values = {n: transforms[n](u) for n, u in zip(names, params)}
        dist = family(**values, **fixed, validate_args=False)
        return -dist.log_prob(x).mean()

    history = []
    with enable_grad():
        for _ in range(steps):
            opt.zero_grad()
            loss = objective()
            loss.backward()
            opt.step()
            if tol is not None:
                history.append(float(loss.item()))
                if len(history) > 10 and abs(history[-11] - history[-1]) < tol:
                    break
    with no_grad():
        values = {n: transforms[n](u).detach() for n, u in zip(names, params)}
    return family(**values, **fixed)

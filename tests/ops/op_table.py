"""The op table: one row per op, driving the forward-vs-NumPy and gradcheck tests.

A row names the registered op it covers, the ember call, a NumPy/SciPy reference, and sample
inputs: a list of shape tuples (random float64 inputs in `domain`), or `make`, a function of a
NumPy Generator returning the argument list (for index tensors, masks and the like). Only
floating-point arguments are differentiated. Adding an op means adding a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.special as sp

import ember

UNARY = [((3, 4),), ((),), ((2, 1, 3),), ((0, 2),)]
BINARY = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((0, 3), (3,))]
REDUCE = [((3, 4),), ((2, 3, 4),), ((5,),)]


@dataclass
class Row:
    name: str
    fn: Callable
    ref: Callable | None
    shapes: list = field(default_factory=lambda: UNARY)
    domain: tuple = (-2.0, 2.0)
    make: Callable | None = None
    grad: bool = True
    atol: float = 1e-7
    eps: float = 1e-6        # gradcheck's finite-difference step
    float32: bool = True     # also compare a float32 run (looser tolerance, dtype kept)
    gradgrad: bool = False   # also gradgradcheck
    cuda: bool = False       # needs a CUDA device (skipped where there is none)

    def cases(self, rng):
        """Lists of NumPy arguments, one list per sample."""
        if self.make is not None:
            return [self.make(rng)]
        lo, hi = self.domain
        return [[rng.uniform(lo, hi, s) for s in shape] for shape in self.shapes]

    def __repr__(self) -> str:
        return self.name


def _pos(s=UNARY):
    return dict(shapes=s, domain=(0.2, 3.0))


def _unit(s=UNARY):
    return dict(shapes=s, domain=(-0.9, 0.9))


def _idx(rng, high, shape):
    return rng.integers(0, high, shape)


def _sorted_rows(rng):
    return np.sort(rng.uniform(-2, 2, (3, 6)), axis=-1)


def _np_max_dim(x, dim):
    return np.max(x, axis=dim), np.argmax(x, axis=dim)


def _np_median_all(x):
    return np.sort(x.reshape(-1))[(x.size - 1) // 2]


def _np_median_dim(x, dim):
    order = np.argsort(x, axis=dim, kind="stable")
    k = (x.shape[dim] - 1) // 2
    idx = np.take(order, k, axis=dim)
    return np.take_along_axis(x, np.expand_dims(idx, dim), dim).squeeze(dim), idx


def _np_kthvalue(x, k, dim):
    order = np.argsort(x, axis=dim, kind="stable")
    idx = np.take(order, k - 1, axis=dim)
    return np.take_along_axis(x, np.expand_dims(idx, dim), dim).squeeze(dim), idx


def _np_cummax(x, dim):
    values = np.maximum.accumulate(x, axis=dim)
    n = x.shape[dim]
    pos = np.arange(n).reshape((-1,) + (1,) * (x.ndim - dim - 1))
    return values, np.maximum.accumulate(np.where(x == values, pos, 0), axis=dim)


def _np_cummin(x, dim):
    values = np.minimum.accumulate(x, axis=dim)
    n = x.shape[dim]
    pos = np.arange(n).reshape((-1,) + (1,) * (x.ndim - dim - 1))
    return values, np.maximum.accumulate(np.where(x == values, pos, 0), axis=dim)


def _np_scatter(x, dim, idx, src):
    out = x.copy()
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        out[tuple(target)] = src[pos]
    return out


def _np_scatter_add(x, dim, idx, src):
    out = x.copy()
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        out[tuple(target)] += src[pos]
    return out


def _np_gather(x, dim, idx):
    out = np.empty(idx.shape)
    for pos in np.ndindex(*idx.shape):
        source = list(pos)
        source[dim] = idx[pos]
        out[pos] = x[tuple(source)]
    return out


def _np_index_add(x, dim, idx, src, alpha=1.0):
    out = x.copy()
    for j, i in enumerate(idx):
        key = (slice(None),) * dim + (i,)
        out[key] += alpha * src[(slice(None),) * dim + (j,)]
    return out


def _np_masked_scatter(x, mask, src):
    out = x.copy()
    m = np.broadcast_to(mask, x.shape)
    out[m] = src.reshape(-1)[: m.sum()]
    return out


def _np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def _np_pad_reflect(x, pad):
    return np.pad(x, ((0, 0), (pad[2], pad[3]), (pad[0], pad[1])), mode="reflect")


def _np_diag_embed(x, offset=0):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    for i in range(x.shape[-1]):
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = x[..., i]
    return out


def _np_nanmedian_all(x):
    v = np.sort(x[~np.isnan(x)])
    return v[(v.size - 1) // 2] if v.size else np.array(np.nan)


def _np_nanmedian_dim(x, dim):
    """Lower median of the non-nan values (PyTorch's rule; np.nanmedian averages an even count)
    and its index; stable order, nan last."""
    order = np.argsort(x, axis=dim, kind="stable")
    count = (~np.isnan(x)).sum(dim, keepdims=True)
    k = np.maximum((count - 1) // 2, 0)
    idx = np.take_along_axis(order, k, dim)
    return np.take_along_axis(x, idx, dim).squeeze(dim), idx.squeeze(dim)


def _with_nans(rng, shape, every=3):
    x = rng.uniform(-2, 2, shape)
    x.reshape(-1)[::every] = np.nan
    return x


def _np_block_diag(*xs):
    import scipy.linalg as sl
    return sl.block_diag(*xs)


def _np_cartesian_prod(*xs):
    return np.stack([g.reshape(-1) for g in np.meshgrid(*xs, indexing="ij")], 1)


def _mask(rng, shape):
    return rng.random(shape) > 0.5


def _ints(rng, shape, high=4):
    return rng.integers(0, high, shape)


ROWS = [
    # ------------------------------------------------------------------------ arithmetic
    Row("add", lambda x, y: ember.add(x, y), np.add, BINARY, gradgrad=True),
    Row("add", lambda x, y: ember.add(x, y, alpha=2.5), lambda x, y: x + 2.5 * y, BINARY[:3]),
    Row("add", lambda x: x + 1.5, lambda x: x + 1.5),
    Row("add", lambda x: 2 + x, lambda x: 2 + x),
    Row("sub", lambda x, y: ember.sub(x, y, alpha=0.5), lambda x, y: x - 0.5 * y, BINARY),
    Row("sub", lambda x: 3 - x, lambda x: 3 - x),
    Row("mul", lambda x, y: x * y, np.multiply, BINARY, gradgrad=True),
    Row("mul", lambda x: x * 3.0, lambda x: x * 3.0),
    Row("div", lambda x, y: x / y, np.divide, BINARY, domain=(0.5, 2.0), gradgrad=True),
    Row("div", lambda x: 2.0 / x, lambda x: 2.0 / x, domain=(0.5, 2.0)),
    Row("div", lambda x: x / 4.0, lambda x: x / 4.0),
    Row("sub", lambda x: x - 2.5, lambda x: x - 2.5),
    Row("mul", lambda x: 2.5 * x, lambda x: 2.5 * x),
    Row("remainder", lambda x: 5.0 % x, lambda x: np.remainder(5.0, x), domain=(0.7, 3.0)),
    Row("fmod", lambda x: ember.fmod(x, 0.7), lambda x: np.fmod(x, 0.7)),
    Row("floor_divide", lambda x: x // 0.7, lambda x: np.floor_divide(x, 0.7)),
    Row("atan2", lambda x: ember.atan2(x, 2.0), lambda x: np.arctan2(x, 2.0)),
    Row("atan2", lambda x: ember.atan2(-1.0, x), lambda x: np.arctan2(-1.0, x)),
    Row("xlogy", lambda x: ember.xlogy(x, 2.0), lambda x: sp.xlogy(x, 2.0)),
    Row("xlogy", lambda x: ember.xlogy(2.0, x), lambda x: sp.xlogy(2.0, x), domain=(0.2, 2.0)),
    Row("copysign", lambda x: ember.copysign(x, -1.0), lambda x: np.copysign(x, -1.0)),
    Row("div", lambda x: x / ember.tensor(2.5, dtype=x.dtype), lambda x: x / 2.5),
    Row("div", lambda x, y: ember.div(x, y, rounding_mode="floor"), np.floor_divide, BINARY[:2],
        domain=(0.5, 3.0)),
    Row("div", lambda x, y: ember.div(x, y, rounding_mode="trunc"),
        lambda x, y: np.trunc(x / y), BINARY[:2], domain=(-3.0, 3.0)),
    Row("true_divide", ember.true_divide, np.true_divide, BINARY[:2], domain=(0.5, 2.0)),
    Row("floor_divide", lambda x, y: x // y, np.floor_divide, BINARY[:2], domain=(0.5, 3.0)),
    Row("remainder", lambda x, y: x % y, np.remainder, BINARY[:3], domain=(0.3, 3.0)),
    Row("remainder", lambda x: x % 0.7, lambda x: np.remainder(x, 0.7)),
    Row("fmod", ember.fmod, np.fmod, BINARY[:3], domain=(0.3, 3.0)),
    Row("pow", lambda x, y: x ** y, np.power, BINARY[:4], domain=(0.5, 2.0), gradgrad=True),
    Row("pow", lambda x: x ** 3, lambda x: x ** 3),
    Row("pow", lambda x: x ** 0.5, np.sqrt, domain=(0.5, 2.0)),
    Row("pow", lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    Row("float_power", lambda x: ember.float_power(x, 2.5), lambda x: x ** 2.5,
        domain=(0.5, 2.0), float32=False),
    Row("neg", lambda x: -x, np.negative, gradgrad=True),
    Row("positive", ember.positive, np.positive),
    Row("reciprocal", ember.reciprocal, np.reciprocal, domain=(0.5, 2.0), gradgrad=True),
    Row("abs", ember.abs, np.abs),
    Row("sign", ember.sign, np.sign),
    Row("addcmul", lambda x, a, b: ember.addcmul(x, a, b, value=0.5),
        lambda x, a, b: x + 0.5 * a * b, [((3, 4), (3, 4), (4,))]),
    Row("addcdiv", lambda x, a, b: ember.addcdiv(x, a, b, value=2.0),
        lambda x, a, b: x + 2.0 * a / b, [((3, 4), (3, 4), (3, 4))], domain=(0.5, 2.0)),
    # ---------------------------------------------------------------------------- products
    Row("matmul", ember.matmul, np.matmul,
        [((3, 4), (4, 2)), ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
         ((2, 1, 3, 4), (5, 4, 2)), ((5,), (2, 5, 3)), ((2, 3, 4), (4,)), ((0, 4), (4, 2))],
        gradgrad=True),
    Row("mm", ember.mm, np.matmul, [((3, 4), (4, 2))]),
    Row("bmm", ember.bmm, np.matmul, [((2, 3, 4), (2, 4, 5))]),
    Row("mv", ember.mv, np.matmul, [((3, 4), (4,))]),
    Row("dot", ember.dot, np.dot, [((5,), (5,))]),
    Row("vdot", ember.vdot, np.vdot, [((5,), (5,))]),
    Row("inner", ember.inner, np.inner, [((5,), (5,)), ((2, 3), (4, 3)), ((2, 3, 4), (4,))]),
    Row("outer", ember.outer, np.outer, [((3,), (4,))]),
    Row("addmm", lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2.0),
        lambda c, a, b: 0.5 * c + 2.0 * a @ b, [((3, 2), (3, 4), (4, 2)), ((2,), (3, 4), (4, 2))]),
    Row("tensordot", ember.tensordot, np.tensordot, [((3, 4, 5), (4, 5, 2))], gradgrad=True),
    Row("tensordot", lambda a, b: ember.tensordot(a, b, dims=1), lambda a, b: np.tensordot(a, b, 1),
        [((3, 4), (4, 2)), ((2, 3, 4), (4,))]),
    Row("tensordot", lambda a, b: ember.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
        [((3,), (2, 2)), ((), (3,))]),
    Row("tensordot", lambda a, b: ember.tensordot(a, b, ([2, 0], [0, 1])),
        lambda a, b: np.tensordot(a, b, ([2, 0], [0, 1])), [((3, 4, 5), (5, 3, 2))]),
    Row("baddbmm", lambda c, a, b: ember.baddbmm(c, a, b, beta=0.5, alpha=2.0),
        lambda c, a, b: 0.5 * c + 2.0 * a @ b, [((2, 3, 2), (2, 3, 4), (2, 4, 2)),
                                                ((3, 1), (2, 3, 4), (2, 4, 2))]),
    Row("baddbmm", lambda c, a, b: c.baddbmm(a, b), lambda c, a, b: c + a @ b,
        [((2, 3, 2), (2, 3, 4), (2, 4, 2))]),
    Row("baddbmm", lambda c, a, b: ember.baddbmm(c, a, b, beta=0), lambda c, a, b: a @ b,
        [((2, 3, 2), (2, 3, 4), (2, 4, 2))]),
    Row("kron", ember.kron, np.kron, [((2, 3), (3, 2)), ((2,), (3,)), ((2, 2), (3,))]),
    Row("einsum", lambda a, b: ember.einsum("ij,jk->ik", a, b),
        lambda a, b: np.einsum("ij,jk->ik", a, b), [((3, 4), (4, 2))], gradgrad=True),
    Row("einsum", lambda a: ember.einsum("ii->", a), lambda a: np.einsum("ii->", a),
        [((4, 4),)]),
    Row("einsum", lambda a: ember.einsum("ii->i", a), lambda a: np.einsum("ii->i", a),
        [((3, 3),)]),
    Row("einsum", lambda a: ember.einsum("ij->", a), lambda a: np.einsum("ij->", a),
        [((3, 2),)]),
    Row("einsum", lambda a, b: ember.einsum("bij,bjk->bik", a, b),
        lambda a, b: np.einsum("bij,bjk->bik", a, b), [((2, 3, 4), (2, 4, 2))]),
    Row("einsum", lambda a, b: ember.einsum("...ij,...jk", a, b),
        lambda a, b: np.einsum("...ij,...jk", a, b), [((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 2))]),
    Row("einsum", lambda a, b, c: ember.einsum("i,ij,j->", a, b, c),
        lambda a, b, c: np.einsum("i,ij,j->", a, b, c), [((3,), (3, 4), (4,))]),
    Row("einsum", lambda a, b: ember.einsum("ij,kl->ikjl", a, b),
        lambda a, b: np.einsum("ij,kl->ikjl", a, b), [((2, 3), (3, 2))]),
    Row("einsum", lambda a: ember.einsum("iij->j", a), lambda a: np.einsum("iij->j", a),
        [((3, 3, 2),)]),
    Row("einsum", lambda a, b: ember.einsum("ij,ij->i", a, b),
        lambda a, b: np.einsum("ij,ij->i", a, b), [((1, 3), (4, 3))]),
    Row("einsum", lambda a, b: ember.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [((3, 4), (4, 2))]),
    Row("einsum", lambda a: ember.einsum(a, [Ellipsis, 0, 0]),
        lambda a: np.einsum(a, [Ellipsis, 0, 0]), [((2, 3, 3),)]),
    # --------------------------------------------------------------------------- unary math
    Row("exp", ember.exp, np.exp, gradgrad=True),
    Row("exp2", ember.exp2, np.exp2),
    Row("expm1", ember.expm1, np.expm1),
    Row("log", ember.log, np.log, **_pos(), gradgrad=True),
    Row("log2", ember.log2, np.log2, **_pos()),
    Row("log10", ember.log10, np.log10, **_pos()),
    Row("log1p", ember.log1p, np.log1p, domain=(-0.5, 2.0)),
    Row("sqrt", ember.sqrt, np.sqrt, **_pos(), gradgrad=True),
    Row("rsqrt", ember.rsqrt, lambda x: 1 / np.sqrt(x), **_pos()),
    Row("square", ember.square, np.square),
    Row("sin", ember.sin, np.sin, gradgrad=True),
    Row("cos", ember.cos, np.cos),
    Row("tan", ember.tan, np.tan, domain=(-1.2, 1.2)),
    Row("asin", ember.asin, np.arcsin, **_unit()),
    Row("acos", ember.acos, np.arccos, **_unit()),
    Row("atan", ember.atan, np.arctan),
    Row("sinh", ember.sinh, np.sinh),
    Row("cosh", ember.cosh, np.cosh),
    Row("tanh", ember.tanh, np.tanh, gradgrad=True),
    Row("asinh", ember.asinh, np.arcsinh),
    Row("acosh", ember.acosh, np.arccosh, domain=(1.2, 3.0)),
    Row("atanh", ember.atanh, np.arctanh, **_unit()),
    Row("sigmoid", ember.sigmoid, sp.expit, gradgrad=True),
    Row("erf", ember.erf, sp.erf, domain=(-3.0, 3.0)),
    Row("erfc", ember.erfc, sp.erfc, domain=(-3.0, 3.0)),
    Row("erfinv", ember.erfinv, sp.erfinv, **_unit()),
    Row("lgamma", ember.lgamma, sp.gammaln, domain=(0.2, 5.0)),
    Row("lgamma", ember.lgamma, sp.gammaln, domain=(-2.9, -2.1)),
    Row("digamma", ember.digamma, sp.psi, domain=(0.3, 5.0)),
    Row("polygamma", lambda x: ember.polygamma(1, x), lambda x: sp.polygamma(1, x),
        domain=(0.3, 5.0)),
    Row("polygamma", lambda x: ember.polygamma(2, x), lambda x: sp.polygamma(2, x),
        domain=(0.5, 4.0)),
    Row("sinc", ember.sinc, np.sinc, domain=(-3.0, 3.0)),
    Row("sinc", ember.sinc, np.sinc, make=lambda r: [np.array([0.0, 0.5, -1.0, 1e-9, 2.5])]),
    Row("deg2rad", ember.deg2rad, np.deg2rad, domain=(-360.0, 360.0)),
    Row("rad2deg", lambda x: x.rad2deg(), np.rad2deg),
    Row("relu", ember.relu, lambda x: np.maximum(x, 0), gradgrad=True),
    Row("floor", ember.floor, np.floor),
    Row("ceil", ember.ceil, np.ceil),
    Row("trunc", ember.trunc, np.trunc),
    Row("frac", ember.frac, lambda x: x - np.trunc(x)),
    Row("round", ember.round, np.round),
    Row("round", lambda x: ember.round(x, decimals=1), lambda x: np.round(x, 1)),
    Row("logit", ember.logit, sp.logit, domain=(0.05, 0.95)),
    Row("logit", lambda x: ember.logit(x, eps=0.2), lambda x: sp.logit(np.clip(x, 0.2, 0.8)),
        domain=(0.05, 0.95)),
    Row("softplus", ember.softplus, _np_softplus, domain=(-5.0, 5.0)),
    Row("softplus", lambda x: ember.softplus(x, beta=2.0, threshold=3.0),
        lambda x: _np_softplus(x, 2.0, 3.0), domain=(-3.0, 3.0)),
    Row("nan_to_num", ember.nan_to_num, np.nan_to_num),
    Row("heaviside", lambda x: ember.heaviside(x, ember.tensor(0.5, dtype=x.dtype)),
        lambda x: np.heaviside(x, 0.5)),
    # ------------------------------------------------------------------------- two operands
    Row("atan2", ember.atan2, np.arctan2, BINARY),
    Row("maximum", ember.maximum, np.maximum, BINARY),
    Row("minimum", ember.minimum, np.minimum, BINARY),
    Row("fmax", ember.fmax, np.fmax, BINARY[:3]),
    Row("fmin", ember.fmin, np.fmin, BINARY[:3]),
    Row("hypot", ember.hypot, np.hypot, BINARY[:3]),
    Row("copysign", ember.copysign, np.copysign, BINARY[:3]),
    Row("xlogy", ember.xlogy, sp.xlogy, BINARY[:3], domain=(0.2, 2.0)),
    Row("logaddexp", ember.logaddexp, np.logaddexp, BINARY),
    Row("lerp", lambda a, b, w: ember.lerp(a, b, w), lambda a, b, w: a + w * (b - a),
        [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (1, 4))]),
    Row("lerp", lambda a, b: ember.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a),
        [((3, 4), (3, 4))]),
    Row("where", lambda c, x, y: ember.where(c, x, y), np.where,
        make=lambda r: [_mask(r, (3, 4)), r.normal(size=(3, 4)), r.normal(size=(4,))]),
    Row("where", lambda c, x: ember.where(c, x, 0.0), lambda c, x: np.where(c, x, 0.0),
        make=lambda r: [_mask(r, (3, 1)), r.normal(size=(3, 4))]),
    Row("clamp", lambda x: ember.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7)),
    Row("clamp", lambda x: ember.clamp(x, min=0.1), lambda x: np.maximum(x, 0.1)),
    Row("clamp", lambda x, lo, hi: ember.clamp(x, lo, hi), lambda x, lo, hi: np.minimum(
        np.maximum(x, lo), hi), [((3, 4), (4,), (3, 1))]),
    Row("clamp_min", lambda x: ember.clamp_min(x, 0.2), lambda x: np.maximum(x, 0.2)),
    Row("clamp_max", lambda x: ember.clamp_max(x, 0.2), lambda x: np.minimum(x, 0.2)),
    # --------------------------------------------------------------------------- reductions
    Row("sum", ember.sum, np.sum, REDUCE + [((0, 3),)], gradgrad=True),
    Row("sum", lambda x: ember.sum(x, 1), lambda x: np.sum(x, 1), REDUCE[:2]),
    Row("sum", lambda x: x.sum((0, 2), keepdim=True), lambda x: x.sum((0, 2), keepdims=True),
        [((2, 3, 4),)]),
    Row("mean", ember.mean, np.mean, REDUCE),
    Row("mean", lambda x: x.mean(-1, keepdim=True), lambda x: x.mean(-1, keepdims=True),
        REDUCE),
    Row("nansum", lambda x: ember.nansum(x, 0), lambda x: np.nansum(x, 0), REDUCE),
    Row("nanmean", lambda x: ember.nanmean(x, 0), lambda x: np.nanmean(x, 0), REDUCE),
    Row("prod", ember.prod, np.prod, REDUCE),
    Row("prod", lambda x: ember.prod(x, 1), lambda x: np.prod(x, 1), REDUCE[:2]),
    Row("prod", lambda x: ember.prod(x, 1), lambda x: np.prod(x, 1),
        make=lambda r: [np.array([[0.0, 1.5, 2.0], [0.5, 0.0, 0.0], [1.2, -0.7, 0.3]])]),
    Row("prod", ember.prod, np.prod, make=lambda r: [np.array([[1.5, 0.0], [0.7, -1.3]])]),
    Row("amax", lambda x: ember.amax(x, 1), lambda x: np.amax(x, 1), REDUCE[:2]),
    Row("amin", lambda x: ember.amin(x, (0, 1)), lambda x: np.amin(x, (0, 1)), REDUCE[:2]),
    Row("max", ember.max, np.max, REDUCE),
    Row("max", lambda x: ember.max(x, 1), lambda x: _np_max_dim(x, 1), REDUCE[:2]),
    Row("max", lambda x, y: ember.max(x, y), np.maximum, BINARY[:2]),
    Row("min", ember.min, np.min, REDUCE),
    Row("min", lambda x: ember.min(x, 0, keepdim=True),
        lambda x: (np.min(x, 0, keepdims=True), np.argmin(x, 0)[None]), REDUCE[:2]),
    Row("var", ember.var, lambda x: np.var(x, ddof=1), REDUCE),
    Row("var", lambda x: ember.var(x, 1, correction=0), lambda x: np.var(x, 1), REDUCE[:2]),
    Row("std", ember.std, lambda x: np.std(x, ddof=1), REDUCE),
    Row("std", lambda x: ember.std(x, 0, keepdim=True),
        lambda x: np.std(x, 0, ddof=1, keepdims=True), REDUCE[:2]),
    Row("var_mean", lambda x: ember.var_mean(x, 1), lambda x: (np.var(x, 1, ddof=1),
                                                             np.mean(x, 1)), REDUCE[:2]),
    Row("std_mean", lambda x: ember.std_mean(x, 0), lambda x: (np.std(x, 0, ddof=1),
                                                             np.mean(x, 0)), REDUCE[:2]),
    Row("logsumexp", lambda x: ember.logsumexp(x, 1), lambda x: sp.logsumexp(x, 1), REDUCE[:2],
        gradgrad=True),
    Row("logsumexp", lambda x: ember.logsumexp(x, (0, 1), keepdim=True),
        lambda x: sp.logsumexp(x, (0, 1), keepdims=True), REDUCE[:2]),
    Row("norm", ember.norm, np.linalg.norm, REDUCE[:1] + [((5,),)]),
    Row("norm", lambda x: ember.norm(x, 1, dim=1), lambda x: np.abs(x).sum(1), REDUCE[:2]),
    Row("norm", lambda x: ember.norm(x, 3, dim=0), lambda x: (np.abs(x) ** 3).sum(0) ** (1 / 3),
        REDUCE[:2]),
    Row("norm", lambda x: ember.norm(x, 0.5), lambda x: (np.abs(x) ** 0.5).sum() ** 2,
        REDUCE[:2]),
    Row("norm", lambda x: ember.norm(x, float("inf"), dim=1), lambda x: np.abs(x).max(1),
        REDUCE[:2]),
    Row("norm", lambda x: ember.norm(x, float("-inf")), lambda x: np.abs(x).min(), REDUCE[:2]),
    Row("cumsum", lambda x: ember.cumsum(x, 1), lambda x: np.cumsum(x, 1), REDUCE[:2]),
    Row("cumprod", lambda x: ember.cumprod(x, 1), lambda x: np.cumprod(x, 1), REDUCE[:2]),
    Row("cumprod", lambda x: ember.cumprod(x, 0), lambda x: np.cumprod(x, 0),
        make=lambda r: [np.array([[0.5, 1.5], [0.0, 2.0], [1.5, 0.0], [0.7, -1.1]])]),
    Row("cummax", lambda x: ember.cummax(x, 1), lambda x: _np_cummax(x, 1), REDUCE[:2]),
    Row("cummin", lambda x: ember.cummin(x, 0), lambda x: _np_cummin(x, 0), REDUCE[:2]),
    Row("median", ember.median, _np_median_all, REDUCE),
    Row("median", lambda x: ember.median(x, 1), lambda x: _np_median_dim(x, 1), REDUCE[:2]),
    Row("aminmax", lambda x: ember.aminmax(x), lambda x: (np.min(x), np.max(x)), REDUCE),
    Row("aminmax", lambda x: x.aminmax(dim=1, keepdim=True),
        lambda x: (np.min(x, 1, keepdims=True), np.max(x, 1, keepdims=True)), REDUCE[:2]),
    Row("aminmax", lambda x: ember.aminmax(x, dim=-1), lambda x: (np.min(x, -1), np.max(x, -1)),
        REDUCE),
    Row("diff", ember.diff, np.diff, REDUCE + [((3, 1),)]),
    Row("diff", lambda x: x.diff(2, 0), lambda x: np.diff(x, 2, 0), REDUCE),
    Row("diff", lambda x: ember.diff(x, n=5), lambda x: np.diff(x, 5), [((2, 3),)]),
    Row("diff", lambda x, p, a: ember.diff(x, 1, 1, prepend=p, append=a),
        lambda x, p, a: np.diff(x, 1, 1, prepend=p, append=a), [((3, 4), (3, 1), (3, 2))]),
    Row("diff", lambda x, a: ember.diff(x, dim=0, append=a),
        lambda x, a: np.diff(x, axis=0, append=a), [((2, 3), (1, 3))]),
    Row("logcumsumexp", lambda x: ember.logcumsumexp(x, 1),
        lambda x: np.logaddexp.accumulate(x, 1), REDUCE[:2] + [((3, 9),)]),
    Row("logcumsumexp", lambda x: x.logcumsumexp(0), lambda x: np.logaddexp.accumulate(x, 0),
        REDUCE),
    Row("logcumsumexp", lambda x: x.logcumsumexp(-1), lambda x: x, [((),)]),
    Row("logcumsumexp", lambda x: ember.logcumsumexp(x, -1),
        lambda x: np.logaddexp.accumulate(x, -1),
        make=lambda r: [np.array([[-1000.0, 0.0, 3.0, -2000.0, 1.5], [5.0, -800.0, -900.0, 4.0,
                                                                      -1.0]])]),
    Row("nanmedian", ember.nanmedian, _np_nanmedian_all, REDUCE),
    Row("nanmedian", ember.nanmedian, _np_nanmedian_all,
        make=lambda r: [_with_nans(r, (3, 4))]),
    Row("nanmedian", lambda x: ember.nanmedian(x, 1), lambda x: _np_nanmedian_dim(x, 1),
        make=lambda r: [_with_nans(r, (4, 5))]),
    Row("nanmedian", lambda x: x.nanmedian(0, keepdim=True),
        lambda x: tuple(np.expand_dims(v, 0) for v in _np_nanmedian_dim(x, 0)),
        make=lambda r: [_with_nans(r, (4, 3), 2)]),
    Row("nanmedian", lambda x: ember.nanmedian(x, 1), lambda x: _np_median_dim(x, 1),
        REDUCE[:2]),
    Row("quantile", lambda x: ember.quantile(x, 0.3), lambda x: np.quantile(x, 0.3), REDUCE),
    Row("quantile", lambda x: x.quantile(ember.tensor([0.1, 0.5, 0.9], dtype=x.dtype), 1,
                                     keepdim=True),
        lambda x: np.quantile(x, [0.1, 0.5, 0.9], 1, keepdims=True), REDUCE[:2]),
    Row("quantile", lambda x: ember.quantile(x, 0.25, 0, interpolation="midpoint"),
        lambda x: np.quantile(x, 0.25, 0, method="midpoint"), REDUCE[:2]),
    Row("nanquantile", lambda x: ember.nanquantile(x, 0.3, 1),
        lambda x: np.nanquantile(x, 0.3, 1), make=lambda r: [_with_nans(r, (4, 5))]),
    Row("nanquantile", lambda x: x.nanquantile(ember.tensor([0.2, 0.75], dtype=x.dtype), dim=0,
                                              interpolation="higher"),
        lambda x: np.nanquantile(x, [0.2, 0.75], 0, method="higher"),
        make=lambda r: [_with_nans(r, (5, 3), 2)]),
    Row("nanquantile", lambda x: ember.nanquantile(x, 0.6), lambda x: np.nanquantile(x, 0.6),
        make=lambda r: [_with_nans(r, (3, 4))]),
    Row("nanquantile", lambda x: ember.nanquantile(x, 0.4, 1), lambda x: np.quantile(x, 0.4, 1),
        REDUCE[:2]),
    Row("cov", ember.cov, np.cov, [((3, 6),), ((5,),)]),
    Row("cov", lambda x: x.cov(correction=0), lambda x: np.cov(x, ddof=0), [((2, 5),)]),
    Row("corrcoef", ember.corrcoef, np.corrcoef, [((3, 6),)]),
    Row("corrcoef", lambda x: x.corrcoef(), np.corrcoef, [((2, 5),)]),
    # a 0-d tensor reduced along dim 0 or -1 is its one element (PyTorch's rule)
    Row("sum", lambda x: ember.sum(x, 0), lambda x: x, [((),)]),
    Row("sum", lambda x: x.sum((-1,), keepdim=True), lambda x: x, [((),)]),
    Row("mean", lambda x: ember.mean(x, -1), lambda x: x, [((),)]),
    Row("prod", lambda x: ember.prod(x, 0), lambda x: x, [((),)]),
    Row("amax", lambda x: ember.amax(x, 0), lambda x: x, [((),)]),
    Row("max", lambda x: ember.max(x, 0), lambda x: (x, np.array(0)), [((),)]),
    Row("min", lambda x: ember.min(x, -1, keepdim=True), lambda x: (x, np.array(0)), [((),)]),
    Row("var", lambda x: ember.var(x, 0, correction=0), lambda x: x * 0, [((),)]),
    Row("logsumexp", lambda x: ember.logsumexp(x, 0), lambda x: x, [((),)]),
    Row("norm", lambda x: ember.norm(x, dim=0), np.abs, [((),)]),
    Row("cumsum", lambda x: ember.cumsum(x, 0), lambda x: x, [((),)]),
    Row("flip", lambda x: ember.flip(x, 0), lambda x: x, [((),)]),
    Row("movedim", lambda x: ember.movedim(x, 0, -1), lambda x: x, [((),)]),
    # an empty tensor reduces over its non-empty dims (PyTorch's rule): an empty result
    Row("amax", lambda x: ember.amax(x, 1), lambda x: np.amax(x, 1), [((0, 3),)]),
    Row("amin", lambda x: ember.amin(x, 0, keepdim=True), lambda x: np.amin(x, 0, keepdims=True),
        [((3, 0),)]),
    # an empty dim tuple reduces every dim, as PyTorch
    Row("sum", lambda x: ember.sum(x, ()), np.sum, [((3, 4),)]),
    Row("mean", lambda x: x.mean([]), np.mean, [((3, 4),)]),
    Row("std", lambda x: ember.std(x, ()), lambda x: np.std(x, ddof=1), [((3, 4),)]),
    # -------------------------------------------------------------------------------- shape
    Row("reshape", lambda x: x.reshape(4, 3), lambda x: x.reshape(4, 3), [((3, 4),)],
        gradgrad=True),
    Row("reshape", lambda x: ember.reshape(x, (-1, 2)), lambda x: x.reshape(-1, 2),
        [((3, 4),), ((2, 3, 2),)]),
    Row("reshape", lambda x: ember.reshape(x, shape=(2, 6)), lambda x: x.reshape(2, 6),
        [((3, 4),)]),
    Row("view", lambda x: x.view(2, -1), lambda x: x.reshape(2, -1), [((3, 4),)]),
    Row("view", lambda x: x.view(size=(12,)), lambda x: x.reshape(12), [((3, 4),)]),
    Row("view_as", lambda x, y: x.view_as(y), lambda x, y: x.reshape(y.shape),
        [((3, 4), (6, 2))]),
    Row("reshape_as", lambda x, y: x.reshape_as(y), lambda x, y: x.reshape(y.shape),
        [((3, 4), (2, 6))]),
    Row("flatten", ember.flatten, np.ravel, [((2, 3, 4),), ((),)]),
    Row("flatten", lambda x: ember.flatten(x, 1), lambda x: x.reshape(x.shape[0], -1),
        [((2, 3, 4),)]),
    Row("ravel", ember.ravel, np.ravel, [((2, 3),)]),
    Row("unflatten", lambda x: ember.unflatten(x, 1, (2, 2)), lambda x: x.reshape(3, 2, 2),
        [((3, 4),)]),
    Row("squeeze", ember.squeeze, np.squeeze, [((1, 3, 1, 2),)]),
    Row("squeeze", lambda x: ember.squeeze(x, 2), lambda x: np.squeeze(x, 2), [((1, 3, 1, 2),)]),
    Row("unsqueeze", lambda x: ember.unsqueeze(x, 1), lambda x: np.expand_dims(x, 1),
        [((3, 4),)]),
    Row("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1),
        [((2, 3, 4),)], gradgrad=True),
    Row("transpose", lambda x: ember.transpose(x, 0, 2), lambda x: np.swapaxes(x, 0, 2),
        [((2, 3, 4),)]),
    Row("swapaxes", lambda x: ember.swapaxes(x, axis0=0, axis1=2),
        lambda x: np.swapaxes(x, 0, 2), [((2, 3, 4),)]),
    Row("swapdims", lambda x: ember.swapdims(x, dim0=-1, dim1=0),
        lambda x: np.swapaxes(x, -1, 0), [((2, 3, 4),)]),
    Row("permute", lambda x: ember.permute(x, dims=(1, 0)), np.transpose, [((3, 4),)]),
    Row("t", ember.t, np.transpose, [((3, 4),), ((3,),)]),
    Row("movedim", lambda x: ember.movedim(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
        [((2, 3, 4),)]),
    Row("movedim", lambda x: ember.movedim(x, (0, 1), (2, 0)),
        lambda x: np.moveaxis(x, (0, 1), (2, 0)), [((2, 3, 4),)]),
    Row("expand", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)),
        [((3, 1),), ((1, 4),)], gradgrad=True),
    Row("expand", lambda x: x.expand(-1, 4), lambda x: np.broadcast_to(x, (3, 4)), [((3, 1),)]),
    Row("expand_as", lambda x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape),
        [((3, 1), (2, 3, 4))]),
    Row("broadcast_to", lambda x: ember.broadcast_to(x, (2, 3)),
        lambda x: np.broadcast_to(x, (2, 3)), [((3,),)]),
    Row("broadcast_tensors", lambda x, y: ember.broadcast_tensors(x, y),
        lambda x, y: np.broadcast_arrays(x, y), [((3, 1), (4,))]),
    Row("repeat", lambda x: x.repeat(2, 3), lambda x: np.tile(x, (2, 3)), [((2, 3),)]),
    Row("repeat", lambda x: x.repeat(2, 1, 2), lambda x: np.tile(x, (2, 1, 2)), [((2, 3),)]),
    Row("tile", lambda x: ember.tile(x, (2,)), lambda x: np.tile(x, (2,)), [((2, 3),)]),
    Row("tile", lambda x: x.tile(2, 1, 2), lambda x: np.tile(x, (2, 1, 2)), [((2, 3),)]),
    Row("tile", lambda x: ember.tile(x, dims=(3,)), lambda x: np.tile(x, 3), [((2,),)]),
    Row("repeat_interleave", lambda x: ember.repeat_interleave(x, 2, 0),
        lambda x: np.repeat(x, 2, 0), [((3, 2),)]),
    Row("repeat_interleave", lambda x: ember.repeat_interleave(x, 3),
        lambda x: np.repeat(x, 3), [((2, 2),)]),
    Row("repeat_interleave", lambda x: ember.repeat_interleave(x, ember.tensor([1, 0, 2]), 1),
        lambda x: np.repeat(x, [1, 0, 2], 1), [((2, 3),)]),
    Row("cat", lambda x, y: ember.cat([x, y], 1), lambda x, y: np.concatenate([x, y], 1),
        [((3, 2), (3, 4))], gradgrad=True),
    Row("cat", lambda x, y, z: ember.cat([x, y, z]), lambda x, y, z: np.concatenate([x, y, z]),
        [((2, 3), (1, 3), (0, 3))]),
    Row("stack", lambda x, y: ember.stack([x, y], 1), lambda x, y: np.stack([x, y], 1),
        [((3, 2), (3, 2))]),
    Row("stack", lambda x, y: ember.stack([x, y], axis=-1), lambda x, y: np.stack([x, y], -1),
        [((3, 2), (3, 2)), ((), ())]),
    Row("concatenate", lambda x, y: ember.concatenate([x, y], axis=1),
        lambda x, y: np.concatenate([x, y], 1), [((3, 2), (3, 1))]),
    Row("hstack", lambda x, y: ember.hstack([x, y]), lambda x, y: np.hstack([x, y]),
        [((3, 2), (3, 4)), ((2,), (3,))]),
    Row("vstack", lambda x, y: ember.vstack([x, y]), lambda x, y: np.vstack([x, y]),
        [((2, 3), (1, 3)), ((3,), (3,))]),
    Row("dstack", lambda x, y: ember.dstack([x, y]), lambda x, y: np.dstack([x, y]),
        [((2, 3), (2, 3))]),
    Row("column_stack", lambda x, y: ember.column_stack([x, y]),
        lambda x, y: np.column_stack([x, y]), [((3,), (3, 2))]),
    Row("atleast_1d", ember.atleast_1d, np.atleast_1d, [((),)]),
    Row("atleast_2d", ember.atleast_2d, np.atleast_2d, [((3,),)]),
    Row("atleast_3d", ember.atleast_3d, np.atleast_3d, [((3,),), ((2, 3),)]),
    Row("split", lambda x: ember.split(x, 2, 1), lambda x: np.split(x, [2, 4], 1), [((3, 5),)]),
    Row("split", lambda x: ember.split(x, [1, 3], 0), lambda x: np.split(x, [1], 0),
        [((4, 2),)]),
    Row("split", lambda x: x.split(split_size=3, dim=1), lambda x: np.split(x, [3], 1),
        [((2, 5),)]),
    Row("chunk", lambda x: ember.chunk(x, 3, 0), lambda x: np.array_split(x, 3, 0),
        [((6, 2),)]),
    Row("unbind", lambda x: ember.unbind(x, 1), lambda x: tuple(np.moveaxis(x, 1, 0)),
        [((2, 3),)]),
    Row("narrow", lambda x: ember.narrow(x, 1, 1, 2), lambda x: x[:, 1:3], [((3, 4),)]),
    Row("select", lambda x: ember.select(x, 1, -1), lambda x: x[:, -1], [((3, 4),)]),
    Row("flip", lambda x: ember.flip(x, (0, 1)), lambda x: np.flip(x, (0, 1)), [((3, 4),)]),
    Row("flip", lambda x: x.flip(0, 2), lambda x: np.flip(x, (0, 2)), [((2, 3, 4),)]),
    Row("flip", lambda x: ember.flip(x, dims=-1), lambda x: np.flip(x, -1), [((3, 4),)]),
    Row("fliplr", ember.fliplr, np.fliplr, [((3, 4),)]),
    Row("flipud", ember.flipud, np.flipud, [((3, 4),)]),
    Row("roll", lambda x: ember.roll(x, 2, 1), lambda x: np.roll(x, 2, 1), [((3, 4),)]),
    Row("roll", lambda x: ember.roll(x, (1, -1), (0, 1)), lambda x: np.roll(x, (1, -1), (0, 1)),
        [((3, 4),)]),
    Row("roll", lambda x: ember.roll(x, 5), lambda x: np.roll(x, 5), [((3, 4),)]),
    Row("tensor_split", lambda x: ember.tensor_split(x, 3, 1),
        lambda x: tuple(np.array_split(x, 3, 1)), [((2, 7),), ((2, 2),)]),
    Row("tensor_split", lambda x: x.tensor_split([1, 4, 2, 9], dim=0),
        lambda x: tuple(np.array_split(x, [1, 4, 2, 9], 0)), [((5, 2),)]),
    Row("tensor_split", lambda x: ember.tensor_split(x, ember.tensor([-2, 1]), -1),
        lambda x: tuple(np.array_split(x, [-2, 1], -1)), [((2, 5),)]),
    Row("hsplit", lambda x: ember.hsplit(x, 2), lambda x: tuple(np.hsplit(x, 2)),
        [((3, 4),), ((6,),)]),
    Row("hsplit", lambda x: x.hsplit([1, 3]), lambda x: tuple(np.hsplit(x, [1, 3])),
        [((2, 4, 2),)]),
    Row("vsplit", lambda x: ember.vsplit(x, [2]), lambda x: tuple(np.vsplit(x, [2])),
        [((3, 4),)]),
    Row("vsplit", lambda x: x.vsplit(2), lambda x: tuple(np.vsplit(x, 2)), [((4, 3),)]),
    Row("dsplit", lambda x: ember.dsplit(x, 2), lambda x: tuple(np.dsplit(x, 2)),
        [((2, 3, 4),)]),
    Row("dsplit", lambda x: x.dsplit([1, 3]), lambda x: tuple(np.dsplit(x, [1, 3])),
        [((2, 2, 4),)]),
    Row("rot90", ember.rot90, np.rot90, [((3, 4),), ((2, 3, 4),)]),
    Row("rot90", lambda x: ember.rot90(x, 2, [1, 2]), lambda x: np.rot90(x, 2, (1, 2)),
        [((2, 3, 4),)]),
    Row("rot90", lambda x: x.rot90(-1, (-1, 0)), lambda x: np.rot90(x, -1, (-1, 0)),
        [((2, 3, 4),)]),
    Row("rot90", lambda x: x.rot90(7, (0, 1)), lambda x: np.rot90(x, 7), [((3, 4),)]),
    Row("rot90", lambda x: ember.rot90(x, 0), lambda x: x, [((3, 4),)]),
    Row("block_diag", ember.block_diag, _np_block_diag,
        [((2, 3), (3,), ()), ((1, 1), (2, 2), (0, 2))]),
    Row("block_diag", lambda x: ember.block_diag(x), _np_block_diag, [((2, 3),)]),
    Row("cartesian_prod", ember.cartesian_prod, _np_cartesian_prod,
        [((2,), (3,)), ((2,), (3,), (2,))]),
    Row("cartesian_prod", ember.cartesian_prod, lambda x: x, [((4,),)]),
    Row("tril", ember.tril, np.tril, [((3, 4),), ((2, 3, 3),)]),
    Row("triu", lambda x: ember.triu(x, 1), lambda x: np.triu(x, 1), [((4, 3),)]),
    Row("diagonal", ember.diagonal, np.diagonal, [((3, 4),), ((2, 3, 3),)], gradgrad=True),
    Row("diagonal", lambda x: ember.diagonal(x, -1, 1, 2),
        lambda x: np.diagonal(x, -1, 1, 2), [((2, 3, 4),)]),
    Row("diag_embed", ember.diag_embed, _np_diag_embed, [((3,),), ((2, 3),)]),
    Row("diag_embed", lambda x: ember.diag_embed(x, 1), lambda x: _np_diag_embed(x, 1),
        [((2, 3),)]),
    Row("diag", ember.diag, np.diag, [((3,),), ((3, 4),)]),
    Row("diag", lambda x: ember.diag(x, -1), lambda x: np.diag(x, -1), [((3,),), ((4, 3),)]),
    Row("trace", ember.trace, np.trace, [((3, 4),)]),
    Row("pad", lambda x: ember.pad(x, (1, 2)), lambda x: np.pad(x, ((0, 0), (1, 2))),
        [((3, 4),)]),
    Row("pad", lambda x: ember.pad(x, (1, 0, 0, 2), value=0.5),
        lambda x: np.pad(x, ((0, 2), (1, 0)), constant_values=0.5), [((3, 4),)]),
    Row("pad", lambda x: ember.pad(x, (-1, 1)), lambda x: np.pad(x[:, 1:], ((0, 0), (0, 1))),
        [((3, 4),)]),
    Row("pad", lambda x: ember.pad(x, (1, 2, 2, 1), mode="reflect"),
        lambda x: _np_pad_reflect(x, (1, 2, 2, 1)), [((2, 4, 5),)]),
    Row("pad", lambda x: ember.pad(x, (2, 1), mode="replicate"),
        lambda x: np.pad(x, ((0, 0), (2, 1)), mode="edge"), [((3, 4),)]),
    Row("pad", lambda x: ember.pad(x, (2, 3), mode="circular"),
        lambda x: np.pad(x, ((0, 0), (2, 3)), mode="wrap"), [((3, 4),)]),
    Row("meshgrid", lambda x, y: ember.meshgrid(x, y, indexing="ij"),
        lambda x, y: np.meshgrid(x, y, indexing="ij"), [((3,), (4,))]),
    Row("meshgrid", lambda x, y: ember.meshgrid(x, y, indexing="xy"),
        lambda x, y: np.meshgrid(x, y, indexing="xy"), [((3,), (4,))]),
    # ----------------------------------------------------------------------------- indexing
    Row("gather", lambda x, i: ember.gather(x, 1, i), lambda x, i: _np_gather(x, 1, i),
        make=lambda r: [r.normal(size=(3, 4)), _ints(r, (3, 5), 4)], gradgrad=True),
    Row("gather", lambda x, i: ember.gather(x, 0, i), lambda x, i: _np_gather(x, 0, i),
        make=lambda r: [r.normal(size=(3, 4)), _ints(r, (2, 3), 3)]),
    Row("scatter", lambda x, i, s: ember.scatter(x, 1, i, s),
        lambda x, i, s: _np_scatter(x, 1, i, s),
        make=lambda r: [r.normal(size=(3, 5)), np.stack([r.permutation(5)[:3] for _ in
                                                         range(2)]), r.normal(size=(2, 4))]),
    Row("scatter", lambda x, i: ember.scatter(x, 0, i, value=1.5),
        lambda x, i: _np_scatter(x, 0, i, np.full(i.shape, 1.5)),
        make=lambda r: [r.normal(size=(3, 2)), np.array([[0, 2]])]),
    Row("scatter_add", lambda x, i, s: ember.scatter_add(x, 0, i, s),
        lambda x, i, s: _np_scatter_add(x, 0, i, s),
        make=lambda r: [r.normal(size=(3, 4)), _ints(r, (5, 4), 3), r.normal(size=(5, 4))]),
    Row("index_select", lambda x, i: ember.index_select(x, 1, i),
        lambda x, i: np.take(x, i, 1),
        make=lambda r: [r.normal(size=(3, 4)), np.array([0, 3, 3, 1])]),
    Row("index_add", lambda x, i, s: ember.index_add(x, 0, i, s, alpha=2.0),
        lambda x, i, s: _np_index_add(x, 0, i, s, 2.0),
        make=lambda r: [r.normal(size=(3, 2)), np.array([0, 2, 0, 1]), r.normal(size=(4, 2))]),
    Row("index_fill", lambda x, i: ember.index_fill(x, 1, i, -1.0),
        lambda x, i: np.where(np.isin(np.arange(4), i)[None, :], -1.0, x),
        make=lambda r: [r.normal(size=(3, 4)), np.array([1, 3])]),
    Row("masked_fill", lambda x, m: ember.masked_fill(x, m, 2.0),
        lambda x, m: np.where(m, 2.0, x), make=lambda r: [r.normal(size=(3, 4)),
                                                          _mask(r, (4,))]),
    Row("masked_fill", lambda x, m, v: ember.masked_fill(x, m, v),
        lambda x, m, v: np.where(m, v, x), make=lambda r: [r.normal(size=(3, 4)),
                                                           _mask(r, (3, 4)), np.array(0.7)]),
    Row("masked_select", lambda x, m: ember.masked_select(x, m),
        lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
            np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))],
        make=lambda r: [r.normal(size=(3, 1)), _mask(r, (3, 4))]),
    Row("masked_scatter", lambda x, m, s: ember.masked_scatter(x, m, s), _np_masked_scatter,
        make=lambda r: [r.normal(size=(3, 4)), _mask(r, (3, 4)), r.normal(size=(3, 5))]),
    Row("take", lambda x, i: ember.take(x, i), lambda x, i: np.take(x, i),
        make=lambda r: [r.normal(size=(3, 4)), np.array([[0, 11], [5, 5]])]),
    Row("take_along_dim", lambda x, i: ember.take_along_dim(x, i, 1),
        lambda x, i: np.take_along_axis(x, i, 1),
        make=lambda r: [r.normal(size=(3, 4)), _ints(r, (1, 2), 4)]),
    Row("take_along_dim", lambda x, i: ember.take_along_dim(x, i),
        lambda x, i: np.take(x.reshape(-1), i.reshape(-1)),
        make=lambda r: [r.normal(size=(3, 4)), _ints(r, (2, 3), 12)]),
    Row("index_put", lambda x, v: x.index_put((ember.tensor([0, 2, 0]),), v, accumulate=True),
        lambda x, v: _np_index_add(x, 0, [0, 2, 0], v),
        make=lambda r: [r.normal(size=(3, 2)), r.normal(size=(3, 2))]),
    Row("sort", lambda x: ember.sort(x, 1), lambda x: (np.sort(x, 1), np.argsort(x, 1)),
        REDUCE[:2]),
    Row("sort", lambda x: ember.sort(x, 0, descending=True),
        lambda x: (-np.sort(-x, 0), np.argsort(-x, 0, kind="stable")), REDUCE[:2]),
    Row("msort", ember.msort, lambda x: np.sort(x, 0), REDUCE[:2]),
    Row("topk", lambda x: ember.topk(x, 2, 1),
        lambda x: (-np.sort(-x, 1)[:, :2], np.argsort(-x, 1)[:, :2]), REDUCE[:1]),
    Row("topk", lambda x: ember.topk(x, 3, 0, largest=False),
        lambda x: (np.sort(x, 0)[:3], np.argsort(x, 0)[:3]), [((5,),)]),
    Row("kthvalue", lambda x: ember.kthvalue(x, 2, 1), lambda x: _np_kthvalue(x, 2, 1),
        REDUCE[:2]),
    Row("bincount", lambda i, w: ember.bincount(i, w, minlength=6),
        lambda i, w: np.bincount(i, w, minlength=6),
        make=lambda r: [_ints(r, (10,), 5), r.normal(size=(10,))]),
    Row("getitem", lambda x: x[1], lambda x: x[1], [((3, 4),)], gradgrad=True),
    Row("getitem", lambda x: x[:, 1::2], lambda x: x[:, 1::2], [((3, 5),)]),
    Row("getitem", lambda x: x[::-1, None, ..., -2], lambda x: x[::-1, None, ..., -2],
        [((3, 4, 5),)]),
    Row("getitem", lambda x: x[[0, 2, 2]], lambda x: x[[0, 2, 2]], [((3, 4),)], gradgrad=True),
    Row("getitem", lambda x, m: x[m], lambda x, m: x[m],
        make=lambda r: [r.normal(size=(3, 4)), _mask(r, (3, 4))]),
    Row("getitem", lambda x, i, j: x[i, :, j], lambda x, i, j: x[i, :, j],
        make=lambda r: [r.normal(size=(3, 4, 5)), _ints(r, (2, 3), 3), _ints(r, (3,), 5)]),
    Row("getitem", lambda x, i: x[1:, i], lambda x, i: x[1:, i],
        make=lambda r: [r.normal(size=(3, 4)), np.array([[0, 1], [3, 3]])]),
    Row("setitem", lambda x, v: _setitem(x, (slice(1, 3),), v), None, [((4, 3), (3,))]),
    Row("setitem", lambda x, v: _setitem(x, ([3, 0, 2],), v), None, [((4, 3), (3, 3))]),
    # ---------------------------------------------------------------------------- conversion
    Row("to", lambda x: x.to(ember.float32).to(ember.float64), lambda x: x, float32=False,
        eps=1e-2, atol=1e-6),
    Row("clone", ember.clone, np.copy),
    Row("contiguous", lambda x: x.t().contiguous(), lambda x: x.T.copy(), [((3, 4),)]),
    Row("float", lambda x: x.float().double(), lambda x: x, float32=False, eps=1e-2, atol=1e-6),
    Row("double", lambda x: x.double(), lambda x: x, float32=False),
    Row("half", lambda x: x.half().double(), lambda x: x.astype(np.float16), float32=False,
        grad=False),
    Row("type_as", lambda x, y: x.float().type_as(y), lambda x, y: x, [((3,), (2,))],
        float32=False, eps=1e-2, atol=1e-6),
    Row("type_", lambda x: x.type(ember.float64), lambda x: x, float32=False),
    Row("cpu", lambda x: x.cpu(), lambda x: x),
    Row("cuda", lambda x: x.cuda().cpu(), lambda x: x, cuda=True),
    # conversions to integer, bool and complex dtypes carry no gradient: forward only
    Row("long", lambda x: x.long(), lambda x: x.astype(np.int64), grad=False, float32=False),
    Row("int", lambda x: x.int(), lambda x: x.astype(np.int32), grad=False, float32=False),
    Row("short", lambda x: x.short(), lambda x: x.astype(np.int16), grad=False, float32=False),
    Row("char", lambda x: x.char(), lambda x: x.astype(np.int8), grad=False, float32=False),
    Row("byte", lambda x: (x.abs() * 10).byte(), lambda x: (np.abs(x) * 10).astype(np.uint8),
        grad=False, float32=False),
    Row("bool", lambda x: x.bool(), lambda x: x.astype(bool), grad=False, float32=False),
    Row("cfloat", lambda x: x.cfloat(), lambda x: x.astype(np.complex64), grad=False,
        float32=False, atol=1e-6),
    Row("cdouble", lambda x: x.cdouble(), lambda x: x.astype(np.complex128), grad=False,
        float32=False),
]


def _setitem(x, key, v):
    out = x * 1
    out[key] = v * 2
    return out


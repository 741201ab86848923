"""Reductions over `dim` (an int, a tuple, or None for all) with `keepdim`, and the scans.

A reduction's gradient is the incoming gradient given back its reduced dims (`_expand_back`)
and spread over the elements that produced each result.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor, _make
from ._util import check_tensor, normalize_dims, wrap_dim
from .arithmetic import _zeros_like, sign
from .elementwise import exp, where
from .registry import register


def _named(name: str):
    return namedtuple(name, ["values", "indices"])


# PyTorch's return types, so `ember.max(x, 1).values` and tuple unpacking both work.
max_result = _named("max")
min_result = _named("min")
median_result = _named("median")
kthvalue_result = _named("kthvalue")
cummax_result = _named("cummax")
cummin_result = _named("cummin")
sort_result = _named("sort")
topk_result = _named("topk")


def _expand_back(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """A reduction's gradient broadcast back over the dims it reduced."""
    if not keepdim:
        kept = list(g.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(kept)
    return g.expand(shape)


def _expand_back_array(xp, g, shape: tuple, dims: tuple, keepdim: bool):
    """_expand_back on a raw array: a new array where that is small (cheaper to make than a
    broadcast view, and a leaf's .grad needs its own array anyway), else a read-only broadcast
    view (no memory for the copies)."""
    if not keepdim:
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        g = g.reshape(kept)
    if math.prod(shape) <= _SMALL:
        out = xp.empty(shape, g.dtype)
        out[...] = g
        return out
    return xp.broadcast_to(g, shape)


_SMALL = 1 << 14  # elements


def _reduced_count(shape: tuple, dims: tuple) -> int:
    return math.prod(shape[d] for d in dims)


def _sum_dtype(x: Tensor, dtype):
    """PyTorch: integer and bool sums are int64 unless a dtype is given."""
    if dtype is not None:
        return backend.to_dtype(dtype, "sum")
    if x.dtype.category < 2:
        return backend.int64
    return None


# ----------------------------------------------------------------------------------- sum, mean

class Sum(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.shape, ctx.dims, ctx.keepdim), None, None, None

    @staticmethod
    def vjp(ctx, g):
        return _expand_back_array(ctx.device.xp, g, ctx.shape, ctx.dims, ctx.keepdim), None, \
            None, None


@register()
def sum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum over `dim` (an int, a tuple, or None for all elements)."""
    check_tensor("sum", input)
    dims = normalize_dims(dim, input.ndim, "sum")
    return Sum.apply(input, dims, keepdim, _sum_dtype(input, dtype))


class Mean(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        if not _reduced_count(x.shape, dims):  # nan as PyTorch, without NumPy's warnings
            return x.sum(axis=dims, keepdims=keepdim) * math.nan
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        n = _reduced_count(ctx.shape, ctx.dims)
        return _expand_back(g / n if n else g, ctx.shape, ctx.dims, ctx.keepdim), None, None

    @staticmethod
    def vjp(ctx, g):
        n = _reduced_count(ctx.shape, ctx.dims)
        g = _expand_back_array(ctx.device.xp, g / n if n else g, ctx.shape, ctx.dims,
                               ctx.keepdim)
        return g, None, None


def _float_input(op: str, input: Tensor, dtype) -> Tensor:
    if dtype is not None:
        input = input.to(backend.to_dtype(dtype, op))
    if input.dtype.category < 2:
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype}")
    return input


@register()
def mean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The arithmetic mean over `dim` (floating-point input, or give a dtype)."""
    check_tensor("mean", input)
    input = _float_input("mean", input, dtype)
    return Mean.apply(input, normalize_dims(dim, input.ndim, "mean"), keepdim)


class Nansum(Op):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims = dims
        ctx.keepdim = keepdim
        return ctx.xp.nansum(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        g = _expand_back(g, tuple(x.shape), ctx.dims, ctx.keepdim)
        return where(x.isnan(), 0.0, g), None, None


@register()
def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum treating nan as zero."""
    check_tensor("nansum", input)
    if dtype is not None:
        input = input.to(backend.to_dtype(dtype, "nansum"))
    if input.dtype.category < 2:
        return sum(input, dim, keepdim)
    return Nansum.apply(input, normalize_dims(dim, input.ndim, "nansum"), keepdim)


@register()
def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the elements that are not nan."""
    check_tensor("nanmean", input)
    input = _float_input("nanmean", input, dtype)
    count = (~input.isnan()).sum(dim, keepdim).to(input.dtype)
    return nansum(input, dim, keepdim) / count


# ------------------------------------------------------------------------------------------ prod

class Prod(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, dim, keepdim, dtype):
        return x.prod(axis=dim, keepdims=keepdim, dtype=None if dtype is None else dtype.np)

    @staticmethod
    def backward(ctx, g):
        x, dim, keepdim, _, out = ctx.saved_tensors
        if dim is None:
            flat = x.reshape(-1)
            return _prod_grad(g.reshape(1), flat, out.reshape(1), 0).reshape(x.shape), None, \
                None, None
        if not keepdim:
            g = g.unsqueeze(dim)
            out = out.unsqueeze(dim)
        return _prod_grad(g, x, out, dim), None, None, None


def _prod_grad(g: Tensor, x: Tensor, out: Tensor, dim: int) -> Tensor:
    """d prod / d x_i = the product of the other elements: out / x_i without zeros; with zeros,
    the exclusive products from the left times those from the right (no division)."""
    if not bool((x == 0).any()):
        return g * out / x
    left = _exclusive_cumprod(x, dim)
    right = _exclusive_cumprod(x.flip(dim), dim).flip(dim)
    return g * left * right


def _exclusive_cumprod(x: Tensor, dim: int) -> Tensor:
    """[1, x0, x0 x1, ...] along dim."""
    from .shape import cat
    n = x.shape[dim]
    shape = list(x.shape)
    shape[dim] = 1
    ones = _make(x._device.xp.ones(shape, dtype=x._data.dtype), x._device)
    if n == 1:
        return ones
    return cat([ones, x.narrow(dim, 0, n - 1).cumprod(dim)], dim)


@register()
def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product over one dim (or all elements); its gradient is exact with zeros present."""
    check_tensor("prod", input)
    if dim is not None:
        dim = wrap_dim(dim, input.ndim, "prod")
        if not input.ndim:  # a 0-d tensor along dim 0 or -1: its one element
            dim = None
    return Prod.apply(input, dim, keepdim, _sum_dtype(input, dtype))


# ------------------------------------------------------------------------------ max, min, amax

class _SelectAlongDim(Op):
    """max/min/median/kthvalue along a dim: (values, indices); the gradient goes to the index."""

    n_outputs = 2
    nondiff_outputs = (1,)
    save_inputs = False

    @staticmethod
    def backward(ctx, g, _):
        idx = _make(ctx.index, ctx.device)
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return g.new_zeros(ctx.shape).scatter(ctx.dim, idx, g), None, None

    @staticmethod
    def finish(ctx, x, idx, dim, keepdim):
        xp = ctx.xp
        ctx.index = idx
        ctx.dim = dim
        ctx.keepdim = keepdim
        ctx.shape = x.shape
        values = xp.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            values = values.squeeze(dim)
            idx = idx.squeeze(dim)
        return values, idx


class MaxDim(_SelectAlongDim):
    @classmethod
    def name(cls) -> str:
        return "MaxBackward0"  # PyTorch's max.dim node

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        idx = ctx.xp.expand_dims(ctx.xp.argmax(x, axis=dim), dim)
        return _SelectAlongDim.finish(ctx, x, idx, dim, keepdim)


class MinDim(_SelectAlongDim):
    @classmethod
    def name(cls) -> str:
        return "MinBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        idx = ctx.xp.expand_dims(ctx.xp.argmin(x, axis=dim), dim)
        return _SelectAlongDim.finish(ctx, x, idx, dim, keepdim)


class _Extreme(Op):
    """amax/amin: the gradient is split evenly among the elements equal to the result."""

    save_output = True
    fn = ""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        if x.size == 0:  # an empty tensor reduces over non-empty dims only (PyTorch's rule)
            for d in range(x.ndim) if dims is None else dims:
                if x.shape[d] == 0:
                    raise RuntimeError(f"{ctx.fn}(): expected reduction dim {d} to have "
                                       f"non-zero size (shape {tuple(x.shape)})")
        return getattr(ctx.xp, ctx.fn)(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, dims, keepdim, out = ctx.saved_tensors
        shape = tuple(x.shape)
        mask = x == _expand_back(out, shape, dims, keepdim)
        count = mask.sum(dims, keepdim=True).to(g.dtype)
        g = _expand_back(g, shape, dims, keepdim)
        return where(mask, g / count, 0.0), None, None


class Amax(_Extreme):
    fn = "amax"


class Amin(_Extreme):
    fn = "amin"


class MaxAll(Amax):
    """max(x) of every element: amax's rule, under PyTorch's max() node name."""

    @classmethod
    def name(cls) -> str:
        return "MaxBackward1"


class MinAll(Amin):
    @classmethod
    def name(cls) -> str:
        return "MinBackward1"


@register()
def amax(input, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over `dim` (all dims for () or None); ties share the gradient evenly."""
    check_tensor("amax", input)
    dims = normalize_dims(None if dim == () else dim, input.ndim, "amax")
    return Amax.apply(input, dims, keepdim)


@register()
def amin(input, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over `dim` (all dims for () or None); ties share the gradient evenly."""
    check_tensor("amin", input)
    dims = normalize_dims(None if dim == () else dim, input.ndim, "amin")
    return Amin.apply(input, dims, keepdim)


aminmax_result = namedtuple("aminmax", ["min", "max"])


@register()
def aminmax(input, *, dim=None, keepdim: bool = False):
    """(min, max) over `dim` (one int; all elements when None) as a named tuple; the gradient
    of each is amin's and amax's (shared evenly among ties)."""
    op = "aminmax"
    check_tensor(op, input)
    if dim is not None and isinstance(dim, (tuple, list)):
        raise TypeError(f"aminmax: dim must be an int or None, got {type(dim).__name__}")
    dims = normalize_dims(dim, input.ndim, op)
    if any(input.shape[k] == 0 for k in dims):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity")
    return aminmax_result(amin(input, dims, keepdim), amax(input, dims, keepdim))


def _max_min(op: str, input, dim, keepdim, other, dim_cls, all_cls, pair_fn, result):
    check_tensor(op, input)
    if isinstance(dim, Tensor):
        return pair_fn(input, dim)
    if other is not None:
        return pair_fn(input, other)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{op}(): expected reduction dim to be specified for an empty "
                               f"input (shape {tuple(input.shape)}); specify the reduction dim "
                               f"with the 'dim' argument")
        return all_cls.apply(input, tuple(range(input.ndim)), False)
    d = wrap_dim(dim, input.ndim, op)
    if not input.ndim:  # a 0-d tensor along dim 0 or -1: its one element, index 0
        return result(*dim_cls.apply(input.reshape(1), 0, False))
    if input.shape[d] == 0:
        raise IndexError(f"{op}(): expected reduction dim {d} to have non-zero size")
    return result(*dim_cls.apply(input, d, keepdim))


@register()
def max(input, dim=None, keepdim: bool = False, *, other=None):
    """max(x): the largest element. max(x, dim): (values, indices) along dim.
    max(x, y): the elementwise maximum."""
    from .elementwise import maximum
    return _max_min("max", input, dim, keepdim, other, MaxDim, MaxAll, maximum, max_result)


@register()
def min(input, dim=None, keepdim: bool = False, *, other=None):
    """min(x): the smallest element. min(x, dim): (values, indices) along dim.
    min(x, y): the elementwise minimum."""
    from .elementwise import minimum
    return _max_min("min", input, dim, keepdim, other, MinDim, MinAll, minimum, min_result)


class _ArgExtreme(Op):
    differentiable = False
    fn = ""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = ctx.xp
        if dim is None:
            out = getattr(xp, ctx.fn)(x.reshape(-1))
            return out.reshape((1,) * x.ndim) if keepdim else out
        return getattr(xp, ctx.fn)(x, axis=dim, keepdims=keepdim)


class Argmax(_ArgExtreme):
    fn = "argmax"


class Argmin(_ArgExtreme):
    fn = "argmin"


def _arg_dim(op: str, input: Tensor, dim) -> int | None:
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{op}(): expected reduction dim to be specified for an empty "
                               f"input (shape {tuple(input.shape)})")
        return None
    d = wrap_dim(dim, input.ndim, op)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{op}(): expected reduction dim {d} to have non-zero size (shape "
                         f"{tuple(input.shape)})")
    return d if input.ndim else None


@register(differentiable=False)
def argmax(input, dim=None, keepdim: bool = False) -> Tensor:
    """The index of the largest element (over the flattened tensor when dim is None)."""
    check_tensor("argmax", input)
    d = _arg_dim("argmax", input, dim)
    return Argmax.apply(input, d, keepdim).to(backend.int64)


@register(differentiable=False)
def argmin(input, dim=None, keepdim: bool = False) -> Tensor:
    """The index of the smallest element (over the flattened tensor when dim is None)."""
    check_tensor("argmin", input)
    d = _arg_dim("argmin", input, dim)
    return Argmin.apply(input, d, keepdim).to(backend.int64)


# ------------------------------------------------------------------------------- var, std

def _parse_correction(op, dim, unbiased, correction):
    """PyTorch's overloads: var(x, unbiased), var(x, dim, unbiased), var(x, dim, correction=)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{op}: cannot specify both correction and unbiased")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var_backward(gvar: Tensor, x: Tensor, dims: tuple, keepdim: bool, correction) -> Tensor:
    n = _reduced_count(tuple(x.shape), dims)
    centred = x - x.mean(dims, keepdim=True)
    gvar = _expand_back(gvar, tuple(x.shape), dims, keepdim)
    return gvar * centred * (2.0 / (n - correction) if n != correction else math.inf)


def _var_no_dof(x, dims, correction, keepdim):
    """The variance where N - correction <= 0, as PyTorch: nan for no elements, else the sum of
    squares over 0 (nan or inf), without NumPy's "Degrees of freedom <= 0" warnings."""
    n = _reduced_count(x.shape, dims)
    if n == 0:
        return abs(x.sum(axis=dims, keepdims=keepdim)) * math.nan
    centred = abs(x - x.mean(axis=dims, keepdims=True))
    return (centred * centred).sum(axis=dims, keepdims=keepdim) / 0.0


class Var(Op):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        if _reduced_count(x.shape, dims) - correction <= 0:
            return _var_no_dof(x, dims, correction, keepdim)
        return ctx.xp.var(x, axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, dims, correction, keepdim = ctx.saved_tensors
        return _var_backward(g, x, dims, keepdim, correction), None, None, None


class Std(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        if _reduced_count(x.shape, dims) - correction <= 0:
            return ctx.xp.sqrt(_var_no_dof(x, dims, correction, keepdim))
        return ctx.xp.std(x, axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, dims, correction, keepdim, out = ctx.saved_tensors
        gvar = where(out == 0, 0.0, g / (out * 2))  # PyTorch: zero gradient where std is 0
        return _var_backward(gvar, x, dims, keepdim, correction), None, None, None


def _var_std(op: str, cls, input, dim, unbiased, keepdim, correction) -> Tensor:
    check_tensor(op, input)
    input = _float_input(op, input, None)
    dim, correction = _parse_correction(op, dim, unbiased, correction)
    dims = normalize_dims(dim, input.ndim, op)
    n = _reduced_count(tuple(input.shape), dims)
    if n - correction <= 0 and input.numel() > 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return cls.apply(input, dims, correction, keepdim)


@register()
def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """The variance sum((x - mean)^2) / (N - correction) over `dim` (correction 1 by default:
    the unbiased estimate; `unbiased=False` is correction 0). As PyTorch, it warns where
    N - correction <= 0 (the result is then nan or inf)."""
    return _var_std("var", Var, input, dim, unbiased, keepdim, correction)


@register()
def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """The standard deviation sqrt(var(...)); its gradient is 0 where it is 0."""
    return _var_std("std", Std, input, dim, unbiased, keepdim, correction)


@register(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over the same dims."""
    return (_var_std("var_mean", Var, input, dim, unbiased, keepdim, correction),
            mean(input, None if isinstance(dim, bool) else dim, keepdim))


@register(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over the same dims."""
    return (_var_std("std_mean", Std, input, dim, unbiased, keepdim, correction),
            mean(input, None if isinstance(dim, bool) else dim, keepdim))


# ------------------------------------------------------------------------------- logsumexp

class Logsumexp(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.xp
        if x.size == 0:
            return xp.log(xp.sum(xp.exp(x), axis=dims, keepdims=keepdim))
        m = xp.amax(x, axis=dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.sum(xp.exp(x - m), axis=dims, keepdims=True)) + m
        return out if keepdim else out.squeeze(dims)

    @staticmethod
    def backward(ctx, g):
        x, dims, keepdim, out = ctx.saved_tensors
        shape = tuple(x.shape)
        out = _expand_back(out, shape, dims, keepdim)
        g = _expand_back(g, shape, dims, keepdim)
        # softmax weights; a row of all -inf has out = -inf and gets zero gradient, not nan
        dead = out == -math.inf
        weights = exp(x - where(dead, 0.0, out))
        return where(dead, 0.0, g * weights), None, None


@register()
def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, computed without overflow (the max is factored out);
    -inf for a slice of all -inf, with a zero gradient."""
    check_tensor("logsumexp", input)
    if input.dtype.category < 2:
        input = input.to(backend.get_default_dtype())
    return Logsumexp.apply(input, normalize_dims(dim, input.ndim, "logsumexp"), keepdim)


# ---------------------------------------------------------------------------------- norms

class VectorNorm(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, ord, dims, keepdim):
        xp = ctx.xp
        a = xp.abs(x)
        if ord == math.inf:
            return xp.amax(a, axis=dims, keepdims=keepdim)
        if ord == -math.inf:
            return xp.amin(a, axis=dims, keepdims=keepdim)
        if ord == 0:
            return xp.sum(a != 0, axis=dims, keepdims=keepdim).astype(a.dtype)  # real for complex x
        if ord == 1:
            return xp.sum(a, axis=dims, keepdims=keepdim)
        if ord == 2:
            return xp.sqrt(xp.sum(a * a, axis=dims, keepdims=keepdim))
        return xp.sum(a ** ord, axis=dims, keepdims=keepdim) ** (1.0 / ord)

    @staticmethod
    def backward(ctx, g):
        x, ord, dims, keepdim, out = ctx.saved_tensors
        shape = tuple(x.shape)
        g = _expand_back(g, shape, dims, keepdim)
        norm = _expand_back(out, shape, dims, keepdim)
        if ord == 0:
            gx = _zeros_like(x)
        elif ord == 1:
            gx = g * sign(x)
        elif ord in (math.inf, -math.inf):
            mask = x.abs() == norm
            count = mask.sum(dims, keepdim=True).to(g.dtype)
            gx = where(mask, g * sign(x) / count, 0.0)
        elif ord == 2:
            gx = x * where(norm == 0, 0.0, g / where(norm == 0, 1.0, norm))
        elif ord < 1:
            scaled = where(x == 0, 0.0, sign(x) * x.abs() ** (ord - 1))
            gx = scaled * g * norm ** (1 - ord)
        else:
            scaled = sign(x) * x.abs() ** (ord - 1)
            gx = scaled * where(norm == 0, 0.0, g / where(norm == 0, 1.0, norm) ** (ord - 1))
        return gx, None, None, None


def vector_norm(input, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The p-norm (sum |x|^p)^(1/p) over `dim`; ord may be any real, inf (max |x|), -inf (min |x|)
    or 0 (the number of non-zeros). The gradient at a zero vector is 0."""
    check_tensor("vector_norm", input)
    if dtype is not None:
        input = input.to(backend.to_dtype(dtype, "vector_norm"))
    if input.dtype.category < 2:
        raise RuntimeError(f"linalg.vector_norm: expected a floating point or complex tensor as "
                           f"input. Got {input.dtype.name} (shape {tuple(input.shape)})")
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    dims = normalize_dims(dim, input.ndim, "vector_norm")
    if input.numel() == 0 and (ord < 0 or ord == math.inf):
        # a max / min (or a sum of infinities for ord < 0) over an empty dim has no identity
        # (PyTorch's rule); over non-empty dims of an empty tensor the result is empty
        if dim is None or dim == () or dim == []:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               f"tensor because the operation does not have an identity")
        for d in dims:
            if input.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the "
                                   f"dimension {d} because this dimension is empty and the "
                                   f"operation does not have an identity")
    return VectorNorm.apply(input, float(ord), dims, keepdim)


@register()
def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over `dim` (all elements by default); p='fro' is the 2-norm of the
    elements (the Frobenius norm of a matrix); p='nuc' the nuclear norm (the sum of the singular
    values) of a 2-D input or of the matrices over a 2-tuple `dim`, as torch.norm. Other matrix
    norms live in ember.linalg."""
    check_tensor("norm", input)
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        from ..linalg.norms import matrix_norm
        if dim is None:
            if input.ndim != 2:
                raise RuntimeError(f"norm: p='nuc' needs a 2-D input or a 2-tuple dim, got a "
                                   f"{input.ndim}-D input of shape {tuple(input.shape)}")
            dim = (-2, -1)
        return matrix_norm(input, "nuc", dim, keepdim, dtype=dtype)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


# ---------------------------------------------------------------------------------- scans

def _running(fn, x, dim, dtype):
    """cumsum/cumprod along dim; float16 accumulates in float32, as PyTorch's acc_type (NumPy's
    float16 running sum stalls at 2048)."""
    out = dtype.np if dtype is not None else x.dtype
    if out == "float16":
        return fn(x, axis=dim, dtype="float32").astype("float16")
    return fn(x, axis=dim, dtype=None if dtype is None else out)


class Cumsum(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        return _running(ctx.xp.cumsum, x, dim, dtype)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        return g.flip(d).cumsum(d).flip(d), None, None


@register()
def cumsum(input, dim, *, dtype=None) -> Tensor:
    """Running sums along `dim`."""
    check_tensor("cumsum", input)
    d = wrap_dim(dim, input.ndim, "cumsum")
    if input.ndim == 0:
        return input.clone()
    return Cumsum.apply(input, d, _sum_dtype(input, dtype))


@register()
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along `dim`: out[i] = input[i + 1] - input[i], applied n
    times, after `prepend` and `append` (tensors shaped as input but along dim) are joined on
    either side. Bool tensors give logical_xor, as PyTorch."""
    op = "diff"
    check_tensor(op, input)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n!r}")
    d = wrap_dim(dim, input.ndim, op)
    parts = []
    for what, extra in (("prepend", prepend), (None, input), ("append", append)):
        if extra is None:
            continue
        if what is not None:
            check_tensor(op, extra, what)
            if extra.ndim != input.ndim or any(
                    a != b for k, (a, b) in enumerate(zip(extra.shape, input.shape)) if k != d):
                raise RuntimeError(f"diff expects {what} to have the shape of input except along "
                                   f"dim {d}, got {tuple(extra.shape)} and {tuple(input.shape)}")
        parts.append(extra)
    if len(parts) > 1:
        from .shape import cat
        x = cat(parts, d)
    else:
        x = input
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        later, earlier = x.narrow(d, 1, size - 1), x.narrow(d, 0, size - 1)
        x = later != earlier if x.dtype == backend.bool_ else later - earlier
    return input.clone() if x is input else x


class Cumprod(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, dim, dtype):
        return _running(ctx.xp.cumprod, x, dim, dtype)

    @staticmethod
    def backward(ctx, g):
        x, dim, _, out = ctx.saved_tensors
        if not bool((x == 0).any()):
            # d out_j / d x_k = out_j / x_k for j >= k: a reversed cumulative sum
            return (g * out).flip(dim).cumsum(dim).flip(dim) / x, None, None
        return _cumprod_grad_with_zeros(g, x, dim), None, None


def _cumprod_grad_with_zeros(g: Tensor, x: Tensor, dim: int) -> Tensor:
    """Exact when x has zeros: gx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i, built from the
    cumulative products of x with element k replaced by 1 (n products of length n)."""
    from .shape import stack
    xm = x.movedim(dim, -1)
    gm = g.movedim(dim, -1)
    n = xm.shape[-1]
    columns = []
    for k in range(n):
        replaced = xm.index_fill(-1, _make(x._device.xp.asarray([k]), x._device), 1.0)
        prods = replaced.cumprod(-1).narrow(-1, k, n - k)
        columns.append((gm.narrow(-1, k, n - k) * prods).sum(-1))
    return stack(columns, -1).movedim(-1, dim)


@register()
def cumprod(input, dim, *, dtype=None) -> Tensor:
    """Running products along `dim`; the gradient is exact with zeros present."""
    check_tensor("cumprod", input)
    d = wrap_dim(dim, input.ndim, "cumprod")
    if input.ndim == 0:
        return input.clone()
    return Cumprod.apply(input, d, _sum_dtype(input, dtype))


@register()
def logcumsumexp(input, dim) -> Tensor:
    """log(cumsum(exp(input), dim)) without overflow or underflow: a parallel prefix scan of
    logaddexp (log2(n) steps), so a small term after a large one is never lost; its gradient
    comes from logaddexp's."""
    op = "logcumsumexp"
    check_tensor(op, input)
    d = wrap_dim(dim, input.ndim, op)
    x = input if input.dtype.category >= 2 else input.to(backend.get_default_dtype())
    if x.ndim == 0:
        return x.clone()
    from .elementwise import logaddexp
    from .shape import cat
    n = x.shape[d]
    step = 1
    while step < n:
        x = cat([x.narrow(d, 0, step),
                 logaddexp(x.narrow(d, step, n - step), x.narrow(d, 0, n - step))], d)
        step *= 2
    return x.clone() if x is input else x


class _CumExtreme(Op):
    n_outputs = 2
    nondiff_outputs = (1,)
    save_inputs = False
    ufunc = ""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        values = getattr(xp, ctx.ufunc).accumulate(x, axis=dim)
        positions = xp.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - dim - 1))
        candidate = (x == values) | xp.isnan(x) if x.dtype.kind in "fc" else (x == values)
        idx = xp.maximum.accumulate(xp.where(candidate, positions, 0), axis=dim)
        ctx.index = idx
        ctx.dim = dim
        ctx.shape = x.shape
        return values, idx.astype(xp.int64)

    @staticmethod
    def backward(ctx, g, _):
        idx = _make(ctx.index, ctx.device)
        return g.new_zeros(ctx.shape).scatter_add(ctx.dim, idx, g), None


class Cummax(_CumExtreme):
    ufunc = "maximum"


class Cummin(_CumExtreme):
    ufunc = "minimum"


@register()
def cummax(input, dim):
    """Running maxima along `dim` and the index where each was reached: (values, indices)."""
    check_tensor("cummax", input)
    if input.ndim == 0:
        return cummax_result(input.clone(), input.new_zeros((), dtype=backend.int64))
    return cummax_result(*Cummax.apply(input, wrap_dim(dim, input.ndim, "cummax")))


@register()
def cummin(input, dim):
    """Running minima along `dim` and the index where each was reached: (values, indices)."""
    check_tensor("cummin", input)
    if input.ndim == 0:
        return cummin_result(input.clone(), input.new_zeros((), dtype=backend.int64))
    return cummin_result(*Cummin.apply(input, wrap_dim(dim, input.ndim, "cummin")))


class CountNonzero(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, dims):
        return ctx.xp.count_nonzero(x, axis=dims)


@register(differentiable=False)
def count_nonzero(input, dim=None) -> Tensor:
    """The number of non-zero elements over `dim` (all by default)."""
    check_tensor("count_nonzero", input)
    dims = normalize_dims(dim, input.ndim, "count_nonzero")
    return CountNonzero.apply(input, dims).to(backend.int64)


# ----------------------------------------------------------------------------------- median

class MedianDim(_SelectAlongDim):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = ctx.xp
        n = x.shape[dim]
        order = xp.argsort(x, axis=dim, kind="stable")
        idx = xp.take(order, [(n - 1) // 2], axis=dim)
        if x.dtype.kind in "fc":
            nans = xp.isnan(x)
            has_nan = nans.any(axis=dim, keepdims=True)
            first_nan = xp.expand_dims(xp.argmax(nans, axis=dim), dim)
            idx = xp.where(has_nan, first_nan, idx)
        return _SelectAlongDim.finish(ctx, x, idx, dim, keepdim)


class MedianAll(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        flat = x.reshape(-1)
        if x.dtype.kind in "fc" and bool(xp.isnan(flat).any()):
            return xp.asarray(xp.nan, dtype=x.dtype)
        return xp.sort(flat)[(flat.size - 1) // 2]

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        mask = x == out
        return where(mask, g / mask.sum().to(g.dtype), 0.0)


@register()
def median(input, dim=None, keepdim: bool = False):
    """The lower median (the ((n - 1) // 2)-th smallest; nan if any element is nan).
    With dim: (values, indices) along dim."""
    check_tensor("median", input)
    if dim is None:
        if input.numel() == 0:
            return input.new_full((), math.nan)
        return MedianAll.apply(input)
    d = wrap_dim(dim, input.ndim, "median")
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"median(): expected reduction dim {d} to have non-zero size")
    if input.ndim == 0:
        return median_result(input.clone(), input.new_zeros((), dtype=backend.int64))
    return median_result(*MedianDim.apply(input, d, keepdim))


@register()
def nanmedian(input, dim=None, keepdim: bool = False):
    """median ignoring nan: the lower median (the ((m - 1) // 2)-th smallest) of the m non-nan
    elements; nan where all are nan. With dim: (values, indices) along dim, as median. A
    composite of sort and gather, so the gradient goes to the chosen element."""
    op = "nanmedian"
    check_tensor(op, input)
    if dim is None:
        if input.numel() == 0:
            return input.new_full((), math.nan)
        return nanmedian(input.reshape(-1), 0).values
    d = wrap_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return median_result(input.clone(), input.new_zeros((), dtype=backend.int64))
    if input.shape[d] == 0:
        raise IndexError(f"nanmedian(): expected reduction dim {d} to have non-zero size")
    order = input.sort(d).indices                       # nan sorts last
    count = (~input.isnan()).sum(d, keepdim=True)
    k = ((count - 1) // 2).clamp(min=0)
    idx = order.gather(d, k)
    values = input.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return median_result(values, idx)

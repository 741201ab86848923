"""Indexing: `x[key]` and `x[key] = v` as NumPy, gather/scatter, masks, sorting and searching.

The gradient of every read is a write into zeros (`index_put_zeros`), and the gradient of that
write is the read again, so second derivatives come from the same pair of ops.
"""

from __future__ import annotations

import re

from .. import backend
from ..autograd import grad_mode
from ..autograd.function import Op, check_inplace
from ..tensor import Tensor, _make
from ._util import (
    as_tensor_arg,
    broadcast_shapes_or_raise,
    check_tensor,
    fit_scalar,
    unbroadcast,
    wrap_dim,
)
from .reduce import _SelectAlongDim, kthvalue_result, sort_result, topk_result
from .registry import register

_state = grad_mode.state


# ------------------------------------------------------------------------------------ keys

def _index_array(op: str, k, device, like_ndim: int):
    """An index given as a Tensor, list or array: an int64 or bool array on `device`."""
    if isinstance(k, Tensor):
        if k._device is not device:
            raise RuntimeError(f"{op}: indices should be on the same device as the indexed "
                               f"tensor ({device}), got an index on {k._device}")
        a = k._data
    else:
        try:
            a = device.asarray(k)
        except (ValueError, TypeError):
            raise IndexError(f"{op}: could not convert {k!r} to an index") from None
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype("int64")
    kind = a.dtype.kind
    if kind == "b":
        return a
    if kind in "iu":
        return a.astype("int64", copy=False)
    raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool tensors, "
                     f"got {backend.dtype_of_array(a).name if kind != 'O' else 'object'}")


def _to_int(v):
    if v is None:
        return None
    if isinstance(v, Tensor):
        return int(v.item())
    return v.__index__()


def index_key(op: str, key, device, ndim: int):
    """A NumPy index from ember's: (key tuple, True if it is basic indexing, a view)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    for k in key:
        if k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, slice):
            out.append(slice(_to_int(k.start), _to_int(k.stop), _to_int(k.step)))
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        elif isinstance(k, int) or backend.is_numpy_scalar(k) and not isinstance(k, float):
            out.append(int(k))
        elif isinstance(k, (Tensor, list, tuple)) or backend.is_array(k):
            out.append(_index_array(op, k, device, ndim))
            basic = False
        else:
            raise TypeError(f"{op}: unsupported index type {type(k).__name__}; use ints, "
                            "slices, None, ..., integer or bool tensors")
    if basic and Ellipsis not in out:
        out.append(Ellipsis)  # keeps integer indexing a 0-d view instead of a NumPy scalar
    return tuple(out), basic


def _at_key(key: tuple, xp) -> tuple:
    """The same selection for ufunc.at: bool arrays replaced by their nonzero() int arrays."""
    out = []
    for k in key:
        if isinstance(k, bool):
            out.append(None)
            if not k:
                out.append(xp.zeros(0, dtype="int64"))
        elif hasattr(k, "dtype") and k.dtype.kind == "b":
            out.extend(xp.nonzero(k))
        else:
            out.append(k)
    return tuple(out)


_AXIS_RE = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")


def _index_error(op: str, err: IndexError) -> IndexError:
    m = _AXIS_RE.search(str(err))
    if m:
        return IndexError(f"{op}: index {m.group(1)} is out of range for dimension {m.group(2)} "
                          f"with size {m.group(3)}")
    return IndexError(f"{op}: {err}")


# ----------------------------------------------------------------------------- read / write

class IndexBasic(Op):
    """x[key] with ints, slices, None and ...: a view."""

    save_inputs = False
    is_view = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return index_put_zeros(g, ctx.shape, ctx.key, False), None


class IndexAdvanced(Op):
    """x[key] with integer or bool arrays: a copy; repeated indices accumulate gradient."""

    save_inputs = False

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape = x.shape
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return index_put_zeros(g, ctx.shape, ctx.key, True), None


class IndexPutZeros(Op):
    """zeros(shape) with out[key] = g (accumulate: += for repeated indices): getitem's gradient."""

    save_inputs = False

    @staticmethod
    def forward(ctx, g, shape, key, accumulate):
        xp = ctx.xp
        ctx.key = key
        ctx.basic = not accumulate
        out = xp.zeros(shape, dtype=g.dtype)
        if accumulate:
            xp.add.at(out, _at_key(key, xp), g)
        else:
            out[key] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        cls = IndexBasic if ctx.basic else IndexAdvanced
        return cls.apply(gg, ctx.key), None, None, None


def index_put_zeros(g: Tensor, shape: tuple, key: tuple, accumulate: bool) -> Tensor:
    return IndexPutZeros.apply(g, tuple(shape), key, accumulate)


def getitem(self: Tensor, key) -> Tensor:
    """x[key] as NumPy: ints, slices (any step), None, ..., integer/bool tensors and lists."""
    key, basic = index_key("getitem", key, self._device, self.ndim)
    try:
        return (IndexBasic if basic else IndexAdvanced).apply(self, key)
    except IndexError as err:
        raise _index_error("getitem", err) from None


class IndexZero(Op):
    """g with g[key] = 0: the gradient of the target of an overwrite."""

    save_inputs = False

    @staticmethod
    def forward(ctx, g, key):
        ctx.key = key
        out = g.copy()
        out[key] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        return IndexZero.apply(gg, ctx.key), None


class IndexPut(Op):
    """x[key] = v (or += with accumulate) written in place into x's memory."""

    save_inputs = False

    @staticmethod
    def forward(ctx, x, v, key, accumulate):
        xp = ctx.xp
        ctx.key = key
        ctx.accumulate = accumulate
        ctx.vshape = getattr(v, "shape", None)
        if accumulate:
            xp.add.at(x, _at_key(key, xp), v)
        else:
            x[key] = v
        return x

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.next[0] is not None:
            gx = g if ctx.accumulate else IndexZero.apply(g, ctx.key)
        if ctx.next[1] is not None:
            picked = IndexAdvanced.apply(g, ctx.key)
            gv = unbroadcast(picked, ctx.vshape)
        return gx, gv, None, None


def commit_inplace(self: Tensor, result: Tensor) -> Tensor:
    """Make `self` the output of the recorded op `result` (after its data was written into
    self's memory), and bump the version counter shared with views."""
    if result.grad_fn is not None:
        self.grad_fn = result.grad_fn
        self._nr = result._nr
        self._requires_grad = True
    elif self.grad_fn is not None:  # overwritten by a constant: no longer part of the graph
        self.grad_fn = None
        self._nr = 0
        self._requires_grad = False
    self._vc[0] += 1
    return self


def _writable(op: str, self: Tensor) -> None:
    if not backend.is_writeable(self._data):
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location (an expanded or "
                           "broadcast view). Please clone() the tensor before performing the "
                           "operation.")


def setitem(self: Tensor, key, value) -> None:
    """x[key] = value in place; with autograd the gradient reaches both x and value."""
    key, _ = index_key("setitem", key, self._device, self.ndim)
    _writable("setitem", self)
    if isinstance(value, Tensor):
        if value._device is not self._device:
            raise RuntimeError(f"setitem: value is on {value._device} but the tensor is on "
                               f"{self._device}")
        if value._data.dtype != self._data.dtype:
            value = value.to(self.dtype)
    elif not backend.is_array(value):
        if isinstance(value, (int, float, complex)):
            value = fit_scalar("setitem", value, self._data.dtype)
        value = as_tensor_arg("setitem", value, self, self.dtype)
    else:
        value = _make(self._device.asarray(value, self.dtype), self._device)
    recording = _state.enabled and (self._requires_grad or value._requires_grad)
    check_inplace("setitem", self, recording)
    try:
        if recording:
            out = IndexPut.apply(self, value, key, False)
            commit_inplace(self, out)
        else:
            self._data[key] = value._data
            self._vc[0] += 1
    except IndexError as err:
        raise _index_error("setitem", err) from None
    except ValueError as err:
        raise RuntimeError(f"setitem: cannot assign a value of shape {tuple(value.shape)} to "
                           f"the selection: {err}") from None


@register(method="index_put")
def index_put(input, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of input with input[indices] = values (+= with accumulate: repeats add up)."""
    out = input.clone()
    return out.index_put_(indices, values, accumulate)


def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    key, _ = index_key("index_put_", tuple(indices), self._device, self.ndim)
    if isinstance(values, (int, float, complex)):
        values = fit_scalar("index_put_", values, self._data.dtype)
    values = as_tensor_arg("index_put_", values, self, self.dtype)
    if values._data.dtype != self._data.dtype:
        values = values.to(self.dtype)
    recording = _state.enabled and (self._requires_grad or values._requires_grad)
    check_inplace("index_put_", self, recording)
    _writable("index_put_", self)
    return commit_inplace(self, IndexPut.apply(self, values, key, accumulate))


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
Tensor.index_put_ = index_put_


# --------------------------------------------------------------------------- gather / scatter

def _check_index_tensor(op: str, index, ndim: int | None = None) -> Tensor:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be a Tensor, got {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected dtype int64 for index, got {index.dtype}")
    if ndim is not None and index.ndim != ndim and not (ndim == 0 or index.ndim == 0):
        raise RuntimeError(f"{op}: index tensor must have the same number of dimensions as the "
                           f"input tensor ({index.ndim} vs {ndim})")
    return index


def _check_range(op: str, index: Tensor, size: int, dim: int) -> None:
    if index.numel() == 0:
        return
    lo, hi = int(index._data.min()), int(index._data.max())
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{size}")


def _full_index(idx, dim: int, xp) -> tuple:
    """Open-mesh index arrays selecting, along `dim`, the positions in idx."""
    out = []
    for d, n in enumerate(idx.shape):
        if d == dim:
            out.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = n
            out.append(xp.arange(n).reshape(shape))
    return tuple(out)


def _leading(a, shape: tuple):
    """a[:shape[0], :shape[1], ...]."""
    return a[tuple(slice(0, n) for n in shape)]


class Gather(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.shape = x.shape
        ctx.dim = dim
        ctx.idx = idx
        limits = tuple(x.shape[d] if d == dim else idx.shape[d] for d in range(x.ndim))
        return ctx.xp.take_along_axis(_leading(x, limits), idx, axis=dim)

    @staticmethod
    def backward(ctx, g):
        idx = _make(ctx.idx, ctx.device)
        return g.new_zeros(ctx.shape).scatter_add(ctx.dim, idx, g), None, None


def _check_gather_shapes(op, input, dim, index, src=None):
    for d in range(input.ndim):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"{op}: size of index {tuple(index.shape)} must not exceed the "
                               f"size of input {tuple(input.shape)} except at dimension {dim} "
                               f"(dimension {d})")
        if src is not None and index.shape[d] > src.shape[d]:
            raise RuntimeError(f"{op}: size of index {tuple(index.shape)} must not exceed the "
                               f"size of src {tuple(src.shape)} (dimension {d})")


@register()
def gather(input, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j][k] = input[index[i][j][k]][j][k] for dim 0 (and likewise for other dims)."""
    check_tensor("gather", input)
    d = wrap_dim(dim, input.ndim, "gather")
    _check_index_tensor("gather", index, input.ndim)
    if input.ndim == 0:
        return input.clone()
    _check_gather_shapes("gather", input, d, index)
    _check_range("gather", index, input.shape[d], d)
    return Gather.apply(input, d, index)


class Scatter(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, idx, src):
        xp = ctx.xp
        ctx.dim = dim
        ctx.idx = idx
        out = x.copy()
        values = _leading(src, idx.shape) if isinstance(src, backend.ARRAY_TYPES) and src.ndim \
            else src
        out[_full_index(idx, dim, xp)] = values
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _make(ctx.idx, ctx.device)
        gx = g.scatter(ctx.dim, idx, 0.0) if ctx.next[0] is not None else None
        gsrc = None
        if ctx.next[3] is not None:
            gsrc = g.gather(ctx.dim, idx)
            gsrc = _pad_to(gsrc, ctx.src_shape) if hasattr(ctx, "src_shape") else gsrc
        return gx, None, None, gsrc


def _pad_to(g: Tensor, shape: tuple) -> Tensor:
    """g placed in the leading corner of zeros(shape) (src larger than index)."""
    if tuple(g.shape) == tuple(shape):
        return g
    key = tuple(slice(0, n) for n in g.shape) + (Ellipsis,)
    return index_put_zeros(g, shape, key, False)


@register()
def scatter(input, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of input with input[index[i][j]][j] = src[i][j] (dim 0); src may be a number."""
    check_tensor("scatter", input)
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if reduce is not None:
        if reduce == "add":
            return scatter_add(input, dim, index, src if isinstance(src, Tensor)
                               else input.new_full(tuple(index.shape), src))
        raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported; use "
                                  "scatter_add or index_put with accumulate=True")
    d = wrap_dim(dim, input.ndim, "scatter")
    _check_index_tensor("scatter", index, input.ndim)
    _check_gather_shapes("scatter", input, d, index, src if isinstance(src, Tensor) else None)
    _check_range("scatter", index, input.shape[d] if input.ndim else 1, d)
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            src = src.to(input.dtype)
    elif isinstance(src, (int, float, complex)):
        src = fit_scalar("scatter", src, input._data.dtype)
    out = Scatter.apply(input, d, index, src)
    if out.grad_fn is not None and isinstance(src, Tensor):
        out.grad_fn.src_shape = tuple(src.shape)
    return out


class ScatterAdd(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, idx, src):
        xp = ctx.xp
        ctx.dim = dim
        ctx.idx = idx
        ctx.src_shape = src.shape
        out = x.copy()
        xp.add.at(out, _full_index(idx, dim, xp), _leading(src, idx.shape))
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _make(ctx.idx, ctx.device)
        gsrc = None
        if ctx.next[3] is not None:
            gsrc = _pad_to(g.gather(ctx.dim, idx), ctx.src_shape)
        return g, None, None, gsrc


@register()
def scatter_add(input, dim: int, index, src) -> Tensor:
    """A copy of input with input[index[i][j]][j] += src[i][j] (dim 0); repeats add up."""
    check_tensor("scatter_add", input)
    d = wrap_dim(dim, input.ndim, "scatter_add")
    _check_index_tensor("scatter_add", index, input.ndim)
    check_tensor("scatter_add", src, "src")
    _check_gather_shapes("scatter_add", input, d, index, src)
    _check_range("scatter_add", index, input.shape[d] if input.ndim else 1, d)
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return ScatterAdd.apply(input, d, index, src)


# ------------------------------------------------------------------------------ index_* ops

def _vector_index(op: str, index, size: int, dim: int) -> Tensor:
    _check_index_tensor(op, index)
    if index.ndim > 1:
        raise IndexError(f"{op}: index must be a vector (0-D or 1-D), got shape "
                         f"{tuple(index.shape)}")
    _check_range(op, index, size, dim)
    return index.reshape(-1)


class IndexSelect(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.shape = x.shape
        ctx.dim = dim
        ctx.idx = idx
        return ctx.xp.take(x, idx, axis=dim)

    @staticmethod
    def backward(ctx, g):
        idx = _make(ctx.idx, ctx.device)
        return g.new_zeros(ctx.shape).index_add(ctx.dim, idx, g), None, None


@register()
def index_select(input, dim: int, index) -> Tensor:
    """The slices of input at the positions `index` (a vector) along dim."""
    check_tensor("index_select", input)
    d = wrap_dim(dim, input.ndim, "index_select")
    if input.ndim == 0:
        _check_range("index_select", _check_index_tensor("index_select", index), 1, 0)
        return input.clone()
    idx = _vector_index("index_select", index, input.shape[d], d)
    return IndexSelect.apply(input, d, idx)


class IndexAdd(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, idx, src, alpha):
        xp = ctx.xp
        ctx.dim = dim
        ctx.idx = idx
        ctx.alpha = alpha
        out = x.copy()
        key = (slice(None),) * dim + (idx,)
        xp.add.at(out, key, src if alpha == 1 else src * alpha)
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx.next[3] is not None:
            gsrc = g.index_select(ctx.dim, _make(ctx.idx, ctx.device))
            if ctx.alpha != 1:
                gsrc = gsrc * ctx.alpha
        return g, None, None, gsrc, None


@register()
def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """A copy of input with alpha * source[i] added at position index[i] along dim."""
    check_tensor("index_add", input)
    check_tensor("index_add", source, "source")
    d = wrap_dim(dim, input.ndim, "index_add")
    idx = _vector_index("index_add", index, input.shape[d] if input.ndim else 1, d)
    expect = list(input.shape)
    if expect:
        expect[d] = idx.shape[0]
    if list(source.shape) != expect and not (source.ndim == 0 and not expect):
        raise RuntimeError(f"index_add: source shape {tuple(source.shape)} must be "
                           f"{tuple(expect)} (the input's with dim {d} the index's length)")
    if source._data.dtype != input._data.dtype:
        source = source.to(input.dtype)
    return IndexAdd.apply(input, d, idx, source, alpha)


class IndexFill(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, idx, value):
        ctx.dim = dim
        ctx.idx = idx
        out = x.copy()
        out[(slice(None),) * dim + (idx,)] = value
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _make(ctx.idx, ctx.device)
        gx = g.index_fill(ctx.dim, idx, 0) if ctx.next[0] is not None else None
        gv = g.index_select(ctx.dim, idx).sum() if ctx.next[3] is not None else None
        return gx, None, None, gv


@register()
def index_fill(input, dim: int, index, value) -> Tensor:
    """A copy of input with the slices at `index` along dim set to value (a number or 0-d
    tensor)."""
    check_tensor("index_fill", input)
    d = wrap_dim(dim, input.ndim, "index_fill")
    idx = _vector_index("index_fill", index, input.shape[d] if input.ndim else 1, d)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"index_fill: value must be a 0-d tensor, got shape "
                               f"{tuple(value.shape)}")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
    elif isinstance(value, (int, float, complex)):
        value = fit_scalar("index_fill", value, input._data.dtype)
    return IndexFill.apply(input, d, idx, value)


# ------------------------------------------------------------------------------------ masks

def _check_mask(op: str, mask) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}: mask must be a Tensor, got {type(mask).__name__}")
    if mask.dtype is not backend.bool_:
        raise RuntimeError(f"{op}: expected mask to have dtype bool, got {mask.dtype}")
    return mask


@register()
def masked_fill(input, mask, value) -> Tensor:
    """A copy of input with value (a number or 0-d tensor) where mask (broadcast to input) is
    True."""
    check_tensor("masked_fill", input)
    _check_mask("masked_fill", mask)
    shape = broadcast_shapes_or_raise("masked_fill", tuple(mask.shape), tuple(input.shape))
    if shape != tuple(input.shape):
        raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} is not broadcastable "
                           f"to the input's shape {tuple(input.shape)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype) if value._data.dtype != input._data.dtype else value
    else:
        value = fit_scalar("masked_fill", value, input._data.dtype)
        value = _make(input._device.asarray(value, input.dtype), input._device)
    from .elementwise import where
    return where(mask, value, input)


class MaskedSelect(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, mask):
        xp = ctx.xp
        xb, mb = xp.broadcast_arrays(x, mask)
        ctx.mask = mb
        ctx.shape = x.shape
        return xb[mb]

    @staticmethod
    def backward(ctx, g):
        full = index_put_zeros(g, ctx.mask.shape, (ctx.mask,), False)
        return unbroadcast(full, tuple(ctx.shape)), None


@register()
def masked_select(input, mask) -> Tensor:
    """The elements of input where mask is True (both broadcast), as a 1-D tensor."""
    check_tensor("masked_select", input)
    _check_mask("masked_select", mask)
    broadcast_shapes_or_raise("masked_select", tuple(input.shape), tuple(mask.shape))
    return MaskedSelect.apply(input, mask)


class MaskedScatter(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, mask, src):
        xp = ctx.xp
        mb = xp.broadcast_to(mask, x.shape)
        n = int(mb.sum())
        if n > src.size:
            raise RuntimeError(f"masked_scatter: expected source to have at least {n} elements "
                               f"(the number of True values in the mask), got {src.size}")
        ctx.mask = mb
        ctx.n = n
        ctx.src_shape = src.shape
        out = x.copy()
        out[mb] = src.reshape(-1)[:n]
        return out

    @staticmethod
    def backward(ctx, g):
        mask = _make(ctx.mask, ctx.device)
        gx = gsrc = None
        if ctx.next[0] is not None:
            gx = g.masked_fill(mask, 0)
        if ctx.next[2] is not None:
            size = 1
            for n in ctx.src_shape:
                size *= n
            picked = IndexAdvanced.apply(g, (ctx.mask,))
            gsrc = index_put_zeros(picked, (size,), (slice(0, ctx.n),), False)
            gsrc = gsrc.reshape(ctx.src_shape)
        return gx, None, gsrc


@register()
def masked_scatter(input, mask, source) -> Tensor:
    """A copy of input whose True mask positions take source's elements in order."""
    check_tensor("masked_scatter", input)
    _check_mask("masked_scatter", mask)
    check_tensor("masked_scatter", source, "source")
    broadcast_shapes_or_raise("masked_scatter", tuple(mask.shape), tuple(input.shape))
    if source._data.dtype != input._data.dtype:
        source = source.to(input.dtype)
    return MaskedScatter.apply(input, mask, source)


@register()
def take(input, index) -> Tensor:
    """input treated as 1-D, read at `index`; the result has index's shape."""
    check_tensor("take", input)
    _check_index_tensor("take", index)
    n = input.numel()
    idx = index.reshape(-1)
    if idx.numel():
        lo, hi = int(idx._data.min()), int(idx._data.max())
        if lo < -n or hi >= n:
            raise IndexError(f"take: index {lo if lo < -n else hi} is out of range for a tensor "
                             f"with {n} elements")
    return input.reshape(-1)[idx].reshape(index.shape)


@register()
def take_along_dim(input, indices, dim: int | None = None) -> Tensor:
    """gather with broadcasting: input and indices broadcast except along dim (dim=None:
    both flattened)."""
    check_tensor("take_along_dim", input)
    _check_index_tensor("take_along_dim", indices)
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = wrap_dim(dim, input.ndim, "take_along_dim")
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim: input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} and {indices.ndim}")
    xs, ids = list(input.shape), list(indices.shape)
    xs[d] = ids[d] = 1
    shape = broadcast_shapes_or_raise("take_along_dim", tuple(xs), tuple(ids))
    x_shape = list(shape)
    x_shape[d] = input.shape[d]
    i_shape = list(shape)
    i_shape[d] = indices.shape[d]
    return gather(input.expand(x_shape), d, indices.expand(i_shape))


# ------------------------------------------------------------------------ nonzero and friends

class Nonzero(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        return xp.stack(xp.nonzero(x), axis=-1).astype(xp.int64) if x.ndim else \
            xp.zeros((int(bool(x)), 0), dtype=xp.int64)


@register(differentiable=False)
def nonzero(input, *, as_tuple: bool = False):
    """The indices of the non-zero elements: an (n, ndim) tensor, or with as_tuple a tuple of
    ndim vectors (usable as an index)."""
    check_tensor("nonzero", input)
    out = Nonzero.apply(input)
    if as_tuple:
        if input.ndim == 0:
            return (out.reshape(-1),)
        return tuple(out[:, i] for i in range(input.ndim))
    return out


@register(differentiable=False)
def argwhere(input) -> Tensor:
    """nonzero(input): the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


class Sort(Op):
    n_outputs = 2
    nondiff_outputs = (1,)
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, descending):
        xp = ctx.xp
        if descending:
            n = x.shape[dim]
            flipped = xp.flip(x, axis=dim)
            order = n - 1 - xp.flip(xp.argsort(flipped, axis=dim, kind="stable"), axis=dim)
        else:
            order = xp.argsort(x, axis=dim, kind="stable")
        ctx.shape = x.shape
        ctx.dim = dim
        ctx.idx = order
        return xp.take_along_axis(x, order, axis=dim), order.astype(xp.int64)

    @staticmethod
    def backward(ctx, g, _):
        idx = _make(ctx.idx, ctx.device)
        return g.new_zeros(ctx.shape).scatter(ctx.dim, idx, g), None, None


@register()
def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along dim; stable (equal elements keep their order); nan sorts
    as the largest value, as PyTorch."""
    check_tensor("sort", input)
    if input.ndim == 0:
        return sort_result(input.clone(), input.new_zeros((), dtype=backend.int64))
    d = wrap_dim(dim, input.ndim, "sort")
    return sort_result(*Sort.apply(input, d, bool(descending)))


@register(differentiable=False)
def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort input along dim."""
    return sort(input, dim, descending, stable).indices


@register()
def msort(input) -> Tensor:
    """input sorted along its first dim."""
    return sort(input, 0).values


@register()
def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The k largest (or smallest) elements along dim and their indices."""
    check_tensor("topk", input)
    d = wrap_dim(dim, input.ndim, "topk")
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k={k} out of range for dimension {d} with size "
                           f"{size}")
    values, indices = sort(input, d, descending=largest)
    if input.ndim == 0:
        return topk_result(values, indices)
    return topk_result(values.narrow(d, 0, k), indices.narrow(d, 0, k))


class Kthvalue(_SelectAlongDim):
    @staticmethod
    def forward(ctx, x, k, dim, keepdim):
        xp = ctx.xp
        order = xp.argsort(x, axis=dim, kind="stable")
        idx = xp.take(order, [k - 1], axis=dim)
        return _SelectAlongDim.finish(ctx, x, idx, dim, keepdim)

    @staticmethod
    def backward(ctx, g, _):
        return (_SelectAlongDim.backward(ctx, g, _)[0], None, None, None)


@register()
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The k-th smallest element (1-based) along dim and its index."""
    check_tensor("kthvalue", input)
    d = wrap_dim(dim, input.ndim, "kthvalue")
    size = input.shape[d] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue: selected number k={k} out of range for dimension {d} with "
                           f"size {size}")
    if input.ndim == 0:
        return kthvalue_result(input.clone(), input.new_zeros((), dtype=backend.int64))
    return kthvalue_result(*Kthvalue.apply(input, k, d, keepdim))


@register(differentiable=False)
def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements (sorted), with the inverse indices and counts on request."""
    check_tensor("unique", input)
    xp = input._device.xp
    axis = None if dim is None else wrap_dim(dim, input.ndim, "unique")
    values, inverse, counts = xp.unique(input._data, return_inverse=True, return_counts=True,
                                        axis=axis)
    dev = input._device
    out = [_make(values, dev)]
    if return_inverse:
        inv = inverse.reshape(input.shape) if axis is None else inverse.reshape(-1)
        out.append(_make(inv.astype(xp.int64), dev))
    if return_counts:
        out.append(_make(counts.astype(xp.int64), dev))
    return out[0] if len(out) == 1 else tuple(out)


@register(differentiable=False, method=False)
def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter=None) -> Tensor:
    """Indices at which the values `input` would be inserted into `sorted_sequence` (its last
    dim sorted) to keep it sorted; leading dims of both must match."""
    check_tensor("searchsorted", sorted_sequence, "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: side='left' contradicts right=True")
        right = side == "right"
    dev = sorted_sequence._device
    xp = dev.xp
    if isinstance(input, Tensor):
        vals = input._data
    elif isinstance(input, (int, float)):
        vals = xp.asarray(input)
    else:
        raise TypeError(f"searchsorted: input must be a Tensor or a number, got "
                        f"{type(input).__name__}")
    seq = sorted_sequence._data
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    side_ = "right" if right else "left"
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side_)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"searchsorted: boundaries tensor should be 1 dimension or the "
                               f"first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{tuple(seq.shape)} and input value tensor {tuple(vals.shape)}")
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = vals.reshape(-1, vals.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=side_) for s, v in zip(rows_s, rows_v)])
        out = out.reshape(vals.shape)
    return _make(xp.asarray(out).astype(xp.int32 if out_int32 else xp.int64), dev)


@register(differentiable=False)
def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of `input` among the sorted 1-D `boundaries`:
    searchsorted(boundaries, input, right=right)."""
    check_tensor("bucketize", boundaries, "boundaries")
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


class Bincount(Op):
    @staticmethod
    def forward(ctx, x, weights, minlength):
        out = ctx.xp.bincount(x, weights=weights, minlength=minlength)
        return out if weights is None else out.astype(weights.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        return None, g[x], None


@register()
def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in a 1-D non-negative integer tensor (or the sum of
    `weights` at those positions; differentiable with respect to the weights)."""
    check_tensor("bincount", input)
    if input.ndim != 1 or input._data.dtype.kind not in "iu":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got shape "
                           f"{tuple(input.shape)} and dtype {input.dtype}")
    if input.numel() and int(input._data.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs")
    if weights is not None:
        check_tensor("bincount", weights, "weights")
        if tuple(weights.shape) != tuple(input.shape):
            raise RuntimeError(f"bincount: weights should be 1-d and have the same length as "
                               f"input ({tuple(weights.shape)} vs {tuple(input.shape)})")
        if weights.dtype.category < 2:
            weights = weights.to(backend.float64)
        return Bincount.apply(input, weights, minlength)
    return Bincount.apply(input, None, minlength).to(backend.int64)


@register(method=False, differentiable=False)
def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """(..., ) class indices -> (..., num_classes) int64 one-hot rows (num_classes=-1: max + 1)."""
    check_tensor("one_hot", tensor)
    if tensor._data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of type int64, got "
                           f"{tensor.dtype}")
    xp = tensor._device.xp
    data = tensor._data
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(data.max()) + 1
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                           f"[{int(data.min())}, {int(data.max())}]")
    out = (data[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return _make(out, tensor._device)


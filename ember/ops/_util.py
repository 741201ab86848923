"""Helpers shared by the ops: operands and type promotion, dims, unbroadcast, error messages."""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor, _make, _wrap_dim

_NUMBERS = (int, float, bool, complex)

wrap_dim = _wrap_dim


def shape_str(shape) -> str:
    return str(tuple(shape))


def check_tensor(op: str, x, what: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def as_operand(op: str, x, like: Tensor):
    """A binary op's other operand: a Tensor, or a Python number (NumPy scalars become numbers,
    NumPy arrays tensors on `like`'s device). Anything else is a TypeError naming both types."""
    if backend.is_numpy_scalar(x):  # (np.float64 is also a float: test it first)
        return x.item()
    if isinstance(x, (Tensor, *_NUMBERS)):
        return x
    if backend.is_array(x):
        return _make(like._device.asarray(x), like._device)
    raise TypeError(f"{op}: unsupported operand types Tensor and {type(x).__name__}")


def as_tensor_arg(op: str, x, like: Tensor | None = None, dtype=None) -> Tensor:
    """A tensor from a Tensor, number or array (on `like`'s device), for ops that need one."""
    if isinstance(x, Tensor):
        return x
    device = like._device if like is not None else backend.cpu
    if isinstance(x, _NUMBERS) or backend.is_numpy_scalar(x) or backend.is_array(x):
        if dtype is None and isinstance(x, _NUMBERS):
            dtype = backend.scalar_dtype(x)
        return _make(device.asarray(x, dtype), device)
    raise TypeError(f"{op}: expected a Tensor or a number, got {type(x).__name__}")


def _group(t: Tensor) -> int:
    return 0 if t._data.ndim else 1


def result_dtype(*operands) -> backend.DType:
    """PyTorch's result type of tensors and Python numbers."""
    dims, zeros, scalars = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zeros).append(x.dtype)
        elif backend.is_numpy_scalar(x):
            scalars.append(backend.scalar_dtype(x.item()))
        elif x is not None:
            scalars.append(backend.scalar_dtype(x))
    return backend.result_type(dims, zeros, scalars)


def cast(x, dtype: backend.DType):
    """A tensor in `dtype` (differentiably), or a Python number unchanged."""
    if isinstance(x, Tensor) and x._data.dtype != dtype.np:
        return x.to(dtype)
    return x


def promote(op: str, a, b):
    """Two operands (Tensor or number, at least one Tensor) in their common dtype.

    Python numbers stay numbers when they do not raise the category: the array library then
    treats them as weakly typed, exactly PyTorch's rule, without a cast.
    """
    if isinstance(a, Tensor):
        tb = type(b)
        if tb is float:  # the common cases first: a float tensor and a float, two alike tensors
            if a._data.dtype.kind in "fc":
                return a, b
        elif tb is int:
            k = a._data.dtype.kind
            if k in "fc":
                return a, b
            if k in "iu":
                _check_int_range(op, b, a._data.dtype)
                return a, b
        elif isinstance(b, Tensor) and a._data.dtype == b._data.dtype:
            return a, b
        b = as_operand(op, b, a)
    elif isinstance(b, Tensor):
        a = as_operand(op, a, b)
    else:
        raise TypeError(f"{op}: expected at least one Tensor argument, got {type(a).__name__} "
                        f"and {type(b).__name__}")
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a._data.dtype == b._data.dtype:
            return a, b
        dt = result_dtype(a, b)
        return cast(a, dt), cast(b, dt)
    t, s = (a, b) if isinstance(a, Tensor) else (b, a)
    if isinstance(s, bool):
        cat = 0
    elif isinstance(s, int):
        cat = 1
    elif isinstance(s, float):
        cat = 2
    else:
        cat = 3
    td = t.dtype
    if cat <= td.category:
        if cat == 1 and td.category == 1:
            _check_int_range(op, s, t._data.dtype)
        return a, b
    dt = result_dtype(t, s)
    t = t.to(dt)
    return (t, s) if isinstance(a, Tensor) else (s, t)


_COMPARISONS = frozenset(("eq", "ne", "lt", "le", "gt", "ge"))


def _check_int_range(op: str, value: int, dtype) -> None:
    """A Python int beside an integer tensor must fit its dtype (PyTorch refuses, NumPy would
    raise an OverflowError from inside). Comparisons keep NumPy's exact answer."""
    info = backend.np.iinfo(dtype)
    if not info.min <= value <= info.max and op not in _COMPARISONS:
        raise RuntimeError(f"{op}: value {value} cannot be converted to type {dtype.name} "
                           f"without overflow")


def check_int_scalar(op: str, value, dtype) -> None:
    """`value` must fit `dtype` (a NumPy dtype) as fit_scalar checks it, except a float's range
    in a floating dtype (alpha, clamp and in-place arithmetic compute in a wider type)."""
    fit_scalar(op, value, dtype, float_range=False)


def fit_scalar(op: str, value, dtype, float_range: bool = True):
    """`value` (a Python number) as it is written into a tensor of NumPy dtype `dtype`, checked
    as PyTorch's Scalar conversion (c10::checked_convert): an int or float must lie in an
    integer dtype's range (a float also not nan or inf), a finite float in a floating dtype's
    range, and a complex into a real dtype must have a zero imaginary part (it becomes its real
    part); bool takes anything. Otherwise the RuntimeError naming the op (NumPy would raise its
    own OverflowError, ValueError or TypeError from inside, or wrap silently). The fills and
    setitem use it (PyTorch's masked_fill(mask, -1e9) of a float16 tensor raises too)."""
    kind = dtype.kind
    if kind in "bc" or isinstance(value, bool):
        return value
    if isinstance(value, complex):
        if value.imag != 0:
            _overflow(op, value, dtype)
        value = value.real
    if type(value) is int:
        if kind in "iu":
            _check_int_range(op, value, dtype)
    elif isinstance(value, float):
        if kind in "iu":
            info = backend.np.iinfo(dtype)
            if not (math.isfinite(value) and info.min <= value <= info.max):
                _overflow(op, value, dtype)
        elif float_range and kind == "f" and math.isfinite(value) and \
                abs(value) > float(backend.np.finfo(dtype).max):
            _overflow(op, value, dtype)
    return value


def _overflow(op: str, value, dtype):
    raise RuntimeError(f"{op}: value {value} cannot be converted to type {dtype.name} without "
                       "overflow")


def wrap_int(value: int, dtype) -> int:
    """A Python int wrapped into an integer NumPy dtype's range, as PyTorch's integer arithmetic
    wraps (alpha * other in add/sub)."""
    info = backend.np.iinfo(dtype)
    return (value - info.min) % (info.max - info.min + 1) + info.min


def to_float(x: Tensor) -> Tensor:
    """`x` itself if floating or complex, else cast to the default float dtype."""
    return x if x.dtype.category >= 2 else x.to(backend.get_default_dtype())


def broadcast_shapes_or_raise(op: str, *shapes) -> tuple:
    """The broadcast shape, or a RuntimeError naming the op, the shapes and the first clash."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        size = 1
        for s in shapes:
            if len(s) >= -i:
                n = s[i]
                if n != 1:
                    if size != 1 and size != n:
                        raise RuntimeError(
                            f"{op}: shapes " + " and ".join(shape_str(s) for s in shapes)
                            + f" cannot be broadcast together (dim {i}: {size} vs {n})")
                    size = n
        out.append(size)
    return tuple(out)


def unbroadcast(g: Tensor, shape: tuple) -> Tensor:
    """Sum a gradient over the dims broadcasting added or stretched, back to `shape`."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = list(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[i + lead] != 1:
            axes.append(i + lead)
    if axes:
        g = g.sum(tuple(axes), keepdim=True)
    return g.reshape(shape)


def unbroadcast_array(g, shape):
    """unbroadcast on a raw array (array-level rules); `shape` None means a number operand."""
    if shape is None:
        return None
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and gshape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def data(x):
    """The array of a tensor (a number stays a number)."""
    return x._data if isinstance(x, Tensor) else x


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """`dim` (None, an int or a sequence) as a sorted tuple of non-negative dims.

    As in PyTorch, None and an empty sequence mean every dim, and a 0-d tensor accepts dim 0
    and -1 (there is nothing to reduce: the result is the tensor's one element)."""
    if dim is None or (isinstance(dim, (list, tuple)) and not dim):
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = [wrap_dim(d, ndim, op) for d in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dim {dim} contains a dim more than once")
        return tuple(sorted(dims)) if ndim else ()
    d = wrap_dim(dim, ndim, op)
    return (d,) if ndim else ()


def parse_shape(op: str, args) -> tuple[int, ...]:
    """A shape given as varargs `(2, 3)` or one sequence `((2, 3),)`."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    elif len(args) == 1 and isinstance(args[0], Tensor):
        args = args[0].tolist()
    try:
        shape = tuple(int(a.__index__()) for a in args)
    except (AttributeError, TypeError):
        raise TypeError(f"{op}: expected a shape of ints, got {args!r}") from None
    return shape

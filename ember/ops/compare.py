"""Comparisons, logic and bitwise ops: no gradient, bool (or integer) results.

They are Ops with `differentiable = False`, so they go through the same path as every other op
but never record a graph.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor
from ._util import check_tensor, normalize_dims, promote
from .arithmetic import _apply_binary
from .registry import alias, register


class _Binary(Op):
    differentiable = False
    fn = ""

    @staticmethod
    def forward(ctx, x, y):
        return getattr(ctx.xp, ctx.fn)(x, y)


class _Unary(Op):
    differentiable = False
    fn = ""

    @staticmethod
    def forward(ctx, x):
        return getattr(ctx.xp, ctx.fn)(x)


def _binary_op(name: str, xp_name: str, doc: str, kinds: str = ""):
    """A public two-operand op through the xp function `xp_name`; `kinds` restricts dtypes."""
    cls = type(name.title().replace("_", ""), (_Binary,), {"fn": xp_name, "__doc__": doc})

    def fn(input, other) -> Tensor:
        a, b = promote(name, input, other)
        if kinds:
            for t in (a, b):
                if isinstance(t, Tensor) and t._data.dtype.kind not in kinds:
                    raise RuntimeError(f"{name}: only integral and boolean tensors are supported, "
                                       f"got {t.dtype}")
        return _apply_binary(name, cls, a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    register(name, differentiable=False)(fn)
    return fn


def _unary_op(name: str, xp_name: str, doc: str):
    cls = type(name.title().replace("_", ""), (_Unary,), {"fn": xp_name, "__doc__": doc})

    def fn(input) -> Tensor:
        check_tensor(name, input)
        return cls.apply(input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    register(name, differentiable=False)(fn)
    return fn


eq = _binary_op("eq", "equal", "input == other, elementwise (bool).")
ne = _binary_op("ne", "not_equal", "input != other, elementwise (bool).")
lt = _binary_op("lt", "less", "input < other, elementwise (bool).")
le = _binary_op("le", "less_equal", "input <= other, elementwise (bool).")
gt = _binary_op("gt", "greater", "input > other, elementwise (bool).")
ge = _binary_op("ge", "greater_equal", "input >= other, elementwise (bool).")
for _new, _old in (("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"),
                   ("greater", "gt"), ("greater_equal", "ge")):
    alias(_new, _old)

logical_and = _binary_op("logical_and", "logical_and", "Elementwise AND of truth values.")
logical_or = _binary_op("logical_or", "logical_or", "Elementwise OR of truth values.")
logical_xor = _binary_op("logical_xor", "logical_xor", "Elementwise XOR of truth values.")
logical_not = _unary_op("logical_not", "logical_not", "Elementwise NOT of truth values.")

bitwise_and = _binary_op("bitwise_and", "bitwise_and", "Bitwise AND of integer/bool tensors.",
                         "biu")
bitwise_or = _binary_op("bitwise_or", "bitwise_or", "Bitwise OR of integer/bool tensors.", "biu")
bitwise_xor = _binary_op("bitwise_xor", "bitwise_xor", "Bitwise XOR of integer/bool tensors.",
                         "biu")
bitwise_left_shift = _binary_op("bitwise_left_shift", "left_shift", "input << other.", "iu")
bitwise_right_shift = _binary_op("bitwise_right_shift", "right_shift", "input >> other.", "iu")

isnan = _unary_op("isnan", "isnan", "True where the element is nan.")
isinf = _unary_op("isinf", "isinf", "True where the element is +inf or -inf.")
isposinf = _unary_op("isposinf", "isposinf", "True where the element is +inf.")
isneginf = _unary_op("isneginf", "isneginf", "True where the element is -inf.")
isfinite = _unary_op("isfinite", "isfinite", "True where the element is neither inf nor nan.")
signbit = _unary_op("signbit", "signbit", "True where the sign bit is set (negative, -0.0).")


class BitwiseNot(_Unary):
    fn = "invert"


@register(differentiable=False)
def bitwise_not(input) -> Tensor:
    """Bitwise NOT of an integer tensor; logical NOT of a bool tensor."""
    check_tensor("bitwise_not", input)
    if input._data.dtype.kind not in "biu":
        raise RuntimeError(f"bitwise_not: only integral and boolean tensors are supported, got "
                           f"{input.dtype}")
    return BitwiseNot.apply(input)


class IsClose(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y, rtol, atol, equal_nan):
        return ctx.xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


@register(differentiable=False)
def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise (bool)."""
    a, b = promote("isclose", input, other)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        raise RuntimeError(f"isclose: {a.dtype} and {b.dtype} differ")
    return _apply_binary("isclose", IsClose, a, b, rtol, atol, equal_nan)


@register(differentiable=False)
def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when isclose holds for every element."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


@register(differentiable=False)
def equal(input, other) -> bool:
    """True when both tensors have the same shape and the same elements."""
    check_tensor("equal", input)
    check_tensor("equal", other, "other")
    if input._data.shape != other._data.shape:
        return False
    return bool(eq(input, other).all())


class _Reduce(Op):
    differentiable = False
    fn = ""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return getattr(ctx.xp, ctx.fn)(x, axis=dims, keepdims=keepdim)


class Any(_Reduce):
    fn = "any"


class All(_Reduce):
    fn = "all"


def _logical_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """any/all's dims: as the other reductions', except that an empty dim reduces nothing (as
    in PyTorch)."""
    if isinstance(dim, (list, tuple)) and not dim:
        return ()
    return normalize_dims(dim, ndim, op)


@register(differentiable=False)
def any(input, dim=None, keepdim: bool = False) -> Tensor:
    """True if any element (over `dim`, an int or tuple, or all) is non-zero."""
    check_tensor("any", input)
    return Any.apply(input, _logical_dims(dim, input.ndim, "any"), keepdim)


@register(differentiable=False)
def all(input, dim=None, keepdim: bool = False) -> Tensor:
    """True if every element (over `dim`, an int or tuple, or all) is non-zero."""
    check_tensor("all", input)
    return All.apply(input, _logical_dims(dim, input.ndim, "all"), keepdim)


class Isin(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, test, invert):
        return ctx.xp.isin(x, test, invert=invert)


@register(method=False, differentiable=False)
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """True where an element of `elements` occurs in `test_elements` (either may be a number,
    not both); `invert` gives the opposite. A bool tensor shaped as elements."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin: expected elements or test_elements to be a Tensor, got "
                        f"{type(elements).__name__} and {type(test_elements).__name__}")
    a, b = promote("isin", elements, test_elements)
    like = a if isinstance(a, Tensor) else b
    from ._util import as_tensor_arg
    a = as_tensor_arg("isin", a, like, like.dtype)
    b = as_tensor_arg("isin", b, like, like.dtype)
    return Isin.apply(a, b, bool(invert))


@register(differentiable=False)
def isreal(input) -> Tensor:
    """True where the element is real: every element of a real tensor; of a complex one, those
    with a zero imaginary part."""
    check_tensor("isreal", input)
    if input.is_complex():
        from .elementwise import imag
        return eq(imag(input), 0)
    return input.new_ones(tuple(input.shape), dtype=backend.bool_)

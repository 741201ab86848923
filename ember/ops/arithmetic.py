"""Arithmetic: + - * / // % **, and the products (matmul and its relatives).

Each primitive is an Op: forward on arrays, gradient rule with ember ops beside it. Binary ops
promote their operands as PyTorch does (ops/_util.promote) and broadcast; rules undo the
broadcasting with `unbroadcast`.
"""

from __future__ import annotations

import math
import operator as _operator

from .. import backend
from ..autograd.function import _FREED, Op
from ..tensor import Tensor, _make
from ._util import (
    broadcast_shapes_or_raise,
    check_int_scalar,
    check_tensor,
    data,
    promote,
    result_dtype,
    shape_str,
    unbroadcast,
    unbroadcast_array,
    wrap_dim,
    wrap_int,
)
from .registry import register

_ARRAY = backend.ARRAY_TYPES
_NDARRAY = backend.NDARRAY
scalar_like = backend.scalar_like


def _zeros_like(t: Tensor) -> Tensor:
    return _make(t._device.xp.zeros_like(t._data), t._device)


def _apply_binary(op: str, cls, a, b, *extra):
    try:
        return cls.apply(a, b, *extra)
    except ValueError:
        _raise_broadcast(op, a, b)
        raise


def _raise_broadcast(op: str, a, b) -> None:
    """The clear error for operands that do not broadcast (nothing if they do)."""
    sa = a._data.shape if isinstance(a, Tensor) else ()
    sb = b._data.shape if isinstance(b, Tensor) else ()
    broadcast_shapes_or_raise(op, sa, sb)


# ------------------------------------------------------------------------------ zero-safe product

class XMul(Op):
    """g * d, except 0 wherever g is 0, even where d is inf or nan.

    Gradient rules multiply the incoming gradient by a local derivative with this op whenever that
    derivative can be infinite (sqrt, log, division at 0, ...): a zero gradient stays zero instead
    of becoming nan, so `where(x > 0, sqrt(x), 0)` has a finite gradient everywhere.
    """

    @staticmethod
    def forward(ctx, g, d):
        return ctx.xp.where(g == 0, 0, g * d)

    @staticmethod
    def backward(ctx, gg):
        g, d = ctx.saved_tensors
        gg_g = unbroadcast(xmul(gg, d), g.shape) if ctx.next[0] is not None else None
        gg_d = None
        if ctx.next[1] is not None:
            gg_d = unbroadcast(gg * g, d.shape)
        return gg_g, gg_d


def xmul(g: Tensor, d) -> Tensor:
    return XMul.apply(g, d)


def xmul_array(xp, g, d):
    """xmul on raw arrays, for array-level rules."""
    return xp.where(g == 0, 0, g * d)


# ------------------------------------------------------------------------------------ add, sub

def _sum_rule(ctx, g, factor=1):
    """The gradient rule of x + factor * y (add, sub, add with alpha), with ember ops."""
    if ctx.shapes is None:  # (a number operand: nothing broadcast, see Op.save_shapes)
        return g, None
    sx, sy = ctx.shapes
    gx = unbroadcast(g, sx) if ctx.next[0] is not None else None
    gy = None
    if ctx.next[1] is not None:
        gy = unbroadcast(g if factor == 1 else Mul.apply(g, factor), sy)
    return gx, gy


def _sum_vjp(ctx, g, factor=1):
    """_sum_rule on arrays (Add's vjp itself: the hottest rule after mul's)."""
    shapes = ctx.shapes
    if shapes is None:
        return g, None
    sx, sy = shapes
    ex, ey = ctx.next
    gx = None if ex is None else g if g.shape == sx else unbroadcast_array(g, sx)
    gy = None
    if ey is not None:
        gy = g if factor == 1 else g * factor
        if gy.shape != sy:
            gy = unbroadcast_array(gy, sy)
    return gx, gy


class Add(Op):
    __slots__ = ("shapes",)
    save_inputs = False
    save_shapes = True
    np_forward = staticmethod(_operator.add)
    backward = staticmethod(_sum_rule)
    vjp = staticmethod(_sum_vjp)

    @staticmethod
    def forward(ctx, x, y):
        return x + y


class AddScaled(Op):
    """input + alpha * other (add with alpha != 1)."""

    __slots__ = ("shapes", "alpha")
    save_inputs = False
    save_shapes = True
    graph_args = 2  # (alpha is an option)

    @classmethod
    def name(cls) -> str:
        return "AddBackward0"

    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.alpha = alpha
        return x + alpha * y

    @staticmethod
    def backward(ctx, g):
        return _sum_rule(ctx, g, ctx.alpha)

    @staticmethod
    def vjp(ctx, g):
        return _sum_vjp(ctx, g, ctx.alpha)


class Sub(Op):
    __slots__ = ("shapes",)
    save_inputs = False
    save_shapes = True
    np_forward = staticmethod(_operator.sub)
    alpha = 1
    graph_args = 2  # (alpha, when given, is an option)

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        if alpha == 1:
            return x - y
        ctx.alpha = alpha
        return x - alpha * y

    @staticmethod
    def backward(ctx, g):
        return _sum_rule(ctx, g, -ctx.alpha)

    @staticmethod
    def vjp(ctx, g):
        return _sum_vjp(ctx, g, -ctx.alpha)


@register()
def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, elementwise with broadcasting."""
    if alpha == 1 and isinstance(input, Tensor):
        return _add(input, other)
    return _add_promoted(input, other, alpha)


def _check_alpha(op: str, a, b, alpha) -> None:
    """PyTorch's rule: a floating alpha needs a floating result (an integer tensor would
    silently become a float one)."""
    t = a if isinstance(a, Tensor) else b
    if t.dtype.category < 2 and (isinstance(alpha, (float, complex)) or (
            backend.is_numpy_scalar(alpha) and not isinstance(alpha.item(), int))):
        raise RuntimeError(f"{op}: for integral input tensors, argument alpha must not be a "
                           f"floating point number (got alpha={alpha} and {t.dtype} tensors)")
    check_int_scalar(op, alpha, t._data.dtype)


def _scaled_int(a, b, alpha):
    """alpha * b as one wrapped Python int where b is a Python int beside an integer tensor
    (PyTorch's integer arithmetic wraps; NumPy would raise an OverflowError), alpha then 1."""
    if type(b) is int and isinstance(a, Tensor) and a._data.dtype.kind in "iu":
        return wrap_int(alpha * b, a._data.dtype), 1
    return b, alpha


def _add_promoted(input, other, alpha=1) -> Tensor:
    a, b = promote("add", input, other)
    if alpha != 1:
        _check_alpha("add", a, b, alpha)
        b, alpha = _scaled_int(a, b, alpha)
    try:
        return Add.apply(a, b) if alpha == 1 else AddScaled.apply(a, b, alpha)
    except ValueError:
        _raise_broadcast("add", a, b)
        raise


@register()
def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other, elementwise with broadcasting."""
    if alpha == 1 and isinstance(input, Tensor):
        return _sub(input, other)
    return _sub_promoted(input, other, alpha)


def _sub_promoted(input, other, alpha=1, cls=None) -> Tensor:
    a, b = promote("sub", input, other)
    t = a if isinstance(a, Tensor) else b
    if t.dtype is backend.bool_:
        raise RuntimeError("sub: subtraction with two bool tensors is not supported; use "
                           "logical_xor() or the ^ operator instead")
    cls = cls or Sub
    if alpha != 1:
        _check_alpha("sub", a, b, alpha)
        b, alpha = _scaled_int(a, b, alpha)
    if alpha == 1:
        return _apply_binary("sub", cls, a, b)
    return _apply_binary("sub", cls, a, b, alpha)


class Rsub(Sub):
    """number - tensor written `number - t` (Tensor.__rsub__): PyTorch records rsub there."""

    __slots__ = ()

    @classmethod
    def name(cls) -> str:
        return "RsubBackward1"


def _rsub(self, other) -> Tensor:
    """other - self for Tensor.__rsub__ (other a number): sub with PyTorch's rsub node name."""
    return _sub_promoted(other, self, cls=Rsub)


# The hot path of each (Tensor's + - operators too): no promotion needed, see Op.binary_path.
_add = Add.binary_path("fciub", _add_promoted)
_sub = Sub.binary_path("fciu", _sub_promoted)


register("subtract")(sub)


# ----------------------------------------------------------------------------------- mul, div

class MulNumber(Op):
    """A tensor times a number, as binary_path records it (Mul.number_op): the node keeps the
    number only, no tensor (PyTorch saves no input tensor for a number factor either); backward
    without retain_graph frees it (`_saved` is () until then), so that a second backward raises
    as PyTorch's, which saves the number as a tensor."""

    __slots__ = ("other",)
    save_inputs = False

    @classmethod
    def name(cls) -> str:
        return "MulBackward0"

    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        if ctx._saved is _FREED:
            _ = ctx.saved_tensors  # (raises: freed by a backward without retain_graph)
        return Mul.apply(g, ctx.other), None

    @staticmethod
    def vjp(ctx, g):
        if ctx._saved is _FREED:
            _ = ctx.saved_tensors  # (raises: freed by a backward without retain_graph)
        return g * ctx.other, None


class Mul(Op):
    np_forward = staticmethod(_operator.mul)
    number_op = MulNumber

    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.next[0] is not None:  # operands share a dtype here, so Mul.apply directly
            gx = unbroadcast(Mul.apply(g, y), x.shape)
        if ctx.next[1] is not None:
            gy = unbroadcast(Mul.apply(g, x), y.shape)
        return gx, gy

    @staticmethod
    def vjp(ctx, g):
        saved = ctx._saved
        if saved is _FREED:
            return Mul._vjp_checked(ctx, g)
        x, y = saved
        vx, vy = ctx._versions
        if (vx is not None and x._vc[0] != vx) or (vy is not None and y._vc[0] != vy):
            return Mul._vjp_checked(ctx, g)
        ex, ey = ctx.next
        gx = gy = None
        if ex is not None:
            if type(y) is _NDARRAY:  # a number as a 0-d array (MulNumber's rule recorded with
                gx = g * y           # create_graph): nothing was broadcast
            else:
                if isinstance(y, Tensor):
                    gx = g * y._data
                else:
                    gx = g * (scalar_like(y, g) if type(y) is float else y)
                sx = x._data.shape
                if gx.shape != sx:
                    gx = unbroadcast_array(gx, sx)
        if ey is not None:
            gy = unbroadcast_array(g * (x._data if isinstance(x, Tensor) else x), y._data.shape)
        return gx, gy

    @staticmethod
    def _vjp_checked(ctx, g):
        """vjp through ctx.saved_tensors: a freed graph, or an operand modified in place since
        (its stand-in raises only if its values are read)."""
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.next[0] is not None:
            gx = unbroadcast_array(g * data(y), x.shape)
        if ctx.next[1] is not None:
            gy = unbroadcast_array(g * data(x), y.shape)
        return gx, gy


@register()
def mul(input, other) -> Tensor:
    """input * other, elementwise with broadcasting."""
    if isinstance(input, Tensor):
        return _mul(input, other)
    return _mul_promoted(input, other)


def _mul_promoted(input, other) -> Tensor:
    a, b = promote("mul", input, other)
    return _apply_binary("mul", Mul, a, b)


_mul = Mul.binary_path("fciub", _mul_promoted)  # (and Tensor's * operator)


register("multiply")(mul)


class DivNumber(Op):
    """A tensor divided by a number, as binary_path records it (Div.number_op): the node keeps
    the number only, no tensor (as PyTorch's), and is freed by backward as MulNumber. The
    gradient is g * (1 / other), +-inf at 0 (times 0 where g is 0), as Div's rules for a number
    divisor."""

    __slots__ = ("other",)
    save_inputs = False
    number_array = False  # (the Python number: its reciprocal is taken in double precision)

    @classmethod
    def name(cls) -> str:
        return "DivBackward0"

    @staticmethod
    def forward(ctx, x, y):
        return x / y

    @staticmethod
    def backward(ctx, g):
        if ctx._saved is _FREED:
            _ = ctx.saved_tensors  # (raises: freed by a backward without retain_graph)
        d = _reciprocal(ctx.other)
        return (Mul.apply(g, d) if math.isfinite(d) else xmul(g, d)), None

    @staticmethod
    def vjp(ctx, g):
        if ctx._saved is _FREED:
            _ = ctx.saved_tensors  # (raises: freed by a backward without retain_graph)
        d = _reciprocal(ctx.other)
        return (g * d if math.isfinite(d) else xmul_array(ctx.device.xp, g, d)), None


def _reciprocal(y) -> float:
    """1 / y for a number divisor, +-inf at +-0 (no ZeroDivisionError)."""
    return 1.0 / y if y != 0 else math.copysign(math.inf, y)


class Div(Op):
    np_forward = staticmethod(_operator.truediv)
    number_op = DivNumber

    @staticmethod
    def forward(ctx, x, y):
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.next[0] is not None:
            if isinstance(y, Tensor):
                gx = unbroadcast(xmul(g, reciprocal(y)), x.shape)
            else:  # a number divisor
                d = _reciprocal(y)
                gx = Mul.apply(g, d) if math.isfinite(d) else xmul(g, d)
        if ctx.next[1] is not None:
            gy = unbroadcast(xmul(g, -x / (y * y)), y.shape)
        return gx, gy

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved_tensors
        xp = ctx.device.xp
        yd = data(y)
        gx = gy = None
        if ctx.next[0] is not None:
            if isinstance(y, Tensor):
                d = 1 / yd
            else:  # a number divisor: as the ember-op rule, +-inf at 0
                d = _reciprocal(yd)
            gx = unbroadcast_array(xmul_array(xp, g, d), x.shape)
        if ctx.next[1] is not None:
            gy = unbroadcast_array(xmul_array(xp, g, -data(x) / (yd * yd)), y.shape)
        return gx, gy


class RoundedDiv(Op):
    """Division rounded towards zero ('trunc') or down ('floor'); zero gradient, as PyTorch."""

    save_inputs = False
    save_shapes = True

    @staticmethod
    def forward(ctx, x, y, mode):
        xp = ctx.xp
        if xp.asarray(x).dtype.kind in "iub" and xp.asarray(y).dtype.kind in "iub":
            if bool(xp.any(xp.asarray(y) == 0)):
                raise ZeroDivisionError(f"div: integer division by zero (rounding_mode={mode!r})")
            q = xp.floor_divide(x, y)
            if mode == "trunc":
                r = xp.remainder(x, y)
                q = q + ((r != 0) & ((xp.asarray(x) < 0) != (xp.asarray(y) < 0)))
            return q
        q = x / y
        return xp.floor(q) if mode == "floor" else xp.trunc(q)

    @staticmethod
    def backward(ctx, g):
        sx, sy = ctx.shapes
        gx = _zeros_like(unbroadcast(g, sx)) if ctx.next[0] is not None else None
        gy = _zeros_like(unbroadcast(g, sy)) if ctx.next[1] is not None else None
        return gx, gy, None


@register()
def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """input / other with broadcasting. Integers divide to the default float dtype unless
    rounding_mode is 'trunc' (towards zero) or 'floor' (down, Python's //)."""
    if rounding_mode is None and isinstance(input, Tensor):
        return _div(input, other)
    return _div_promoted(input, other, rounding_mode)


def _div_promoted(input, other, rounding_mode: str | None = None) -> Tensor:
    a, b = promote("div", input, other)
    if rounding_mode is None:
        if result_dtype(a, b).category < 2:
            a = a.to(backend.get_default_dtype()) if isinstance(a, Tensor) else float(a)
            b = b.to(backend.get_default_dtype()) if isinstance(b, Tensor) else float(b)
        return _apply_binary("div", Div, a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    return _apply_binary("div", RoundedDiv, a, b, rounding_mode)


_div = Div.binary_path("fc", _div_promoted)  # (and Tensor's / operator)


register("divide")(div)


@register()
def true_divide(input, other) -> Tensor:
    """input / other, always a floating-point result (div with rounding_mode=None)."""
    return div(input, other)


@register()
def floor_divide(input, other) -> Tensor:
    """input // other rounded down (Python's //); zero gradient."""
    return div(input, other, rounding_mode="floor")


class Remainder(Op):
    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        if xp.asarray(y).dtype.kind in "iub" and bool(xp.any(xp.asarray(y) == 0)):
            raise ZeroDivisionError("remainder: integer division by zero")
        return xp.remainder(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = unbroadcast(g, x.shape) if ctx.next[0] is not None else None
        gy = None
        if ctx.next[1] is not None:
            gy = unbroadcast(-g * div(x, y, rounding_mode="floor"), y.shape)
        return gx, gy


@register()
def remainder(input, other) -> Tensor:
    """Python's modulus: input - floor(input / other) * other, with the sign of `other`."""
    a, b = promote("remainder", input, other)
    return _apply_binary("remainder", Remainder, a, b)


class Fmod(Op):
    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        if xp.asarray(y).dtype.kind in "iub" and bool(xp.any(xp.asarray(y) == 0)):
            raise ZeroDivisionError("fmod: integer division by zero")
        return xp.fmod(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = unbroadcast(g, x.shape) if ctx.next[0] is not None else None
        gy = None
        if ctx.next[1] is not None:
            gy = unbroadcast(-g * div(x, y, rounding_mode="trunc"), y.shape)
        return gx, gy


@register()
def fmod(input, other) -> Tensor:
    """C's modulus: input - trunc(input / other) * other, with the sign of `input`."""
    a, b = promote("fmod", input, other)
    return _apply_binary("fmod", Fmod, a, b)


# ------------------------------------------------------------------------------------------ pow

class Pow(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        if (isinstance(y, _ARRAY) or isinstance(y, int)) and xp.asarray(y).dtype.kind in "iu" \
                and xp.asarray(x).dtype.kind in "iu" and bool(xp.any(xp.asarray(y) < 0)):
            raise RuntimeError("pow: integers to negative integer powers are not allowed")
        return xp.power(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        gx = gy = None
        if ctx.next[0] is not None:
            if isinstance(y, Tensor):
                local = y * x ** (y - 1)
                local = local.masked_fill(y == 0, 0)
                gx = unbroadcast(xmul(g, local), x.shape)
            elif y == 0:
                gx = _zeros_like(g)
            else:
                gx = xmul(g, y * x ** (y - 1))
        if ctx.next[1] is not None:
            if isinstance(x, Tensor):
                local = out * log(x)
                local = local.masked_fill((x == 0) & (y >= 0), 0)
                gy = unbroadcast(xmul(g, local), y.shape)
            elif x == 0:  # a number base: d/dy 0**y is 0 for y >= 0 and -inf for y < 0
                gy = xmul(g, (out * -math.inf).masked_fill(y >= 0, 0))
            else:
                gy = xmul(g, out * (math.log(x) if x > 0 else math.nan))
        return gx, gy


class PowTensor(Pow):
    """tensor ** tensor (PyTorch's pow.Tensor_Tensor node)."""

    @classmethod
    def name(cls) -> str:
        return "PowBackward1"


class PowScalarBase(Pow):
    """number ** tensor (PyTorch's pow.Scalar node)."""

    @classmethod
    def name(cls) -> str:
        return "PowBackward2"


@register()
def pow(input, exponent) -> Tensor:
    """input ** exponent elementwise; either may be a number."""
    a, b = promote("pow", input, exponent)
    cls = Pow if not isinstance(b, Tensor) else PowTensor if isinstance(a, Tensor) else \
        PowScalarBase
    return _apply_binary("pow", cls, a, b)


@register()
def float_power(input, exponent) -> Tensor:
    """pow computed in float64 (complex128 for complex inputs), as PyTorch."""
    target = backend.complex128 if result_dtype(input, exponent).category == 3 else backend.float64
    a = input.to(target) if isinstance(input, Tensor) else input
    b = exponent.to(target) if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


# ---------------------------------------------------------------------------------- unary signs

class Neg(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def vjp(ctx, g):
        return (-g,)


@register()
def neg(input) -> Tensor:
    """-input elementwise."""
    check_tensor("neg", input)
    if input.dtype is backend.bool_:
        raise RuntimeError("neg: negation of a bool tensor is not supported; use "
                           "logical_not() or the ~ operator instead")
    return Neg.apply(input)


register("negative")(neg)


@register()
def positive(input) -> Tensor:
    """input itself (unary +)."""
    return check_tensor("positive", input)


class Reciprocal(Op):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, x):
        return 1 / x

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return xmul(g, -(y * y))


@register()
def reciprocal(input) -> Tensor:
    """1 / input elementwise (integers become the default float dtype)."""
    check_tensor("reciprocal", input)
    if input.dtype.category < 2:
        input = input.to(backend.get_default_dtype())
    return Reciprocal.apply(input)


class Abs(Op):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sign(x)


@register()
def abs(input) -> Tensor:
    """|input| elementwise; the gradient at 0 is 0."""
    check_tensor("abs", input)
    if input.dtype.is_complex:
        raise NotImplementedError("abs: complex tensors are not supported by ember's autograd yet")
    return Abs.apply(input)


register("absolute")(abs)


class Sign(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)

    @staticmethod
    def backward(ctx, g):
        return _zeros_like(g)


@register()
def sign(input) -> Tensor:
    """-1, 0 or 1 by the sign of each element; zero gradient."""
    check_tensor("sign", input)
    if input.dtype is backend.bool_:
        return input.clone()
    return Sign.apply(input)


# -------------------------------------------------------------------------------------- matmul

def _matmul_check(op: str, xs: tuple, ys: tuple) -> None:
    if len(xs) == 0 or len(ys) == 0:
        raise RuntimeError(f"{op}: both arguments need to be at least 1D, but they are "
                           f"{len(xs)}D and {len(ys)}D")
    n = xs[-1]
    m = ys[-2] if len(ys) >= 2 else ys[0]
    if n != m:
        raise RuntimeError(f"{op}: shapes {shape_str(xs)} and {shape_str(ys)} cannot be "
                           f"multiplied ({n} != {m})")
    if len(xs) > 2 or len(ys) > 2:
        try:
            broadcast_shapes_or_raise(op, xs[:-2], ys[:-2])
        except RuntimeError:
            raise RuntimeError(f"{op}: the batch dims of shapes {shape_str(xs)} and "
                               f"{shape_str(ys)} cannot be broadcast together ("
                               f"{shape_str(xs[:-2])} vs {shape_str(ys[:-2])})") from None


class Matmul(Op):
    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.matmul(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xnd, ynd = len(x.shape), len(y.shape)
        gx = gy = None
        if xnd == 1 and ynd == 1:
            if ctx.next[0] is not None:
                gx = g * y
            if ctx.next[1] is not None:
                gy = g * x
            return gx, gy
        x2 = x.unsqueeze(0) if xnd == 1 else x
        y2 = y.unsqueeze(-1) if ynd == 1 else y
        g2 = g.unsqueeze(-2) if xnd == 1 else g
        g2 = g2.unsqueeze(-1) if ynd == 1 else g2
        if ctx.next[0] is not None:
            gx = unbroadcast(matmul(g2, y2.mT), tuple(x2.shape)).reshape(x.shape)
        if ctx.next[1] is not None:
            gy = unbroadcast(matmul(x2.mT, g2), tuple(y2.shape)).reshape(y.shape)
        return gx, gy

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved_tensors
        x, y = x._data, y._data
        xp = ctx.device.xp
        gx = gy = None
        if x.ndim == 1 and y.ndim == 1:
            return (g * y if ctx.next[0] is not None else None,
                    g * x if ctx.next[1] is not None else None)
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = xp.expand_dims(g, -2) if x.ndim == 1 else g
        g2 = xp.expand_dims(g2, -1) if y.ndim == 1 else g2
        if ctx.next[0] is not None:
            gx = unbroadcast_array(xp.matmul(g2, xp.swapaxes(y2, -1, -2)), x2.shape)
            gx = gx.reshape(x.shape)
        if ctx.next[1] is not None:
            gy = unbroadcast_array(xp.matmul(xp.swapaxes(x2, -1, -2), g2), y2.shape)
            gy = gy.reshape(y.shape)
        return gx, gy


def _matmul_operands(op: str, input, other):
    check_tensor(op, input)
    check_tensor(op, other, "other")
    if input.dtype.category == 0 or other.dtype.category == 0:
        raise RuntimeError(f"{op}: bool tensors are not supported (got {input.dtype} and "
                           f"{other.dtype})")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{op}: expected both arguments to have the same dtype, but got "
                           f"{input.dtype} and {other.dtype}")
    return input, other


@register()
def matmul(input, other) -> Tensor:
    """The matrix product, as NumPy's matmul: 1-D operands are vectors, leading dims are batch
    dims and broadcast. input: (..., n, k), other: (..., k, m) -> (..., n, m)."""
    input, other = _matmul_operands("matmul", input, other)
    _matmul_check("matmul", input._data.shape, other._data.shape)
    return Matmul.apply(input, other)


@register()
def mm(input, mat2) -> Tensor:
    """The product of two matrices: (n, k) @ (k, m) -> (n, m)."""
    input, mat2 = _matmul_operands("mm", input, mat2)
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got shapes {shape_str(input.shape)} and "
                           f"{shape_str(mat2.shape)}")
    _matmul_check("mm", input._data.shape, mat2._data.shape)
    return Matmul.apply(input, mat2)


@register()
def bmm(input, mat2) -> Tensor:
    """Batched matrix product: (b, n, k) @ (b, k, m) -> (b, n, m), with equal batch sizes."""
    input, mat2 = _matmul_operands("bmm", input, mat2)
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got shapes {shape_str(input.shape)} and "
                           f"{shape_str(mat2.shape)}")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: shapes {shape_str(input.shape)} and "
                           f"{shape_str(mat2.shape)}")
    _matmul_check("bmm", input._data.shape, mat2._data.shape)
    return Matmul.apply(input, mat2)


@register()
def mv(input, vec) -> Tensor:
    """Matrix-vector product: (n, m) @ (m,) -> (n,)."""
    input, vec = _matmul_operands("mv", input, vec)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a 2D matrix and a 1D vector, got shapes "
                           f"{shape_str(input.shape)} and {shape_str(vec.shape)}")
    _matmul_check("mv", input._data.shape, vec._data.shape)
    return Matmul.apply(input, vec)


def _check_vectors(op: str, a: Tensor, b: Tensor) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"{op}: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"{op}: inconsistent tensor size, expected tensors of shapes "
                           f"{shape_str(a.shape)} and {shape_str(b.shape)} to have the same "
                           "number of elements")


@register()
def dot(input, other) -> Tensor:
    """The inner product of two 1-D tensors: sum_i x_i y_i."""
    input, other = _matmul_operands("dot", input, other)
    _check_vectors("dot", input, other)
    return Matmul.apply(input, other)


@register()
def vdot(input, other) -> Tensor:
    """sum_i conj(x_i) y_i for two 1-D tensors."""
    input, other = _matmul_operands("vdot", input, other)
    _check_vectors("vdot", input, other)
    if input.dtype.is_complex:
        input = input.conj()
    return Matmul.apply(input, other)


@register()
def inner(input, other) -> Tensor:
    """The inner product over the last dims: (..., n) and (..., n) -> input.shape[:-1] +
    other.shape[:-1]. For vectors it is the dot product, the similarity of two feature vectors."""
    check_tensor("inner", input)
    check_tensor("inner", other, "other")
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner: last dimensions of shapes {shape_str(input.shape)} and "
                           f"{shape_str(other.shape)} differ ({input.shape[-1]} != "
                           f"{other.shape[-1]})")
    n = input.shape[-1]
    a = input.reshape(-1, n)
    b = other.reshape(-1, n)
    a, b = promote("inner", a, b)
    return matmul(a, b.mT).reshape(tuple(input.shape[:-1]) + tuple(other.shape[:-1]))


@register()
def outer(input, vec2) -> Tensor:
    """The outer product of two vectors: (n,) and (m,) -> (n, m) with out[i, j] = x_i y_j."""
    check_tensor("outer", input)
    check_tensor("outer", vec2, "vec2")
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: 1D tensors expected, got shapes {shape_str(input.shape)} and "
                           f"{shape_str(vec2.shape)}")
    return mul(input.unsqueeze(1), vec2.unsqueeze(0))


register("ger")(outer)


@register()
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2); with beta = 0, input is ignored (nan included)."""
    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        check_tensor("addmm", input)
        broadcast_shapes_or_raise("addmm", tuple(input.shape), tuple(prod.shape))
        return prod
    return add(input if beta == 1 else input * beta, prod)


@register()
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2); with beta = 0, input is ignored (nan
    included)."""
    prod = bmm(batch1, batch2)
    if alpha != 1:
        prod = prod * alpha
    check_tensor("baddbmm", input)
    broadcast_shapes_or_raise("baddbmm", tuple(input.shape), tuple(prod.shape))
    if beta == 0:
        return prod
    return add(input if beta == 1 else input * beta, prod)


@register()
def kron(input, other) -> Tensor:
    """The Kronecker product: every element of input times the whole of other, as blocks."""
    check_tensor("kron", input)
    check_tensor("kron", other, "other")
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    # interleave: a -> (a0, 1, a1, 1, ...), b -> (1, b0, 1, b1, ...)
    a_shape, b_shape, out_shape = [], [], []
    for i in range(nd):
        a_shape += [a.shape[i], 1]
        b_shape += [1, b.shape[i]]
        out_shape.append(a.shape[i] * b.shape[i])
    return mul(a.reshape(a_shape), b.reshape(b_shape)).reshape(out_shape)



@register(method=False)
def tensordot(a, b, dims=2) -> Tensor:
    """The sum of products over dims of a and b: dims=n contracts a's last n dims with b's
    first n; dims=([a dims], [b dims]) contracts those pairs. The result has a's free dims, then
    b's. A permute, reshape and one matmul, so the gradient is theirs."""
    op = "tensordot"
    check_tensor(op, a, "a")
    check_tensor(op, b, "b")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a = list(range(a.ndim - dims, a.ndim))
        dims_b = list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"tensordot: both dimension lists should have same length, got "
                               f"{len(dims_a)} and {len(dims_b)}")
    else:
        raise RuntimeError(f"tensordot expects dims to be an int or a pair of lists of dims, got "
                           f"{dims!r}")
    dims_a = [wrap_dim(d, a.ndim, op) for d in dims_a]
    dims_b = [wrap_dim(d, b.ndim, op) for d in dims_b]
    if len(set(dims_a)) != len(dims_a) or len(set(dims_b)) != len(dims_b):
        raise RuntimeError(f"tensordot: a dim is contracted more than once: {dims_a}, {dims_b}")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[da]} in dim {da} and second has size "
                               f"{b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    m = math.prod(a.shape[d] for d in free_a)
    n = math.prod(b.shape[d] for d in free_b)
    am = (a.permute(free_a + dims_a) if a.ndim else a).reshape(m, k)
    bm = (b.permute(dims_b + free_b) if b.ndim else b).reshape(k, n)
    return matmul(am, bm).reshape(out_shape)

from .elementwise import log  # noqa: E402  (pow's rule needs log; elementwise needs xmul)

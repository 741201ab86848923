"""Elementwise math: one table row per unary op, then the ops with parameters or two operands.

A unary row reads: name, forward (a function of `xp` or the device's special functions), what
backward reads (x the input, y the output), and the gradient rule g -> gx. Rules whose local
derivative can be infinite multiply with `xmul`, so a zero gradient never turns into nan.
"""

from __future__ import annotations

import math

from .. import backend, kernels
from ..autograd.function import _FREED, Op
from ..tensor import Tensor, _make
from ._util import (
    broadcast_shapes_or_raise,
    check_int_scalar,
    check_tensor,
    promote,
    result_dtype,
    to_float,
    unbroadcast,
)
from .arithmetic import _apply_binary, _zeros_like, reciprocal, xmul, xmul_array
from .registry import register

_NDARRAY = backend.NDARRAY
_ARRAY_TYPES = backend.ARRAY_TYPES
scalar_like = backend.scalar_like
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


class _Unary(Op):
    """A unary op built from a table row: forward `f(device, x)`, backward `rule(g, x, y)`."""

    f = None
    rule = None

    @staticmethod
    def forward(ctx, x):
        return ctx.f(ctx.device, x)

    @staticmethod
    def backward(ctx, g):
        saved = ctx.saved_tensors
        x = saved[0] if ctx.save_inputs else None
        y = saved[-1] if ctx.save_output else None
        return ctx.rule(g, x, y)


class _UnaryXp(_Unary):
    """A unary op whose forward is the function `fname` of the device's array namespace."""

    fname = ""

    @staticmethod
    def forward(ctx, x):
        return getattr(ctx.device.xp, ctx.fname)(x)


def _special_fn(name: str):
    """Forward through the device's special functions (ember/_special on NumPy)."""
    return lambda d, x: getattr(d.special, name)(x)


def _vjp_y(fast):
    """An array-level rule `fast(xp, g, x, y)` of a unary Op that saves only its output (the
    common case) as the Op's vjp."""
    def vjp(ctx, g):
        out = ctx._out
        if out is not None and out[1][0] == out[2]:
            return (fast(ctx.device.xp, g, None, out[0]),)
        # (freed, or modified in place: raises the right error)
        return (fast(ctx.device.xp, g, None, ctx.saved_output_array()),)
    return vjp


def _vjp_xy(fast):
    """An array-level rule `fast(xp, g, x, y)` as a unary Op's vjp."""
    def vjp(ctx, g):
        x = y = None
        if ctx.save_inputs:
            saved = ctx._saved
            if saved is _FREED or saved[0]._vc[0] != ctx._versions[0]:
                saved = ctx.saved_tensors  # (raises the right error)
            x = saved[0]._data
        if ctx.save_output:
            out = ctx._out
            y = out[0] if out is not None and out[1][0] == out[2] else \
                ctx.saved_output_array()
        return (fast(ctx.device.xp, g, x, y),)
    return vjp


def unary(name: str, forward, saves: str, rule, *, fast=None, vjp=None, keep_int: bool = False,
          doc: str = ""):
    """Make the Op for a table row and the public function that calls it; register both.
    `fast(xp, g, x, y)` optionally gives the same gradient on raw arrays (used when no graph of
    the gradient is recorded); it must agree with `rule`, which the tests check. `vjp(ctx, g)`
    may replace the Op's vjp made from `fast` (for the hottest rules: one call fewer)."""
    attrs = {"rule": staticmethod(rule), "save_inputs": "x" in saves,
             "save_output": "y" in saves, "__doc__": doc}
    if fast is not None:
        attrs["fast"] = staticmethod(fast)
        if vjp is None:
            vjp = _vjp_y(fast) if saves == "y" else _vjp_xy(fast)
        attrs["vjp"] = staticmethod(vjp)
    if isinstance(forward, str):
        base = _UnaryXp
        attrs["fname"] = forward
        np_fn = getattr(backend.cpu.xp, forward, None)
        if np_fn is not None:
            attrs["np_forward"] = staticmethod(np_fn)
    else:
        base = _Unary
        attrs["f"] = staticmethod(forward)
    cls = type("".join(p.capitalize() for p in name.split("_")), (base,), attrs)

    def slow(input) -> Tensor:  # (a floating or complex Tensor never comes here)
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if not keep_int and input._data.dtype.kind in "biu":
            input = input.to(backend.get_default_dtype())
        return cls.apply(input)

    fn = cls.unary_path(slow)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    fn.op = cls
    register(name)(fn)
    return fn


def _zero(g, x, y):
    return _zeros_like(g)


def _identity(g, x, y):
    return g


# ------------------------------------------------------------------------------ fused gradients

def _tanh_grad(xp, g, x, y):
    """g * (1 - y^2): tanh's gradient on arrays (x unused: a table row's `fast` signature)."""
    t = y * y  # a new array, reused for the next two steps
    if type(t) is _NDARRAY:
        one = _ONES.get(t.dtype)
        if one is None:
            one = _ONES[t.dtype] = backend.numpy_scalar(1.0, t.dtype)
    else:
        if not isinstance(t, _ARRAY_TYPES):
            t = xp.asarray(t)  # (NumPy's 0-d result is a scalar)
        one = 1.0
    xp.subtract(one, t, out=t)
    t *= g
    return t


_ONES: dict = {}  # NumPy dtype -> 1 as a 0-d array of it (see backend.numpy_scalar)


def _tanh_vjp(ctx, g):
    """tanh's vjp: _tanh_grad on the saved output, written out for NumPy arrays."""
    out = ctx._out
    if out is not None and out[1][0] == out[2] and type(g) is _NDARRAY:
        y = out[0]
        t = y * y
        if type(t) is _NDARRAY:
            one = _ONES.get(t.dtype)
            if one is not None:
                _np_subtract(one, t, t)
                t *= g
                return (t,)
    return _tanh_vjp_any(ctx, g)


_np_subtract = backend.cpu.xp.subtract


class TanhGrad(Op):
    """g * (1 - y^2), tanh's gradient in one op (one pass over memory instead of three)."""

    @staticmethod
    def forward(ctx, g, y):
        return _tanh_grad(ctx.device.xp, g, None, y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        dg = TanhGrad.apply(gg, y) if ctx.next[0] is not None else None
        dy = gg * g * y * -2 if ctx.next[1] is not None else None
        return dg, dy


class SigmoidGrad(Op):
    """g * y * (1 - y), sigmoid's gradient in one op."""

    @staticmethod
    def forward(ctx, g, y):
        return g * y * (1 - y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        dg = SigmoidGrad.apply(gg, y) if ctx.next[0] is not None else None
        dy = gg * g * (1 - y * 2) if ctx.next[1] is not None else None
        return dg, dy


class ReluGrad(Op):
    """g where y > 0, else 0: relu's gradient in one op."""

    @staticmethod
    def forward(ctx, g, y):
        return _relu_grad(ctx.xp, g, y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        dg = ReluGrad.apply(gg, y) if ctx.next[0] is not None else None
        dy = _zeros_like(y) if ctx.next[1] is not None else None
        return dg, dy


def _sigmoid(d, x):
    xp = d.xp
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _rsqrt(d, x):
    return 1 / d.xp.sqrt(x)


def _relu(d, x):
    """np.maximum(x, 0); on large NumPy float arrays the compiled loop, shared among threads."""
    xp = d.xp
    if x.size >= 1 << 15 and kernels.takes(xp, x, contiguous=True):
        out = xp.empty_like(x)
        kernels.native.relu(x, out)
        return out
    return xp.maximum(x, 0)


def _relu_grad(xp, g, y):
    """g * (y > 0); in one pass (ember.kernels) on NumPy arrays of one float dtype and shape.
    (A multiply, not xp.where: NumPy's where branches per element, 10x slower on a random
    mask.)"""
    if g.shape == y.shape and kernels.takes(xp, g, y, contiguous=True):
        out = xp.empty_like(g)
        kernels.native.relu_backward(g, y, out)
        return out
    return g * (y > 0)


def _frac(d, x):
    return x - d.xp.trunc(x)


# ---------------------------------------------------------------------------------- the table
# name       forward                 saves  gradient rule (g, x, y) -> gx
exp = unary("exp", "exp", "y", lambda g, x, y: xmul(g, y),
            fast=lambda xp, g, x, y: xmul_array(xp, g, y), doc="e ** input, elementwise.")
exp2 = unary("exp2", "exp2", "y", lambda g, x, y: xmul(g, y * _LN2), doc="2 ** input.")
expm1 = unary("expm1", "expm1", "y", lambda g, x, y: xmul(g, y + 1),
              doc="e ** input - 1, accurate for small input.")
log = unary("log", "log", "x", lambda g, x, y: xmul(g, reciprocal(x)),
            fast=lambda xp, g, x, y: xmul_array(xp, g, 1 / x),
            doc="The natural logarithm; -inf at 0, nan below.")
log2 = unary("log2", "log2", "x", lambda g, x, y: xmul(g, reciprocal(x * _LN2)),
             doc="The base-2 logarithm.")
log10 = unary("log10", "log10", "x", lambda g, x, y: xmul(g, reciprocal(x * _LN10)),
              doc="The base-10 logarithm.")
log1p = unary("log1p", "log1p", "x", lambda g, x, y: xmul(g, reciprocal(x + 1)),
              doc="log(1 + input), accurate for small input.")
sqrt = unary("sqrt", "sqrt", "y", lambda g, x, y: xmul(g, reciprocal(y * 2)),
             fast=lambda xp, g, x, y: xmul_array(xp, g, 0.5 / y),
             doc="The square root; its gradient at 0 is inf (0 where the incoming one is 0).")
rsqrt = unary("rsqrt", _rsqrt, "y", lambda g, x, y: xmul(g, y * y * y * -0.5),
              doc="1 / sqrt(input).")
square = unary("square", "square", "x", lambda g, x, y: g * (x * 2), keep_int=True,
               doc="input * input.")
sin = unary("sin", "sin", "x", lambda g, x, y: g * cos(x), doc="The sine (radians).")
cos = unary("cos", "cos", "x", lambda g, x, y: g * -sin(x), doc="The cosine (radians).")
tan = unary("tan", "tan", "y", lambda g, x, y: xmul(g, y * y + 1), doc="The tangent (radians).")
asin = unary("asin", "arcsin", "x", lambda g, x, y: xmul(g, rsqrt(1 - x * x)),
             doc="The inverse sine, in [-pi/2, pi/2].")
acos = unary("acos", "arccos", "x", lambda g, x, y: xmul(g, -rsqrt(1 - x * x)),
             doc="The inverse cosine, in [0, pi].")
atan = unary("atan", "arctan", "x", lambda g, x, y: g * reciprocal(x * x + 1),
             doc="The inverse tangent, in (-pi/2, pi/2).")
sinh = unary("sinh", "sinh", "x", lambda g, x, y: xmul(g, cosh(x)), doc="The hyperbolic sine.")
cosh = unary("cosh", "cosh", "x", lambda g, x, y: xmul(g, sinh(x)), doc="The hyperbolic cosine.")
_tanh_vjp_any = _vjp_y(_tanh_grad)  # (any array library, 0-d results, a modified output)
tanh = unary("tanh", "tanh", "y", lambda g, x, y: TanhGrad.apply(g, y),
             fast=_tanh_grad, vjp=_tanh_vjp,
             doc="The hyperbolic tangent.")
asinh = unary("asinh", "arcsinh", "x", lambda g, x, y: g * rsqrt(x * x + 1),
              doc="The inverse hyperbolic sine.")
acosh = unary("acosh", "arccosh", "x", lambda g, x, y: xmul(g, rsqrt(x * x - 1)),
              doc="The inverse hyperbolic cosine (input >= 1).")
atanh = unary("atanh", "arctanh", "x", lambda g, x, y: xmul(g, reciprocal(1 - x * x)),
              doc="The inverse hyperbolic tangent (|input| < 1).")
sigmoid = unary("sigmoid", _sigmoid, "y", lambda g, x, y: SigmoidGrad.apply(g, y),
                fast=lambda xp, g, x, y: g * y * (1 - y),
                doc="1 / (1 + exp(-input)), computed without overflow for any input.")
erf = unary("erf", _special_fn("erf"), "x",
            lambda g, x, y: g * exp(-(x * x)) * _TWO_OVER_SQRT_PI,
            doc="The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt.")
erfc = unary("erfc", _special_fn("erfc"), "x",
             lambda g, x, y: g * exp(-(x * x)) * -_TWO_OVER_SQRT_PI,
             doc="1 - erf(input), accurate where erf is close to 1.")
erfinv = unary("erfinv", _special_fn("erfinv"), "y",
               lambda g, x, y: xmul(g, exp(y * y) * _SQRT_PI_OVER_TWO),
               doc="The inverse of erf on (-1, 1); +-inf at +-1.")
lgamma = unary("lgamma", _special_fn("lgamma"), "x", lambda g, x, y: xmul(g, digamma(x)),
               doc="log |Gamma(input)|.")
digamma = unary("digamma", _special_fn("digamma"), "x",
                lambda g, x, y: xmul(g, polygamma(1, x)),
                doc="The digamma function psi = d/dx log Gamma(x); -inf at 0.")
relu = unary("relu", _relu, "y", lambda g, x, y: ReluGrad.apply(g, y), keep_int=True,
             fast=lambda xp, g, x, y: _relu_grad(xp, g, y),
             doc="max(input, 0); the gradient at 0 is 0.")
floor = unary("floor", "floor", "", _zero, keep_int=True, doc="Rounded down; zero gradient.")
ceil = unary("ceil", "ceil", "", _zero, keep_int=True, doc="Rounded up; zero gradient.")
trunc = unary("trunc", "trunc", "", _zero, keep_int=True,
              doc="Rounded towards zero; zero gradient.")
frac = unary("frac", _frac, "", _identity, doc="input - trunc(input); gradient passes through.")

for _alias, _fn in (("arcsin", asin), ("arccos", acos), ("arctan", atan), ("arcsinh", asinh),
                    ("arccosh", acosh), ("arctanh", atanh), ("fix", trunc)):
    register(_alias)(_fn)


# --------------------------------------------------------------------------- ops with parameters

class Round(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, decimals):
        return ctx.xp.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return _zeros_like(g), None


@register()
def round(input, *, decimals: int = 0) -> Tensor:
    """Round half to even (as NumPy and PyTorch), to `decimals` places; zero gradient."""
    check_tensor("round", input)
    if not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    return Round.apply(input, decimals)


class Polygamma(Op):
    @staticmethod
    def forward(ctx, x, n):
        return ctx.device.special.polygamma(n, x)

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        return xmul(g, polygamma(n + 1, x)), None


@register(method=False)
def polygamma(n: int, input) -> Tensor:
    """The n-th derivative of the digamma function (n = 0 is digamma)."""
    check_tensor("polygamma", input)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative integer, got {n!r}")
    return Polygamma.apply(to_float(input), n)


def _polygamma_method(self, n: int) -> Tensor:
    return polygamma(n, self)


Tensor.polygamma = _polygamma_method


class Logit(Op):
    @staticmethod
    def forward(ctx, x, eps):
        xp = ctx.xp
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps)
        return xp.log(x / (1 - x))

    @staticmethod
    def backward(ctx, g):
        x, eps = ctx.saved_tensors
        local = reciprocal(x * (1 - x))
        if eps is not None:
            local = local.masked_fill((x < eps) | (x > 1 - eps), 0)
        return xmul(g, local), None


@register()
def sinc(input) -> Tensor:
    """The normalized sinc, sin(pi x) / (pi x), and 1 at x = 0. Near 0 (|pi x| < 0.01) it is
    its Taylor polynomial 1 - t^2/6 + t^4/120 (t = pi x; exact to rounding there), so the
    gradient and its derivatives stay finite and accurate at and around 0; the division is
    kept away from 0."""
    x = to_float(check_tensor("sinc", input))
    t = x * math.pi
    small = t.abs() < 0.01
    t2 = t * t
    near = 1 - t2 * (1 / 6 - t2 / 120)
    far = where(small, 1.0, t)
    return where(small, near, sin(far) / far)


@register()
def deg2rad(input) -> Tensor:
    """Degrees to radians: input * pi / 180 (an integer tensor gives the default float)."""
    return to_float(check_tensor("deg2rad", input)) * (math.pi / 180)


@register()
def rad2deg(input) -> Tensor:
    """Radians to degrees: input * 180 / pi (an integer tensor gives the default float)."""
    return to_float(check_tensor("rad2deg", input)) * (180 / math.pi)


@register()
def logit(input, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), the inverse of sigmoid; with eps, p is first clamped to [eps, 1 - eps]
    (and the gradient is 0 outside)."""
    check_tensor("logit", input)
    return Logit.apply(to_float(input), eps)


class Softplus(Op):
    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.xp
        z = x * beta
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, x, soft)

    @staticmethod
    def backward(ctx, g):
        x, beta, threshold = ctx.saved_tensors
        z = x * beta
        return where(z > threshold, g, g * sigmoid(z)), None, None


@register()
def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, never overflowing; linear (x itself) where beta * x >
    threshold, as PyTorch's nn.functional.softplus."""
    check_tensor("softplus", input)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return Softplus.apply(to_float(input), beta, threshold)


class NanToNum(Op):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        return ctx.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        return where(isfinite(x), g, 0.0), None, None, None


@register()
def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """nan, +inf and -inf replaced (by 0 and the dtype's largest and smallest finite values
    unless given); the gradient flows only through the finite elements."""
    check_tensor("nan_to_num", input)
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and not isinstance(value, (int, float)):
            raise TypeError(f"nan_to_num: {name} must be a number, got {type(value).__name__}")
    if input.dtype.category < 2:
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


class Heaviside(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, values):
        ctx.shapes = (x.shape, getattr(values, "shape", None))
        return ctx.xp.heaviside(x, values).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        sx, sv = ctx.shapes
        gx = _zeros_like(unbroadcast(g, sx)) if ctx.next[0] is not None else None
        gv = _zeros_like(unbroadcast(g, sv)) if ctx.next[1] is not None else None
        return gx, gv


@register()
def heaviside(input, values) -> Tensor:
    """The step function: 0 where input < 0, `values` where input == 0, 1 where input > 0.
    Its gradient is zero everywhere (the perceptron's step activation)."""
    check_tensor("heaviside", input)
    if not isinstance(values, Tensor):
        raise TypeError("heaviside: values must be a Tensor, as in PyTorch")
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes "
                           f"({input.dtype} and {values.dtype})")
    return _apply_binary("heaviside", Heaviside, input, values)


# ------------------------------------------------------------------------------- two operands

class Atan2(Op):
    @staticmethod
    def forward(ctx, y, x):
        return ctx.xp.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        r2 = reciprocal(x * x + y * y)
        gy = unbroadcast(xmul(g, x * r2), y.shape) if ctx.next[0] is not None else None
        gx = unbroadcast(xmul(g, -y * r2), x.shape) if ctx.next[1] is not None else None
        return gy, gx


@register()
def atan2(input, other) -> Tensor:
    """The angle of the point (other, input) in (-pi, pi]: atan(input / other) by quadrant."""
    a, b = _float_pair("atan2", input, other)
    return _apply_binary("atan2", Atan2, a, b)


register("arctan2")(atan2)


def _float_pair(op: str, a, b):
    """Promote two operands, then to the default float dtype if both are integral."""
    a, b = promote(op, a, b)
    if result_dtype(a, b).category < 2:
        f = backend.get_default_dtype()
        a = a.to(f) if isinstance(a, Tensor) else float(a)
        b = b.to(f) if isinstance(b, Tensor) else float(b)
    return a, b


class Maximum(Op):
    """Elementwise max; at ties the gradient is split evenly, as PyTorch."""

    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _split_ties(ctx, g, x, y, x > y)


class Minimum(Op):
    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _split_ties(ctx, g, x, y, x < y)


def _split_ties(ctx, g, x, y, x_wins):
    tie = x == y
    half = g * 0.5
    gx = gy = None
    if ctx.next[0] is not None:
        gx = unbroadcast(where(tie, half, where(x_wins, g, 0.0)), x.shape)
    if ctx.next[1] is not None:
        gy = unbroadcast(where(tie, half, where(x_wins, 0.0, g)), y.shape)
    return gx, gy


@register()
def maximum(input, other) -> Tensor:
    """The elementwise maximum (nan if either is nan)."""
    a, b = _tensor_pair("maximum", input, other)
    return _apply_binary("maximum", Maximum, a, b)


@register()
def minimum(input, other) -> Tensor:
    """The elementwise minimum (nan if either is nan)."""
    a, b = _tensor_pair("minimum", input, other)
    return _apply_binary("minimum", Minimum, a, b)


def _tensor_pair(op: str, a, b):
    check_tensor(op, a)
    if not isinstance(b, Tensor):
        raise TypeError(f"{op}: other must be a Tensor, got {type(b).__name__}")
    return promote(op, a, b)


class Fmax(Op):
    """Elementwise max ignoring nan; the gradient goes to the chosen element."""

    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.fmax(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _chosen(ctx, g, x, y, (x >= y) | isnan(y))


class Fmin(Op):
    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.fmin(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _chosen(ctx, g, x, y, (x <= y) | isnan(y))


def _chosen(ctx, g, x, y, x_chosen):
    gx = unbroadcast(where(x_chosen, g, 0.0), x.shape) if ctx.next[0] is not None else None
    gy = unbroadcast(where(x_chosen, 0.0, g), y.shape) if ctx.next[1] is not None else None
    return gx, gy


@register()
def fmax(input, other) -> Tensor:
    """The elementwise maximum, ignoring nan where only one side is nan."""
    a, b = _tensor_pair("fmax", input, other)
    return _apply_binary("fmax", Fmax, a, b)


@register()
def fmin(input, other) -> Tensor:
    """The elementwise minimum, ignoring nan where only one side is nan."""
    a, b = _tensor_pair("fmin", input, other)
    return _apply_binary("fmin", Fmin, a, b)


class Hypot(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.hypot(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        r = reciprocal(out)
        gx = unbroadcast(xmul(g, x * r), x.shape) if ctx.next[0] is not None else None
        gy = unbroadcast(xmul(g, y * r), y.shape) if ctx.next[1] is not None else None
        return gx, gy


@register()
def hypot(input, other) -> Tensor:
    """sqrt(input^2 + other^2) without overflow; integer inputs become the default float
    dtype (NumPy would make them float64)."""
    a, b = _float_pair("hypot", *_tensor_pair("hypot", input, other))
    return _apply_binary("hypot", Hypot, a, b)


class Copysign(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.copysign(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        gx = gy = None
        if ctx.next[0] is not None:
            ratio = where(x == 0, 0.0, out / where(x == 0, 1.0, x))
            gx = unbroadcast(g * ratio, x.shape)
        if ctx.next[1] is not None:
            gy = _zeros_like(y)
        return gx, gy


@register()
def copysign(input, other) -> Tensor:
    """|input| with the sign of other (elementwise)."""
    check_tensor("copysign", input)
    a, b = _float_pair("copysign", input, other)
    return _apply_binary("copysign", Copysign, a, b)


class Xlogy(Op):
    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        log_y = xp.log(y) if isinstance(y, backend.ARRAY_TYPES) else float(xp.log(y))
        # 0 where x is 0, unless y is nan (PyTorch's and SciPy's rule); a number stays weakly
        # typed
        return xp.where((xp.asarray(x) == 0) & ~xp.isnan(y), 0, x * log_y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.next[0] is not None:
            # log y, but 0 where x is 0 unless y is nan (PyTorch's xlogy(x != 0, y))
            if isinstance(y, Tensor):
                local = where((x == 0) & ~isnan(y), 0.0, log(y))
            else:
                local = _log_number(y) if math.isnan(y) else where(x == 0, 0.0, _log_number(y))
            gx = unbroadcast(xmul(g, local), x.shape)
        if ctx.next[1] is not None:  # x log y is 0 along x = 0, so d/dy is 0 there
            local = where(x == 0, 0.0, x / y) if isinstance(x, Tensor) else \
                (0.0 if x == 0 else x / y)
            gy = unbroadcast(xmul(g, local), y.shape)
        return gx, gy


def _log_number(v: float) -> float:
    return math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)


@register()
def xlogy(input, other) -> Tensor:
    """input * log(other), and 0 wherever input is 0 (even where other is 0; nan where other
    is nan, as PyTorch): the x log x of entropy without nan."""
    a, b = _float_pair("xlogy", input, other)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        raise TypeError("xlogy: at least one argument must be a Tensor")
    return _apply_binary("xlogy", Xlogy, a, b)


class Logaddexp(Op):
    save_output = True

    @staticmethod
    def forward(ctx, x, y):
        return ctx.xp.logaddexp(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        # d/dx = exp(x - out) = sigmoid(x - y); where both are -inf (out = -inf) split evenly
        both = (x == y)
        wx = where(both, 0.5, sigmoid(where(both, 0.0, x - y)))
        gx = unbroadcast(g * wx, x.shape) if ctx.next[0] is not None else None
        gy = unbroadcast(g * (1 - wx), y.shape) if ctx.next[1] is not None else None
        return gx, gy


@register()
def logaddexp(input, other) -> Tensor:
    """log(exp(input) + exp(other)) without overflow or underflow."""
    a, b = _tensor_pair("logaddexp", input, other)
    a, b = _float_pair("logaddexp", a, b)
    return _apply_binary("logaddexp", Logaddexp, a, b)


class Lerp(Op):
    @staticmethod
    def forward(ctx, start, end, weight):
        return start + weight * (end - start)

    @staticmethod
    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        gs = ge = gw = None
        if ctx.next[0] is not None:
            gs = unbroadcast(g * (1 - weight), start.shape)
        if ctx.next[1] is not None:
            ge = unbroadcast(g * weight, end.shape)
        if ctx.next[2] is not None:
            gw = unbroadcast(g * (end - start), weight.shape)
        return gs, ge, gw


@register()
def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input): linear interpolation (weight a number or a tensor)."""
    check_tensor("lerp", input)
    check_tensor("lerp", end, "end")
    if input.dtype != end.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype} for end but got {end.dtype}")
    shapes = [tuple(input.shape), tuple(end.shape)]
    if isinstance(weight, Tensor):
        shapes.append(tuple(weight.shape))
    broadcast_shapes_or_raise("lerp", *shapes)
    return Lerp.apply(input, end, weight)


# ------------------------------------------------------------------------------- where, clamp

class Where(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.cond = cond
        ctx.shapes = (getattr(x, "shape", None), getattr(y, "shape", None))
        return ctx.xp.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        cond = _make(ctx.cond, ctx.device)
        sx, sy = ctx.shapes
        gx = unbroadcast(where(cond, g, 0.0), sx) if ctx.next[1] is not None else None
        gy = unbroadcast(where(cond, 0.0, g), sy) if ctx.next[2] is not None else None
        return None, gx, gy


@register(method=False)
def where(condition, input=None, other=None) -> Tensor:
    """input where condition holds, other elsewhere (all three broadcast; input and other may be
    numbers). `where(condition)` alone is `nonzero(condition, as_tuple=True)`."""
    check_tensor("where", condition, "condition")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype is not backend.bool_:
        if condition.dtype is backend.uint8:
            condition = condition.to(backend.bool_)
        else:
            raise RuntimeError(f"where: expected condition to be a bool tensor, got "
                               f"{condition.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        dt = result_dtype(input, other)
        input = _make(condition._device.asarray(input, dt), condition._device)
    a, b = promote("where", input, other)
    shapes = [tuple(condition.shape)] + [tuple(t.shape) for t in (a, b) if isinstance(t, Tensor)]
    broadcast_shapes_or_raise("where", *shapes)
    return Where.apply(condition, a, b)


def _where_method(self, condition, other) -> Tensor:
    return where(condition, self, other)


Tensor.where = _where_method


class Clamp(Op):
    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        gx = glo = ghi = None
        if ctx.next[0] is not None:
            keep = None
            if lo is not None:
                keep = x >= lo
            if hi is not None:
                keep = (x <= hi) if keep is None else keep & (x <= hi)
            gx = where(keep, g, 0.0)
        if ctx.next[1] is not None:
            pick = x < lo
            if hi is not None:
                pick = pick & (lo < hi)
            glo = unbroadcast(where(pick, g, 0.0), lo.shape)
        if ctx.next[2] is not None:
            pick = x > hi
            if lo is not None:
                pick = pick | (hi < lo)
            ghi = unbroadcast(where(pick, g, 0.0), hi.shape)
        return gx, glo, ghi


@register()
def clamp(input, min=None, max=None) -> Tensor:
    """Every element limited to [min, max] (numbers or tensors; either may be None). Where
    min > max the result is max, as PyTorch."""
    check_tensor("clamp", input)
    min = min.item() if backend.is_numpy_scalar(min) else min  # NumPy scalars act as numbers
    max = max.item() if backend.is_numpy_scalar(max) else max
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    dt = result_dtype(input, min, max)
    check_int_scalar("clamp", min, dt.np)
    check_int_scalar("clamp", max, dt.np)
    x = input.to(dt) if dt != input.dtype else input
    lo = min.to(dt) if isinstance(min, Tensor) and min.dtype != dt else min
    hi = max.to(dt) if isinstance(max, Tensor) and max.dtype != dt else max
    shapes = [tuple(x.shape)] + [tuple(b.shape) for b in (lo, hi) if isinstance(b, Tensor)]
    out_shape = broadcast_shapes_or_raise("clamp", *shapes)
    if out_shape != tuple(x.shape):
        x = x.expand(out_shape)
    return Clamp.apply(x, lo, hi)


register("clip")(clamp)


@register()
def clamp_min(input, min) -> Tensor:
    """clamp(input, min=min)."""
    return clamp(input, min=min)


@register()
def clamp_max(input, max) -> Tensor:
    """clamp(input, max=max)."""
    return clamp(input, max=max)


# ------------------------------------------------------------------------------- complex parts

class _ComplexPart(Op):
    differentiable = False
    part = "real"

    @staticmethod
    def forward(ctx, x):
        return getattr(ctx.xp, ctx.part)(x)


class Real(_ComplexPart):
    part = "real"


class Imag(_ComplexPart):
    part = "imag"


class Conj(_ComplexPart):
    part = "conj"


@register(differentiable=False)
def real(input) -> Tensor:
    """The real part (the tensor itself for real dtypes)."""
    check_tensor("real", input)
    return Real.apply(input) if input.dtype.is_complex else input


@register(differentiable=False)
def imag(input) -> Tensor:
    """The imaginary part of a complex tensor."""
    check_tensor("imag", input)
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


@register(differentiable=False)
def conj(input) -> Tensor:
    """The complex conjugate (the tensor itself for real dtypes)."""
    check_tensor("conj", input)
    return Conj.apply(input) if input.dtype.is_complex else input


from .compare import isfinite, isnan  # noqa: E402  (compare builds on this module's ops)


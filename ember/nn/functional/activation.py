"""Activation functions and the softmax family.

Most are composites of ember ops (their gradients, and gradients of gradients, follow). softmax
and log_softmax are Ops with their own rules for stability and speed: the row maximum is
subtracted before exp, so logits of any magnitude give finite values and gradients.
"""

from __future__ import annotations

import math
import warnings

from ... import ops as _ops  # noqa: F401  (fills Tensor's methods)
from ...autograd.function import Op
from ...creation import full
from ...ops._util import check_tensor, to_float, wrap_dim
from ...ops.elementwise import (
    clamp,
    erf,
    exp,
    expm1,
    heaviside,
    relu,
    sigmoid,
    softplus,
    tanh,
    where,
)
from ...tensor import Tensor

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu",
    "mish", "sigmoid", "tanh", "softplus", "softsign", "hardtanh", "hardsigmoid", "hardswish",
    "logsigmoid", "softmax", "log_softmax", "softmin", "step", "threshold", "glu", "tanhshrink",
    "softshrink", "hardshrink",
]


def _float_input(op: str, x) -> Tensor:
    check_tensor(op, x)
    return to_float(x)


def relu_(input: Tensor) -> Tensor:
    """relu in place."""
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    x = _float_input("leaky_relu", input)
    return where(x > 0, x, x * negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x, with one weight per channel (dim 1) or a single one.
    input: (N, C, *), weight: (C,) or (1,)."""
    x = _float_input("prelu", input)
    check_tensor("prelu", weight, "weight")
    n = weight.numel()
    if n != 1:
        if x.ndim < 2 or x.shape[1] != n:
            raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: "
                               f"weight has {n} elements, input has shape {tuple(x.shape)}")
        weight = weight.reshape((1, n) + (1,) * (x.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return where(x > 0, x, x * weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    x = _float_input("elu", input)
    return where(x > 0, x, expm1(clamp(x, max=0.0)) * alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants (alpha ~ 1.6733,
    scale ~ 1.0507)."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    x = _float_input("celu", input)
    return where(x > 0, x, expm1(clamp(x, max=0.0) * (1.0 / alpha)) * alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (approximate='none'), or the tanh approximation
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (approximate='tanh')."""
    x = _float_input("gelu", input)
    if approximate == "none":
        return x * (erf(x * _SQRT_HALF) + 1.0) * 0.5
    if approximate == "tanh":
        return x * (tanh((x + x * x * x * 0.044715) * _SQRT_2_OVER_PI) + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish)."""
    x = _float_input("silu", input)
    return x * sigmoid(x)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    x = _float_input("mish", input)
    return x * tanh(softplus(x))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = _float_input("softsign", input)
    return x / (x.abs() + 1.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]; gradient 1 strictly inside, 0 outside."""
    x = _float_input("hardtanh", input)
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    return where((x > min_val) & (x < max_val), x, clamp(x, min_val, max_val).detach())


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 in between."""
    x = _float_input("hardsigmoid", input)
    return where((x > -3.0) & (x < 3.0), x * (1.0 / 6.0) + 0.5, (x >= 3.0).to(x.dtype))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    x = _float_input("hardswish", input)
    return where(x <= -3.0, x * 0.0, where(x >= 3.0, x, x * (x + 3.0) * (1.0 / 6.0)))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for any x."""
    x = _float_input("logsigmoid", input)
    return -softplus(-x)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    x = _float_input("threshold", input)
    return where(x > threshold, x, value)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of input along dim."""
    x = _float_input("glu", input)
    d = wrap_dim(dim, x.ndim, "glu")
    if x.shape[d] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {d} is size "
                           f"{x.shape[d]}")
    a, b = x.chunk(2, d)
    return a * sigmoid(b)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    x = _float_input("tanhshrink", input)
    return x - tanh(x)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    x = _float_input("softshrink", input)
    return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, x * 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    x = _float_input("hardshrink", input)
    return where((x > lambd) | (x < -lambd), x, x * 0.0)


def step(input: Tensor, value_at_zero: float = 1.0) -> Tensor:
    """The Heaviside step, the perceptron's activation: 1 where x > 0, 0 where x < 0 and
    value_at_zero at 0. Its gradient is zero everywhere (it is piecewise constant), so a
    network using it learns only through rules that do not backpropagate through it (the
    perceptron rule)."""
    x = _float_input("step", input)
    return heaviside(x, full((), value_at_zero, dtype=x.dtype, device=x.device))


# ------------------------------------------------------------------------------- softmax

def _softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


class SoftmaxOp(Op):
    """y = exp(x - max) / sum(exp(x - max)) along dim; gradient y * (g - sum(g * y))."""

    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        e = x - x.max(axis=dim, keepdims=True)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(ctx.dim, keepdim=True), None


class LogSoftmaxOp(Op):
    """y = x - max - log(sum(exp(x - max))) along dim; gradient g - exp(y) * sum(g)."""

    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        z = x - x.max(axis=dim, keepdims=True)
        e = xp.exp(z)
        z -= xp.log(e.sum(axis=dim, keepdims=True))
        return z

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - exp(y) * g.sum(ctx.dim, keepdim=True), None


def _softmax_args(op: str, input, dim, dtype):
    check_tensor(op, input)
    if dtype is not None:
        input = input.to(dtype)
    input = to_float(input)
    if dim is None:
        dim = _softmax_dim(op, input.ndim, 4)
    if input.ndim == 0:
        return input, None
    return input, wrap_dim(dim, input.ndim, op)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim, stable for any magnitude."""
    x, d = _softmax_args("softmax", input, dim, dtype)
    if d is None:
        return x * 0.0 + 1.0
    return SoftmaxOp.apply(x, d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x_i - log(sum_j exp(x_j)) along dim, stable for any magnitude."""
    x, d = _softmax_args("log_softmax", input, dim, dtype)
    if d is None:
        return x * 0.0
    return LogSoftmaxOp.apply(x, d)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along dim."""
    x, d = _softmax_args("softmin", input, dim, dtype)
    if d is None:
        return x * 0.0 + 1.0
    return SoftmaxOp.apply(-x, d)


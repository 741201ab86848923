"""In-place ops (`x.add_(y)`, ...): the result is written into x's own memory.

Without autograd (grad mode off, or nothing requires grad) the hot ones write straight into the
array with `out=`, which is what optimizers and initialisers need. With autograd, the
out-of-place op is recorded and x becomes its output; a leaf that requires grad refuses, as in
PyTorch. Either way x's version counter (shared with its views) goes up, so a backward that
needs the old values raises instead of using the new ones.
"""

from __future__ import annotations

from .. import backend
from ..autograd import grad_mode
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._util import (
    as_operand,
    broadcast_shapes_or_raise,
    check_int_scalar,
    check_tensor,
    fit_scalar,
    result_dtype,
    wrap_int,
)
from .arithmetic import _check_alpha, add, div, mul, sub
from .elementwise import clamp, lerp, sqrt, where
from .index import _writable, check_inplace, commit_inplace

_state = grad_mode.state


def _requires_grad(values) -> bool:
    for v in values:
        if isinstance(v, Tensor) and v._requires_grad:
            return True
    return False


def _recording(self: Tensor, *others) -> bool:
    return _state.enabled and (self._requires_grad or _requires_grad(others))


def _check_result(op: str, self: Tensor, dtype: backend.DType, shape: tuple) -> None:
    if dtype.category > self.dtype.category:
        raise RuntimeError(f"{op}: result type {dtype.name} can't be cast to the desired output "
                           f"type {self.dtype.name}")
    if tuple(shape) != tuple(self._data.shape):
        raise RuntimeError(f"{op}: output with shape {tuple(self._data.shape)} doesn't match the "
                           f"broadcast shape {tuple(shape)}")


def _write_back(op: str, self: Tensor, result: Tensor, recording: bool) -> Tensor:
    """Copy `result` into self's memory; with autograd, make self its output."""
    _check_result(op, self, result.dtype, result._data.shape)
    _writable(op, self)
    if result._data is not self._data:
        self._data[...] = result._data
    if recording:
        return commit_inplace(self, result)
    self._vc[0] += 1
    return self


def _via_out_of_place(op: str, self: Tensor, fn, *args, **kwargs) -> Tensor:
    recording = _recording(self, *args, *kwargs.values())
    if recording:
        check_inplace(op, self, True)
        # the op reads a snapshot of self where its backward may need self's old values (mul_,
        # div_, clamp_, pow_, ...): the result overwrites self's memory (PyTorch's original_self)
        result = fn(self if fn in _READS_ONLY_OTHERS else _snapshot(self), *args, **kwargs)
    else:
        with no_grad():
            result = fn(self, *args, **kwargs)
    return _write_back(op, self, result, recording)


def _snapshot(self: Tensor) -> Tensor:
    """A copy of self's values at self's place in the graph (no node of its own)."""
    t = _wrap_like(self, self._data.copy())
    t.grad_fn = self.grad_fn
    t._nr = self._nr
    t._requires_grad = self._requires_grad
    return t


def _fast_binary(op: str, self: Tensor, other, ufunc: str, alpha=1) -> Tensor:
    """self <- ufunc(self, alpha * other) with out=, after PyTorch's checks."""
    other = as_operand(op, other, self)
    _check_result(op, self, result_dtype(self, other),
                  broadcast_shapes_or_raise(op, tuple(self._data.shape),
                                            tuple(other._data.shape)
                                            if isinstance(other, Tensor) else ()))
    _writable(op, self)
    o = other._data if isinstance(other, Tensor) else other
    check_int_scalar(op, o, self._data.dtype)
    if alpha != 1:
        o = o * alpha
        if type(o) is int and self._data.dtype.kind in "iu":
            o = wrap_int(o, self._data.dtype)  # alpha * other wraps, as PyTorch's
    xp = self._device.xp
    getattr(xp, ufunc)(self._data, o, out=self._data, casting="unsafe")
    self._vc[0] += 1
    return self


def add_(self, other, *, alpha=1) -> Tensor:
    if _recording(self, other):
        return _via_out_of_place("add_", self, add, other, alpha=alpha)
    if alpha != 1:
        _check_alpha("add_", self, other, alpha)
    return _fast_binary("add_", self, other, "add", alpha)


def sub_(self, other, *, alpha=1) -> Tensor:
    if _recording(self, other):
        return _via_out_of_place("sub_", self, sub, other, alpha=alpha)
    if alpha != 1:
        _check_alpha("sub_", self, other, alpha)
    return _fast_binary("sub_", self, other, "subtract", alpha)


def mul_(self, other) -> Tensor:
    if _recording(self, other):
        return _via_out_of_place("mul_", self, mul, other)
    return _fast_binary("mul_", self, other, "multiply")


def div_(self, other, *, rounding_mode=None) -> Tensor:
    if _recording(self, other) or rounding_mode is not None or self.dtype.category < 2:
        return _via_out_of_place("div_", self, div, other, rounding_mode=rounding_mode)
    return _fast_binary("div_", self, other, "true_divide")


def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
    """self += value * tensor1 * tensor2."""
    if _recording(self, tensor1, tensor2):
        return _via_out_of_place("addcmul_", self, addcmul, tensor1, tensor2, value=value)
    prod = tensor1._data * tensor2._data
    return _fast_binary("addcmul_", self, _wrap_like(self, prod), "add", value)


def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
    """self += value * tensor1 / tensor2."""
    if _recording(self, tensor1, tensor2):
        return _via_out_of_place("addcdiv_", self, addcdiv, tensor1, tensor2, value=value)
    quot = tensor1._data / tensor2._data
    return _fast_binary("addcdiv_", self, _wrap_like(self, quot), "add", value)


def _wrap_like(self: Tensor, data) -> Tensor:
    from ..tensor import _make
    return _make(data, self._device)


def lerp_(self, end, weight) -> Tensor:
    """self += weight * (end - self)."""
    if _recording(self, end, weight):
        return _via_out_of_place("lerp_", self, lerp, end, weight)
    w = weight._data if isinstance(weight, Tensor) else weight
    step = (end._data - self._data) * w
    return _fast_binary("lerp_", self, _wrap_like(self, step), "add")


def sqrt_(self) -> Tensor:
    if _recording(self) or self.dtype.category < 2:
        return _via_out_of_place("sqrt_", self, sqrt)
    self._device.xp.sqrt(self._data, out=self._data)
    self._vc[0] += 1
    return self


def zero_(self) -> Tensor:
    """Every element set to 0."""
    return _fill("zero_", self, 0)


def fill_(self, value) -> Tensor:
    """Every element set to value (a number or a 0-d tensor)."""
    return _fill("fill_", self, value)


def _fill(op: str, self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"{op} only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        if _recording(self, value):
            return _via_out_of_place(op, self, _filled, value)
        value = value.item()
    value = fit_scalar(op, value, self._data.dtype)
    if _state.enabled and self._requires_grad:
        check_inplace(op, self, True)
        return _via_out_of_place(op, self, _filled, value)
    _writable(op, self)
    self._data[...] = value
    self._vc[0] += 1
    return self


def _filled(self: Tensor, value) -> Tensor:
    """A tensor shaped like self holding value (the gradient flows to a tensor value; self, in
    the graph, gets a zero gradient and its result still requires grad, as PyTorch's
    zero_/fill_)."""
    if isinstance(value, Tensor):
        out = value.to(self.dtype).expand(tuple(self.shape)) * 1
    else:
        out = _wrap_like(self, self._device.xp.full(self._data.shape, value, self._data.dtype))
    if _state.enabled and self._requires_grad:
        out = where(_wrap_like(self, self._device.xp.zeros(self._data.shape, bool)), self, out)
    return out


def copy_(self, src, non_blocking: bool = False) -> Tensor:
    """src (broadcast, cast, moved) copied into self; the gradient flows to src."""
    check_tensor("copy_", src, "src")
    if _recording(self, src):
        return _via_out_of_place("copy_", self, _copied, src)
    broadcast = broadcast_shapes_or_raise("copy_", tuple(src.shape), tuple(self.shape))
    if broadcast != tuple(self.shape):
        raise RuntimeError(f"copy_: src of shape {tuple(src.shape)} can't be broadcast to the "
                           f"destination's shape {tuple(self.shape)}")
    _writable("copy_", self)
    data = src._data if src._device is self._device else self._device.asarray(
        src._device.to_host(src._data))
    self._data[...] = data
    self._vc[0] += 1
    return self


def _copied(self: Tensor, src: Tensor) -> Tensor:
    out = src.to(self._device).to(self.dtype)
    return out.expand(tuple(self.shape)) * 1


def clamp_(self, min=None, max=None) -> Tensor:
    return _via_out_of_place("clamp_", self, clamp, min, max)


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    return input + value * tensor1 * tensor2 if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    return input + value * tensor1 / tensor2 if value != 1 else input + tensor1 / tensor2


def generic(op: str, fn):
    """The in-place method `op` of the out-of-place op `fn`."""

    def method(self, *args, **kwargs) -> Tensor:
        return _via_out_of_place(op, self, fn, *args, **kwargs)

    method.__name__ = op
    method.__doc__ = f"In-place {fn.__name__}: the result is written into this tensor."
    return method


# out-of-place ops whose gradient never reads their first argument's values (no snapshot)
_READS_ONLY_OTHERS = frozenset((add, sub, addcmul, addcdiv, _filled, _copied))

METHODS = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "addcmul_": addcmul_,
    "addcdiv_": addcdiv_, "lerp_": lerp_, "sqrt_": sqrt_, "zero_": zero_, "fill_": fill_,
    "copy_": copy_, "clamp_": clamp_,
}

"""Conversions: dtype casts, device moves, copies. Differentiable where the target is floating."""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function, Op
from ..tensor import Tensor, _make
from ._util import check_tensor
from .registry import register


class Cast(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.source = backend.dtype_of_array(x)
        if x.dtype.kind == "c" and dtype.category < 3:
            x = x.real
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.source), None


class ToDevice(Function):
    """A copy on another device; the gradient is copied back."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = x._device
        return _make(device.copy_from(x._data, x._device), device)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.source), None


class Clone(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _cast(x: Tensor, dtype: backend.DType) -> Tensor:
    out = Cast.apply(x, dtype)
    if dtype.category < 2 and out.grad_fn is not None:  # integers carry no gradient
        out.grad_fn = None
        out._requires_grad = False
    return out


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a._device
        elif isinstance(a, backend.DType) or a in (float, int, bool, complex):
            dtype = a
        elif isinstance(a, (str, backend.Device, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            copy = a if a is not None else copy
        else:
            raise TypeError(f"to() received an invalid argument {a!r}; expected a dtype, a "
                            "device or a tensor")
    if dtype is not None:
        dtype = backend.to_dtype(dtype, "to")
    if device is not None:
        device = backend.device(device)
    return dtype, device, copy


@register(function=False)
def to(input, *args, **kwargs) -> Tensor:
    """A tensor with another dtype and/or on another device: to(dtype), to(device),
    to(device, dtype), to(other_tensor); `copy=True` copies even when nothing changes.
    Differentiable (the gradient is cast/moved back)."""
    check_tensor("to", input)
    dtype, device, copy = _parse_to(args, dict(kwargs))
    out = input
    if device is not None and device is not input._device:
        device.check_available()
        out = ToDevice.apply(out, device)
    if dtype is not None and out._data.dtype != dtype.np:
        out = _cast(out, dtype)
    if out is input and copy:
        out = Clone.apply(input)
    return out


@register()
def clone(input, *, memory_format=None) -> Tensor:
    """A copy with its own memory; the gradient flows back to input."""
    check_tensor("clone", input)
    return Clone.apply(input)


@register(function=False)
def contiguous(input, memory_format=None) -> Tensor:
    """input itself if its memory is C-contiguous, else a contiguous copy."""
    check_tensor("contiguous", input)
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


def _to_dtype(name: str, dtype: backend.DType):
    def method(self, memory_format=None) -> Tensor:
        return to(self, dtype)
    method.__name__ = name
    method.__doc__ = f"to({dtype!r})"
    register(name, function=False)(method)


for _name, _dtype in (("float", backend.float32), ("double", backend.float64),
                      ("half", backend.float16), ("long", backend.int64), ("int", backend.int32),
                      ("short", backend.int16), ("char", backend.int8), ("byte", backend.uint8),
                      ("bool", backend.bool_), ("cfloat", backend.complex64),
                      ("cdouble", backend.complex128)):
    _to_dtype(_name, _dtype)


@register(function=False)
def type_as(input, other) -> Tensor:
    """input cast to other's dtype."""
    return to(input, other.dtype)


@register(function=False)
def cpu(input) -> Tensor:
    """A copy in host memory (input itself if it is already there)."""
    return to(input, backend.cpu)


@register(function=False)
def cuda(input, device=None, non_blocking: bool = False) -> Tensor:
    """A copy on a CUDA device (the current one by default)."""
    dev = backend.device("cuda" if device is None else device if not isinstance(device, int)
                         else f"cuda:{device}")
    return to(input, dev)


@register(function=False, method="type")
def type_(input, dtype=None):
    """With no argument the type name ('ember.FloatTensor'); with a dtype, to(dtype)."""
    if dtype is None:
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
        return f"ember.{names[input.dtype.name]}Tensor"
    return to(input, dtype)

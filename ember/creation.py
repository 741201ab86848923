"""Making tensors: from data (tensor, as_tensor, from_numpy) and by shape (zeros, arange, ...).

Every factory takes `dtype=`, `device=` and `requires_grad=` as in PyTorch. Python floats
become the default float dtype (float32), Python ints int64, bools bool; NumPy arrays keep
their dtype.
"""

from __future__ import annotations

import math

from . import backend
from .ops._util import fit_scalar, parse_shape
from .tensor import Tensor, _make


def _finish(data, device: backend.Device, requires_grad: bool) -> Tensor:
    t = _make(data, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dtype(dtype, default=None) -> backend.DType:
    if dtype is None:
        return default if default is not None else backend.get_default_dtype()
    return backend.to_dtype(dtype)


def _infer_host(data, op: str):
    """Host array and the dtype PyTorch would give Python data."""
    cpu = backend.cpu
    if isinstance(data, Tensor):
        return data._device.to_host(data._data), data.dtype
    if backend.is_array(data):
        return data, backend.dtype_of_array(data)
    if backend.is_numpy_scalar(data):  # NumPy scalars keep their dtype, as arrays do
        a = cpu.xp.asarray(data)
        return a, backend.dtype_of_array(a)
    if isinstance(data, str) or data is None:
        raise TypeError(f"{op}: can't convert data of type {type(data).__name__} to a tensor")
    try:
        a = cpu.xp.asarray(_unwrap(data))
    except ValueError as err:
        raise ValueError(f"{op}: expected a sequence of equal-length sequences (a rectangular "
                         f"nested list), got a ragged one: {err}") from None
    kind = a.dtype.kind
    if kind in "uO" and not _has_array(data):
        big = _int_out_of_int64(data)
        if big is not None:  # NumPy made it uint64 (or object): PyTorch refuses
            raise RuntimeError(f"{op}: Overflow when unpacking long: {big} does not fit int64")
    if kind == "f":
        return a, backend.get_default_dtype() if not _has_array(data) else \
            backend.dtype_of_array(a)
    if kind in "iu":
        return a, backend.int64 if not _has_array(data) else backend.dtype_of_array(a)
    if kind == "b":
        return a, backend.bool_
    if kind == "c":
        return a, backend.default_complex_dtype()
    raise TypeError(f"{op}: can't convert data of type {type(data).__name__} (elements of dtype "
                    f"{a.dtype}) to a tensor")


def _int_out_of_int64(data):
    """The first Python int in nested lists that int64 cannot hold, or None."""
    if isinstance(data, (list, tuple)):
        for d in data:
            big = _int_out_of_int64(d)
            if big is not None:
                return big
        return None
    if isinstance(data, int) and not isinstance(data, bool) and not -2**63 <= data < 2**63:
        return data
    return None


def _check_fits(op: str, data, host, dt: backend.DType) -> None:
    """Python numbers converted to an integer dtype must fit it, as PyTorch's checked
    conversion (negatives wrap into unsigned types, as c10::overflows lets them); NumPy would
    wrap silently. Arrays and tensors are cast, as PyTorch's .to(dtype)."""
    if dt.np.kind not in "iu" or host.size == 0 or host.dtype.kind not in "iuf" or \
            _has_array(data):
        return
    info = backend.np.iinfo(dt.np)
    lo = -int(info.max) if info.min == 0 else int(info.min)
    xp = backend.cpu.xp
    bad = ~xp.isfinite(host) if host.dtype.kind == "f" else xp.zeros(host.shape, dtype=bool)
    with backend.np.errstate(invalid="ignore"):
        bad |= (host < lo) | (host > int(info.max))
    if bad.any():
        value = host[bad].flat[0].item()
        raise RuntimeError(f"{op}: value {value} cannot be converted to type {dt.name} "
                           "without overflow")


def _unwrap(data):
    """Nested lists with Tensors in them become nested lists of arrays NumPy can read."""
    if isinstance(data, Tensor):
        return data._device.to_host(data._data)
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def _has_array(data) -> bool:
    if isinstance(data, Tensor) or backend.is_array(data):
        return True
    if isinstance(data, (list, tuple)):
        return any(_has_array(d) for d in data)
    return False


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (numbers, nested lists, NumPy arrays, tensors).

    >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    """
    host, inferred = _infer_host(data, "tensor")
    dt = _dtype(dtype, inferred)
    _check_fits("tensor", data, host, dt)
    dev = backend.device(device) if device is not None else (
        data._device if isinstance(data, Tensor) else backend.device(None))
    arr = dev.asarray(host.astype(dt.np, copy=True))
    if arr is host or (backend.is_numpy_array(arr) and arr.base is not None):
        arr = arr.copy()
    return _finish(arr, dev, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory when it already is one (or a NumPy array) of the
    requested dtype and device."""
    if isinstance(data, Tensor):
        out = data
        if device is not None:
            out = out.to(backend.device(device))
        if dtype is not None:
            out = out.to(backend.to_dtype(dtype))
        return out
    dev = backend.device(device)
    if backend.is_array(data):
        backend.dtype_of_array(data)
        dt = backend.to_dtype(dtype) if dtype is not None else None
        if dev is backend.cpu and (dt is None or data.dtype == dt.np):
            return _make(data, dev)
    host, inferred = _infer_host(data, "as_tensor")
    dt = _dtype(dtype, inferred)
    _check_fits("as_tensor", data, host, dt)
    return _make(dev.asarray(host.astype(dt.np, copy=False)), dev)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    """as_tensor with PyTorch's asarray signature (copy=True forces a copy)."""
    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    out = as_tensor(obj, dtype=dtype, device=device)
    return out.requires_grad_(True) if requires_grad else out


def from_numpy(ndarray) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array: writes to either show in both."""
    if not backend.is_numpy_array(ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    backend.dtype_of_array(ndarray)
    return _make(ndarray, backend.cpu)


def _filled(op: str, size, fill, dtype, device, requires_grad) -> Tensor:
    shape = parse_shape(op, size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"{op}: trying to create tensor with negative dimension: "
                           f"{list(shape)}")
    dt = _dtype(dtype)
    dev = backend.device(device)
    xp = dev.xp
    if fill is None:
        data = xp.empty(shape, dtype=dt.np)
    elif fill == 0:
        data = xp.zeros(shape, dtype=dt.np)
    elif fill == 1:
        data = xp.ones(shape, dtype=dt.np)
    else:
        data = xp.full(shape, fill, dtype=dt.np)
    return _finish(data, dev, requires_grad)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: zeros(2, 3), zeros((2, 3)) or zeros(size=(2, 3))."""
    return _filled("zeros", sizes if size is None else (size,), 0, dtype, device, requires_grad)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled("ones", sizes if size is None else (size,), 1, dtype, device, requires_grad)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are whatever the memory held (fast to make, fill it before use)."""
    return _filled("empty", sizes if size is None else (size,), None, dtype, device,
                   requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with fill_value (its dtype inferred from it unless given)."""
    if isinstance(fill_value, Tensor) or backend.is_numpy_scalar(fill_value):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (int, float, complex)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    if dtype is None:
        dtype = backend.scalar_dtype(fill_value)
    fill_value = fit_scalar("full", fill_value, _dtype(dtype).np)
    return _filled("full", (size,) if isinstance(size, int) else tuple(size), fill_value, dtype,
                   device, requires_grad)


def _like(input: Tensor, dtype, device):
    return (input.dtype if dtype is None else backend.to_dtype(dtype),
            input._device if device is None else backend.device(device))


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return zeros(tuple(input.shape), dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return ones(tuple(input.shape), dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return empty(tuple(input.shape), dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return full(tuple(input.shape), fill_value, dtype=dt, device=dev,
                requires_grad=requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (0 if only end is given) up to, not including, end, by step.
    int64 when all of them are ints, else the default float dtype."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        integral = all(isinstance(v, int) for v in values)
        dtype = backend.int64 if integral else backend.get_default_dtype()
    dt = backend.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    dev = backend.device(device)
    host = backend.cpu.xp.arange(n, dtype="float64") * step + start if dt.category >= 2 else \
        backend.cpu.xp.arange(start, end, step, dtype="int64")
    return _finish(dev.asarray(host.astype(dt.np)), dev, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dt = _dtype(dtype)
    dev = backend.device(device)
    host = backend.cpu.xp.linspace(float(start), float(end), int(steps))
    return _finish(dev.asarray(host.astype(dt.np)), dev, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    if steps < 0:
        raise RuntimeError("logspace: number of steps must be non-negative")
    dt = _dtype(dtype)
    dev = backend.device(device)
    host = float(base) ** backend.cpu.xp.linspace(float(start), float(end), int(steps))
    return _finish(dev.asarray(host.astype(dt.np)), dev, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default)."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    dt = _dtype(dtype)
    dev = backend.device(device)
    return _finish(dev.xp.eye(n, m, dtype=dt.np), dev, requires_grad)


# ------------------------------------------------------------------ Tensor.new_* methods

def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return tensor(data, dtype=self.dtype if dtype is None else dtype,
                  device=self._device if device is None else device, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(self, dtype, device)
    return zeros(*size, dtype=dt, device=dev, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(self, dtype, device)
    return ones(*size, dtype=dt, device=dev, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dt, dev = _like(self, dtype, device)
    return empty(*size, dtype=dt, device=dev, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    dt, dev = _like(self, dtype, device)
    return full(size, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


Tensor.new_tensor = new_tensor
Tensor.new_zeros = new_zeros
Tensor.new_ones = new_ones
Tensor.new_empty = new_empty
Tensor.new_full = new_full

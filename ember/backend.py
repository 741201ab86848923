"""The array backend: the only module of ember that imports NumPy and CuPy.

Everything above this layer gets its array namespace from a `Device` (`device.xp`), so one op
implementation serves every device. This module also owns ember's dtypes and PyTorch's type
promotion rules, the random number generators, and the special functions NumPy lacks.

CUDA devices come from CuPy, loaded lazily: the first use of a "cuda" device imports cupy and asks
the CUDA runtime how many GPUs there are. Without CuPy, without a GPU, or when the driver fails,
a cuda device is "unavailable" and any use of it raises a RuntimeError saying which of these it
was. Nothing else in ember imports cupy.
"""

from __future__ import annotations

import abc
import threading
import warnings

import numpy as np

from . import _special

__all__ = [
    "DType", "Device", "DeviceArray", "Generator", "device", "cpu", "ARRAY_TYPES", "to_numpy",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "complex64", "complex128", "get_default_dtype", "set_default_dtype", "promote_types",
]

# NumPy's floating-point warnings (log(0), overflow in exp, ...) come from inside ember's ops, where
# PyTorch stays silent and returns inf / nan; silence them for ember's own modules only.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")



class DeviceArray(abc.ABC):  # noqa: B024 (a registry of virtual subclasses, no methods)
    """The array types of devices other than NumPy's (cupy.ndarray once CUDA is loaded) are
    registered here, so `isinstance(x, ARRAY_TYPES)` sees them even in modules that copied the
    tuple at import time, before CuPy was loaded."""


ARRAY_TYPES: tuple[type, ...] = (np.ndarray, DeviceArray)
NDARRAY = np.ndarray  # the hot paths test `type(x) is NDARRAY` before the isinstance above


# ----------------------------------------------------------------------------------------- dtypes

class DType:
    """An ember dtype (`ember.float32`, ...): a name, its NumPy dtype and its category."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed",
                 "category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = self.np.kind in "ifc"

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> DType:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> DType:
        return {float32: complex64, float64: complex128, float16: complex64}.get(self, self)


bool_ = DType("bool", np.bool_, 0)
uint8 = DType("uint8", np.uint8, 1)
int8 = DType("int8", np.int8, 1)
int16 = DType("int16", np.int16, 1)
int32 = DType("int32", np.int32, 1)
int64 = DType("int64", np.int64, 1)
float16 = DType("float16", np.float16, 2)
float32 = DType("float32", np.float32, 2)
float64 = DType("float64", np.float64, 2)
complex64 = DType("complex64", np.complex64, 3)
complex128 = DType("complex128", np.complex128, 3)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64,
              complex128)
_BY_NP = {d.np: d for d in ALL_DTYPES}
# the floating and complex array dtypes (a set lookup: faster than testing dtype.kind)
INEXACT_NP = frozenset(d.np for d in ALL_DTYPES if d.category >= 2)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_PY_TYPES = {float: float64, int: int64, bool: bool_, complex: complex128}


def _dtype_by_name(name: str) -> DType:
    return _BY_NAME[name]


def dtype_of_array(a) -> DType:
    """The ember dtype of an array; TypeError for a NumPy dtype ember does not support."""
    try:
        return _BY_NP[a.dtype]
    except KeyError:
        raise TypeError(f"ember does not support arrays of dtype {a.dtype}; supported: "
                        + ", ".join(d.name for d in ALL_DTYPES)) from None


def to_dtype(d, where: str = "dtype") -> DType:
    """Normalise a dtype argument: an ember dtype, a Python type (float, int, bool, complex)."""
    if isinstance(d, DType):
        return d
    if d in _PY_TYPES:
        return _PY_TYPES[d]
    raise TypeError(f"{where}: expected an ember dtype such as ember.float32, got {d!r}")


class _DefaultDtype(threading.local):
    float_dtype = float32


_default = _DefaultDtype()


def get_default_dtype() -> DType:
    """The dtype Python floats become (float32 unless changed with set_default_dtype)."""
    return _default.float_dtype


def set_default_dtype(d) -> None:
    d = to_dtype(d, "set_default_dtype")
    if d not in (float16, float32, float64):
        raise TypeError(f"set_default_dtype: only floating-point dtypes are allowed, got {d!r}")
    _default.float_dtype = d


class finfo:  # noqa: N801  (torch.finfo)
    """Machine limits of a floating-point dtype (the default float dtype if none is given):
    bits, eps, max, min, tiny (= smallest_normal), resolution."""

    def __init__(self, type: DType | None = None):  # noqa: A002  (PyTorch's argument name)
        dt = _default.float_dtype if type is None else to_dtype(type, "finfo")
        if dt.category < 2:
            raise TypeError(f"finfo: expected a floating-point dtype, got {dt!r}")
        info = np.finfo(dt.np)
        self.dtype = dt.to_real().name
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(info.resolution)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
                f"eps={self.eps}, smallest_normal={self.tiny}, bits={self.bits}, "
                f"dtype={self.dtype})")


class iinfo:  # noqa: N801  (torch.iinfo)
    """Limits of an integer dtype: bits, min, max."""

    def __init__(self, type: DType):  # noqa: A002
        dt = to_dtype(type, "iinfo")
        if dt.category != 1:
            raise TypeError(f"iinfo: expected an integer dtype, got {dt!r}")
        info = np.iinfo(dt.np)
        self.dtype = dt.name
        self.bits = int(info.bits)
        self.min = int(info.min)
        self.max = int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, bits={self.bits}, dtype={self.dtype})"


def default_complex_dtype() -> DType:
    return complex128 if _default.float_dtype is float64 else complex64


_PROMOTE_CACHE: dict[tuple[DType, DType], DType] = {}


def promote_types(a: DType, b: DType) -> DType:
    """PyTorch's promote_types: the smallest dtype both convert to without leaving a category."""
    key = (a, b)
    out = _PROMOTE_CACHE.get(key)
    if out is None:
        if a.category != b.category:
            hi, lo = (a, b) if a.category > b.category else (b, a)
            if hi.category == 3 and lo is float64:
                out = complex128
            else:
                out = hi
        else:
            out = _BY_NP[np.promote_types(a.np, b.np)]
        _PROMOTE_CACHE[key] = out
    return out


def scalar_dtype(value) -> DType:
    """The dtype a Python scalar takes part in promotion with (PyTorch's 'wrapped number')."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default.float_dtype
    if isinstance(value, complex):
        return default_complex_dtype()
    raise TypeError(f"expected a Python number, got {type(value).__name__}")


def _combine_categories(higher: DType | None, lower: DType | None) -> DType | None:
    # PyTorch's rule: a lower-priority group only matters when its category is higher.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == 3:
        return higher
    if lower.category == 3:
        return higher.to_complex() if higher.category == 2 else lower
    if higher.category == 2:
        return higher
    if higher is bool_ or lower.category == 2:
        return promote_types(higher, lower)
    return higher


def result_type(dim_dtypes, zero_dim_dtypes, scalar_dtypes) -> DType:
    """Type promotion as PyTorch: tensors with dims > zero-dim tensors > Python scalars."""
    groups = []
    for group in (dim_dtypes, zero_dim_dtypes, scalar_dtypes):
        acc = None
        for d in group:
            acc = d if acc is None else promote_types(acc, d)
        groups.append(acc)
    return _combine_categories(groups[0], _combine_categories(groups[1], groups[2]))


def is_array(x) -> bool:
    return isinstance(x, ARRAY_TYPES)


def is_numpy_scalar(x) -> bool:
    return isinstance(x, np.generic)


def is_numpy_array(x) -> bool:
    return isinstance(x, np.ndarray)


def is_writeable(a) -> bool:
    """Whether writing into the array `a` is allowed and reaches each element once. NumPy marks
    broadcast views read-only; CuPy has no read-only arrays (its flags lack `writeable`), so
    there a view with a zero stride along a dimension longer than 1 counts as not writeable."""
    w = getattr(a.flags, "writeable", None)
    if w is not None:
        return bool(w)
    return not any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape))


# NumPy computes `array * 1.01` (a Python float) about twice as slowly as `array * s` with `s` a 0-d
# array of the array's dtype, and both give the same values: NumPy 2 first casts a Python float
# to the array's floating dtype (NEP 50). The hot ops and gradient rules on small arrays use such
# 0-d arrays, cached here (read-only, so that no one changes a shared constant).
SCALARS: dict = {}  # NumPy dtype -> {float: 0-d array of that dtype}


def numpy_scalar(value: float, dtype):
    """The Python float `value` as a cached read-only 0-d array of the NumPy floating dtype
    `dtype`; for another dtype kind, a zero (0.0 == -0.0 would share one entry) or a nan, the
    value itself (uncached)."""
    cache = SCALARS.get(dtype)
    if cache is None:
        cache = SCALARS[dtype] = {}
    s = cache.get(value)
    if s is None:
        if dtype.kind != "f" or value == 0 or value != value:
            return value
        with np.errstate(over="ignore"):  # (1e300 as float32 is inf, as NumPy's own cast)
            s = np.array(value, dtype)
        s.flags.writeable = False
        if len(cache) >= 1024:  # many distinct values (a schedule, say): start again
            cache.clear()
        cache[value] = s
    return s


def scalar_like(value: float, a):
    """`value` for arithmetic with the array `a`: numpy_scalar's 0-d array when `a` is a NumPy
    array, else the value itself."""
    if type(a) is not np.ndarray:
        return value
    s = SCALARS.get(a.dtype, _NO_SCALARS).get(value)
    return s if s is not None else numpy_scalar(value, a.dtype)


_NO_SCALARS: dict = {}  # (never filled: a lookup's default)


# ---------------------------------------------------------------------------------------- devices

class _Special:
    """Special functions of one array namespace, each taking and returning arrays."""

    def __init__(self, xp):
        self.xp = xp

    def erf(self, x):
        return _special.erf(self.xp, x)

    def erfc(self, x):
        return _special.erfc(self.xp, x)

    def erfinv(self, x):
        return _special.erfinv(self.xp, x)

    def lgamma(self, x):
        return _special.lgamma(self.xp, x)

    def digamma(self, x):
        return _special.digamma(self.xp, x)

    def polygamma(self, n, x):
        return _special.polygamma(self.xp, n, x)


class _Unavailable:
    """The array namespace of a device this build cannot use: any use raises, saying why."""

    def __init__(self, message: str):
        self._message = message

    def __getattr__(self, name):
        raise RuntimeError(self._message)


class Device:
    """Where a tensor's data lives: `device(type='cpu')` or `device(type='cuda', index=0)`.

    `xp` is the device's array namespace (NumPy on the CPU, CuPy on CUDA); `special` its special
    functions. A device this build cannot use (CUDA without CuPy or a GPU) is *unavailable*: its
    `xp` raises on any use, and so do asarray/copy_from, saying why.
    """

    __slots__ = ("type", "index", "xp", "special", "available", "_why", "__weakref__")

    def __init__(self, type_: str, index: int | None, xp=None, special=None, why: str = ""):
        self.type = type_
        self.index = index
        self.available = xp is not None
        self._why = why or _cuda_unavailable_message()
        self.xp = xp if xp is not None else _Unavailable(self._why)
        self.special = (special or _Special(xp)) if xp is not None else self.xp

    def check_available(self) -> None:
        """RuntimeError saying why, if this build cannot put tensors on this device."""
        if not self.available:
            raise RuntimeError(self._why)

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        return self is other

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    # Moving arrays between devices.
    def asarray(self, data, dtype: DType | None = None):
        """An array on this device from host data (lists, scalars, NumPy arrays) or from an
        array of this device (returned as is when the dtype matches)."""
        self.check_available()
        if isinstance(data, DeviceArray) and self.xp is np:
            data = to_numpy(data)
        return self.xp.asarray(data, dtype=None if dtype is None else dtype.np)

    def to_host(self, a):
        """A NumPy array with the values of `a` (an array of this device)."""
        return a

    def copy_from(self, a, source: Device):
        """A copy on this device of the array `a` of device `source`."""
        self.check_available()
        return self.xp.array(source.to_host(a), copy=True)

    def synchronize(self) -> None:
        """Wait until every kernel queued on this device has finished (nothing to wait for on
        the CPU)."""


def to_numpy(a):
    """A NumPy array of the values of any device's array (a copy to the host for CuPy)."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)  # cupy.ndarray.get(): device-to-host copy
    if get is not None and isinstance(a, DeviceArray):
        return get()
    return np.asarray(a)


class _CupySpecial:
    """The special functions of a CUDA device: cupyx.scipy.special's kernels."""

    def __init__(self, cupy, special_module):
        s = special_module
        self._xp = cupy
        self.erf, self.erfc, self.erfinv = s.erf, s.erfc, s.erfinv
        self.lgamma, self.digamma = s.gammaln, s.digamma
        self._polygamma = s.polygamma

    def polygamma(self, n, x):
        # cupyx broadcasts n against x, so n must be an array too
        out = self._polygamma(self._xp.asarray(n, dtype=x.dtype), x)
        return out.astype(x.dtype, copy=False)


class _CudaDevice(Device):
    """A CUDA device: arrays are cupy.ndarrays, created and copied with this GPU current."""

    __slots__ = ()

    def _ctx(self):
        return self.xp.cuda.Device(self.index)

    def asarray(self, data, dtype: DType | None = None):
        with self._ctx():
            return self.xp.asarray(data, dtype=None if dtype is None else dtype.np)

    def to_host(self, a):
        return a.get() if isinstance(a, self.xp.ndarray) else np.asarray(a)

    def copy_from(self, a, source: Device):
        xp = self.xp
        with self._ctx():
            if isinstance(a, xp.ndarray):  # device to device (peer copy between GPUs)
                return xp.array(a, copy=True)
            host = source.to_host(a)
            return xp.array(host, copy=True)

    def copy_from_host_async(self, host, stream=None):
        """A copy of the NumPy array `host` queued on `stream` (non_blocking=True); the copy
        overlaps computation only when `host` is in page-locked (pinned) memory."""
        xp = self.xp
        with self._ctx():
            out = xp.empty(host.shape, dtype=host.dtype)
            out.set(np.ascontiguousarray(host), stream=stream)
            return out

    def synchronize(self) -> None:
        self.xp.cuda.Device(self.index).synchronize()


# ------------------------------------------------------------------------------ the CUDA backend

class _CudaState:
    """What loading CuPy found: the module (None if unusable), the GPU count, and why not."""

    loaded = False
    cupy = None
    count = 0
    why = ""
    peak: dict[int, int] = {}


_cuda = _CudaState()
_cuda_lock = threading.Lock()


def _cuda_unavailable_message(reason: str | None = None) -> str:
    if reason is None:
        if _cuda.loaded:
            reason = _cuda.why
        else:
            import importlib.util
            reason = ("CuPy is installed but not loaded yet" if importlib.util.find_spec("cupy")
                      else "CuPy is not installed")
    return (f"CUDA is unavailable: {reason}. Install the CUDA extra (pip install 'ember[cuda]' "
            "for CUDA 12, 'ember[cuda13]' for CUDA 13) on a machine with an NVIDIA GPU, or use "
            "device='cpu'.")


def load_cuda():
    """Import CuPy and count the GPUs (once); the cupy module, or None with the reason kept for
    the error messages. Set EMBER_DISABLE_CUDA=1 to behave as if CuPy were absent."""
    if _cuda.loaded:
        return _cuda.cupy
    with _cuda_lock:
        if _cuda.loaded:
            return _cuda.cupy
        import os
        cupy, count, why = None, 0, ""
        if os.environ.get("EMBER_DISABLE_CUDA", "") not in ("", "0"):
            why = "disabled by EMBER_DISABLE_CUDA"
        else:
            try:
                import cupy
            except ImportError as exc:
                cupy, why = None, f"CuPy is not installed ({exc})"
            except Exception as exc:  # a broken install, a missing CUDA library
                cupy, why = None, f"importing CuPy failed: {type(exc).__name__}: {exc}"
        if cupy is not None:
            try:
                count = int(cupy.cuda.runtime.getDeviceCount())
            except Exception as exc:  # no driver, driver too old, ...
                cupy, why = None, ("CuPy is installed but the CUDA driver reported an error: "
                                   f"{type(exc).__name__}: {exc}")
            else:
                if count == 0:
                    cupy, why = None, "CuPy is installed but no CUDA device was found"
        if cupy is not None:
            DeviceArray.register(cupy.ndarray)
            _install_peak_tracker(cupy)
        _cuda.cupy, _cuda.count, _cuda.why, _cuda.loaded = cupy, count, why, True
        return cupy


def _install_peak_tracker(cupy) -> None:
    """Route CuPy's allocations through its default memory pool while recording, per GPU, the
    largest number of bytes in use right after an allocation (the peak can only be reached
    there): max_memory_allocated()."""
    pool = cupy.get_default_memory_pool()
    peak = _cuda.peak
    get_device = cupy.cuda.runtime.getDevice

    def malloc(size):
        mem = pool.malloc(size)
        d = get_device()
        used = pool.used_bytes()
        if used > peak.get(d, 0):
            peak[d] = used
        return mem

    cupy.cuda.set_allocator(malloc)


def cuda_device_count() -> int:
    load_cuda()
    return _cuda.count


def cuda_module():
    """The cupy module, or a RuntimeError saying why CUDA is unavailable."""
    cupy = load_cuda()
    if cupy is None:
        raise RuntimeError(_cuda_unavailable_message())
    return cupy


def cuda_peak_bytes(index: int) -> int:
    return _cuda.peak.get(index, 0)


def reset_cuda_peak(index: int) -> None:
    cupy = cuda_module()
    _cuda.peak[index] = cupy.get_default_memory_pool().used_bytes()


def _cuda_device(index: int | None) -> Device:
    cupy = load_cuda()
    if index is None:
        index = int(cupy.cuda.runtime.getDevice()) if cupy is not None else 0
    key = ("cuda", index)
    dev = _DEVICES.get(key)
    if dev is not None:
        return dev
    if cupy is None:
        dev = Device("cuda", index, None, why=_cuda_unavailable_message())
    elif index >= _cuda.count:
        dev = Device("cuda", index, None, why=_cuda_unavailable_message(
            f"there is no CUDA device {index}: CuPy sees {_cuda.count}"))
    else:
        import cupyx.scipy.special
        dev = _CudaDevice("cuda", index, cupy, special=_CupySpecial(cupy, cupyx.scipy.special))
    _DEVICES[key] = dev
    return dev


cpu = Device("cpu", None, np)
_DEVICES: dict[tuple[str, int | None], Device] = {("cpu", None): cpu}


class _DefaultDevice(threading.local):
    device = None


_default_device = _DefaultDevice()


def set_default_device(dev) -> None:
    """The device factories (zeros, tensor, randn, ...) use when given none, as
    torch.set_default_device; None restores the CPU."""
    _default_device.device = None if dev is None else device(dev)


def get_default_device() -> Device:
    return _default_device.device or cpu


def register_device(type_: str, index: int, xp) -> Device:
    """Make `device(f"{type_}:{index}")` a device whose arrays live in the namespace `xp`.
    The test suite registers a NumPy-backed second device this way ("fake:0"), so device
    placement, moves and the mixing error are tested without a GPU."""
    if type_ in ("cpu", "cuda"):
        raise ValueError(f"register_device: {type_!r} is built in")
    dev = Device(type_, index, xp)
    _DEVICES[(type_, index)] = dev
    return dev


def device(spec=None, index: int | None = None) -> Device:
    """`ember.device('cpu')`, `device('cuda')` (the current GPU), `device('cuda:1')`,
    `device('cuda', 1)`; `device(None)` is the default device (the CPU unless
    set_default_device says otherwise)."""
    if isinstance(spec, Device):
        return spec
    if spec is None:
        return _default_device.device or cpu
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec, index = "cuda", spec
    if not isinstance(spec, str):
        raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
    kind, _, num = spec.partition(":")
    if num:
        if index is not None:
            raise ValueError(f"device: index given twice in {spec!r} and index={index}")
        if not num.isdigit():
            raise ValueError(f"device: invalid device string {spec!r}")
        index = int(num)
    if kind == "cpu":
        if index not in (None, 0):
            raise ValueError(f"device: the CPU has no index {index}")
        return cpu
    if kind != "cuda":
        registered = _DEVICES.get((kind, 0 if index is None else index))
        if registered is not None:
            return registered
        raise ValueError(f"device: unknown device type {kind!r} in {spec!r}; expected 'cpu' or "
                         "'cuda'")
    if index is not None and index < 0:
        raise ValueError(f"device: negative CUDA device index {index}")
    return _cuda_device(index)


# ------------------------------------------------------------------------------------------- RNG

class Generator:
    """A random number generator: `ember.Generator(device='cpu')`, seeded with manual_seed().

    Every random function of ember takes `generator=`; without it the default generator is used,
    which `ember.manual_seed(n)` reseeds.
    """

    def __init__(self, device="cpu"):
        self.device = globals()["device"](device)
        self._initial_seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._initial_seed))

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {seed!r}")
        seed = seed % (1 << 64)
        self._initial_seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed used."""
        seed = int(np.random.SeedSequence().entropy) % (1 << 64)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict:
        return {"initial_seed": self._initial_seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, state: dict) -> Generator:
        self._initial_seed = state["initial_seed"]
        self._rng.bit_generator.state = state["bit_generator"]
        return self

    @property
    def rng(self):
        """The underlying NumPy random Generator (the CPU's; CuPy's on CUDA)."""
        return self._rng

    def __repr__(self) -> str:
        return f"<ember.Generator device={self.device}>"


default_generator = Generator("cpu")


def manual_seed(seed: int) -> Generator:
    """Seed the default generator so that every random function of ember is reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


# --------------------------------------------------------------------------------------- printing

def format_array(a, formatter, separator: str, prefix: str, linewidth: int = 80) -> str:
    """np.array2string with PyTorch's summarisation (more than 1000 elements: 3 at each edge)."""
    return np.array2string(np.asarray(a), max_line_width=linewidth, separator=separator,
                           prefix=prefix, formatter=formatter, threshold=1000, edgeitems=3)


def float_info(dtype: DType):
    return np.finfo(dtype.np)



# ------------------------------------------------------------------------------ CUDA matmul mode

def cuda_set_float32_matmul_tf32(enabled: bool) -> bool:
    """Let cuBLAS compute float32 matmuls with TF32 tensor cores (torch's allow_tf32); returns
    whether this CuPy supports switching it (cupy._core's set_compute_type)."""
    cupy = cuda_module()
    try:
        from cupy._core import _routines_linalg as rl
        kind = rl.COMPUTE_TYPE_TF32 if enabled else rl.COMPUTE_TYPE_DEFAULT
        rl.set_compute_type(cupy.float32, kind)
    except (ImportError, AttributeError):
        return False
    return True

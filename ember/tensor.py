"""Tensor: an n-dimensional array on a device, with the autograd fields that record its history.

The arithmetic and every other op are attached to Tensor by the op registry (ember/ops); this
module holds only what a tensor *is*: its data, device, dtype, gradient fields, conversions to
Python and NumPy, and its printing.
"""

from __future__ import annotations

import math
import warnings

from . import backend
from .autograd import grad_mode as _grad_mode

_engine = None  # ember.autograd.engine, see Tensor.backward


class Size(tuple):
    """A tensor's shape: a tuple that prints as `ember.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        return math.prod(self)


class Tensor:
    """An n-dimensional array of one dtype on one device, optionally recording autograd history.

    Create tensors with `ember.tensor`, `ember.zeros`, `ember.randn`, ...; the constructor is
    internal. `requires_grad=True` on a floating-point leaf makes ops record the graph, and
    `backward()` fills the leaves' `.grad`.
    """

    # The fields every op sets are slots; the rarely set ones are class-level defaults that an
    # instance overrides in its (lazily created) __dict__.
    __slots__ = ("_data", "_device", "_requires_grad", "grad_fn", "_vc", "_nr", "__dict__",
                 "__weakref__")  # (_nr: which output of grad_fn this tensor is)
    _grad = None
    _base = None          # the tensor whose memory this view shares
    _hooks = None         # {id: hook} of a leaf
    _post_accumulate_grad_hooks = None  # {id: hook(tensor)} of a leaf, run after .grad is set
    _retains_grad = False
    _inference = False    # made under inference_mode (see is_inference)
    name = None           # a label for printing graphs

    # NumPy binary ops with a Tensor on the right return NotImplemented, so Python calls ours.
    __array_ufunc__ = None

    def __init__(self, *args, **kwargs):
        raise TypeError("create tensors with ember.tensor(data), ember.zeros(shape), ...; "
                        "Tensor(...) is not a constructor in ember")

    # ------------------------------------------------------------------------------ properties
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> backend.DType:
        return backend.dtype_of_array(self._data)

    @property
    def device(self) -> backend.Device:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_leaf(self) -> bool:
        """True for tensors no recorded op made (made by the user, or not requiring grad)."""
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def output_nr(self) -> int:
        return self._nr

    @property
    def _version(self) -> int:
        """How many times this tensor (or a view of the same data) was modified in place."""
        return self._vc[0]

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward() (leaves, and non-leaves with retain_grad())."""
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: tensor shape "
                                   f"{tuple(self._data.shape)}, grad shape "
                                   f"{tuple(value._data.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: tensor dtype "
                                   f"{self.dtype}, grad dtype {value.dtype}")
            if value._device is not self._device:
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"tensor on {self._device}, grad on {value._device}")
        self._grad = value

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's storage, detached from the graph (PyTorch's `.data`)."""
        t = _make(self._data, self._device)
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    @property
    def T(self) -> Tensor:
        """All dims reversed (the transpose of a matrix)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped: a batch of matrices transposed."""
        if self.ndim < 2:
            raise RuntimeError(f"mT: tensor must have at least 2 dimensions, got shape "
                               f"{tuple(self.shape)}")
        return self.transpose(-2, -1)

    @property
    def H(self) -> Tensor:
        return self.T.conj() if self.is_complex() else self.T

    @property
    def mH(self) -> Tensor:
        return self.mT.conj() if self.is_complex() else self.mT

    @property
    def real(self) -> Tensor:
        from .ops import elementwise
        return elementwise.real(self)

    @property
    def imag(self) -> Tensor:
        from .ops import elementwise
        return elementwise.imag(self)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    # ------------------------------------------------------------------------- size queries
    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def get_device(self) -> int:
        return -1 if self._device.type == "cpu" else self._device.index

    # ----------------------------------------------------------------------- autograd fields
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records ops on this leaf tensor; returns self."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use "
                    "a computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self.dtype.category < 2:
            raise RuntimeError(f"only Tensors of floating point and complex dtype can require "
                               f"gradients, got {self.dtype}")
        self._requires_grad = bool(requires_grad)
        return self

    def is_inference(self) -> bool:
        """Whether this is an inference tensor, as PyTorch's: one made by an op (or a factory)
        under ember.inference_mode, or a view of one. An in-place op does not change it, nor is a
        view of a normal tensor an inference tensor, wherever it was made."""
        base = self._base
        return (self if base is None else base)._inference

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and version counter) with no autograd history."""
        t = _make(self._data, self._device)
        t._vc = self._vc
        t._base = self._base if self._base is not None else self
        return t

    def detach_(self) -> Tensor:
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("detach_: can't detach a view of a tensor that requires grad in "
                               "place; use detach()")
        self.grad_fn = None
        self._requires_grad = False
        self._nr = 0
        return self

    def retain_grad(self) -> None:
        """Make backward() also fill `.grad` of this non-leaf tensor."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retain(self._nr, self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor replaces
        the gradient. Returns a handle whose remove() unregisters the hook."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._nr, hook)
        if self._hooks is None:
            self._hooks = {}
        return _HookHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(self)` (which returns None) after backward() has accumulated this leaf's
        gradient into its `.grad` (not for autograd.grad, which accumulates nothing): the place
        to step an optimizer per parameter. Returns a handle whose remove() unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
        return _HookHandle(self._post_accumulate_grad_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into each leaf's `.grad` (the vector-Jacobian product with
        `gradient`, which may be omitted only for a one-element tensor)."""
        global _engine
        if _engine is None:  # (imported on first use: the engine imports this module)
            from .autograd import engine as _engine
        _engine.backward((self,), None if gradient is None else (gradient,), retain_graph,
                         create_graph, inputs)

    # ---------------------------------------------------------------------------- conversions
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be "
                               "converted to a Python scalar")
        return self._device.to_host(self._data).reshape(()).item()

    def tolist(self):
        return self._device.to_host(self._data).tolist()

    def numpy(self, *, force: bool = False):
        """The data as a NumPy array sharing memory (CPU tensors that do not require grad)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self._device} tensor to numpy. Use Tensor.cpu() "
                                "to copy the tensor to host memory first.")
            return self._device.to_host(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               "ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self._one_element("float"))

    def __int__(self) -> int:
        return int(self._one_element("int"))

    def __complex__(self) -> complex:
        return complex(self._one_element("complex"))

    def __index__(self) -> int:
        if self.dtype.category > 1 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def _one_element(self, what: str):
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars "
                             f"({what}() of a tensor of shape {tuple(self._data.shape)})")
        return self.item()

    def __hash__(self) -> int:
        return id(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("ember tensors are not pickled; use ember.save / ember.load (safetensors)")

    def __deepcopy__(self, memo):
        """copy.deepcopy, as PyTorch's: a graph leaf only; its values, requires_grad, .grad and
        attributes set on it are copied (a model deep-copied gets tensors of its own)."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment; detach() it first")
        if id(self) in memo:
            return memo[id(self)]
        import copy
        new = self._new_like(self._data.copy())
        memo[id(self)] = new
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        for key, value in self.__dict__.items():  # (a name, a user's attributes)
            if key not in _NOT_COPIED:
                setattr(new, key, copy.deepcopy(value, memo))
        return new

    def _new_like(self, data) -> Tensor:
        """A tensor of this class holding `data` (on this device), for __deepcopy__."""
        return _make(data, self._device)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        return _tensor_repr(self)

    __str__ = __repr__


class _HookHandle:
    """Returned by register_hook: remove() unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict, hook):
        self.hooks = hooks
        self.id = _HookHandle._next_id
        _HookHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _make(data, device) -> Tensor:
    """Wrap an array (already on `device`) in a Tensor that records no history."""
    t = _new(Tensor)
    t._data = data
    t._device = device
    t._requires_grad = False
    t.grad_fn = None
    t._vc = [0]
    t._nr = 0
    if _disabled[0] and _grad_state.inference:  # (made under inference_mode)
        t._inference = True
    return t


_new = object.__new__
_disabled, _grad_state = _grad_mode.disabled, _grad_mode.state  # (see grad_mode)
# a tensor's own bookkeeping in its __dict__, which a deep copy does not take over
_NOT_COPIED = frozenset({"_grad", "_base", "_hooks", "_post_accumulate_grad_hooks",
                         "_retains_grad", "_inference"})


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """A dim in [-ndim, ndim) made non-negative; IndexError naming the op otherwise."""
    try:
        dim = dim.__index__()
    except AttributeError:
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}") from None
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimension"
                         f"{'s' if ndim != 1 else ''} (expected to be in range of [{-n}, {n - 1}])")
    return dim + n if dim < 0 else dim


# ---------------------------------------------------------------------------------------- repr

def _float_formatter(values):
    """PyTorch's float formatting: integers as '1.', else 4 decimals, scientific when the range is
    wide; every element padded to the width of the widest non-zero finite one."""
    finite = [v for v in values if math.isfinite(v) and v != 0]
    int_mode = all(v == math.ceil(v) for v in finite)
    sci = False
    if finite:
        amax = max(abs(v) for v in finite)
        amin = min(abs(v) for v in finite)
        if int_mode:
            sci = amax / amin > 1000.0 or amax > 1.0e8
        else:
            sci = amax / amin > 1000.0 or amax > 1.0e8 or amin < 1.0e-4

    def fmt(v):
        if sci:
            return f"{v:.4e}"
        if int_mode:
            s = f"{v:.0f}"
            return s + "." if math.isfinite(v) else s
        return f"{v:.4f}"

    width = max((len(fmt(v)) for v in finite), default=1)
    return lambda v: fmt(float(v)).rjust(width)


def _tensor_repr(t: Tensor) -> str:
    host = t._device.to_host(t._data)
    dtype = t.dtype
    prefix = "tensor("
    if host.size == 0:
        body = "[]"
    else:
        flat = host.reshape(-1)
        if flat.size > 1000 and host.ndim > 0:
            # format only what is shown, as PyTorch does
            sample = _summary_values(host)
        else:
            sample = flat.tolist()
        if dtype.category == 2:
            f = _float_formatter(sample)
            formatter = {"float_kind": f}
        elif dtype.category == 0:
            formatter = {"bool": lambda v: str(bool(v)).rjust(5)}
        elif dtype.category == 1:
            width = max(len(str(int(v))) for v in sample)
            formatter = {"int": lambda v: str(int(v)).rjust(width)}
        else:
            formatter = {"complex_kind": lambda v: _complex_str(v)}
        body = backend.format_array(host, formatter, ", ", prefix)
        if host.ndim == 0:
            body = body.strip()
    extras = []
    if t._device.type != "cpu":
        extras.append(f"device='{t._device}'")
    if host.size == 0 and host.ndim != 1:
        extras.append(f"size={tuple(host.shape)}")
    default = (backend.get_default_dtype(), backend.int64, backend.bool_,
               backend.default_complex_dtype())
    if dtype not in default or (host.size == 0 and dtype is not backend.get_default_dtype()):
        extras.append(f"dtype={dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    tail = "".join(", " + e for e in extras)
    return f"{prefix}{body}{tail})"


def _summary_values(host):
    """The elements a summarised print shows (3 at each edge of every dim)."""
    idx = []
    for n in host.shape:
        idx.append(list(range(min(3, n))) + list(range(max(3, n - 3), n)))
    sub = host
    for axis, keep in enumerate(idx):
        sub = sub.take(keep, axis=axis)
    return sub.reshape(-1).tolist()


def _complex_str(v) -> str:
    return f"{v.real:.4f}{v.imag:+.4f}j"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)

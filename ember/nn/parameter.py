"""Parameter: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor, _make, _tensor_repr


class Parameter(Tensor):
    """A leaf Tensor that requires grad (by default) and that assigning to a Module attribute
    registers in the module's parameters.

    `Parameter(data)` shares `data`'s memory, as in PyTorch. `Parameter()` is an empty float
    tensor.

    Args:
        data: the initial values (a floating-point Tensor).
        requires_grad: whether autograd records ops on it (default True).
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data_arr = backend.cpu.xp.empty((0,), dtype=backend.get_default_dtype().np)
            device = backend.cpu
            vc = [0]
        elif isinstance(data, Tensor):
            data_arr, device, vc = data._data, data._device, data._vc
        else:
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        if requires_grad and data_arr.dtype.kind not in "fc":
            raise RuntimeError(f"Parameter: only Tensors of floating point and complex dtype can "
                               f"require gradients, got {backend.dtype_of_array(data_arr)}")
        self = object.__new__(cls)
        self._data = data_arr
        self._device = device
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._vc = vc
        self._nr = 0
        return self

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + _tensor_repr(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(_copy_tensor(self), self._requires_grad)
        memo[id(self)] = result
        return result


class Buffer(Tensor):
    """Marks a tensor to register as a buffer when assigned to a Module attribute
    (`self.running = nn.Buffer(ember.zeros(3))`), as torch.nn.Buffer. `persistent=False` keeps it
    out of the state_dict."""

    def __new__(cls, data: Tensor, *, persistent: bool = True):
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: data must be a Tensor, got {type(data).__name__}")
        self = object.__new__(cls)
        self._data = data._data
        self._device = data._device
        self._requires_grad = False
        self.grad_fn = None
        self._vc = data._vc
        self._nr = 0
        self.persistent = persistent
        return self

    def __init__(self, data: Tensor, *, persistent: bool = True):
        pass

    def _new_like(self, data) -> Tensor:
        return Buffer(_make(data, self._device), persistent=self.persistent)


def _copy_tensor(t: Tensor) -> Tensor:
    return _make(t._data.copy(), t._device)

"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from __future__ import annotations

import operator
from collections import OrderedDict

from ..functional.conv import _relu_max_pool2d
from ..module import Module, _addindent
from ..parameter import Parameter
from .activation import ReLU
from .conv import MaxPool2d


def _no_hooks(m: Module) -> bool:
    return not (m._forward_pre_hooks or m._forward_hooks or m._backward_hooks)


def _relu_then_max_pool(a: Module, b: Module) -> bool:
    """A plain ReLU followed by a plain MaxPool2d, neither with hooks (which could see or
    change the intermediate): Sequential may run them as one fused op."""
    return (type(a) is ReLU and type(b) is MaxPool2d and not a.inplace
            and not b.return_indices and _no_hooks(a) and _no_hooks(b))


def _index(idx: int, n: int, what: str) -> int:
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {what} of length {n}")
    return idx % n if n else idx


class Sequential(Module):
    """Modules applied in order: Sequential(m1, m2, ...) or Sequential(OrderedDict(name=m)).
    Supports indexing, slicing (a new Sequential), len, iteration, append, insert, extend,
    pop and deletion."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        modules = list(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            m = modules[i]
            if i + 1 < n and _relu_then_max_pool(m, modules[i + 1]):
                # ReLU -> MaxPool2d as one op (the ReLU runs on the 4x smaller pooled output);
                # the intermediate is invisible here, so the result is the same
                p = modules[i + 1]
                input = _relu_max_pool2d(input, p.kernel_size, p.stride, p.padding, p.dilation,
                                         p.ceil_mode)
                i += 2
                continue
            input = m(input)
            i += 1
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module: Module) -> None:
        keys = list(self._modules)
        setattr(self, keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            for k in keys[idx]:
                del self._modules[k]
        else:
            del self._modules[keys[_index(idx, len(keys), "Sequential")]]
        # renumber so that the string indices stay 0..n-1, as PyTorch does
        items = list(self._modules.values())
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m
        return self

    def extend(self, sequential) -> Sequential:
        for m in sequential:
            self.append(m)
        return self

    def pop(self, key: int) -> Module:
        m = self[key]
        del self[key]
        return m

    def __add__(self, other: Sequential) -> Sequential:
        ret = Sequential()
        for m in self:
            ret.append(m)
        for m in other:
            ret.append(m)
        return ret


class ModuleList(Module):
    """A list of modules, registered (their parameters are the container's)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx) -> None:
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index(idx, len(items), "ModuleList")]
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return ModuleList(list(self) + list(other))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def pop(self, key: int = -1) -> Module:
        m = self[key]
        del self[key]
        return m

    def index(self, module: Module) -> int:
        for i, m in enumerate(self):
            if m is module:
                return i
        raise ValueError(f"{module} is not in list")

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList is a container and has no forward; iterate over it")

    def __repr__(self) -> str:
        """PyTorch's ModuleList repr: a run of consecutive children with the same repr is one
        line, `(start-end): n x <repr>`; an empty list is `ModuleList()`."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [start, end, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, r in runs:
            head = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append(_addindent(head + r, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for key, m in items:
            self[key] = m

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict is a container and has no forward")


class ParameterList(Module):
    """A list of Parameters, registered as '0', '1', ... (tensors are wrapped as Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _wrap(self, value):
        from ...tensor import Tensor
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        return value

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_index(idx, len(self), "ParameterList")))

    def __setitem__(self, idx: int, value) -> None:
        idx = _index(idx, len(self), "ParameterList")
        setattr(self, str(idx), self._wrap(value))

    def append(self, value) -> ParameterList:
        new = self._size
        self._size += 1
        setattr(self, str(new), self._wrap(value))
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def extra_repr(self) -> str:
        lines = []
        for i, p in enumerate(self):
            size = "x".join(str(s) for s in p.shape)
            lines.append(f"({i}): Parameter containing: [{type(p).__name__} of size {size}]")
        return "\n".join(lines)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList is a container and has no forward")


class ParameterDict(Module):
    """An ordered dict of Parameters, registered under their keys."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    def _wrap(self, value):
        from ...tensor import Tensor
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        return value

    def __getitem__(self, key: str):
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        self._keys[key] = None
        setattr(self, key, self._wrap(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def pop(self, key: str):
        v = self[key]
        del self[key]
        return v

    def clear(self) -> None:
        for k in list(self._keys):
            del self[k]

    def update(self, parameters) -> None:
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for k, v in items:
            self[k] = v

    def extra_repr(self) -> str:
        lines = []
        for k, p in self.items():
            size = "x".join(str(s) for s in p.shape)
            lines.append(f"({k}): Parameter containing: [{type(p).__name__} of size {size}]")
        return "\n".join(lines)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict is a container and has no forward")

"""Module: the base class of every layer and model.

Assigning a Parameter, a Module or a registered buffer to an attribute registers it (PyTorch's
`__setattr__` registries), so `named_parameters()` and `state_dict()` find them with dotted names
(`features.0.weight`). A state_dict holds the same keys and shapes as PyTorch's for the same
model, so PyTorch weights (as NumPy arrays) load into the ember model.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from contextlib import contextmanager

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _HookHandle, _make
from .parameter import Buffer, Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns, printed as PyTorch's."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base class of layers and models: subclass it, create sub-modules and Parameters in
    `__init__`, compute in `forward`, and call the module (`model(x)`), which runs the hooks
    around forward.

    ```
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x).relu()
    ```
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", OrderedDict())
        setattr_(self, "_buffers", OrderedDict())
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks_with_kwargs", set())
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_hooks_with_kwargs", set())
        setattr_(self, "_backward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    # ------------------------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        state = None
        if self._backward_hooks:
            state = _BackwardHookState(self)
            args = state.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hid, hook in list(self._forward_hooks.items()):
            if hid in self._forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:
                output = result
        if state is not None:
            output = state.wrap_outputs(output)
        return output

    # ------------------------------------------------------------------------- registration
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._parameters, self._buffers)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (ember.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(ember.Tensor or None expected)")
            persistent = getattr(value, "persistent", name not in
                                 self._non_persistent_buffers_set)
            self._remove_from(name, self.__dict__, self._parameters, self._modules)
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts) -> None:
        for d in dicts:
            d.pop(name, None)

    def __getattr__(self, name: str):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            reg = d.get(registry)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_name(self, kind: str, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\", got {name!r}")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent parameter such as a missing bias)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (ember.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             "parameters must be created explicitly.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (running statistics). Persistent buffers
        are part of the state_dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (ember.Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = _make(tensor._data, tensor._device)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path ('' is self); AttributeError naming the missing part."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # -------------------------------------------------------------------------- iteration
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True):
        """(dotted name, module) for self and every module below, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix: str, recurse: bool, remove_duplicate: bool):
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """(dotted name, Parameter) of this module and (recurse=True) every sub-module; a
        parameter shared by two modules comes once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) here and below."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's .grad (set to None, or zero it in place)."""
        for p in self.parameters():
            if p._grad is not None:
                if set_to_none:
                    p._grad = None
                else:
                    p._grad = p._grad.detach()
                    p._grad._data[...] = 0

    # ---------------------------------------------------------------- conversions, apply
    def apply(self, fn) -> Module:
        """Call fn(module) on every sub-module (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert, device=None) -> Module:
        """Replace every parameter's and buffer's array by convert(array) in place, keeping the
        Parameter objects (so an optimizer built before still holds them); with `device`, the
        tensors are marked as living there (convert put their arrays there)."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is None:
                    continue
                new = convert(p)
                moved = device is not None and p._device is not device
                if new is not p._data or moved:
                    p._data = new
                    p._vc = [0]
                    if moved:
                        p._device = device
                if p._grad is not None:
                    g = convert(p._grad)
                    p._grad = _make(g, p._device)
            for name, b in m._buffers.items():
                if b is not None:
                    new = convert(b)
                    if new is not b._data or (device is not None and b._device is not device):
                        m._buffers[name] = _make(new, device or b._device)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Cast floating-point parameters and buffers to a dtype and/or move them to a device:
        to(dtype), to(device), to(device, dtype), to(tensor). Modifies the module in place."""
        dtype, device = _parse_to_args(args, kwargs)
        if device is not None:
            device.check_available()
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(t: Tensor):
            data = t._data
            if dtype is not None and t.dtype.category >= 2 and data.dtype != dtype.np:
                data = data.astype(dtype.np)
            if device is not None and t._device is not device:
                data = device.asarray(t._device.to_host(data))
            return data

        return self._apply_to_tensors(convert, device)

    def float(self) -> Module:
        return self.to(backend.float32)

    def double(self) -> Module:
        return self.to(backend.float64)

    def half(self) -> Module:
        return self.to(backend.float16)

    def cpu(self) -> Module:
        return self.to(backend.cpu)

    def cuda(self, device=None) -> Module:
        return self.to(backend.device("cuda" if device is None else device))

    def type(self, dst_type) -> Module:
        return self.to(dst_type)

    # ------------------------------------------------------------------------ state_dict
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict of every parameter and persistent buffer by dotted name (tensors
        detached unless keep_vars=True), the same keys PyTorch gives the same model."""
        if args:  # PyTorch's deprecated positional form (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars])[:3]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def _state_entries(self):
        """(key, module, registry name, attribute name) of every state_dict entry."""
        entries = []
        for mod_prefix, m in self.named_modules(remove_duplicate=False):
            pre = mod_prefix + "." if mod_prefix else ""
            for name, p in m._parameters.items():
                if p is not None:
                    entries.append((pre + name, m, "_parameters", name))
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent_buffers_set:
                    entries.append((pre + name, m, "_buffers", name))
        return entries

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from `state_dict` (values: ember Tensors or arrays, e.g.
        a PyTorch state_dict converted with `.numpy()`) into this module.

        Returns (missing_keys, unexpected_keys). Raises RuntimeError listing every problem:
        values whose shape differs from the module's (key, expected shape, given shape) always;
        with strict=True also the missing and the unexpected keys.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        entries = self._state_entries()
        known = {key for key, *_ in entries}
        missing, mismatched, wrong_type = [], [], []
        updates = []
        for key, m, registry, name in entries:
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            current = getattr(m, registry)[name]
            if isinstance(value, Tensor):
                arr, src_device = value._data, value._device
            elif backend.is_array(value) or backend.is_numpy_scalar(value):
                arr, src_device = backend.cpu.xp.asarray(value), backend.cpu
            else:
                wrong_type.append((key, type(value).__name__))
                continue
            if tuple(arr.shape) != tuple(current._data.shape):
                mismatched.append((key, tuple(current._data.shape), tuple(arr.shape)))
                continue
            updates.append((m, registry, name, current, arr, src_device))
        unexpected = [k for k in state_dict.keys() if k not in known]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ".")
        for key, expected, given in mismatched:
            errors.append(f"size mismatch for {key}: copying a param with shape "
                          f"{_shape_repr(given)} from checkpoint, the shape in current model is "
                          f"{_shape_repr(expected)}.")
        for key, tname in wrong_type:
            errors.append(f"While copying the parameter named \"{key}\", expected a Tensor or an "
                          f"array from the checkpoint but received {tname}.")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for m, registry, name, current, arr, src_device in updates:
                if src_device is not current._device:
                    arr = current._device.asarray(src_device.to_host(arr))
                if assign:
                    if registry == "_parameters":
                        m._parameters[name] = Parameter(_make(arr.astype(current._data.dtype),
                                                              current._device),
                                                        current._requires_grad)
                    else:
                        m._buffers[name] = _make(arr.copy(), current._device)
                else:
                    current._data[...] = arr
                    current._vc[0] += 1
        return _IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------------------- hooks
    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> _HookHandle:
        """hook(module, args) -> None or new args (with_kwargs: hook(module, args, kwargs) ->
        None or (args, kwargs)), run before forward."""
        handle = _HookHandle(self._forward_pre_hooks, hook)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False,
                              with_kwargs: bool = False) -> _HookHandle:
        """hook(module, args, output) -> None or a new output (with_kwargs: hook(module, args,
        kwargs, output)), run after forward."""
        handle = _HookHandle(self._forward_hooks, hook)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """hook(module, grad_input, grad_output) -> None or new grad_input, called when the
        gradients with respect to the module's tensor inputs have been computed (grad_input
        holds None for inputs that do not require grad)."""
        handle = _HookHandle(self._backward_hooks, hook)
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------------------ repr
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in its repr (layers show their
        configuration)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(m), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


@contextmanager
def _reparametrized(module: Module, tensors: dict, tie_weights: bool = True,
                    strict: bool = False):
    """Within the block, `module` computes with `tensors` (by state_dict name) in place of its
    parameters and buffers (a name that is neither sets a plain attribute, as PyTorch's
    stateless reparametrization); its own are put back on exit, even when the block raises.
    tie_weights: a value given for one name of a tensor the module holds under several (tied
    weights) replaces it under all of them. strict: RuntimeError naming the missing and the
    unexpected keys."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    if tie_weights:
        tensors = _untie(named, tensors)
    if strict:
        missing, unexpected = sorted(set(named) - set(tensors)), sorted(set(tensors) - set(named))
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(errors))
    slots = []
    for key, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: the value for {key!r} must be a Tensor, got "
                            f"{type(value).__name__}")
        path, _, name = key.rpartition(".")
        owner = module.get_submodule(path)
        if name in owner._modules:
            raise TypeError(f"functional_call: {key!r} names a sub-module, not a parameter or "
                            "buffer")
        slots.append((owner._parameters if name in owner._parameters else
                      owner._buffers if name in owner._buffers else owner.__dict__, name, value))
    saved = []
    try:
        for registry, name, value in slots:
            saved.append((registry, name, registry.get(name, _ABSENT)))
            registry[name] = value
        yield
    finally:
        for registry, name, old in reversed(saved):
            if old is _ABSENT:
                del registry[name]
            else:
                registry[name] = old


_ABSENT = object()


def _untie(named: dict, tensors: dict) -> dict:
    """`tensors` with the value given for a name of a tied tensor (one held under several names)
    given for all of its names; ValueError where different values are given for one tensor."""
    names_of = {}
    for name, t in named.items():
        names_of.setdefault(id(t), []).append(name)
    untied = dict(tensors)
    for names in names_of.values():
        given = [n for n in names if n in tensors]
        if len(names) < 2 or not given:
            continue
        if len({id(tensors[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in names:
            untied[n] = tensors[given[0]]
    return untied


def _shape_repr(shape: tuple) -> str:
    return f"ember.Size({list(shape)})"


def _parse_to_args(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, backend.DType):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a._device
        elif isinstance(a, (str, backend.Device)):
            device = backend.device(a)
        elif a in (float, int, bool, complex):
            dtype = backend.to_dtype(a)
        else:
            raise TypeError(f"to() received an invalid argument {a!r}")
    if device is not None:
        device = backend.device(device)
    if dtype is not None:
        dtype = backend.to_dtype(dtype, "to")
    return dtype, device


# ---------------------------------------------------------------------- full backward hooks

class _HookIdentity(Function):
    """Identity on tensors whose backward hands the gradients to a callback (which may replace
    them): how register_full_backward_hook sees a module's input and output gradients."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        new = ctx.callback(grads)
        return (None, *(grads if new is None else new))


class _BackwardHookState:
    """The gradients of one module call on their way to the module's backward hooks."""

    def __init__(self, module: Module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.inputs_hooked = False

    def wrap_inputs(self, args: tuple) -> tuple:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        needs = [i for i in positions if args[i].requires_grad]
        if not needs:
            return args
        self.inputs_hooked = True
        wrapped = _HookIdentity.apply(self._on_input_grads, *(args[i] for i in needs))
        args = list(args)
        for i, w in zip(needs, wrapped):
            args[i] = w
        self.input_positions = positions
        self.needs = needs
        return tuple(args)

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        outs = (output,) if single else output
        if not isinstance(outs, tuple):
            return output
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return output
        wrapped = _HookIdentity.apply(self._on_output_grads, *(outs[i] for i in idx))
        outs = list(outs)
        for i, w in zip(idx, wrapped):
            outs[i] = w
        return outs[0] if single else tuple(outs)

    def _on_output_grads(self, grads):
        self.grad_outputs = tuple(grads)
        if not self.inputs_hooked:
            self._run_hooks((None,) * max(self.n_inputs, 1))
        return None

    def _on_input_grads(self, grads):
        full = [None] * len(self.input_positions)
        for pos, g in zip(self.needs, grads):
            full[self.input_positions.index(pos)] = g
        result = self._run_hooks(tuple(full))
        if result is None:
            return None
        return tuple(result[self.input_positions.index(pos)] for pos in self.needs)

    def _run_hooks(self, grad_input: tuple):
        changed = None
        for hook in list(self.module._backward_hooks.values()):
            out = hook(self.module, grad_input if changed is None else changed,
                       self.grad_outputs)
            if out is not None:
                out = tuple(out)
                if len(out) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(grad_input)}")
                changed = out
        return changed



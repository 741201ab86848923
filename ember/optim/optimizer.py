"""Optimizer: the base class of every optimisation algorithm.

The base holds what all algorithms share (PyTorch's contract): param_groups with per-group
hyper-parameters, per-parameter state, zero_grad, step(closure), add_param_group, and
state_dict / load_state_dict so that a resumed run continues bit for bit. An algorithm
subclass writes only its per-parameter rule (MLX's style): `_init_state(p, state, group)` and
`_update(p, g, state, group)`, which work on the arrays in place (ufuncs with `out=`, no
autograd). Large parameters are updated in cache-sized chunks (`_chunked`), so that the dozen
passes of an update rule run over data that stays in the CPU cache. An algorithm may also
update a group's parameters together (`_update_group`: Adam does, in one call of its compiled
loop).
"""

from __future__ import annotations

import copy
from collections import defaultdict

from .. import backend
from ..autograd.grad_mode import enable_grad, no_grad
from ..nn._parallel import parallel_for
from ..tensor import Tensor, _make

CHUNK = 1 << 16          # elements per chunk of a large parameter's update (256 KiB of float32)
CHUNK_MIN = 1 << 20      # parameters smaller than this are updated on the calling thread only
# elements per chunk when the chunks are shared among threads: larger, because every ufunc call
# gives up the GIL and takes it back, and with two threads calling, each hand-over waits on the
# other (the 10M-element Adam update: 18-19 ms in 64K chunks, 15-16.5 in 128K, 16-17 in 256K)
CHUNK_PARALLEL = 1 << 17


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of the optimizers.

    Args:
        params: an iterable of Tensors, or of dicts defining parameter groups (a dict holds
            'params' and any hyper-parameters that override the defaults for that group).
        defaults: the default hyper-parameters of each group.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, (Tensor, set)):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # ----------------------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own hyper-parameters) to optimise."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------------------- step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all optimised parameters (None, or zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        p._grad._data[...] = 0

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; closure (re-evaluating the loss)
        is called first, with grad enabled, and its loss returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            items = []
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    self._init_state(p, state, group)
                items.append((p, g, state))
            self._update_group(items, group)
            for p, _, _ in items:
                p._vc[0] += 1
        return loss

    def _update_group(self, items: list, group: dict) -> None:
        """Update the (parameter, gradient, state) items of one group: one `_update` each,
        unless the algorithm does them together."""
        for p, g, state in items:
            self._update(p, g, state, group)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        """Create the per-parameter state (buffers, step counter)."""

    def _update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    # --------------------------------------------------------------------------- helpers
    @staticmethod
    def _zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
        xp = p._device.xp
        data = xp.zeros_like(p._data) if fill == 0.0 else xp.full_like(p._data, fill)
        return _make(data, p._device)

    @staticmethod
    def _chunked(fn, *tensors) -> None:
        """Call fn(*arrays, scratch) on the (same-shaped) tensors' data, scratch being an empty
        array of the same shape. A parameter of more than two CHUNKs is split into cache-sized
        chunks, so that the dozen passes of an update rule run over data that stays in the CPU
        cache (a 784x512 weight's Adam update: 0.86 ms instead of 1.27 ms, whole arrays being
        streamed from memory twelve times); from CHUNK_MIN elements on, the chunks are shared
        among the cores (ember.nn._parallel). Below that, handing chunks to another thread costs
        more than it saves, all the more right after a matrix product, while OpenBLAS's worker
        still spins on the other core. A compiled rule (fn.single_pass: one pass, no scratch)
        runs in one call; the extension shares it among the cores itself (ember.kernels)."""
        arrays = [t._data if isinstance(t, Tensor) else t for t in tensors]
        xp = tensors[0]._device.xp
        n = arrays[0].size
        if getattr(fn, "single_pass", False):
            # a compiled rule: one pass, no scratch, split across the cores by the extension
            fn(*arrays, None)
            return
        if n <= 2 * CHUNK or not all(a.flags.c_contiguous for a in arrays) \
                or xp is not backend.cpu.xp:
            fn(*arrays, xp.empty(arrays[0].shape, dtype=arrays[0].dtype))
            return
        flats = [a.reshape(-1) for a in arrays]
        size = CHUNK if n < CHUNK_MIN else CHUNK_PARALLEL
        n_chunks = -(-n // size)

        def run(lo, hi):
            scratch = xp.empty(size, dtype=arrays[0].dtype)
            for k in range(lo, hi):
                start, stop = k * size, min((k + 1) * size, n)
                fn(*(f[start:stop] for f in flats), scratch[:stop - start])

        if n < CHUNK_MIN:
            run(0, n_chunks)
        else:
            parallel_for(run, n_chunks, n)

    # ------------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{hyper-parameters, 'params':
        [indices]}]}: parameters are numbered in the order of the groups, as PyTorch does."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state from state_dict() (a deep copy is taken; state
        tensors are cast to their parameter's floating dtype and device)."""
        state_dict = _deepcopy(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, the "
                             f"optimizer has {len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group {i} of "
                                 f"{len(s['params'])} parameters that doesn't match the size of "
                                 f"optimizer's group ({len(g['params'])} parameters)")
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups):
            for p, idx in zip(g["params"], s["params"]):
                id_map[idx] = p
        self.state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            key = int(key)
            if key not in id_map:
                continue
            p = id_map[key]
            self.state[p] = {name: _cast_state(p, name, v) for name, v in value.items()}
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            s = dict(s)
            s["params"] = g["params"]
            for k, v in s.items():
                if isinstance(v, list) and k != "params":
                    s[k] = tuple(v) if isinstance(g.get(k), tuple) else v
            new_groups.append(s)
        self.param_groups = new_groups


def _deepcopy(obj):
    if isinstance(obj, Tensor):
        return _make(obj._data.copy(), obj._device)
    if isinstance(obj, dict):
        return {k: _deepcopy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_deepcopy(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_deepcopy(v) for v in obj)
    return copy.deepcopy(obj)


# per-parameter state that ember keeps as Python numbers and PyTorch as 0-d tensors
_SCALAR_STATE = ("step", "mu_product")


def _cast_state(p: Tensor, name: str, value):
    if name in _SCALAR_STATE and (isinstance(value, Tensor) or backend.is_array(value)
                                  or backend.is_numpy_scalar(value)):
        data = value._device.to_host(value._data) if isinstance(value, Tensor) else value
        if getattr(data, "size", 1) == 1:
            number = float(data.reshape(()) if hasattr(data, "reshape") else data)
            return int(number) if name == "step" and number.is_integer() else number
    if not isinstance(value, Tensor):
        if backend.is_array(value):
            value = _make(backend.cpu.xp.asarray(value), backend.cpu)
        else:
            return value
    data = value._data
    if value._device is not p._device:
        data = p._device.asarray(value._device.to_host(data))
    if name != "step" and data.dtype.kind in "fc" and data.dtype != p._data.dtype:
        data = data.astype(p._data.dtype)
    return _make(data, p._device)


def _get_scalar(group: dict, name: str):
    v = group[name]
    return v.item() if isinstance(v, Tensor) else v

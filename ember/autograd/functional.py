"""Higher-level autograd: Jacobians, Hessians and (vector) products, as torch.autograd.functional.

Every function takes `func` and `inputs` (a Tensor or a tuple of Tensors). A tuple of inputs
gives a tuple of results, one per input; a tuple of outputs gives a tuple of tuples
(`result[i][j]` is d output_i / d input_j). Results are detached unless create_graph=True, which
keeps them differentiable (so a Jacobian can itself be differentiated).

Forward-mode products (jvp, hvp) use the double-backward trick: for g(u) = J^T u, the product
J v is the gradient of <g(u), v> with respect to u, so reverse mode computes them exactly.
"""

from __future__ import annotations

from ..tensor import Tensor, _make
from . import engine
from .grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    if isinstance(x, Tensor):
        return False, (x,)
    if isinstance(x, (tuple, list)) and all(isinstance(t, Tensor) for t in x):
        return True, tuple(x)
    raise TypeError(f"{fn}: the {what} must be a Tensor or a tuple of Tensors, got "
                    f"{type(x).__name__}")


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs the function is evaluated at: fresh leaves requiring grad, or (create_graph with
    inputs already in a graph) differentiable aliases, so the result stays connected."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(t.dtype.category >= 2))
    return tuple(out)


def _zeros_like(t: Tensor) -> Tensor:
    return _make(t._device.xp.zeros_like(t._data), t._device)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, fn: str,
           what: str = "output") -> tuple:
    """autograd.grad with independent inputs as zeros (or an error under strict=True)."""
    outputs = [o for o in outputs]
    if not any(o.requires_grad for o in outputs):
        if strict:
            raise RuntimeError(f"{fn}: the {what} of the function does not require gradients "
                               "(it does not depend on the inputs), which strict=True forbids")
        return tuple(_zeros_like(t) for t in inputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    grads = engine.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
    result = []
    for i, (t, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the {what} of the function is independent of input "
                                   f"{i}, which strict=True forbids")
            g = _zeros_like(t)
        result.append(g)
    return tuple(result)


def _check_outputs(outputs, fn: str) -> tuple[bool, tuple]:
    is_tuple, outs = _as_tuple(outputs, "function's output", fn)
    return is_tuple, outs


def _finish(t: Tensor, create_graph: bool) -> Tensor:
    return t if create_graph else t.detach()


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product. v may be omitted for a one-element
    output."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _check_outputs(func(*xs), "vjp")
        if v is None:
            if any(o.numel() != 1 for o in outs):
                raise RuntimeError("vjp: the vector v can only be None if the user-provided "
                                   "function returns a single Tensor with a single element")
            v = tuple(_make(o._device.xp.ones_like(o._data), o._device) for o in outs)
        _, v = _as_tuple(v, "v", "vjp")
        _check_shapes(v, outs, "vjp", "v", "output")
        grads = _grads(outs, xs, v, create_graph, strict, "vjp")
    outs = tuple(_finish(o, create_graph) for o in outs)
    grads = tuple(_finish(g, create_graph) for g in grads)
    return (outs if out_tuple else outs[0]), (grads if inputs_tuple else grads[0])


def _check_shapes(vs, ts, fn: str, vname: str, tname: str) -> None:
    if len(vs) != len(ts):
        raise RuntimeError(f"{fn}: {vname} has {len(vs)} tensors but there are {len(ts)} "
                           f"{tname}s")
    for i, (a, b) in enumerate(zip(vs, ts)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{fn}: entry {i} of {vname} has shape {tuple(a.shape)} but the "
                               f"{tname} has shape {tuple(b.shape)}")


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product (a directional derivative). v may be
    omitted for a one-element input."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if any(t.numel() != 1 for t in inputs):
            raise RuntimeError("jvp: the vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single element")
        v = tuple(_make(t._device.xp.ones_like(t._data), t._device) for t in inputs)
    _, v = _as_tuple(v, "v", "jvp")
    _check_shapes(v, inputs, "jvp", "v", "input")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _check_outputs(func(*xs), "jvp")
        # g(u) = J^T u is linear in u; J v = d <g(u), v> / du
        us = tuple(_make(o._device.xp.zeros_like(o._data), o._device).requires_grad_()
                   for o in outs)
        g = _grads(outs, xs, us, True, strict, "jvp")
        inner = [gi for gi in g if gi.requires_grad]
        vs = [vi for gi, vi in zip(g, v) if gi.requires_grad]
        if inner:
            jv = engine.grad(inner, us, vs, create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
        jv = tuple(_zeros_like(o) if j is None else j for o, j in zip(outs, jv))
    outs = tuple(_finish(o, create_graph) for o in outs)
    jv = tuple(_finish(j, create_graph) for j in jv)
    return (outs if out_tuple else outs[0]), (jv if out_tuple else jv[0])


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian d func(inputs) / d inputs: for an output of shape S and an input of shape T
    a tensor of shape S + T. Tuples of inputs and/or outputs give (nested) tuples.

    Computed row by row in reverse mode (strategy='forward-mode' computes it column by column
    with the double-backward trick instead). `vectorize` is accepted for PyTorch compatibility;
    the rows are computed one after the other either way."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got "
                         f"{strategy!r}")
    return _jacobian(func, inputs, create_graph, strict, strategy, "jacobian", "output")


def _jacobian(func, inputs, create_graph, strict, strategy, fn, what):
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _check_outputs(func(*xs), fn)
        if strategy == "forward-mode":
            jac = _jacobian_columns(outs, xs, create_graph, strict, fn, what)
        else:
            jac = _jacobian_rows(outs, xs, create_graph, strict, fn, what)
    jac = tuple(tuple(_finish(j, create_graph) for j in row) for row in jac)
    if not inputs_tuple:
        jac = tuple(row[0] for row in jac)
    return jac if out_tuple else jac[0]


def _jacobian_rows(outs, xs, create_graph, strict, fn="jacobian", what="output") -> list:
    from ..ops.shape import stack
    result = []
    for i, out in enumerate(outs):
        n = out.numel()
        rows = [[] for _ in xs]
        xp = out._device.xp
        for k in range(n):
            seed = xp.zeros(n, dtype=out._data.dtype)
            seed[k] = 1
            g = _make(seed.reshape(out._data.shape), out._device)
            grads = _grads([out], xs, [g], create_graph, strict, fn, f"{what} {i}")
            for r, gr in zip(rows, grads):
                r.append(gr)
        blocks = []
        for x, r in zip(xs, rows):
            shape = tuple(out.shape) + tuple(x.shape)
            if n == 0:
                blocks.append(_make(xp.zeros(shape, dtype=x._data.dtype), x._device))
            else:
                blocks.append(stack(r).reshape(shape))
        result.append(tuple(blocks))
    return result


def _jacobian_columns(outs, xs, create_graph, strict, fn="jacobian", what="output") -> list:
    from ..ops.shape import stack
    us = tuple(_make(o._device.xp.zeros_like(o._data), o._device).requires_grad_() for o in outs)
    g = _grads(outs, xs, us, True, strict, fn, what)
    columns = [[[] for _ in xs] for _ in outs]
    for j, (x, gj) in enumerate(zip(xs, g)):
        xp = x._device.xp
        for k in range(x.numel()):
            seed = xp.zeros(x.numel(), dtype=x._data.dtype)
            seed[k] = 1
            v = _make(seed.reshape(x._data.shape), x._device)
            if gj.requires_grad:
                jv = engine.grad([gj], us, [v], retain_graph=True, create_graph=create_graph,
                                 allow_unused=True)
            else:
                jv = (None,) * len(us)
            for i, o in enumerate(outs):
                columns[i][j].append(_zeros_like(o) if jv[i] is None else jv[i])
    result = []
    for i, o in enumerate(outs):
        blocks = []
        for j, x in enumerate(xs):
            shape = tuple(o.shape) + tuple(x.shape)
            cols = columns[i][j]
            if not cols or o.numel() == 0:
                xp = x._device.xp
                blocks.append(_make(xp.zeros(shape, dtype=x._data.dtype), x._device))
            else:
                blocks.append(stack(cols, -1).reshape(shape))
        result.append(tuple(blocks))
    return result


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a function with a one-element output: shape T + T for an input of shape T;
    for a tuple of inputs a tuple of tuples, result[i][j] = d^2 f / (d input_i d input_j)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("hessian: the function given to hessian should return a single "
                               "Tensor with a single element")
        return _grads([out.reshape(())], xs, [_make(out._device.xp.ones((), out._data.dtype),
                                                    out._device)], True, strict, "hessian")

    if outer_jacobian_strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"hessian: outer_jacobian_strategy must be 'reverse-mode' or "
                         f"'forward-mode', got {outer_jacobian_strategy!r}")
    h = _jacobian(gradient, inputs, create_graph, strict, outer_jacobian_strategy, "hessian",
                  "gradient")
    return h if inputs_tuple else h[0][0]


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H): the vector-Hessian product of a one-element function."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    v = _vector(v, inputs, "vhp")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out = _scalar_output(func(*xs), "vhp")
        g = _grads([out], xs, [_ones_like(out)], True, strict, "vhp")
        inner = [(gi, vi) for gi, vi in zip(g, v) if gi.requires_grad]
        if inner:
            r = engine.grad([gi for gi, _ in inner], xs, [vi for _, vi in inner],
                            create_graph=create_graph, allow_unused=True)
        else:
            r = (None,) * len(xs)
        r = tuple(_zeros_like(x) if ri is None else ri for x, ri in zip(xs, r))
    out = _finish(out, create_graph)
    r = tuple(_finish(ri, create_graph) for ri in r)
    return out, (r if inputs_tuple else r[0])


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v): the Hessian-vector product of a one-element function, by the
    double-backward trick (H v is the forward derivative of the gradient along v)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
    v = _vector(v, inputs, "hvp")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out = _scalar_output(func(*xs), "hvp")
        g = _grads([out], xs, [_ones_like(out)], True, strict, "hvp")
        us = tuple(_zeros_like(x).requires_grad_() for x in xs)
        gu = [gi for gi in g if gi.requires_grad]
        if gu:
            inner = engine.grad(gu, xs, [u for gi, u in zip(g, us) if gi.requires_grad],
                                create_graph=True, allow_unused=True)
            pairs = [(a, b) for a, b in zip(inner, v) if a is not None and a.requires_grad]
        else:
            pairs = []
        if pairs:
            r = engine.grad([a for a, _ in pairs], us, [b for _, b in pairs],
                            create_graph=create_graph, allow_unused=True)
        else:
            r = (None,) * len(us)
        r = tuple(_zeros_like(x) if ri is None else ri for x, ri in zip(xs, r))
    out = _finish(out, create_graph)
    r = tuple(_finish(ri, create_graph) for ri in r)
    return out, (r if inputs_tuple else r[0])


def _vector(v, inputs, fn: str) -> tuple:
    if v is None:
        if any(t.numel() != 1 for t in inputs):
            raise RuntimeError(f"{fn}: the vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single element")
        return tuple(_ones_like(t) for t in inputs)
    _, v = _as_tuple(v, "v", fn)
    _check_shapes(v, inputs, fn, "v", "input")
    return v


def _ones_like(t: Tensor) -> Tensor:
    return _make(t._device.xp.ones_like(t._data), t._device)


def _scalar_output(out, fn: str) -> Tensor:
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError(f"{fn}: the function given to {fn} should return a single Tensor "
                           "with a single element")
    return out

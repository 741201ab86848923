"""Function transforms, as torch.func and JAX: grad, grad_and_value, vjp, jacrev, jacfwd,
hessian and vmap. They compose: `grad(grad(f))` is the second derivative of a scalar function,
`vmap(grad(f))` the per-example gradients. functional_call runs a module as a function of its
parameters and buffers, so the transforms apply to models (and stack_module_state with vmap
runs an ensemble of them).

A transform evaluates the function at fresh leaves (or, when called inside another transform,
at differentiable aliases of its inputs, so the outer transform sees through it) and records
the gradient's own graph only when something outside needs it: when the function's result
reaches, in its graph, a tensor that requires grad other than those fresh leaves (an outer
transform's variable through an argument or a closure, or a parameter of plain autograd).
"""

from __future__ import annotations

from .autograd import engine
from .autograd.grad_mode import enable_grad
from .tensor import Tensor, _make

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call", "stack_module_state"]


def _argnums(argnums, n: int, fn: str) -> tuple[bool, tuple]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise ValueError(f"{fn}: argnums {argnums!r} out of range for a function called with "
                             f"{n} positional arguments")
    return single, tuple(a % n for a in nums)


def _flatten(x, where: str, fn: str):
    """The tensors of a differentiated argument (a Tensor, or tuples, lists and dicts of them,
    as torch.func's pytrees) in order, and a function rebuilding that structure from an
    iterator of tensors."""
    if isinstance(x, Tensor):
        return [x], next
    if isinstance(x, (tuple, list)):
        parts = [_flatten(v, f"{where}[{i}]", fn) for i, v in enumerate(x)]
        kind = type(x)

        def rebuild(it):
            items = [p[1](it) for p in parts]
            return kind(*items) if hasattr(x, "_fields") else kind(items)

        return [t for p in parts for t in p[0]], rebuild
    if isinstance(x, dict):
        keys = list(x)
        parts = [_flatten(x[k], f"{where}[{k!r}]", fn) for k in keys]
        return ([t for p in parts for t in p[0]],
                lambda it: {k: p[1](it) for k, p in zip(keys, parts)})
    raise TypeError(f"{fn}: {where} is differentiated, so it must be a Tensor (or a tuple, list "
                    f"or dict of Tensors), got {type(x).__name__}")


def _trace(args: tuple, nums: tuple, fn: str) -> tuple[list, bool, list]:
    """The arguments with the tensors of the differentiated ones replaced by leaves (or aliases);
    whether an outer transform is watching (then the gradients keep their graph); and per
    differentiated argument (its traced tensors, the function rebuilding its structure)."""
    args = list(args)
    nested = False
    specs = []
    for i in nums:
        tensors, rebuild = _flatten(args[i], f"argument {i}", fn)
        traced = []
        for k, x in enumerate(tensors):
            where = f"argument {i}" if len(tensors) == 1 and isinstance(args[i], Tensor) else \
                f"tensor {k} of argument {i}"
            if x.dtype.category < 2:
                raise TypeError(f"{fn}: {where} must be floating point to be differentiated, got "
                                f"{x.dtype}")
            if x.requires_grad:
                nested = True
                traced.append(x.view_as(x))
            else:
                traced.append(x.detach().requires_grad_())
        args[i] = rebuild(iter(traced))
        specs.append((traced, rebuild))
    return args, nested, specs


def _leaves_of(specs: list) -> list:
    return [t for traced, _ in specs for t in traced]


def _rebuild(specs: list, values) -> list:
    """Per differentiated argument, `values` (one per traced tensor, in order) in its structure."""
    it = iter(values)
    return [rebuild(iter([next(it) for _ in traced])) for traced, rebuild in specs]


def _watched(outputs, fresh) -> bool:
    """Whether the graph of `outputs` reaches a tensor that requires grad other than the fresh
    leaves a transform made: then something outside (an outer transform through a closure or an
    undifferentiated argument, or plain autograd on a parameter) watches, and the gradients must
    keep their graph. Iterative, each node once."""
    fresh = {id(x) for x in fresh}
    stack, seen = [], set()
    for o in outputs:
        if not isinstance(o, Tensor) or not o.requires_grad:
            continue
        if o.grad_fn is None:
            if id(o) not in fresh:
                return True
        elif o.grad_fn not in seen:
            seen.add(o.grad_fn)
            stack.append(o.grad_fn)
    while stack:
        for e in stack.pop().next:
            if e is None:
                continue
            node, nr = e
            if nr < 0:
                if id(node) not in fresh:
                    return True
            elif node not in seen:
                seen.add(node)
                stack.append(node)
    return False


def _split_aux(out, has_aux: bool, fn: str):
    if has_aux:
        if not isinstance(out, tuple) or len(out) != 2:
            raise RuntimeError(f"{fn}(f, has_aux=True): f must return a (output, aux) tuple")
        return out
    return out, None


def _detach_tree(x):
    """`x` with every Tensor in it (through tuples, lists and dicts) detached, other values as
    they are: the aux of a transform that no outer transform watches, as torch.func returns it
    (not connected to the transform's own variables)."""
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, (tuple, list)):
        items = [_detach_tree(v) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if isinstance(x, dict):
        return {k: _detach_tree(v) for k, v in x.items()}
    return x


def _outputs(out, fn: str):
    """The tensors of a function's output (a Tensor, or tuples, lists and dicts of them, as
    torch.func's pytree outputs) in order, and a function rebuilding that structure from an
    iterator of values (one per tensor)."""
    try:
        tensors, rebuild = _flatten(out, "output", fn)
    except TypeError:
        raise TypeError(f"{fn}: func must return a Tensor, or a tuple, list or dict of Tensors, "
                        f"got {_describe_tree(out)}") from None
    if not tensors:
        raise RuntimeError(f"{fn}: func must return at least one Tensor, got "
                           f"{_describe_tree(out)}")
    return tensors, rebuild


def _structure(x):
    """The nesting of tuples, lists and dicts in `x` with Tensor (or other) leaves, to compare
    a cotangent's structure with the output's (a tuple and a list are the same sequence)."""
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, (tuple, list)):
        return tuple(_structure(v) for v in x)
    if isinstance(x, dict):
        return {k: _structure(v) for k, v in x.items()}
    return type(x).__name__


def _describe_tree(x) -> str:
    s = _structure(x)
    return s if isinstance(s, str) else f"{type(x).__name__} {s}".replace("'", "")


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient, value) of `func` (which must return a one-element
    tensor, or (that, aux) with has_aux=True: then ((gradient), (value, aux)); aux may be
    anything, its tensors come back detached unless an outer transform watches)."""

    def wrapper(*args, **kwargs):
        single, nums = _argnums(argnums, len(args), "grad")
        with enable_grad():
            traced, nested, specs = _trace(args, nums, "grad")
            out, aux = _split_aux(func(*traced, **kwargs), has_aux, "grad")
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad: the function must return a tensor with a single "
                                   f"element, got {_describe(out)}")
            inputs = _leaves_of(specs)
            nested = nested or _watched((out,), inputs)
            if out.requires_grad:
                grads = engine.grad(out, inputs, create_graph=nested, allow_unused=True)
            else:
                grads = (None,) * len(inputs)
        grads = tuple(_make(x._device.xp.zeros_like(x._data), x._device) if g is None else g
                      for x, g in zip(inputs, grads))
        if not nested:
            grads = tuple(g.detach() for g in grads)
            out, aux = out.detach(), _detach_tree(aux)
        grads = tuple(_rebuild(specs, grads))
        g = grads[0] if single else grads
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient transform: grad(f)(x) = df/dx for f returning a one-element tensor.
    argnums picks the differentiated positional arguments (an int, or a tuple giving a tuple
    of gradients); a differentiated argument may be a tuple, list or dict of tensors (such as a
    model's parameters), and its gradient has the same structure. With has_aux=True, f returns
    (output, aux) and grad returns (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _describe(x) -> str:
    return f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) returns one gradient per primal (in the
    primal's structure, for a tuple, list or dict of tensors): the vector-Jacobian products.
    func may return a Tensor, or a tuple, list or dict of Tensors (nested, as torch.func's
    pytrees); the cotangents then have the output's structure (for a tuple output they may also
    be passed as separate arguments)."""
    with enable_grad():
        traced, nested, specs = _trace(primals, tuple(range(len(primals))), "vjp")
        out, aux = _split_aux(func(*traced), has_aux, "vjp")
    outs, _ = _outputs(out, "vjp")
    leaves = _leaves_of(specs)
    nested = nested or _watched(outs, leaves)

    def vjp_fn(*cotangents):
        cts = []
        _match_cotangents(out, cotangents[0] if len(cotangents) == 1 else cotangents, cts)
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        with enable_grad():
            if pairs:
                grads = engine.grad([o for o, _ in pairs], leaves, [c for _, c in pairs],
                                    retain_graph=True, create_graph=nested, allow_unused=True)
            else:
                grads = (None,) * len(leaves)
        return tuple(_rebuild(specs, (_make(x._device.xp.zeros_like(x._data), x._device)
                                      if g is None else (g if nested else g.detach())
                                      for x, g in zip(leaves, grads))))

    result = out if nested else _detach_tree(out)
    if has_aux:
        return result, vjp_fn, (aux if nested else _detach_tree(aux))
    return result, vjp_fn


def _match_cotangents(out, ct, cts: list) -> None:
    """Append to `cts` the cotangents in `ct` for the output `out`, checking that `ct` has the
    output's structure (a tuple and a list are the same sequence) and each tensor its shape."""
    if isinstance(out, Tensor):
        if not isinstance(ct, Tensor) or tuple(ct.shape) != tuple(out.shape):
            raise RuntimeError(f"vjp_fn: cotangent {len(cts)} must be a Tensor of the output's "
                               f"shape {tuple(out.shape)}, got {_describe(ct)}")
        cts.append(ct)
    elif isinstance(out, (tuple, list)):
        if isinstance(ct, Tensor):
            ct = (ct,)  # a lone cotangent (the output a one-tuple, or one missing)
        if not isinstance(ct, (tuple, list)):
            raise RuntimeError(f"vjp_fn: expected a tuple of {len(out)} cotangents, got "
                               f"{type(ct).__name__}")
        if len(ct) != len(out):
            raise RuntimeError(f"vjp_fn: expected {len(out)} cotangents, got {len(ct)}")
        for o, c in zip(out, ct):
            _match_cotangents(o, c, cts)
    else:
        if not isinstance(ct, dict) or set(ct) != set(out):
            keys = sorted(map(str, ct)) if isinstance(ct, dict) else type(ct).__name__
            raise RuntimeError(f"vjp_fn: expected a dict of cotangents with the output's keys "
                               f"{sorted(map(str, out))}, got {keys}")
        for k in out:
            _match_cotangents(out[k], ct[k], cts)


def _jacobian(func, argnums, has_aux, strategy: str, fn: str):
    from .autograd import functional

    def wrapper(*args, **kwargs):
        single, nums = _argnums(argnums, len(args), fn)
        with enable_grad():
            traced, nested, specs = _trace(args, nums, fn)
            out, aux = _split_aux(func(*traced, **kwargs), has_aux, fn)
            outs, rebuild_out = _outputs(out, fn)
            xs = tuple(_leaves_of(specs))
            nested = nested or _watched(outs, xs)
            if strategy == "forward-mode":
                jac = functional._jacobian_columns(outs, xs, nested, False)
            else:
                jac = functional._jacobian_rows(outs, xs, nested, False)
        jac = [tuple(_rebuild(specs, (j if nested else j.detach() for j in row)))
               for row in jac]
        jac = rebuild_out(iter(row[0] if single else row for row in jac))
        if has_aux:
            return jac, (aux if nested else _detach_tree(aux))
        return jac

    return wrapper


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """The Jacobian transform by reverse mode (one backward pass per output element): shape
    output.shape + input.shape (a tuple per output for a tuple of outputs, a tuple per argument
    for a tuple of argnums, the argument's structure for a tuple, list or dict of tensors).
    chunk_size is accepted for torch.func compatibility; the rows are
    computed one after the other either way."""
    _check_chunk_size(chunk_size, "jacrev")
    return _jacobian(func, argnums, has_aux, "reverse-mode", "jacrev")


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian transform column by column: one Jacobian-vector product per input element,
    each computed exactly by the double-backward trick on top of reverse mode (func is evaluated
    once, so `randomness` has nothing to decide; it is checked and accepted for torch.func
    compatibility)."""
    _check_randomness(randomness, "jacfwd")
    return _jacobian(func, argnums, has_aux, "forward-mode", "jacfwd")


def hessian(func, argnums=0):
    """The Hessian transform: jacfwd(jacrev(f)), shape input.shape + input.shape for a
    one-element f."""
    return jacfwd(jacrev(func, argnums), argnums)


_RANDOMNESS = ("error", "different", "same")


def _check_randomness(randomness, fn: str) -> None:
    if randomness not in _RANDOMNESS:
        raise ValueError(f"{fn}: randomness must be 'error', 'different' or 'same', got "
                         f"{randomness!r}")


def _check_chunk_size(chunk_size, fn: str) -> None:
    if chunk_size is not None and (not isinstance(chunk_size, int) or
                                   isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"{fn}: chunk_size must be None or a positive int, got {chunk_size!r}")


def _is_dim(d) -> bool:
    return isinstance(d, int) and not isinstance(d, bool)


def _batch_sizes(arg, dim, where: str, sizes: list) -> None:
    """(where, size) of every batched tensor in `arg` (a Tensor, or tuples, lists and dicts of
    them), `dim` being an int, None, or a matching structure of them."""
    if dim is None:
        return
    if isinstance(arg, Tensor):
        if not _is_dim(dim):
            raise ValueError(f"vmap: in_dim for {where} must be an int or None, got {dim!r}")
        if not -arg.ndim <= dim < arg.ndim:
            raise ValueError(f"vmap: in_dim={dim} for {where} (a tensor of shape "
                             f"{tuple(arg.shape)}) is out of range for its {arg.ndim} dims")
        sizes.append((where, arg.shape[dim]))
    elif isinstance(arg, (tuple, list)):
        dims = _spread(dim, len(arg), where)
        for i, (a, d) in enumerate(zip(arg, dims)):
            _batch_sizes(a, d, f"{where}[{i}]", sizes)
    elif isinstance(arg, dict):
        dims = dim if isinstance(dim, dict) else dict.fromkeys(arg, dim)
        if set(dims) != set(arg):
            raise ValueError(f"vmap: in_dims for {where} has keys {sorted(dims)} but the "
                             f"argument has keys {sorted(arg)}")
        for k in arg:
            _batch_sizes(arg[k], dims[k], f"{where}[{k!r}]", sizes)
    elif _is_dim(dim):
        raise ValueError(f"vmap: got in_dim={dim} for {where}, which is a "
                         f"{type(arg).__name__}, not a Tensor; vmap maps over tensors only, "
                         "so use None as the in_dim of an unbatched argument")
    else:
        raise ValueError(f"vmap: in_dim for {where} must be an int or None, got {dim!r}")


def _spread(dim, n: int, where: str) -> tuple:
    if isinstance(dim, (tuple, list)):
        if len(dim) != n:
            raise ValueError(f"vmap: in_dims for {where} has {len(dim)} entries for {n} "
                             "elements")
        return tuple(dim)
    return (dim,) * n


def _same_sequence(like, items: list):
    """A tuple or list of the kind of `like` holding `items` (a named tuple takes them as its
    fields)."""
    return type(like)(*items) if hasattr(like, "_fields") else type(like)(items)


def _take(arg, dim, k: int):
    if dim is None:
        return arg
    if isinstance(arg, Tensor):
        return arg.select(dim, k)
    if isinstance(arg, (tuple, list)):
        return _same_sequence(arg, [_take(a, d, k)
                                    for a, d in zip(arg, _spread(dim, len(arg), ""))])
    dims = dim if isinstance(dim, dict) else dict.fromkeys(arg, dim)
    return {key: _take(v, dims[key], k) for key, v in arg.items()}


def _stack_results(results: list, od, where: str):
    from .ops.shape import stack

    first = results[0]
    if isinstance(first, Tensor):
        if not _is_dim(od):
            raise ValueError(f"vmap: out_dim for {where} must be an int, got {od!r}")
        if not -(first.ndim + 1) <= od <= first.ndim:
            raise ValueError(f"vmap: out_dim={od} for {where} (a tensor of shape "
                             f"{tuple(first.shape)} per batch element) is out of range")
        return stack(results, od)
    if isinstance(first, (tuple, list)):
        ods = od if isinstance(od, (tuple, list)) else (od,) * len(first)
        if len(ods) != len(first):
            raise ValueError(f"vmap: out_dims has {len(ods)} entries for {len(first)} outputs")
        return _same_sequence(first, [_stack_results([r[i] for r in results], ods[i],
                                                     f"{where}[{i}]")
                                      for i in range(len(first))])
    if isinstance(first, dict):
        return {key: _stack_results([r[key] for r in results],
                                    od[key] if isinstance(od, dict) else od, f"{where}[{key!r}]")
                for key in first}
    raise TypeError(f"vmap: func must return Tensors (or tuples, lists or dicts of them), got "
                    f"{type(first).__name__} as {where}")


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Map `func` over a batch dim of its arguments, as torch.func.vmap: in_dims says which dim
    of each positional argument is the batch (None: not batched; an int applies to all; a tuple
    gives one per argument, nested like the arguments for tuples, lists and dicts of tensors),
    out_dims where the batch goes in the outputs. Keyword arguments are passed unbatched.

    Runs func once per batch element and stacks the results, so it composes with every
    transform (vmap(grad(f)) gives per-example gradients). randomness: 'error' refuses a func
    that draws from the default generator, 'different' gives each element its own draws,
    'same' one draw for all. chunk_size is accepted; the elements run one after the other."""
    from . import backend

    _check_randomness(randomness, "vmap")
    _check_chunk_size(chunk_size, "vmap")
    if not callable(func):
        raise TypeError(f"vmap: func must be callable, got {type(func).__name__}")

    def wrapper(*args, **kwargs):
        if isinstance(in_dims, (tuple, list)):
            dims = tuple(in_dims)
            if len(dims) != len(args):
                raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} "
                                 "positional arguments")
        elif _is_dim(in_dims) or in_dims is None:
            dims = (in_dims,) * len(args)
        else:
            raise ValueError(f"vmap: in_dims must be an int, None or a tuple, got {in_dims!r}")
        sizes = []
        for i, (a, d) in enumerate(zip(args, dims)):
            _batch_sizes(a, d, f"argument {i}", sizes)
        if not sizes:
            raise ValueError("vmap: at least one argument must be batched (a Tensor with an "
                             "in_dim that is not None)")
        if len({n for _, n in sizes}) > 1:
            listed = ", ".join(f"{w}: {n}" for w, n in sizes)
            raise ValueError(f"vmap: the batched arguments have different batch sizes ({listed})")
        n = sizes[0][1]
        if n == 0:
            raise ValueError(f"vmap: the batch dim of {sizes[0][0]} has size 0; there is "
                             "nothing to map over")
        state = backend.get_rng_state() if randomness != "different" else None
        results = []
        for k in range(n):
            if randomness == "same":
                backend.set_rng_state(state)
            results.append(func(*(_take(a, d, k) for a, d in zip(args, dims)), **kwargs))
            if randomness == "error" and backend.get_rng_state() != state:
                raise RuntimeError("vmap: func called a random function (the default "
                                   "generator advanced) under randomness='error'; pass "
                                   "randomness='different' for independent draws per batch "
                                   "element or 'same' for one draw shared by all")
        return _stack_results(results, out_dims, "output")

    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) computed with the tensors of `parameter_and_buffer_dicts` (a dict
    by state_dict name, or a tuple or list of dicts with no key in two of them) in place of the
    module's parameters and buffers, as torch.func.functional_call; the module's own are put
    back afterwards, even when forward raises. Gradients flow to the given tensors, so
    `grad(lambda p: loss(functional_call(model, p, (x,))))(params)` differentiates a model.
    args not a tuple is the one positional argument (None: none). tie_weights: a value for one
    name of tied weights replaces them under all their names; strict: RuntimeError naming the
    missing and the unexpected keys."""
    from .nn.module import Module, _reparametrized

    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be an ember.nn.Module, got "
                        f"{type(module).__name__}")
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        tensors = dicts
    elif isinstance(dicts, (tuple, list)) and all(isinstance(d, dict) for d in dicts):
        tensors = {}
        for d in dicts:
            repeated = sorted(set(tensors) & set(d))
            if repeated:
                raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            tensors.update(d)
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(dicts).__name__}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrized(module, tensors, tie_weights, strict):
        return module(*args, **(kwargs or {}))


def stack_module_state(models) -> tuple[dict, dict]:
    """(params, buffers) of models of one class in one mode, each a dict by name of the models'
    tensors stacked on a new leading dim, as torch.func.stack_module_state: the states to vmap
    functional_call over (an ensemble). The stacked parameters are new leaves that require grad
    where the models' do."""
    from .ops.shape import stack

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    states = [dict(m.named_parameters()) for m in models]

    def leaf(name):
        ts = [s[name] for s in states]
        needs = {t.requires_grad for t in ts}
        if len(needs) > 1:
            raise RuntimeError(f"Expected {name} from each model to have the same "
                               ".requires_grad")
        return stack([t.detach() for t in ts]).requires_grad_(needs.pop())

    buffers = [dict(m.named_buffers()) for m in models]
    return ({name: leaf(name) for name in states[0]},
            {name: stack([b[name] for b in buffers]) for name in buffers[0]})

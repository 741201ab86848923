"""Function transforms, as torch.func and JAX: grad, grad_and_value, vjp, jacrev, jacfwd,
hessian and vmap. They compose: `grad(grad(f))` is the second derivative of a scalar function,
`vmap(grad(f))` the per-example gradients.

A transform evaluates the function at fresh leaves (or, when called inside another transform,
at differentiable aliases of its inputs, so the outer transform sees through it) and records
the gradient's own graph only when an outer transform needs it.
"""

from __future__ import annotations

from .autograd import engine
from .autograd.grad_mode import enable_grad
from .tensor import Tensor, _make

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "vmap"]


def _argnums(argnums, n: int, fn: str) -> tuple[bool, tuple]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise ValueError(f"{fn}: argnums {argnums!r} out of range for a function called with "
                             f"{n} positional arguments")
    return single, tuple(a % n for a in nums)


def _trace(args: tuple, nums: tuple, fn: str) -> tuple[list, bool]:
    """The arguments with the differentiated ones replaced by leaves (or aliases); and whether
    an outer transform is watching (then the gradients keep their graph)."""
    args = list(args)
    nested = False
    for i in nums:
        x = args[i]
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}: argument {i} is differentiated, so it must be a Tensor, got "
                            f"{type(x).__name__}")
        if x.dtype.category < 2:
            raise TypeError(f"{fn}: argument {i} must be floating point to be differentiated, "
                            f"got {x.dtype}")
        if x.requires_grad:
            nested = True
            args[i] = x.view_as(x)
        else:
            args[i] = x.detach().requires_grad_()
    return args, nested


def _split_aux(out, has_aux: bool, fn: str):
    if has_aux:
        if not isinstance(out, tuple) or len(out) != 2:
            raise RuntimeError(f"{fn}(f, has_aux=True): f must return a (output, aux) tuple")
        return out
    return out, None


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient, value) of `func` (which must return a one-element
    tensor, or (that, aux) with has_aux=True: then ((gradient), (value, aux)))."""

    def wrapper(*args, **kwargs):
        single, nums = _argnums(argnums, len(args), "grad")
        with enable_grad():
            traced, nested = _trace(args, nums, "grad")
            out, aux = _split_aux(func(*traced, **kwargs), has_aux, "grad")
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad: the function must return a tensor with a single "
                                   f"element, got {_describe(out)}")
            inputs = [traced[i] for i in nums]
            if out.requires_grad:
                grads = engine.grad(out, inputs, create_graph=nested, allow_unused=True)
            else:
                grads = (None,) * len(inputs)
        grads = tuple(_make(x._device.xp.zeros_like(x._data), x._device) if g is None else g
                      for x, g in zip(inputs, grads))
        if not nested:
            grads = tuple(g.detach() for g in grads)
            out = out.detach()
        g = grads[0] if single else grads
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient transform: grad(f)(x) = df/dx for f returning a one-element tensor.
    argnums picks the differentiated positional arguments (an int, or a tuple giving a tuple
    of gradients); with has_aux=True, f returns (output, aux) and grad returns (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _describe(x) -> str:
    return f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) returns one gradient per primal: the
    vector-Jacobian products."""
    with enable_grad():
        traced, nested = _trace(primals, tuple(range(len(primals))), "vjp")
        out, aux = _split_aux(func(*traced), has_aux, "vjp")
    outs = (out,) if isinstance(out, Tensor) else tuple(out)

    def vjp_fn(*cotangents):
        if len(cotangents) == 1 and not isinstance(out, Tensor):
            cotangents = tuple(cotangents[0])
        if len(cotangents) != len(outs):
            raise RuntimeError(f"vjp_fn: expected {len(outs)} cotangents, got {len(cotangents)}")
        pairs = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
        with enable_grad():
            if pairs:
                grads = engine.grad([o for o, _ in pairs], traced, [c for _, c in pairs],
                                    retain_graph=True, create_graph=nested, allow_unused=True)
            else:
                grads = (None,) * len(traced)
        return tuple(_make(x._device.xp.zeros_like(x._data), x._device) if g is None else
                     (g if nested else g.detach()) for x, g in zip(traced, grads))

    result = out if nested else (out.detach() if isinstance(out, Tensor) else
                                 tuple(o.detach() for o in outs))
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def _jacobian(func, argnums, has_aux, strategy: str, fn: str):
    from .autograd.functional import jacobian

    def wrapper(*args):
        single, nums = _argnums(argnums, len(args), fn)
        aux_box = []

        def partial(*xs):
            full = list(args)
            for i, x in zip(nums, xs):
                full[i] = x
            out, aux = _split_aux(func(*full), has_aux, fn)
            aux_box.append(aux)
            return out

        nested = any(isinstance(args[i], Tensor) and args[i].requires_grad for i in nums)
        jac = jacobian(partial, tuple(args[i] for i in nums), create_graph=nested,
                       strategy=strategy)
        if isinstance(jac, tuple) and jac and isinstance(jac[0], tuple):
            jac = tuple(j[0] if single else j for j in jac)
        elif single:
            jac = jac[0]
        return (jac, aux_box[0]) if has_aux else jac

    return wrapper


def jacrev(func, argnums=0, has_aux: bool = False):
    """The Jacobian transform by reverse mode (one backward pass per output element): shape
    output.shape + input.shape."""
    return _jacobian(func, argnums, has_aux, "reverse-mode", "jacrev")


def jacfwd(func, argnums=0, has_aux: bool = False):
    """The Jacobian transform column by column: one Jacobian-vector product per input element,
    each computed exactly by the double-backward trick on top of reverse mode."""
    return _jacobian(func, argnums, has_aux, "forward-mode", "jacfwd")


def hessian(func, argnums=0):
    """The Hessian transform: jacfwd(jacrev(f)), shape input.shape + input.shape for a
    one-element f."""
    return jacfwd(jacrev(func, argnums), argnums)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Map `func` over a batch dim of its arguments: in_dims says which dim of each positional
    argument is the batch (None: not batched; an int applies to all), out_dims where the batch
    goes in the outputs. Runs func once per batch element and stacks the results, so it
    composes with every transform (vmap(grad(f)) gives per-example gradients)."""
    from .ops.shape import stack

    def wrapper(*args):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None}
        if not sizes:
            raise ValueError("vmap: at least one argument must be batched (in_dims not None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: the batched arguments have different batch sizes "
                             f"{sorted(sizes)}")
        (n,) = sizes
        results = []
        for k in range(n):
            call = [a.select(d, k) if d is not None else a for a, d in zip(args, dims)]
            results.append(func(*call))
        first = results[0]
        if isinstance(first, Tensor):
            return stack(results, out_dims)
        if isinstance(first, tuple):
            od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return tuple(stack([r[i] for r in results], od[i]) for i in range(len(first)))
        raise TypeError(f"vmap: func must return a Tensor or a tuple of Tensors, got "
                        f"{type(first).__name__}")

    return wrapper

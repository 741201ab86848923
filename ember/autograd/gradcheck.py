"""gradcheck and gradgradcheck: analytic gradients against central finite differences.

Use float64 inputs: the differences are (f(x + eps) - f(x - eps)) / (2 eps) with eps = 1e-6, so
float32 rounding alone would make them disagree.
"""

from __future__ import annotations

import warnings

from .. import backend
from ..tensor import Tensor, _make
from . import engine
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """The analytic and numerical Jacobians disagree."""


def _as_tuple(x) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(func, inputs) -> tuple:
    return _as_tuple(func(*inputs))


def _evaluate(func, inputs) -> list:
    """The outputs as flat float64 copies (an output may be a view of a perturbed input)."""
    with no_grad():
        outs = _outputs(func, inputs)
    return [o._data.reshape(-1).astype("float64", copy=True) for o in outs]


def _numerical_jacobians(func, inputs, diff_pos, out_sizes, eps):
    """J[o][i]: (numel of output o, numel of input i), by central differences."""
    jac = [[None] * len(diff_pos) for _ in out_sizes]
    for col, pos in enumerate(diff_pos):
        x = inputs[pos]
        if not backend.is_writeable(x._data):
            raise ValueError(f"gradcheck: input {pos} must be writable (not an expanded view); "
                             "pass a clone()")
        xp = x._device.xp
        for o, n in enumerate(out_sizes):
            jac[o][col] = xp.zeros((n, x._data.size), dtype="float64")
        for k in range(x._data.size):
            # index the array itself (any memory layout), not a reshaped copy of it
            idx = tuple(int(i) for i in xp.unravel_index(k, x._data.shape))
            orig = x._data[idx].item()
            x._data[idx] = orig + eps
            plus = _evaluate(func, inputs)
            x._data[idx] = orig - eps
            minus = _evaluate(func, inputs)
            x._data[idx] = orig
            for o in range(len(out_sizes)):
                jac[o][col][:, k] = (plus[o] - minus[o]) / (2 * eps)
    return jac


def _refuse(fn: str, **checks) -> None:
    for name, wanted in checks.items():
        if wanted:
            raise NotImplementedError(f"{fn}: {name}=True is not supported (ember has no "
                                      "forward-mode AD)")


def _batched_grad_error(outputs, inputs, diff_pos, out_index, seed: int = 0):
    """PyTorch's check_batched_grad: per differentiable output, the gradients for a batch of two
    random grad_outputs in one grad(..., is_grads_batched=True) call must equal (allclose, as
    PyTorch: rtol 1e-5, atol 1e-8) the gradients of the two computed one by one. The message
    naming the output and input that differ, or None."""
    from ..ops.shape import stack

    diff_inputs = [inputs[p] for p in diff_pos]
    rng = backend.Generator().manual_seed(seed).rng
    for o in out_index:
        out = outputs[o]
        if not out.requires_grad:
            continue
        xp = out._device.xp
        vs = [_make(xp.asarray(rng.standard_normal(tuple(out.shape)).astype(out._data.dtype)),
                    out._device) for _ in range(2)]
        one_by_one = [_vjp(out, diff_inputs, v, ()) for v in vs]
        expected = [stack([a, b]) for a, b in zip(*one_by_one)]
        try:
            result = _vjp(out, diff_inputs, stack(vs), (len(vs),))
        except RuntimeError as e:
            return f"while computing batched gradients for output {o}, got: {e}"
        for col, (r, e) in enumerate(zip(result, expected)):
            if tuple(r.shape) != tuple(e.shape) or not bool(
                    xp.allclose(r._data, e._data, rtol=1e-5, atol=1e-8)):
                diff = (float(xp.abs(r._data - e._data).max())
                        if tuple(r.shape) == tuple(e.shape) else f"shape {tuple(r.shape)} vs "
                        f"{tuple(e.shape)}")
                return (f"batched gradients for output {o} with respect to input "
                        f"{diff_pos[col]} (grad with is_grads_batched=True) differ from the "
                        f"gradients computed one grad_output at a time (max |diff| {diff})")
    return None


def _vjp(out: Tensor, inputs: list, v: Tensor, batch: tuple) -> list:
    """The gradients of `out` for the grad_output `v` (a batch of them with is_grads_batched
    when `batch` is (n,)), zeros for an input `out` does not depend on."""
    grads = engine.grad(out, inputs, v, retain_graph=True, allow_unused=True,
                        is_grads_batched=bool(batch))
    return [_make(x._device.xp.zeros(batch + tuple(x.shape), dtype=x._data.dtype), x._device)
            if g is None else g for g, x in zip(grads, inputs)]


def _analytical_jacobians(outputs, inputs, diff_pos, out_index):
    """J[o][i] row by row: one backward pass per output element."""
    diff_inputs = [inputs[p] for p in diff_pos]
    jac = []
    for o in out_index:
        out = outputs[o]
        xp = out._device.xp
        n = out._data.size
        rows = [xp.zeros((n, inputs[p]._data.size), dtype="float64") for p in diff_pos]
        if out.requires_grad:
            for j in range(n):
                seed = xp.zeros(n, dtype=out._data.dtype)
                seed[j] = 1
                g = _make(seed.reshape(out._data.shape), out._device)
                grads = engine.grad(out, diff_inputs, g, retain_graph=True, allow_unused=True)
                for col, gi in enumerate(grads):
                    if gi is not None:
                        if tuple(gi.shape) != tuple(diff_inputs[col].shape):
                            raise GradcheckError(
                                f"gradcheck: the gradient for input {diff_pos[col]} has shape "
                                f"{tuple(gi.shape)}, expected {tuple(diff_inputs[col].shape)}")
                        rows[col][j] = gi._data.reshape(-1)
        jac.append(rows)
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """Check the gradients of `func` at `inputs` (the tensors that require grad) against finite
    differences: every Jacobian entry must satisfy |analytic - numeric| <= atol + rtol |numeric|.

    Returns True, or raises GradcheckError naming the output, the input and the worst element
    (raise_exception=False returns False instead). torch.autograd.gradcheck's keywords are
    accepted (check_grad_dtypes holds by construction: the engine casts every gradient to its
    input's dtype, as PyTorch's does). check_batched_grad=True also checks, per output, that
    the gradients for a batch of two random grad_outputs computed at once (grad with
    is_grads_batched=True) equal those computed one at a time. ember has no forward-mode AD, so
    asking for the forward checks raises.
    """
    _refuse("gradcheck", check_batched_forward_grad=check_batched_forward_grad,
            check_forward_ad=check_forward_ad)
    if not check_backward_ad:
        return True
    inputs = _as_tuple(inputs)
    diff_pos = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff_pos:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for p in diff_pos:
        if inputs[p].dtype.name != "float64":
            warnings.warn(f"Input #{p} requires gradient and is not a double precision floating "
                          "point. This check will likely fail if all the inputs are not of double "
                          "precision floating point.", UserWarning, stacklevel=2)
    outputs = _outputs(func, inputs)
    out_index = [o for o, t in enumerate(outputs)
                 if isinstance(t, Tensor) and t.dtype.category >= 2]
    out_sizes = [outputs[o]._data.size for o in out_index]
    analytic = _analytical_jacobians(outputs, inputs, diff_pos, out_index)

    def selected(*x):
        outs = _outputs(func, x)
        return tuple(outs[o] for o in out_index)

    numeric = _numerical_jacobians(selected, inputs, diff_pos, out_sizes, eps)
    for a_row, n_row, o in zip(analytic, numeric, out_index):
        for a, n, p in zip(a_row, n_row, diff_pos):
            xp = inputs[p]._device.xp
            err = xp.abs(a - n) - (atol + rtol * xp.abs(n))
            bad = err > 0
            bad |= xp.isnan(a) != xp.isnan(n)
            if bool(bad.any()):
                worst = int(xp.argmax(xp.where(xp.isnan(err), xp.inf, err)))
                r, c = divmod(worst, a.shape[1])
                msg = (f"Jacobian mismatch for output {o} with respect to input {p}: at output "
                       f"element {_unravel(r, outputs[o].shape)} and input element "
                       f"{_unravel(c, inputs[p].shape)}, numerical {float(n[r, c])!r} vs "
                       f"analytical {float(a[r, c])!r} (|diff| "
                       f"{abs(float(a[r, c]) - float(n[r, c])):.3g} > atol {atol} + rtol {rtol} "
                       f"* |numerical|; {int(bad.sum())} of {bad.size} entries differ)")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    if check_batched_grad:
        msg = _batched_grad_error(outputs, inputs, diff_pos, out_index)
        if msg is not None:
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def _unravel(i: int, shape) -> tuple:
    idx = []
    for n in reversed(tuple(shape)):
        idx.append(i % n if n else 0)
        i = i // n if n else 0
    return tuple(reversed(idx))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
                  gen_non_contig_grad_outputs: bool = False, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False, seed: int = 0) -> bool:
    """gradcheck of the gradient: the second derivatives of `func`, through the vector-Jacobian
    product with `grad_outputs` (random ones by default), against finite differences of the
    first derivatives computed with create_graph=True."""
    from .. import backend

    _refuse("gradgradcheck", check_fwd_over_rev=check_fwd_over_rev)
    if not check_rev_over_rev:
        return True
    inputs = _as_tuple(inputs)
    diff_pos = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outputs = _outputs(func, inputs)
    out_index = [o for o, t in enumerate(outputs)
                 if isinstance(t, Tensor) and t.requires_grad]
    if grad_outputs is None:
        rng = backend.Generator().manual_seed(seed).rng
        grad_outputs = []
        for o in out_index:
            t = outputs[o]
            data = rng.standard_normal(tuple(t.shape)).astype(t._data.dtype)
            g = _make(t._device.asarray(data), t._device)
            grad_outputs.append(g.requires_grad_(True))
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivatives(*args):
        xs, gs = args[:n_in], args[n_in:]
        with enable_grad():
            return _first(xs, gs)

    def _first(xs, gs):
        outs = _outputs(func, xs)
        sel = [outs[o] for o in out_index]
        grads = engine.grad(sel, [xs[p] for p in diff_pos], gs, create_graph=True,
                            allow_unused=True)
        return tuple(g if g is not None else xs[p] * 0 for g, p in zip(grads, diff_pos))

    return gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception,
                     check_batched_grad=check_batched_grad)

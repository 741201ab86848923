"""ember.nn.utils: gradient clipping and flattening parameters into one vector."""

from __future__ import annotations

import math

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The norm of the norms of the tensors (as if concatenated into one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from ..creation import tensor
        return tensor(0.0)
    xp = tensors[0]._device.xp
    if norm_type == math.inf:
        total = max(float(xp.abs(t._data).max()) if t._data.size else 0.0 for t in tensors)
    else:
        acc = 0.0
        for t in tensors:
            a = xp.abs(t._data.astype(xp.float64, copy=False)) if norm_type != 2.0 else None
            if norm_type == 2.0:
                d = t._data.reshape(-1)
                acc += float(d @ d)
            else:
                acc += float((a ** norm_type).sum())
        total = acc ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return _make(xp.asarray(total, dtype=tensors[0]._data.dtype), tensors[0]._device)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale every .grad by min(1, max_norm / (total_norm + 1e-6)) in place (a NaN total norm
    makes the gradients NaN, as PyTorch's clamp of a NaN coefficient does)."""
    coef = float(max_norm) / (float(total_norm.item()) + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        with no_grad():
            for p in _as_list(parameters):
                if p.grad is not None:
                    p.grad._data *= coef
                    p.grad._vc[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale the gradients so that their total norm (as one vector) is at most max_norm;
    returns the total norm before clipping. error_if_nonfinite raises on a nan/inf norm."""
    params = [p for p in _as_list(parameters) if p.grad is not None]
    grads = [p.grad for p in params]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            xp = p.grad._device.xp
            xp.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            p.grad._vc[0] += 1


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from ..ops.shape import cat
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of vec into the parameters' memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vector of {vec.numel()} elements for "
                           f"parameters of {total} elements")
    offset = 0
    data = vec._data.reshape(-1)
    for p in params:
        n = p.numel()
        p._data[...] = data[offset:offset + n].reshape(p._data.shape)
        p._vc[0] += 1
        offset += n

"""Similarity of vectors: the cosine of their angle and the angle itself.

`cosine_similarity` here has torch.nn.functional's signature (dim=1) for ember.nn.functional;
ember.linalg.cosine_similarity is the same function with dim=-1 (vectors along the last dim).
"""

from __future__ import annotations

from ..ops._util import wrap_dim
from ..ops.elementwise import atan2
from ..ops.reduce import vector_norm
from ..ops.shape import broadcast_tensors
from ..tensor import Tensor
from ._common import shape_str


def _pair(fn: str, x1, x2):
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError(f"{fn}: expected Tensors, got {type(x1).__name__} and "
                        f"{type(x2).__name__}")
    for x in (x1, x2):
        if x.dtype.category != 2:  # as PyTorch: no silent cast of integers, no complex
            raise RuntimeError(f"{fn}: expected real floating point tensors, got "
                               f"{x1.dtype.name} and {x2.dtype.name} (shapes "
                               f"{shape_str(x1.shape)} and {shape_str(x2.shape)})")
    if x1.dtype is not x2.dtype:
        from .. import backend
        common = backend.promote_types(x1.dtype, x2.dtype)
        x1, x2 = x1.to(common), x2.to(common)
    try:
        return broadcast_tensors(x1, x2)
    except RuntimeError:
        raise RuntimeError(f"{fn}: the shapes {shape_str(x1.shape)} and {shape_str(x2.shape)} "
                           "cannot be broadcast together") from None


def _unit(x: Tensor, dim: int, eps: float) -> Tensor:
    """x / max(||x||, eps) along dim. As PyTorch, the clamp does not enter the gradient: the
    norm's own gradient (0 at the zero vector) flows through."""
    n = vector_norm(x, 2, dim, True)
    clamped = n.detach().clamp_min(eps)
    return x / (n + (clamped - n.detach()))


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2, dim) / (max(||x1||, eps) max(||x2||, eps)) along dim, with broadcasting:
    the cosine of the angle between the vectors (0 for a zero vector).
    x1, x2: (*, n, *) -> the broadcast shape without dim. torch.nn.functional's signature."""
    fn = "cosine_similarity"
    x1, x2 = _pair(fn, x1, x2)
    d = wrap_dim(dim, x1.ndim, fn)
    return (_unit(x1, d, eps) * _unit(x2, d, eps)).sum(d)


def linalg_cosine_similarity(x, y, dim: int = -1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x and y along `dim` (the last by default):
    <x, y> / (max(||x||, eps) max(||y||, eps)). x, y: (*, n) -> (*), broadcast."""
    return cosine_similarity(x, y, dim, eps)


linalg_cosine_similarity.__name__ = linalg_cosine_similarity.__qualname__ = "cosine_similarity"


def angle(x, y, dim: int = -1, eps: float = 1e-8) -> Tensor:
    """The angle between x and y along `dim`, in radians, in [0, pi]. x, y: (*, n) -> (*).

    theta = 2 atan2(||u - v||, ||u + v||) with u, v the unit vectors (Kahan's formula: accurate
    near 0 and pi, where arccos of the cosine loses half the digits). A zero vector gives pi/2
    (cosine 0, as cosine_similarity). Its gradient at theta = 0 is 0.
    """
    fn = "linalg.angle"
    x, y = _pair(fn, x, y)
    d = wrap_dim(dim, x.ndim, fn)
    u, v = _unit(x, d, eps), _unit(y, d, eps)
    return atan2(vector_norm(u - v, 2, d), vector_norm(u + v, 2, d)) * 2.0


__all__ = ["cosine_similarity", "linalg_cosine_similarity", "angle"]

"""Norms, condition numbers and distances: vector_norm (the Op in ember.ops.reduce),
matrix_norm, norm, cond, dist, cdist, pairwise_distance. Composites of ember ops, so their
gradients follow (the spectral and nuclear norms through svdvals)."""

from __future__ import annotations

import math

from .. import backend
from ..ops._util import broadcast_shapes_or_raise, to_float, wrap_dim
from ..ops.elementwise import where
from ..ops.reduce import vector_norm
from ..tensor import Tensor, _make
from ._common import (
    LinAlgError,
    Singularity,
    check_finite,
    check_float,
    check_matrix,
    check_square,
    shape_str,
)
from .decompositions import svdvals
from .solve import Inv

_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _matrix_dims(fn: str, A: Tensor, dim) -> tuple:
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{fn}: dim must be a 2-tuple of ints, got {dim!r}")
    d0 = wrap_dim(dim[0], A.ndim, fn)
    d1 = wrap_dim(dim[1], A.ndim, fn)
    if d0 == d1:
        raise RuntimeError(f"{fn}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """A matrix norm over the two dims `dim` of A: (*, m, n) -> (*).

    ord: 'fro' sqrt(sum |a_ij|^2); 'nuc' the sum of the singular values; 2 / -2 the largest /
    smallest singular value; 1 / -1 the max / min column sum of |a_ij|; inf / -inf the max /
    min row sum. The singular-value norms are differentiable through svdvals.
    """
    fn = "linalg.matrix_norm"
    check_matrix(fn, A)
    if dtype is not None:
        A = A.to(backend.to_dtype(dtype, fn))
    if isinstance(ord, str) and ord not in ("fro", "nuc") or ord not in _MATRIX_ORDS:
        raise RuntimeError(f"{fn}: Order {ord} not supported (expected one of 'fro', 'nuc', 1, "
                           "-1, 2, -2, inf, -inf)")
    d0, d1 = _matrix_dims(fn, A, dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        check_finite(fn, A)
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        if ord == "nuc":
            out = s.sum(-1)
        else:
            out = s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    # 1 / -1: extreme column sums (sum over rows d0); inf / -inf: extreme row sums
    sum_dim, ext_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = vector_norm(A, 1, sum_dim, True)
    out = sums.amax(ext_dim, keepdim=True) if ord > 0 else sums.amin(ext_dim, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a vector or a matrix norm depending on `dim` and `ord`.

    dim an int (or 1-tuple): vector_norm(A, ord or 2, dim); dim a 2-tuple: matrix_norm(A,
    ord or 'fro', dim). dim None: with ord None the 2-norm of all elements; otherwise A must be
    1-D (a vector norm) or 2-D (a matrix norm).
    """
    fn = "linalg.norm"
    check_float(fn, A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"{fn}: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"{fn}: If dim is not specified but ord is, the input must be 1D or 2D. "
                       f"Got {A.ndim}D (shape {shape_str(A.shape)})")


def cond(A, p=None) -> Tensor:
    """The condition number ||A||_p ||A^{-1}||_p: (*) for A: (*, m, n).

    p None or 2: s_max / s_min from the singular values (any m, n; inf for a singular
    matrix); -2: s_min / s_max. p in ('fro', 'nuc', 1, -1, inf, -inf): A square, and inf where
    A is singular (rank < n at matrix_rank's tolerance). Differentiable where finite.
    """
    fn = "linalg.cond"
    check_matrix(fn, A)
    if p is None or p in (2, -2):
        check_finite(fn, A)
        s = svdvals(A)
        smax, smin = s.amax(-1), s.amin(-1)
        return smin / smax if p == -2 else smax / smin
    if p not in _MATRIX_ORDS:
        raise RuntimeError(f"{fn}: Order {p} not supported")
    check_square(fn, A)
    xp = A._device.xp
    sing = Singularity(xp, A._data, A.dtype)
    mask = sing.mask if sing.any() else None
    inverse = Inv.apply(A, mask)
    value = matrix_norm(A, p) * matrix_norm(inverse, p)
    if mask is None:
        return value
    return where(_make(mask, A._device), math.inf, value)


# ----------------------------------------------------------------------------------- distances

def dist(input, other, p=2) -> Tensor:
    """The p-norm of input - other (broadcast), over all elements: ||input - other||_p."""
    fn = "dist"
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"{fn}: expected Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    for x in (input, other):
        if x.dtype.category < 2:  # as PyTorch: a norm needs floating point (or complex)
            raise RuntimeError(f"{fn}: expected floating point or complex tensors, got "
                               f"{input.dtype.name} and {other.dtype.name} (shapes "
                               f"{shape_str(input.shape)} and {shape_str(other.shape)})")
    broadcast_shapes_or_raise(fn, tuple(input.shape), tuple(other.shape))
    return vector_norm(input - other, p)


def cdist(x1, x2, p: float = 2.0, compute_mode=None) -> Tensor:
    """All pairwise p-norm distances between the rows of x1: (*, P, M) and x2: (*, R, M):
    out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p, (*, P, R); batch dims broadcast.

    Computed from the differences exactly (compute_mode is accepted for PyTorch compatibility
    and ignored): memory P * R * M. The gradient of a zero distance is 0.
    """
    fn = "cdist"
    for name, x in (("x1", x1), ("x2", x2)):
        check_float(fn, x, name)
        if x.ndim < 2:
            raise RuntimeError(f"{fn} only supports at least 2D tensors, {name} has shape "
                               f"{shape_str(x.shape)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"{fn}: X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]} (shapes {shape_str(x1.shape)} "
                           f"and {shape_str(x2.shape)})")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"{fn}: X1 and X2 must have the same dtype, got {x1.dtype.name} and "
                           f"{x2.dtype.name}")
    if not isinstance(p, (int, float)) or p < 0:
        raise RuntimeError(f"{fn} only supports non-negative p values, got {p!r}")
    from ._common import batch_broadcast
    batch_broadcast(fn, tuple(x1.shape[:-2]), tuple(x2.shape[:-2]), ("x1", "x2"))
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, -1)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """||x1 - x2 + eps||_p over the last dim, as torch.nn.functional's (eps keeps the
    gradient finite for equal inputs). x1, x2: (*, D), broadcast -> (*) (or (*, 1) with
    keepdim)."""
    fn = "pairwise_distance"
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError(f"{fn}: expected Tensors, got {type(x1).__name__} and "
                        f"{type(x2).__name__}")
    broadcast_shapes_or_raise(fn, tuple(x1.shape), tuple(x2.shape))
    diff = to_float(x1) - to_float(x2) + eps
    if diff.ndim == 0:
        return vector_norm(diff, p, None, keepdim)
    return vector_norm(diff, p, -1, keepdim)


def pdist(input, p: float = 2.0) -> Tensor:
    """The p-norm distances between all pairs of rows of input: (N, M) -> (N (N - 1) / 2,),
    pairs (i, j), i < j, in row-major order (SciPy's condensed form), as
    torch.nn.functional.pdist. The gradient of a zero distance is 0."""
    fn = "pdist"
    check_float(fn, input, "input")
    if input.ndim != 2:
        raise RuntimeError(f"{fn} only supports 2D tensors, got: {input.ndim}D (shape "
                           f"{shape_str(input.shape)})")
    if not isinstance(p, (int, float)) or p < 0:
        raise RuntimeError(f"{fn} only supports non-negative p values, got {p!r}")
    xp = input._device.xp
    i, j = xp.triu_indices(input.shape[0], 1)
    d = input._device
    return vector_norm(input[_make(i, d)] - input[_make(j, d)], p, -1)


__all__ = ["vector_norm", "matrix_norm", "norm", "cond", "dist", "cdist", "pairwise_distance",
           "pdist", "LinAlgError"]

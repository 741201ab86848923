"""Products and matrix functions: vecdot, cross, multi_dot, matrix_power, matrix_exp, diagonal,
householder_product. All but matrix_exp are composites of ember ops (their gradients follow);
matrix_exp is an Op whose gradient is itself a matrix exponential (of a block matrix), so
gradients of gradients come from the same rule.
"""

from __future__ import annotations

import math

from ..autograd.function import Op
from ..ops import shape as _shape
from ..ops._util import wrap_dim
from ..ops.shape import broadcast_tensors, cat, stack
from ..tensor import Tensor, _make
from ._common import (
    check_float,
    check_matrix,
    check_square,
    raise_if_singular,
    real_only,
    shape_str,
)
from .solve import Inv


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """The dot product along `dim`: sum(conj(x) * y, dim), with broadcasting. x, y: (*, n)."""
    fn = "linalg.vecdot"
    check_float(fn, x, "x")
    check_float(fn, y, "y")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"{fn}: expected x and y to have the same dtype, but x has dtype "
                           f"{x.dtype.name} and y has dtype {y.dtype.name}")
    x, y = _broadcast(fn, x, y)
    d = wrap_dim(dim, x.ndim, fn)
    return (x.conj() * y).sum(d)


def _broadcast(fn: str, x: Tensor, y: Tensor):
    try:
        return broadcast_tensors(x, y)
    except RuntimeError:
        raise RuntimeError(f"{fn}: the shapes {shape_str(x.shape)} and {shape_str(y.shape)} "
                           "cannot be broadcast together") from None


def cross(input, other, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along `dim` (with broadcasting):
    (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0). input, other: (*, 3)."""
    fn = "linalg.cross"
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"{fn}: expected Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{fn}: expected input and other to have the same dtype, got "
                           f"{input.dtype.name} and {other.dtype.name}")
    a, b = _broadcast(fn, input, other)
    d = wrap_dim(dim, a.ndim, fn)
    if a.shape[d] != 3:
        raise RuntimeError(f"{fn}: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d] if input.ndim > d else 1} and "
                           f"{other.shape[d] if other.ndim > d else 1} (shapes "
                           f"{shape_str(input.shape)} and {shape_str(other.shape)})")
    a0, a1, a2 = (a.select(d, i) for i in range(3))
    b0, b1, b2 = (b.select(d, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes (the last two dims by default) as a last dim:
    A: (*, m, n) -> (*, k). offset > 0 is above the main diagonal."""
    return _shape.diagonal(A, offset, dim1, dim2)


# ----------------------------------------------------------------------------------- multi_dot

def _chain_order(dims: list) -> list:
    """Optimal parenthesisation of a matrix chain (dynamic programming): split[i][j]."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k
    return split


def _chain_product(ms: list, split: list, i: int, j: int) -> Tensor:
    if i == j:
        return ms[i]
    k = split[i][j]
    return _chain_product(ms, split, i, k) @ _chain_product(ms, split, k + 1, j)


def multi_dot(tensors) -> Tensor:
    """The product M_1 M_2 ... M_k of a chain of matrices, multiplied in the order with the
    fewest scalar multiplications (dynamic programming over the split points).
    M_i: (n_{i-1}, n_i), result (n_0, n_k); the first may be a row vector (n_1,) and the last
    a column vector (n_{k-1},), whose dim is then dropped from the result. Not batched."""
    fn = "linalg.multi_dot"
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"{fn}: expected at least 2 tensors but got {len(tensors)}")
    ms = []
    for i, t in enumerate(tensors):
        check_float(fn, t, f"tensor {i}")
        edge = i in (0, len(tensors) - 1)
        if not (t.ndim == 2 or (edge and t.ndim == 1)):
            need = "1D or 2D" if edge else "2D"
            raise RuntimeError(f"{fn}: tensor {i} must be {need} but got {t.ndim}D (shape "
                               f"{shape_str(t.shape)})")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(f"{fn}: all tensors must have the same dtype: tensor 0 is "
                               f"{tensors[0].dtype.name}, tensor {i} is {t.dtype.name}")
        ms.append(t)
    first_vec = ms[0].ndim == 1
    last_vec = ms[-1].ndim == 1
    if first_vec:
        ms[0] = ms[0].unsqueeze(0)
    if last_vec:
        ms[-1] = ms[-1].unsqueeze(-1)
    for i in range(len(ms) - 1):
        if ms[i].shape[1] != ms[i + 1].shape[0]:
            raise RuntimeError(f"{fn}: tensors {i} and {i + 1} with shapes "
                               f"{shape_str(tensors[i].shape)} and "
                               f"{shape_str(tensors[i + 1].shape)} cannot be multiplied")
    dims = [m.shape[0] for m in ms] + [ms[-1].shape[1]]
    out = _chain_product(ms, _chain_order(dims), 0, len(ms) - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


# -------------------------------------------------------------------------------- matrix_power

def matrix_power(A, n: int) -> Tensor:
    """A^n for an integer n by repeated squaring: A: (*, m, m). n = 0 gives the identity,
    n < 0 the power of the inverse (LinAlgError if A is singular)."""
    fn = "linalg.matrix_power"
    if not isinstance(A, Tensor):
        raise TypeError(f"{fn}: A must be a Tensor, got {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, got shape "
                           f"{shape_str(A.shape)}")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{fn}: the exponent n must be an int, got {type(n).__name__}")
    if n == 0:
        eye = A._device.xp.eye(A.shape[-1], dtype=A._data.dtype)
        return _make(A._device.xp.broadcast_to(eye, tuple(A.shape)).copy(), A._device)
    if n < 0:
        check_float(fn, A)
        raise_if_singular(fn, A, f"A^{n} needs its inverse, which does not exist.")
        A = Inv.apply(A, None)
        n = -n
    result = None
    base = A
    while True:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if not n:
            return result
        base = base @ base


# ---------------------------------------------------------------------------------- matrix_exp

# Padé [13/13] coefficients and the norm bound theta_13 of Higham (2005), "The scaling and
# squaring method for the matrix exponential revisited".
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def expm_array(xp, a):
    """exp(A) for a (*, n, n) array by scaling and squaring with the [13/13] Padé approximant:
    each matrix is scaled by 2^-s so that ||A||_1 <= theta_13, then squared back s times."""
    n = a.shape[-1]
    norm = xp.abs(a).sum(axis=-2).max(axis=-1) if n else xp.zeros(a.shape[:-2])
    finite = xp.isfinite(norm)
    ratio = xp.where(finite & (norm > 0), norm, 1.0) / _THETA13
    s = xp.clip(xp.ceil(xp.log2(ratio)), 0, 1100).astype(xp.int64)
    a = a / (2.0 ** s)[..., None, None].astype(a.dtype)
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for i in range(int(s.max()) if s.size else 0):
        r = xp.where((i < s)[..., None, None], r @ r, r)
    return xp.where(finite[..., None, None], r, xp.nan)


class MatrixExp(Op):
    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        finite = xp.isfinite(a).all(axis=(-2, -1))
        if bool(finite.all()):
            return expm_array(xp, a)
        safe = xp.where(finite[..., None, None], a, 0)
        return xp.where(finite[..., None, None], expm_array(xp, safe), xp.nan)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        real_only("linalg.matrix_exp", a)
        # The adjoint of the Frechet derivative L(A, .) is L(A^H, .), and
        # exp([[X, G], [0, X]]) = [[exp X, L(X, G)], [0, exp X]].
        n = a.shape[-1]
        ah = a.mH
        zeros = ah.new_zeros(tuple(ah.shape))
        block = cat([cat([ah, g], -1), cat([zeros, ah], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:]


def matrix_exp(A) -> Tensor:
    """The matrix exponential exp(A) = sum_k A^k / k!: (*, n, n) for A: (*, n, n), by scaling
    and squaring with a Padé approximant (Higham 2005). The gradient is the adjoint Fréchet
    derivative L(A^H, g), the upper-right block of exp([[A^H, g], [0, A^H]])."""
    check_square("linalg.matrix_exp", A)
    return MatrixExp.apply(A)


# -------------------------------------------------------------------------- householder_product

def householder_product(A, tau) -> Tensor:
    """The first n columns of the product of Householder matrices H_1 ... H_k,
    H_i = I - tau_i v_i v_i^H, with v_i = (0, ..., 0, 1, A[i+1:, i]) (LAPACK's orgqr: the Q of
    a QR factorization stored as reflectors). A: (*, m, n), m >= n; tau: (*, k), k <= n."""
    fn = "linalg.householder_product"
    check_matrix(fn, A)
    check_float(fn, tau, "tau")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1] (A has shape {shape_str(A.shape)})")
    if tau.ndim < 1 or tau.shape[-1] > n:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1] (A {shape_str(A.shape)}, tau {shape_str(tau.shape)})")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{fn}: expected batch dims of tau {shape_str(tau.shape[:-1])} to "
                           f"equal those of A {shape_str(A.shape[:-2])}")
    if A.dtype is not tau.dtype:
        raise RuntimeError(f"{fn}: tau dtype {tau.dtype.name} does not match A dtype "
                           f"{A.dtype.name}")
    xp = A._device.xp
    unit = _make(xp.eye(m, n, dtype=A._data.dtype), A._device)
    V = A.tril(-1) + unit
    Q = _make(xp.broadcast_to(xp.eye(m, n, dtype=A._data.dtype), tuple(A.shape)).copy(),
              A._device)
    for i in reversed(range(tau.shape[-1])):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i:i + 1].unsqueeze(-1) * (v @ (v.mH @ Q))
    return Q




def vander(x, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x: out[..., i, j] = x_i^j for j < N (increasing powers).
    x: (*, n) -> (*, n, N), N = n by default."""
    fn = "linalg.vander"
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: x must be a Tensor, got {type(x).__name__}")
    if x.ndim < 1:
        raise RuntimeError(f"{fn}: x must have at least one dimension, got shape "
                           f"{shape_str(x.shape)}")
    N = x.shape[-1] if N is None else N
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise RuntimeError(f"{fn}: N must be a positive integer, got {N!r}")
    ones = x.new_ones(tuple(x.shape) + (1,))
    if N == 1:
        return ones
    powers = x.unsqueeze(-1).expand(tuple(x.shape) + (N - 1,)).cumprod(-1)
    return cat([ones, powers], -1)


__all__ = ["vecdot", "cross", "diagonal", "multi_dot", "matrix_power", "matrix_exp",
           "householder_product", "vander"]

"""Determinants, inverses and linear systems: det, slogdet, inv, inv_ex, pinv, matrix_rank,
solve, solve_ex, solve_triangular, lstsq.

A singular matrix never gives garbage here: solve, inv and solve_triangular raise LinAlgError
naming the function, the batch element and the rank, and pointing at analyze_system and lstsq;
the `_ex` variants return nan there and an info code. Singular means rank < n at matrix_rank's
default tolerance: smallest singular value <= n * eps * largest (see ember.linalg._common).
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Op
from ..ops.elementwise import where
from ..ops.shape import cat
from ..tensor import Tensor, _make
from ._common import (
    SOLVE_ADVICE,
    Singularity,
    batch_broadcast,
    check_finite,
    check_float,
    check_matrix,
    check_same_dtype,
    check_square,
    eps_of,
    imag_part,
    inv_ex_result,
    keep_outputs,
    lstsq_result,
    numerical_rank,
    raise_if_singular,
    real_only,
    real_part,
    singular_values,
    slogdet_result,
    solve_ex_result,
)
from .decompositions import SVD, _unbroadcast_batch, solve_triangular_unchecked

# ---------------------------------------------------------------------------------------- det


class Det(Op):
    save_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.xp.linalg.det(a)

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        real_only("linalg.det", a)
        return _det_backward(g, a, d)


def _det_backward(g: Tensor, a: Tensor, d: Tensor) -> Tensor:
    """d det(A) = det(A) tr(A^{-1} dA): gA = g det(A) A^{-H} where A is invertible. Where a
    matrix is singular the adjugate takes its place (the same formula, continuous there),
    computed from the SVD A = U diag(S) Vh: adj(A)^H = det(U) det(Vh) U diag(p) Vh with
    p_i = prod_{j != i} S_j. The two kinds of matrices of a batch go through their own formula
    (gradients of gradients through the SVD need distinct singular values; the invertible
    matrices need not pay for that)."""
    xp = a._device.xp
    n = a.shape[-1]
    if n == 0:
        return a.new_zeros(tuple(a.shape))
    mask = Singularity(xp, a._data, a.dtype).mask
    if not bool(mask.any()):
        return _det_grad_invertible(g, a, d)
    if bool(mask.all()):
        return _det_grad_adjugate(g, a)
    shape = tuple(a.shape)
    flat_a, flat_g, flat_d = a.reshape(-1, n, n), g.reshape(-1), d.reshape(-1)
    flat_mask = mask.reshape(-1)
    sing = _make(xp.nonzero(flat_mask)[0], a._device)
    good = _make(xp.nonzero(~flat_mask)[0], a._device)
    parts = cat([_det_grad_invertible(flat_g[good], flat_a[good], flat_d[good]),
                 _det_grad_adjugate(flat_g[sing], flat_a[sing])])
    order = _make(xp.argsort(xp.concatenate([good._data, sing._data])), a._device)
    return parts[order].reshape(shape)


def _det_grad_invertible(g: Tensor, a: Tensor, d: Tensor) -> Tensor:
    return (g * d).unsqueeze(-1).unsqueeze(-1) * inv_unchecked(a).mH


def _det_grad_adjugate(g: Tensor, a: Tensor) -> Tensor:
    xp = a._device.xp
    n = a.shape[-1]
    U, S, Vh = keep_outputs(SVD.apply(a, False), (0, 1, 2))
    sign = xp.linalg.det(U._data) * xp.linalg.det(Vh._data)
    eye = _make(xp.eye(n, dtype=bool), a._device)
    p = where(eye, 1.0, S.unsqueeze(-2).expand(tuple(a.shape))).prod(-1)
    return (g * _make(sign, a._device)).unsqueeze(-1).unsqueeze(-1) * ((U * p.unsqueeze(-2)) @ Vh)


def det(A) -> Tensor:
    """The determinant: (*) for A: (*, n, n). Its gradient g det(A) A^{-H} becomes
    g adj(A)^H (the cofactor matrix) where A is singular, so it stays correct at det = 0.
    Gradients of gradients at a singular A go through its SVD: defined at rank n - 1 with
    distinct singular values, nan below (where the adjugate's own derivative needs them).
    """
    check_square("linalg.det", A)
    return Det.apply(A)


class Slogdet(Op):
    n_outputs = 2
    nondiff_outputs = (0,)  # the sign of a real determinant is locally constant
    materialize_grads = False

    @staticmethod
    def forward(ctx, a):
        sign, logabs = ctx.xp.linalg.slogdet(a)
        return sign, logabs

    @staticmethod
    def backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        real_only("linalg.slogdet", a)
        if glog is None:
            return None
        return glog.unsqueeze(-1).unsqueeze(-1) * inv_unchecked(a).mH


def slogdet(A):
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet), without overflow: both (*) for
    A: (*, n, n). A singular matrix gives sign 0 and logabsdet -inf. The gradient of logabsdet
    is A^{-H}; the sign has none."""
    check_square("linalg.slogdet", A)
    return slogdet_result(*Slogdet.apply(A))


def logdet(A) -> Tensor:
    """log det(A), as torch.logdet: -inf for a singular A, nan where det(A) < 0. Computed from
    slogdet, so it does not overflow where det(A) itself would."""
    sign, logabsdet = slogdet(A)
    return where(sign > 0, logabsdet, where(sign == 0, -math.inf, math.nan))


# ---------------------------------------------------------------------------------------- inv

class Inv(Op):
    save_output = True

    @staticmethod
    def forward(ctx, a, mask):
        xp = ctx.xp
        if mask is None:
            try:
                return xp.linalg.inv(a)
            except xp.linalg.LinAlgError:  # unchecked use (a gradient rule): nan, not a raise
                mask = Singularity(xp, a, backend.dtype_of_array(a)).mask | ~xp.isfinite(
                    a).all(axis=(-2, -1))
        bad = mask[..., None, None]
        safe = xp.where(bad, xp.eye(a.shape[-1], dtype=a.dtype), a)
        return xp.where(bad, xp.nan, xp.linalg.inv(safe))

    @staticmethod
    def backward(ctx, g):
        a, _, out = ctx.saved_tensors
        real_only("linalg.inv", a)
        # d(A^{-1}) = -A^{-1} dA A^{-1}
        return -(out.mH @ g @ out.mH), None


def inv_unchecked(A: Tensor) -> Tensor:
    """The differentiable inverse without the singularity check (for gradient rules)."""
    return Inv.apply(A, None)


def inv(A) -> Tensor:
    """The inverse A^{-1}: (*, n, n) for A: (*, n, n). Gradient -A^{-H} g A^{-H}.

    Raises LinAlgError, naming the batch element and its rank, when a matrix is singular: rank
    below n at matrix_rank's tolerance (smallest singular value <= n * eps * largest).
    """
    check_square("linalg.inv", A)
    raise_if_singular("linalg.inv", A, "It has no inverse: ember.linalg.pinv(A) is the "
                      "pseudo-inverse; for a system A x = b, ember.linalg.analyze_system(A, b) "
                      "tells whether it has no solution or infinitely many and "
                      "ember.linalg.lstsq(A, b) gives a least-squares solution.")
    return Inv.apply(A, None)


def inv_ex(A, *, check_errors: bool = False):
    """inv that reports singular matrices instead of raising: (inverse, info), info (*) int32:
    0 where A is invertible, rank + 1 where it is singular (the 1-based position of the first
    singular value judged zero); the inverse is nan there. check_errors=True raises as inv."""
    check_square("linalg.inv_ex", A)
    if check_errors:
        return inv_ex_result(inv(A), A.new_zeros(tuple(A.shape[:-2]), dtype=backend.int32))
    xp = A._device.xp
    sing = Singularity(xp, A._data, A.dtype)
    out = Inv.apply(A, sing.mask if sing.any() else None)
    return inv_ex_result(out, _make(sing.info(xp), A._device))


# --------------------------------------------------------------------------------------- pinv

class Pinv(Op):
    save_output = True

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        xp = ctx.xp
        m, n = a.shape[-2], a.shape[-1]
        dtype = backend.dtype_of_array(a)
        if hermitian:
            w, v = xp.linalg.eigh(a)
            s = xp.abs(w)
            _, tol = numerical_rank(xp, xp.sort(s, axis=-1)[..., ::-1], m, n, dtype, atol, rtol)
            keep = s > tol[..., None]
            winv = xp.where(keep, 1 / xp.where(keep, w, 1), 0)
            return (v * winv[..., None, :]) @ xp.conj(xp.swapaxes(v, -1, -2))
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        _, tol = numerical_rank(xp, s, m, n, dtype, atol, rtol)
        keep = s > tol[..., None]
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        return xp.conj(xp.swapaxes(vh, -1, -2)) @ (sinv[..., :, None] * xp.conj(
            xp.swapaxes(u, -1, -2)))

    @staticmethod
    def backward(ctx, g):
        a, _, _, _, p = ctx.saved_tensors
        real_only("linalg.pinv", a)
        return _pinv_backward(g, p, a), None, None, None


def _pinv_backward(g: Tensor, p: Tensor, a: Tensor) -> Tensor:
    """PyTorch's rule for A^+ (valid where the rank is locally constant):
    gA = -(A^+)^H g (A^+)^H + (I - A A^+)^H g^H... arranged to multiply the smallest matrices."""
    m, n = a.shape[-2], a.shape[-1]
    ph = p.mH
    gh = g.mH
    if m <= n:
        K = gh @ p
        KpH = K @ ph
        return -(p @ K).mH + KpH - (a @ p) @ KpH + (ph @ p) @ (gh - K @ a)
    K = p @ gh
    pHK = ph @ K
    return -(K @ p).mH + ((gh - a @ K) @ p) @ ph + pHK - (pHK @ p) @ a


def _tolerances(fn: str, atol, rtol, rcond=None):
    if rcond is not None:
        if rtol is not None:
            raise RuntimeError(f"{fn}: rcond and rtol cannot both be given (rcond is the old "
                               "name of rtol)")
        rtol = rcond
    for name, v in (("atol", atol), ("rtol", rtol)):
        if v is not None:
            if isinstance(v, Tensor):
                raise TypeError(f"{fn}: {name} must be a Python number in ember, got a Tensor")
            if v < 0:
                raise RuntimeError(f"{fn}: {name} must be non-negative, got {v}")
    return None if atol is None else float(atol), None if rtol is None else float(rtol)


def pinv(A, rcond=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse A^+: (*, n, m) for A: (*, m, n).

    A^+ = V diag(1/s_i for s_i > tol, else 0) U^H from the SVD, tol = max(atol, rtol * s_max);
    rtol defaults to eps * max(m, n) when neither is given, to 0 when only atol is. With
    hermitian=True A is taken as Hermitian and its eigen-decomposition is used. `rcond` is the
    older name of rtol. The gradient (PyTorch's) is valid where the rank does not change under
    small perturbations.
    """
    check_matrix("linalg.pinv", A)
    check_finite("linalg.pinv", A)
    atol, rtol = _tolerances("linalg.pinv", atol, rtol, rcond)
    if hermitian:
        check_square("linalg.pinv", A)
    return Pinv.apply(A, atol, rtol, bool(hermitian))


def matrix_rank(A, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The numerical rank: the number of singular values above max(atol, rtol * s_max) (rtol
    defaults to eps * max(m, n) when neither is given, to 0 when only atol is; `tol`, the
    older name, is atol). With hermitian=True the |eigenvalues| of the Hermitian A are used.
    A: (*, m, n) -> (*) int64. Not differentiable."""
    check_matrix("linalg.matrix_rank", A)
    check_finite("linalg.matrix_rank", A)
    if tol is not None:
        atol = tol
    atol, rtol = _tolerances("linalg.matrix_rank", atol, rtol)
    xp = A._device.xp
    if hermitian:
        check_square("linalg.matrix_rank", A)
        s = xp.sort(xp.abs(xp.linalg.eigvalsh(A._data)), axis=-1)[..., ::-1]
    else:
        s = singular_values(xp, A._data)
    rank, _ = numerical_rank(xp, s, A.shape[-2], A.shape[-1], A.dtype, atol, rtol)
    return _make(rank.astype(xp.int64), A._device)


# -------------------------------------------------------------------------------------- solve

class Solve(Op):
    """X = A^{-1} B for A: (*, n, n), B: (*, n, k), batch dims broadcast; `mask` marks
    singular matrices whose solution is set to nan (solve_ex)."""

    save_output = True

    @staticmethod
    def forward(ctx, a, b, mask):
        xp = ctx.xp
        batch = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        if mask is None:
            try:
                return xp.linalg.solve(a, b)
            except xp.linalg.LinAlgError:  # LAPACK flags a non-finite matrix: nan there, as inv
                mask = Singularity(xp, a, backend.dtype_of_array(a)).mask | ~xp.isfinite(
                    a).all(axis=(-2, -1))
        bad = xp.broadcast_to(mask, batch)[..., None, None]
        safe = xp.where(bad, xp.eye(a.shape[-1], dtype=a.dtype), a)
        return xp.where(bad, xp.nan, xp.linalg.solve(safe, b))

    @staticmethod
    def backward(ctx, g):
        a, b, mask, x = ctx.saved_tensors
        real_only("linalg.solve", a)
        gb = Solve.apply(a.mH, g, mask)
        ga = None
        if ctx.next[0] is not None:
            ga = _unbroadcast_batch(-(gb @ x.mH), a.shape)
        return ga, _unbroadcast_batch(gb, b.shape), None


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) if it is 1-D, or if it has one dim less
    than A and matches A's shape without the last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _prepare_solve(fn: str, A, B, left: bool):
    """Checks; returns (A, B as (*, n, k), whether B was a vector)."""
    check_square(fn, A)
    check_float(fn, B, "B")
    check_same_dtype(fn, A, B)
    vector = left and _is_vector_rhs(A, B)
    if vector:
        B = B.unsqueeze(-1)
    if B.ndim < 2:
        raise RuntimeError(f"{fn}: B must be a vector (*, n) or a matrix (*, n, k), got shape "
                           f"{tuple(B.shape)}")
    n = A.shape[-1]
    rows = B.shape[-2] if left else B.shape[-1]
    if rows != n:
        shape = f"{B.shape[-2]}x{B.shape[-1]}"
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {shape}; A {tuple(A.shape)}, B "
                           f"{tuple(B.shape[:-1]) if vector else tuple(B.shape)})")
    batch_broadcast(fn, tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    return A, B, vector


def solve(A, B, *, left: bool = True) -> Tensor:
    """The solution X of A X = B (X A = B with left=False).

    A: (*, n, n); B: (*, n) a vector or (*, n, k) a matrix (with left=False (*, k, n)); batch
    dims broadcast. X has B's shape (with the broadcast batch). Gradients: gB = A^{-H} g,
    gA = -gB X^H.

    Raises LinAlgError when A is singular (rank < n at matrix_rank's tolerance: smallest
    singular value <= n * eps * largest), naming the batch element; analyze_system(A, B)
    then tells whether the system has no solution or infinitely many.
    """
    A, B, vector = _prepare_solve("linalg.solve", A, B, left)
    raise_if_singular("linalg.solve", A, SOLVE_ADVICE)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return Solve.apply(A.mT, B.mT, None).mT
    X = Solve.apply(A, B, None)
    return X.squeeze(-1) if vector else X


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):
    """solve that reports singular matrices instead of raising: (result, info), info (*) int32:
    0 where A is invertible, rank + 1 where it is singular; the result is nan there.
    check_errors=True raises as solve does."""
    if check_errors:
        X = solve(A, B, left=left)
        return solve_ex_result(X, A.new_zeros(tuple(A.shape[:-2]), dtype=backend.int32))
    A, B, vector = _prepare_solve("linalg.solve_ex", A, B, left)
    xp = A._device.xp
    sing = Singularity(xp, A._data, A.dtype)
    mask = sing.mask if sing.any() else None
    info = _make(sing.info(xp), A._device)
    if not left:
        return solve_ex_result(Solve.apply(A.mT, B.mT, mask).mT, info)
    X = Solve.apply(A, B, mask)
    return solve_ex_result(X.squeeze(-1) if vector else X, info)


def solve_triangular(A, B, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """The solution X of T X = B (X T = B with left=False) for the triangle T of A.

    A: (*, n, n), of which only the upper (upper=True) or lower triangle is read, its diagonal
    taken as ones if unitriangular; B: (*, n, k) (or (*, k, n) with left=False); batch dims
    broadcast. Raises LinAlgError if T is singular (as solve).
    """
    fn = "linalg.solve_triangular"
    check_square(fn, A)
    check_matrix(fn, B, "B")
    check_same_dtype(fn, A, B)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    batch_broadcast(fn, tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    xp = A._device.xp
    t = xp.triu(A._data) if upper else xp.tril(A._data)
    if unitriangular:
        t = t.copy()
        t[..., xp.arange(n), xp.arange(n)] = 1
    sing = Singularity(xp, t, A.dtype)
    if sing.any():
        from ._common import LinAlgError
        raise LinAlgError(f"{fn}: {sing.describe_first().replace('the matrix', 'the triangle')}. "
                          + SOLVE_ADVICE)
    if not left:  # X T = B  <=>  T^T X^T = B^T, and T^T is the other triangle
        return solve_triangular_unchecked(A.mT, B.mT, not upper, bool(unitriangular)).mT
    return solve_triangular_unchecked(A, B, bool(upper), bool(unitriangular))


# -------------------------------------------------------------------------------------- lstsq

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B: X minimizing ||A X - B||_F (the minimum-norm one
    when A is rank-deficient). A: (*, m, n), B: (*, m, k) or (*, m); batch dims broadcast.

    Returns (solution (*, n, k), residuals, rank, singular_values) as PyTorch: residuals
    (*, k) = the squared column norms of A X - B when m > n, every A has full rank and the
    driver is not 'gelsy' (else empty); rank (*) int64 for every driver but 'gels';
    singular_values (*, min(m, n)) for 'gelsd' and 'gelss' (else empty). driver defaults to
    'gelsy'. Every driver computes X from the SVD with singular values <= rcond * s_max
    dropped (rcond defaults to eps * max(m, n)), so X = pinv(A) B and its gradient is pinv's
    (valid for full-rank A).
    """
    fn = "linalg.lstsq"
    check_matrix(fn, A)
    check_finite(fn, A)
    check_float(fn, B, "B")
    check_same_dtype(fn, A, B)
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(f"{fn}: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           f"gelss), got {driver!r}")
    m, n = A.shape[-2], A.shape[-1]
    vector = _is_vector_rhs(A, B) if B.ndim < A.ndim else B.ndim == 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != m:
        raise RuntimeError(f"{fn}: incompatible shapes of A and B for the equation AX = B "
                           f"({m}x{n} and {Bm.shape[-2]}x{Bm.shape[-1]}; A {tuple(A.shape)}, "
                           f"B {tuple(B.shape)})")
    batch_broadcast(fn, tuple(A.shape[:-2]), tuple(Bm.shape[:-2]))
    rtol = eps_of(A.dtype) * max(m, n) if rcond is None or rcond < 0 else float(rcond)
    xp = A._device.xp
    s = singular_values(xp, A._data)
    rank, _ = numerical_rank(xp, s, m, n, A.dtype, None, rtol)
    X = pinv(A, rtol=rtol) @ Bm
    real_dtype = A.dtype.to_real()
    empty = _make(xp.zeros((0,), dtype=real_dtype.np), A._device)
    full_rank = bool((rank == min(m, n)).all())
    if driver != "gelsy" and m > n and (full_rank or driver == "gels"):
        r = A @ X - Bm
        if r.dtype.is_complex:
            re, im = real_part(r), imag_part(r)
            residuals = (re * re + im * im).sum(-2)
        else:
            residuals = (r * r).sum(-2)
    else:
        residuals = empty
    rank_t = (_make(xp.zeros((0,), dtype=xp.int64), A._device) if driver == "gels" else
              _make(rank.astype(xp.int64), A._device))
    sv = _make(s.astype(real_dtype.np), A._device) if driver in ("gelsd", "gelss") else empty
    if vector:  # as PyTorch, the residuals of a vector b keep their (*, 1) shape
        X = X.squeeze(-1)
    return lstsq_result(X, residuals, rank_t, sv)


# ------------------------------------------------------------------------ tensorinv, tensorsolve

def tensorinv(A, ind: int = 2) -> Tensor:
    """The inverse of A seen as a linear map from its last dims to its first `ind` dims:
    tensordot(tensorinv(A, ind), A, ind) is the identity. A: (*front, *back) with
    prod(front) == prod(back), front = A.shape[:ind]; result: (*back, *front). Raises
    LinAlgError if the (prod(front), prod(back)) matrix is singular."""
    fn = "linalg.tensorinv"
    check_float(fn, A)
    if isinstance(ind, bool) or not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"{fn}: expected a strictly positive integer for 'ind', got {ind!r}")
    front, back = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    pf, pb = math.prod(front), math.prod(back)
    if pf != pb:
        raise RuntimeError(f"{fn}: expected prod(A.shape[ind:]) == prod(A.shape[:ind]), but got "
                           f"{pb} != {pf} (A of shape {tuple(A.shape)}, ind={ind})")
    M = A.reshape(pf, pb)
    raise_if_singular(fn, M, "A has no inverse as a linear map.")
    return Inv.apply(M, None).reshape(back + front)


def tensorsolve(A, B, dims=None) -> Tensor:
    """The X with tensordot(A, X, X.ndim) = B. A: (*B.shape, *X.shape), prod(B.shape) ==
    prod(X.shape); `dims` (optional) are dims of A moved to the end first. Raises LinAlgError
    if the (prod(B.shape), prod(X.shape)) matrix is singular (as solve)."""
    fn = "linalg.tensorsolve"
    check_float(fn, A)
    check_float(fn, B, "B")
    check_same_dtype(fn, A, B)
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    xshape = tuple(A.shape[B.ndim:])
    pb, px = math.prod(tuple(B.shape)), math.prod(xshape)
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or pb != px:
        raise RuntimeError(f"{fn}: A of shape {tuple(A.shape)} must be (*B.shape, *X.shape) "
                           f"with prod(B.shape) == prod(X.shape); B has shape {tuple(B.shape)}")
    M = A.reshape(pb, px)
    raise_if_singular(fn, M, SOLVE_ADVICE)
    return Solve.apply(M, B.reshape(pb, 1), None).reshape(xshape)


__all__ = ["det", "slogdet", "inv", "inv_ex", "pinv", "matrix_rank", "solve", "solve_ex",
           "solve_triangular", "lstsq", "tensorinv", "tensorsolve"]

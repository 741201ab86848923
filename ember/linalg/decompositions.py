"""Matrix factorizations: cholesky, qr, eigh / eigvalsh, eig / eigvals, svd / svdvals, LU.

Each is an Op: NumPy's LAPACK computes the factors (the LU factorization, which NumPy lacks, is
written here with partial pivoting), and the gradient rule next to it is written with ember ops,
so gradients of gradients come from the same rules (eig's rule, on complex numbers, is first
order only). Shapes: A is (*, m, n) with any number of leading batch dims.

Where the factors are not unique the gradient needs a choice. eigh's and svd's rules divide by
eigenvalue / singular value gaps: they assume distinct values, and give inf or nan where two
coincide (the eigenvectors are then not differentiable functions of A), except through
eigvalsh / svdvals, whose gradients (V diag(g) V^H, U diag(g) V^H) are always finite.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd import grad_mode
from ..autograd.function import Op
from ..ops.shape import cat, diag_embed, diagonal
from ..tensor import Tensor, _make
from ._common import (
    LinAlgError,
    batch_element,
    check_finite,
    check_matrix,
    check_square,
    cholesky_ex_result,
    eig_result,
    eigh_result,
    eye_like,
    first_order,
    keep_outputs,
    kept,
    lu_factor_ex_result,
    lu_factor_result,
    lu_result,
    qr_result,
    real_only,
    svd_result,
)


def _needs_grad(*tensors) -> bool:
    return grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)


# --------------------------------------------------------------------------------- cholesky

def _not_pd_order(xp, a) -> int:
    """The order of the first leading minor of one matrix that is not positive-definite (the
    minors are nested, so a failing order makes every larger one fail: binary search)."""
    lo, hi = 1, a.shape[-1]
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            xp.linalg.cholesky(a[:mid, :mid])
            lo = mid + 1
        except xp.linalg.LinAlgError:
            hi = mid
    return lo


def _cholesky_info(xp, a):
    """Per matrix: 0 if positive-definite, else the order of the leading minor that is not."""
    batch = a.shape[:-2]
    flat = a.reshape((-1,) + a.shape[-2:])
    info = xp.zeros(flat.shape[0], dtype=xp.int32)
    for k in range(flat.shape[0]):
        try:
            xp.linalg.cholesky(flat[k])
        except xp.linalg.LinAlgError:
            info[k] = _not_pd_order(xp, flat[k])
    return info.reshape(batch)


class Cholesky(Op):
    """L with A = L L^H from the lower triangle of A (U = L^H with upper=True)."""

    save_output = True

    @staticmethod
    def forward(ctx, a, upper, info):
        xp = ctx.xp
        if info is not None and bool((info > 0).any()):
            # cholesky_ex: factor the others, leave nan where the factorization failed
            bad = (info > 0)[..., None, None]
            a = xp.where(bad, xp.eye(a.shape[-1], dtype=a.dtype), a)
            out = xp.where(bad, xp.nan, xp.linalg.cholesky(a))
        else:
            out = xp.linalg.cholesky(a)
        return xp.conj(xp.swapaxes(out, -1, -2)) if upper else out

    @staticmethod
    def backward(ctx, g):
        a, upper, _, out = ctx.saved_tensors
        real_only("linalg.cholesky", a)
        L, gL = (out.mH, g.mH) if upper else (out, g)
        # PyTorch's rule: gA = L^{-H} Phi(L^H gL) L^{-1}, Phi = the lower triangle with a halved
        # diagonal, made Hermitian (A is symmetric: the rule spreads the gradient evenly)
        gA = (L.mH @ gL).tril()
        gA = (gA + gA.tril(-1).mH) * 0.5
        gA = solve_triangular_unchecked(L.mH, gA, True)  # L^{-H} P
        gA = solve_triangular_unchecked(L.mH, gA.mH, True).mH  # (L^{-H} P) L^{-1}
        return gA, None, None


def cholesky(A, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of a Hermitian positive-definite matrix: A = L L^H.

    A: (*, n, n); only its lower triangle is read. Returns L: (*, n, n) lower triangular with a
    positive diagonal (or U = L^H, upper triangular, with upper=True).
    Raises LinAlgError naming the batch element and the order of the leading minor that is not
    positive-definite.
    """
    check_square("linalg.cholesky", A)
    xp = A._device.xp
    try:
        return Cholesky.apply(A, bool(upper), None)
    except xp.linalg.LinAlgError:
        info = _cholesky_info(xp, A._data)
    k = int((info > 0).reshape(-1).argmax())
    raise LinAlgError(f"linalg.cholesky:{batch_element(k, A.shape[:-2])} The factorization "
                      "could not be completed because the input is not positive-definite (the "
                      f"leading minor of order {int(info.reshape(-1)[k])} is not "
                      "positive-definite). ember.linalg.definiteness(A) classifies it from its "
                      "eigenvalues.")


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """cholesky that reports failure instead of raising: (L, info), info: (*) int32, 0 where
    A is positive-definite, else the order of the first leading minor that is not (LAPACK's
    convention); L is nan there. check_errors=True raises as cholesky does."""
    check_square("linalg.cholesky_ex", A)
    xp = A._device.xp
    try:
        L = Cholesky.apply(A, bool(upper), None)
        info = xp.zeros(A.shape[:-2], dtype=xp.int32)
    except xp.linalg.LinAlgError:
        if check_errors:
            cholesky(A, upper=upper)
        info = _cholesky_info(xp, A._data)
        L = Cholesky.apply(A, bool(upper), info)
    return cholesky_ex_result(L, _make(info, A._device))


# ------------------------------------------------------------------------------ triangular

class SolveTriangular(Op):
    """X = T^{-1} B for the triangle T of A (upper or lower; unit diagonal if unitriangular).
    A: (*, n, n), B: (*, n, k) (batch dims broadcast)."""

    save_output = True

    @staticmethod
    def forward(ctx, a, b, upper, unit):
        xp = ctx.xp
        t = _triangle(xp, a, upper, unit)
        n = a.shape[-1]
        if not upper:  # reversing rows and columns turns it upper triangular: back substitution
            t = t[..., ::-1, ::-1]
            b = b[..., ::-1, :]
        batch = xp.broadcast_shapes(t.shape[:-2], b.shape[:-2])
        t = xp.broadcast_to(t, batch + (n, n))
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        x = xp.linalg.solve(t, b)
        return x if upper else xp.ascontiguousarray(x[..., ::-1, :])

    @staticmethod
    def backward(ctx, g):
        a, b, upper, unit, x = ctx.saved_tensors
        real_only("linalg.solve_triangular", a)
        gb = solve_triangular_unchecked(a.mH, g, not upper, unit)
        ga = None
        if ctx.next[0] is not None:
            ga = -(gb @ x.mH)
            ga = ga.triu(1 if unit else 0) if upper else ga.tril(-1 if unit else 0)
            ga = _unbroadcast_batch(ga, a.shape)
        return ga, _unbroadcast_batch(gb, b.shape), None, None


def _triangle(xp, a, upper: bool, unit: bool):
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        n = a.shape[-1]
        t = t.copy()
        t[..., xp.arange(n), xp.arange(n)] = 1
    return t


def _unbroadcast_batch(g: Tensor, shape) -> Tensor:
    """Sum a gradient over the batch dims broadcasting added or stretched."""
    from ..ops._util import unbroadcast
    return unbroadcast(g, tuple(shape))


def solve_triangular_unchecked(A: Tensor, B: Tensor, upper: bool, unit: bool = False) -> Tensor:
    """The differentiable triangular solve without the boundary checks (for gradient rules)."""
    return SolveTriangular.apply(A, B, upper, unit)


# ----------------------------------------------------------------------------------------- qr

class QR(Op):
    n_outputs = 2
    materialize_grads = False

    @staticmethod
    def forward(ctx, a, mode):
        xp = ctx.xp
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros((0,), dtype=a.dtype), r
        q, r = xp.linalg.qr(a, mode=mode)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        a, mode = ctx.saved_tensors
        real_only("linalg.qr", a)
        m, n = a.shape[-2], a.shape[-1]
        if mode == "r":
            raise RuntimeError("linalg.qr: the derivative of linalg.qr depends on Q, which is not "
                               "computed when mode='r'. Please use linalg.qr(A, mode='reduced') "
                               "if you are going to differentiate through linalg.qr.")
        if mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols (the extra columns of Q are "
                               "not unique)")
        Q, R = kept(ctx, 0), kept(ctx, 1)
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        # wide: A = Q [R1 | R2] with Q R1 = A[:, :m] square and R2 = Q^H A[:, m:]
        a2 = a[..., m:]
        gR1 = None if gR is None else gR[..., :m]
        gR2 = None if gR is None else gR[..., m:]
        if gR2 is not None:
            gQ = a2 @ gR2.mH if gQ is None else gQ + a2 @ gR2.mH
        ga1 = _qr_backward_tall(gQ, gR1, Q, R[..., :m])
        ga2 = Q @ gR2 if gR2 is not None else ga1.new_zeros(tuple(a2.shape))
        return cat([ga1, ga2], -1), None


def _qr_backward_tall(gQ, gR, Q: Tensor, R: Tensor) -> Tensor:
    """m >= n: gA = [gQ + Q copyutl(M)] R^{-H}, M = gR R^H - Q^H gQ, where copyutl makes a
    symmetric matrix of M's upper triangle (Q^H dQ is skew, dR R^{-1} upper triangular)."""
    if gR is not None:
        M = gR @ R.mH
        if gQ is not None:
            M = M - Q.mH @ gQ
    else:
        M = -(Q.mH @ gQ)
    M = M.triu() + M.triu(1).mH
    b = Q @ M if gQ is None else Q @ M + gQ
    # X R^H = b  <=>  R X^H = b^H
    return solve_triangular_unchecked(R, b.mH, True).mH


def qr(A, mode: str = "reduced"):
    """The QR decomposition A = Q R: (Q, R).

    A: (*, m, n), k = min(m, n). mode='reduced': Q (*, m, k) with orthonormal columns, R
    (*, k, n) upper triangular; 'complete': Q (*, m, m) orthogonal, R (*, m, n); 'r': R only (Q
    is an empty tensor). Differentiable for 'reduced' and for 'complete' when m <= n.
    """
    check_matrix("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: qr received unrecognized mode '{mode}' but expected one "
                           "of 'reduced' (default), 'r', or 'complete'")
    return qr_result(*keep_outputs(QR.apply(A, mode), (0, 1)))


# --------------------------------------------------------------------------------------- eigh

class Eigh(Op):
    n_outputs = 2
    materialize_grads = False

    @staticmethod
    def forward(ctx, a, uplo):
        return ctx.xp.linalg.eigh(a, UPLO=uplo)

    @staticmethod
    def backward(ctx, gL, gV):
        a, _ = ctx.saved_tensors
        real_only("linalg.eigh", a)
        L, V = kept(ctx, 0), kept(ctx, 1)
        if gV is None:  # eigenvalues only: V diag(gL) V^H, finite even for repeated ones
            return (V * gL.unsqueeze(-2)) @ V.mH, None
        # V^H gV projected on the skew-Hermitian matrices, divided by the eigenvalue gaps
        # E_ij = L_j - L_i (assumed non-zero off the diagonal), gL on the diagonal
        VhgV = V.mH @ gV
        VhgV = (VhgV - VhgV.mH) * 0.5
        E = L.unsqueeze(-2) - L.unsqueeze(-1)
        E = E + eye_like(E)
        inner = VhgV / E
        inner = inner - diag_embed(diagonal(inner, 0, -2, -1))
        if gL is not None:
            inner = inner + diag_embed(gL)
        return V @ inner @ V.mH, None


def _check_uplo(fn: str, UPLO: str) -> str:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{fn}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(A, UPLO: str = "L"):
    """Eigen-decomposition of a Hermitian (real symmetric) matrix: A = V diag(L) V^H.

    A: (*, n, n); only the triangle UPLO ('L' lower, 'U' upper) is read. Returns (eigenvalues
    (*, n) real, ascending; eigenvectors (*, n, n), orthonormal columns). The eigenvectors are
    unique up to sign (phase): a loss differentiated through them should not depend on it
    (e.g. a function of V V^H or of |V|). Their gradient divides by eigenvalue gaps: distinct
    eigenvalues are assumed, repeated ones give inf/nan in the eigenvector part.
    """
    check_square("linalg.eigh", A)
    check_finite("linalg.eigh", A)
    return eigh_result(*keep_outputs(Eigh.apply(A, _check_uplo("linalg.eigh", UPLO)), (0, 1)))


def eigvalsh(A, UPLO: str = "L") -> Tensor:
    """The eigenvalues of a Hermitian (real symmetric) matrix, ascending: (*, n) real.
    A: (*, n, n), triangle UPLO read. The gradient V diag(g) V^H is defined for any spectrum."""
    check_square("linalg.eigvalsh", A)
    check_finite("linalg.eigvalsh", A)
    _check_uplo("linalg.eigvalsh", UPLO)
    if not _needs_grad(A):
        return _make(A._device.xp.linalg.eigvalsh(A._data, UPLO=UPLO), A._device)
    return eigh(A, UPLO).eigenvalues


# ---------------------------------------------------------------------------------------- eig

class Eig(Op):
    n_outputs = 2
    materialize_grads = False

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        w, v = xp.linalg.eig(a)
        ctype = backend.dtype_of_array(a).to_complex().np
        return w.astype(ctype), v.astype(ctype)

    @staticmethod
    def backward(ctx, gL, gV):
        (a,) = ctx.saved_tensors
        real_only("linalg.eig", a)
        xp = ctx.xp
        L, V = kept(ctx, 0)._data, kept(ctx, 1)._data
        ga = _eig_backward_array(xp, L, V, None if gL is None else gL._data,
                                 None if gV is None else gV._data)
        return first_order(xp.real(ga).copy(), a, "linalg.eig")


def _eig_backward_array(xp, L, V, gL, gV):
    """PyTorch's rule: gA = V^{-H} (diag(gL) + P(V^H gV) / conj(E)) V^H with E_ij = L_j - L_i
    and P the projection that keeps the columns of V at unit norm. For a real A the gradient is
    the real part."""
    Vh = xp.conj(xp.swapaxes(V, -1, -2))
    n = L.shape[-1]
    if gV is None:
        inner = xp.zeros(V.shape, dtype=V.dtype)
    else:
        VhgV = Vh @ gV
        d = xp.real(xp.diagonal(VhgV, 0, -2, -1))
        VhgV = VhgV - Vh @ (V * d[..., None, :])
        E = xp.conj(L[..., None, :] - L[..., :, None])
        diag = (..., xp.arange(n), xp.arange(n))
        E[diag] = 1
        inner = VhgV / E
        inner[diag] = 0
    if gL is not None:
        inner[..., xp.arange(n), xp.arange(n)] = gL
    return xp.linalg.solve(Vh, inner @ Vh)


def eig(A):
    """Eigen-decomposition of a general square matrix: A V = V diag(L).

    A: (*, n, n). Returns (eigenvalues (*, n), eigenvectors (*, n, n)), both complex (complex64
    for float32 input, complex128 for float64), eigenvectors of unit norm. Differentiable for real
    A with distinct eigenvalues (the gradient is the real part of PyTorch's complex rule); the
    eigenvectors are defined up to a complex phase, so a loss must not depend on it (e.g. use
    |V|). First derivatives only.
    """
    check_square("linalg.eig", A)
    check_finite("linalg.eig", A)
    return eig_result(*keep_outputs(Eig.apply(A), (0, 1)))


def eigvals(A) -> Tensor:
    """The eigenvalues of a general square matrix, complex: (*, n). A: (*, n, n)."""
    check_square("linalg.eigvals", A)
    check_finite("linalg.eigvals", A)
    if not _needs_grad(A):
        xp = A._device.xp
        ctype = A.dtype.to_complex().np
        return _make(xp.linalg.eigvals(A._data).astype(ctype), A._device)
    return eig(A).eigenvalues


# ---------------------------------------------------------------------------------------- svd

class SVD(Op):
    n_outputs = 3
    materialize_grads = False

    @staticmethod
    def forward(ctx, a, full_matrices):
        return tuple(ctx.xp.linalg.svd(a, full_matrices=full_matrices))

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        a, full = ctx.saved_tensors
        real_only("linalg.svd", a)
        U, S, Vh = kept(ctx, 0), kept(ctx, 1), kept(ctx, 2)
        k = S.shape[-1]
        if full:  # as PyTorch: only the first k singular vectors are determined by A
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = None if gU is None else gU[..., :k]
            gVh = None if gVh is None else gVh[..., :k, :]
        return _svd_backward(gU, gS, gVh, U, S, Vh), None


def _svd_backward(gU, gS, gVh, U, S, Vh) -> Tensor:
    """PyTorch's rule: gA = U [sym(U^H gU)/E S + S sym(V^H gV)/E + diag(gS)] V^H plus the parts
    of gU, gV outside the spans of U, V; E_ij = S_j^2 - S_i^2 (distinct values assumed)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return (U * gS.unsqueeze(-2)) @ Vh
    UhgU = None if gU is None else U.mH @ gU
    VhgV = None if gVh is None else Vh @ gVh.mH
    UhgU = None if UhgU is None else UhgU - UhgU.mH
    VhgV = None if VhgV is None else VhgV - VhgV.mH
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = E + eye_like(E)
    if gU is not None and gVh is not None:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is None:
        gA = S.unsqueeze(-1) * (VhgV / E)
    else:
        gA = (UhgU / E) * S.unsqueeze(-2)
    if gS is not None:
        gA = gA + diag_embed(gS)
    if m > n and gU is not None:
        gUSinv = gU / S.unsqueeze(-2)
        gA = U @ gA + gUSinv - U @ (U.mH @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA @ Vh + SinvgVh - (SinvgVh @ Vh.mH) @ Vh
        return U @ gA
    return U @ gA @ Vh


def svd(A, full_matrices: bool = True, *, driver=None):
    """The singular value decomposition A = U diag(S) Vh.

    A: (*, m, n), k = min(m, n). Returns U (*, m, m) (or (*, m, k) with full_matrices=False),
    S (*, k) real, descending, Vh (*, n, n) (or (*, k, n)). Singular vectors are unique up to
    sign (phase) of each pair: a loss through them should not depend on it (e.g. a function of
    U diag(S) Vh, U U^H or |U|). Their gradient assumes distinct non-zero singular values
    (inf/nan otherwise); with full_matrices=True only the first k columns of U and rows of Vh
    receive a gradient (the others are not determined by A), as in PyTorch. `driver` (a CUDA
    option in PyTorch) is accepted and ignored.
    """
    check_matrix("linalg.svd", A)
    check_finite("linalg.svd", A)
    return svd_result(*keep_outputs(SVD.apply(A, bool(full_matrices)), (0, 1, 2)))


def svdvals(A, *, driver=None) -> Tensor:
    """The singular values of A: (*, k) real, descending, k = min(m, n). A: (*, m, n).
    Its gradient U diag(g) V^H is defined even for repeated singular values."""
    check_matrix("linalg.svdvals", A)
    check_finite("linalg.svdvals", A)
    if not _needs_grad(A):
        return _make(A._device.xp.linalg.svd(A._data, compute_uv=False), A._device)
    return svd(A, full_matrices=False).S


# ----------------------------------------------------------------------------------------- LU

def lu_factor_array(xp, a, pivot: bool = True):
    """Batched LU with partial pivoting, LAPACK's getrf: (LU, pivots (1-based int32), info).

    a: (*, m, n). LU holds L (unit lower, below the diagonal) and U; row j was swapped with row
    pivots[j] - 1 at step j. info: 0, or the 1-based index of the first exactly-zero pivot.
    """
    batch = a.shape[:-2]
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    nb = math.prod(batch)
    lu = a.reshape((nb, m, n)).copy()
    rows = xp.arange(nb)
    piv = xp.zeros((nb, k), dtype=xp.int32)
    info = xp.zeros(nb, dtype=xp.int32)
    for j in range(k):
        col = lu[:, j:, j]
        # LAPACK's pivot (i?amax): the largest |Re| + |Im| for complex, |x| for real
        mag = xp.abs(col.real) + xp.abs(col.imag) if xp.iscomplexobj(col) else xp.abs(col)
        p = (xp.argmax(mag, axis=1) + j) if pivot else xp.full(nb, j)
        piv[:, j] = p + 1
        if pivot:
            top = lu[rows, j, :].copy()
            lu[rows, j, :] = lu[rows, p, :]
            lu[rows, p, :] = top
        d = lu[:, j, j]
        zero = d == 0
        info = xp.where((info == 0) & zero, j + 1, info)
        if j + 1 < m:
            lu[:, j + 1:, j] /= xp.where(zero, 1, d)[:, None]
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info): the compact LU factorization P A = L U (LAPACK's getrf layout).

    A: (*, m, n). LU (*, m, n) holds U on and above the diagonal and L (unit diagonal,
    implied) below; pivots (*, min(m, n)) int32, 1-based: row i was swapped with row
    pivots[i] - 1. info (*) int32: 0, or the 1-based index of the first exactly-zero pivot
    (U is then singular). LU is differentiable (square, tall and wide A, where the pivots are
    locally constant and U's leading square block is invertible); the pivots and info are not.
    """
    check_matrix("linalg.lu_factor_ex", A)
    LU, piv, info = keep_outputs(LUFactor.apply(A, bool(pivot)), (0,))
    if LU.grad_fn is not None:
        LU.grad_fn.kept_pivots = piv._data
    if check_errors and bool((info._data > 0).any()):
        _raise_lu_singular("linalg.lu_factor_ex", info._data, A.shape[:-2])
    return lu_factor_ex_result(LU, piv, info)


class LUFactor(Op):
    """(LU, pivots, info) of A: (*, m, n); differentiable in LU for square A (the pivots are
    locally constant where no two candidates tie)."""

    n_outputs = 3
    nondiff_outputs = (1, 2)

    @staticmethod
    def forward(ctx, a, pivot):
        return lu_factor_array(ctx.xp, a, pivot)

    @staticmethod
    def backward(ctx, gLU, gpiv, ginfo):
        a, _ = ctx.saved_tensors
        real_only("linalg.lu_factor", a)
        LU = kept(ctx, 0)
        L, U = _unpack_lu(LU)
        k = min(a.shape[-2], a.shape[-1])
        gL, gU = gLU[..., :, :k].tril(-1), gLU[..., :k, :].triu()
        return _lu_backward(gL, gU, L, U, _permutation_matrix(LU, ctx.kept_pivots)), None


def _unpack_lu(LU: Tensor):
    """L (unit lower, (*, m, k)) and U ((*, k, n)) from the compact LU, as differentiable
    functions of it."""
    m, n = LU.shape[-2], LU.shape[-1]
    k = min(m, n)
    xp = LU._device.xp
    eye = _make(xp.eye(m, k, dtype=LU._data.dtype), LU._device)
    return LU[..., :, :k].tril(-1) + eye, LU[..., :k, :].triu()


def _permutation_matrix(LU: Tensor, pivots) -> Tensor:
    """P (*, m, m) with A = P L U, a constant, from LAPACK's 1-based pivots (an array)."""
    xp = LU._device.xp
    m = LU.shape[-2]
    perm = _permutation_from_pivots(xp, pivots, m)
    eye = xp.eye(m, dtype=LU._data.dtype)
    return _make(xp.ascontiguousarray(xp.swapaxes(eye[perm], -1, -2)), LU._device)


def _lu_backward(gL, gU, L: Tensor, U: Tensor, P: Tensor) -> Tensor:
    """gA for A = P L U (*, m, n) from the gradients of L (*, m, k) and U (*, k, n) (their
    strictly lower and upper parts).

    Square: P^T dA = dL U + L dU, so M = L^{-1} P^T dA U^{-1} = L^{-1} dL + dU U^{-1} splits
    into a strictly lower (dL = L tril(M, -1)) and an upper part (dU = triu(M) U), and the
    adjoint is gA = P L^{-H} [tril(L^H gL, -1) + triu(gU U^H)] U^{-H}.
    Wide (m < n): A = P L [U1 | U2] with P L U1 the square factorization of the first m columns
    and U2 = L^{-1} P^T A2, whose dU2 = L^{-1} (P^T dA2 - dL U2): gA2 = P L^{-H} gU2 and
    L receives -L^{-H} gU2 U2^H more.
    Tall (m > n): P^T A = [L1; L2] U with L1 U the square factorization of the first n rows of
    P^T A and L2 = (P^T A)_2 U^{-1}, dL2 = (d(P^T A)_2 - L2 dU) U^{-1}: the lower rows get
    gL2 U^{-H} and U receives -L2^H gL2 U^{-H} more."""
    m, n = L.shape[-2], U.shape[-1]
    if m < n:
        U1, U2 = U[..., :m], U[..., m:]
        gU1, gU2 = gU[..., :m], gU[..., m:]
        x2 = solve_triangular_unchecked(L.mH, gU2, True, True)  # L^{-H} gU2
        gL = gL - x2 @ U2.mH
        gA1 = _lu_backward_square(gL, gU1, L, U1, P)
        return cat([gA1, P @ x2], -1)
    if m > n:
        L1, L2 = L[..., :n, :], L[..., n:, :]
        gL1, gL2 = gL[..., :n, :], gL[..., n:, :]
        y2 = solve_triangular_unchecked(U, gL2.mH, True).mH  # gL2 U^{-H}
        gU = gU - L2.mH @ y2
        gA1 = _lu_backward_square(gL1, gU, L1, U, None)
        return P @ cat([gA1, y2], -2)
    return _lu_backward_square(gL, gU, L, U, P)


def _lu_backward_square(gL, gU, L: Tensor, U: Tensor, P) -> Tensor:
    phi = None
    if gL is not None:
        phi = (L.mH @ gL).tril(-1)
    if gU is not None:
        part = (gU @ U.mH).triu()
        phi = part if phi is None else phi + part
    x = solve_triangular_unchecked(L.mH, phi, True, True)  # L^{-H} phi
    x = solve_triangular_unchecked(U, x.mH, True).mH  # (U^{-1} x^H)^H = x U^{-H}
    return x if P is None else P @ x


def _raise_lu_singular(fn: str, info, batch_shape) -> None:
    k = int((info > 0).reshape(-1).argmax())
    raise LinAlgError(f"{fn}:{batch_element(k, batch_shape)} U[{int(info.reshape(-1)[k]) - 1}, "
                      f"{int(info.reshape(-1)[k]) - 1}] is exactly zero: the matrix is singular")


def lu_factor(A, *, pivot: bool = True):
    """(LU, pivots): the compact LU factorization P A = L U of A: (*, m, n); see lu_factor_ex.
    Raises LinAlgError when a pivot is exactly zero (a square A is then singular)."""
    check_matrix("linalg.lu_factor", A)
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    if bool((info._data > 0).any()) and A.shape[-1] == A.shape[-2]:
        _raise_lu_singular("linalg.lu_factor", info._data, A.shape[:-2])
    return lu_factor_result(LU, piv)


def _permutation_from_pivots(xp, piv, m: int):
    """Row order after the swaps: perm with (P A)[i] = A[perm[i]]."""
    batch = piv.shape[:-1]
    nb = math.prod(batch)
    flat = piv.reshape((nb, piv.shape[-1]))
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for j in range(flat.shape[1]):
        p = flat[:, j] - 1
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(batch + (m,))


def lu(A, *, pivot: bool = True):
    """(P, L, U) with A = P L U. A: (*, m, n), k = min(m, n): P (*, m, m) a permutation
    matrix, L (*, m, k) unit lower triangular, U (*, k, n) upper triangular. L and U are
    differentiable (P is a constant), as lu_factor_ex's LU."""
    check_matrix("linalg.lu", A)
    LU, piv, _ = lu_factor_ex(A, pivot=pivot)
    L, U = _unpack_lu(LU)
    # (P^T A)[i] = A[perm[i]], so P^T = eye[perm]
    return lu_result(_permutation_matrix(LU, piv._data), L, U)


class LUSolve(Op):
    """X = A^{-1} B (or A^{-H} B with adjoint) from A's LU factorization.
    LU: (*, n, n), pivots (*, n), B: (*, n, k)."""

    save_output = True

    @staticmethod
    def forward(ctx, lu_, piv, b, adjoint):
        xp = ctx.xp
        n = lu_.shape[-1]
        L = xp.tril(lu_, -1) + xp.eye(n, dtype=lu_.dtype)
        U = xp.triu(lu_)
        perm = _permutation_from_pivots(xp, piv, n)
        batch = xp.broadcast_shapes(lu_.shape[:-2], b.shape[:-2])
        L = xp.broadcast_to(L, batch + (n, n))
        U = xp.broadcast_to(U, batch + (n, n))
        perm = xp.broadcast_to(perm, batch + (n,))
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        if not adjoint:  # A = P L U: x = U^{-1} L^{-1} P^T b
            idx = xp.broadcast_to(perm[..., None], b.shape)
            pb = xp.take_along_axis(b, idx, axis=-2)
            return xp.linalg.solve(U, xp.linalg.solve(L, pb))
        # A^H = U^H L^H P^T: x = P L^{-H} U^{-H} b
        H = lambda t: xp.conj(xp.swapaxes(t, -1, -2))  # noqa: E731
        y = xp.linalg.solve(H(L), xp.linalg.solve(H(U), b))
        x = xp.empty_like(y)
        xp.put_along_axis(x, xp.broadcast_to(perm[..., None], y.shape), y, axis=-2)
        return x

    @staticmethod
    def backward(ctx, g):
        lu_, piv, b, adjoint, x = ctx.saved_tensors
        real_only("linalg.lu_solve", lu_)
        gb = LUSolve.apply(lu_, piv, g, not adjoint)
        glu = None
        if ctx.next[0] is not None:
            # A X = B: gA = -gB X^H; A^H X = B: gA = -X gB^H. Then through A = P L U:
            # gL = tril(P^T gA U^H, -1), gU = triu(L^H P^T gA).
            ga = -(x @ gb.mH) if adjoint else -(gb @ x.mH)
            ga = _unbroadcast_batch(ga, lu_.shape)
            L, U = _unpack_lu(lu_)
            ptga = _permutation_matrix(lu_, piv._data).mT @ ga
            glu = (ptga @ U.mH).tril(-1) + (L.mH @ ptga).triu()
        return glu, None, _unbroadcast_batch(gb, b.shape), None


def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """Solve A X = B (A^H X = B with adjoint=True; X A = B with left=False) given
    (LU, pivots) = lu_factor(A). LU: (*, n, n), pivots: (*, n), B: (*, n, k) (or (*, k, n)
    with left=False). Differentiable with respect to B and LU (with lu_factor, A)."""
    check_square("linalg.lu_solve", LU, "LU")
    check_matrix("linalg.lu_solve", B, "B")
    if not isinstance(pivots, Tensor) or pivots.dtype.category != 1:
        raise RuntimeError("linalg.lu_solve: pivots must be an integer tensor (from lu_factor)")
    n = LU.shape[-1]
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise RuntimeError(f"linalg.lu_solve: pivots of shape {tuple(pivots.shape)} do not match "
                           f"LU of shape {tuple(LU.shape)} (expected {tuple(LU.shape[:-1])})")
    if LU.dtype is not B.dtype:
        raise RuntimeError(f"linalg.lu_solve: expected LU and B to have the same dtype, but got "
                           f"{LU.dtype.name} and {B.dtype.name}")
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return lu_solve(LU, pivots, B.mH, left=True, adjoint=not adjoint).mH
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: incompatible shapes of A and B for the equation "
                           f"AX = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    from ._common import batch_broadcast
    batch_broadcast("linalg.lu_solve", tuple(LU.shape[:-2]), tuple(B.shape[:-2]), ("LU", "B"))
    zero = (LU._data[..., range(n), range(n)] == 0).any(axis=-1)
    if bool(zero.any()):
        k = int(zero.reshape(-1).argmax())
        raise LinAlgError(f"linalg.lu_solve:{batch_element(k, LU.shape[:-2])} U has an exactly "
                          "zero diagonal entry: the matrix is singular")
    return LUSolve.apply(LU, pivots, B, bool(adjoint))


__all__ = ["cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "eig", "eigvals", "svd",
           "svdvals", "lu_factor", "lu_factor_ex", "lu", "lu_solve"]

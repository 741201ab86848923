"""What a matrix says, read the way the mathematics teaches it: how many solutions a linear
system has (analyze_system), the definiteness of a symmetric matrix (definiteness,
is_positive_definite), and how a linear map scales volume and orientation (volume_scale).

These answer questions rather than compute differentiable quantities: analyze_system and
definiteness work on the values (no gradient); volume_scale's scale is differentiable.
"""

from __future__ import annotations

from ..tensor import Tensor, _make
from ._common import (
    LinAlgError,
    batch_broadcast,
    batch_element,
    check_float,
    check_matrix,
    check_same_dtype,
    check_square,
    eps_of,
    volume_scale_result,
)
from .solve import det

# ----------------------------------------------------------------------------- analyze_system

_KINDS = ("unique", "infinite", "none")


class SystemAnalysis:
    """The answer of analyze_system for one system A x = b (A: (m, n), b: (m,) or (m, k)).

    kind: 'unique' (rank A = rank [A | b] = n), 'infinite' (rank A = rank [A | b] < n) or
    'none' (rank A < rank [A | b]), the Rouché–Capelli theorem.
    solution: the unique solution; for 'infinite' the minimum-norm particular solution x0 (every
    solution is x0 + N t); for 'none' the minimum-norm least-squares solution. (n,) or (n, k).
    residual: ||A x - b|| (per column for a matrix b): the least-squares residual for 'none',
    rounding-size otherwise.
    null_space: N, (n, n - rank), orthonormal columns spanning {x : A x = 0} (empty for
    'unique'); for 'none' the least-squares solutions are solution + N t.
    rank, augmented_rank: rank A and rank [A | b]; free_parameters = n - rank; tol: the
    tolerance the ranks used.
    """

    def __init__(self, kind, solution, residual, null_space, rank, augmented_rank, tol):
        self.kind = kind
        self.solution = solution
        self.residual = residual
        self.null_space = null_space
        self.rank = rank
        self.augmented_rank = augmented_rank
        self.tol = tol

    @property
    def free_parameters(self) -> int:
        return self.null_space.shape[-1]

    @property
    def has_solution(self) -> bool:
        return self.kind != "none"

    def general_solution(self, t) -> Tensor:
        """x0 + N t for a parameter vector t: (n - rank,) (or (n - rank, k) for a matrix b)."""
        return self.solution + self.null_space @ t

    def __repr__(self) -> str:
        x = "x" if self.solution.ndim == 1 else "X"
        n = self.solution.shape[0]
        ranks = (f"rank A = {self.rank}, rank [A | b] = {self.augmented_rank}, {n} "
                 f"unknown{'s' if n != 1 else ''}")
        if self.kind == "unique":
            return f"SystemAnalysis(unique solution {x} ({ranks}))"
        if self.kind == "infinite":
            k = self.free_parameters
            t = "t" if x == "x" else "T"
            return (f"SystemAnalysis(infinitely many solutions: {x} = {x}0 + N {t}, {k} free "
                    f"parameter{'s' if k != 1 else ''} ({ranks}))")
        res = self.residual
        shown = f"{float(res):.4g}" if res.ndim == 0 else str([round(v, 4) for v in res.tolist()])
        return (f"SystemAnalysis(no solution ({ranks}); least-squares {x} with residual "
                f"||A{x} - b|| = {shown})")


def _is_vector_rhs(A: Tensor, b: Tensor) -> bool:
    """b is a vector (a batch of them) when it is 1-D or has one dim less than A."""
    return b.ndim == 1 or b.ndim == A.ndim - 1


def _analyze_one(xp, a, b, tol, vector: bool, device, dtype) -> SystemAnalysis:
    """One system: a (m, n), b (m, k) arrays."""
    m, n = a.shape
    k = b.shape[1]
    eps = eps_of(dtype)
    u, s, vh = xp.linalg.svd(a, full_matrices=True)
    smax = float(s[0]) if s.size else 0.0
    tol_a = max(m, n) * eps * smax if tol is None else tol
    r = int((s > tol_a).sum())
    sinv = xp.zeros_like(s)
    sinv[:r] = 1 / s[:r]
    uh = xp.conj(u[:, : s.size].T)
    x = xp.conj(vh[: s.size].T) @ (sinv[:, None] * (uh @ b))
    resid = b - a @ x
    # rank [A | b] = rank A + rank of the part of b outside A's column space (an identity);
    # that part (the residual) counts where it exceeds rounding: its tolerance is the normwise
    # backward error of A x = b, eps (||A|| ||x|| + ||b||), times max(m, n + k).
    xnorm = float(xp.linalg.norm(x, 2)) if x.size else 0.0
    bnorm = float(xp.linalg.norm(b, 2)) if b.size else 0.0
    tol_r = max(m, n + k) * eps * (smax * xnorm + bnorm) if tol is None else tol
    rs = xp.linalg.svd(resid, compute_uv=False) if resid.size else xp.zeros(0)
    aug = r + int((rs > tol_r).sum())
    kind = "none" if aug > r else ("unique" if r == n else "infinite")
    null = xp.ascontiguousarray(xp.conj(vh[r:].T))
    residual = xp.linalg.norm(resid, axis=0)
    if vector:
        x, residual = x[:, 0], residual[0]

    def t(v):
        return _make(xp.asarray(v).copy(), device)

    return SystemAnalysis(kind, t(x), t(residual), t(null), r, aug, tol_a)


def _nest(items: list, shape: tuple):
    if not shape:
        return items[0]
    if len(shape) == 1:
        return list(items)
    step = len(items) // shape[0]
    return [_nest(items[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def analyze_system(A, b, tol=None):
    """How many solutions A x = b has, and what they are (the Rouché–Capelli theorem).

    A: (*, m, n), any m, n; b: a vector (*, m) when it is 1-D or has one dim less than A,
    else a matrix (*, m, k) (then A X = B as a whole: solvable iff every column is); batch dims
    broadcast (a batch of right-hand sides for one A: A (1, m, n), b (B, m)). Returns a
    SystemAnalysis (see its attributes: kind, solution, residual, null_space, rank,
    augmented_rank), or for batch dims a nested list of them matching the broadcast batch
    shape.

    Ranks: rank A counts singular values above tol, by default max(m, n) * eps * s_max(A)
    (matrix_rank's); rank [A | b] = rank A + the rank of the least-squares residual b - A x,
    whose singular values count above max(m, n + k) * eps * (s_max(A) ||x|| + ||b||) (the
    normwise backward error of the system: b is in A's column space up to rounding), or above
    tol when it is given. Not differentiable.
    """
    fn = "linalg.analyze_system"
    check_matrix(fn, A)
    check_float(fn, b, "b")
    check_same_dtype(fn, A, b, ("A", "b"))
    if tol is not None and (isinstance(tol, Tensor) or tol < 0):
        raise RuntimeError(f"{fn}: tol must be a non-negative number, got {tol!r}")
    m = A.shape[-2]
    vector = _is_vector_rhs(A, b)
    bm = b.unsqueeze(-1) if vector else b
    if bm.ndim < 2 or bm.shape[-2] != m:
        raise RuntimeError(f"{fn}: b must have {m} rows to match A of shape {tuple(A.shape)} "
                           f"((*, {m}) or (*, {m}, k)), got shape {tuple(b.shape)}")
    batch = batch_broadcast(fn, tuple(A.shape[:-2]), tuple(bm.shape[:-2]), ("A", "b"))
    xp = A._device.xp
    a = xp.broadcast_to(A._data, batch + tuple(A.shape[-2:])).reshape((-1,) + A.shape[-2:])
    bb = xp.broadcast_to(bm._data, batch + tuple(bm.shape[-2:])).reshape((-1,) + bm.shape[-2:])
    if not bool(xp.isfinite(a).all()) or not bool(xp.isfinite(bb).all()):
        raise RuntimeError(f"{fn}: A and b must be finite (found inf or nan)")
    results = [_analyze_one(xp, a[i], bb[i], None if tol is None else float(tol), vector,
                            A._device, A.dtype) for i in range(a.shape[0])]
    return _nest(results, batch)


# ------------------------------------------------------------------------------ definiteness

def _check_symmetric(fn: str, A: Tensor):
    """Raise LinAlgError naming the largest |A - A^H| entry if it exceeds
    100 * n * eps * max|A| (rounding in a product such as B B^T stays far below)."""
    xp = A._device.xp
    a = A._data
    n = a.shape[-1]
    if not bool(xp.isfinite(a).all()):
        raise RuntimeError(f"{fn}: A must be finite (found inf or nan)")
    diff = xp.abs(a - xp.conj(xp.swapaxes(a, -1, -2)))
    scale = xp.abs(a).reshape(a.shape[:-2] + (-1,)).max(axis=-1) if n else xp.zeros(a.shape[:-2])
    limit = 100 * n * eps_of(A.dtype) * scale
    flat = diff.reshape(a.shape[:-2] + (-1,))
    worst = flat.max(axis=-1) if n else xp.zeros(a.shape[:-2])
    bad = worst > limit
    if bool(bad.any()):
        k = int(bad.reshape(-1).argmax())
        d = flat.reshape(-1, n * n)[k]
        pos = int(d.argmax())
        i, j = divmod(pos, n)
        i, j = min(i, j), max(i, j)
        sym = "Hermitian" if A.dtype.is_complex else "symmetric"
        allowed = float(limit.reshape(-1)[k])
        raise LinAlgError(
            f"{fn}: A{batch_element(k, A.shape[:-2])} is not {sym}: its largest asymmetry is "
            f"|A[{i}, {j}] - A[{j}, {i}]| = {float(d[pos]):.4g} (allowed {allowed:.3g}). "
            "Definiteness is defined for symmetric matrices; the quadratic form x^T A x of any "
            "A equals that of its symmetric part (A + A^T) / 2.")


_LABELS = ("positive definite", "positive semidefinite", "negative definite",
           "negative semidefinite", "indefinite")


def _classify(w, tol):
    """Labels (as indices into _LABELS) from eigenvalues w (*, n) and tolerances (*)."""
    pos = (w > tol[..., None]).sum(axis=-1)
    neg = (w < -tol[..., None]).sum(axis=-1)
    n = w.shape[-1]
    out = []
    for p, q in zip(pos.reshape(-1).tolist(), neg.reshape(-1).tolist()):
        if p == n:
            out.append(_LABELS[0])
        elif q == n:
            out.append(_LABELS[2])
        elif q == 0:
            out.append(_LABELS[1])
        elif p == 0:
            out.append(_LABELS[3])
        else:
            out.append(_LABELS[4])
    return out


def _eigenvalues_checked(fn: str, A: Tensor, tol):
    check_square(fn, A)
    if tol is not None and (isinstance(tol, Tensor) or tol < 0):
        raise RuntimeError(f"{fn}: tol must be a non-negative number, got {tol!r}")
    _check_symmetric(fn, A)
    xp = A._device.xp
    w = xp.linalg.eigvalsh(A._data)
    n = A.shape[-1]
    if tol is None:
        big = xp.abs(w).max(axis=-1) if n else xp.zeros(A.shape[:-2])
        t = n * eps_of(A.dtype) * big
    else:
        t = xp.full(A.shape[:-2], float(tol))
    return w, t


def definiteness(A, tol=None):
    """The definiteness of a symmetric (Hermitian) matrix, read off its eigenvalues.

    A: (n, n) -> one of 'positive definite' (all eigenvalues > tol), 'positive semidefinite'
    (all >= -tol, some |.| <= tol), 'negative definite', 'negative semidefinite', 'indefinite'
    (some > tol and some < -tol). tol defaults to n * eps * max |eigenvalue|; the zero matrix
    is 'positive semidefinite' (it is also negative semidefinite). For A: (*, n, n) a nested
    list of labels matching the batch shape.

    Raises LinAlgError if A is not symmetric within 100 * n * eps * max|A|, naming the largest
    asymmetry (value and position).
    """
    fn = "linalg.definiteness"
    w, t = _eigenvalues_checked(fn, A, tol)
    return _nest(_classify(w, t), tuple(A.shape[:-2]))


def is_positive_definite(A, tol=None):
    """Whether a symmetric (Hermitian) matrix is positive definite: every eigenvalue > tol
    (as definiteness). A: (n, n) -> bool; A: (*, n, n) -> a bool Tensor (*). Raises
    LinAlgError for a non-symmetric A."""
    fn = "linalg.is_positive_definite"
    w, t = _eigenvalues_checked(fn, A, tol)
    xp = A._device.xp
    out = (w > t[..., None]).all(axis=-1)
    if A.ndim == 2:
        return bool(out)
    return _make(xp.asarray(out), A._device)


# ------------------------------------------------------------------------------ volume_scale

def volume_scale(A):
    """How the linear map x -> A x changes volume: (scale, preserves_orientation).

    A: (*, n, n) real. scale = |det A| (*): the factor by which it multiplies every n-volume
    (0 when it flattens space onto a lower dimension), differentiable; preserves_orientation
    (*) bool: det A > 0 (a reflection, or any map with det < 0, reverses orientation; a
    singular one has none).
    """
    fn = "linalg.volume_scale"
    check_square(fn, A)
    if A.dtype.is_complex:
        raise RuntimeError(f"{fn}: A must be real (orientation is not defined for complex "
                           f"matrices), got {A.dtype.name}")
    d = det(A)
    return volume_scale_result(d.abs(), d.detach() > 0)


__all__ = ["SystemAnalysis", "analyze_system", "definiteness", "is_positive_definite",
           "volume_scale"]

"""The linalg table: one row per (function, sample), driving the forward-vs-NumPy/SciPy,
float32 and gradcheck tests in test_linalg_table.py.

A row names the ember.linalg function it covers, the ember call `fn` (on tensors), a NumPy /
SciPy reference `ref` (on float64 arrays), and `make`, a function of a NumPy Generator returning
the argument arrays (batched: leading dims). Where the result is not unique (eigenvectors,
singular vectors) `fn` and `ref` return gauge-invariant forms (|V|, U diag(c) Vh, ...).
`grad_fn` replaces `fn` for gradcheck when the forward outputs are not all differentiable
(integer outputs, complex outputs made real). Only floating-point arrays are differentiated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.spatial.distance import cdist as sp_cdist
from scipy.spatial.distance import pdist as sp_pdist

import ember
import ember.linalg as LA
from ember.linalg._common import imag_part, real_part


@dataclass
class Row:
    name: str
    fn: Callable
    ref: Callable | None
    make: Callable
    grad: bool = True
    grad_fn: Callable | None = None
    gradgrad: bool = False
    float32: bool = True
    rtol: float = 1e-9
    atol: float = 1e-9
    eps: float = 1e-6
    diff: tuple | None = None  # the argument positions gradcheck differentiates (all floats)

    def __repr__(self) -> str:
        return self.name


# ------------------------------------------------------------------------------ inputs

def randn(*shape):
    return lambda rng: [rng.standard_normal(shape)]


def _orth(rng, batch, m, k):
    q, _ = np.linalg.qr(rng.standard_normal(batch + (m, k)))
    return q


def wellcond(rng, *shape):
    """(*, m, n) with singular values in [1, 2] (condition number <= 2)."""
    batch, (m, n) = shape[:-2], shape[-2:]
    k = min(m, n)
    s = rng.uniform(1, 2, batch + (k,))
    sign = rng.choice([-1.0, 1.0], batch + (1, 1))
    return sign * (_orth(rng, batch, m, k) * s[..., None, :]) @ np.swapaxes(
        _orth(rng, batch, n, k), -1, -2)


def spd(rng, *shape):
    """Symmetric positive-definite (*, n, n), eigenvalues in [1, 3]."""
    batch, n = shape[:-2], shape[-1]
    q = _orth(rng, batch, n, n)
    return (q * rng.uniform(1, 3, batch + (n,))[..., None, :]) @ np.swapaxes(q, -1, -2)


def separated_eigenvalues(rng, batch, n, gap=1.0, shift=None):
    base = np.arange(n) * gap - (n - 1) * gap / 2 if shift is None else np.arange(n) * gap + shift
    return base + rng.uniform(-0.2, 0.2, batch + (n,)) * gap


def sym_separated(rng, *shape):
    """Symmetric (*, n, n) with well-separated eigenvalues of both signs."""
    batch, n = shape[:-2], shape[-1]
    q = _orth(rng, batch, n, n)
    w = separated_eigenvalues(rng, batch, n)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def svd_separated(rng, *shape):
    """(*, m, n) with singular values about 1, 2, 3, ... (well separated, non-zero)."""
    batch, (m, n) = shape[:-2], shape[-2:]
    k = min(m, n)
    s = separated_eigenvalues(rng, batch, k, shift=1.0)[..., ::-1]
    return (_orth(rng, batch, m, k) * s[..., None, :]) @ np.swapaxes(_orth(rng, batch, n, k),
                                                                    -1, -2)


def eig_real(rng, *shape):
    """(*, n, n) = P diag(l) P^{-1}, real well-separated eigenvalues, P well conditioned."""
    batch, n = shape[:-2], shape[-1]
    p = wellcond(rng, *batch, n, n)
    w = separated_eigenvalues(rng, batch, n)
    return (p * w[..., None, :]) @ np.linalg.inv(p)


def eig_complex(rng, *shape):
    """(*, 3, 3) real with a complex-conjugate pair and a real eigenvalue, well separated."""
    batch = shape[:-2]
    a = np.zeros(batch + (3, 3))
    a[..., 0, 0] = a[..., 1, 1] = 0.5
    a[..., 0, 1], a[..., 1, 0] = -1.5, 1.5
    a[..., 2, 2] = -1.0
    p = wellcond(rng, *batch, 3, 3)
    return p @ a @ np.linalg.inv(p)


def args(*makers):
    """Combine makers (each rng -> an array or a list of arrays) into one argument list."""
    def make(rng):
        out = []
        for m in makers:
            v = m(rng)
            out.extend(v if isinstance(v, list) else [v])
        return out
    return make


def arr(f, *shape):
    """The argument list [f(rng, *shape)]."""
    return lambda rng: [f(rng, *shape)]


def rn(*shape):
    return lambda rng: rng.standard_normal(shape)


def batched(f):
    """A per-matrix SciPy reference applied over the leading dims (outputs stacked)."""
    def run(*xs):
        batch = np.broadcast_shapes(*(x.shape[:-2] for x in xs))
        if not batch:
            return f(*xs)
        xs = [np.broadcast_to(x, batch + x.shape[-2:]) for x in xs]
        outs = [f(*(x[idx] for x in xs)) for idx in np.ndindex(*batch)]
        if isinstance(outs[0], tuple):
            return tuple(np.stack([o[i] for o in outs]).reshape(batch + np.shape(outs[0][i]))
                         for i in range(len(outs[0])))
        return np.stack(outs).reshape(batch + np.shape(outs[0]))
    return run


# ---------------------------------------------------------------------------- helpers

def gauge_svd(r, c):
    """Gauge-invariant forms of an SVD: |U|, S, |Vh|, U diag(c) Vh."""
    U, S, Vh = r
    k = S.shape[-1]
    c = c[:k].to(S.device, S.dtype)
    return U[..., :k].abs(), S, Vh[..., :k, :].abs(), (U[..., :k] * c) @ Vh[..., :k, :]


def np_gauge_svd(a, c, full=True):
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    return np.abs(u[..., :k]), s, np.abs(vh[..., :k, :]), (u[..., :k] * c[:k]) @ vh[..., :k, :]


def eigh_gauge(r, c):
    """|V|, eigenvalues and V diag(c) V^T."""
    w, V = r
    return w, V.abs(), (V * c.to(w.device, w.dtype)) @ V.mT


def eig_gauge(r):
    """Re and Im of the eigenvalues and |V|^2 (invariant to each column's phase)."""
    w, V = r
    re, im = real_part(V), imag_part(V)
    return real_part(w), imag_part(w), re * re + im * im


def np_eig_gauge(a):
    w, v = np.linalg.eig(a)
    order = np.argsort(w.real + 1e-3 * w.imag, axis=-1)
    w = np.take_along_axis(w, order, -1)
    v = np.take_along_axis(v, order[..., None, :], -1)
    return w.real, w.imag, np.abs(v) ** 2


def sorted_eig(r):
    """eig_gauge with the eigenvalues ordered by real part (then imaginary), for comparison."""
    w, V = r
    order = np.argsort(w._data.real + 1e-3 * w._data.imag, axis=-1)
    idx = ember.tensor(order)
    w = w.gather(-1, idx)
    V = V.gather(-1, idx.unsqueeze(-2).expand(tuple(V.shape)))
    return eig_gauge((w, V))


def power_sums(w):
    """sum w and sum w^2: differentiable where values repeat (the values one by one are not:
    sorting them makes kinks)."""
    return w.sum(-1), (w * w).sum(-1)


def sym(x):
    """The symmetric input eigh/cholesky gradchecks differentiate through (x + x^T) / 2, so a
    perturbation of x stays symmetric."""
    return (x + x.mT) * 0.5


def np_solve_triangular(a, b, upper, left=True, unit=False):
    def one(a, b):
        if left:
            return sla.solve_triangular(a, b, lower=not upper, unit_diagonal=unit)
        return sla.solve_triangular(a.T, b.T, lower=upper, unit_diagonal=unit).T
    return batched(one)(a, b)


def np_lstsq(a, b):
    def one(a, b):
        x, res, rank, sv = np.linalg.lstsq(a, b, rcond=None)
        return x
    return batched(one)(a, b)


def np_lu_factor(a):
    def one(a):
        lu, piv = sla.lu_factor(a)
        return lu, (piv + 1).astype(np.int32)
    return batched(one)(a)


def np_lu(a):
    return batched(lambda a: tuple(sla.lu(a)))(a)


def np_lu_solve(a, b):
    return batched(lambda a, b: sla.lu_solve(sla.lu_factor(a), b))(a, b)


def np_householder(a):
    """Q of numpy's QR, with the reflectors of mode='raw' as the input."""
    return np.linalg.qr(a).Q


def raw_reflectors(rng, m=5, n=3):
    a = rng.standard_normal((m, n))
    h, tau = np.linalg.qr(a, mode="raw")
    return [np.ascontiguousarray(h.T), tau, a]


def raw_reflectors_batched(rng, *batch, m=5, n=3, k=None):
    """LAPACK's reflectors (*, m, n) and tau (*, k) of a batch of random matrices (k = n, or
    fewer: only the first k reflectors multiplied)."""
    h, tau = np.linalg.qr(rng.standard_normal(batch + (m, n)), mode="raw")
    k = n if k is None else k
    return [np.ascontiguousarray(np.swapaxes(h, -1, -2)), np.ascontiguousarray(tau[..., :k])]


def np_householder_ref(h, tau):
    """H_1 ... H_k (first n columns), H_i = I - tau_i v_i v_i^H, over leading batch dims."""
    def one(h, tau):
        m, n = h.shape
        q = np.eye(m, dtype=np.result_type(h, tau))
        for i in range(tau.shape[-1]):
            v = np.zeros(m, dtype=q.dtype)
            v[i], v[i + 1:] = 1, h[i + 1:, i]
            q = q @ (np.eye(m) - tau[i] * np.outer(v, np.conj(v)))
        return q[:, :n]
    batch = h.shape[:-2]
    outs = [one(h[i], tau[i]) for i in np.ndindex(*batch)]
    return np.stack(outs).reshape(batch + h.shape[-2:]) if batch else outs[0]


def np_cos(a, b, dim=-1, eps=1e-8):
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def np_cdist(a, b, p):
    return batched(lambda a, b: sp_cdist(a, b, "minkowski", p=p))(a, b)


def np_matrix_norm(a, ord):
    return np.linalg.norm(a, ord=ord, axis=(-2, -1))


def with_ints(outs, keep):
    """Drop integer outputs (pivots, info, rank) for gradcheck."""
    return tuple(o for i, o in enumerate(outs) if i in keep)


C4 = ember.tensor(np.array([0.3, -1.1, 0.7, 2.0]), dtype=ember.float64)


def _c(n):
    return C4[:n]


# ------------------------------------------------------------------------------- rows

INF = math.inf

ROWS: list[Row] = []


def row(*a, **k):
    ROWS.append(Row(*a, **k))


# norms
for ord_ in (2, 1, INF, -INF, 0.5, 3, -1, -2.5):  # inf, -inf: the max/min |x| is unique here
    row("vector_norm", lambda x, o=ord_: LA.vector_norm(x, o, dim=-1),
        lambda x, o=ord_: np.linalg.norm(x, ord=o, axis=-1), randn(2, 3, 4))
row("vector_norm", lambda x: LA.vector_norm(x, 0, dim=(0, 2), keepdim=True),
    lambda x: (x != 0).sum(axis=(0, 2), keepdims=True).astype(float), randn(2, 3, 4), grad=False)
for ord_ in ("fro", "nuc", 1, -1, 2, -2, INF, -INF):
    row("matrix_norm", lambda a, o=ord_: LA.matrix_norm(a, o),
        lambda a, o=ord_: np_matrix_norm(a, o), arr(svd_separated, 2, 4, 3),
        gradgrad=ord_ in ("fro", "nuc", 2))
row("matrix_norm", lambda a: LA.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True),
    lambda a: np.linalg.norm(np.moveaxis(a, 1, 0), "nuc", axis=(-2, -1))[None, :, None],
    lambda rng: [np.moveaxis(svd_separated(rng, 2, 3, 4), 0, 1)])
row("matrix_norm", lambda a: LA.matrix_norm(a, 1, dim=(2, 0), keepdim=True),
    lambda a: np.linalg.norm(np.moveaxis(a, 1, 0), 1, axis=(2, 1))[None, :, None],
    lambda rng: [rng.standard_normal((3, 2, 4))])
row("norm", lambda x: LA.norm(x), lambda x: np.linalg.norm(x.ravel()), randn(2, 3, 4))
row("norm", lambda x: LA.norm(x, 3, dim=1), lambda x: np.linalg.norm(x, 3, axis=1),
    randn(2, 3, 4))
row("norm", lambda x: LA.norm(x, "nuc"), lambda x: np.linalg.norm(x, "nuc"),
    arr(svd_separated, 4, 3))
row("norm", lambda x: LA.norm(x, INF), lambda x: np.linalg.norm(x, INF), randn(5),
    grad=False)
row("norm", lambda x: LA.norm(x, -1, dim=(1, 2)),
    lambda x: np.linalg.norm(x, -1, axis=(1, 2)), randn(2, 3, 4))
for p in (None, 2, -2, "fro", "nuc", 1, -1, INF, -INF):
    row("cond", lambda a, p=p: LA.cond(a, p), lambda a, p=p: np.linalg.cond(a, p),
        arr(svd_separated, 2, 3, 3))
row("cond", lambda a: LA.cond(a), lambda a: np.linalg.cond(a), arr(svd_separated, 2, 4, 2))
row("dist", lambda a, b: LA.dist(a, b), lambda a, b: np.linalg.norm((a - b).ravel()),
    args(rn(3, 4), rn(4)))
row("dist", lambda a, b: LA.dist(a, b, 1), lambda a, b: np.abs(a - b).sum(),
    args(rn(3, 4), rn(3, 4)))
row("dist", lambda a, b: LA.dist(a, b, INF), lambda a, b: np.abs(a - b).max(),
    args(rn(3, 4), rn(3, 4)), grad=False)
for p in (2.0, 1.0, 3.0, 0.7):
    row("cdist", lambda a, b, p=p: LA.cdist(a, b, p), lambda a, b, p=p: np_cdist(a, b, p),
        args(rn(2, 4, 3), rn(2, 5, 3)))
row("cdist", lambda a, b: LA.cdist(a, b),
    lambda a, b: np_cdist(np.broadcast_to(a, (2, 3, 2)), b, 2), args(rn(3, 2), rn(2, 4, 2)))
row("pairwise_distance", lambda a, b: LA.pairwise_distance(a, b),
    lambda a, b: np.linalg.norm(a - b + 1e-6, axis=-1), args(rn(4, 3), rn(4, 3)))
row("pairwise_distance", lambda a, b: LA.pairwise_distance(a, b, 1.0, keepdim=True),
    lambda a, b: np.abs(a - b + 1e-6).sum(-1, keepdims=True), args(rn(4, 3), rn(3)))
for p in (2.0, 1.0, 0.5):
    row("pdist", lambda a, p=p: LA.pdist(a, p), lambda a, p=p: sp_pdist(a, "minkowski", p=p),
        randn(5, 3))
row("pdist", lambda a: LA.pdist(a), lambda a: sp_pdist(a), randn(1, 3))

# similarity and products
row("cosine_similarity", lambda a, b: LA.cosine_similarity(a, b), np_cos,
    args(rn(2, 3, 4), rn(3, 4)))
row("cosine_similarity", lambda a, b: LA.similarity.cosine_similarity(a, b),
    lambda a, b: np_cos(a, b, 1), args(rn(2, 3, 4), rn(2, 3, 4)))
row("angle", lambda a, b: LA.angle(a, b),
    lambda a, b: np.arccos(np.clip(np_cos(a, b), -1, 1)), args(rn(5, 3), rn(5, 3)))
row("vecdot", lambda a, b: LA.vecdot(a, b), lambda a, b: (a * b).sum(-1),
    args(rn(2, 3, 4), rn(4)))
row("vecdot", lambda a, b: LA.vecdot(a, b, dim=0), lambda a, b: (a * b).sum(0),
    args(rn(3, 4), rn(3, 1)))
row("cross", lambda a, b: LA.cross(a, b), lambda a, b: np.cross(a, b), args(rn(4, 3), rn(3)))
row("cross", lambda a, b: LA.cross(a, b, dim=0), lambda a, b: np.cross(a, b, axis=0),
    args(rn(3, 2), rn(3, 2)))
row("multi_dot", lambda a, b, c, d: LA.multi_dot([a, b, c, d]),
    lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
    args(rn(4), rn(4, 2), rn(2, 5), rn(5)))
row("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]),
    lambda a, b, c: np.linalg.multi_dot([a, b, c]), args(rn(3, 6), rn(6, 2), rn(2, 4)))
row("diagonal", lambda a: LA.diagonal(a), lambda a: np.diagonal(a, 0, -2, -1), randn(2, 3, 4))
row("diagonal", lambda a: LA.diagonal(a, offset=1, dim1=0, dim2=2),
    lambda a: np.diagonal(a, 1, 0, 2), randn(3, 2, 4))
for n in (0, 1, 3, -1, -2):
    row("matrix_power", lambda a, n=n: LA.matrix_power(a, n),
        lambda a, n=n: np.linalg.matrix_power(a, n), arr(wellcond, 2, 3, 3), grad=n != 0,
        gradgrad=n == -2)
row("matrix_exp", LA.matrix_exp, sla.expm, randn(2, 3, 3), gradgrad=True)
row("matrix_exp", LA.matrix_exp, sla.expm, lambda rng: [rng.standard_normal((4, 4)) * 4])
row("matrix_exp", LA.matrix_exp, sla.expm, lambda rng: [np.zeros((1, 2, 2))])
row("householder_product", lambda h, tau, a: LA.householder_product(h, tau),
    lambda h, tau, a: np_householder(a), raw_reflectors)
row("householder_product", LA.householder_product, np_householder_ref,
    lambda rng: raw_reflectors_batched(rng, 2, 3))
row("householder_product", LA.householder_product, np_householder_ref,  # k < n reflectors
    lambda rng: raw_reflectors_batched(rng, 2, m=5, n=3, k=2))
row("vander", lambda x: LA.vander(x), lambda x: np.vander(x, increasing=True), randn(4))
row("vander", lambda x: LA.vander(x, N=3),
    lambda x: x[..., None] ** np.arange(3), randn(2, 4))
row("tensorinv", lambda a: LA.tensorinv(a, ind=2), lambda a: np.linalg.tensorinv(a, ind=2),
    lambda rng: [wellcond(rng, 6, 6).reshape(2, 3, 3, 2)], gradgrad=True)
row("tensorsolve", LA.tensorsolve, np.linalg.tensorsolve,
    lambda rng: [wellcond(rng, 6, 6).reshape(2, 3, 6), rng.standard_normal((2, 3))])
row("tensorsolve", lambda a, b: LA.tensorsolve(a, b, dims=(0,)),
    lambda a, b: np.linalg.tensorsolve(a, b, axes=(0,)),
    lambda rng: [np.moveaxis(wellcond(rng, 6, 6).reshape(2, 3, 6), 2, 0),
                 rng.standard_normal((2, 3))])

# determinants and inverses
row("det", LA.det, np.linalg.det, arr(wellcond, 2, 3, 3), gradgrad=True)
row("det", LA.det, np.linalg.det, randn(4, 4))
row("det", LA.det, np.linalg.det, lambda rng: [np.array([[1.0, 2.0], [2.0, 4.0]])])
row("det", LA.det, np.linalg.det,  # rank n - 1 in a batch with invertible matrices
    lambda rng: [np.stack([svd_separated(rng, 3, 3) @ np.diag([1.0, 1.0, 0.0]),
                           wellcond(rng, 3, 3), np.eye(3)])], gradgrad=True)
row("det", LA.det, np.linalg.det,  # rank n - 2: the adjugate, and the gradient, are zero
    lambda rng: [rng.standard_normal((3, 1)) @ rng.standard_normal((1, 3))])
row("slogdet", lambda a: LA.slogdet(a), np.linalg.slogdet, arr(wellcond, 2, 3, 3),
    grad_fn=lambda a: LA.slogdet(a).logabsdet, gradgrad=True)
row("logdet", LA.logdet, lambda a: np.log(np.linalg.det(a)), arr(spd, 2, 3, 3))
row("inv", LA.inv, np.linalg.inv, arr(wellcond, 2, 3, 3), gradgrad=True)
row("inv_ex", lambda a: tuple(LA.inv_ex(a)),
    lambda a: (np.linalg.inv(a), np.zeros(a.shape[:-2], np.int32)), arr(wellcond, 2, 3, 3),
    grad_fn=lambda a: LA.inv_ex(a).inverse)
row("pinv", LA.pinv, np.linalg.pinv, arr(svd_separated, 2, 4, 3), gradgrad=True)
row("pinv", LA.pinv, np.linalg.pinv, arr(svd_separated, 3, 5))
row("pinv", lambda a: LA.pinv(a, hermitian=True), lambda a: np.linalg.pinv(a, hermitian=True),
    arr(sym_separated, 2, 3, 3), grad_fn=lambda a: LA.pinv(sym(a), hermitian=True))
row("pinv", lambda a: LA.pinv(a, atol=0.5), lambda a: np.linalg.pinv(a, rtol=0.5 / np.linalg.norm(
    a, 2)), lambda rng: [np.diag([3.0, 1.0, 0.2])], grad=False)
row("matrix_rank", LA.matrix_rank, np.linalg.matrix_rank,
    lambda rng: [rng.standard_normal((3, 5, 2)) @ rng.standard_normal((3, 2, 4))], grad=False,
    float32=False)  # rounding to float32 makes the reference's float64 rank full
row("matrix_rank", lambda a: LA.matrix_rank(a, hermitian=True),
    lambda a: np.linalg.matrix_rank(a, hermitian=True),
    lambda rng: [(lambda b: b @ np.swapaxes(b, -1, -2))(rng.standard_normal((2, 4, 2)))],
    grad=False, float32=False)
row("matrix_rank", lambda a: LA.matrix_rank(a, atol=1.5),
    lambda a: np.int64(np.sum(np.linalg.svd(a, compute_uv=False) > 1.5)),
    lambda rng: [np.diag([3.0, 2.0, 1.0, 0.5])], grad=False)

# systems
row("solve", LA.solve, np.linalg.solve, args(arr(wellcond, 2, 3, 3), rn(2, 3, 2)),
    gradgrad=True)
row("solve", LA.solve, lambda a, b: np.linalg.solve(a, b[..., None])[..., 0],
    args(arr(wellcond, 2, 3, 3), rn(2, 3)))
row("solve", LA.solve, lambda a, b: np.linalg.solve(a, np.broadcast_to(b, (2, 3))[..., None])[
    ..., 0], args(arr(wellcond, 2, 3, 3), rn(3)))
row("solve", LA.solve, np.linalg.solve, args(arr(wellcond, 3, 3), rn(4, 3, 2)))
row("solve", lambda a, b: LA.solve(a, b, left=False),
    lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)),
                             -1, -2), args(arr(wellcond, 2, 3, 3), rn(2, 4, 3)))
row("solve_ex", lambda a, b: tuple(LA.solve_ex(a, b)),
    lambda a, b: (np.linalg.solve(a, b), np.zeros(a.shape[:-2], np.int32)),
    args(arr(wellcond, 2, 3, 3), rn(2, 3, 2)), grad_fn=lambda a, b: LA.solve_ex(a, b).result)
for upper in (True, False):
    for left in (True, False):
        for unit in (False, True):
            row("solve_triangular",
                lambda a, b, u=upper, l=left, t=unit: LA.solve_triangular(
                    a, b, upper=u, left=l, unitriangular=t),
                lambda a, b, u=upper, l=left, t=unit: np_solve_triangular(a, b, u, l, t),
                args(lambda rng: rng.standard_normal((2, 3, 3)) + 3 * np.eye(3),
                     rn(2, 3, 4) if left else rn(2, 4, 3)),
                gradgrad=upper and left and not unit)
row("lstsq", lambda a, b: LA.lstsq(a, b).solution, np_lstsq,
    args(arr(svd_separated, 2, 5, 3), rn(2, 5, 2)), gradgrad=True)
row("lstsq", lambda a, b: LA.lstsq(a, b).solution,
    lambda a, b: np_lstsq(a, b[..., None])[..., 0], args(arr(svd_separated, 3, 5), rn(3)))
row("lstsq", lambda a, b: tuple(LA.lstsq(a, b, driver="gelsd")),
    lambda a, b: np.linalg.lstsq(a, b, rcond=None),
    args(arr(svd_separated, 5, 3), rn(5, 2)),
    grad_fn=lambda a, b: LA.lstsq(a, b, driver="gelsd")[:2])

# factorizations
row("cholesky", LA.cholesky, np.linalg.cholesky, arr(spd, 2, 3, 3),
    grad_fn=lambda a: LA.cholesky(sym(a)), gradgrad=True)
row("cholesky", lambda a: LA.cholesky(a, upper=True),
    lambda a: np.swapaxes(np.linalg.cholesky(a), -1, -2), arr(spd, 3, 3),
    grad_fn=lambda a: LA.cholesky(sym(a), upper=True))
row("cholesky_ex", lambda a: tuple(LA.cholesky_ex(a)),
    lambda a: (np.linalg.cholesky(a), np.zeros(a.shape[:-2], np.int32)), arr(spd, 2, 3, 3),
    grad_fn=lambda a: LA.cholesky_ex(sym(a)).L)
for shape in ((2, 4, 3), (3, 3), (2, 3, 5)):
    row("qr", lambda a: tuple(LA.qr(a)), lambda a: tuple(np.linalg.qr(a)),
        arr(wellcond, *shape), gradgrad=shape == (3, 3))
row("qr", lambda a: tuple(LA.qr(a, mode="complete")),
    lambda a: tuple(np.linalg.qr(a, mode="complete")), arr(wellcond, 2, 3, 4))
row("qr", lambda a: tuple(LA.qr(a, mode="complete")),
    lambda a: tuple(np.linalg.qr(a, mode="complete")), arr(wellcond, 4, 2), grad=False)
row("qr", lambda a: LA.qr(a, mode="r").R, lambda a: np.linalg.qr(a, mode="r"),
    arr(wellcond, 2, 4, 3), grad=False)
row("eigh", lambda a: eigh_gauge(LA.eigh(a), _c(3)),
    lambda a: (np.linalg.eigvalsh(a), np.abs(np.linalg.eigh(a)[1]),
               (lambda w, v: (v * _c(3).cpu().numpy()) @ np.swapaxes(v, -1, -2))(
                   *np.linalg.eigh(a))),
    arr(sym_separated, 2, 3, 3), grad_fn=lambda a: eigh_gauge(LA.eigh(sym(a)), _c(3)),
    gradgrad=True)
row("eigh", lambda a: eigh_gauge(LA.eigh(a, UPLO="U"), _c(4)),
    lambda a: (np.linalg.eigvalsh(a, "U"), np.abs(np.linalg.eigh(a, "U")[1]),
               (lambda w, v: (v * _c(4).cpu().numpy()) @ v.T)(*np.linalg.eigh(a, "U"))),
    lambda rng: [np.triu(sym_separated(rng, 4, 4)) + np.tril(rng.standard_normal((4, 4)), -1)],
    grad_fn=lambda a: eigh_gauge(LA.eigh(a.triu() + a.triu(1).mT, UPLO="U"), _c(4)))
row("eigvalsh", LA.eigvalsh, np.linalg.eigvalsh, arr(sym_separated, 2, 3, 3),
    grad_fn=lambda a: LA.eigvalsh(sym(a)), gradgrad=True)
row("eigvalsh", LA.eigvalsh, np.linalg.eigvalsh,  # repeated: symmetric functions of the pair
    lambda rng: [np.diag([1.0, 1.0, 2.0])], grad_fn=lambda a: power_sums(LA.eigvalsh(sym(a))))
row("eig", lambda a: sorted_eig(LA.eig(a)), np_eig_gauge, arr(eig_real, 2, 3, 3),
    grad_fn=lambda a: eig_gauge(LA.eig(a)))
row("eig", lambda a: sorted_eig(LA.eig(a)), np_eig_gauge, arr(eig_complex, 2, 3, 3),
    grad_fn=lambda a: eig_gauge(LA.eig(a)))
row("eigvals", lambda a: sorted_eig((LA.eigvals(a), LA.eig(a).eigenvectors))[:2],
    lambda a: np_eig_gauge(a)[:2], arr(eig_complex, 3, 3),
    grad_fn=lambda a: (real_part(LA.eigvals(a)), imag_part(LA.eigvals(a))))
row("eigvals", lambda a: sorted_eig((LA.eigvals(a), LA.eig(a).eigenvectors))[:2],
    lambda a: np_eig_gauge(a)[:2], arr(eig_real, 2, 4, 4),
    grad_fn=lambda a: (real_part(LA.eigvals(a)), imag_part(LA.eigvals(a))))
for shape, full in (((2, 4, 3), False), ((3, 3), True), ((2, 3, 5), True)):
    row("svd", lambda a, f=full: gauge_svd(LA.svd(a, full_matrices=f), _c(3)),
        lambda a, f=full: np_gauge_svd(a, _c(3).cpu().numpy(), f), arr(svd_separated, *shape),
        gradgrad=shape == (2, 4, 3))
row("svdvals", LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
    arr(svd_separated, 2, 3, 4), gradgrad=True)
row("svdvals", LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),  # repeated values
    lambda rng: [np.diag([2.0, 2.0, 1.0])], grad_fn=lambda a: power_sums(LA.svdvals(a)))
# the LU factors are differentiable where the pivots are locally constant (random inputs: no
# ties between pivot candidates); P and the integer outputs are constants
row("lu_factor", lambda a: tuple(LA.lu_factor(a)), np_lu_factor, randn(2, 4, 4),
    grad_fn=lambda a: LA.lu_factor(a).LU, gradgrad=True)
row("lu_factor", lambda a: tuple(LA.lu_factor(a)), np_lu_factor, randn(3, 5),
    grad_fn=lambda a: LA.lu_factor(a).LU)
row("lu_factor_ex", lambda a: tuple(LA.lu_factor_ex(a))[:2], np_lu_factor, randn(2, 5, 3),
    grad_fn=lambda a: LA.lu_factor_ex(a).LU)
row("lu", lambda a: tuple(LA.lu(a)), np_lu, randn(2, 4, 4), grad_fn=lambda a: LA.lu(a)[1:])
row("lu", lambda a: tuple(LA.lu(a)), np_lu, randn(3, 5), grad_fn=lambda a: LA.lu(a)[1:],
    gradgrad=True)
row("lu", lambda a: tuple(LA.lu(a)), np_lu, randn(2, 5, 3), grad_fn=lambda a: LA.lu(a)[1:],
    gradgrad=True)
row("lu_solve", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b), np_lu_solve,
    args(arr(wellcond, 2, 3, 3), rn(2, 3, 2)), gradgrad=True)
row("lu_solve", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, adjoint=True),
    lambda a, b: np_lu_solve(np.swapaxes(a, -1, -2), b), args(arr(wellcond, 2, 3, 3), rn(3, 2)))
row("lu_solve", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, left=False),
    lambda a, b: np.swapaxes(np_lu_solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1,
                             -2), args(arr(wellcond, 3, 3), rn(2, 3)))
row("lu_solve", lambda lu, piv, b: LA.lu_solve(lu, piv, b),  # LU itself differentiated
    lambda lu, piv, b: batched(lambda lu, b: sla.lu_solve((lu, np.arange(3)), b))(lu,
                                                                                          b),
    lambda rng: [np.tril(rng.standard_normal((2, 3, 3)), -1) * 0.5 +
                 np.triu(rng.standard_normal((2, 3, 3)), 1) + np.eye(3) * 3,
                 np.tile(np.arange(1, 4, dtype=np.int32), (2, 1)), rng.standard_normal((2, 3, 2))])
row("volume_scale", lambda a: tuple(LA.volume_scale(a)),
    lambda a: (np.abs(np.linalg.det(a)), np.linalg.det(a) > 0), arr(wellcond, 3, 3, 3),
    grad_fn=lambda a: LA.volume_scale(a).scale)

# complex inputs (complex128, forward against NumPy/SciPy; gradients of complex inputs are not
# implemented): results that are real (norms, singular values, eigvalsh, rank) come out real
def crn(*shape):
    return lambda rng: [rng.standard_normal(shape) + 1j * rng.standard_normal(shape)]


def _unitary(rng, batch, m, k):
    q, _ = np.linalg.qr(rng.standard_normal(batch + (m, k)) +
                        1j * rng.standard_normal(batch + (m, k)))
    return q


def cwellcond(rng, *shape):
    """Complex (*, m, n) with singular values in [1, 2]."""
    batch, (m, n) = shape[:-2], shape[-2:]
    k = min(m, n)
    s = rng.uniform(1, 2, batch + (k,))
    return (_unitary(rng, batch, m, k) * s[..., None, :]) @ np.conj(np.swapaxes(
        _unitary(rng, batch, n, k), -1, -2))


def chermitian(rng, *shape):
    """Hermitian (*, n, n) with well-separated real eigenvalues of both signs."""
    batch, n = shape[:-2], shape[-1]
    q = _unitary(rng, batch, n, n)
    return (q * separated_eigenvalues(rng, batch, n)[..., None, :]) @ np.conj(np.swapaxes(q, -1,
                                                                                         -2))


def chpd(rng, *shape):
    """Hermitian positive-definite (*, n, n), eigenvalues in [1, 3]."""
    batch, n = shape[:-2], shape[-1]
    q = _unitary(rng, batch, n, n)
    return (q * rng.uniform(1, 3, batch + (n,))[..., None, :]) @ np.conj(np.swapaxes(q, -1, -2))


def ch(x):
    """The conjugate transpose of an array."""
    return np.conj(np.swapaxes(x, -1, -2))


def crow(*a, **k):
    row(*a, grad=False, float32=False, **k)


for ord_ in (2, 1, INF, -INF, 0, 3, -1.5):
    crow("vector_norm", lambda x, o=ord_: LA.vector_norm(x, o, dim=-1),
         lambda x, o=ord_: np.linalg.norm(x, ord=o, axis=-1), crn(2, 3, 4))
for ord_ in ("fro", "nuc", 1, -1, 2, -2, INF, -INF):
    crow("matrix_norm", lambda a, o=ord_: LA.matrix_norm(a, o),
         lambda a, o=ord_: np_matrix_norm(a, o), crn(2, 4, 3))
crow("norm", lambda x: LA.norm(x), lambda x: np.linalg.norm(x.ravel()), crn(2, 3, 4))
crow("cond", LA.cond, np.linalg.cond, arr(cwellcond, 2, 3, 3))
crow("cond", lambda a: LA.cond(a, 1), lambda a: np.linalg.cond(a, 1), arr(cwellcond, 2, 3, 3))
crow("dist", lambda a, b: LA.dist(a, b), lambda a, b: np.linalg.norm((a - b).ravel()),
     args(crn(3, 4), crn(4)))
crow("vecdot", lambda a, b: LA.vecdot(a, b), lambda a, b: (np.conj(a) * b).sum(-1),
     args(crn(2, 3, 4), crn(4)))
crow("cross", lambda a, b: LA.cross(a, b), lambda a, b: np.cross(a, b), args(crn(4, 3), crn(3)))
crow("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]),
     lambda a, b, c: np.linalg.multi_dot([a, b, c]), args(crn(3, 4), crn(4, 2), crn(2)))
crow("diagonal", lambda a: LA.diagonal(a, offset=-1),
     lambda a: np.diagonal(a, -1, -2, -1), crn(2, 3, 3))
crow("det", LA.det, np.linalg.det, arr(cwellcond, 2, 3, 3))
crow("slogdet", lambda a: tuple(LA.slogdet(a)), lambda a: tuple(np.linalg.slogdet(a)),
     arr(cwellcond, 2, 3, 3))
crow("inv", LA.inv, np.linalg.inv, arr(cwellcond, 2, 3, 3))
crow("inv_ex", lambda a: LA.inv_ex(a).inverse, np.linalg.inv, arr(cwellcond, 3, 3))
crow("pinv", LA.pinv, np.linalg.pinv, arr(cwellcond, 2, 4, 3))
crow("pinv", lambda a: LA.pinv(a, hermitian=True),
     lambda a: np.linalg.pinv(a, hermitian=True), arr(chermitian, 2, 3, 3))
crow("matrix_rank", LA.matrix_rank, np.linalg.matrix_rank,
     lambda rng: [crn(2, 5, 2)(rng)[0] @ crn(2, 2, 4)(rng)[0]])
crow("solve", LA.solve, np.linalg.solve, args(arr(cwellcond, 2, 3, 3), crn(2, 3, 2)))
crow("solve", lambda a, b: LA.solve(a, b, left=False),
     lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)),
                              -1, -2), args(arr(cwellcond, 2, 3, 3), crn(2, 4, 3)))
crow("solve_ex", lambda a, b: LA.solve_ex(a, b).result, np.linalg.solve,
     args(arr(cwellcond, 3, 3), crn(3, 2)))
crow("solve_triangular", lambda a, b: LA.solve_triangular(a, b, upper=True),
     lambda a, b: np_solve_triangular(a, b, True),
     args(lambda rng: crn(2, 3, 3)(rng)[0] + 3 * np.eye(3), crn(2, 3, 2)))
crow("lstsq", lambda a, b: tuple(LA.lstsq(a, b, driver="gelsd")),
     lambda a, b: np.linalg.lstsq(a, b, rcond=None), args(arr(cwellcond, 5, 3), crn(5, 2)))
crow("cholesky", LA.cholesky, np.linalg.cholesky, arr(chpd, 2, 3, 3))
crow("cholesky", lambda a: LA.cholesky(a, upper=True), lambda a: ch(np.linalg.cholesky(a)),
     arr(chpd, 3, 3))
crow("cholesky_ex", lambda a: LA.cholesky_ex(a).L, np.linalg.cholesky, arr(chpd, 3, 3))
crow("qr", lambda a: tuple(LA.qr(a)), lambda a: tuple(np.linalg.qr(a)), arr(cwellcond, 2, 4, 3))
crow("qr", lambda a: tuple(LA.qr(a, mode="complete")),
     lambda a: tuple(np.linalg.qr(a, mode="complete")), arr(cwellcond, 2, 3, 4))
crow("eigh", lambda a: (lambda w, V: (w, (V * _c(3).to(ember.complex128)) @ V.mH))(*LA.eigh(a)),
     lambda a: (lambda w, v: (w, (v * _c(3).cpu().numpy()) @ ch(v)))(*np.linalg.eigh(a)),
     arr(chermitian, 2, 3, 3))
crow("eigvalsh", lambda a: LA.eigvalsh(a, UPLO="U"), lambda a: np.linalg.eigvalsh(a, "U"),
     arr(chermitian, 2, 3, 3))
crow("eig", lambda a: sorted_eig(LA.eig(a)), np_eig_gauge, crn(2, 3, 3))
crow("eigvals", lambda a: sorted_eig((LA.eigvals(a), LA.eig(a).eigenvectors))[:2],
     lambda a: np_eig_gauge(a)[:2], crn(3, 3))
crow("svd", lambda a: (lambda U, S, Vh: (S, (U[..., :3] * _c(3).to(ember.complex128)) @ Vh))(
     *LA.svd(a, full_matrices=False)),
     lambda a: (lambda u, s, vh: (s, (u * _c(3).cpu().numpy()) @ vh))(
     *np.linalg.svd(a, full_matrices=False)), arr(cwellcond, 2, 4, 3))
crow("svdvals", LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), crn(2, 3, 4))
crow("lu_factor", lambda a: tuple(LA.lu_factor(a)), np_lu_factor, crn(2, 4, 4))
crow("lu_factor", lambda a: tuple(LA.lu_factor(a)), np_lu_factor,  # LAPACK pivots on |Re| + |Im|:
     lambda rng: [np.array([[3.0, 1.0], [2 + 2j, 1j]])])  # row 1 (4 > 3), though |2+2i| < 3
crow("lu", lambda a: tuple(LA.lu(a)),  # P has A's dtype, as in PyTorch
     lambda a: (lambda p, l, u: (p.astype(a.dtype), l, u))(*np_lu(a)), crn(3, 5))
crow("lu_solve", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, adjoint=True),
     lambda a, b: np_lu_solve(ch(a), b), args(arr(cwellcond, 2, 3, 3), crn(3, 2)))
crow("matrix_power", lambda a: LA.matrix_power(a, -2),
     lambda a: np.linalg.matrix_power(a, -2), arr(cwellcond, 2, 3, 3))
crow("matrix_exp", LA.matrix_exp, batched(sla.expm), crn(2, 3, 3))
crow("householder_product", lambda h, tau: LA.householder_product(h, tau),
     lambda h, tau: np_householder_c(h, tau), lambda rng: list(_raw_c(rng)))


def _raw_c(rng, m=5, n=3):
    h, tau = np.linalg.qr(crn(m, n)(rng)[0], mode="raw")
    return np.ascontiguousarray(h.T), tau


def np_householder_c(h, tau):
    """Q = H_1 ... H_k, H_i = I - tau_i v_i v_i^H (LAPACK's elementary reflectors)."""
    m, k = h.shape[0], tau.shape[0]
    q = np.eye(m, dtype=complex)
    for i in range(k):
        v = np.zeros(m, dtype=complex)
        v[i], v[i + 1:] = 1, h[i + 1:, i]
        q = q @ (np.eye(m) - tau[i] * np.outer(v, np.conj(v)))
    return q[:, :h.shape[1]]


# functions tested in their own files rather than by rows
TESTED_ELSEWHERE = {"analyze_system", "definiteness", "is_positive_definite", "LinAlgError",
                    "SystemAnalysis"}

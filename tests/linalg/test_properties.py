"""Identities the factorizations and inverses must satisfy, on random batched inputs."""

import math

import numpy as np
import pytest
import scipy.linalg

import ember
import ember.linalg as LA
from ember.autograd import gradcheck

from ..conftest import to_numpy
from .linalg_table import spd, svd_separated, sym_separated, wellcond


def T(a):
    return ember.tensor(np.ascontiguousarray(a), dtype=ember.float64)


def close(a, b, atol=1e-10):
    np.testing.assert_allclose(to_numpy(a) if isinstance(a, ember.Tensor) else a,
                               to_numpy(b) if isinstance(b, ember.Tensor) else b,
                               rtol=1e-9, atol=atol)


def eye(n):
    return np.eye(n)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reconstructs_a_from_orthonormal_eigenvectors(rng, uplo):
    a = sym_separated(rng, 3, 2, 4, 4)
    w, Q = LA.eigh(T(a), UPLO=uplo)
    close((Q * w.unsqueeze(-2)) @ Q.mT, a)
    close(Q.mT @ Q, np.broadcast_to(eye(4), (3, 2, 4, 4)))
    assert np.all(np.diff(to_numpy(w), axis=-1) > 0), "eigenvalues ascending"


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 3), (2, 2, 3, 6)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_reconstructs_a(rng, shape, full):
    a = rng.standard_normal(shape)
    U, S, Vh = LA.svd(T(a), full_matrices=full)
    k = min(shape[-2:])
    close((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :], a)
    close(U.mT @ U, np.broadcast_to(eye(U.shape[-1]), tuple(U.shape[:-2]) + (U.shape[-1],) * 2))
    close(Vh @ Vh.mT, np.broadcast_to(eye(Vh.shape[-2]), tuple(Vh.shape[:-2]) +
                                      (Vh.shape[-2],) * 2))
    assert np.all(np.diff(to_numpy(S), axis=-1) <= 0) and np.all(to_numpy(S) >= 0)
    close(LA.svdvals(T(a)), S)


def test_det_is_multiplicative_and_transpose_invariant(rng):
    a, b = rng.standard_normal((2, 3, 4, 4))
    A, B = T(a), T(b)
    close(LA.det(A @ B), LA.det(A) * LA.det(B))
    close(LA.det(A.mT), LA.det(A))
    close(LA.det(A * 2.0), LA.det(A) * 16)


def test_slogdet_agrees_with_det_and_handles_singular_and_huge(rng):
    a = rng.standard_normal((3, 4, 4))
    sign, logabs = LA.slogdet(T(a))
    close(sign * logabs.exp(), LA.det(T(a)))
    s = LA.slogdet(T(np.ones((3, 3))))
    assert s.sign.item() == 0 and s.logabsdet.item() == -math.inf
    big = LA.slogdet(T(np.eye(200) * 10.0))  # det = 1e200 * ... overflows det, not slogdet
    assert abs(big.logabsdet.item() - 200 * math.log(10)) < 1e-9


def test_inverse_times_a_is_identity(rng):
    a = wellcond(rng, 2, 3, 5, 5)
    A = T(a)
    close(LA.inv(A) @ A, np.broadcast_to(eye(5), (2, 3, 5, 5)))
    close(A @ LA.inv(A), np.broadcast_to(eye(5), (2, 3, 5, 5)))
    close(LA.matrix_power(A, -1), LA.inv(A))
    close(LA.matrix_power(A, -3) @ LA.matrix_power(A, 3), np.broadcast_to(eye(5), (2, 3, 5, 5)))


@pytest.mark.parametrize("make", [
    lambda rng: rng.standard_normal((2, 5, 3)),
    lambda rng: rng.standard_normal((4, 6)),
    lambda rng: rng.standard_normal((2, 5, 2)) @ rng.standard_normal((2, 2, 4)),  # rank 2
    lambda rng: np.zeros((3, 2)),
])
def test_pinv_satisfies_the_four_penrose_conditions(rng, make):
    a = make(rng)
    A = T(a)
    X = LA.pinv(A)
    close(A @ X @ A, a)
    close(X @ A @ X, X)
    close((A @ X).mT, A @ X)
    close((X @ A).mT, X @ A)


def test_pinv_hermitian_matches_general_on_a_psd_rank_deficient_matrix(rng):
    b = rng.standard_normal((4, 2))
    a = b @ b.T
    close(LA.pinv(T(a), hermitian=True), LA.pinv(T(a)), atol=1e-9)


@pytest.mark.parametrize("shape", [(2, 5, 3), (4, 4), (3, 2, 5)])
def test_qr_reconstructs_with_orthonormal_q_and_upper_r(rng, shape):
    a = rng.standard_normal(shape)
    for mode in ("reduced", "complete"):
        Q, R = LA.qr(T(a), mode=mode)
        close(Q @ R, a)
        close(Q.mT @ Q, np.broadcast_to(eye(Q.shape[-1]), tuple(Q.shape[:-2]) +
                                        (Q.shape[-1],) * 2))
        close(R, np.triu(to_numpy(R)))
    close(LA.qr(T(a), mode="r").R, LA.qr(T(a)).R)
    assert LA.qr(T(a), mode="r").Q.numel() == 0


def test_cholesky_reconstructs_and_has_a_positive_diagonal(rng):
    a = spd(rng, 3, 4, 4)
    L = LA.cholesky(T(a))
    close(L @ L.mT, a)
    close(L, np.tril(to_numpy(L)))
    assert np.all(np.diagonal(to_numpy(L), 0, -2, -1) > 0)
    close(LA.cholesky(T(a), upper=True), L.mT)


def test_cholesky_reads_only_the_lower_triangle(rng):
    a = spd(rng, 3, 3)
    junk = a + np.triu(rng.standard_normal((3, 3)), 1)
    close(LA.cholesky(T(junk)), LA.cholesky(T(a)))


@pytest.mark.parametrize("shape", [(2, 4, 4), (3, 5), (5, 3)])
def test_lu_reconstructs_and_lu_solve_solves(rng, shape):
    a = rng.standard_normal(shape)
    P, L, U = LA.lu(T(a))
    close(P @ L @ U, a)
    if shape[-1] == shape[-2]:
        b = rng.standard_normal(shape[:-1] + (2,))
        LU, piv = LA.lu_factor(T(a))
        close(T(a) @ LA.lu_solve(LU, piv, T(b)), b)


def test_lu_without_pivoting(rng):
    a = spd(rng, 4, 4)  # positive-definite: no pivoting needed
    P, L, U = LA.lu(T(a), pivot=False)
    close(P, eye(4))
    close(L @ U, a)


def test_eig_diagonalizes(rng):
    a = rng.standard_normal((3, 4, 4))
    w, V = LA.eig(T(a))
    assert w.dtype == ember.complex128 and V.dtype == ember.complex128
    A = T(a).to(ember.complex128)
    close(A @ V, V * w.unsqueeze(-2), atol=1e-9)
    close(LA.eigvals(T(a)), w)
    f32 = LA.eig(T(a).float())
    assert f32.eigenvalues.dtype == ember.complex64


def test_eig_of_a_rotation_is_a_complex_pair():
    c, s = math.cos(0.3), math.sin(0.3)
    w = np.sort_complex(to_numpy(LA.eigvals(T([[c, -s], [s, c]]))))
    close(w, np.array([complex(c, -s), complex(c, s)]))


def test_matrix_exp_identities(rng):
    a = rng.standard_normal((2, 4, 4))
    A = T(a)
    close(LA.matrix_exp(A) @ LA.matrix_exp(-A), np.broadcast_to(eye(4), (2, 4, 4)))
    close(LA.matrix_exp(T(np.diag([1.0, -2.0, 0.5]))), np.diag(np.exp([1.0, -2.0, 0.5])))
    close(LA.det(LA.matrix_exp(A)), np.exp(np.trace(a, axis1=-2, axis2=-1)))
    # a skew-symmetric generator gives a rotation
    close(LA.matrix_exp(T([[0.0, -0.7], [0.7, 0.0]])),
          np.array([[math.cos(0.7), -math.sin(0.7)], [math.sin(0.7), math.cos(0.7)]]))
    big = rng.standard_normal((3, 3)) * 30  # many squarings
    expected = scipy.linalg.expm(big)
    got = to_numpy(LA.matrix_exp(T(big)))
    assert np.abs(got - expected).max() <= 1e-10 * np.abs(expected).max()


def test_lstsq_residual_is_orthogonal_to_the_columns(rng):
    a, b = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 2))
    X = LA.lstsq(T(a), T(b)).solution
    close(T(a).mT @ (T(a) @ X - T(b)), np.zeros((2, 3, 2)))
    res = LA.lstsq(T(a), T(b), driver="gelss").residuals
    close(res, ((to_numpy(T(a) @ X) - b) ** 2).sum(-2))


def test_lstsq_of_a_rank_deficient_matrix_is_the_minimum_norm_solution(rng):
    a = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
    b = rng.standard_normal(5)
    r = LA.lstsq(T(a), T(b), driver="gelsd")
    close(r.solution, np.linalg.pinv(a) @ b, atol=1e-9)
    assert r.rank.item() == 2 and r.residuals.numel() == 0  # not full rank: no residuals
    assert LA.lstsq(T(a), T(b)).singular_values.numel() == 0  # gelsy, as PyTorch
    full = LA.lstsq(T(a[:, :2]), T(b), driver="gelsd")  # full rank, tall, vector b
    assert tuple(full.solution.shape) == (2,) and tuple(full.residuals.shape) == (1,)


def test_solve_broadcasts_batches_and_vectors(rng):
    a = wellcond(rng, 2, 1, 3, 3)
    b = rng.standard_normal((4, 3, 2))
    X = LA.solve(T(a), T(b))
    assert tuple(X.shape) == (2, 4, 3, 2)
    close(T(a) @ X, np.broadcast_to(b, (2, 4, 3, 2)))
    x = LA.solve(T(a[:, 0]), T(b[:2, :, 0]))  # (2, 3, 3) with (2, 3): a batch of vectors
    assert tuple(x.shape) == (2, 3)
    Xr = LA.solve(T(a[0, 0]), T(b[:, :, :].transpose(0, 2, 1)), left=False)
    close(Xr @ T(a[0, 0]), b.transpose(0, 2, 1))


def test_solve_triangular_uses_only_its_triangle(rng):
    a = rng.standard_normal((3, 3)) + 4 * np.eye(3)
    b = rng.standard_normal((3, 2))
    x = LA.solve_triangular(T(a), T(b), upper=True)
    close(np.triu(a) @ to_numpy(x), b)
    x = LA.solve_triangular(T(a), T(b), upper=False, unitriangular=True)
    close((np.tril(a, -1) + np.eye(3)) @ to_numpy(x), b)


def test_matrix_rank_of_products(rng):
    for k in (1, 2, 3):
        a = rng.standard_normal((2, 6, k)) @ rng.standard_normal((2, k, 5))
        assert LA.matrix_rank(T(a)).tolist() == [k, k]
    assert LA.matrix_rank(T(np.zeros((3, 3)))).item() == 0
    assert LA.matrix_rank(T(np.diag([1.0, 1e-3])), rtol=1e-2).item() == 1


def test_cond_of_an_orthogonal_matrix_is_one(rng):
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    for p in (None, "fro", 1, math.inf):
        expected = 4.0 if p == "fro" else None
        c = LA.cond(T(q), p).item()
        if expected is None:
            assert 1 - 1e-12 <= c <= 4  # 1 for p=2; the 1- and inf-norms are within sqrt(n)
        else:
            assert abs(c - expected) < 1e-9
    assert abs(LA.cond(T(q)).item() - 1) < 1e-12


def test_norm_relations(rng):
    a = svd_separated(rng, 3, 5, 4)
    A = T(a)
    fro, two, nuc = LA.matrix_norm(A), LA.matrix_norm(A, 2), LA.matrix_norm(A, "nuc")
    assert np.all(to_numpy(two) <= to_numpy(fro) + 1e-12)
    assert np.all(to_numpy(fro) <= to_numpy(nuc) + 1e-12)
    close(LA.norm(A, dim=(-2, -1)), fro)
    close(LA.norm(A), np.linalg.norm(a.ravel()))
    close(LA.matrix_norm(A, keepdim=True).squeeze((-2, -1)), fro)
    close(LA.vector_norm(A, 2, dim=(-2, -1)), fro)


def test_top_level_norm_dist_cdist_are_the_linalg_ones(rng):
    # torch.norm's p='nuc': the nuclear norm of a matrix, or of the matrices over a 2-tuple dim
    a = svd_separated(rng, 2, 4, 3)
    close(ember.norm(T(a[0]), "nuc"), np.linalg.norm(a[0], "nuc"))
    close(T(a[0]).norm(p="nuc"), np.linalg.norm(a[0], "nuc"))
    close(ember.norm(T(a), "nuc", dim=(1, 2), keepdim=True),
          np.linalg.norm(a, "nuc", axis=(1, 2))[:, None, None])
    close(ember.norm(T(np.moveaxis(a, 0, 2)), "nuc", dim=(0, 1)), np.linalg.norm(a, "nuc",
                                                                                axis=(1, 2)))
    assert gradcheck(lambda x: ember.norm(x, "nuc", dim=(-2, -1)),
                     [T(a).requires_grad_(True)])
    assert ember.dist is LA.dist and ember.cdist is LA.cdist
    x, y = rng.standard_normal((2, 4, 3)), rng.standard_normal((5, 3))
    close(ember.cdist(T(x), T(y), p=1.0),
          np.abs(x[:, :, None, :] - y[None, None]).sum(-1))
    close(ember.dist(T(x), T(y[:4]), p=3), (np.abs(x - y[:4]) ** 3).sum() ** (1 / 3))


def test_cross_product_is_orthogonal_to_its_factors(rng):
    a, b = rng.standard_normal((2, 5, 3))
    c = LA.cross(T(a), T(b))
    close(LA.vecdot(c, T(a)), np.zeros(5))
    close(LA.vecdot(c, T(b)), np.zeros(5))
    close(LA.cross(T([1.0, 0, 0]), T([0.0, 1, 0])), [0.0, 0, 1])


def test_multi_dot_equals_left_to_right_products(rng):
    ms = [rng.standard_normal(s) for s in ((10, 2), (2, 30), (30, 3), (3, 4))]
    close(LA.multi_dot([T(m) for m in ms]), ms[0] @ ms[1] @ ms[2] @ ms[3])


def test_householder_product_rebuilds_q_of_qr(rng):
    a = rng.standard_normal((6, 4))
    h, tau = np.linalg.qr(a, mode="raw")
    Q = LA.householder_product(T(h.T), T(tau))
    close(Q, np.linalg.qr(a).Q)
    close(Q.mT @ Q, eye(4))


def test_cosine_similarity_and_angle(rng):
    x = rng.standard_normal((4, 3))
    X = T(x)
    close(LA.cosine_similarity(X, X * 2.5), np.ones(4))
    close(LA.cosine_similarity(X, -X), -np.ones(4))
    close(LA.angle(X, -X), np.full(4, math.pi))
    close(LA.angle(T([1.0, 0.0]), T([0.0, 3.0])), math.pi / 2)
    assert LA.cosine_similarity(T([0.0, 0.0]), T([1.0, 2.0])).item() == 0
    # Kahan's formula keeps the digits of tiny angles that arccos(cos) loses
    tiny = LA.angle(T([1.0, 0.0]), T([1.0, 1e-9])).item()
    assert abs(tiny - 1e-9) < 1e-20
    close(LA.similarity.cosine_similarity(X, X), np.ones(4))  # dim=1, as torch.nn


def test_cdist_and_dist_agree_with_direct_norms(rng):
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    D = LA.cdist(T(a), T(b))
    close(D[2, 1], np.linalg.norm(a[2] - b[1]))
    close(LA.dist(T(a[2]), T(b[1])), D[2, 1])
    z = T(a)
    z.requires_grad_(True)
    LA.cdist(z, z).sum().backward()  # zero self-distances: the gradient stays finite
    assert np.all(np.isfinite(to_numpy(z.grad)))

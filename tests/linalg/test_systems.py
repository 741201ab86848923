"""analyze_system on constructed systems with unique / no / infinitely many solutions,
definiteness and is_positive_definite, volume_scale."""

import math

import numpy as np
import pytest

import ember
import ember.linalg as LA
from ember.linalg import LinAlgError

from ..conftest import to_numpy
from .linalg_table import spd, wellcond


def T(a):
    return ember.tensor(np.ascontiguousarray(a), dtype=ember.float64)


def N(t):
    return to_numpy(t)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def check_null_space(a, r):
    """N: orthonormal columns, A N = 0, n - rank of them."""
    null = N(r.null_space)
    n = a.shape[-1]
    assert null.shape == (n, n - r.rank)
    np.testing.assert_allclose(null.T @ null, np.eye(n - r.rank), atol=1e-10)
    np.testing.assert_allclose(a @ null, 0, atol=1e-10)


# ----------------------------------------------------------------------------- analyze_system

def test_unique_solution_of_a_square_system(rng):
    a = wellcond(rng, 4, 4)
    x = rng.standard_normal(4)
    r = LA.analyze_system(T(a), T(a @ x))
    assert r.kind == "unique" and r.rank == r.augmented_rank == 4 and r.has_solution
    np.testing.assert_allclose(N(r.solution), x, atol=1e-12)
    assert r.null_space.shape == (4, 0) and r.free_parameters == 0
    assert r.residual.item() < 1e-12
    assert repr(r) == ("SystemAnalysis(unique solution x (rank A = 4, rank [A | b] = 4, "
                       "4 unknowns))")


@pytest.mark.parametrize("a,b,kind", [
    ([[2.0]], [6.0], "unique"),
    ([[0.0]], [1.0], "none"),
    ([[0.0]], [0.0], "infinite"),
])
def test_one_by_one_systems(a, b, kind):
    r = LA.analyze_system(T(a), T(b))
    assert r.kind == kind
    if kind == "unique":
        assert r.solution.tolist() == [3.0]
    if kind == "none":
        assert r.solution.tolist() == [0.0] and r.residual.item() == 1.0
    if kind == "infinite":
        assert r.solution.tolist() == [0.0] and r.null_space.tolist() == [[1.0]]


def test_infinitely_many_solutions_of_a_wide_system(rng):
    a = rng.standard_normal((2, 4))
    b = a @ rng.standard_normal(4)
    r = LA.analyze_system(T(a), T(b))
    assert r.kind == "infinite" and r.rank == 2 and r.free_parameters == 2
    # the particular solution is the minimum-norm one, and x0 + N t solves it for every t
    np.testing.assert_allclose(N(r.solution), np.linalg.pinv(a) @ b, atol=1e-12)
    check_null_space(a, r)
    t = T(rng.standard_normal(2))
    np.testing.assert_allclose(a @ N(r.general_solution(t)), b, atol=1e-10)
    assert repr(r) == ("SystemAnalysis(infinitely many solutions: x = x0 + N t, 2 free "
                       "parameters (rank A = 2, rank [A | b] = 2, 4 unknowns))")


def test_singular_square_system_consistent_and_inconsistent(rng):
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 4))  # rank 2
    b_in = a @ rng.standard_normal(4)
    r = LA.analyze_system(T(a), T(b_in))
    assert (r.kind, r.rank, r.augmented_rank) == ("infinite", 2, 2)
    np.testing.assert_allclose(a @ N(r.solution), b_in, atol=1e-10)
    check_null_space(a, r)
    b_out = b_in + np.linalg.svd(a)[0][:, 3]  # add a direction outside the column space
    r = LA.analyze_system(T(a), T(b_out))
    assert (r.kind, r.rank, r.augmented_rank) == ("none", 2, 3) and not r.has_solution
    x_ls = np.linalg.lstsq(a, b_out, rcond=None)[0]
    np.testing.assert_allclose(N(r.solution), x_ls, atol=1e-10)
    np.testing.assert_allclose(r.residual.item(), np.linalg.norm(a @ x_ls - b_out), atol=1e-10)
    assert abs(r.residual.item() - 1.0) < 1e-10
    check_null_space(a, r)
    assert repr(r).startswith("SystemAnalysis(no solution (rank A = 2, rank [A | b] = 3, 4 "
                              "unknowns); least-squares x with residual ||Ax - b|| = 1")


def test_tall_systems(rng):
    a = rng.standard_normal((6, 3))
    x = rng.standard_normal(3)
    r = LA.analyze_system(T(a), T(a @ x))
    assert r.kind == "unique"
    np.testing.assert_allclose(N(r.solution), x, atol=1e-12)
    b = rng.standard_normal(6)
    r = LA.analyze_system(T(a), T(b))
    assert r.kind == "none" and r.augmented_rank == 4
    np.testing.assert_allclose(N(r.solution), np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-12)
    resid = b - a @ N(r.solution)
    np.testing.assert_allclose(a.T @ resid, 0, atol=1e-10)  # least squares: normal equations
    np.testing.assert_allclose(r.residual.item(), np.linalg.norm(resid))


def test_matrix_right_hand_side_is_solvable_only_if_every_column_is(rng):
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))  # 4x3 rank 2
    good = a @ rng.standard_normal((3, 2))
    r = LA.analyze_system(T(a), T(good))
    assert r.kind == "infinite" and tuple(r.solution.shape) == (3, 2)
    np.testing.assert_allclose(a @ N(r.solution), good, atol=1e-10)
    assert "X = X0 + N T, 1 free parameter " in repr(r)
    bad = good.copy()
    bad[:, 1] += np.linalg.svd(a)[0][:, 3]
    r = LA.analyze_system(T(a), T(bad))
    assert r.kind == "none" and r.augmented_rank == 3
    res = N(r.residual)
    assert res.shape == (2,) and res[0] < 1e-10 and abs(res[1] - 1) < 1e-10


def test_batched_systems_give_a_nested_list(rng):
    a = np.stack([np.eye(3), np.diag([1.0, 1.0, 0.0])])  # (2, 3, 3)
    b = np.array([[[1.0, 2.0, 3.0]], [[1.0, 2.0, 0.0]], [[1.0, 2.0, 3.0]]])  # (3, 1, 3)
    results = LA.analyze_system(T(a[None]), T(b))  # batch (3, 2)
    kinds = [[r.kind for r in row] for row in results]
    assert kinds == [["unique", "none"], ["unique", "infinite"], ["unique", "none"]]
    inf = results[1][1]
    np.testing.assert_allclose(N(inf.solution), [1.0, 2.0, 0.0])
    np.testing.assert_allclose(np.abs(N(inf.null_space)), [[0.0], [0.0], [1.0]])
    # one A, a batch of right-hand sides: A (1, m, n) broadcast against b (k, m)
    rs = LA.analyze_system(T(np.diag([1.0, 0.0])[None]), T([[1.0, 0.0], [1.0, 1.0]]))
    assert [r.kind for r in rs] == ["infinite", "none"]
    # the same b for A (m, n) is a matrix right-hand side: columns (1, 1) and (0, 1)
    r = LA.analyze_system(T(np.diag([1.0, 0.0])), T([[1.0, 0.0], [1.0, 1.0]]))
    assert r.kind == "none" and tuple(r.solution.shape) == (2, 2)


def test_consistency_is_judged_at_the_scale_of_the_system(rng):
    # an ill-conditioned but invertible A: b = A x carries rounding of size eps ||A|| ||x||,
    # far above eps ||b||; the backward-error tolerance still calls it consistent
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    a = q @ np.diag([1.0, 1e-3, 1e-10]) @ q.T
    b = a @ q[:, 2]
    r = LA.analyze_system(T(a), T(b))
    assert r.kind == "unique"
    # scaling b does not change the answer
    assert LA.analyze_system(T(np.diag([1.0, 0.0])), T([1e-30, 1e-30])).kind == "none"
    assert LA.analyze_system(T(np.diag([1.0, 0.0])), T([1e30, 0.0])).kind == "infinite"


def test_tol_sets_which_singular_values_count(rng):
    a = np.diag([1.0, 1e-6])
    b = np.array([1.0, 1.0])
    assert LA.analyze_system(T(a), T(b)).kind == "unique"
    r = LA.analyze_system(T(a), T(b), tol=1e-3)
    assert r.kind == "none" and r.rank == 1 and r.tol == 1e-3


# ------------------------------------------------------------------------------ definiteness

def test_definiteness_of_constructed_matrices(rng):
    pd = spd(rng, 4, 4)
    b = rng.standard_normal((4, 2))
    psd = b @ b.T  # rank 2
    indefinite = np.diag([2.0, -1.0, 0.5])
    assert LA.definiteness(T(pd)) == "positive definite"
    assert LA.definiteness(T(psd)) == "positive semidefinite"
    assert LA.definiteness(T(-pd)) == "negative definite"
    assert LA.definiteness(T(-psd)) == "negative semidefinite"
    assert LA.definiteness(T(indefinite)) == "indefinite"
    assert LA.definiteness(T(np.zeros((2, 2)))) == "positive semidefinite"
    assert LA.is_positive_definite(T(pd)) is True
    assert LA.is_positive_definite(T(psd)) is False


def test_definiteness_of_random_batches_of_every_kind(rng):
    # random SPD, rank-deficient PSD (Gram of a wide factor), their negations, and random
    # indefinite matrices (eigenvalues of both signs, also with a zero one)
    n = 5
    pd = spd(rng, 4, n, n)
    f = rng.standard_normal((4, n, 3))
    psd = f @ np.swapaxes(f, -1, -2)
    q, _ = np.linalg.qr(rng.standard_normal((4, n, n)))
    w = rng.uniform(0.5, 2, (4, n)) * np.array([1, -1, 1, -1, 0.0])
    w[:2, -1] = 1.3  # two without the zero eigenvalue
    indefinite = (q * w[:, None, :]) @ np.swapaxes(q, -1, -2)
    batch = np.stack([pd, psd, -pd, -psd, indefinite])  # (5, 4, n, n)
    expected = ["positive definite", "positive semidefinite", "negative definite",
                "negative semidefinite", "indefinite"]
    assert LA.definiteness(T(batch)) == [[label] * 4 for label in expected]
    assert LA.is_positive_definite(T(batch)).tolist() == [[True] * 4] + [[False] * 4] * 4
    for a in indefinite:  # some x has x^T A x > 0 and some < 0: the eigenvectors
        wa, va = np.linalg.eigh(a)
        assert va[:, 0] @ a @ va[:, 0] < 0 < va[:, -1] @ a @ va[:, -1]


def test_definiteness_of_a_batch_is_a_nested_list(rng):
    pd = spd(rng, 3, 3)
    batch = np.stack([np.stack([pd, -pd]), np.stack([np.diag([1.0, 0, 0]), np.diag([1.0, -1, 0])])])
    assert LA.definiteness(T(batch)) == [["positive definite", "negative definite"],
                                         ["positive semidefinite", "indefinite"]]
    flags = LA.is_positive_definite(T(batch))
    assert flags.dtype == ember.bool and flags.tolist() == [[True, False], [False, False]]


def test_definiteness_tolerance_and_rounding():
    a = np.diag([1.0, 1e-20])
    assert LA.definiteness(T(a)) == "positive semidefinite"  # 1e-20 is below n eps max|w|
    assert LA.definiteness(T(a), tol=0.0) == "positive definite"
    assert LA.definiteness(T(np.diag([1.0, 0.3])), tol=0.5) == "positive semidefinite"
    # a Gram matrix computed in floating point is symmetric only up to rounding: accepted
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 40))
    gram = np.einsum("ik,jk->ij", x, x * (1 + 1e-15))
    assert LA.definiteness(T(gram)) == "positive definite"


def test_definiteness_of_a_hermitian_matrix():
    h = np.array([[2.0, 1j], [-1j, 2.0]])
    assert LA.definiteness(ember.tensor(h)) == "positive definite"


def test_definiteness_of_a_non_symmetric_matrix_names_the_largest_asymmetry():
    a = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    with pytest.raises(LinAlgError, match=r"linalg.definiteness: A is not symmetric: its "
                       r"largest asymmetry is \|A\[1, 2\] - A\[2, 1\]\| = 0.5"):
        LA.definiteness(T(a))
    batch = np.stack([np.eye(3), a])
    with pytest.raises(LinAlgError, match=r"A \(batch element 1\) is not symmetric"):
        LA.is_positive_definite(T(batch))


# ------------------------------------------------------------------------------ volume_scale

def test_volume_scale_reads_the_determinant_geometrically():
    c, s = math.cos(0.4), math.sin(0.4)
    rotation = np.array([[c, -s], [s, c]])
    reflection = np.array([[1.0, 0.0], [0.0, -1.0]])
    stretch = np.diag([2.0, 3.0])
    flat = np.array([[1.0, 2.0], [2.0, 4.0]])
    scale, keeps = LA.volume_scale(T(np.stack([rotation, reflection, stretch, flat])))
    np.testing.assert_allclose(N(scale), [1.0, 1.0, 6.0, 0.0], atol=1e-12)
    assert keeps.tolist() == [True, False, True, False]
    r = LA.volume_scale(T(-np.eye(3)))
    assert r.scale.item() == 1.0 and not r.preserves_orientation.item()  # odd dimension


def test_volume_scale_gradient_is_the_signed_cofactor_matrix(rng):
    a = T(wellcond(rng, 3, 3)).requires_grad_(True)
    LA.volume_scale(a).scale.backward()
    d = np.linalg.det(N(a))
    np.testing.assert_allclose(N(a.grad), np.sign(d) * d * np.linalg.inv(N(a)).T, atol=1e-12)


# --------------------------------------------------- constructed systems, every shape and kind

def _system(rng, m, n, r, kind):
    """A (m, n) of rank r (singular values in [1, 2]) and b: consistent (b = A x) for 'unique'
    and 'infinite', for 'none' plus a component of norm 0.5 outside the column space."""
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (u[:, :r] * rng.uniform(1, 2, r)) @ v[:, :r].T
    b = a @ rng.standard_normal(n)
    if kind == "none":
        b = b + 0.5 * u[:, r:] @ (lambda w: w / np.linalg.norm(w))(rng.standard_normal(m - r))
    return a, b


def _verify(a, b, r, kind, res):
    m, n = a.shape
    assert res.kind == kind and res.rank == r
    assert res.augmented_rank == r + (kind == "none")
    check_null_space(a, res)
    x = N(res.solution)
    assert x.shape == (n,)
    np.testing.assert_allclose(N(res.null_space).T @ x, 0, atol=1e-10)  # minimum norm
    np.testing.assert_allclose(x, np.linalg.pinv(a) @ b, atol=1e-10)
    resid = a @ x - b
    np.testing.assert_allclose(res.residual.item(), np.linalg.norm(resid), atol=1e-10)
    if kind == "none":
        assert abs(res.residual.item() - 0.5) < 1e-10
        np.testing.assert_allclose(a.T @ resid, 0, atol=1e-10)  # the normal equations
    else:
        np.testing.assert_allclose(resid, 0, atol=1e-10)
        assert res.residual.item() < 1e-10


CONSTRUCTED = [  # (m, n, rank, kind)
    (1, 1, 1, "unique"), (1, 1, 0, "none"), (1, 1, 0, "infinite"),
    (3, 3, 3, "unique"), (3, 3, 2, "infinite"), (3, 3, 1, "none"),
    (5, 3, 3, "unique"), (5, 3, 3, "none"), (5, 3, 2, "infinite"), (5, 3, 1, "none"),
    (2, 4, 2, "infinite"), (3, 5, 2, "none"), (3, 5, 1, "infinite"),
]


@pytest.mark.parametrize("m,n,r,kind", CONSTRUCTED)
def test_constructed_systems_of_every_shape_and_kind(rng, m, n, r, kind):
    a, b = _system(rng, m, n, r, kind)
    _verify(a, b, r, kind, LA.analyze_system(T(a), T(b)))


@pytest.mark.parametrize("m,n", [(1, 1), (3, 3), (5, 3), (3, 5)])
def test_a_batch_of_constructed_systems_mixing_kinds(rng, m, n):
    cases = [(r, kind) for (mm, nn, r, kind) in CONSTRUCTED if (mm, nn) == (m, n)]
    systems = [_system(rng, m, n, r, kind) for r, kind in cases]
    a = np.stack([s[0] for s in systems]).reshape(1, len(cases), m, n)
    b = np.stack([s[1] for s in systems]).reshape(1, len(cases), m)
    results = LA.analyze_system(T(np.repeat(a, 2, 0)), T(np.repeat(b, 2, 0)))  # batch (2, k)
    assert len(results) == 2 and all(len(row) == len(cases) for row in results)
    for row in results:
        for (r, kind), (ai, bi), res in zip(cases, systems, row):
            _verify(ai, bi, r, kind, res)

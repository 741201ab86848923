"""Gradient behaviour beyond the table's gradchecks: the documented caveats (repeated
eigenvalues and singular values, full_matrices), degenerate points, and gradients of
gradients used the way a user would (a Hessian)."""

import math

import numpy as np

import ember
import ember.linalg as LA
from ember.autograd import gradcheck

from ..conftest import to_numpy
from .linalg_table import spd, wellcond


def T(a):
    return ember.tensor(np.ascontiguousarray(a, dtype=float), dtype=ember.float64)


def grad_of(f, a):
    x = T(a).requires_grad_(True)
    (g,) = ember.autograd.grad(f(x), x)
    return to_numpy(g)


def test_eigenvector_gradient_at_repeated_eigenvalues_is_not_finite_as_documented():
    a = np.diag([1.0, 1.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):  # the 0 / 0 the caveat is about
        g = grad_of(lambda x: (LA.eigh(x).eigenvectors ** 2 * T(np.arange(9.0).reshape(3, 3)))
                    .sum(), a)
    assert not np.isfinite(g).all()
    # the eigenvalues alone stay differentiable: V diag(g) V^T
    np.testing.assert_allclose(grad_of(lambda x: LA.eigvalsh(x).sum(), a), np.eye(3))


def test_singular_value_gradient_with_repeated_values_is_finite_through_svdvals():
    a = np.diag([2.0, 2.0, 1.0])
    np.testing.assert_allclose(grad_of(lambda x: LA.svdvals(x).sum(), a), np.eye(3))
    np.testing.assert_allclose(grad_of(lambda x: LA.matrix_norm(x, "nuc"), a), np.eye(3))


def test_svd_full_matrices_gives_no_gradient_to_the_undetermined_columns():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3))
    g = grad_of(lambda x: LA.svd(x, full_matrices=True).U[:, 3:].sum(), a)
    np.testing.assert_array_equal(g, 0)
    # the determined part matches full_matrices=False
    f = lambda fm: lambda x: (LA.svd(x, full_matrices=fm).U[:, :3] ** 2).sum()  # noqa: E731
    np.testing.assert_allclose(grad_of(f(True), a), grad_of(f(False), a), atol=1e-12)


def test_slogdet_sign_has_no_gradient():
    sign, logabs = LA.slogdet(T(np.eye(2)).requires_grad_(True))
    assert not sign.requires_grad and logabs.requires_grad


def test_hessian_of_log_det_is_minus_the_kronecker_of_the_inverse():
    # d^2 log det(A) / dA_ij dA_kl = -(A^{-1})_jk (A^{-1})_li
    rng = np.random.default_rng(1)
    a = spd(rng, 3, 3)
    x = T(a).requires_grad_(True)
    (g,) = ember.autograd.grad(LA.slogdet(x).logabsdet, x, create_graph=True)
    inv = np.linalg.inv(a)
    for i, j in ((0, 1), (2, 2)):
        (h,) = ember.autograd.grad(g[i, j], x, retain_graph=True)
        expected = -np.outer(inv[:, i], inv[j, :]).T  # [k, l] = -(inv)_jk (inv)_li
        np.testing.assert_allclose(to_numpy(h), expected, atol=1e-10)


def test_cosine_and_angle_gradients_are_finite_at_degenerate_points():
    zero = T(np.zeros(3)).requires_grad_(True)
    y = T([1.0, 2.0, 3.0])
    LA.cosine_similarity(zero, y).backward()
    assert np.isfinite(to_numpy(zero.grad)).all()
    x = T([1.0, 2.0, 3.0]).requires_grad_(True)
    LA.angle(x, y).backward()  # theta = 0
    np.testing.assert_array_equal(to_numpy(x.grad), 0)
    x2 = T([1.0, 0.0]).requires_grad_(True)
    assert gradcheck(lambda v: LA.angle(v, T([0.6, 0.8])), [x2])
    LA.angle(x2, T([-1.0, 1e-300])).backward()  # theta ~ pi
    assert np.isfinite(to_numpy(x2.grad)).all()


def test_vector_norm_gradient_at_zero_is_zero():
    x = T(np.zeros(4)).requires_grad_(True)
    LA.vector_norm(x).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), 0)


def test_inf_norms_over_non_empty_dims_of_an_empty_tensor_are_empty():
    x = ember.zeros(0, 3, dtype=ember.float64, requires_grad=True)
    out = LA.vector_norm(x, math.inf, dim=1)
    assert tuple(out.shape) == (0,)
    assert tuple(LA.vector_norm(x, -math.inf, dim=-1, keepdim=True).shape) == (0, 1)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 3)
    assert ember.zeros(0).norm(2).item() == 0.0 and ember.zeros(0).norm(1).item() == 0.0


def test_matrix_power_zero_has_no_gradient_path_and_is_the_identity():
    a = T(wellcond(np.random.default_rng(2), 2, 3, 3))
    out = LA.matrix_power(a.requires_grad_(True), 0)
    np.testing.assert_array_equal(to_numpy(out), np.broadcast_to(np.eye(3), (2, 3, 3)))
    assert not out.requires_grad


def test_pinv_gradient_for_a_rank_deficient_matrix_of_constant_rank():
    rng = np.random.default_rng(3)
    b, c = rng.standard_normal((4, 2)), rng.standard_normal((2, 3))
    # the rank stays 2 along perturbations of the factors, so pinv is differentiable there
    fb = lambda u, v: LA.pinv(u @ v)  # noqa: E731
    assert gradcheck(fb, [T(b).requires_grad_(True), T(c).requires_grad_(True)])


def test_lstsq_gradient_matches_the_normal_equations():
    rng = np.random.default_rng(4)
    a, bb = rng.standard_normal((6, 3)), rng.standard_normal(6)
    g = grad_of(lambda x: LA.lstsq(x, T(bb)).solution.sum(), a)
    # x = (A^T A)^{-1} A^T b; with y = (A^T A)^{-1} 1: gA = r y^T - A y x^T
    x = np.linalg.lstsq(a, bb, rcond=None)[0]
    y = np.linalg.solve(a.T @ a, np.ones(3))
    r = bb - a @ x
    np.testing.assert_allclose(g, np.outer(r, y) - a @ np.outer(y, x), atol=1e-10)


def test_matrix_exp_gradient_of_the_trace_is_the_transposed_exponential():
    # d tr(exp A) / dA = exp(A)^T
    a = np.random.default_rng(5).standard_normal((3, 3))
    g = grad_of(lambda x: LA.diagonal(LA.matrix_exp(x)).sum(), a)
    np.testing.assert_allclose(g, to_numpy(LA.matrix_exp(T(a))).T, atol=1e-12)
    assert math.isfinite(float(g.sum()))

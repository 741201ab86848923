"""Every error of ember.linalg: singular matrices (LinAlgError naming the function, the batch
element and the rank, never garbage), the `_ex` info codes, and the boundary checks (shapes,
dtypes, options) with messages naming the function and the shapes."""

import math

import numpy as np
import pytest

import ember
import ember.linalg as LA
from ember.linalg import LinAlgError

from ..conftest import to_numpy


def T(a, dtype=ember.float64):
    return ember.tensor(np.asarray(a, dtype=float), dtype=dtype)


# a batch whose element 1 is singular (row 2 = 2 row 1), and matrices NumPy solves silently
SINGULAR_BATCH = np.stack([np.eye(3), [[1.0, 2, 3], [2, 4, 6], [0, 1, 1]]])
RANK2 = np.random.default_rng(0).standard_normal((4, 2)) @ np.random.default_rng(1) \
    .standard_normal((2, 4))
CONSISTENT_SINGULAR = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])


def test_linalg_error_is_a_runtime_error():
    assert issubclass(LinAlgError, RuntimeError)


@pytest.mark.parametrize("fn,name", [
    (lambda a: LA.solve(a, ember.ones(2, 3, dtype=ember.float64)), "linalg.solve"),
    (LA.inv, "linalg.inv"),
    (lambda a: LA.matrix_power(a, -2), "linalg.matrix_power"),
])
def test_singular_matrix_raises_naming_function_batch_element_and_rank(fn, name):
    with pytest.raises(LinAlgError) as info:
        fn(T(SINGULAR_BATCH))
    msg = str(info.value)
    assert msg.startswith(f"{name}: the matrix (batch element 1) is singular: its rank is 2 < 3")
    assert "n * eps * largest singular value" in msg
    if name != "linalg.matrix_power":
        assert "analyze_system" in msg and "lstsq" in msg


def test_numerically_singular_matrices_numpy_solves_silently_raise():
    # the premise: depending on the BLAS kernel, NumPy either returns a huge, meaningless answer
    # without complaint or raises; it never says the system has no or infinitely many solutions
    try:
        x = np.linalg.solve(RANK2, np.ones(4))
    except np.linalg.LinAlgError:
        pass
    else:  # RANK2 x = 1 has no solution, so whatever came back is garbage
        assert np.abs(x).max() > 1e10 or not np.allclose(RANK2 @ x, np.ones(4))
    for a, b in ((RANK2, np.ones(4)), (CONSISTENT_SINGULAR, np.ones(3))):
        with pytest.raises(LinAlgError, match="linalg.solve: the matrix is singular"):
            LA.solve(T(a), T(b))
        with pytest.raises(LinAlgError, match="linalg.inv: the matrix is singular"):
            LA.inv(T(a))
    # and analyze_system says what the system really is
    assert LA.analyze_system(T(CONSISTENT_SINGULAR), T(np.ones(3))).kind == "infinite"
    assert LA.analyze_system(T(RANK2), T(np.ones(4))).kind == "none"


def test_singular_in_float32_too():
    with pytest.raises(LinAlgError, match="rank is 2 < 3"):
        LA.inv(T(SINGULAR_BATCH, ember.float32))


def test_solve_triangular_with_a_zero_on_the_diagonal_raises():
    a = np.triu(np.ones((3, 3))) - np.diag([0.0, 1.0, 0.0])
    with pytest.raises(LinAlgError, match="linalg.solve_triangular: the triangle is singular: "
                                          "its rank is 2 < 3"):
        LA.solve_triangular(T(a), T(np.ones((3, 1))), upper=True)


def test_ex_variants_return_info_codes_and_nan():
    inverse, info = LA.inv_ex(T(SINGULAR_BATCH))
    assert info.dtype == ember.int32 and info.tolist() == [0, 3]  # rank 2: position 3 is zero
    out = to_numpy(inverse)
    np.testing.assert_array_equal(out[0], np.eye(3))
    assert np.isnan(out[1]).all()
    result, info = LA.solve_ex(T(SINGULAR_BATCH), T(np.ones((2, 3))))
    assert info.tolist() == [0, 3] and np.isnan(to_numpy(result)[1]).all()
    np.testing.assert_array_equal(to_numpy(result)[0], np.ones(3))
    with pytest.raises(LinAlgError, match="linalg.inv: the matrix \\(batch element 1\\)"):
        LA.inv_ex(T(SINGULAR_BATCH), check_errors=True)
    with pytest.raises(LinAlgError, match="linalg.solve: the matrix \\(batch element 1\\)"):
        LA.solve_ex(T(SINGULAR_BATCH), T(np.ones((2, 3))), check_errors=True)
    ok = LA.inv_ex(T(np.eye(2)), check_errors=True)
    assert ok.info.item() == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_solve_of_a_matrix_with_nan_gives_nan_like_inv():
    # nan is not singularity: as inv (and PyTorch's LU) the nan propagates to that batch
    # element's solution, instead of NumPy's bare "Singular matrix" for the whole batch
    a = T([np.eye(2), [[math.nan, 1.0], [1.0, 1.0]]])
    b = T(np.ones((2, 2)))
    for x in (LA.solve(a, b), LA.solve_ex(a, b).result, LA.solve(a, b[:, None], left=False)):
        out = to_numpy(x).reshape(2, 2)
        np.testing.assert_array_equal(out[0], np.ones(2))
        assert np.isnan(out[1]).all()
    assert LA.solve_ex(a, b).info.tolist() == [0, 0]  # as inv_ex
    assert np.isnan(to_numpy(LA.tensorsolve(a[1], b[0]))).all()


def test_cholesky_of_a_non_positive_definite_matrix():
    batch = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
    with pytest.raises(LinAlgError, match=r"linalg.cholesky: \(batch element 1\) The "
                       r"factorization could not be completed because the input is not "
                       r"positive-definite \(the leading minor of order 2 is not"):
        LA.cholesky(T(batch))
    L, info = LA.cholesky_ex(T(batch))
    assert info.tolist() == [0, 2]
    np.testing.assert_array_equal(to_numpy(L)[0], np.eye(3))
    assert np.isnan(to_numpy(L)[1]).all()
    with pytest.raises(LinAlgError, match="leading minor of order 3"):
        LA.cholesky_ex(T(np.diag([1.0, 2.0, 0.0])), check_errors=True)


def test_lu_of_a_singular_matrix():
    with pytest.raises(LinAlgError, match=r"linalg.lu_factor: U\[0, 0\] is exactly zero"):
        LA.lu_factor(T(np.zeros((2, 2))))
    LU, piv, info = LA.lu_factor_ex(T(np.stack([np.eye(2), np.zeros((2, 2))])))
    assert info.tolist() == [0, 1]
    with pytest.raises(LinAlgError, match=r"linalg.lu_factor_ex: \(batch element 1\)"):
        LA.lu_factor_ex(T(np.stack([np.eye(2), np.zeros((2, 2))])), check_errors=True)
    bad_lu = T([[1.0, 2.0], [0.5, 0.0]])
    with pytest.raises(LinAlgError, match="linalg.lu_solve: U has an exactly zero diagonal"):
        LA.lu_solve(bad_lu, ember.tensor([1, 2], dtype=ember.int32), T(np.ones((2, 1))))


def test_singular_matrices_elsewhere_give_honest_values():
    assert LA.cond(T(RANK2)).item() == math.inf or LA.cond(T(RANK2)).item() > 1e15
    assert LA.cond(T(RANK2), 1).item() == math.inf
    assert LA.det(T(SINGULAR_BATCH))[1].item() == pytest.approx(0.0, abs=1e-14)


@pytest.mark.parametrize("rank", [2, 1, 0])
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(rank):
    rng = np.random.default_rng(rank)
    a = rng.standard_normal((3, rank)) @ rng.standard_normal((rank, 3))
    t = T(a).requires_grad_(True)
    LA.det(t).backward()
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(to_numpy(t.grad), cof, atol=1e-12)


# ------------------------------------------------------------------------ boundary checks

F = T(np.ones((2, 3)))
SQ = T(np.eye(3))
V3 = T(np.ones(3))

CHECKS = [
    # non-square where square is needed
    (lambda: LA.det(F), r"linalg.det: A must be batches of square matrices, but they are 2 by "
                        r"3 matrices \(shape \(2, 3\)\)"),
    (lambda: LA.inv(F), r"linalg.inv: A must be batches of square matrices"),
    (lambda: LA.slogdet(F), r"linalg.slogdet: A must be batches of square"),
    (lambda: LA.solve(F, V3), r"linalg.solve: A must be batches of square"),
    (lambda: LA.cholesky(F), r"linalg.cholesky: A must be batches of square"),
    (lambda: LA.eigh(F), r"linalg.eigh: A must be batches of square"),
    (lambda: LA.eig(F), r"linalg.eig: A must be batches of square"),
    (lambda: LA.matrix_exp(F), r"linalg.matrix_exp: A must be batches of square"),
    (lambda: LA.matrix_power(F, 2), r"linalg.matrix_power: A must be batches of square "
                                    r"matrices, got shape \(2, 3\)"),
    (lambda: LA.definiteness(F), r"linalg.definiteness: A must be batches of square"),
    (lambda: LA.volume_scale(F), r"linalg.volume_scale: A must be batches of square"),
    (lambda: LA.cond(F, 1), r"linalg.cond: A must be batches of square"),
    # too few dims
    (lambda: LA.svd(V3), r"linalg.svd: A must have at least 2 dimensions \(\*, m, n\), got "
                         r"shape \(3,\)"),
    (lambda: LA.qr(V3), r"linalg.qr: A must have at least 2 dimensions"),
    (lambda: LA.pinv(V3), r"linalg.pinv: A must have at least 2 dimensions"),
    (lambda: LA.matrix_norm(V3), r"linalg.matrix_norm: A must have at least 2 dimensions"),
    (lambda: LA.lu_factor(V3), r"linalg.lu_factor: A must have at least 2 dimensions"),
    # integer and half inputs
    (lambda: LA.det(ember.ones(2, 2, dtype=ember.int64)),
     r"linalg.det: expected a floating point or complex tensor as input. Got int64 \(A of "
     r"shape \(2, 2\)\)"),
    (lambda: LA.svd(ember.ones(2, 2, dtype=ember.int32)), r"linalg.svd: expected a floating"),
    (lambda: LA.solve(SQ, ember.ones(3, dtype=ember.int64)),
     r"linalg.solve: expected a floating point or complex tensor as input. Got int64 \(B"),
    (lambda: LA.inv(ember.ones(2, 2, dtype=ember.float16)),
     r"linalg.inv: float16 is not supported"),
    (lambda: LA.vector_norm(ember.ones(3, dtype=ember.int64)),
     r"linalg.vector_norm: expected a floating point or complex tensor as input. Got int64 "
     r"\(shape \(3,\)\)"),
    # inf / -inf / negative norms of an empty dim: a max or min has no identity (PyTorch raises)
    (lambda: ember.zeros(0).norm(float("inf")),
     r"linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
     r"does not have an identity"),
    (lambda: LA.vector_norm(ember.zeros(0), -math.inf),
     r"linalg.vector_norm cannot compute the -inf norm on an empty tensor"),
    (lambda: LA.norm(ember.zeros(0), math.inf),
     r"linalg.vector_norm cannot compute the inf norm on an empty tensor"),
    (lambda: LA.vector_norm(ember.zeros(2, 0), math.inf, dim=1),
     r"linalg.vector_norm cannot compute the inf norm on the dimension 1 because this dimension "
     r"is empty and the operation does not have an identity"),
    (lambda: LA.vector_norm(ember.zeros(0, 3), -1, dim=(0, 1)),
     r"linalg.vector_norm cannot compute the -1 norm on the dimension 0"),
    (lambda: LA.dist(ember.ones(3, dtype=ember.int64), V3),
     r"dist: expected floating point or complex tensors, got int64 and float64 \(shapes \(3,\) "
     r"and \(3,\)\)"),
    (lambda: LA.cosine_similarity(ember.ones(3, dtype=ember.int64), V3),
     r"cosine_similarity: expected real floating point tensors, got int64 and float64"),
    (lambda: LA.angle(V3, V3.to(ember.complex128)),
     r"linalg.angle: expected real floating point tensors, got float64 and complex128"),
    # mismatched dtypes
    (lambda: LA.solve(SQ, T(np.ones(3), ember.float32)),
     r"linalg.solve: expected A and B to have the same dtype, but got A of dtype float64 and B "
     r"of dtype float32"),
    (lambda: LA.lstsq(SQ, T(np.ones(3), ember.float32)), r"linalg.lstsq: expected A and B"),
    # mismatched inner dims
    (lambda: LA.solve(SQ, T(np.ones(4))),
     r"linalg.solve: incompatible shapes of A and B for the equation AX = B \(3x3 and 4x1; A "
     r"\(3, 3\), B \(4,\)\)"),
    (lambda: LA.solve(SQ, T(np.ones((3, 2))), left=False),
     r"linalg.solve: incompatible shapes of A and B for the equation XA = B \(3x3 and 3x2"),
    (lambda: LA.solve_triangular(SQ, T(np.ones((2, 1))), upper=True),
     r"linalg.solve_triangular: incompatible shapes of A and B for the equation AX = B \(3x3 "
     r"and 2x1\)"),
    (lambda: LA.lstsq(F, T(np.ones(3))),
     r"linalg.lstsq: incompatible shapes of A and B for the equation AX = B \(2x3 and 3x1"),
    (lambda: LA.lu_solve(*LA.lu_factor(SQ), T(np.ones((2, 2)))),
     r"linalg.lu_solve: incompatible shapes of A and B for the equation AX = B \(3x3 and 2x2\)"),
    (lambda: LA.analyze_system(F, T(np.ones(3))),
     r"linalg.analyze_system: b must have 2 rows to match A of shape \(2, 3\)"),
    (lambda: LA.multi_dot([F, F]),
     r"linalg.multi_dot: tensors 0 and 1 with shapes \(2, 3\) and \(2, 3\) cannot be "
     r"multiplied"),
    (lambda: LA.multi_dot([F]), r"linalg.multi_dot: expected at least 2 tensors but got 1"),
    (lambda: LA.multi_dot([F, T(np.ones((3, 2, 2))), F]),
     r"linalg.multi_dot: tensor 1 must be 2D but got 3D \(shape \(3, 2, 2\)\)"),
    (lambda: LA.dist(F, T(np.ones((4, 3)))),
     r"dist: shapes \(2, 3\) and \(4, 3\) cannot be broadcast together \(dim -2: 2 vs 4\)"),
    (lambda: LA.pairwise_distance(F, T(np.ones(2))),
     r"pairwise_distance: shapes \(2, 3\) and \(2,\) cannot be broadcast together"),
    (lambda: ember.norm(T(np.ones((2, 2, 2))), "nuc"),
     r"norm: p='nuc' needs a 2-D input or a 2-tuple dim, got a 3-D input of shape \(2, 2, 2\)"),
    (lambda: LA.cdist(F, T(np.ones((2, 4)))),
     r"cdist: X1 and X2 must have the same number of columns. X1: 3 X2: 4"),
    (lambda: LA.cdist(V3, F), r"cdist only supports at least 2D tensors, x1 has shape \(3,\)"),
    (lambda: LA.cdist(F, F, -1.0), r"cdist only supports non-negative p values"),
    (lambda: LA.pdist(V3), r"pdist only supports 2D tensors, got: 1D \(shape \(3,\)\)"),
    (lambda: LA.pdist(F, -2.0), r"pdist only supports non-negative p values"),
    (lambda: LA.cross(F, F, dim=0), r"linalg.cross: inputs dimension 0 must have length 3. Got "
                                    r"2 and 2"),
    (lambda: LA.cross(T(np.ones((2, 2))), T(np.ones((2, 2)))),
     r"linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2"),
    (lambda: LA.vecdot(F, T(np.ones(4))),
     r"linalg.vecdot: the shapes \(2, 3\) and \(4,\) cannot be broadcast together"),
    (lambda: LA.householder_product(T(np.ones((2, 3))), T(np.ones(2))),
     r"linalg.householder_product: input.shape\[-2\] must be greater than or equal to "
     r"input.shape\[-1\]"),
    (lambda: LA.householder_product(T(np.ones((3, 2))), T(np.ones(3))),
     r"linalg.householder_product: input.shape\[-1\] must be greater than or equal to "
     r"tau.shape\[-1\]"),
    # mismatched batch dims
    (lambda: LA.solve(T(np.ones((2, 3, 3))), T(np.ones((4, 3, 1)))),
     r"linalg.solve: the batch dimensions of A and B do not broadcast: \(2,\) and \(4,\)"),
    (lambda: LA.analyze_system(T(np.ones((2, 3, 3))), T(np.ones((4, 3, 3)))),
     r"linalg.analyze_system: the batch dimensions of A and b do not broadcast"),
    (lambda: LA.lu_solve(T(np.eye(2)[None].repeat(2, 0)), ember.ones(3, 2, dtype=ember.int32),
                         T(np.ones((2, 1)))),
     r"linalg.lu_solve: pivots of shape \(3, 2\) do not match LU of shape \(2, 2, 2\)"),
    # options
    (lambda: LA.matrix_norm(SQ, 3), r"linalg.matrix_norm: Order 3 not supported"),
    (lambda: LA.matrix_norm(SQ, "abc"), r"linalg.matrix_norm: Order abc not supported"),
    (lambda: LA.matrix_norm(SQ, dim=(0, 0)), r"linalg.matrix_norm: dims must be different"),
    (lambda: LA.norm(T(np.ones((2, 2, 2))), dim=(0, 1, 2)),
     r"linalg.norm: If dim is specified, it must be of length 1 or 2. Got \[0, 1, 2\]"),
    (lambda: LA.norm(T(np.ones((2, 2, 2))), 2),
     r"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D"),
    (lambda: LA.norm(V3, "fro", dim=0), r"linalg.vector_norm: ord must be a number"),
    (lambda: LA.qr(SQ, mode="full"), r"linalg.qr: qr received unrecognized mode 'full'"),
    (lambda: LA.eigh(SQ, UPLO="X"), r"linalg.eigh: UPLO must be 'L' or 'U', got 'X'"),
    (lambda: LA.eigvalsh(SQ, UPLO="X"), r"linalg.eigvalsh: UPLO must be 'L' or 'U'"),
    (lambda: LA.lstsq(SQ, SQ, driver="gesv"),
     r"linalg.lstsq: parameter `driver` should be one of \(gels, gelsy, gelsd, gelss\)"),
    (lambda: LA.pinv(SQ, rtol=-1.0), r"linalg.pinv: rtol must be non-negative, got -1.0"),
    (lambda: LA.pinv(SQ, rtol=0.1, rcond=0.1), r"linalg.pinv: rcond and rtol cannot both"),
    (lambda: LA.matrix_rank(SQ, atol=-2), r"linalg.matrix_rank: atol must be non-negative"),
    (lambda: LA.cond(SQ, 3), r"linalg.cond: Order 3 not supported"),
    (lambda: LA.definiteness(SQ, tol=-1.0), r"linalg.definiteness: tol must be a non-negative"),
    (lambda: LA.analyze_system(SQ, V3, tol=-1.0), r"linalg.analyze_system: tol must be"),
    (lambda: LA.volume_scale(SQ.to(ember.complex128)),
     r"linalg.volume_scale: A must be real \(orientation is not defined"),
    (lambda: LA.lu_solve(SQ, T(np.ones(3)), SQ), r"linalg.lu_solve: pivots must be an integer"),
    # non-finite input to iterative algorithms
    (lambda: LA.svd(T([[[1.0, 0.0], [0.0, 1.0]], [[1.0, math.nan], [0.0, 1.0]]])),
     r"linalg.svd: A \(batch element 1\) contains non-finite values \(inf or nan\)"),
    (lambda: LA.eigh(T([[1.0, math.inf], [math.inf, 1.0]])), r"linalg.eigh: A contains "
                                                             r"non-finite"),
    (lambda: LA.matrix_norm(T([[1.0, math.nan], [0.0, 1.0]]), "nuc"),
     r"linalg.matrix_norm: A contains non-finite"),
    (lambda: LA.analyze_system(T([[1.0, math.nan], [0.0, 1.0]]), V3[:2]),
     r"linalg.analyze_system: A and b must be finite"),
]


@pytest.mark.parametrize("call,pattern", CHECKS, ids=[str(i) for i in range(len(CHECKS))])
def test_boundary_errors_name_the_function_and_the_shapes(call, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        call()


@pytest.mark.parametrize("call,exc,pattern", [
    (lambda: LA.det(np.eye(2)), TypeError, r"linalg.det: A must be a Tensor, got ndarray"),
    (lambda: LA.matrix_power(SQ, 1.5), TypeError, r"linalg.matrix_power: the exponent n must "
                                                  r"be an int, got float"),
    (lambda: LA.cross(np.ones(3), V3), TypeError, r"linalg.cross: expected Tensors"),
    (lambda: LA.cosine_similarity(V3, [1.0, 2.0, 3.0]), TypeError, r"cosine_similarity: "
                                                                  r"expected Tensors"),
])
def test_type_errors(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ------------------------------------------------------------------- gradient limitations

def test_qr_gradient_limits_raise_when_used():
    a = T(np.random.default_rng(0).standard_normal((4, 3))).requires_grad_(True)
    with pytest.raises(RuntimeError, match="linalg.qr: the derivative of linalg.qr depends on "
                                           "Q, which is not computed when mode='r'"):
        LA.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        LA.qr(a, mode="complete").Q.sum().backward()


def test_eig_gradient_is_first_order_only():
    a = T([[2.0, 1.0], [0.5, -1.0]]).requires_grad_(True)
    (g,) = ember.autograd.grad(LA.eig(a).eigenvalues.to(ember.float64).sum(), a,
                               create_graph=True)
    np.testing.assert_allclose(to_numpy(g), np.eye(2), atol=1e-12)  # d trace / dA
    with pytest.raises(NotImplementedError, match="linalg.eig: gradients of gradients"):
        g.sum().backward()


def test_gradient_of_a_complex_input_is_not_supported_yet():
    a = ember.tensor(np.eye(2) * (1 + 1j)).requires_grad_(True)
    with pytest.raises(NotImplementedError, match="linalg.det: the gradient with respect to a "
                                                  "complex input is not supported"):
        LA.det(a).to(ember.float64).backward()


def test_lu_factor_then_lu_solve_differentiates_like_solve():
    rng = np.random.default_rng(5)
    a = T(rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)).requires_grad_(True)
    b = T(rng.standard_normal((2, 4, 3))).requires_grad_(True)
    w = T(rng.standard_normal((2, 4, 3)))
    for adjoint in (False, True):
        x1 = LA.lu_solve(*LA.lu_factor(a), b, adjoint=adjoint)
        x2 = LA.solve(a.mT if adjoint else a, b)
        g1 = ember.autograd.grad((x1 * w).sum(), [a, b])
        g2 = ember.autograd.grad((x2 * w).sum(), [a, b])
        for u, v in zip(g1, g2):
            np.testing.assert_allclose(to_numpy(u), to_numpy(v), atol=1e-12)


def test_lu_gradient_of_a_complex_input_is_not_supported_yet():
    a = ember.tensor(np.eye(2) * (1 + 1j)).requires_grad_(True)
    with pytest.raises(NotImplementedError, match="linalg.lu_factor: the gradient with respect "
                                                  "to a complex input"):
        LA.lu_factor(a).LU.to(ember.float64).sum().backward()


def test_ex_variants_differentiate_the_invertible_matrices_of_a_batch():
    a = T(SINGULAR_BATCH).requires_grad_(True)
    b = T(np.ones((2, 3))).requires_grad_(True)
    LA.solve_ex(a, b).result.sum().backward()
    gb = to_numpy(b.grad)
    np.testing.assert_allclose(gb[0], np.ones(3))  # A = I: gB = A^{-T} 1
    assert np.isnan(gb[1]).all()  # the singular one: nan, like its result
    np.testing.assert_allclose(to_numpy(a.grad)[0], -np.ones((3, 3)))
    a2 = T(SINGULAR_BATCH).requires_grad_(True)
    LA.inv_ex(a2).inverse.sum().backward()
    np.testing.assert_allclose(to_numpy(a2.grad)[0], -np.ones((3, 3)))  # -A^-T 1 1^T A^-T


def test_slogdet_gradient_at_a_singular_matrix_is_nan_not_an_exception():
    a = T(np.zeros((2, 2))).requires_grad_(True)
    LA.slogdet(a).logabsdet.backward()  # log|det| = -inf: no finite gradient exists
    assert np.isnan(to_numpy(a.grad)).all()


def test_pinv_and_matrix_rank_accept_the_older_positional_tolerances():
    a = T(np.diag([1.0, 1e-3]))
    np.testing.assert_allclose(to_numpy(LA.pinv(a, 1e-2)), np.diag([1.0, 0.0]))
    assert LA.matrix_rank(a, 1e-2).item() == 1

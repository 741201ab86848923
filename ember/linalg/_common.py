"""What every part of ember.linalg shares: LinAlgError, the checks at the boundary (float
dtype, square matrices, batch shapes), the result types, singularity detection, and the small
autograd helpers the decompositions need.

Singularity is judged the same way everywhere (solve, inv, their `_ex` variants, lstsq's rank,
matrix_rank, analyze_system): a square matrix is singular when its numerical rank is below n,
that is when its smallest singular value is at most `n * eps * s_max` (eps of the dtype; the
default tolerance of matrix_rank). The singular values come from an SVD, which is reliable where
the pivots of an LU factorization are not (LAPACK only reports exactly zero pivots).
"""

from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..autograd.function import Op, _SavedOutput
from ..tensor import Tensor, _make


class LinAlgError(RuntimeError):
    """A linear-algebra computation that has no (unique) answer: a singular matrix where an
    inverse is needed, a matrix that is not positive-definite for cholesky, a non-symmetric
    matrix for definiteness. The message names the function and the batch element."""


def _result(name: str, fields: str):
    cls = namedtuple(name, fields)
    cls.__module__ = "ember.linalg"
    return cls


# PyTorch's return types (torch.return_types.linalg_*): tuple unpacking and names both work.
slogdet_result = _result("linalg_slogdet", "sign logabsdet")
eigh_result = _result("linalg_eigh", "eigenvalues eigenvectors")
eig_result = _result("linalg_eig", "eigenvalues eigenvectors")
svd_result = _result("linalg_svd", "U S Vh")
qr_result = _result("linalg_qr", "Q R")
lstsq_result = _result("linalg_lstsq", "solution residuals rank singular_values")
inv_ex_result = _result("linalg_inv_ex", "inverse info")
solve_ex_result = _result("linalg_solve_ex", "result info")
cholesky_ex_result = _result("linalg_cholesky_ex", "L info")
lu_factor_result = _result("linalg_lu_factor", "LU pivots")
lu_factor_ex_result = _result("linalg_lu_factor_ex", "LU pivots info")
lu_result = _result("linalg_lu", "P L U")
volume_scale_result = _result("volume_scale", "scale preserves_orientation")


# ------------------------------------------------------------------------------------ checks

def shape_str(shape) -> str:
    return str(tuple(shape))


def check_float(fn: str, x, what: str = "A") -> Tensor:
    """A floating or complex tensor NumPy's LAPACK can take (float32/64, complex64/128)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {what} must be a Tensor, got {type(x).__name__}")
    if x.dtype.category < 2:
        raise RuntimeError(f"{fn}: expected a floating point or complex tensor as input. "
                           f"Got {x.dtype.name} ({what} of shape {shape_str(x.shape)})")
    if x.dtype is backend.float16:
        raise RuntimeError(f"{fn}: float16 is not supported (LAPACK has no half precision); "
                           f"convert {what} with .float() or .double()")
    return x


def check_matrix(fn: str, x, what: str = "A") -> Tensor:
    """A batch of matrices: (*, m, n) with at least 2 dims."""
    check_float(fn, x, what)
    if x.ndim < 2:
        raise RuntimeError(f"{fn}: {what} must have at least 2 dimensions (*, m, n), got shape "
                           f"{shape_str(x.shape)}")
    return x


def check_square(fn: str, x, what: str = "A") -> Tensor:
    """A batch of square matrices: (*, n, n)."""
    check_matrix(fn, x, what)
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{fn}: {what} must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices (shape "
                           f"{shape_str(x.shape)})")
    return x


def check_finite(fn: str, x: Tensor, what: str = "A") -> Tensor:
    """Iterative algorithms (SVD, eigenvalues) have no answer for inf / nan entries."""
    xp = x._device.xp
    finite = xp.isfinite(x._data)
    if not bool(finite.all()):
        bad = ~finite.reshape(finite.shape[:-2] + (-1,)).all(axis=-1)
        k = int(bad.reshape(-1).argmax()) if bad.ndim else 0
        raise LinAlgError(f"{fn}: {what}{batch_element(k, x.shape[:-2])} contains non-finite "
                          "values (inf or nan); the algorithm cannot converge")
    return x


def check_same_dtype(fn: str, a: Tensor, b: Tensor, names=("A", "B")) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{fn}: expected {names[0]} and {names[1]} to have the same dtype, "
                           f"but got {names[0]} of dtype {a.dtype.name} and {names[1]} of dtype "
                           f"{b.dtype.name}")


def batch_broadcast(fn: str, a_shape, b_shape, names=("A", "B")) -> tuple:
    """The broadcast of two batch shapes, or a RuntimeError naming both full shapes."""
    out = []
    for i in range(-max(len(a_shape), len(b_shape)), 0):
        x = a_shape[i] if -i <= len(a_shape) else 1
        y = b_shape[i] if -i <= len(b_shape) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"{fn}: the batch dimensions of {names[0]} and {names[1]} do not "
                               f"broadcast: {shape_str(a_shape)} and {shape_str(b_shape)}")
        out.append(max(x, y) if x != 1 and y != 1 else x * y)
    return tuple(out)


def batch_element(index: int, batch_shape) -> str:
    """'' for an unbatched input, else ' (batch element (1, 0))'."""
    if not batch_shape:
        return ""
    pos = []
    for n in reversed(tuple(batch_shape)):
        pos.append(index % n)
        index //= n
    pos = tuple(reversed(pos))
    return f" (batch element {pos[0] if len(pos) == 1 else pos})"


def eps_of(dtype) -> float:
    """Machine epsilon of a dtype (of its real part for complex)."""
    return 2.220446049250313e-16 if dtype.to_real() is backend.float64 else 1.1920929e-07


# ---------------------------------------------------------------------- singularity and rank

def singular_values(xp, a):
    """The singular values of a (*, m, n) array, descending; rows with non-finite entries give
    nan singular values instead of NumPy's 'SVD did not converge'."""
    finite = xp.isfinite(a).all(axis=(-2, -1))
    if bool(finite.all()):
        return xp.linalg.svd(a, compute_uv=False)
    safe = xp.where(finite[..., None, None], a, 0)
    s = xp.linalg.svd(safe, compute_uv=False)
    return xp.where(finite[..., None], s, xp.nan)


def numerical_rank(xp, s, m: int, n: int, dtype, atol=None, rtol=None):
    """Rank from singular values `s` (*, k) with PyTorch's matrix_rank tolerance:
    tol = max(atol, rtol * s_max), rtol = eps * max(m, n) when neither is given."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else eps_of(dtype) * max(m, n)
    smax = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    tol = xp.maximum(0.0 if atol is None else atol, rtol * smax)
    return (s > tol).sum(axis=-1), tol[..., 0]


class Singularity:
    """Which matrices of a (*, n, n) batch are singular (rank < n at matrix_rank's tolerance)."""

    def __init__(self, xp, a, dtype):
        n = a.shape[-1]
        s = singular_values(xp, a)
        self.rank, self.tol = numerical_rank(xp, s, n, n, dtype)
        self.s = s
        finite = ~xp.isnan(s).any(axis=-1)
        self.mask = (self.rank < n) & finite
        self.batch_shape = tuple(a.shape[:-2])
        self.n = n

    def any(self) -> bool:
        return bool(self.mask.any())

    def describe_first(self) -> str:
        """The first singular matrix: its batch element, rank and smallest singular value."""
        flat = self.mask.reshape(-1)
        k = int(flat.argmax())
        s = self.s.reshape(-1, self.n)[k]
        tol = float(self.tol.reshape(-1)[k])
        rank = int(self.rank.reshape(-1)[k])
        where = batch_element(k, self.batch_shape)
        smin = float(s[-1]) if self.n else 0.0
        smax = float(s[0]) if self.n else 0.0
        return (f"the matrix{where} is singular: its rank is {rank} < {self.n} (smallest "
                f"singular value {smin:.3g} <= tol {tol:.3g} = n * eps * largest singular value "
                f"{smax:.3g})")

    def info(self, xp):
        """LAPACK-style info codes: 0 where invertible, rank + 1 (the 1-based position of the
        first zero singular value) where singular."""
        return xp.where(self.mask, self.rank + 1, 0).astype(xp.int32)


def raise_if_singular(fn: str, a: Tensor, advice: str) -> None:
    xp = a._device.xp
    sing = Singularity(xp, a._data, a.dtype)
    if sing.any():
        raise LinAlgError(f"{fn}: {sing.describe_first()}. {advice}")


SOLVE_ADVICE = ("The system has no solution or infinitely many: "
                "ember.linalg.analyze_system(A, b) tells which (and gives a particular solution "
                "and the null space), ember.linalg.lstsq(A, b) gives a least-squares solution.")


# ------------------------------------------------------------------------ autograd helpers

def keep_outputs(outputs: tuple, keep: tuple) -> tuple:
    """Let the backward of a multi-output Op read its outputs `keep` (their positions) as
    tensors still attached to the graph (so gradients of gradients see them), with the same
    in-place check as a single output saved with `save_output`."""
    node = next((outputs[i].grad_fn for i in keep if outputs[i].grad_fn is not None), None)
    if node is not None:
        node.kept = {i: _SavedOutput(outputs[i]._data, outputs[i]._vc, i) for i in keep}
    return outputs


def kept(ctx, i: int) -> Tensor:
    return ctx._unpack_saved(ctx.kept[i])


def eye_like(a: Tensor, n: int | None = None) -> Tensor:
    n = a.shape[-1] if n is None else n
    return _make(a._device.xp.eye(n, dtype=a._data.dtype), a._device)


def real_only(fn: str, a: Tensor) -> None:
    """Gradients of ember.linalg are derived and tested for real inputs; ember's core autograd
    does not yet follow PyTorch's conjugate (Wirtinger) convention for complex tensors."""
    if a.dtype.is_complex:
        raise NotImplementedError(f"{fn}: the gradient with respect to a complex input is not "
                                  "supported yet (only real inputs are differentiated)")


class RealPart(Op):
    """Re(z), differentiable: the gradient of a real loss L(Re z) is dL/dRe z (as complex)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, z):
        ctx.dtype = backend.dtype_of_array(z)
        return ctx.xp.real(z).copy()

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.dtype)


class ImagPart(Op):
    """Im(z), differentiable: the gradient of L(Im z) is i dL/dIm z (PyTorch's convention)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, z):
        ctx.dtype = backend.dtype_of_array(z)
        return ctx.xp.imag(z).copy()

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.dtype) * 1j


def real_part(z: Tensor) -> Tensor:
    """The real part of a complex tensor, with a gradient (ember.real has none yet)."""
    return RealPart.apply(z) if z.dtype.is_complex else z


def imag_part(z: Tensor) -> Tensor:
    """The imaginary part of a complex tensor, with a gradient."""
    return ImagPart.apply(z)


class FirstOrderOnly(Op):
    """Wraps a gradient computed on arrays: using it in a second differentiation raises
    instead of silently treating it as a constant."""

    save_inputs = False

    @staticmethod
    def forward(ctx, value, anchor, what):
        ctx.what = what
        return value

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(f"{ctx.what}: gradients of gradients are not supported")


def first_order(value, anchor: Tensor, what: str) -> Tensor:
    """`value` (an array) as the gradient tensor; differentiating it again raises."""
    return FirstOrderOnly.apply(value, anchor, what)

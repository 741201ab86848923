"""The small pieces of linear algebra the distributions need, as differentiable ops: the
Cholesky factor and triangular solves (MultivariateNormal, GaussianMixture, the Bayes
classifier). Kept here so that ember.distributions does not depend on ember.linalg; gradient
rules are written with ember ops, so gradients of gradients work too.
"""

from __future__ import annotations

from ..autograd.function import Op
from ..ops._util import unbroadcast
from ..tensor import Tensor


class _Cholesky(Op):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        try:
            return xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise ValueError("cholesky: the matrix is not positive definite (its Cholesky "
                             "factorisation failed)") from None

    @staticmethod
    def backward(ctx, g):
        # A = L L^T. With Phi(X) = the lower triangle of X with its diagonal halved,
        # dA = L^-T Phi(L^T dL) L^-1, symmetrised (Murray 2016, "Differentiation of the
        # Cholesky decomposition").
        (low,) = ctx.saved_tensors
        p = low.mT @ g.tril()
        phi = p.tril(-1) + 0.5 * p.diagonal(0, -2, -1).diag_embed()
        s = solve_triangular(low.mT, solve_triangular(low.mT, phi.mT, upper=True).mT,
                             upper=True)
        return 0.5 * (s + s.mT)


def cholesky(a: Tensor) -> Tensor:
    """The lower Cholesky factor L of symmetric positive-definite matrices (..., n, n), with
    A = L L^T; reads the lower triangle of A. ValueError if A is not positive definite."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"cholesky: expected square matrices (..., n, n), got shape "
                         f"{tuple(a.shape)}")
    return _Cholesky.apply(a)


class _SolveTriangular(Op):
    save_output = True

    @staticmethod
    def forward(ctx, a, b, upper):
        xp = ctx.xp
        a = xp.triu(a) if upper else xp.tril(a)
        shape = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, shape + a.shape[-2:])
        b = xp.broadcast_to(b, shape + b.shape[-2:])
        return xp.linalg.solve(a, b)

    @staticmethod
    def backward(ctx, g):
        # X = A^-1 B: dB = A^-T G, dA = -dB X^T (kept in A's triangle).
        a, b, upper, x = ctx.saved_tensors
        gb = solve_triangular(a.mT, g, upper=not upper)
        ga = None
        if ctx.next[0] is not None:
            ga = -(gb @ x.mT)
            ga = unbroadcast(ga.triu() if upper else ga.tril(), tuple(a.shape))
        return ga, unbroadcast(gb, tuple(b.shape)), None


def solve_triangular(a: Tensor, b: Tensor, *, upper: bool) -> Tensor:
    """X with A X = B for triangular A (..., n, n) (only its `upper` or lower triangle is read)
    and B (..., n, k); batch dims broadcast."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve_triangular: expected A (..., n, n) and B (..., n, k), got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    return _SolveTriangular.apply(a, b, upper)


def mahalanobis_sq(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """|L^-1 d|^2 over the last dim: the squared Mahalanobis distance of d (..., n) under the
    covariance L L^T; batch dims of L (..., n, n) and d broadcast."""
    sol = solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False).squeeze(-1)
    return (sol * sol).sum(-1)


def tril_inverse(scale_tril: Tensor) -> Tensor:
    """L^-1 of lower-triangular L (..., n, n)."""
    from ..creation import eye
    n = scale_tril.shape[-1]
    ident = eye(n, dtype=scale_tril.dtype, device=scale_tril._device)
    return solve_triangular(scale_tril, ident.expand(tuple(scale_tril.shape)), upper=False)

"""MultivariateNormal (and LowRankMultivariateNormal): Gaussian random vectors.

The covariance is held through its Cholesky factor L (Sigma = L L^T), computed once from
whichever of covariance_matrix, precision_matrix or scale_tril is given; log_prob solves
L z = x - mu (a triangular solve, never an inverse) and log det Sigma = 2 sum log diag L.
"""

from __future__ import annotations

import math

from ..backend import get_default_dtype
from ..creation import eye
from ..ops._util import broadcast_shapes_or_raise
from ..tensor import Tensor
from . import constraints
from ._linalg import cholesky, mahalanobis_sq, solve_triangular, tril_inverse
from .distribution import Distribution
from .utils import (
    as_tensor,
    check_observations,
    data_tensor,
    lazy_property,
    noise,
    observations_first,
)

__all__ = ["LowRankMultivariateNormal", "MultivariateNormal"]


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    # Reversing rows and columns: J P J = Lf Lf^T, so P = U U^T with U = J Lf J upper
    # triangular, and Sigma = P^-1 = U^-T U^-1 = L L^T with L = U^-T lower triangular.
    upper = cholesky(precision.flip((-2, -1))).flip((-2, -1))
    return _lower_from_upper_factor(upper)


def _float(t: Tensor) -> Tensor:
    return t if t.dtype.is_floating_point else t.to(get_default_dtype())


def _lower_from_upper_factor(u: Tensor) -> Tensor:
    """L = U^-T for the upper-triangular U with P = U U^T."""
    n = u.shape[-1]
    ident = eye(n, dtype=u.dtype, device=u._device).expand(tuple(u.shape))
    return solve_triangular(u, ident, upper=True).mT


class MultivariateNormal(Distribution):
    r"""Multivariate normal N(loc, Sigma) of event_shape (D,), parameterised by exactly one of
    covariance_matrix (Sigma), precision_matrix (Sigma^-1) or scale_tril (L, lower-triangular
    with a positive diagonal, Sigma = L L^T).

    .. math:: \log p(x) = -\tfrac12 (x-\mu)^T \Sigma^{-1} (x-\mu) - \tfrac12 \log\det\Sigma
              - \tfrac D2 \log 2\pi

    Batch dims of loc (..., D) and the matrix (..., D, D) broadcast. With validation on, a
    matrix that is not symmetric positive definite raises ValueError naming the parameter.
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        loc = _float(as_tensor(loc))
        if loc.ndim < 1:
            raise ValueError("MultivariateNormal: loc must be at least one-dimensional (..., D)")
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError("MultivariateNormal: exactly one of covariance_matrix, "
                             "precision_matrix or scale_tril may be specified.")
        name = ("covariance_matrix", "precision_matrix", "scale_tril")[given.index(True)]
        matrix = as_tensor((covariance_matrix, precision_matrix, scale_tril)[given.index(True)],
                           loc)
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"MultivariateNormal: {name} must be at least two-dimensional, "
                             f"with optional leading batch dimensions (..., D, D); got shape "
                             f"{tuple(matrix.shape)}")
        if matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: {name} of shape {tuple(matrix.shape)} does "
                             f"not match loc of shape {tuple(loc.shape)} (D = {loc.shape[-1]})")
        if loc.dtype != matrix.dtype:
            loc = loc.to(matrix.dtype) if matrix.dtype.is_floating_point else loc
            matrix = matrix.to(loc.dtype)
        batch = broadcast_shapes_or_raise("MultivariateNormal", tuple(loc.shape[:-1]),
                                          tuple(matrix.shape[:-2]))
        d = loc.shape[-1]
        setattr(self, name, matrix.expand(batch + (d, d)))
        self.loc = loc.expand(batch + (d,))
        super().__init__(batch, (d,), validate_args=validate_args)
        if name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        elif name == "precision_matrix":
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)
        else:
            self._unbroadcasted_scale_tril = matrix

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                d = self._event_shape[0]
                new.__dict__[name] = self.__dict__[name].expand(tuple(batch_shape) + (d, d))
        return new

    @lazy_property
    def scale_tril(self):
        d = self._event_shape[0]
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + (d, d))

    @lazy_property
    def covariance_matrix(self):
        low = self._unbroadcasted_scale_tril
        d = self._event_shape[0]
        return (low @ low.mT).expand(self._batch_shape + (d, d))

    @lazy_property
    def precision_matrix(self):
        inv = tril_inverse(self._unbroadcasted_scale_tril)
        d = self._event_shape[0]
        return (inv.mT @ inv).expand(self._batch_shape + (d, d))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        var = self._unbroadcasted_scale_tril.pow(2).sum(-1)
        return var.expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = noise("normal", shape, self.loc)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)

    def log_prob(self, value):
        value = self._value(value, self.loc)
        m = mahalanobis_sq(self._unbroadcasted_scale_tril, value - self.loc)
        d = self._event_shape[0]
        return -0.5 * (d * math.log(2 * math.pi) + m) - self._half_log_det()

    def _entropy(self):
        d = self._event_shape[0]
        h = 0.5 * d * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(self._batch_shape)

    @classmethod
    def fit(cls, x, dim: int = 0, unbiased: bool = False) -> MultivariateNormal:
        """Maximum likelihood from observations x (..., N, ..., D) along `dim` (the last dim
        is the event): loc = the sample mean, covariance_matrix = sum (x - loc)(x - loc)^T / N
        (the biased MLE), or / (N - 1) with unbiased=True."""
        x = data_tensor(x, "MultivariateNormal.fit")
        x = observations_first(x, dim, 1, "MultivariateNormal.fit")
        check_observations(x, constraints.real, "MultivariateNormal.fit")
        n = x.shape[0]
        if unbiased and n < 2:
            raise ValueError("MultivariateNormal.fit: unbiased=True needs at least 2 "
                             "observations")
        loc = x.mean(0)
        diff = (x - loc).movedim(0, -1)                       # (..., D, N)
        cov = diff @ diff.mT / (n - 1 if unbiased else n)
        return cls(loc, covariance_matrix=0.5 * (cov + cov.mT))


class LowRankMultivariateNormal(MultivariateNormal):
    """Multivariate normal with covariance cov_factor cov_factor^T + diag(cov_diag):
    cov_factor (..., D, R), cov_diag (..., D) positive. (Computed through the full D x D
    covariance: correct for any D, without the Woodbury speed-up PyTorch's version has.)"""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        loc = _float(as_tensor(loc))
        cov_factor = as_tensor(cov_factor, loc)
        cov_diag = as_tensor(cov_diag, loc)
        if loc.ndim < 1 or cov_factor.ndim < 2 or cov_diag.ndim < 1:
            raise ValueError("LowRankMultivariateNormal: expected loc (..., D), cov_factor "
                             "(..., D, R) and cov_diag (..., D)")
        d = loc.shape[-1]
        if cov_factor.shape[-2] != d or cov_diag.shape[-1] != d:
            raise ValueError(f"LowRankMultivariateNormal: cov_factor {tuple(cov_factor.shape)} "
                             f"and cov_diag {tuple(cov_diag.shape)} do not match loc "
                             f"{tuple(loc.shape)} (D = {d})")
        self.cov_factor = cov_factor
        self.cov_diag = cov_diag
        if validate_args is not False and (validate_args or Distribution._validate_args):
            if not bool((cov_diag > 0).all()):
                raise ValueError(f"Expected parameter cov_diag (Tensor of shape "
                                 f"{tuple(cov_diag.shape)}) of distribution "
                                 f"LowRankMultivariateNormal to satisfy the constraint "
                                 f"Independent(GreaterThan(lower_bound=0.0), 1), but found "
                                 f"invalid values:\n{cov_diag.detach()}")
        cov = cov_factor @ cov_factor.mT + cov_diag.diag_embed()
        super().__init__(loc, covariance_matrix=cov, validate_args=False)
        self._validate_args = Distribution._validate_args if validate_args is None \
            else validate_args

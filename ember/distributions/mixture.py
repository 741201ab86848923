"""GaussianMixture: a mixture of Gaussians, fitted to data by expectation-maximisation."""

from __future__ import annotations

import math

from .. import backend
from ..autograd import no_grad
from ..backend import get_default_dtype
from ..creation import eye
from ..tensor import Tensor, _make
from ._linalg import cholesky, mahalanobis_sq
from .categorical import Categorical
from .continuous import Normal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .utils import as_tensor, data_tensor, finfo

__all__ = ["GaussianMixture"]


class GaussianMixture(MixtureSameFamily):
    r"""p(x) = sum_k w_k N(x; mu_k, Sigma_k): a MixtureSameFamily with Gaussian components.

    Args:
        weights: mixing weights (..., K), non-negative (normalised).
        means: (..., K, D) for vector data (MultivariateNormal components), or (..., K) for
            scalar data (Normal components).
        covariances: (..., K, D, D) covariance matrices, or (..., K) variances for scalar data.

    `GaussianMixture.fit(x, k)` estimates all three by EM. After fit, `n_iter_`,
    `converged_` and `lower_bound_` (the final mean log-likelihood per observation) are set.
    """

    def __init__(self, weights, means, covariances, validate_args=None):
        weights = as_tensor(weights)
        if not weights.dtype.is_floating_point:
            weights = weights.to(get_default_dtype())
        means = as_tensor(means, weights)
        covariances = as_tensor(covariances, weights)
        if means.ndim == weights.ndim:
            components = Normal(means, covariances.sqrt(), validate_args=validate_args)
        else:
            components = MultivariateNormal(means, covariance_matrix=covariances,
                                            validate_args=validate_args)
        super().__init__(Categorical(probs=weights, validate_args=validate_args), components,
                         validate_args=validate_args)
        self.n_iter_ = 0
        self.converged_ = False
        self.lower_bound_ = math.nan

    @property
    def weights(self) -> Tensor:
        return self.mixture_distribution.probs

    @property
    def means(self) -> Tensor:
        return self.component_distribution.mean

    @property
    def covariances(self) -> Tensor:
        comp = self.component_distribution
        return comp.variance if isinstance(comp, Normal) else comp.covariance_matrix

    def responsibilities(self, x) -> Tensor:
        """p(component k | x) for each observation: (..., K), rows summing to 1."""
        x = as_tensor(x, self.mixture_distribution._param)
        lp = self.component_distribution.log_prob(self._pad(x)) + self.mixture_distribution.logits
        return (lp - lp.logsumexp(-1, keepdim=True)).exp()

    def predict(self, x) -> Tensor:
        """The most probable component of each observation (int64)."""
        return self.responsibilities(x).argmax(-1)

    @classmethod
    def fit(cls, x, k: int, *, seed: int | None = 0, max_iter: int = 200, tol: float = 1e-6,
            reg: float = 1e-6, n_init: int = 1, generator=None) -> GaussianMixture:
        r"""Fit a K-component Gaussian mixture to x (N,) or (N, D) by expectation-maximisation.

        Initialisation: k-means++ seeds refined by 10 Lloyd iterations. Its random choices come
        from `generator` if given, else from a generator seeded with `seed` (so a fit is
        reproducible by default), else (seed=None) from ember's default generator, which
        follows ember.manual_seed. Then EM:

        - E-step: r_nk = w_k N(x_n; mu_k, Sigma_k) / sum_j w_j N(x_n; mu_j, Sigma_j) (log space)
        - M-step: N_k = sum_n r_nk, w_k = N_k / N, mu_k = sum_n r_nk x_n / N_k,
          Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k + reg * I

        until the mean log-likelihood improves by less than `tol`, or max_iter steps. `reg`
        keeps every covariance positive definite (a component on a single point, or on a
        lower-dimensional set, would otherwise be singular). The best of `n_init` restarts
        (by likelihood) is returned.
        """
        x = data_tensor(x, "GaussianMixture.fit")
        if x.ndim not in (1, 2):
            raise ValueError(f"GaussianMixture.fit: expected x of shape (N,) or (N, D), got "
                             f"{tuple(x.shape)}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"GaussianMixture.fit: k must be a positive int, got {k!r}")
        scalar = x.ndim == 1
        x2 = x.reshape(-1, 1) if scalar else x
        n = x2.shape[0]
        if n < k:
            raise ValueError(f"GaussianMixture.fit: {n} observations cannot fit {k} components")
        if max_iter < 1 or n_init < 1:
            raise ValueError("GaussianMixture.fit: max_iter and n_init must be >= 1")
        if generator is not None:
            gen = generator
        elif seed is not None:
            gen = backend.Generator().manual_seed(seed)
        else:
            gen = backend.default_generator
        best = None
        with no_grad():
            x2 = x2.detach()
            for _ in range(n_init):
                fit = _em(x2, k, gen.rng, max_iter, tol, reg)
                if best is None or fit[-1] > best[-1]:
                    best = fit
        weights, means, covs, n_iter, converged, bound = best
        if scalar:
            means, covs = means.squeeze(-1), covs.squeeze(-1).squeeze(-1)
        out = cls(weights, means, covs)
        out.n_iter_, out.converged_, out.lower_bound_ = n_iter, converged, bound
        return out


def _kmeans_init(x: Tensor, k: int, rng) -> Tensor:
    """k-means++ seeding (each new center drawn with probability ~ squared distance to the
    nearest chosen one), then 10 Lloyd iterations; returns (K, D) centers."""
    n = x.shape[0]
    idx = [int(rng.integers(n))]
    d2 = ((x - x[idx[0]]) ** 2).sum(-1)
    for _ in range(1, k):
        w = d2._device.to_host(d2._data).astype("float64")
        total = float(w.sum())
        if total <= 0:
            nxt = int(rng.integers(n))
        else:
            nxt = int(rng.choice(n, p=w / total))
        idx.append(nxt)
        d2 = d2.minimum(((x - x[nxt]) ** 2).sum(-1))
    centers = x[_make(x._device.xp.asarray(idx), x._device)]
    for _ in range(10):
        dist = ((x.unsqueeze(1) - centers.unsqueeze(0)) ** 2).sum(-1)      # (N, K)
        assign = dist.argmin(-1)
        onehot = (assign.unsqueeze(-1) == _arange(k, x)).to(x.dtype)      # (N, K)
        counts = onehot.sum(0)
        sums = onehot.mT @ x
        centers = (sums / counts.clamp(min=1).unsqueeze(-1)).where(
            (counts > 0).unsqueeze(-1), centers)
    return centers


def _arange(k: int, like: Tensor) -> Tensor:
    from ..creation import arange
    return arange(k, device=like._device)


def _em(x: Tensor, k: int, rng, max_iter: int, tol: float, reg: float):
    n, d = x.shape
    ident = eye(d, dtype=x.dtype, device=x._device)
    centers = _kmeans_init(x, k, rng)
    dist = ((x.unsqueeze(1) - centers.unsqueeze(0)) ** 2).sum(-1)
    resp = (dist.argmin(-1).unsqueeze(-1) == _arange(k, x)).to(x.dtype)
    weights, means, covs = _m_step(x, resp, ident, reg)
    prev = -math.inf
    bound = -math.inf
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        low = cholesky(covs)                                               # (K, D, D)
        diff = x.unsqueeze(1) - means.unsqueeze(0)                         # (N, K, D)
        log_det = low.diagonal(0, -2, -1).log().sum(-1)                    # (K,)
        lp = (-0.5 * (d * math.log(2 * math.pi) + mahalanobis_sq(low, diff)) - log_det
              + weights.clamp(min=1e-300).log())                          # (N, K)
        norm = lp.logsumexp(-1, keepdim=True)
        bound = float(norm.mean().item())
        resp = (lp - norm).exp()
        weights, means, covs = _m_step(x, resp, ident, reg)
        if abs(bound - prev) < tol:
            converged = True
            break
        prev = bound
    return weights, means, covs, n_iter, converged, bound


def _m_step(x: Tensor, resp: Tensor, ident: Tensor, reg: float):
    n = x.shape[0]
    nk = resp.sum(0) + 10 * finfo(x.dtype).eps                # (K,)
    means = (resp.mT @ x) / nk.unsqueeze(-1)                               # (K, D)
    diff = x.unsqueeze(0) - means.unsqueeze(1)                             # (K, N, D)
    weighted = diff * resp.mT.unsqueeze(-1)
    covs = weighted.mT @ diff / nk.reshape(-1, 1, 1) + reg * ident
    covs = 0.5 * (covs + covs.mT)
    return nk / n, means, covs

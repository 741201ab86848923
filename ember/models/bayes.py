"""The Gaussian Bayes classifier: Bayes' rule with Gaussian class-conditional densities."""

from __future__ import annotations

from .. import backend
from ..autograd import no_grad
from ..creation import eye
from ..distributions import MultivariateNormal
from ..distributions.utils import as_tensor
from ..tensor import Tensor

__all__ = ["GaussianBayesClassifier", "NotFittedError"]


class NotFittedError(ValueError, AttributeError):
    """A model was used before fit() (scikit-learn's exception of the same name)."""


_COVARIANCES = ("full", "diag", "shared")


class GaussianBayesClassifier:
    r"""Classify by Bayes' theorem with a Gaussian density per class:

    .. math:: P(y = k \mid x) = \frac{\pi_k\, \mathcal N(x; \mu_k, \Sigma_k)}
              {\sum_j \pi_j\, \mathcal N(x; \mu_j, \Sigma_j)}

    computed in log space (log pi_k + log N(x; mu_k, Sigma_k), normalised by log-sum-exp, the
    log evidence), and predict the class of highest posterior.

    Args:
        covariance: 'full' (a covariance matrix per class: quadratic discriminant analysis),
            'diag' (per-class variances: Gaussian naive Bayes) or 'shared' (one pooled
            within-class covariance: linear discriminant analysis).
        priors: class prior probabilities pi_k in the order of the sorted class labels
            (non-negative, summing to 1), or None for the class frequencies of the training
            data.
        reg: regularisation: reg times the largest feature variance of the training data is
            added to every covariance's diagonal (scikit-learn's var_smoothing rule), so a
            class whose points are collinear or repeated (a singular covariance) still gets a
            proper density rather than a crash. Default 1e-6.

    Class-conditional means and covariances are the maximum-likelihood estimates (the biased
    covariance, MultivariateNormal.fit). Follows scikit-learn's estimator conventions: fit
    returns self; fitted attributes end in an underscore (classes_, class_prior_, means_,
    covariances_, n_features_in_); get_params / set_params; using it before fit raises
    NotFittedError. Inputs are Tensors or array-likes, X: (N, D); labels are any integers.
    """

    def __init__(self, covariance: str = "full", priors=None, reg: float = 1e-6):
        self.covariance = covariance
        self.priors = priors
        self.reg = reg

    # -------------------------------------------------------------- scikit-learn plumbing
    def get_params(self, deep: bool = True) -> dict:
        return {"covariance": self.covariance, "priors": self.priors, "reg": self.reg}

    def set_params(self, **params) -> GaussianBayesClassifier:
        for key, value in params.items():
            if key not in ("covariance", "priors", "reg"):
                raise ValueError(f"Invalid parameter {key!r} for estimator "
                                 f"GaussianBayesClassifier; valid parameters are covariance, "
                                 f"priors, reg")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return (f"GaussianBayesClassifier(covariance={self.covariance!r}, "
                f"priors={self.priors!r}, reg={self.reg!r})")

    # --------------------------------------------------------------------------- fitting
    def fit(self, X, y) -> GaussianBayesClassifier:  # noqa: N803  (scikit-learn's names)
        """Estimate the class priors, means and covariances from X (N, D) and labels y (N,)."""
        if self.covariance not in _COVARIANCES:
            raise ValueError(f"GaussianBayesClassifier: covariance must be one of "
                             f"{', '.join(map(repr, _COVARIANCES))}, got {self.covariance!r}")
        if not isinstance(self.reg, (int, float)) or self.reg < 0:
            raise ValueError(f"GaussianBayesClassifier: reg must be a non-negative number, got "
                             f"{self.reg!r}")
        x = self._features(X, "fit")
        labels = self._labels(y, x.shape[0])
        with no_grad():
            classes = labels.unique()
            k = classes.shape[0]
            if k < 2:
                raise ValueError(f"GaussianBayesClassifier.fit: needs at least 2 classes, got "
                                 f"{k}")
            n, d = x.shape
            onehot = (labels.unsqueeze(-1) == classes).to(x.dtype)        # (N, K)
            counts = onehot.sum(0)
            means = (onehot.mT @ x) / counts.unsqueeze(-1)                 # (K, D)
            diff = x.unsqueeze(0) - means.unsqueeze(1)                     # (K, N, D)
            weighted = diff * onehot.mT.unsqueeze(-1)
            scatter = weighted.mT @ diff                                   # (K, D, D)
            if self.covariance == "shared":
                covs = (scatter.sum(0) / n).expand((k, d, d))
            else:
                covs = scatter / counts.reshape(-1, 1, 1)
                if self.covariance == "diag":
                    covs = covs.diagonal(0, -2, -1).diag_embed()
            floor = self.reg * float(x.var(0, correction=0).max().item())
            if floor == 0:
                floor = self.reg
            covs = covs + floor * eye(d, dtype=x.dtype, device=x._device)
            priors = self._priors(counts / n, k)
        self.classes_ = classes
        self.class_count_ = counts
        self.class_prior_ = priors
        self.means_ = means
        self.covariances_ = covs
        self.n_features_in_ = d
        self._densities = MultivariateNormal(means, covariance_matrix=covs)
        return self

    def state_dict(self) -> dict:
        """The fitted model as tensors (for ember.save): classes, counts, priors, means,
        covariances."""
        self._check_fitted("state_dict")
        return {"classes": self.classes_, "class_count": self.class_count_,
                "class_prior": self.class_prior_, "means": self.means_,
                "covariances": self.covariances_}

    def load_state_dict(self, state: dict) -> GaussianBayesClassifier:
        """Restore a model saved with state_dict() (no refitting)."""
        missing = {"classes", "class_count", "class_prior", "means", "covariances"} - set(state)
        if missing:
            raise KeyError(f"GaussianBayesClassifier.load_state_dict: missing keys "
                           f"{sorted(missing)}")
        self.classes_ = state["classes"]
        self.class_count_ = state["class_count"]
        self.class_prior_ = state["class_prior"]
        self.means_ = state["means"]
        self.covariances_ = state["covariances"]
        self.n_features_in_ = self.means_.shape[-1]
        self._densities = MultivariateNormal(self.means_, covariance_matrix=self.covariances_)
        return self

    def _priors(self, frequencies: Tensor, k: int) -> Tensor:
        if self.priors is None:
            return frequencies
        p = as_tensor(self.priors, frequencies).to(frequencies.dtype)
        if tuple(p.shape) != (k,):
            raise ValueError(f"GaussianBayesClassifier: priors must have one entry per class "
                             f"({k}), got shape {tuple(p.shape)}")
        if bool((p < 0).any()) or abs(float(p.sum().item()) - 1) > 1e-6:
            raise ValueError(f"GaussianBayesClassifier: priors must be non-negative and sum "
                             f"to 1, got {p.tolist()}")
        return p

    @staticmethod
    def _features(X, where: str) -> Tensor:  # noqa: N803
        x = X if isinstance(X, Tensor) else as_tensor(X)
        if not x.dtype.is_floating_point:
            x = x.to(backend.get_default_dtype())
        if x.ndim != 2:
            raise ValueError(f"GaussianBayesClassifier.{where}: expected X of shape "
                             f"(n_samples, n_features), got {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError(f"GaussianBayesClassifier.{where}: X has no samples")
        x = x.detach()
        if not bool(x.isfinite().all()):
            raise ValueError(f"GaussianBayesClassifier.{where}: X contains nan or inf")
        return x

    @staticmethod
    def _labels(y, n: int) -> Tensor:
        t = y if isinstance(y, Tensor) else as_tensor(y)
        if t.ndim != 1 or t.shape[0] != n:
            raise ValueError(f"GaussianBayesClassifier.fit: expected y of shape ({n},), got "
                             f"{tuple(t.shape)}")
        if t.dtype.is_floating_point:
            if not bool((t == t.round()).all()):
                raise ValueError("GaussianBayesClassifier.fit: y must hold integer class "
                                 "labels")
            t = t.to(backend.int64)
        return t.detach()

    def _check_fitted(self, where: str) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(f"This GaussianBayesClassifier instance is not fitted yet. "
                                 f"Call 'fit' with appropriate arguments before using "
                                 f"'{where}'.")

    # ------------------------------------------------------------------------ prediction
    def joint_log_likelihood(self, X) -> Tensor:  # noqa: N803
        """log pi_k + log N(x; mu_k, Sigma_k): (N, K), the unnormalised log posterior."""
        self._check_fitted("joint_log_likelihood")
        x = self._features(X, "predict").to(self.means_.dtype)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {x.shape[1]} features, but GaussianBayesClassifier is "
                             f"expecting {self.n_features_in_} features as input")
        log_prior = self.class_prior_.clamp(min=0).log()
        return self._densities.log_prob(x.unsqueeze(1)) + log_prior

    def predict_log_proba(self, X) -> Tensor:  # noqa: N803
        """log P(y = k | x): (N, K), by Bayes' rule with the log-sum-exp evidence."""
        jll = self.joint_log_likelihood(X)
        # shift by the row maximum before subtracting the evidence (a log-softmax): jll can be
        # ~1e6 in magnitude far from the data, where jll - logsumexp(jll) would lose all the
        # digits of the (small) difference in float32
        shifted = jll - jll.max(-1, keepdim=True).values.detach()
        return shifted - shifted.logsumexp(-1, keepdim=True)

    def predict_proba(self, X) -> Tensor:  # noqa: N803
        """P(y = k | x): (N, K), rows summing to 1 (columns in the order of classes_)."""
        return self.predict_log_proba(X).exp()

    def predict(self, X) -> Tensor:  # noqa: N803
        """The class label of highest posterior for each row of X: (N,)."""
        self._check_fitted("predict")
        return self.classes_[self.joint_log_likelihood(X).argmax(-1)]

    def score(self, X, y) -> float:  # noqa: N803
        """Mean accuracy of predict(X) against y."""
        pred = self.predict(X)
        t = self._labels(y, pred.shape[0])
        return float((pred == t).to(backend.float64).mean().item())



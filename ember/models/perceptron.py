"""Rosenblatt's perceptron (1958): a linear unit with a step activation and its learning rule.

For a sample x the unit outputs o = step(w . x + b), with step(s) = 1 if s > 0 else 0. When o is
wrong, w <- w + lr (t - o) x and b <- b + lr (t - o), where t in {0, 1} is the target: the
decision hyperplane w . x + b = 0 moves towards the misclassified point. On linearly separable
data this converges in a finite number of updates (Novikoff's theorem); otherwise it never
stops making mistakes, so training ends after max_epochs with a warning; with pocket=True (the
default, Gallant's pocket algorithm) the model then keeps the weights that classified the most
training samples correctly at the end of an epoch, rather than wherever the last update left
them.

Several classes are a single layer of perceptrons, one weight vector per class: O = step(W x +
b), each unit trained to answer "is it my class?"; the prediction is the class whose unit's net
input W x + b is largest.
"""

from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor

__all__ = ["Perceptron", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """Training ended before the algorithm converged."""


def _as_matrix(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        x = tensor(x)
    if x.ndim != 2:
        raise ValueError(f"Perceptron: {name} must be a (n_samples, n_features) matrix, got "
                         f"shape {tuple(x.shape)}")
    return x.double()


class Perceptron:
    """Rosenblatt's perceptron with scikit-learn's fit / predict / score.

    Args:
        lr: the learning rate (step size of each correction), default 1.
        max_epochs: passes over the data before giving up on convergence.
        shuffle: visit the samples in a new random order each epoch.
        seed: seed of that order (None: ember's default generator).
        pocket: if training does not converge, keep the best weights seen at an epoch's end.

    After fit: `weight` (k, d), `bias` (k,) (k = 1 for two classes), `classes_`,
    `converged_` (an epoch made no mistake), `n_epochs_`, `mistakes_` (per epoch).
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 100, shuffle: bool = True,
                 seed: int | None = None, pocket: bool = True):
        if lr <= 0:
            raise ValueError(f"Perceptron: lr must be positive, got {lr}")
        if max_epochs < 1:
            raise ValueError(f"Perceptron: max_epochs must be at least 1, got {max_epochs}")
        self.lr = lr
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.seed = seed
        self.pocket = pocket
        self.weight = None
        self.bias = None

    # ------------------------------------------------------------------------------- training
    def fit(self, X, y) -> Perceptron:
        """Train on X: (n, d) and labels y: (n,) (any values; two or more classes)."""
        x = _as_matrix(X, "X")
        labels = (y if isinstance(y, Tensor) else tensor(y)).reshape(-1)
        if labels.shape[0] != x.shape[0]:
            raise ValueError(f"Perceptron.fit: X has {x.shape[0]} samples but y has "
                             f"{labels.shape[0]}")
        classes = sorted(set(labels.tolist()))
        if len(classes) < 2:
            raise ValueError(f"Perceptron.fit: need at least two classes, got {classes}")
        self.classes_ = classes
        index = {c: i for i, c in enumerate(classes)}
        xs = x._data
        np_ = backend.cpu.xp
        target_index = np_.array([index[v] for v in labels.tolist()])
        k = 1 if len(classes) == 2 else len(classes)
        # targets t[i, j] = 1 if sample i belongs to unit j's class
        if k == 1:
            targets = (target_index == 1).astype("float64")[:, None]
        else:
            targets = (target_index[:, None] == np_.arange(k)[None, :]).astype("float64")
        w = np_.zeros((k, xs.shape[1]))
        b = np_.zeros(k)
        rng = (backend.Generator().manual_seed(self.seed) if self.seed is not None
               else backend.default_generator).rng
        self.mistakes_ = []
        self.converged_ = False
        best = (math.inf, w.copy(), b.copy())
        for _ in range(self.max_epochs):
            order = rng.permutation(len(xs)) if self.shuffle else range(len(xs))
            mistakes = 0
            for i in order:
                out = (w @ xs[i] + b > 0).astype("float64")  # the step activation
                err = targets[i] - out
                if err.any():
                    mistakes += 1
                    w += self.lr * err[:, None] * xs[i][None, :]
                    b += self.lr * err
            self.mistakes_.append(mistakes)
            if mistakes == 0:
                self.converged_ = True
                break
            if self.pocket:
                scores = xs @ w.T + b
                predicted = (scores[:, 0] > 0).astype(int) if k == 1 else scores.argmax(1)
                errors = int((predicted != target_index).sum())
                if errors < best[0]:
                    best = (errors, w.copy(), b.copy())
        self.n_epochs_ = len(self.mistakes_)
        if not self.converged_ and self.pocket:
            w, b = best[1], best[2]
        self.weight = tensor(w)
        self.bias = tensor(b)
        if not self.converged_:
            warnings.warn(f"Perceptron did not converge in {self.max_epochs} epochs "
                          f"({self.mistakes_[-1]} mistakes in the last): the data is probably "
                          "not linearly separable", ConvergenceWarning, stacklevel=2)
        return self

    # ----------------------------------------------------------------------------- inference
    def _check_fitted(self):
        if self.weight is None:
            raise RuntimeError("Perceptron: call fit() before using the model")

    def decision_function(self, X) -> Tensor:
        """The net inputs W x + b: (n,) for two classes, (n, k) for k classes."""
        self._check_fitted()
        x = _as_matrix(X, "X")
        if x.shape[1] != self.weight.shape[1]:
            raise ValueError(f"Perceptron: fitted on {self.weight.shape[1]} features, got "
                             f"{x.shape[1]}")
        with no_grad():
            scores = x @ self.weight.T + self.bias
        return scores[:, 0] if self.weight.shape[0] == 1 else scores

    def step(self, X) -> Tensor:
        """The units' outputs O = step(W x + b) in {0, 1}: (n,) or (n, k)."""
        return (self.decision_function(X) > 0).long()

    def predict(self, X) -> Tensor:
        """The predicted class of each sample (the labels given to fit)."""
        scores = self.decision_function(X)
        idx = (scores > 0).long() if scores.ndim == 1 else scores.argmax(1)
        return tensor([self.classes_[i] for i in idx.tolist()])

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        labels = (y if isinstance(y, Tensor) else tensor(y)).reshape(-1)
        return float((self.predict(X) == labels.to(self.predict(X).dtype)).double().mean())

    def state_dict(self) -> dict:
        """The fitted weights and classes as tensors (for ember.save)."""
        self._check_fitted()
        return {"weight": self.weight, "bias": self.bias, "classes": tensor(self.classes_)}

    def load_state_dict(self, state: dict) -> Perceptron:
        self.weight = state["weight"]
        self.bias = state["bias"]
        self.classes_ = state["classes"].tolist()
        return self

    # --------------------------------------------------------------------------- geometry
    def hyperplane(self, unit: int = 0) -> dict:
        """The decision hyperplane w . x + b = 0 of a unit: its normal w, offset b and distance
        |b| / ||w|| from the origin (the side w points to is the positive class)."""
        self._check_fitted()
        w = self.weight[unit]
        b = float(self.bias[unit])
        norm = float(w.norm())
        return {"normal": w, "offset": b,
                "distance_to_origin": abs(b) / norm if norm > 0 else math.inf}

    def __repr__(self) -> str:
        return (f"Perceptron(lr={self.lr}, max_epochs={self.max_epochs}, "
                f"shuffle={self.shuffle}, seed={self.seed})")

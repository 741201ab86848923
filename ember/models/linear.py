"""Logistic and softmax regression with scikit-learn's fit / predict / score, trained by
gradient descent with ember.optim."""

from __future__ import annotations

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..data import DataLoader, TensorDataset
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["SoftmaxRegression", "LogisticRegression"]

_OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adagrad": optim.Adagrad,
               "rmsprop": optim.RMSprop}


def _matrix(x, name: str) -> Tensor:
    x = x if isinstance(x, Tensor) else tensor(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a (n_samples, n_features) matrix, got shape "
                         f"{tuple(x.shape)}")
    return x.float() if x.dtype.category < 2 else x


class SoftmaxRegression:
    """Multinomial logistic regression: p(y = k | x) = softmax(W x + b)_k, fitted by minimising
    the cross-entropy (plus weight_decay / 2 (||W||^2 + ||b||^2)) with an ember optimizer.

    Args:
        lr: learning rate. epochs: passes over the data. batch_size: None for full-batch
        gradient descent. optimizer: 'adam', 'sgd', 'adagrad' or 'rmsprop'.
        weight_decay: L2 penalty on W and b (the optimizer's weight_decay). seed: for the
        shuffling of mini-batches (the weights start at zero: the loss is convex).
    """

    binary = False

    def __init__(self, lr: float = 0.1, epochs: int = 200, batch_size: int | None = None,
                 optimizer: str = "adam", weight_decay: float = 0.0, seed: int | None = 0):
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: lr must be positive, got {lr}")
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"{type(self).__name__}: unknown optimizer {optimizer!r}; choose "
                             f"from {', '.join(_OPTIMIZERS)}")
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.seed = seed
        self.linear = None
        self.losses_ = []

    def _loss(self, logits, y):
        return F.cross_entropy(logits, y)

    def _n_outputs(self, n_classes: int) -> int:
        return n_classes

    def fit(self, X, y):
        """Fit to X: (n, d) and integer class labels y: (n,) in 0..k-1."""
        from .. import backend
        x = _matrix(X, f"{type(self).__name__}.fit: X")
        labels = (y if isinstance(y, Tensor) else tensor(y)).reshape(-1).long()
        if labels.shape[0] != x.shape[0]:
            raise ValueError(f"{type(self).__name__}.fit: X has {x.shape[0]} samples but y has "
                             f"{labels.shape[0]}")
        if labels.numel() and int(labels.min()) < 0:
            raise ValueError(f"{type(self).__name__}.fit: labels must be class indices 0..k-1")
        self.n_classes_ = max(int(labels.max()) + 1, 2)
        gen = backend.Generator().manual_seed(self.seed) if self.seed is not None else None
        self.linear = nn.Linear(x.shape[1], self._n_outputs(self.n_classes_)).to(x.dtype)
        with no_grad():  # the loss is convex: start from zero, deterministically
            self.linear.weight.zero_()
            self.linear.bias.zero_()
        opt = _OPTIMIZERS[self.optimizer](self.linear.parameters(), lr=self.lr,
                                          weight_decay=self.weight_decay)
        loader = DataLoader(TensorDataset(x, labels), batch_size=self.batch_size or len(x),
                            shuffle=self.batch_size is not None, generator=gen)
        self.losses_ = []
        for _ in range(self.epochs):
            total = 0.0
            for xb, yb in loader:
                opt.zero_grad()
                loss = self._loss(self.linear(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(xb)
            self.losses_.append(total / len(x))
        return self

    def _check(self):
        if self.linear is None:
            raise RuntimeError(f"{type(self).__name__}: call fit() before using the model")

    def decision_function(self, X) -> Tensor:
        self._check()
        with no_grad():
            return self.linear(_matrix(X, "X").to(self.linear.weight.dtype))

    def predict_proba(self, X) -> Tensor:
        """Class probabilities: (n, k)."""
        return F.softmax(self.decision_function(X), dim=1)

    def predict_log_proba(self, X) -> Tensor:
        return F.log_softmax(self.decision_function(X), dim=1)

    def predict(self, X) -> Tensor:
        return self.decision_function(X).argmax(1)

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        labels = (y if isinstance(y, Tensor) else tensor(y)).reshape(-1).long()
        return float((self.predict(X) == labels).double().mean())

    @property
    def coef_(self) -> Tensor:
        self._check()
        return self.linear.weight.detach()

    @property
    def intercept_(self) -> Tensor:
        self._check()
        return self.linear.bias.detach()


class LogisticRegression(SoftmaxRegression):
    """Logistic regression: for two classes p(y = 1 | x) = sigmoid(w . x + b), fitted by
    minimising the binary cross-entropy; for more classes it is softmax regression (the
    multinomial model)."""

    def _n_outputs(self, n_classes: int) -> int:
        return 1 if n_classes == 2 else n_classes

    def _loss(self, logits, y):
        if logits.shape[1] == 1:
            return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
        return F.cross_entropy(logits, y)

    def predict_proba(self, X) -> Tensor:
        scores = self.decision_function(X)
        if scores.shape[1] == 1:
            p = scores[:, 0].sigmoid()
            from ..ops.shape import stack
            return stack([1 - p, p], 1)
        return F.softmax(scores, dim=1)

    def predict_log_proba(self, X) -> Tensor:
        """log P(y = k | x): (n, k), from the scores (finite where the probability underflows;
        log(predict_proba) would give -inf there)."""
        scores = self.decision_function(X)
        if scores.shape[1] == 1:
            from ..ops.shape import cat
            return cat([F.logsigmoid(-scores), F.logsigmoid(scores)], 1)
        return F.log_softmax(scores, dim=1)

    def predict(self, X) -> Tensor:
        scores = self.decision_function(X)
        if scores.shape[1] == 1:
            return (scores[:, 0] > 0).long()
        return scores.argmax(1)

"""Logistic and softmax regression (fit / predict / score with ember.optim), and the networks the
`ember` command trains: MLP(sizes, activation, dropout) and SimpleCNN."""

import numpy as np
import pytest
from scipy import optimize

import ember
from ember import nn
from ember.models import MLP, LogisticRegression, SimpleCNN, SoftmaxRegression
from ember.nn import functional as F

from ..conftest import to_numpy


def two_blobs(n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.0, 1.0, (n // 2, 2)), rng.normal(1.0, 1.0, (n // 2, 2))])
    y = np.repeat([0, 1], n // 2)
    return x, y


# ------------------------------------------------------------------------------ logistic


def test_logistic_regression_reaches_the_optimum_of_its_loss():
    """Mean binary cross-entropy + weight_decay / 2 (||w||^2 + b^2) is strictly convex: the
    fitted parameters must be SciPy's minimiser of the same function."""
    x, y = two_blobs()
    wd = 0.1
    model = LogisticRegression(lr=0.05, epochs=600, weight_decay=wd).fit(
        ember.tensor(x, dtype=ember.float64), ember.tensor(y))

    def loss(theta):
        s = x @ theta[:2] + theta[2]
        return np.mean(np.logaddexp(0, s) - y * s) + wd / 2 * theta @ theta

    best = optimize.minimize(loss, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    got = np.concatenate([to_numpy(model.coef_)[0], to_numpy(model.intercept_)])
    np.testing.assert_allclose(got, best, atol=2e-3)
    assert model.coef_.shape == (1, 2) and model.losses_[-1] < model.losses_[0]
    proba = to_numpy(model.predict_proba(ember.tensor(x)))
    assert proba.shape == (len(x), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(model.predict(ember.tensor(x))),
                                  (proba[:, 1] > 0.5).astype(np.int64))
    assert model.score(ember.tensor(x), ember.tensor(y)) >= 0.85


def test_logistic_regression_with_three_classes_is_multinomial():
    x, y = ember.datasets.iris(return_X_y=True)
    model = LogisticRegression(lr=0.1, epochs=300).fit(x, y)
    assert model.coef_.shape == (3, 4)
    assert model.score(x, y) >= 0.95
    np.testing.assert_allclose(to_numpy(model.predict_proba(x).sum(1)), 1.0, rtol=1e-5)


def test_logistic_regression_log_probabilities_stay_finite_far_from_the_boundary():
    # log P(y | x) of a confident prediction is a large negative number, not log(0) = -inf
    x, y = two_blobs()
    far = ember.tensor([[40.0, 40.0], [-40.0, -40.0]])
    for labels in (y, np.arange(len(y)) % 3):
        model = LogisticRegression(lr=0.1, epochs=100).fit(ember.tensor(x), ember.tensor(labels))
        log_proba = to_numpy(model.predict_log_proba(far))
        assert np.isfinite(log_proba).all(), log_proba
        scores = model.decision_function(far)
        if scores.shape[1] == 1:
            expected = to_numpy(ember.cat([F.logsigmoid(-scores), F.logsigmoid(scores)], 1))
        else:
            expected = to_numpy(F.log_softmax(scores, dim=1))
        np.testing.assert_allclose(log_proba, expected, rtol=1e-5)
        np.testing.assert_allclose(np.exp(log_proba), to_numpy(model.predict_proba(far)),
                                   rtol=1e-5, atol=1e-30)


# ------------------------------------------------------------------------------- softmax


def test_softmax_regression_on_iris_full_batch_and_mini_batch():
    x, y = ember.datasets.iris(return_X_y=True)
    full = SoftmaxRegression(lr=0.1, epochs=300).fit(x, y)
    assert full.score(x, y) >= 0.95
    proba = to_numpy(full.predict_proba(x))
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(full.predict_log_proba(x)), np.log(proba), atol=1e-5)
    # the loss is the training cross-entropy, and it goes down
    logits = full.decision_function(x)
    assert float(F.cross_entropy(logits, y)) == pytest.approx(full.losses_[-1], rel=0.05)
    assert full.losses_[-1] < 0.5 * full.losses_[0]
    mini = SoftmaxRegression(lr=0.05, epochs=40, batch_size=16, optimizer="adam", seed=3)
    mini.fit(x, y)
    again = SoftmaxRegression(lr=0.05, epochs=40, batch_size=16, optimizer="adam", seed=3)
    again.fit(x, y)
    assert mini.losses_ == again.losses_  # the mini-batch order is seeded
    assert mini.score(x, y) >= 0.9


@pytest.mark.parametrize("make, match", [
    (lambda: SoftmaxRegression(lr=0), "lr must be positive"),
    (lambda: LogisticRegression(optimizer="lbfgs"), "unknown optimizer 'lbfgs'"),
    (lambda: SoftmaxRegression().fit(ember.ones(3, 2), ember.tensor([0, -1, 1])),
     "labels must be class indices"),
    (lambda: SoftmaxRegression().fit(ember.ones(3, 2), ember.tensor([0, 1])),
     "X has 3 samples but y has 2"),
    (lambda: SoftmaxRegression().fit(ember.ones(3), ember.tensor([0, 1, 1])),
     "must be a \\(n_samples, n_features\\) matrix"),
])
def test_regression_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_predict_before_fit():
    with pytest.raises(RuntimeError, match="call fit\\(\\) before"):
        LogisticRegression().predict(ember.ones(2, 2))


# ----------------------------------------------------------------------------------- MLP


def test_mlp_layers():
    net = MLP([64, 32, 16, 10], activation="tanh", dropout=0.25)
    kinds = [type(m).__name__ for m in net.net]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert [m.out_features for m in net.net if isinstance(m, nn.Linear)] == [32, 16, 10]
    assert net(ember.randn(5, 64)).shape == (5, 10)
    assert net(ember.randn(5, 8, 8)).shape == (5, 10)  # flattened after the batch dim
    assert [type(m).__name__ for m in MLP([4, 3]).net] == ["Linear"]


def test_mlp_dropout_only_in_training():
    net = MLP([16, 64, 4], dropout=0.5)
    x = ember.randn(8, 16)
    net.eval()
    assert ember.equal(net(x), net(x))
    net.train()
    ember.manual_seed(1)
    a = net(x)
    ember.manual_seed(2)
    assert not ember.equal(a, net(x))


def test_mlp_learns_xor():
    x = ember.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ember.tensor([0, 1, 1, 0])
    ember.manual_seed(0)
    net = MLP([2, 16, 2])
    opt = ember.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    assert net(x).argmax(1).tolist() == [0, 1, 1, 0]  # what no perceptron can do


@pytest.mark.parametrize("kwargs, match", [
    ({"sizes": [10]}, "at least two positive integers"),
    ({"sizes": [10, 0, 2]}, "at least two positive integers"),
    ({"sizes": [4, 2], "activation": "swish"}, "unknown activation 'swish'"),
    ({"sizes": [4, 2], "dropout": 1.0}, "dropout must be in \\[0, 1\\)"),
])
def test_mlp_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(**kwargs)


# ----------------------------------------------------------------------------------- CNN


def test_simple_cnn_shapes_and_gradients():
    net = SimpleCNN(1, 10, image_size=8, channels=(4, 8))
    flat = ember.randn(3, 64)
    out = net(flat)
    assert out.shape == (3, 10)
    assert ember.equal(net(flat.reshape(3, 8, 8)), out)
    assert ember.equal(net(flat.reshape(3, 1, 8, 8)), out)
    F.cross_entropy(out, ember.tensor([0, 1, 2])).backward()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in net.parameters())
    assert SimpleCNN(channels=(2, 3))(ember.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="image_size must be a multiple of 4"):
        SimpleCNN(image_size=10)

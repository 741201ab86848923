"""Rosenblatt's perceptron: convergence on separable data, honesty on XOR, Iris."""

import warnings

import numpy as np
import pytest

import ember
from ember.models import ConvergenceWarning, Perceptron

from ..conftest import to_numpy


def separable(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    w, b = np.array([2.0, -1.0]), 0.3
    margin = x @ w + b
    keep = np.abs(margin) > 0.3  # a clear margin, so convergence is quick
    return ember.tensor(x[keep]), ember.tensor((margin[keep] > 0).astype(np.int64))


def test_converges_on_separable_data_with_every_sample_on_its_side():
    x, y = separable()
    model = Perceptron(seed=0).fit(x, y)
    assert model.converged_ and model.mistakes_[-1] == 0
    signs = to_numpy(y) * 2 - 1  # {0, 1} -> {-1, +1}
    margins = signs * to_numpy(model.decision_function(x))
    assert (margins > 0).all()
    assert model.score(x, y) == 1.0
    plane = model.hyperplane()
    w = to_numpy(plane["normal"])
    assert plane["distance_to_origin"] == pytest.approx(abs(plane["offset"]) / np.linalg.norm(w))


def test_learning_rule_by_hand():
    # one mistake on x = (1, 2) with target 1 from zero weights: w = lr * x, b = lr
    model = Perceptron(lr=0.5, max_epochs=1, shuffle=False, pocket=False)
    with pytest.warns(ConvergenceWarning):
        model.fit(ember.tensor([[1.0, 2.0], [-1.0, -1.0]]), ember.tensor([1, 0]))
    assert to_numpy(model.weight).tolist() == [[0.5, 1.0]] and model.bias.tolist() == [0.5]


def test_reports_non_convergence_on_xor():
    x = ember.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ember.tensor([0, 1, 1, 0])
    with pytest.warns(ConvergenceWarning, match="did not converge in 30 epochs"):
        model = Perceptron(max_epochs=30, seed=0).fit(x, y)
    assert not model.converged_ and model.n_epochs_ == 30 and all(m > 0 for m in model.mistakes_)
    assert model.score(x, y) < 1.0


def test_setosa_versus_the_rest_is_separable():
    x, y = ember.datasets.iris(return_X_y=True)
    model = Perceptron(seed=1).fit(x, (y == 0).long())
    assert model.converged_ and model.score(x, (y == 0).long()) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_iris_training_accuracy(seed):
    x, y = ember.datasets.iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Perceptron(seed=seed).fit(x, y)
    assert model.weight.shape == (3, 4) and model.bias.shape == (3,)
    assert model.score(x, y) >= 0.9
    assert model.step(x[:2]).shape == (2, 3)
    assert model.predict(x).tolist()[:3] == [0, 0, 0]


def test_labels_and_errors():
    x, y = separable()
    names = ember.tensor([5, 9])[y]
    model = Perceptron(seed=0).fit(x, names)
    assert set(model.predict(x).tolist()) <= {5, 9} and model.classes_ == [5, 9]
    with pytest.raises(ValueError, match="need at least two classes"):
        Perceptron().fit(x, ember.zeros(len(x), dtype=ember.int64))
    with pytest.raises(ValueError, match="X has .* samples but y has"):
        Perceptron().fit(x, y[:3])
    with pytest.raises(RuntimeError, match="call fit\\(\\) before"):
        Perceptron().predict(x)
    with pytest.raises(ValueError, match="lr must be positive"):
        Perceptron(lr=0)


def test_state_dict_round_trip():
    x, y = separable()
    model = Perceptron(seed=0).fit(x, y)
    again = Perceptron().load_state_dict(model.state_dict())
    assert ember.equal(again.predict(x), model.predict(x))

"""GaussianBayesClassifier: 5-fold cross-validated accuracy on Iris, Bayes' rule against a
direct computation, scikit-learn conventions, priors, regularisation of singular classes, and
errors."""

import math

import numpy as np
import pytest
import scipy.stats as st

import ember
from ember.models import GaussianBayesClassifier, NotFittedError

from ..conftest import to_numpy


def _iris():
    x, y = ember.datasets.iris(return_X_y=True, dtype=ember.float64)
    return to_numpy(x), to_numpy(y)


def _cross_validated_accuracy(covariance, folds=5, seed=0):
    x, y = _iris()
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(order, folds)
    correct = 0
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[j] for j in range(folds) if j != k])
        model = GaussianBayesClassifier(covariance=covariance)
        model.fit(ember.tensor(x[train]), ember.tensor(y[train]))
        correct += model.score(ember.tensor(x[test]), ember.tensor(y[test])) * len(test)
    return correct / len(y)


def test_iris_is_the_bundled_copy():
    x, y = _iris()
    assert x.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]


@pytest.mark.parametrize("covariance", ["full", "diag", "shared"])
def test_five_fold_cross_validated_accuracy_on_iris_is_at_least_95_percent(covariance):
    assert _cross_validated_accuracy(covariance) >= 0.95


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    means = [np.array([0.0, 0.0]), np.array([3.0, 1.0]), np.array([0.0, 4.0])]
    covs = [np.array([[1.0, 0.4], [0.4, 0.8]]), np.eye(2) * 0.5, np.array([[0.6, -0.2],
                                                                          [-0.2, 1.5]])]
    x = np.concatenate([rng.multivariate_normal(m, c, n) for m, c, n in
                        zip(means, covs, (40, 60, 100))])
    y = np.repeat([7, 3, 5], (40, 60, 100))  # arbitrary integer labels
    return x, y


def test_posterior_is_bayes_rule_with_ml_densities():
    x, y = _blobs()
    model = GaussianBayesClassifier(reg=0.0).fit(ember.tensor(x, dtype=ember.float64),
                                                 ember.tensor(y))
    assert model.classes_.tolist() == [3, 5, 7]
    np.testing.assert_allclose(to_numpy(model.class_prior_), [60 / 200, 100 / 200, 40 / 200])
    probe = np.array([[0.5, 0.5], [2.0, 2.0], [-1.0, 3.0]])
    joint = np.stack([np.log(np.mean(y == c)) + st.multivariate_normal(
        x[y == c].mean(0), np.cov(x[y == c].T, bias=True)).logpdf(probe) for c in (3, 5, 7)], 1)
    posterior = np.exp(joint - joint.max(1, keepdims=True))
    posterior /= posterior.sum(1, keepdims=True)
    pt = ember.tensor(probe, dtype=ember.float64)
    np.testing.assert_allclose(to_numpy(model.predict_proba(pt)), posterior, rtol=1e-9)
    np.testing.assert_allclose(to_numpy(model.predict_log_proba(pt)), np.log(posterior),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(to_numpy(model.predict(pt)),
                                  np.array([3, 5, 7])[posterior.argmax(1)])
    assert model.score(ember.tensor(x, dtype=ember.float64), ember.tensor(y)) > 0.9


def test_log_space_posterior_is_finite_far_from_the_data():
    x, y = _blobs()
    model = GaussianBayesClassifier().fit(x, y)
    far = model.predict_proba(ember.tensor([[1e3, -1e3]], dtype=ember.float64))
    assert bool(ember.isfinite(far).all()) and far.sum().item() == pytest.approx(1.0)


def test_diag_and_shared_covariances():
    x, y = _blobs()
    diag = GaussianBayesClassifier(covariance="diag", reg=0.0).fit(x, y)
    cov = to_numpy(diag.covariances_)
    np.testing.assert_allclose(cov[0], np.diag(x[y == 3].var(0)))
    shared = GaussianBayesClassifier(covariance="shared", reg=0.0).fit(x, y)
    pooled = sum(((x[y == c] - x[y == c].mean(0)).T @ (x[y == c] - x[y == c].mean(0)))
                 for c in (3, 5, 7)) / len(y)
    for c in to_numpy(shared.covariances_):
        np.testing.assert_allclose(c, pooled)


def test_given_priors_shift_the_decision():
    x, y = _blobs()
    probe = ember.tensor([[1.5, 0.5]], dtype=ember.float64)
    even = GaussianBayesClassifier().fit(x, y).predict_proba(probe)
    skewed = GaussianBayesClassifier(priors=[0.98, 0.01, 0.01]).fit(x, y).predict_proba(probe)
    assert skewed[0, 0].item() > even[0, 0].item()
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianBayesClassifier(priors=[0.5, 0.5, 0.5]).fit(x, y)
    with pytest.raises(ValueError, match="one entry per class"):
        GaussianBayesClassifier(priors=[0.5, 0.5]).fit(x, y)


def test_a_singular_class_covariance_is_regularised_not_a_crash():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0],  # collinear class
                  [0.0, 3.0], [1.0, 4.5], [2.0, 3.2], [0.5, 5.0]])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    model = GaussianBayesClassifier(reg=1e-6).fit(x, y)
    proba = model.predict_proba(x)
    assert bool(ember.isfinite(proba).all())
    assert model.score(x, y) == 1.0
    repeated = GaussianBayesClassifier().fit([[1.0, 1.0]] * 3 + [[0.0, 0.0]] * 3,
                                             [0, 0, 0, 1, 1, 1])
    assert repeated.predict([[0.9, 1.1]]).tolist() == [0]


def test_posterior_rows_sum_to_one_far_from_tight_float32_classes():
    # two classes, each a repeated point (covariance reg * I): at the midpoint the joint log
    # likelihoods are about -6e5, where a float32 ulp is 0.06; the posterior must still be
    # exactly (0.5, 0.5) and its rows sum to 1
    model = GaussianBayesClassifier().fit([[1.0, 2.0], [1.0, 2.0], [3.0, 3.0], [3.0, 3.0]],
                                          [0, 0, 1, 1])
    assert model.means_.dtype == ember.float32
    proba = to_numpy(model.predict_proba([[2.0, 2.5]]))
    np.testing.assert_allclose(proba, [[0.5, 0.5]], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(model.predict_log_proba([[2.0, 2.5]])),
                               [[-math.log(2), -math.log(2)]], rtol=1e-6)


def test_scikit_learn_conventions():
    model = GaussianBayesClassifier(covariance="diag", reg=1e-3)
    assert model.get_params() == {"covariance": "diag", "priors": None, "reg": 1e-3}
    assert model.set_params(reg=0.1) is model and model.reg == 0.1
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(alpha=1)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict([[1.0, 2.0]])
    assert issubclass(NotFittedError, (ValueError)) and issubclass(NotFittedError,
                                                                   AttributeError)
    x, y = _blobs()
    assert model.fit(x, y) is model
    assert model.n_features_in_ == 2 and model.means_.shape == (3, 2)
    assert "GaussianBayesClassifier(covariance='diag'" in repr(model)


@pytest.mark.parametrize("make,args,match", [
    (lambda: GaussianBayesClassifier(covariance="spherical"), ([[0.0], [1.0]], [0, 1]),
     "covariance must be one of"),
    (lambda: GaussianBayesClassifier(reg=-1), ([[0.0], [1.0]], [0, 1]), "reg must be"),
    (lambda: GaussianBayesClassifier(), ([0.0, 1.0], [0, 1]), r"\(n_samples, n_features\)"),
    (lambda: GaussianBayesClassifier(), ([[0.0], [1.0]], [0, 1, 1]), r"y of shape \(2,\)"),
    (lambda: GaussianBayesClassifier(), ([[0.0], [1.0]], [0, 0]), "at least 2 classes"),
    (lambda: GaussianBayesClassifier(), ([[0.0], [1.0]], [0.5, 1.0]), "integer class labels"),
])
def test_invalid_fits_raise(make, args, match):
    with pytest.raises(ValueError, match=match):
        make().fit(*args)


def test_wrong_number_of_features_at_predict():
    model = GaussianBayesClassifier().fit([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.1]],
                                          [0, 1, 0, 1])
    with pytest.raises(ValueError, match="expecting 2 features"):
        model.predict([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match=r"GaussianBayesClassifier\.predict: X contains nan"):
        model.predict_proba([[math.nan, 1.0]])
    with pytest.raises(ValueError, match=r"GaussianBayesClassifier\.fit: X contains nan or inf"):
        GaussianBayesClassifier().fit([[0.0, math.inf], [1.0, 0.0]], [0, 1])
    assert math.isfinite(model.score([[0.0, 1.0]], [0]))


def test_state_dict_round_trip():
    x, y = _iris()
    model = GaussianBayesClassifier().fit(ember.tensor(x), ember.tensor(y))
    again = GaussianBayesClassifier().load_state_dict(model.state_dict())
    assert ember.equal(again.predict(ember.tensor(x)), model.predict(ember.tensor(x)))
    with pytest.raises(KeyError, match="missing keys"):
        GaussianBayesClassifier().load_state_dict({"means": model.means_})

"""ember.models: classic models with scikit-learn's fit / predict / score, and the networks the
`ember` command trains."""

from .bayes import GaussianBayesClassifier, NotFittedError
from .linear import LogisticRegression, SoftmaxRegression
from .nets import MLP, SimpleCNN
from .perceptron import ConvergenceWarning, Perceptron

__all__ = ["Perceptron", "ConvergenceWarning", "GaussianBayesClassifier", "NotFittedError",
           "LogisticRegression", "SoftmaxRegression", "MLP", "SimpleCNN"]

"""ember.models: classic models with scikit-learn's fit / predict / score."""

from .bayes import GaussianBayesClassifier, NotFittedError
from .perceptron import ConvergenceWarning, Perceptron

__all__ = ["Perceptron", "ConvergenceWarning", "GaussianBayesClassifier", "NotFittedError"]

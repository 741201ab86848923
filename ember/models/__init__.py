"""ember.models: classic models with scikit-learn's fit / predict / score."""

from .perceptron import ConvergenceWarning, Perceptron

__all__ = ["Perceptron", "ConvergenceWarning"]

"""ember.models: ready-made models built on ember's libraries."""

from .bayes import GaussianBayesClassifier, NotFittedError

__all__ = ["GaussianBayesClassifier", "NotFittedError"]

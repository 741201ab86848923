"""Synthetic data sets (scikit-learn's generators), reproducible under ember.manual_seed or a
`generator=`. Each returns (X, y) tensors: X float32 (N, D), y int64 labels (or float targets
for regression)."""

from __future__ import annotations

import math

from .. import backend
from ..creation import tensor

__all__ = ["make_blobs", "make_moons", "make_circles", "make_classification",
           "make_regression"]


def _rng(generator):
    return (generator if generator is not None else backend.default_generator).rng


def _check_n(n_samples: int, fn: str) -> None:
    if not isinstance(n_samples, int) or n_samples <= 0:
        raise ValueError(f"{fn}: n_samples must be a positive integer, got {n_samples!r}")


def _shuffled(np_, rng, x, y, shuffle):
    if shuffle:
        order = rng.permutation(len(x))
        x, y = x[order], y[order]
    return tensor(x.astype("float32")), tensor(y)


def make_blobs(n_samples: int = 100, n_features: int = 2, centers=3, cluster_std=1.0,
               center_box=(-10.0, 10.0), shuffle: bool = True, generator=None):
    """Gaussian blobs around `centers` (a number of random centres, or their coordinates)."""
    _check_n(n_samples, "make_blobs")
    np_ = backend.cpu.xp
    rng = _rng(generator)
    if isinstance(centers, int):
        centres = rng.uniform(center_box[0], center_box[1], (centers, n_features))
    else:
        centres = np_.asarray(centers, dtype="float64")
        n_features = centres.shape[1]
    k = len(centres)
    stds = np_.broadcast_to(np_.asarray(cluster_std, dtype="float64"), (k,))
    counts = [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]
    xs = [rng.normal(centres[i], stds[i], (counts[i], n_features)) for i in range(k)]
    ys = [np_.full(counts[i], i) for i in range(k)]
    return _shuffled(np_, rng, np_.concatenate(xs), np_.concatenate(ys), shuffle)


def make_moons(n_samples: int = 100, noise: float = 0.0, shuffle: bool = True,
               generator=None):
    """Two interleaving half circles (not linearly separable)."""
    _check_n(n_samples, "make_moons")
    np_ = backend.cpu.xp
    rng = _rng(generator)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    a = np_.linspace(0, math.pi, n_out)
    b = np_.linspace(0, math.pi, n_in)
    x = np_.concatenate([np_.stack([np_.cos(a), np_.sin(a)], 1),
                         np_.stack([1 - np_.cos(b), 1 - np_.sin(b) - 0.5], 1)])
    y = np_.concatenate([np_.zeros(n_out, dtype="int64"), np_.ones(n_in, dtype="int64")])
    if noise:
        x = x + rng.normal(0, noise, x.shape)
    return _shuffled(np_, rng, x, y, shuffle)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8,
                 shuffle: bool = True, generator=None):
    """A small circle (label 1) inside a large one (label 0)."""
    _check_n(n_samples, "make_circles")
    if not 0 <= factor < 1:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor}")
    np_ = backend.cpu.xp
    rng = _rng(generator)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    a = np_.linspace(0, 2 * math.pi, n_out, endpoint=False)
    b = np_.linspace(0, 2 * math.pi, n_in, endpoint=False)
    x = np_.concatenate([np_.stack([np_.cos(a), np_.sin(a)], 1),
                         factor * np_.stack([np_.cos(b), np_.sin(b)], 1)])
    y = np_.concatenate([np_.zeros(n_out, dtype="int64"), np_.ones(n_in, dtype="int64")])
    if noise:
        x = x + rng.normal(0, noise, x.shape)
    return _shuffled(np_, rng, x, y, shuffle)


def make_classification(n_samples: int = 100, n_features: int = 20, n_informative: int = 2,
                        n_classes: int = 2, class_sep: float = 1.0, shuffle: bool = True,
                        generator=None):
    """Classes as Gaussian clusters on the vertices of a hypercube in the informative features;
    the remaining features are noise."""
    _check_n(n_samples, "make_classification")
    if n_informative > n_features:
        raise ValueError(f"make_classification: n_informative ({n_informative}) must not exceed "
                         f"n_features ({n_features})")
    if n_classes > 2 ** n_informative:
        raise ValueError(f"make_classification: n_classes ({n_classes}) must be at most "
                         f"2**n_informative ({2 ** n_informative})")
    np_ = backend.cpu.xp
    rng = _rng(generator)
    vertices = np_.array([[(c >> b) & 1 for b in range(n_informative)]
                          for c in range(n_classes)], dtype="float64") * 2 - 1
    y = np_.arange(n_samples) % n_classes
    informative = vertices[y] * class_sep + rng.normal(0, 1, (n_samples, n_informative))
    mixing = rng.normal(0, 1, (n_informative, n_informative))
    informative = informative @ (mixing / np_.linalg.norm(mixing, axis=0) + np_.eye(n_informative))
    noise = rng.normal(0, 1, (n_samples, n_features - n_informative))
    x = np_.concatenate([informative, noise], 1)
    return _shuffled(np_, rng, x, y.astype("int64"), shuffle)


def make_regression(n_samples: int = 100, n_features: int = 10, n_informative: int = 10,
                    noise: float = 0.0, bias: float = 0.0, shuffle: bool = True,
                    generator=None, coef: bool = False):
    """y = X w + bias + noise with w non-zero on n_informative features; coef=True also returns
    w."""
    _check_n(n_samples, "make_regression")
    np_ = backend.cpu.xp
    rng = _rng(generator)
    n_informative = min(n_informative, n_features)
    x = rng.normal(0, 1, (n_samples, n_features))
    w = np_.zeros(n_features)
    w[:n_informative] = 100 * rng.uniform(0, 1, n_informative)
    y = x @ w + bias + (rng.normal(0, noise, n_samples) if noise else 0.0)
    if shuffle:
        order = rng.permutation(n_samples)
        x, y = x[order], y[order]
    out = (tensor(x.astype("float32")), tensor(y.astype("float32")))
    return (*out, tensor(w.astype("float32"))) if coef else out

"""ember.datasets: bundled data (Iris, 8x8 digits), MNIST and Fashion-MNIST (downloaded and
verified on first use), CSV tables, and synthetic generators."""

from .synthetic import make_blobs, make_circles, make_classification, make_moons, make_regression
from .tabular import LabeledDataset, digits, iris, load_csv
from .vision import ImageDataset, cache_dir, fashion_mnist, mnist, read_idx

__all__ = ["iris", "digits", "load_csv", "LabeledDataset", "mnist", "fashion_mnist",
           "read_idx", "cache_dir", "ImageDataset", "make_blobs", "make_moons", "make_circles",
           "make_classification", "make_regression"]

"""Tabular data sets: the bundled Iris and digits, and CSV files with a header and a label."""

from __future__ import annotations

import csv
import gzip
import os
from importlib import resources

from .. import backend
from ..creation import tensor
from ..data.dataset import TensorDataset
from ..tensor import Tensor

__all__ = ["LabeledDataset", "iris", "digits", "load_csv"]


class LabeledDataset(TensorDataset):
    """Features and class labels: `ds[i] == (x_i, y_i)`, with `.data` (N, D), `.targets` (N,),
    `.feature_names`, `.class_names` and a `.description`."""

    def __init__(self, data: Tensor, targets: Tensor, feature_names, class_names,
                 description: str = ""):
        super().__init__(data, targets)
        self.data = data
        self.targets = targets
        self.feature_names = list(feature_names)
        self.class_names = list(class_names) if class_names is not None else None
        self.description = description

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.class_names else int(self.targets.max()) + 1

    def __repr__(self) -> str:
        classes = f", {len(self.class_names)} classes" if self.class_names else ""
        return (f"LabeledDataset({len(self)} samples, {len(self.feature_names)} features"
                f"{classes})")


def _data_file(name: str):
    return resources.files(__package__).joinpath("data", name)


def iris(return_X_y: bool = False, dtype=None):
    """Fisher's Iris (UCI, CC BY 4.0; bundled, no download): 150 flowers, 4 measurements in cm,
    3 species. Returns a LabeledDataset, or (X, y) tensors with return_X_y=True."""
    with _data_file("iris.csv").open() as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    classes = sorted({r[-1] for r in body}, key=[r[-1] for r in body].index)
    x = tensor([[float(v) for v in r[:-1]] for r in body], dtype=dtype)
    y = tensor([classes.index(r[-1]) for r in body])
    ds = LabeledDataset(x, y, header[:-1], classes,
                        "Iris (Fisher 1936), UCI Machine Learning Repository, CC BY 4.0")
    return (x, y) if return_X_y else ds


def digits(return_X_y: bool = False, dtype=None):
    """The UCI 8x8 handwritten digits (CC BY 4.0; bundled, no download): 1,797 images, 64
    pixel counts in 0..16, 10 classes. Returns a LabeledDataset (with `.images` (N, 8, 8)), or
    (X, y) tensors with return_X_y=True."""
    with _data_file("digits.csv.gz").open("rb") as raw, gzip.open(raw, "rt") as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    x = tensor([[float(v) for v in r[:64]] for r in rows], dtype=dtype)
    y = tensor([int(r[64]) for r in rows])
    ds = LabeledDataset(x, y, [f"pixel_{i // 8}_{i % 8}" for i in range(64)],
                        [str(d) for d in range(10)],
                        "Optical Recognition of Handwritten Digits (Alpaydin, Kaynak 1998), "
                        "UCI Machine Learning Repository, CC BY 4.0")
    ds.images = x.reshape(-1, 8, 8)
    return (x, y) if return_X_y else ds


def load_csv(path: str, target: str, dtype=None) -> LabeledDataset:
    """A CSV table with a header row: the `target` column holds the labels (class names or
    integers; they are numbered in order of first appearance unless already 0..k-1 integers),
    every other column must be numeric."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_csv: no such file: {path}")
    with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: drop a leading BOM
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"load_csv: {path} is empty")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise ValueError(f"load_csv: {path} has no column {target!r}; its columns are "
                         f"{', '.join(header)}")
    t = header.index(target)
    features = [h for i, h in enumerate(header) if i != t]
    if not features:
        raise ValueError(f"load_csv: {path} has no feature columns besides {target!r}")
    values, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"load_csv: {path} line {line} has {len(row)} fields, the header "
                             f"has {len(header)}")
        try:
            values.append([float(v) for i, v in enumerate(row) if i != t])
        except ValueError:
            col, bad = next((i, v) for i, v in enumerate(row) if i != t and not _is_number(v))
            column = header[col]
            raise ValueError(f"load_csv: {path} line {line}: column {column!r} has the "
                             f"non-numeric value {bad!r}; features must be numbers") from None
        labels.append(row[t].strip())
    if not values:
        raise ValueError(f"load_csv: {path} has a header but no rows")
    if all(_is_number(v) for v in labels) and not all(_is_int(v) for v in labels):
        bad = next(v for v in labels if not _is_int(v))
        raise ValueError(f"load_csv: labels in column {target!r} must be class indices 0..k-1 "
                         f"or class names, found the number {bad!r} (a regression target?)")
    if all(_is_int(v) for v in labels):
        ints = [int(float(v)) for v in labels]
        if min(ints) < 0:
            raise ValueError(f"load_csv: labels in column {target!r} must be class indices "
                             f"0..k-1 or class names, found {min(ints)}")
        names = [str(i) for i in range(max(ints) + 1)]
        y = ints
    else:
        names = []
        for v in labels:
            if v not in names:
                names.append(v)
        y = [names.index(v) for v in labels]
    return LabeledDataset(tensor(values, dtype=dtype), tensor(y, dtype=backend.int64), features,
                          names, f"{os.path.basename(path)} (target {target!r})")


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _is_int(v: str) -> bool:
    try:
        return float(v) == int(float(v))
    except (ValueError, OverflowError):  # not a number, or inf
        return False

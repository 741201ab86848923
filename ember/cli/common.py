"""What the `ember` sub-commands share: loading data sets by name, building models and
optimizers from their names, and the error a user sees for a bad argument."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import backend, nn, optim
from ..creation import tensor
from ..data import random_split, transforms
from ..tensor import Tensor


class CLIError(Exception):
    """A user mistake: printed as one line, exit status 2."""


DATASETS = ("iris", "digits", "mnist", "fashion-mnist", "moons", "blobs")
MODELS = ("perceptron", "bayes", "logreg", "mlp", "cnn")
OPTIMIZERS = ("bgd", "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
              "adamw")
DEFAULT_LR = {"bgd": 0.5, "sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.05,
              "adadelta": 1.0, "rmsprop": 1e-3, "adam": 1e-3, "adamw": 1e-3}


@dataclass
class Data:
    """A data set ready for training: float features, int64 labels, split in two."""

    name: str
    x_train: Tensor
    y_train: Tensor
    x_val: Tensor
    y_val: Tensor
    classes: list
    feature_names: list = field(default_factory=list)
    image_size: int | None = None          # side of square images, None for tables
    mean: Tensor | None = None             # the standardisation fitted on the training split
    scale: Tensor | None = None

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def raw_data(spec: str, target: str | None, seed: int, train: bool = True):
    """(X float32 (n, d), y int64, classes, feature names, image side or None)."""
    if spec == "iris":
        ds = _datasets().iris()
        return ds.data, ds.targets, ds.class_names, ds.feature_names, None
    if spec == "digits":
        ds = _datasets().digits()
        return ds.data / 16.0, ds.targets, ds.class_names, ds.feature_names, 8
    if spec in ("mnist", "fashion-mnist"):
        loader = _datasets().mnist if spec == "mnist" else _datasets().fashion_mnist
        try:
            ds = loader(train=train)
        except RuntimeError as err:
            raise CLIError(str(err).replace("\n", " ")) from None
        x = ds.data.float().reshape(len(ds), -1) / 255.0
        return x, ds.targets, ds.classes, [f"pixel_{i}" for i in range(784)], 28
    if spec in ("moons", "blobs"):
        gen = backend.Generator().manual_seed(seed)
        if spec == "moons":
            x, y = _datasets().make_moons(400, noise=0.2, generator=gen)
        else:
            x, y = _datasets().make_blobs(400, 2, centers=3, cluster_std=1.5, generator=gen)
        classes = [str(k) for k in range(int(y.max()) + 1)]
        return x, y, classes, ["x1", "x2"], None
    if spec.endswith(".csv") or os.path.exists(spec):
        if not os.path.exists(spec):
            raise CLIError(f"no such file: {spec}")
        if not target:
            raise CLIError(f"--target COLUMN is needed with a CSV file ({spec})")
        try:
            ds = _datasets().load_csv(spec, target)
        except ValueError as err:
            raise CLIError(str(err)) from None
        return ds.data.float(), ds.targets, ds.class_names, ds.feature_names, None
    raise CLIError(f"unknown data set {spec!r}: use one of {', '.join(DATASETS)} or a path to a "
                   "CSV file")


def _datasets():
    from .. import datasets
    return datasets


def load(spec: str, target: str | None, seed: int, val_split: float,
         standardize: bool = True) -> Data:
    """The data set split into training and validation parts (seeded), tables standardised
    with the training part's statistics."""
    if not 0 < val_split < 1:
        raise CLIError(f"--val-split must be between 0 and 1, got {val_split}")
    x, y, classes, names, side = raw_data(spec, target, seed)
    train_idx, val_idx = split_indices(len(x), val_split, seed, spec)
    ti = tensor(train_idx)
    vi = tensor(val_idx)
    data = Data(spec, x[ti], y[ti], x[vi], y[vi], list(classes), list(names), side)
    if standardize and side is None:
        scaler = transforms.StandardScaler().fit(data.x_train)
        data.mean, data.scale = scaler.mean_.float(), scaler.scale_.float()
        data.x_train = apply_scaler(data.x_train, data.mean, data.scale)
        data.x_val = apply_scaler(data.x_val, data.mean, data.scale)
    return data


def split_indices(n: int, val_split: float, seed: int, spec: str = "the data set"):
    """(training indices, validation indices): the seeded split `ember train` makes, which
    `ember eval` makes again to evaluate on the part held out."""
    n_val = max(1, int(round(n * val_split)))
    if n - n_val < 2:
        raise CLIError(f"{spec} has too few samples ({n}) to hold out {val_split:.0%} for "
                       "validation")
    train_part, val_part = random_split(range(n), [n - n_val, n_val],
                                        generator=backend.Generator().manual_seed(seed))
    return train_part.indices, val_part.indices


def apply_scaler(x: Tensor, mean: Tensor | None, scale: Tensor | None) -> Tensor:
    if mean is None:
        return x
    return ((x - mean) / scale).float()


def build_model(kind: str, data: Data, hidden: list[int], dropout: float = 0.0,
                activation: str = "relu") -> nn.Module:
    """The network for `kind` (logreg, mlp or cnn) sized for the data."""
    from ..models import MLP, SimpleCNN
    if kind == "logreg":
        return nn.Linear(data.n_features, data.n_classes)
    if kind == "mlp":
        return MLP([data.n_features, *hidden, data.n_classes], activation, dropout)
    if kind == "cnn":
        if data.image_size is None:
            raise CLIError(f"--model cnn needs image data (digits, mnist, fashion-mnist); "
                           f"{data.name} is a table")
        return SimpleCNN(1, data.n_classes, image_size=data.image_size)
    raise CLIError(f"unknown model {kind!r}: use one of {', '.join(MODELS)}")


def build_optimizer(name: str, params, lr: float | None):
    if name not in OPTIMIZERS:
        raise CLIError(f"unknown optimizer {name!r}: use one of {', '.join(OPTIMIZERS)}")
    lr = DEFAULT_LR[name] if lr is None else lr
    if name in ("bgd", "sgd"):
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    return {"adagrad": optim.Adagrad, "adadelta": optim.Adadelta, "rmsprop": optim.RMSprop,
            "adam": optim.Adam, "adamw": optim.AdamW}[name](params, lr=lr)


def parse_hidden(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise CLIError(f"--hidden must be comma-separated layer sizes such as 256,128, got "
                       f"{text!r}") from None
    if any(s <= 0 for s in sizes):
        raise CLIError(f"--hidden sizes must be positive, got {text!r}")
    return sizes


def resolve_device(name: str):
    if name == "auto":
        return backend.device("cuda") if backend.device("cuda").available else backend.cpu
    if name == "cuda" and not backend.device("cuda").available:
        raise CLIError(str(_cuda_reason()))
    if name not in ("cpu", "cuda"):
        raise CLIError(f"unknown device {name!r}: use auto, cpu or cuda")
    return backend.device(name)


def _cuda_reason():
    try:
        backend.device("cuda").check_available()
    except RuntimeError as err:
        return err
    return ""


def confusion_matrix(pred: Tensor, true: Tensor, k: int):
    """counts[i][j]: samples of class i predicted as j (a NumPy array)."""
    np_ = backend.cpu.xp
    counts = np_.zeros((k, k), dtype="int64")
    np_.add.at(counts, (true.cpu().numpy(), pred.cpu().numpy()), 1)
    return counts


def per_class_report(counts, classes) -> list[tuple]:
    """(class, precision, recall, F1, support) per class."""
    rows = []
    for i, name in enumerate(classes):
        tp = counts[i, i]
        predicted = counts[:, i].sum()
        actual = counts[i, :].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((str(name), float(precision), float(recall), float(f1), int(actual)))
    return rows


def format_report(counts, classes) -> str:
    lines = [f"{'class':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}"]
    for name, p, r, f, s in per_class_report(counts, classes):
        lines.append(f"{name[:15]:<16}{p:>10.3f}{r:>10.3f}{f:>10.3f}{s:>10d}")
    width = max(4, max(len(str(c)) for c in classes[:20]) if classes else 4)
    lines.append("")
    lines.append("confusion matrix (rows: true class, columns: predicted)")
    lines.append(" " * (width + 1) + " ".join(f"{str(c)[:6]:>6}" for c in classes))
    for name, row in zip(classes, counts):
        lines.append(f"{str(name)[:width]:>{width}} " + " ".join(f"{v:>6d}" for v in row))
    return "\n".join(lines)

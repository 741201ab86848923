"""`ember eval CKPT --data ...`: accuracy, per-class precision / recall / F1 and the confusion
matrix of a checkpoint written by `ember train`.

By default it evaluates on samples the model did not train on: the test split of MNIST and
Fashion-MNIST; on the data set it was trained on, the validation part `ember train` held out
(the same seeded split, made again); any other data set whole. `--split all` takes every sample
(for MNIST and Fashion-MNIST still their test split)."""

from __future__ import annotations

import os

from .. import serialization
from . import plots
from .common import (
    CLIError,
    apply_scaler,
    build_model,
    confusion_matrix,
    format_report,
    raw_data,
    split_indices,
)

_SYNTHETIC = ("moons", "blobs")
_TEST_SPLIT = ("mnist", "fashion-mnist")


def add_arguments(p) -> None:
    p.add_argument("checkpoint", metavar="CKPT")
    p.add_argument("--data", required=True, help="the data set to evaluate on (mnist and "
                                                  "fashion-mnist: their test split)")
    p.add_argument("--target", help="the label column of a CSV file")
    p.add_argument("--out", default=None, help="directory for the confusion matrix picture "
                                               "(default: the checkpoint's)")
    p.add_argument("--split", default="held-out", choices=("held-out", "all"),
                   help="held-out (default): only samples the model did not train on; all: "
                        "every sample")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the synthetic data sets (moons, blobs); default: the "
                        "checkpoint's")


def load_checkpoint(path: str) -> dict:
    if not os.path.exists(path):
        raise CLIError(f"no such checkpoint: {path}")
    try:
        ckpt = serialization.load(path)
    except Exception as err:
        raise CLIError(f"cannot read checkpoint {path}: {str(err).splitlines()[0]}") from None
    meta = ckpt.get("meta") if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != "ember-train-checkpoint":
        raise CLIError(f"{path} is not a checkpoint written by `ember train`")
    return ckpt


def run(args) -> int:
    from .train import evaluate

    ckpt = load_checkpoint(args.checkpoint)
    meta = ckpt["meta"]
    trained_seed = int(meta.get("seed", 0))
    seed = trained_seed if args.seed is None else args.seed
    x, y, classes, _, side = raw_data(args.data, args.target, seed, train=False)
    if x.shape[1] != meta["n_features"]:
        raise CLIError(f"checkpoint {args.checkpoint} is a {meta['model']} for "
                       f"{meta['n_features']} features; {args.data} has {x.shape[1]}")
    y, classes = _align_labels(args, y, classes, meta)
    if len(classes) > len(meta["classes"]) or (y.numel() and int(y.max()) >= len(
            meta["classes"])):
        raise CLIError(f"{args.data} has labels the checkpoint does not know (it was trained on "
                       f"{len(meta['classes'])} classes)")
    x, y, part = _select(args, meta, x, y, seed, trained_seed)
    scaler = ckpt.get("scaler") or {}
    if meta["model"] != "cnn":
        x = apply_scaler(x, scaler.get("mean"), scaler.get("scale"))
    classes = meta["classes"]
    model = _restore(ckpt, meta, x, side)
    if meta["model"] in ("perceptron", "bayes"):
        pred = model.predict(x)
        accuracy = float((pred == y).double().mean())
    else:
        _, accuracy, pred = evaluate(model, x, y)
    counts = confusion_matrix(pred, y, len(classes))
    print(f"{meta['model']} from {args.checkpoint} on {args.data}, {part}: {len(y)} samples, "
          f"accuracy {accuracy:.4f}")
    print(format_report(counts, classes))
    out = args.out or os.path.dirname(os.path.abspath(args.checkpoint))
    os.makedirs(out, exist_ok=True)
    picture = plots.confusion(counts, classes, os.path.join(out, "eval-confusion.png"),
                              f"{meta['model']} on {args.data}: {part}")
    print(f"confusion matrix drawn in {picture}")
    return 0


def _align_labels(args, y, classes, meta: dict):
    """(y, classes) numbered as the checkpoint numbers its classes. A CSV of class names
    numbers them in order of first appearance, which another file need not share: such
    labels are matched to the checkpoint's classes by name. Labels that are plain indices
    (class names "0", "1", ...) are kept as they are."""
    from ..creation import tensor

    known = [str(c) for c in meta["classes"]]
    names = [str(c) for c in classes]
    if names == known[:len(names)] or names == [str(i) for i in range(len(names))]:
        return y, classes
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CLIError(f"{args.data} has labels the checkpoint does not know (it was trained on "
                       f"{len(known)} classes: {', '.join(known[:20])}): "
                       f"{', '.join(unknown[:20])}")
    index = tensor([known.index(n) for n in names], dtype=y.dtype, device=y.device)
    return index[y], known


def _select(args, meta: dict, x, y, seed: int, trained_seed: int):
    """The samples to evaluate on, and words saying which they are."""
    from ..creation import tensor

    if args.data in _TEST_SPLIT:
        return x, y, "its test split"
    same = (args.data == meta.get("data") and (args.target or None) == (meta.get("target") or None)
            and (args.data not in _SYNTHETIC or seed == trained_seed))
    if args.split == "all" or not same:
        return x, y, "all samples"
    val_split = meta.get("val_split")
    if val_split is None:  # a checkpoint from before the split was recorded
        return x, y, "all samples (this checkpoint does not record its validation split)"
    _, val_idx = split_indices(len(x), float(val_split), trained_seed, args.data)
    index = tensor(val_idx)
    share = f"{float(val_split):.0%}"
    return x[index], y[index], (f"the validation part held out in training ({share}, seed "
                                f"{trained_seed})")


def _restore(ckpt: dict, meta: dict, x, side):
    from ..models import GaussianBayesClassifier, Perceptron
    from .common import Data

    kind = meta["model"]
    try:
        if kind == "perceptron":
            return Perceptron().load_state_dict(ckpt["model"])
        if kind == "bayes":
            return GaussianBayesClassifier().load_state_dict(ckpt["model"])
        shape = Data(kind, x[:1], x[:1, 0].long(), x[:1], x[:1, 0].long(),
                     meta["classes"], image_size=meta.get("image_size"))
        model = build_model(kind, shape, meta.get("hidden") or [], meta.get("dropout", 0.0),
                            meta.get("activation", "relu"))
        model.load_state_dict(ckpt["model"])
        return model
    except (RuntimeError, KeyError) as err:
        raise CLIError(f"checkpoint does not fit a {kind} model: "
                       f"{str(err).splitlines()[0]}") from None

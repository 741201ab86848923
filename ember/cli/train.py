"""`ember train`: train a model on a data set, with progress, validation, checkpoints, metrics and
pictures."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
import warnings

from .. import backend, serialization
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..data import DataLoader, TensorDataset
from ..models.nets import ACTIVATIONS
from ..nn import functional as F
from . import plots
from .common import (
    DATASETS,
    MODELS,
    OPTIMIZERS,
    CLIError,
    build_model,
    build_optimizer,
    confusion_matrix,
    format_report,
    load,
    parse_hidden,
    resolve_device,
)


def add_arguments(p) -> None:
    p.add_argument("--data", required=True,
                   help=f"{', '.join(DATASETS)}, or a CSV file (with --target)")
    p.add_argument("--target", help="the label column of a CSV file")
    p.add_argument("--model", default="mlp", choices=MODELS)
    p.add_argument("--hidden", default="256,128", help="MLP hidden sizes, e.g. 256,128")
    p.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS),
                   help="the MLP's activation")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--optimizer", default="adam", choices=OPTIMIZERS,
                   help="bgd is full-batch gradient descent")
    p.add_argument("--lr", type=float, default=None, help="learning rate (a default per "
                                                          "optimizer)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--val-split", type=float, default=0.2)
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker threads")
    p.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better validation loss")
    p.add_argument("--out", default="ember-run", help="directory for checkpoints, metrics and "
                                                       "pictures")
    p.add_argument("--resume", default=None, metavar="CKPT", help="continue from a checkpoint")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _check_args(args) -> None:
    if args.lr is not None and not args.lr > 0:
        raise CLIError(f"--lr must be positive, got {args.lr}")
    if args.batch_size <= 0:
        raise CLIError(f"--batch-size must be positive, got {args.batch_size}")
    if args.epochs <= 0:
        raise CLIError(f"--epochs must be positive, got {args.epochs}")
    if args.workers < 0:
        raise CLIError(f"--workers must be non-negative, got {args.workers}")
    if args.early_stopping is not None and args.early_stopping <= 0:
        raise CLIError(f"--early-stopping must be a positive number of epochs, got "
                       f"{args.early_stopping}")
    if not 0 <= args.dropout < 1:
        raise CLIError(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.resume is not None and not os.path.exists(args.resume):
        raise CLIError(f"no such checkpoint: {args.resume}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CLIError(f"--out {args.out} exists and is not a directory")


def _write_text(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _metrics_csv(history: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(history[0]))
    writer.writeheader()
    writer.writerows(history)
    return buf.getvalue()


def _meta(args, data, hidden) -> dict:
    return {"format": "ember-train-checkpoint", "version": 1, "model": args.model,
            "data": args.data, "target": args.target, "hidden": hidden,
            "activation": args.activation, "dropout": args.dropout,
            "classes": [str(c) for c in data.classes], "n_features": data.n_features,
            "image_size": data.image_size, "optimizer": args.optimizer, "seed": args.seed,
            "val_split": args.val_split,
            "feature_names": data.feature_names[:1000]}


def evaluate(model, x, y, batch_size: int = 1024):
    """(mean cross-entropy, accuracy, predictions) of a classifier network."""
    model.eval()
    total, correct, preds = 0.0, 0, []
    with no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            logits = model(xb)
            total += float(F.cross_entropy(logits, yb, reduction="sum"))
            p = logits.argmax(1)
            correct += int((p == yb).sum())
            preds.append(p)
    from ..ops.shape import cat
    return total / len(x), correct / len(x), cat(preds)


def run(args) -> int:
    _check_args(args)
    hidden = parse_hidden(args.hidden)
    device = resolve_device(args.device)
    data = load(args.data, args.target, args.seed, args.val_split,
                standardize=args.model != "cnn")
    os.makedirs(args.out, exist_ok=True)
    if args.model in ("perceptron", "bayes"):
        return _run_classic(args, data)
    return _run_network(args, data, hidden, device)


def _run_classic(args, data) -> int:
    from ..models import GaussianBayesClassifier, Perceptron
    from ..models.perceptron import ConvergenceWarning
    start = time.perf_counter()
    if args.model == "perceptron":
        model = Perceptron(lr=args.lr or 1.0, max_epochs=args.epochs, seed=args.seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(data.x_train, data.y_train)
        for w in caught:
            print(f"note: {w.message}", file=sys.stderr)
        state = model.state_dict()
        extra = {"converged": model.converged_, "epochs_run": model.n_epochs_}
    else:
        model = GaussianBayesClassifier().fit(data.x_train, data.y_train)
        state = model.state_dict()
        extra = {}
    train_acc = model.score(data.x_train, data.y_train)
    val_acc = model.score(data.x_val, data.y_val)
    seconds = time.perf_counter() - start
    print(f"{args.model} on {args.data}: training accuracy {train_acc:.4f}, validation accuracy "
          f"{val_acc:.4f} ({seconds:.2f} s)")
    meta = {**_meta(args, data, []), **extra}
    checkpoint = {"model": state, "scaler": _scaler_state(data), "meta": meta}
    serialization.save(checkpoint, os.path.join(args.out, "checkpoint.safetensors"))
    history = [{"epoch": 1, "train_loss": float("nan"), "train_acc": train_acc,
                "val_loss": float("nan"), "val_acc": val_acc, "seconds": round(seconds, 3)}]
    _write_text(os.path.join(args.out, "metrics.csv"), _metrics_csv(history))
    pred = model.predict(data.x_val)
    counts = confusion_matrix(pred, data.y_val, data.n_classes)
    print(format_report(counts, data.classes))
    plots.confusion(counts, data.classes, os.path.join(args.out, "confusion.png"),
                    f"{args.model} on {args.data}: validation")
    if data.n_features == 2:
        plane = None
        if args.model == "perceptron" and model.weight.shape[0] == 1:
            plane = (model.weight[0].tolist(), float(model.bias[0]))
        plots.decision_boundary(lambda g: model.predict(tensor(g).float()).numpy(),
                                data.x_train.numpy(), data.y_train.numpy(), data.classes,
                                os.path.join(args.out, "boundary.png"),
                                f"{args.model} on {args.data}", plane, data.feature_names)
    print(f"wrote {args.out}/checkpoint.safetensors, metrics.csv and pictures")
    return 0


def _scaler_state(data) -> dict:
    if data.mean is None:
        return {}
    return {"mean": data.mean, "scale": data.scale}


def _run_network(args, data, hidden, device) -> int:
    from ..random import manual_seed
    manual_seed(args.seed)
    model = build_model(args.model, data, hidden, args.dropout, args.activation).to(device)
    batch_size = len(data.x_train) if args.optimizer == "bgd" else args.batch_size
    opt = build_optimizer(args.optimizer, model.parameters(), args.lr)
    history, start_epoch = [], 0
    if args.resume:
        start_epoch, history = _resume(args, model, opt, data)
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    gen = backend.Generator().manual_seed(args.seed + start_epoch)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=batch_size,
                        shuffle=True, generator=gen, num_workers=args.workers)
    best, bad_epochs = math.inf, 0
    ckpt_path = os.path.join(args.out, "checkpoint.safetensors")
    best_path = os.path.join(args.out, "best.safetensors")
    meta = _meta(args, data, hidden)
    progress = _progress_factory(args.quiet)
    for epoch in range(start_epoch, args.epochs):
        model.train()
        t0 = time.perf_counter()
        seen, loss_sum = 0, 0.0
        bar = progress(loader, f"epoch {epoch + 1}/{args.epochs}")
        for xb, yb in bar:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            seen += len(xb)
            loss_sum += float(loss) * len(xb)
            if hasattr(bar, "set_postfix"):
                rate = seen / max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", samples_per_s=f"{rate:,.0f}")
        seconds = time.perf_counter() - t0
        train_loss, train_acc, _ = evaluate(model, x_train, y_train)
        val_loss, val_acc, _ = evaluate(model, x_val, y_val)
        history.append({"epoch": epoch + 1, "train_loss": round(train_loss, 6),
                        "train_acc": round(train_acc, 6), "val_loss": round(val_loss, 6),
                        "val_acc": round(val_acc, 6), "seconds": round(seconds, 3)})
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {train_loss:.4f} acc "
              f"{train_acc:.4f} | val loss {val_loss:.4f} acc {val_acc:.4f} | "
              f"{seen / max(seconds, 1e-9):,.0f} samples/s", flush=True)
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                 "scaler": _scaler_state(data),
                 "meta": {**meta, "epoch": epoch + 1, "history": json.dumps(history)}}
        serialization.save(state, ckpt_path)
        _write_text(os.path.join(args.out, "metrics.csv"), _metrics_csv(history))
        if val_loss < best - 1e-9:
            best, bad_epochs = val_loss, 0
            serialization.save(state, best_path)
        else:
            bad_epochs += 1
            if args.early_stopping and bad_epochs >= args.early_stopping:
                print(f"early stopping: no better validation loss in {bad_epochs} epochs")
                break
    _, _, pred = evaluate(model, x_val, y_val)
    counts = confusion_matrix(pred, y_val, data.n_classes)
    print(format_report(counts, data.classes))
    title = f"{args.model} on {args.data}"
    plots.curves(history, os.path.join(args.out, "curves.png"), title)
    plots.confusion(counts, data.classes, os.path.join(args.out, "confusion.png"),
                    f"{title}: validation")
    if data.n_features == 2:
        def predict(grid):
            with no_grad():
                model.eval()
                return model(tensor(grid).float().to(device)).argmax(1).cpu().numpy()
        plots.decision_boundary(predict, data.x_train.numpy(), data.y_train.numpy(),
                                data.classes, os.path.join(args.out, "boundary.png"), title,
                                feature_names=data.feature_names)
    print(f"final validation accuracy {history[-1]['val_acc']:.4f}; wrote {args.out}/"
          "checkpoint.safetensors, best.safetensors, metrics.csv, curves.png, confusion.png")
    return 0


def _resume(args, model, opt, data):
    try:
        ckpt = serialization.load(args.resume)
    except Exception as err:
        raise CLIError(f"cannot read checkpoint {args.resume}: {err}") from None
    meta = ckpt.get("meta", {}) if isinstance(ckpt, dict) else {}
    if meta.get("model") != args.model or meta.get("n_features") != data.n_features or \
            len(meta.get("classes", [])) != data.n_classes:
        raise CLIError(f"checkpoint {args.resume} is for --model {meta.get('model')} with "
                       f"{meta.get('n_features')} features and {len(meta.get('classes', []))} "
                       f"classes; this run has --model {args.model} with {data.n_features} "
                       f"features and {data.n_classes} classes")
    try:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
    except (RuntimeError, KeyError, ValueError) as err:
        raise CLIError(f"checkpoint {args.resume} does not fit this model: "
                       f"{str(err).splitlines()[0]}") from None
    history = json.loads(meta.get("history", "[]"))
    return int(meta.get("epoch", 0)), history


def _progress_factory(quiet: bool):
    if quiet:
        return lambda it, desc: it
    from tqdm import tqdm

    def bar(it, desc):
        return tqdm(it, desc=desc, unit="batch", leave=False, file=sys.stderr,
                    dynamic_ncols=True, mininterval=0.2)
    return bar

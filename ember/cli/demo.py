"""`ember demo`: the tour a newcomer runs first, on bundled data, in well under a minute."""

from __future__ import annotations

import math
import os
import time
import warnings

from .. import backend, cuda, info, nn, optim
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..data import DataLoader, TensorDataset
from ..models import MLP, GaussianBayesClassifier, Perceptron
from ..models.perceptron import ConvergenceWarning
from ..nn import functional as F
from . import plots
from .common import confusion_matrix, load
from .optimizers import draw, race

YUT = {"do": 4 / 16, "gae": 6 / 16, "geol": 4 / 16, "yut": 1 / 16, "mo": 1 / 16}


def add_arguments(p) -> None:
    p.add_argument("--out", default="ember-demo", help="directory for the pictures")
    p.add_argument("--quick", action="store_true", help="a smaller tour (fewer epochs and "
                                                         "steps), for tests")
    p.add_argument("--seed", type=int, default=0)


def _perceptron(out: str, seed: int) -> tuple[str, str]:
    """Setosa against the rest on petal length and width: linearly separable."""
    from .. import datasets
    iris = datasets.iris()
    x = iris.data[:, 2:4]
    y = (iris.targets == 0).long()
    model = Perceptron(seed=seed).fit(x, y)
    plane = model.hyperplane()
    w, b = plane["normal"].tolist(), plane["offset"]
    plots.decision_boundary(lambda g: model.predict(tensor(g)).numpy(), x.numpy(), y.numpy(),
                            ["other", "setosa"], os.path.join(out, "perceptron-iris.png"),
                            "Perceptron: Iris setosa against the rest", (w, b))
    return (f"converged in {model.n_epochs_} epochs, accuracy {model.score(x, y):.3f}",
            f"hyperplane {w[0]:.2f} x1 + {w[1]:.2f} x2 + {b:.2f} = 0, "
            f"{plane['distance_to_origin']:.2f} from the origin")


def _bayes(seed: int) -> str:
    data = load("iris", None, seed, 0.3)
    model = GaussianBayesClassifier().fit(data.x_train, data.y_train)
    return (f"validation accuracy {model.score(data.x_val, data.y_val):.3f} "
            f"(posterior = likelihood x prior, in log space)")


def _train(model, data, epochs: int, device, lr: float, seed: int) -> tuple[float, float]:
    """(validation accuracy, seconds per epoch) of Adam with mini-batches of 64."""
    model = model.to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True,
                        generator=backend.Generator().manual_seed(seed))
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    seconds = (time.perf_counter() - start) / epochs
    model.eval()
    with no_grad():
        pred = model(data.x_val.to(device)).argmax(1).cpu()
    return float((pred == data.y_val).double().mean()), seconds


def _digits(out: str, epochs: int, seed: int) -> list[tuple[str, str]]:
    from ..random import manual_seed
    data = load("digits", None, seed, 0.2)
    rows = []
    devices = [backend.cpu] + ([backend.device("cuda")] if cuda.is_available() else [])
    times = {}
    for name, make in (("softmax regression", lambda: nn.Linear(64, 10)),
                       ("MLP 64-128-10", lambda: MLP([64, 128, 10]))):
        for device in devices:
            manual_seed(seed)
            acc, seconds = _train(make(), data, epochs, device, 0.01, seed)
            times[(name, str(device))] = seconds
            rows.append((f"{name} on digits ({device})",
                         f"validation accuracy {acc:.3f}, {seconds * 1000:.0f} ms per epoch"))
    if len(devices) > 1:
        speedup = times[("MLP 64-128-10", "cpu")] / times[("MLP 64-128-10", "cuda:0")]
        rows.append(("GPU speedup (MLP)", f"{speedup:.1f}x"))
    manual_seed(seed)
    model = MLP([64, 128, 10])
    _train(model, data, epochs, backend.cpu, 0.01, seed)
    with no_grad():
        pred = model(data.x_val).argmax(1)
    plots.confusion(confusion_matrix(pred, data.y_val, 10), data.classes,
                    os.path.join(out, "mlp-digits-confusion.png"), "MLP on digits: validation")
    return rows


def _entropy() -> list[tuple[str, str]]:
    die = info.entropy(tensor([1 / 6] * 6), base=2)
    yut = info.entropy(tensor(list(YUT.values())), base=2)
    face = info.self_information(tensor(1 / 6), base=2)
    return [("entropy of a fair die", f"{float(die):.4f} bits (each face {float(face):.4f} "
                                      "bits)"),
            ("entropy of yut (do gae geol yut mo)", f"{float(yut):.4f} bits")]


def run(args) -> int:
    start = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    epochs = 3 if args.quick else 15
    steps = 100 if args.quick else 400
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result, plane = _perceptron(args.out, args.seed)
    rows += [("perceptron: Iris setosa vs rest", result), ("  its decision hyperplane", plane)]
    rows.append(("Gaussian Bayes classifier on Iris", _bayes(args.seed)))
    rows += _digits(args.out, epochs, args.seed)
    rows += _entropy()
    paths, results = race("rosenbrock", steps, args.seed)
    draw("rosenbrock", paths, os.path.join(args.out, "optimizers-rosenbrock.png"))
    best = min(results, key=lambda r: r[2])
    rows.append((f"optimizers on Rosenbrock ({steps} steps)",
                 f"closest: {best[0]}, {best[2]:.3g} from the minimum"))
    width = max(len(r[0]) for r in rows) + 2
    print("ember demo")
    print("-" * (width + 60))
    for what, result in rows:
        print(f"{what:<{width}}{result}")
    print("-" * (width + 60))
    pictures = sorted(f for f in os.listdir(args.out) if f.endswith(".png"))
    print(f"pictures in {args.out}/: {', '.join(pictures)}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0 if math.isfinite(best[2]) else 1

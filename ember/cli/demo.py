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
    names = [n.replace("_cm", " (cm)").replace("_", " ") for n in iris.feature_names[2:4]]
    plots.decision_boundary(lambda g: model.predict(tensor(g)).numpy(), x.numpy(), y.numpy(),
                            ["other", "setosa"], os.path.join(out, "perceptron-iris.png"),
                            "Perceptron: Iris setosa against the rest", (w, b), names)
    status = (f"converged in {model.n_epochs_} epochs" if model.converged_ else
              f"did not converge in {model.n_epochs_} epochs")
    return (f"{status}, accuracy {model.score(x, y):.3f}",
            f"{w[0]:.2f} x1 {_signed(w[1])} x2 {_signed(b)} = 0 "
            f"(x1, x2: petal length, width in cm), {plane['distance_to_origin']:.2f} from "
            "the origin")


def _signed(v: float) -> str:
    return f"- {abs(v):.2f}" if v < 0 else f"+ {v:.2f}"


def _bayes(seed: int) -> str:
    data = load("iris", None, seed, 0.3)
    model = GaussianBayesClassifier().fit(data.x_train, data.y_train)
    return (f"validation accuracy {model.score(data.x_val, data.y_val):.3f} "
            f"(posterior = likelihood x prior, in log space)")


def _sync(device) -> None:
    if device.type == "cuda":
        cuda.synchronize()


def _train(model, data, epochs: int, device, lr: float, seed: int):
    """(validation accuracy, seconds per epoch, validation predictions) of Adam with
    mini-batches of 64. The time is measured after the first epoch when there are several (the
    first one also pays for warming up: memory pools, kernels compiled on a GPU), and the
    device is synchronised before the clock is read."""
    model = model.to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True,
                        generator=backend.Generator().manual_seed(seed))
    start, timed = time.perf_counter(), epochs
    for epoch in range(epochs):
        if epoch == 1:
            _sync(device)
            start, timed = time.perf_counter(), epochs - 1
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    _sync(device)
    seconds = (time.perf_counter() - start) / timed
    model.eval()
    with no_grad():
        pred = model(data.x_val.to(device)).argmax(1).cpu()
    return float((pred == data.y_val).double().mean()), seconds, pred


def _accelerators() -> tuple[list, str | None]:
    """The devices to race the CPU against, or why there are none."""
    if cuda.is_available():
        return [backend.device("cuda")], None
    try:
        backend.device("cuda").check_available()
    except RuntimeError as err:
        return [], str(err).split(";")[0]
    return [], "CUDA is unavailable"


def _digits(out: str, epochs: int, seed: int, accelerators=None) -> list[tuple[str, str]]:
    """Softmax regression and an MLP on the digits, on the CPU and on each accelerator (CUDA
    when available), with the accelerator's speedup over the CPU for the MLP."""
    from ..random import manual_seed
    data = load("digits", None, seed, 0.2)
    rows = []
    if accelerators is None:
        accelerators, why_not = _accelerators()
    else:
        why_not = None
    times, cpu_pred = {}, None
    mlp = "MLP 64-128-10"
    for name, make in (("softmax regression", lambda: nn.Linear(64, 10)),
                       (mlp, lambda: MLP([64, 128, 10]))):
        for device in [backend.cpu, *accelerators]:
            manual_seed(seed)
            try:
                acc, seconds, pred = _train(make(), data, epochs, device, 0.01, seed)
            except Exception as err:  # a broken GPU set-up must not end the tour
                first = str(err).splitlines()[0] if str(err) else type(err).__name__
                rows.append((f"{name} on digits ({device})", f"failed: {first}"))
                continue
            times[(name, str(device))] = seconds
            if name == mlp and device == backend.cpu:
                cpu_pred = pred
            rows.append((f"{name} on digits ({device})",
                         f"validation accuracy {acc:.3f}, {seconds * 1000:.0f} ms per epoch"))
    for device in accelerators:
        if (mlp, "cpu") in times and (mlp, str(device)) in times:
            speedup = times[(mlp, "cpu")] / max(times[(mlp, str(device))], 1e-12)
            rows.append((f"{device} speedup over the CPU (MLP)", f"{speedup:.1f}x"))
    if why_not is not None:
        rows.append(("CPU vs GPU", f"CPU only here ({why_not})"))
    if cpu_pred is not None:
        plots.confusion(confusion_matrix(cpu_pred, data.y_val, 10), data.classes,
                        os.path.join(out, "mlp-digits-confusion.png"),
                        f"{mlp} on digits: validation ({len(data.y_val)} images)")
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
    draw("rosenbrock", paths, os.path.join(args.out, "optimizers-rosenbrock.png"), results)
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

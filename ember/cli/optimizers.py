"""`ember optimizers`: the optimizers race from one start on a test function, their paths drawn
on its contour plot."""

from __future__ import annotations

import math
import os

from .. import backend, optim
from ..creation import tensor
from . import plots
from .common import CLIError


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
            + (2.625 - x + x * y * y * y) ** 2)


def _himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _quadratic(x, y):
    return 0.5 * (x * x + 10 * y * y)


# name: (function, start, minima, plot bounds)
FUNCTIONS = {
    "rosenbrock": (_rosenbrock, (-1.5, 2.0), [(1.0, 1.0)], ((-2.0, 2.0), (-1.0, 3.0))),
    "beale": (_beale, (1.0, 1.5), [(3.0, 0.5)], ((-1.0, 4.0), (-1.5, 2.0))),
    "himmelblau": (_himmelblau, (0.0, -4.0),
                   [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                    (3.584428, -1.848126)], ((-5.0, 5.0), (-5.0, 5.0))),
    "quadratic": (_quadratic, (-4.0, 2.0), [(0.0, 0.0)], ((-5.0, 5.0), (-3.0, 3.0))),
}

# name: (factory(params, lr), gradient noise as a fraction of the gradient's norm)
RACERS = {
    "gradient descent": (lambda p, lr: optim.SGD(p, lr=lr), 0.0),
    "SGD (noisy gradient)": (lambda p, lr: optim.SGD(p, lr=lr), 0.5),
    "momentum": (lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9), 0.0),
    "Nesterov (NAG)": (lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True), 0.0),
    "Adagrad": (lambda p, lr: optim.Adagrad(p, lr=lr), 0.0),
    "Adadelta": (lambda p, lr: optim.Adadelta(p, lr=lr), 0.0),
    "RMSprop": (lambda p, lr: optim.RMSprop(p, lr=lr), 0.0),
    "Adam": (lambda p, lr: optim.Adam(p, lr=lr), 0.0),
}

# learning rates per function, chosen from a grid so that each method is stable and typical
# (not the best possible: the picture should show the methods' characters)
LEARNING_RATES = {
    "rosenbrock": {"gradient descent": 1e-3, "SGD (noisy gradient)": 1e-3, "momentum": 1e-3,
                   "Nesterov (NAG)": 1e-3, "Adagrad": 0.3, "Adadelta": 10.0, "RMSprop": 0.03,
                   "Adam": 0.1},
    "beale": {"gradient descent": 0.01, "SGD (noisy gradient)": 0.01, "momentum": 3e-3,
              "Nesterov (NAG)": 3e-3, "Adagrad": 0.3, "Adadelta": 3.0, "RMSprop": 0.01,
              "Adam": 0.1},
    "himmelblau": {"gradient descent": 1e-3, "SGD (noisy gradient)": 1e-3, "momentum": 3e-4,
                   "Nesterov (NAG)": 3e-4, "Adagrad": 0.3, "Adadelta": 1.0, "RMSprop": 0.03,
                   "Adam": 0.1},
    "quadratic": {"gradient descent": 0.09, "SGD (noisy gradient)": 0.09, "momentum": 0.03,
                  "Nesterov (NAG)": 0.03, "Adagrad": 1.0, "Adadelta": 3.0, "RMSprop": 0.03,
                  "Adam": 0.1},
}


def add_arguments(p) -> None:
    p.add_argument("--function", default="rosenbrock", choices=sorted(FUNCTIONS))
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=".", help="directory for the picture")


def race(name: str, steps: int, seed: int = 0) -> tuple[dict, list]:
    """Each optimizer's path (a list of points) and its result rows (name, final loss,
    distance to the nearest minimum)."""
    if name not in FUNCTIONS:
        raise CLIError(f"unknown function {name!r}: use one of {', '.join(sorted(FUNCTIONS))}")
    if steps <= 0:
        raise CLIError(f"--steps must be positive, got {steps}")
    f, start, minima, _ = FUNCTIONS[name]
    rng = backend.Generator().manual_seed(seed).rng
    paths, rows = {}, []
    for racer, (make, noise) in RACERS.items():
        point = tensor(list(start), dtype=backend.float64, requires_grad=True)
        opt = make([point], LEARNING_RATES[name][racer])
        path = [tuple(start)]
        for _ in range(steps):
            opt.zero_grad()
            loss = f(point[0], point[1])
            loss.backward()
            if noise:
                scale = noise * float(point.grad.norm()) + 1e-3
                point.grad.add_(tensor(rng.normal(0, scale, 2)))
            opt.step()
            xy = point.detach().tolist()
            if not all(math.isfinite(v) for v in xy):
                break
            path.append(tuple(xy))
        final = path[-1]
        value = float(f(tensor(final[0]), tensor(final[1])))
        distance = min(math.dist(final, m) for m in minima)
        paths[racer] = path
        rows.append((racer, value, distance))
    return paths, rows


def draw(name: str, paths: dict, path: str, rows=None) -> str:
    """The contour plot with the paths (rows from race(): each optimizer's final distance to
    the minimum goes into the legend)."""
    f, _, minima, bounds = FUNCTIONS[name]
    labels = None if rows is None else {r[0]: f"{r[2]:.3g}" for r in rows}
    steps = max(len(p) for p in paths.values()) - 1
    return plots.optimizer_paths(lambda gx, gy: f(gx, gy), paths, minima, path,
                                 f"Optimizers on the {name.capitalize()} function "
                                 f"({steps} steps from {FUNCTIONS[name][1]})", bounds, labels)


def table(rows) -> str:
    lines = [f"{'optimizer':<22}{'final loss':>14}{'distance to minimum':>22}"]
    for racer, value, distance in rows:
        lines.append(f"{racer:<22}{value:>14.6g}{distance:>22.6g}")
    return "\n".join(lines)


def run(args) -> int:
    paths, rows = race(args.function, args.steps, args.seed)
    os.makedirs(args.out, exist_ok=True)
    picture = draw(args.function, paths, os.path.join(args.out,
                                                      f"optimizers-{args.function}.png"), rows)
    print(f"{args.steps} steps on the {args.function} function from "
          f"{FUNCTIONS[args.function][1]}")
    print(table(rows))
    best = min(rows, key=lambda r: r[2])
    print(f"closest to a minimum: {best[0]} ({best[2]:.3g} away); picture: {picture}")
    return 0

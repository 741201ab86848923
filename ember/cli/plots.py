"""The pictures the `ember` command draws (matplotlib with the Agg backend: no display needed).
Every figure is written atomically: to a temporary name, then renamed."""

from __future__ import annotations

import os

import matplotlib

from .. import backend

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def save(fig, path: str) -> str:
    tmp = f"{path}.tmp-{os.getpid()}.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def curves(history: list[dict], path: str, title: str) -> str:
    """Loss and accuracy per epoch, training and validation."""
    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(epochs, [h["train_loss"] for h in history], "o-", label="training")
    a.plot(epochs, [h["val_loss"] for h in history], "s-", label="validation")
    a.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    b.plot(epochs, [h["train_acc"] for h in history], "o-", label="training")
    b.plot(epochs, [h["val_acc"] for h in history], "s-", label="validation")
    b.set(title="Accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return save(fig, path)


def confusion(counts, classes, path: str, title: str) -> str:
    """The confusion matrix as a heat map with its counts."""
    k = len(classes)
    fig, ax = plt.subplots(figsize=(1.2 + 0.55 * k, 1.0 + 0.5 * k))
    im = ax.imshow(counts, cmap="Blues")
    long = max((len(str(c)) for c in classes), default=0) > 3
    ax.set_xticks(range(k), [str(c)[:10] for c in classes], rotation=45 if long else 0,
                  ha="right" if long else "center")
    ax.set_yticks(range(k), [str(c)[:10] for c in classes])
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    top = counts.max() if counts.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if counts[i, j] > top / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, label="samples")
    return save(fig, path)


def decision_boundary(predict, x, y, classes, path: str, title: str, hyperplane=None,
                      feature_names=None) -> str:
    """The regions a 2-D classifier assigns to each class, with the samples on top (and, for a
    perceptron, its hyperplane w . x + b = 0 as a line); the axes are named after the
    features."""
    np = backend.cpu.xp

    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y)
    pad = 0.5
    lo, hi = xs.min(0) - pad, xs.max(0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    z = np.asarray(predict(grid)).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(6, 5))
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap(_COLORS[:len(classes)])
    ax.contourf(gx, gy, z, levels=np.arange(len(classes) + 1) - 0.5, cmap=cmap, alpha=0.25)
    for k, name in enumerate(classes):
        pts = xs[ys == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=14, color=_COLORS[k % 10], label=str(name),
                   edgecolors="white", linewidths=0.4)
    if hyperplane is not None:
        w, b = hyperplane
        if abs(w[1]) > 1e-12:
            line = np.linspace(lo[0], hi[0], 2)
            ax.plot(line, -(w[0] * line + b) / w[1], "k-", lw=2, label="w . x + b = 0")
        else:
            ax.axvline(-b / w[0], color="k", lw=2, label="w . x + b = 0")
        ax.set_ylim(lo[1], hi[1])
    names = list(feature_names or [])[:2]
    xlabel, ylabel = names if len(names) == 2 else ("x1", "x2")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="best", fontsize=8, title="class", title_fontsize=8)
    return save(fig, path)


def optimizer_paths(func_grid, paths: dict, minima, path: str, title: str, bounds,
                    labels: dict | None = None) -> str:
    """Optimizers' paths on the contour plot of a 2-D function (labels: extra legend text per
    optimizer, such as its final distance to the minimum)."""
    np = backend.cpu.xp

    (x0, x1), (y0, y1) = bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    z = func_grid(gx, gy)
    fig, ax = plt.subplots(figsize=(9, 6))
    levels = np.logspace(np.log10(max(z.min(), 1e-6) + 1e-3), np.log10(z.max() + 1e-3), 25)
    ax.contour(gx, gy, z + 1e-3, levels=levels, cmap="viridis", linewidths=0.7, alpha=0.6,
               norm=matplotlib.colors.LogNorm())  # level sets, log-spaced
    colors = [c for c in _COLORS if c != "#7f7f7f"] + ["#000000"]  # no grey on grey contours
    for k, (name, pts) in enumerate(paths.items()):
        pts = np.asarray(pts)
        label = name if labels is None else f"{name}: {labels[name]}"
        ax.plot(pts[:, 0], pts[:, 1], "-", color=colors[k % len(colors)], lw=1.6, alpha=0.9,
                label=label)
        ax.plot(pts[-1, 0], pts[-1, 1], "o", color=colors[k % len(colors)], ms=6,
                markeredgecolor="white")
    first = np.asarray(next(iter(paths.values())))[0]
    ax.plot(first[0], first[1], "k^", ms=10, label="start")
    for i, m in enumerate(minima):
        ax.plot(m[0], m[1], "*", color="gold", markeredgecolor="black", ms=15,
                label="minimum" if i == 0 else None)
    ax.set(title=title, xlabel="x", ylabel="y", xlim=(x0, x1), ylim=(y0, y1))
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8,
              title="optimizer (final distance to the minimum)", title_fontsize=8)
    return save(fig, path)


def bars(values: dict, path: str, title: str, ylabel: str) -> str:
    fig, ax = plt.subplots(figsize=(6, 4))
    names = list(values)
    ax.bar(names, [values[n] for n in names], color=_COLORS[:len(names)])
    for i, n in enumerate(names):
        ax.text(i, values[n], f"{values[n]:.3f}", ha="center", va="bottom")
    ax.set(title=title, ylabel=ylabel)
    return save(fig, path)

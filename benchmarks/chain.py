"""Autograd overhead: a chain of 300 small elementwise ops with autograd.

On a (16,) float32 tensor, 100 times `y = tanh(y * 1.01 + 0.1)` (300 ops), then
`y.sum().backward()`. Prints microseconds per op (forward and backward together) for ember,
for PyTorch when it is installed, and for a hand-written NumPy forward and backward of the same
chain (the floor for any NumPy-based framework).

    python benchmarks/chain.py
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

import ember

N_OPS = 300
WARMUP = 20


def ember_chain():
    x = ember.randn(16, requires_grad=True)
    y = x
    for _ in range(N_OPS // 3):
        y = ember.tanh(y * 1.01 + 0.1)
    y.sum().backward()
    return x.grad


def numpy_chain():
    x = np.random.standard_normal(16).astype(np.float32)
    outs = []
    y = x
    for _ in range(N_OPS // 3):
        y = np.tanh(y * np.float32(1.01) + np.float32(0.1))
        outs.append(y)
    g = np.ones_like(y)
    for y in reversed(outs):
        g = g * (1 - y * y) * np.float32(1.01)
    return g


def torch_chain(torch):
    x = torch.randn(16, requires_grad=True)
    y = x
    for _ in range(N_OPS // 3):
        y = torch.tanh(y * 1.01 + 0.1)
    y.sum().backward()
    return x.grad


def per_op_us(fns: dict, rounds: int = 15, per_round: int = 20) -> dict:
    """Best (least disturbed) time per op of each function; the functions take turns, round
    after round, so a noisy neighbour on a shared machine slows all of them alike."""
    for fn in fns.values():
        for _ in range(WARMUP):
            fn()
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / per_round)
    return {name: t / N_OPS * 1e6 for name, t in best.items()}


def main() -> None:
    fns = {"ember": ember_chain, "NumPy by hand": numpy_chain}
    try:
        import torch
        fns[f"PyTorch {torch.__version__}"] = lambda: torch_chain(torch)
    except ImportError:
        torch = None
    times = per_op_us(fns)
    print(f"chain of {N_OPS} elementwise ops on a (16,) float32 tensor, forward + backward")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}")
    print(f"{'':<24}{'us per op':>10}")
    for name, us in times.items():
        print(f"{name:<24}{us:>10.2f}")
    if torch is not None:
        ratio = times["ember"] / times[f"PyTorch {torch.__version__}"]
        print(f"summary: ember takes {ratio:.2f}x PyTorch's time per op (target <= 0.4x)")
    else:
        print(f"summary: ember {times['ember']:.2f} us per op (PyTorch not installed)")


if __name__ == "__main__":
    main()

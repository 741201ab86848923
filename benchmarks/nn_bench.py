"""Training-step benchmarks: ember.nn / ember.optim against PyTorch in the same run.

- MLP step: batch 128, 784-512-256-10, ReLU, cross_entropy, Adam (target <= 0.9x PyTorch).
- CNN step: batch 64, 1x28x28, conv(1->32, 3x3, pad 1)-ReLU-maxpool 2-conv(32->64, 3x3,
  pad 1)-ReLU-maxpool 2-flatten-linear(3136->10), cross_entropy, SGD momentum 0.9
  (target <= 0.8x PyTorch).
- Adam update alone on a 10M-element parameter (target <= PyTorch).
- Peak resident memory of 200 MLP steps, each framework in a fresh process
  (target <= 0.5x PyTorch).

This machine may be a noisy shared VM: the timed benchmarks interleave ember and PyTorch round
by round and report each one's best round (the median of its steps in that round).

    python benchmarks/nn_bench.py [--rounds 7] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ember  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import ember.optim as optim  # noqa: E402

torch = None
if os.environ.get("EMBER_BENCH_NO_TORCH") != "1":
    try:
        import torch
    except ImportError:
        torch = None


# --------------------------------------------------------------------------------- workloads

def _data(batch: int, shape: tuple, classes: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    y = rng.integers(0, classes, batch).astype(np.int64)
    return x, y


def ember_mlp():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = _data(128, (784,))
    x, y = ember.from_numpy(x), ember.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_mlp():
    torch.manual_seed(0)
    tnn = torch.nn
    model = tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 256), tnn.ReLU(),
                           tnn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _data(128, (784,))
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def ember_cnn():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3136, 10))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data(64, (1, 28, 28))
    x, y = ember.from_numpy(x), ember.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_cnn():
    torch.manual_seed(0)
    tnn = torch.nn
    model = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Flatten(), tnn.Linear(3136, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data(64, (1, 28, 28))
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


N_ADAM = 10_000_000


def ember_adam():
    rng = np.random.default_rng(0)
    p = nn.Parameter(ember.from_numpy(rng.standard_normal(N_ADAM).astype(np.float32)))
    p.grad = ember.from_numpy(rng.standard_normal(N_ADAM).astype(np.float32))
    opt = optim.Adam([p], lr=1e-3)
    return opt.step


def torch_adam():
    rng = np.random.default_rng(0)
    p = torch.nn.Parameter(torch.from_numpy(rng.standard_normal(N_ADAM).astype(np.float32)))
    p.grad = torch.from_numpy(rng.standard_normal(N_ADAM).astype(np.float32))
    opt = torch.optim.Adam([p], lr=1e-3)
    return opt.step


# ----------------------------------------------------------------------------------- timing

def _round(step, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(makers: dict, rounds: int, steps: int, warmup: int = 3) -> dict:
    """{name: best round's median seconds per step}, the frameworks alternating per round."""
    steps_fns = {name: make() for name, make in makers.items()}
    for fn in steps_fns.values():
        for _ in range(warmup):
            fn()
    best = {name: float("inf") for name in makers}
    for _ in range(rounds):
        for name, fn in steps_fns.items():
            best[name] = min(best[name], _round(fn, steps))
    return best


# ----------------------------------------------------------------------------- peak memory

_MEMORY_CHILD = """
import sys
sys.path.insert(0, {root!r})
sys.argv = ['x']
import benchmarks.nn_bench as b
if {fn!r}.startswith("torch"):
    import torch
    b.torch = torch
step = b.{fn}()
for _ in range(200):
    step()
# VmHWM: the peak RSS of this process's own memory map. (ru_maxrss would also count the
# parent's size at fork time, which Linux carries across exec.)
with open("/proc/self/status") as fh:
    print(next(line.split()[1] for line in fh if line.startswith("VmHWM")))
"""


def peak_rss_mib(fn: str) -> float:
    """Peak resident set size of a fresh process running 200 steps of `fn` (MiB)."""
    code = _MEMORY_CHILD.format(root=ROOT, fn=fn)
    env = dict(os.environ)
    if fn.startswith("ember"):
        env["EMBER_BENCH_NO_TORCH"] = "1"   # the ember process never loads PyTorch
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env=env)
    kib = int(out.stdout.strip().splitlines()[-1])
    return kib / 1024.0


# ------------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and steps")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only", default="mlp,cnn,adam,memory",
                        help="comma-separated subset of mlp, cnn, adam, memory")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    have_torch = torch is not None
    print(f"ember {ember.__version__}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
             if have_torch else ", torch not installed")
          + f"; {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    rows = []
    benches = [("MLP step (Adam)", ember_mlp, torch_mlp, 20, 0.9),
               ("CNN step (SGD momentum)", ember_cnn, torch_cnn, 8, 0.8),
               ("Adam update, 10M params", ember_adam, torch_adam, 5, 1.0)]
    only = set(args.only.split(","))
    benches = [b for b, key in zip(benches, ("mlp", "cnn", "adam")) if key in only]
    for label, e_fn, t_fn, steps, target in benches:
        makers = {"ember": e_fn}
        if have_torch:
            makers["torch"] = t_fn
        best = interleaved(makers, rounds, steps if not args.quick else max(steps // 2, 3))
        rows.append((label, best["ember"] * 1e3, best.get("torch", float("nan")) * 1e3, target,
                     "ms"))
    if "memory" in only:
        e_mem = peak_rss_mib("ember_mlp")
        t_mem = peak_rss_mib("torch_mlp") if have_torch else float("nan")
        rows.append(("Peak RSS, 200 MLP steps", e_mem, t_mem, 0.5, "MiB"))

    print()
    print(f"{'benchmark':<28}{'ember':>12}{'PyTorch':>12}{'ratio':>9}{'target':>9}  ok")
    met = 0
    for label, e, t, target, unit in rows:
        ratio = e / t if have_torch else float("nan")
        ok = have_torch and ratio <= target
        met += ok
        print(f"{label:<28}{e:>9.2f} {unit:<3}{t:>8.2f} {unit:<3}{ratio:>8.2f}x"
              f"{target:>8.2f}x  {'yes' if ok else ('no' if have_torch else '-')}")
    print()
    if have_torch:
        print(f"summary: {met}/{len(rows)} targets met (ember/PyTorch ratios: "
              + ", ".join(f"{r[0].split(',')[0]} {r[1] / r[2]:.2f}x" for r in rows) + ")")
    else:
        print("summary: PyTorch not installed; ember times only")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([{"benchmark": r[0], "ember": r[1], "torch": r[2], "target": r[3],
                        "unit": r[4]} for r in rows], fh, indent=1)


if __name__ == "__main__":
    main()

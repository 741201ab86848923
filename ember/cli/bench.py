"""`ember bench`: CPU-vs-GPU benchmarks of ember.

- matmul GFLOP/s: float32 on the CPU and the GPU; float16 and TF32 float32 on the GPU (TF32
  where this CuPy can switch cuBLAS to it);
- the MLP training step (batch 4096, 784-2048-2048-10, ReLU, cross_entropy, Adam) and the CNN step
  of benchmarks/nn_bench.py at batch 512 (SGD momentum 0.9), on the CPU and the GPU, with the
  GPU's speedup over ember's own CPU path.

Without a GPU the CPU parts run and the report says why the GPU is unavailable. PyTorch is never
imported here; benchmarks/gpu.py runs this same suite with PyTorch (CPU and CUDA) alongside.
Each timing is the median of `--steps` calls after warm-up, the GPU synchronized around each.
"""

from __future__ import annotations

import json
import platform
import statistics
import time

from .. import __version__, backend, cuda

MLP_SIZES = (784, 2048, 2048, 10)
MLP_BATCH = 4096
CNN_BATCH = 512


def add_arguments(p) -> None:
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "both"], default="auto",
                   help="where to run (auto: the CPU, and the GPU when there is one)")
    p.add_argument("--quick", action="store_true",
                   help="small sizes and few steps (a smoke test, not a measurement)")
    p.add_argument("--steps", type=int, default=None, help="timed calls per case")
    p.add_argument("--matmul-size", type=int, default=None,
                   help="n of the n x n matmul (default: 8192 on the GPU, 2048 on the CPU)")
    p.add_argument("--json", metavar="PATH", default=None, help="also write the results as JSON")


# ------------------------------------------------------------------------------------ timing

def _sync(dev) -> None:
    dev.synchronize()


def time_step(step, dev, steps: int, warmup: int = 2) -> float:
    """Median seconds of one call of step() on device dev (synchronized)."""
    for _ in range(warmup):
        step()
    _sync(dev)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --------------------------------------------------------------------------------- workloads

def _host_data(batch: int, shape: tuple, classes: int = 10, seed: int = 0):
    rng = backend.cpu.xp.random.default_rng(seed)
    x = rng.standard_normal((batch,) + shape).astype("float32")
    y = rng.integers(0, classes, batch).astype("int64")
    return x, y


def ember_matmul(dev, n: int, dtype):
    import ember
    a = ember.randn(n, n, device=dev).to(dtype)
    b = ember.randn(n, n, device=dev).to(dtype)
    return lambda: a @ b


def ember_mlp(dev, batch: int = MLP_BATCH, sizes=MLP_SIZES):
    import ember

    from .. import nn, optim
    ember.manual_seed(0)
    layers = []
    for i, (m, k) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(m, k))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(dev)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = _host_data(batch, (sizes[0],), sizes[-1])
    x, y = ember.tensor(x, device=dev), ember.tensor(y, device=dev)

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def ember_cnn(dev, batch: int = CNN_BATCH):
    import ember

    from .. import nn, optim
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3136, 10)).to(dev)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _host_data(batch, (1, 28, 28))
    x, y = ember.tensor(x, device=dev), ember.tensor(y, device=dev)

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


# ------------------------------------------------------------------------------------ suite

def gpu_status() -> tuple[bool, str]:
    """(available, the GPU's name or why CUDA is unavailable)."""
    if cuda.is_available():
        return True, cuda.get_device_name()
    try:
        backend.device("cuda").check_available()
    except RuntimeError as err:
        return False, str(err)
    return False, "CUDA is unavailable"


def cases(devices, quick: bool, matmul_size: int | None):
    """(workload, label, device, make, flops per call or None) for ember."""
    out = []
    for dev in devices:
        gpu = dev.type == "cuda"
        n = matmul_size or (512 if quick else (8192 if gpu else 2048))
        out.append(("matmul", f"float32 {n}x{n}", dev,
                    lambda d=dev, n=n: ember_matmul(d, n, backend.float32), 2 * n ** 3))
        if gpu:
            out.append(("matmul", f"float16 {n}x{n}", dev,
                        lambda d=dev, n=n: ember_matmul(d, n, backend.float16), 2 * n ** 3))
            out.append(("matmul", f"tf32 {n}x{n}", dev, lambda d=dev, n=n: _tf32(d, n),
                        2 * n ** 3))
        mlp_batch = 256 if quick else MLP_BATCH
        cnn_batch = 32 if quick else CNN_BATCH
        out.append(("mlp", f"batch {mlp_batch}, 784-2048-2048-10, Adam", dev,
                    lambda d=dev, b=mlp_batch: ember_mlp(d, b), None))
        out.append(("cnn", f"batch {cnn_batch}, nn benchmark CNN, SGD", dev,
                    lambda d=dev, b=cnn_batch: ember_cnn(d, b), None))
    return out


def _tf32(dev, n):
    if not backend.cuda_set_float32_matmul_tf32(True):
        raise RuntimeError("this CuPy cannot switch float32 matmuls to TF32")
    step = ember_matmul(dev, n, backend.float32)

    def run():
        backend.cuda_set_float32_matmul_tf32(True)
        try:
            return step()
        finally:
            backend.cuda_set_float32_matmul_tf32(False)
    backend.cuda_set_float32_matmul_tf32(False)
    return run


def run_suite(devices, *, quick=False, steps=None, matmul_size=None, extra=(), log=print):
    """Time every case; `extra` adds (workload, label, framework, device_type, make, flops,
    sync) rows (benchmarks/gpu.py's PyTorch ones). Returns a list of result dicts."""
    results = []
    rows = [(w, label, "ember", d.type, make, flops, d) for w, label, d, make, flops in
            cases(devices, quick, matmul_size)]
    rows += list(extra)
    for workload, label, framework, dev_type, make, flops, sync_dev in rows:
        n_steps = steps or (3 if quick else (20 if dev_type == "cuda" else 5))
        entry = {"workload": workload, "case": label, "framework": framework,
                 "device": dev_type}
        try:
            step = make()
            if hasattr(sync_dev, "synchronize"):
                secs = time_step(step, sync_dev, n_steps)
            else:
                secs = _time_with(step, sync_dev, n_steps)
        except Exception as err:  # a case that cannot run here is reported, not fatal
            entry["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            log(f"  {framework:6} {dev_type:4} {workload:6} {label}: FAILED ({entry['error']})")
            results.append(entry)
            continue
        entry["seconds"] = secs
        if flops:
            entry["gflops"] = flops / secs / 1e9
        log(f"  {framework:6} {dev_type:4} {workload:6} {label}: {secs * 1e3:9.2f} ms"
            + (f"  {entry['gflops']:9.1f} GFLOP/s" if flops else ""))
        results.append(entry)
    return results


def _time_with(step, sync, steps, warmup=2):
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def summarize(results) -> list[str]:
    """Speedups: ember GPU over ember CPU, and ember over PyTorch on the same device."""
    by = {(r["framework"], r["device"], r["workload"], r["case"]): r for r in results
          if "seconds" in r}
    lines = []
    for (fw, dev, w, _case), r in by.items():
        if fw == "ember" and dev == "cuda" and w in ("mlp", "cnn"):
            cpu_rows = [c for (f2, d2, w2, _), c in by.items() if (f2, d2, w2) ==
                        ("ember", "cpu", w)]
            if cpu_rows:
                lines.append(f"ember {w} step: GPU {cpu_rows[0]['seconds'] / r['seconds']:.1f}x "
                             "faster than ember's CPU path")
    for (fw, dev, w, case), r in by.items():
        if fw != "ember":
            e = by.get(("ember", dev, w, case))
            if e is not None:
                if "gflops" in r:
                    lines.append(f"{w} {case} on {dev}: ember at "
                                 f"{100 * e['gflops'] / r['gflops']:.0f}% of {fw}'s rate")
                else:
                    lines.append(f"{w} {case} on {dev}: ember takes "
                                 f"{e['seconds'] / r['seconds']:.2f}x {fw}'s time")
    return lines


def header() -> dict:
    ok, gpu = gpu_status()
    return {"ember": __version__, "python": platform.python_version(),
            "numpy": backend.cpu.xp.__version__, "cpu": platform.processor() or
            platform.machine(), "gpu": gpu if ok else None,
            "gpu_unavailable": None if ok else gpu}


def resolve_devices(choice: str):
    ok, why = gpu_status()
    if choice == "cpu":
        return [backend.cpu]
    if choice in ("cuda", "both") and not ok:
        from .common import CLIError
        raise CLIError(why)
    if choice == "cuda":
        return [backend.device("cuda")]
    return [backend.cpu] + ([backend.device("cuda")] if ok else [])


def run(args, extra=()) -> int:
    devices = resolve_devices(args.device)
    head = header()
    print(f"ember {head['ember']} bench: Python {head['python']}, NumPy {head['numpy']}")
    print(f"GPU: {head['gpu']}" if head["gpu"] else
          f"GPU unavailable, running the CPU parts only ({head['gpu_unavailable']})")
    results = run_suite(devices, quick=args.quick, steps=args.steps,
                        matmul_size=args.matmul_size, extra=extra)
    for line in summarize(results):
        print(line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"header": head, "results": results}, fh, indent=1)
    return 0

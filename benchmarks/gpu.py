"""CPU-vs-GPU benchmark: `ember bench`'s suite with PyTorch (CPU and CUDA) in the same run.

- matmul GFLOP/s: float32 (8192 x 8192 on the GPU, 2048 on the CPU), float16 and TF32 on the GPU;
- MLP training step: batch 4096, 784-2048-2048-10, ReLU, cross_entropy, Adam;
- CNN training step of benchmarks/nn_bench.py at batch 512 (SGD momentum 0.9);
on the CPU and the GPU, with the GPU's speedup over ember's CPU path and ember's ratio to PyTorch.
Targets on the GPU (issue 8): matmul >= 90% of PyTorch's rate, MLP <= 1.3x PyTorch's time,
CNN <= 2x. Without a GPU the CPU parts run and the GPU is reported unavailable.

    python benchmarks/gpu.py [--device auto|cpu|cuda|both] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ember.cli import bench  # noqa: E402

torch = None
if os.environ.get("EMBER_BENCH_NO_TORCH") != "1":
    try:
        import torch
    except ImportError:
        torch = None


def _torch_matmul(dev, n, dtype, tf32=False):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    a = torch.randn(n, n, device=dev, dtype=dtype)
    b = torch.randn(n, n, device=dev, dtype=dtype)
    return lambda: a @ b


def _torch_model(kind, dev, batch):
    torch.manual_seed(0)
    tnn = torch.nn
    if kind == "mlp":
        sizes = bench.MLP_SIZES
        layers = []
        for i, (m, k) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(tnn.Linear(m, k))
            if i < len(sizes) - 2:
                layers.append(tnn.ReLU())
        model = tnn.Sequential(*layers).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = bench._host_data(batch, (sizes[0],), sizes[-1])
    else:
        model = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Flatten(), tnn.Linear(3136, 10)).to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = bench._host_data(batch, (1, 28, 28))
    x, y = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_rows(devices, quick, matmul_size):
    """PyTorch's rows, labelled as ember's so that the summary pairs them."""
    if torch is None:
        return []
    rows = []
    for dev in devices:
        gpu = dev.type == "cuda"
        if gpu and not torch.cuda.is_available():
            continue
        tdev = "cuda" if gpu else "cpu"

        def sync(gpu=gpu):
            if gpu:
                torch.cuda.synchronize()
        n = matmul_size or (512 if quick else (8192 if gpu else 2048))
        f = 2 * n ** 3
        rows.append(("matmul", f"float32 {n}x{n}", "torch", dev.type,
                     lambda d=tdev, n=n: _torch_matmul(d, n, torch.float32), f, sync))
        if gpu:
            rows.append(("matmul", f"float16 {n}x{n}", "torch", dev.type,
                         lambda d=tdev, n=n: _torch_matmul(d, n, torch.float16), f, sync))
            rows.append(("matmul", f"tf32 {n}x{n}", "torch", dev.type,
                         lambda d=tdev, n=n: _torch_matmul(d, n, torch.float32, True), f, sync))
        mb = 256 if quick else bench.MLP_BATCH
        cb = 32 if quick else bench.CNN_BATCH
        rows.append(("mlp", f"batch {mb}, 784-2048-2048-10, Adam", "torch", dev.type,
                     lambda d=tdev, b=mb: _torch_model("mlp", d, b), None, sync))
        rows.append(("cnn", f"batch {cb}, nn benchmark CNN, SGD", "torch", dev.type,
                     lambda d=tdev, b=cb: _torch_model("cnn", d, b), None, sync))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench.add_arguments(p)
    args = p.parse_args(argv)
    devices = bench.resolve_devices(args.device)
    if torch is None:
        print("PyTorch is not installed: ember only")
    else:
        print(f"PyTorch {torch.__version__}"
              + (f", CUDA {torch.version.cuda}" if torch.cuda.is_available() else ", no CUDA"))
    extra = torch_rows(devices, args.quick, args.matmul_size)
    return bench.run(args, extra=extra)


if __name__ == "__main__":
    sys.exit(main())

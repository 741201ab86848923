"""`ember bench`: runs the CPU parts anywhere and says when the GPU is unavailable."""

import json

import pytest

import ember
from ember.cli import bench
from ember.cli.main import main


@pytest.mark.usefixtures("on_cpu")
def test_bench_cpu_quick_writes_results(tmp_path, capsys):
    out = tmp_path / "bench.json"
    rc = main(["bench", "--quick", "--device", "cpu", "--steps", "1", "--matmul-size", "64",
               "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    got = {(r["workload"], r["device"]) for r in data["results"]}
    assert got == {("matmul", "cpu"), ("mlp", "cpu"), ("cnn", "cpu")}
    for r in data["results"]:
        assert "error" not in r, r
        assert r["seconds"] > 0 and r["framework"] == "ember"
    mm = next(r for r in data["results"] if r["workload"] == "matmul")
    assert mm["gflops"] == pytest.approx(2 * 64 ** 3 / mm["seconds"] / 1e9)
    if not ember.cuda.is_available():
        assert "GPU unavailable, running the CPU parts only" in text
        assert data["header"]["gpu"] is None and "CUDA is unavailable" in \
            data["header"]["gpu_unavailable"]


def test_bench_on_cuda_without_a_gpu_is_a_clear_error(capsys):
    if ember.cuda.is_available():
        pytest.skip("checks the behaviour where CUDA is unavailable")
    assert main(["bench", "--device", "cuda"]) == 2
    assert "CUDA is unavailable" in capsys.readouterr().err


def test_summary_speedups_and_ratios():
    results = [
        {"workload": "mlp", "case": "c", "framework": "ember", "device": "cpu", "seconds": 2.0},
        {"workload": "mlp", "case": "c", "framework": "ember", "device": "cuda", "seconds": 0.05},
        {"workload": "mlp", "case": "c", "framework": "torch", "device": "cuda", "seconds": 0.04},
        {"workload": "matmul", "case": "m", "framework": "ember", "device": "cuda",
         "seconds": 1.0, "gflops": 45.0},
        {"workload": "matmul", "case": "m", "framework": "torch", "device": "cuda",
         "seconds": 1.0, "gflops": 50.0},
        {"workload": "cnn", "case": "k", "framework": "ember", "device": "cuda", "error": "x"},
    ]
    lines = bench.summarize(results)
    assert "ember mlp step: GPU 40.0x faster than ember's CPU path" in lines
    assert "mlp c on cuda: ember takes 1.25x torch's time" in lines
    assert "matmul m on cuda: ember at 90% of torch's rate" in lines
    assert len(lines) == 3

"""`ember demo`'s CPU-against-accelerator race, in process: with a second device it reports the
speedup; a device that fails is reported in its row and does not end the tour; without CUDA
the table says why the GPU part is missing."""

import pytest

import ember
from ember.cli import demo

from ..conftest import FAKE


def rows_of(tmp_path, accelerators):
    return dict(demo._digits(str(tmp_path), 2, 0, accelerators=accelerators))


def test_a_second_device_gets_its_rows_and_the_speedup(tmp_path):
    rows = rows_of(tmp_path, [FAKE])
    for name in ("softmax regression", "MLP 64-128-10"):
        for device in ("cpu", "fake:0"):
            assert rows[f"{name} on digits ({device})"].startswith("validation accuracy")
    assert rows["fake:0 speedup over the CPU (MLP)"].endswith("x")
    float(rows["fake:0 speedup over the CPU (MLP)"][:-1])
    # the same seed and the same arithmetic: the same accuracy on both devices
    assert rows["MLP 64-128-10 on digits (cpu)"].split(",")[0] == \
        rows["MLP 64-128-10 on digits (fake:0)"].split(",")[0]
    assert (tmp_path / "mlp-digits-confusion.png").exists()


@pytest.mark.skipif(ember.cuda.is_available(), reason="CUDA works here: no failing device")
def test_a_failing_device_is_reported_not_fatal(tmp_path):
    broken = ember.device("cuda")  # not available: moving a model there fails
    rows = rows_of(tmp_path, [broken])
    assert rows["MLP 64-128-10 on digits (cuda:0)"].startswith("failed: CUDA is unavailable")
    assert rows["MLP 64-128-10 on digits (cpu)"].startswith("validation accuracy")
    assert not any("speedup" in k for k in rows)


def test_without_cuda_the_table_says_why(tmp_path):
    rows = dict(demo._digits(str(tmp_path), 1, 0))
    if ember.cuda.is_available():
        assert "cuda:0 speedup over the CPU (MLP)" in rows
    else:
        assert rows["CPU vs GPU"].startswith("CPU only here (CUDA is unavailable")

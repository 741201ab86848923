"""The `ember` command end to end, in subprocesses (`python -m ember ...`)."""

import csv
import os
import subprocess
import sys

import pytest

import ember as ember_package

PNG = b"\x89PNG\r\n\x1a\n"
# the subprocesses import the ember these tests import (the checkout's, not an installed one),
# whatever their working directory
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(ember_package.__file__)))


def ember(*args, cwd=None, timeout=600):
    env = {**os.environ, "MPLBACKEND": "Agg", "EMBER_DATA": os.path.join(cwd or ".", "cache")}
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([ROOT, *paths])
    env.pop("EMBER_TEST_DEVICE", None)
    return subprocess.run([sys.executable, "-m", "ember", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def is_png(path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == PNG


def test_info(tmp_path):
    r = ember("info", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "ember 0.1.0" in r.stdout and "NumPy" in r.stdout and "BLAS" in r.stdout
    assert "CUDA" in r.stdout


def test_demo_quick_writes_its_pictures(tmp_path):
    r = ember("demo", "--quick", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "ember-demo"
    pictures = sorted(p.name for p in out.iterdir())
    assert {"perceptron-iris.png", "mlp-digits-confusion.png",
            "optimizers-rosenbrock.png"} <= set(pictures)
    assert all(is_png(out / p) for p in pictures)
    for text in ("perceptron", "Gaussian Bayes", "softmax regression", "MLP", "2.5850 bits",
                 "2.0306 bits", "optimizers on Rosenbrock"):
        assert text in r.stdout


def test_train_and_eval_mlp_on_digits(tmp_path):
    run = tmp_path / "run"
    r = ember("train", "--data", "digits", "--model", "mlp", "--hidden", "128", "--epochs",
              "12", "--lr", "0.003", "--quiet", "--out", str(run), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with open(run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12 and float(rows[-1]["val_acc"]) >= 0.95
    assert "epoch 12/12" in r.stdout
    for name in ("checkpoint.safetensors", "best.safetensors"):
        assert (run / name).exists()
    for name in ("curves.png", "confusion.png"):
        assert is_png(run / name)
    e = ember("eval", str(run / "checkpoint.safetensors"), "--data", "digits", cwd=tmp_path)
    assert e.returncode == 0, e.stderr
    # by default only the samples training held out: the same 20% split, so the same accuracy
    # as the last epoch's validation line
    assert "the validation part held out in training (20%, seed 0): 359 samples" in e.stdout
    accuracy = float(e.stdout.split("accuracy ")[1].split()[0])
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(float(rows[-1]["val_acc"]), abs=1e-4)
    assert "precision" in e.stdout and "confusion matrix" in e.stdout
    assert is_png(run / "eval-confusion.png")
    every = ember("eval", str(run / "checkpoint.safetensors"), "--data", "digits", "--split",
                  "all", cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    assert "all samples: 1797 samples" in every.stdout


def test_train_and_eval_the_cnn_on_digits(tmp_path):
    """SimpleCNN on the 8x8 digits as images: its checkpoint restores (image size included)
    and gives the last epoch's validation accuracy again."""
    r = ember("train", "--data", "digits", "--model", "cnn", "--epochs", "2", "--quiet",
              "--out", "run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and float(rows[-1]["val_acc"]) > 0.5
    e = ember("eval", "run/checkpoint.safetensors", "--data", "digits", cwd=tmp_path)
    assert e.returncode == 0, e.stderr
    assert e.stdout.startswith("cnn from run/checkpoint.safetensors on digits")
    assert float(e.stdout.split("accuracy ")[1].split()[0]) == pytest.approx(
        float(rows[-1]["val_acc"]), abs=1e-4)


def test_train_shows_progress_and_stops_early(tmp_path):
    """Full-batch gradient descent (bgd) with two loader threads and a large step: the
    validation loss stops improving, and --early-stopping 2 ends the run."""
    r = ember("train", "--data", "iris", "--model", "mlp", "--hidden", "16", "--optimizer",
              "bgd", "--lr", "2", "--workers", "2", "--epochs", "30", "--early-stopping", "2",
              "--out", "run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    bar = r.stderr.replace("\r", "\n")
    assert "epoch 1/30" in bar and "loss=" in bar and "samples_per_s=" in bar
    assert "0/1 [" in bar and "/2 [" not in bar  # bgd: one batch per epoch
    lines = [line for line in r.stdout.splitlines() if line.startswith("epoch ")]
    assert lines[0].startswith("epoch 1/30: train loss") and "| val loss" in lines[0]
    assert "samples/s" in lines[0]
    assert "early stopping: no better validation loss in 2 epochs" in r.stdout
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(lines) < 30
    assert list(rows[0]) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc",
                             "seconds"]


def test_train_resumes_from_a_checkpoint(tmp_path):
    run = tmp_path / "run"
    first = ember("train", "--data", "iris", "--model", "logreg", "--epochs", "3", "--quiet",
                  "--out", str(run), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    more = ember("train", "--data", "iris", "--model", "logreg", "--epochs", "5", "--quiet",
                 "--out", str(run), "--resume", str(run / "checkpoint.safetensors"),
                 cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert "epoch 4/5" in more.stdout and "epoch 1/5" not in more.stdout
    with open(run / "metrics.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("model", ["perceptron", "bayes"])
def test_classic_models_and_the_decision_boundary(tmp_path, model):
    r = ember("train", "--data", "moons", "--model", model, "--quiet", "--out", "run",
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert is_png(tmp_path / "run" / "boundary.png")
    assert "validation accuracy" in r.stdout
    e = ember("eval", "run/checkpoint.safetensors", "--data", "moons", cwd=tmp_path)
    assert e.returncode == 0, e.stderr
    # the same moons (the checkpoint's seed), the same held-out part, the same accuracy
    validation = float(r.stdout.split("validation accuracy ")[1].split()[0])
    assert "held out in training (20%, seed 0): 80 samples" in e.stdout
    assert float(e.stdout.split("accuracy ")[1].split()[0]) == pytest.approx(validation,
                                                                             abs=1e-4)


def test_train_from_a_csv_file(tmp_path):
    rows = ["a,b,kind"] + [f"{i % 7},{(i * 3) % 5},{'left' if i % 7 < 3 else 'right'}"
                           for i in range(60)]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n")
    r = ember("train", "--data", "table.csv", "--target", "kind", "--model", "logreg",
              "--epochs", "30", "--lr", "0.05", "--quiet", "--out", "run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split("final validation accuracy ")[1].split(";")[0]) >= 0.9


def test_optimizers_command(tmp_path):
    r = ember("optimizers", "--function", "quadratic", "--steps", "150", "--out", "pics",
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert is_png(tmp_path / "pics" / "optimizers-quadratic.png")
    for name in ("gradient descent", "SGD (noisy gradient)", "momentum", "Nesterov (NAG)",
                 "Adagrad", "Adadelta", "RMSprop", "Adam"):
        assert name in r.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--data", "wine"], "unknown data set 'wine'"),
    (["train", "--data", "iris", "--model", "svm"], "invalid choice: 'svm'"),
    (["train", "--data", "table.csv"], "--target COLUMN is needed with a CSV file"),
    (["train", "--data", "table.csv", "--target", "label"], "has no column 'label'"),
    (["train", "--data", "words.csv", "--target", "y"], "non-numeric value 'dog'"),
    (["train", "--data", "neg.csv", "--target", "y"], "must be class indices 0..k-1"),
    pytest.param(["train", "--data", "iris", "--device", "cuda"], "CUDA is unavailable",
                 marks=pytest.mark.skipif(ember_package.cuda.is_available(),
                                          reason="this machine has CUDA")),
    (["train", "--data", "iris", "--device", "tpu"], "unknown device 'tpu'"),
    (["train", "--data", "half.csv", "--target", "y"], "found the number '0.5'"),
    (["train", "--data", "iris", "--activation", "swish"], "invalid choice: 'swish'"),
    (["train", "--data", "iris", "--epochs", "0"], "--epochs must be positive"),
    (["train", "--data", "iris", "--val-split", "1.5"], "--val-split must be between 0 and 1"),
    (["train", "--data", "iris", "--hidden", "64,x"], "--hidden must be comma-separated"),
    (["train", "--data", "iris", "--resume", "nothing.safetensors"], "no such checkpoint"),
    (["train", "--data", "iris", "--lr", "0"], "--lr must be positive"),
    (["train", "--data", "iris", "--lr", "-1"], "--lr must be positive"),
    (["train", "--data", "iris", "--batch-size", "0"], "--batch-size must be positive"),
    (["train", "--data", "iris", "--model", "cnn"], "--model cnn needs image data"),
    (["eval", "missing.safetensors", "--data", "iris"], "no such checkpoint"),
    (["eval", "table.csv", "--data", "iris"], "cannot read checkpoint table.csv"),
    (["eval", "missing.safetensors", "--data", "iris", "--split", "train"],
     "invalid choice: 'train'"),
    (["optimizers", "--steps", "0"], "--steps must be positive"),
    (["optimizers", "--function", "sphere"], "invalid choice: 'sphere'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_exits_with_one_clear_line(tmp_path, args, message):
    (tmp_path / "table.csv").write_text("a,b,kind\n1,2,x\n3,4,y\n")
    (tmp_path / "words.csv").write_text("a,y\n1,0\ndog,1\n")
    (tmp_path / "neg.csv").write_text("a,y\n1,0\n2,-1\n3,1\n")
    (tmp_path / "half.csv").write_text("a,y\n1,0\n2,0.5\n3,1\n")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("precious")
    r = ember(*args, "--out", "run", cwd=tmp_path) if args[0] == "train" else \
        ember(*args, cwd=tmp_path)
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ember: error:") and message in lines[0], lines[0]
    assert (tmp_path / "run" / "keep.txt").read_text() == "precious"
    assert sorted(os.listdir(tmp_path / "run")) == ["keep.txt"]


def test_a_checkpoint_for_another_architecture_is_refused(tmp_path):
    r = ember("train", "--data", "iris", "--model", "logreg", "--epochs", "1", "--quiet",
              "--out", "run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    metrics = (tmp_path / "run" / "metrics.csv").read_text()
    checkpoint = (tmp_path / "run" / "checkpoint.safetensors").read_bytes()
    bad = ember("eval", "run/checkpoint.safetensors", "--data", "digits", cwd=tmp_path)
    assert bad.returncode == 2
    assert "for 4 features; digits has 64" in bad.stderr
    resumed = ember("train", "--data", "iris", "--model", "mlp", "--epochs", "2", "--quiet",
                    "--out", "run", "--resume", "run/checkpoint.safetensors", cwd=tmp_path)
    assert resumed.returncode == 2 and "checkpoint run/checkpoint.safetensors is for --model "\
        "logreg" in resumed.stderr
    # the refused resume wrote nothing over the run it was pointed at
    assert (tmp_path / "run" / "metrics.csv").read_text() == metrics
    assert (tmp_path / "run" / "checkpoint.safetensors").read_bytes() == checkpoint
    (tmp_path / "three.csv").write_text("a,b,c,d,y\n" + "".join(
        f"{i},{i % 3},{i % 5},{i % 2},{i % 3}\n" for i in range(30)))
    unknown = ember("eval", "run/checkpoint.safetensors", "--data", "three.csv", "--target",
                    "y", cwd=tmp_path)
    assert unknown.returncode == 0, unknown.stderr  # iris has 3 classes: labels 0..2 are known
    (tmp_path / "five.csv").write_text("a,b,c,d,y\n" + "".join(
        f"{i},{i % 3},{i % 5},{i % 2},{i % 5}\n" for i in range(30)))
    unknown = ember("eval", "run/checkpoint.safetensors", "--data", "five.csv", "--target",
                    "y", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "has labels the checkpoint does not know (it was trained on 3 classes)" in \
        unknown.stderr


def test_eval_on_another_csv_matches_class_names_not_their_order(tmp_path):
    # a CSV numbers class names in order of first appearance: the test file starts with a
    # cat, the training file with a dog; eval must score by name, not by that number
    def table(first, n):
        rows = ["a,b,kind"]
        for i in range(n):
            kind = ("dog", "cat")[(i + first) % 2]
            x = 5.0 if kind == "dog" else 0.0
            rows.append(f"{x + (i % 5) * 0.1},{x - (i % 3) * 0.1},{kind}")
        return "\n".join(rows) + "\n"
    (tmp_path / "train.csv").write_text(table(0, 40))
    (tmp_path / "test.csv").write_text(table(1, 20))
    r = ember("train", "--data", "train.csv", "--target", "kind", "--model", "bayes", "--out",
              "run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    e = ember("eval", "run/checkpoint.safetensors", "--data", "test.csv", "--target", "kind",
              cwd=tmp_path)
    assert e.returncode == 0, e.stderr
    assert "20 samples, accuracy 1.0000" in e.stdout, e.stdout
    (tmp_path / "bird.csv").write_text("a,b,kind\n1,2,cat\n3,4,bird\n")
    bad = ember("eval", "run/checkpoint.safetensors", "--data", "bird.csv", "--target", "kind",
                cwd=tmp_path)
    assert bad.returncode == 2 and "labels the checkpoint does not know" in bad.stderr
    assert "bird" in bad.stderr


def test_debug_shows_the_traceback(tmp_path):
    r = ember("--debug", "train", "--data", "wine", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" in r.stderr

"""The command's data loading for MNIST, in process with a fake network (no test touches the
real one): a tiny verified download becomes flat features; no network is one clear CLIError
naming the URLs tried and suggesting the bundled digits."""

import gzip
import hashlib
import io
import urllib.error
import urllib.request

import numpy as np
import pytest

from ember.cli.common import CLIError, raw_data
from ember.datasets import vision

from ..data.test_datasets import idx_bytes


@pytest.fixture
def tiny_mnist(monkeypatch, tmp_path):
    images = (np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28)
    labels = np.array([7, 2, 1], dtype=np.uint8)
    files = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
             "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    spec = {"mirrors": ["https://mirror.invalid/mnist/"],
            "files": {n: (len(b), hashlib.sha256(b).hexdigest()) for n, b in files.items()},
            "classes": [str(d) for d in range(10)]}
    monkeypatch.setitem(vision.SOURCES, "mnist", spec)
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "cache"))
    state = {"down": False}

    def urlopen(url, timeout=None):
        if state["down"]:
            raise urllib.error.URLError("Network is unreachable")
        return io.BytesIO(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return state, images, labels


def test_mnist_for_the_command(tiny_mnist):
    _, images, labels = tiny_mnist
    x, y, classes, names, side = raw_data("mnist", None, 0, train=False)
    assert x.shape == (3, 784) and side == 28 and len(names) == 784 and classes[7] == "7"
    np.testing.assert_allclose(x.numpy(), images.reshape(3, -1) / 255.0, rtol=1e-6)
    assert y.tolist() == labels.tolist()


def test_mnist_without_network_is_one_clear_line(tiny_mnist):
    tiny_mnist[0]["down"] = True
    with pytest.raises(CLIError) as info:
        raw_data("mnist", None, 0, train=False)
    message = str(info.value)
    assert "\n" not in message
    assert "https://mirror.invalid/mnist/t10k-images-idx3-ubyte.gz" in message
    assert "Network is unreachable" in message and "ember.datasets.digits()" in message

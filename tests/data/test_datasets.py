"""Bundled, synthetic, CSV and IDX data sets; downloads (with a fake network); transforms."""

import gzip
import hashlib
import io
import os
import urllib.error
import urllib.request

import numpy as np
import pytest

import ember
from ember.data import transforms as T
from ember.datasets import vision as mnist_module

from ..conftest import to_numpy

# ------------------------------------------------------------------------------------ bundled


def test_iris():
    ds = ember.datasets.iris()
    assert len(ds) == 150 and ds.data.shape == (150, 4) and ds.targets.dtype is ember.int64
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.feature_names[0] == "sepal_length_cm"
    assert np.bincount(to_numpy(ds.targets)).tolist() == [50, 50, 50]
    assert ds[0][0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    x, y = ember.datasets.iris(return_X_y=True)
    assert x.shape == (150, 4) and y.shape == (150,)
    # Fisher's values for samples 35 and 38 (the UCI file has transcription slips there)
    assert to_numpy(x[34]).tolist() == pytest.approx([4.9, 3.1, 1.5, 0.2])
    assert to_numpy(x[37]).tolist() == pytest.approx([4.9, 3.6, 1.4, 0.1])


def test_digits():
    ds = ember.datasets.digits()
    assert len(ds) == 1797 and ds.data.shape == (1797, 64) and ds.images.shape == (1797, 8, 8)
    assert ds.data.min().item() == 0 and ds.data.max().item() == 16
    assert sorted(set(to_numpy(ds.targets).tolist())) == list(range(10))
    assert ds.num_classes == 10


# ---------------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("make, shape", [
    (lambda: ember.datasets.make_blobs(90, 3, centers=4), (90, 3)),
    (lambda: ember.datasets.make_moons(100, noise=0.1), (100, 2)),
    (lambda: ember.datasets.make_circles(60, noise=0.05, factor=0.5), (60, 2)),
    (lambda: ember.datasets.make_classification(80, 6, 3, 4), (80, 6)),
])
def test_synthetic_classification_sets(make, shape):
    ember.manual_seed(0)
    x, y = make()
    ember.manual_seed(0)
    x2, y2 = make()
    assert x.shape == shape and x.dtype is ember.float32 and y.dtype is ember.int64
    assert ember.equal(x, x2) and ember.equal(y, y2)


def test_synthetic_geometry():
    x, y = ember.datasets.make_circles(200, factor=0.5)
    radii = to_numpy(x.norm(dim=1))
    assert np.allclose(radii[to_numpy(y) == 0], 1.0) and np.allclose(radii[to_numpy(y) == 1],
                                                                     0.5)
    x, y = ember.datasets.make_blobs(300, centers=[[0.0, 0.0], [10.0, 10.0]], cluster_std=0.5)
    means = [to_numpy(x[y == k].mean(0)) for k in (0, 1)]
    np.testing.assert_allclose(means, [[0, 0], [10, 10]], atol=0.2)
    x, y, w = ember.datasets.make_regression(50, 4, 2, coef=True)
    np.testing.assert_allclose(to_numpy(x @ w), to_numpy(y), rtol=1e-4, atol=1e-3)
    assert (to_numpy(w)[2:] == 0).all()


# ---------------------------------------------------------------------------------------- CSV


def test_load_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
    ds = ember.datasets.load_csv(str(path), "label")
    assert ds.data.tolist() == [[1, 2], [3, 4], [5, 6]] and ds.targets.tolist() == [0, 1, 0]
    assert ds.class_names == ["cat", "dog"] and ds.feature_names == ["a", "b"]
    path.write_text("y,x\n2,0.5\n0,1.5\n")
    assert ember.datasets.load_csv(str(path), "y").targets.tolist() == [2, 0]


def test_load_csv_with_a_utf8_byte_order_mark(tmp_path):
    # spreadsheet programs save "CSV UTF-8" with a BOM before the first column's name
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfy,a\n0,1.5\n1,2.5\n")
    ds = ember.datasets.load_csv(str(path), "y")
    assert ds.feature_names == ["a"] and ds.targets.tolist() == [0, 1]


def test_load_csv_names_the_feature_column_of_a_non_numeric_value(tmp_path):
    # the label column holds the same text as the bad feature: the message must name the
    # feature column, not the label column
    path = tmp_path / "na.csv"
    path.write_text("y,a\n0,1\nNA,NA\n")
    with pytest.raises(ValueError, match="line 3: column 'a' has the non-numeric value 'NA'"):
        ember.datasets.load_csv(str(path), "y")


@pytest.mark.parametrize("text, target, message", [
    ("a,b\n1,2\n", "label", "has no column 'label'; its columns are a, b"),
    ("a,label\nx,1\n", "label", "column 'a' has the non-numeric value 'x'"),
    ("a,label\n1,-1\n", "label", "must be class indices 0..k-1 or class names"),
    ("a,label\n1,0\n2,0.5\n", "label", "found the number '0.5'"),
    ("a,label\n1,0\n2,inf\n", "label", "found the number 'inf'"),
    ("a,label\n1,2,3\n", "label", "line 2 has 3 fields"),
    ("a,label\n", "label", "has a header but no rows"),
])
def test_load_csv_errors(tmp_path, text, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        ember.datasets.load_csv(str(path), target)


# ---------------------------------------------------------------------------------------- IDX


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
             np.float64: 0x0E}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    plain = tmp_path / "a.idx"
    plain.write_bytes(idx_bytes(array))
    packed = tmp_path / "a.idx.gz"
    packed.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(ember.datasets.read_idx(str(plain)), array)
    np.testing.assert_array_equal(ember.datasets.read_idx(str(packed)), array)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        ember.datasets.read_idx(str(bad))
    short = tmp_path / "short.idx"
    short.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8))[:-1])
    with pytest.raises(ValueError, match="holds 3 bytes of data, its header \\(2, 2\\) needs 4"):
        ember.datasets.read_idx(str(short))


# ------------------------------------------------------------------------------- downloads


@pytest.fixture
def fake_mnist(monkeypatch, tmp_path):
    """A tiny MNIST served by a fake urlopen: 5 images of 4x4, with their real checksums."""
    images = np.arange(5 * 16, dtype=np.uint8).reshape(5, 4, 4)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    files = {"train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
             "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    spec = {"mirrors": ["https://mirror-a.invalid/", "https://mirror-b.invalid/"],
            "files": {name: (len(blob), hashlib.sha256(blob).hexdigest())
                      for name, blob in files.items()},
            "classes": [str(d) for d in range(10)]}
    monkeypatch.setitem(mnist_module.SOURCES, "mnist", spec)
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "cache"))
    served = {"blobs": files, "requests": [], "down": False, "corrupt": False}

    def urlopen(url, timeout=None):
        served["requests"].append(url)
        if served["down"]:
            raise urllib.error.URLError("Temporary failure in name resolution")
        blob = served["blobs"][url.rsplit("/", 1)[1]]
        if served["corrupt"]:
            blob = blob[:-3] + b"xyz"
        return io.BytesIO(blob)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return served, images, labels


def test_mnist_downloads_verifies_and_caches(fake_mnist, tmp_path):
    served, images, labels = fake_mnist
    ds = ember.datasets.mnist()
    assert len(ds) == 5 and ds.data.dtype is ember.uint8
    np.testing.assert_array_equal(to_numpy(ds.data), images)
    assert ds.targets.tolist() == labels.tolist()
    image, label = ds[0]
    assert image.shape == (1, 4, 4) and image.dtype is ember.float32 and label.item() == 3
    assert float(image.max()) <= 1.0
    served["requests"].clear()
    ember.datasets.mnist()
    assert served["requests"] == []  # verified files in the cache are used as they are
    assert sorted(os.listdir(tmp_path / "cache" / "mnist")) == sorted(served["blobs"])


def test_no_network_names_the_urls_and_suggests_digits(fake_mnist):
    served, _, _ = fake_mnist
    served["down"] = True
    with pytest.raises(RuntimeError) as info:
        ember.datasets.mnist()
    message = str(info.value)
    assert "https://mirror-a.invalid/train-images-idx3-ubyte.gz" in message
    assert "https://mirror-b.invalid/train-images-idx3-ubyte.gz" in message
    assert "ember.datasets.digits()" in message


def test_a_corrupt_download_never_poisons_the_cache(fake_mnist, tmp_path):
    served, _, _ = fake_mnist
    served["corrupt"] = True
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        ember.datasets.mnist()
    folder = tmp_path / "cache" / "mnist"
    assert not folder.exists() or os.listdir(folder) == []
    served["corrupt"] = False
    assert len(ember.datasets.mnist()) == 5


def test_a_damaged_cached_file_is_fetched_again(fake_mnist, tmp_path):
    served, _, _ = fake_mnist
    ember.datasets.mnist()
    damaged = tmp_path / "cache" / "mnist" / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(b"garbage")
    served["requests"].clear()
    assert ember.datasets.mnist().targets.tolist() == [3, 1, 4, 1, 5]
    assert served["requests"] == ["https://mirror-a.invalid/train-labels-idx1-ubyte.gz"]
    (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(RuntimeError, match="not found and download=False"):
        ember.datasets.mnist(download=False)


# ------------------------------------------------------------------------------- transforms


def test_normalize_and_standard_scaler():
    img = ember.ones(3, 2, 2)
    out = T.Normalize([1.0, 0.0, 0.5], [1.0, 2.0, 0.5])(img)
    assert out[:, 0, 0].tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.0], [0.0])
    train = ember.tensor([[1.0, 10.0], [3.0, 30.0]])
    scaler = T.StandardScaler().fit(train)
    np.testing.assert_allclose(to_numpy(scaler.transform(train)), [[-1, -1], [1, 1]])
    np.testing.assert_allclose(to_numpy(scaler.transform(ember.tensor([[2.0, 50.0]]))),
                               [[0.0, 3.0]])
    np.testing.assert_allclose(to_numpy(scaler.inverse_transform(scaler(train))),
                               to_numpy(train), rtol=1e-6)
    with pytest.raises(RuntimeError, match="call fit\\(\\) on the training data first"):
        T.StandardScaler().transform(train)


def test_normalize_as_torchvision():
    """Channels are dim -3 of an image, so a batch (N, C, H, W) works; a 2-D batch of table
    rows is normalised per feature; integer input is refused (the std would truncate)."""
    mean, std = np.array([0.5, 1.0, 2.0]), np.array([0.25, 2.0, 4.0])
    normalize = T.Normalize(mean.tolist(), std.tolist())
    batch = ember.randn(4, 3, 2, 2, dtype=ember.float64)
    expected = (to_numpy(batch) - mean[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(to_numpy(normalize(batch)), expected)
    np.testing.assert_allclose(to_numpy(normalize(batch[1])), expected[1])
    rows = ember.randn(5, 3, dtype=ember.float64)
    np.testing.assert_allclose(to_numpy(normalize(rows)), (to_numpy(rows) - mean) / std)
    target = batch.clone()
    out = T.Normalize(mean.tolist(), std.tolist(), inplace=True)(target)
    assert out is target
    np.testing.assert_allclose(to_numpy(target), expected)
    with pytest.raises(TypeError, match="input tensor should be a float tensor, got "
                                        "ember.int64"):
        normalize(ember.ones(3, 2, 2, dtype=ember.int64))
    with pytest.raises(ValueError, match="3 means and stds for a tensor of shape \\(2, 5, 5\\)"):
        normalize(ember.ones(2, 5, 5))


def test_compose_lambda_to_tensor():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2)])
    out = pipeline(np.full((4, 5), 255, dtype=np.uint8))
    assert out.shape == (1, 4, 5) and out.dtype is ember.float32 and out.max().item() == 2.0


def test_to_tensor_as_torchvision():
    """(H, W, C) arrays always transposed to (C, H, W), even when H is 3; only uint8 is
    scaled to [0, 1]."""
    rgb = np.arange(3 * 8 * 3, dtype=np.uint8).reshape(3, 8, 3)
    out = T.ToTensor()(rgb)
    assert out.shape == (3, 3, 8) and out.dtype is ember.float32
    np.testing.assert_allclose(to_numpy(out), rgb.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    floats = T.ToTensor()(np.full((2, 2, 1), 7.0))
    assert floats.shape == (1, 2, 2) and floats.dtype is ember.float64 and floats.max() == 7.0
    with pytest.raises(TypeError, match="pic should be a NumPy array"):
        T.ToTensor()(ember.ones(2, 2))


def test_random_crop_and_flip_are_seeded():
    img = ember.arange(25.0).reshape(1, 5, 5)
    ember.manual_seed(1)
    crops = [to_numpy(T.RandomCrop(3, padding=2)(img)) for _ in range(5)]
    ember.manual_seed(1)
    again = [to_numpy(T.RandomCrop(3, padding=2)(img)) for _ in range(5)]
    assert all(np.array_equal(a, b) for a, b in zip(crops, again))
    assert all(c.shape == (1, 3, 3) for c in crops)
    flip = T.RandomHorizontalFlip(p=1.0)(img)
    assert flip[0, 0].tolist() == [4, 3, 2, 1, 0]
    assert ember.equal(T.RandomHorizontalFlip(p=0.0)(img), img)
    with pytest.raises(ValueError, match="larger than the input image size"):
        T.RandomCrop(9)(img)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_padding_reads_as_torchvision(mode):
    """padding (left, top, right, bottom) and torchvision's padding modes: a crop the size of
    the padded image is the whole padded image, which must equal NumPy's np.pad."""
    img = ember.arange(20.0).reshape(1, 4, 5)
    whole = T.RandomCrop((4 + 1 + 3, 5 + 2 + 3), padding=(2, 1, 3, 3), padding_mode=mode,
                         fill=0)(img)
    np.testing.assert_array_equal(to_numpy(whole),
                                  np.pad(to_numpy(img), ((0, 0), (1, 3), (2, 3)), mode=mode))
    # two values: (left and right, top and bottom)
    assert T.RandomCrop((8, 7), padding=(1, 2), padding_mode=mode)(img).shape == (1, 8, 7)
    filled = T.RandomCrop((6, 7), padding=1, fill=-1.0)(img)
    assert filled[0, 0].tolist() == [-1.0] * 7
    # pad_if_needed pads the missing size on both sides, as torchvision
    assert T.RandomCrop((6, 9), pad_if_needed=True)(img).shape == (1, 6, 9)


def test_random_crop_argument_errors():
    with pytest.raises(ValueError, match="padding must be an int or a 1, 2, or 4 element"):
        T.RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="padding_mode should be either constant, edge"):
        T.RandomCrop(3, padding=1, padding_mode="wrap")
    with pytest.raises(ValueError, match="size must be a positive int"):
        T.RandomCrop(0)

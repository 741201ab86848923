"""MNIST and Fashion-MNIST: downloaded on first use into a cache directory, verified, parsed.

The cache is `$EMBER_DATA` (default ~/.cache/ember). Every file is checked against its known
size and SHA-256 digest; a download goes to a temporary name in the cache and is renamed into
place only once verified, so an interrupted or corrupt download never poisons the cache. The
IDX format (big-endian header, then the array) is read with NumPy.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request

from .. import backend
from ..data.dataset import Dataset
from ..tensor import Tensor, _make

__all__ = ["mnist", "fashion_mnist", "read_idx", "cache_dir", "ImageDataset", "SOURCES"]

# (size in bytes, SHA-256) of each file, as published (e.g. by TensorFlow Datasets' checksums).
SOURCES = {
    "mnist": {
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        "files": {
            "train-images-idx3-ubyte.gz": (9912422, "440fcabf73cc546fa21475e81ea370265605f56be2"
                                                    "10a4024d2ca8f203523609"),
            "train-labels-idx1-ubyte.gz": (28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52c"
                                                  "ac8be1a0730e8010255c"),
            "t10k-images-idx3-ubyte.gz": (1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b"
                                                   "84584aec276f5a2dbc4e6"),
            "t10k-labels-idx1-ubyte.gz": (4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0de"
                                                "faefb259924204aec6"),
        },
        "classes": [str(d) for d in range(10)],
    },
    "fashion-mnist": {
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "files": {
            "train-images-idx3-ubyte.gz": (26421880, "3aede38d61863908ad78613f6a32ed271626dd12"
                                                     "800ba2636569512369268a84"),
            "train-labels-idx1-ubyte.gz": (29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8"
                                                  "ba1a3aa29af54cc90845"),
            "t10k-images-idx3-ubyte.gz": (4422102, "346e55b948d973a97e58d2351dde16a484bd415d459"
                                                   "5297633bb08f03db6a073"),
            "t10k-labels-idx1-ubyte.gz": (5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d3"
                                                "5dfb1850b086bf8dd5"),
        },
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                    "Sneaker", "Bag", "Ankle boot"],
    },
}

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def cache_dir() -> str:
    """Where downloaded data sets are kept: $EMBER_DATA, else ~/.cache/ember."""
    return os.environ.get("EMBER_DATA") or os.path.join(os.path.expanduser("~"), ".cache",
                                                         "ember")


def read_idx(path: str):
    """A NumPy array from an IDX file (gzip-compressed if the name ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number "
                         f"{raw[:4].hex() if len(raw) >= 4 else raw.hex()!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated (header of {ndim} dims)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    np_ = backend.cpu.xp
    dtype = np_.dtype(_IDX_TYPES[raw[2]])
    count = 1
    for n in shape:
        count *= n
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(f"read_idx: {path} holds {len(raw) - header} bytes of data, its header "
                         f"{shape} needs {count * dtype.itemsize}")
    data = np_.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(name: str, mirrors: list, size: int, digest: str, folder: str) -> str:
    """The verified local path of one file, downloading it if needed."""
    path = os.path.join(folder, name)
    if os.path.exists(path):
        if os.path.getsize(path) == size and _sha256(path) == digest:
            return path
        # a file that does not verify is not trusted: fetch it again, replace it atomically
    os.makedirs(folder, exist_ok=True)
    errors = []
    for mirror in mirrors:
        url = mirror + name
        tmp = f"{path}.part-{os.getpid()}"
        try:
            h = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=30) as response, open(tmp, "wb") as out:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    h.update(chunk)
                out.flush()
                os.fsync(out.fileno())
            got = os.path.getsize(tmp)
            if got != size or h.hexdigest() != digest:
                raise ValueError(f"checksum mismatch (got {got} bytes, sha256 {h.hexdigest()}; "
                                 f"expected {size} bytes, sha256 {digest})")
            os.replace(tmp, path)
            return path
        except (urllib.error.URLError, OSError, ValueError) as err:
            errors.append(f"{url}: {err}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise RuntimeError(f"could not download {name}; tried:\n  " + "\n  ".join(errors) +
                       f"\nCheck the network connection, or put a verified copy of {name} in "
                       f"{folder}. Without a network, the bundled 8x8 digits work offline: "
                       "ember.datasets.digits().")


class ImageDataset(Dataset):
    """Images with labels: `.data` uint8 (N, H, W), `.targets` int64 (N,), `.classes`.
    `ds[i]` is (image, label): the image as a float32 (1, H, W) tensor in [0, 1], or
    transform(that) when a transform is given."""

    def __init__(self, data: Tensor, targets: Tensor, classes, transform=None,
                 target_transform=None, name: str = ""):
        self.data = data
        self.targets = targets
        self.classes = list(classes)
        self.transform = transform
        self.target_transform = target_transform
        self.name = name

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index):
        image = self.data[index].float().unsqueeze(0) / 255.0
        target = self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        return f"ImageDataset({self.name}: {len(self)} images of {tuple(self.data.shape[1:])})"


def _load(key: str, root, train: bool, download: bool, transform, target_transform):
    spec = SOURCES[key]
    folder = os.path.join(root or cache_dir(), key)
    prefix = "train" if train else "t10k"
    paths = []
    for kind in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
        name = f"{prefix}-{kind}"
        size, digest = spec["files"][name]
        path = os.path.join(folder, name)
        if not download:
            if not os.path.exists(path):
                raise RuntimeError(f"{key}: {path} not found and download=False")
            if _sha256(path) != digest:
                raise RuntimeError(f"{key}: {path} does not match its SHA-256; delete it or "
                                   "download again")
        else:
            path = _fetch(name, spec["mirrors"], size, digest, folder)
        paths.append(path)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{key}: {images.shape[0]} images but {labels.shape[0]} labels")
    cpu = backend.cpu
    return ImageDataset(_make(images, cpu), _make(labels.astype("int64"), cpu),
                        spec["classes"], transform, target_transform,
                        f"{key} {'train' if train else 'test'}")


def mnist(root: str | None = None, train: bool = True, download: bool = True, transform=None,
          target_transform=None) -> ImageDataset:
    """MNIST handwritten digits (60,000 training / 10,000 test images, 28x28), downloaded into
    the cache on first use."""
    return _load("mnist", root, train, download, transform, target_transform)


def fashion_mnist(root: str | None = None, train: bool = True, download: bool = True,
                  transform=None, target_transform=None) -> ImageDataset:
    """Fashion-MNIST (Zalando; 60,000 / 10,000 28x28 images of 10 kinds of clothing),
    downloaded into the cache on first use."""
    return _load("fashion-mnist", root, train, download, transform, target_transform)

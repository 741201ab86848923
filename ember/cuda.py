"""ember.cuda: torch.cuda's queries, through CuPy (loaded by ember.backend on first use).

Without CuPy or without a GPU, is_available() is False, device_count() is 0, empty_cache() and
the seeding functions do nothing (as torch's), and the functions that need a GPU raise a
RuntimeError saying why CUDA is unavailable (CuPy not installed, no device, the driver's error).
"""

from __future__ import annotations

from . import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "get_device_capability", "synchronize", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "reset_peak_memory_stats", "empty_cache", "manual_seed",
           "manual_seed_all", "device"]


def is_available() -> bool:
    """Whether tensors can be put on a CUDA device (CuPy imports and sees at least one GPU)."""
    return backend.cuda_device_count() > 0


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or a driver)."""
    return backend.cuda_device_count()


def _index(dev) -> int:
    """The GPU index of `dev` (None: the current one; an int, 'cuda:1', a Device)."""
    cupy = backend.cuda_module()
    if dev is None:
        return int(cupy.cuda.runtime.getDevice())
    if isinstance(dev, int) and not isinstance(dev, bool):
        index = dev
    else:
        d = backend.device(dev)
        if d.type != "cuda":
            raise ValueError(f"ember.cuda: expected a CUDA device, got {d}")
        index = d.index
    count = backend.cuda_device_count()
    if not 0 <= index < count:
        raise RuntimeError(f"ember.cuda: invalid device index {index}: CuPy sees {count} "
                           f"CUDA device{'s' if count != 1 else ''}")
    return index


def current_device() -> int:
    """The index of the GPU that `device('cuda')` and new CUDA tensors use."""
    return _index(None)


def set_device(device) -> None:
    """Make `device` (an index, 'cuda:1' or a Device) the current GPU."""
    index = _index(device)
    backend.cuda_module().cuda.Device(index).use()


class device:
    """Context manager: `with ember.cuda.device(1): ...` makes GPU 1 current inside."""

    def __init__(self, device):
        self.index = _index(device)
        self._prev = None

    def __enter__(self):
        self._prev = current_device()
        set_device(self.index)
        return self

    def __exit__(self, *exc):
        set_device(self._prev)
        return False


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    index = _index(device)
    name = backend.cuda_module().cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None) -> tuple[int, int]:
    """The GPU's compute capability (major, minor), e.g. (9, 0) for an H100."""
    index = _index(device)
    props = backend.cuda_module().cuda.runtime.getDeviceProperties(index)
    return int(props["major"]), int(props["minor"])


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the GPU has finished (timing needs this)."""
    backend.device(f"cuda:{_index(device)}").synchronize()


def _pool():
    return backend.cuda_module().get_default_memory_pool()


def memory_allocated(device=None) -> int:
    """Bytes held by live arrays on the GPU (CuPy's default memory pool)."""
    index = _index(device)
    cupy = backend.cuda_module()
    with cupy.cuda.Device(index):
        return int(_pool().used_bytes())


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds on the GPU, in use or cached for reuse."""
    index = _index(device)
    cupy = backend.cuda_module()
    with cupy.cuda.Device(index):
        return int(_pool().total_bytes())


def max_memory_allocated(device=None) -> int:
    """The most bytes live arrays held on the GPU since the start (or the last
    reset_peak_memory_stats)."""
    index = _index(device)
    return max(backend.cuda_peak_bytes(index), memory_allocated(index))


def reset_peak_memory_stats(device=None) -> None:
    index = _index(device)
    cupy = backend.cuda_module()
    with cupy.cuda.Device(index):
        backend.reset_cuda_peak(index)


def empty_cache() -> None:
    """Give the memory pool's cached (unused) blocks back to the driver; nothing to do without
    CUDA (as torch.cuda.empty_cache)."""
    if not is_available():
        return
    cupy = backend.cuda_module()
    cupy.get_default_memory_pool().free_all_blocks()
    cupy.get_default_pinned_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator (CuPy's); without CUDA, nothing to do (as torch).
    ember's random functions draw from ember's Generator, which ember.manual_seed seeds."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r}")
    if is_available():
        backend.cuda_module().random.seed(seed % (1 << 64))


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator; without CUDA, nothing to do (as torch)."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"manual_seed_all: seed must be an int, got {seed!r}")
    if not is_available():
        return
    cupy = backend.cuda_module()
    for index in range(device_count()):
        with cupy.cuda.Device(index):
            cupy.random.seed(seed % (1 << 64))

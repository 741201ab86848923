"""ember.cuda: torch.cuda's queries. This build has no CUDA backend yet (see
ember.backend), so is_available() is False, device_count() is 0, and the functions that need a
GPU raise a RuntimeError saying why."""

from __future__ import annotations

from . import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "synchronize", "memory_allocated", "max_memory_allocated", "empty_cache",
           "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """Whether tensors can be put on a CUDA device."""
    return backend.device("cuda").available


def device_count() -> int:
    return 1 if is_available() else 0


def _need_cuda():
    backend.device("cuda").check_available()


def current_device() -> int:
    _need_cuda()
    return 0


def set_device(device) -> None:
    _need_cuda()


def get_device_name(device=None) -> str:
    _need_cuda()
    return ""


def synchronize(device=None) -> None:
    _need_cuda()


def memory_allocated(device=None) -> int:
    _need_cuda()
    return 0


def max_memory_allocated(device=None) -> int:
    _need_cuda()
    return 0


def empty_cache() -> None:
    """Nothing to release without a CUDA device (as torch.cuda.empty_cache)."""


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's generator; without CUDA, nothing to do (as torch)."""


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's generator; without CUDA, nothing to do (as torch)."""

"""`ember info`: versions, the BLAS NumPy uses, and CUDA."""

from __future__ import annotations

import platform

from .. import __version__, backend, cuda


def describe() -> str:
    np_ = backend.cpu.xp
    lines = [f"ember {__version__}",
             f"Python {platform.python_version()} on {platform.machine()} "
             f"({platform.system()})",
             f"NumPy {np_.__version__}"]
    try:
        blas = np_.show_config(mode="dicts")["Build Dependencies"]["blas"]
        lines.append(f"BLAS: {blas.get('name', '?')} {blas.get('version', '')}".rstrip())
    except Exception:  # older NumPy: no dict form of the build configuration
        lines.append("BLAS: unknown")
    if cuda.is_available():
        lines.append(f"CUDA: available, {cuda.device_count()} device(s)")
        for i in range(cuda.device_count()):
            lines.append(f"  cuda:{i}: {cuda.get_device_name(i)}")
    else:
        try:
            backend.device("cuda").check_available()
        except RuntimeError as err:
            lines.append(f"CUDA: not available ({err})")
    lines.append(f"default dtype {backend.get_default_dtype().name}, default device "
                 f"{backend.get_default_device()}")
    return "\n".join(lines)


def run(args) -> int:
    print(describe())
    return 0


def add_arguments(p) -> None:
    pass


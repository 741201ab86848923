"""ember.save / ember.load: checkpoints in the safetensors format, never pickle.

`save(obj, f)` takes a tensor or a nested structure of dicts, lists and tuples holding tensors
and plain values (numbers, strings, bools, None) -- a model's or an optimizer's state_dict, or a
dict of several. The tensors are stored as safetensors entries named by their dotted path
(`model.fc.weight`, `optimizer.state.0.exp_avg`); everything else (the nesting, dict keys that
are not strings, tuples, plain values) is JSON in the file's metadata. Loading a file therefore
never runs code, and a safetensors file written by other tools loads as a flat dict of tensors.

Writes are atomic: the bytes go to a temporary file in the same directory, which is flushed,
fsync'ed and renamed over the target, so a crash mid-save leaves the old checkpoint (or none),
never a truncated one. A truncated or foreign file raises a RuntimeError naming it.
"""

from __future__ import annotations

import json
import os
import secrets
import struct

from . import backend
from .tensor import Tensor, _make

__all__ = ["save", "load"]

_FORMAT = "ember"
_VERSION = "1"
# keys that mark an encoded node in the JSON structure; a user dict holding one of them as a key
# is written in the (key, value) pair form so that it cannot be mistaken for a marker on load
_MARKERS = frozenset({"__tensor__", "__tuple__", "__dict__", "__dtype__"})


# --------------------------------------------------------------------------------- encoding

class _Encoder:
    """Turns a nested object into (JSON-able structure, {name: host array})."""

    def __init__(self):
        self.arrays: dict = {}

    def _name(self, path: str) -> str:
        name = path or "tensor"
        base, n = name, 1
        while name in self.arrays:
            name = f"{base}#{n}"
            n += 1
        return name

    def encode(self, obj, path: str):
        if isinstance(obj, Tensor):
            host = obj._device.to_host(obj._data)
            name = self._name(path)
            entry = {"__tensor__": name}
            if host.dtype.kind == "c":  # safetensors has no complex dtype: store (..., 2) reals
                entry["complex"] = True
                real = host.real.dtype
                host = _contiguous(host).view(real).reshape(host.shape + (2,))
            self.arrays[name] = _contiguous(host)
            return entry
        if isinstance(obj, backend.DType):
            return {"__dtype__": obj.name}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if backend.is_numpy_scalar(obj):
            return obj.item()
        if backend.is_array(obj):
            return self.encode(_make(obj, backend.cpu), path)
        if isinstance(obj, dict):
            items = list(obj.items())
            if all(isinstance(k, str) for k, _ in items) and not _MARKERS.intersection(obj):
                return {k: self.encode(v, _join(path, k)) for k, v in items}
            return {"__dict__": [[_encode_key(k), self.encode(v, _join(path, str(k)))]
                                 for k, v in items]}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, _join(path, str(i)))
                                  for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, _join(path, str(i))) for i, v in enumerate(obj)]
        raise TypeError(f"ember.save: cannot save an object of type {type(obj).__name__} at "
                        f"{path or 'the top level'}; only tensors, dicts, lists, tuples, numbers, "
                        "strings, bools and None can be saved (no pickle)")


def _contiguous(a):
    """a C-contiguous array (keeps 0-d arrays 0-d, unlike ascontiguousarray)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _encode_key(k):
    if k is None or isinstance(k, (bool, int, float, str)):
        return k
    if isinstance(k, tuple):
        return {"__tuple__": [_encode_key(v) for v in k]}
    raise TypeError(f"ember.save: dict keys must be strings, numbers, bools, None or tuples of "
                    f"those, got {type(k).__name__}")


def _decode_key(k):
    if isinstance(k, dict) and "__tuple__" in k:
        return tuple(_decode_key(v) for v in k["__tuple__"])
    return k


def _decode(node, arrays: dict, device):
    if isinstance(node, list):
        return [_decode(v, arrays, device) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        arr = arrays[node["__tensor__"]]
        if node.get("complex"):
            cdt = {"float32": "complex64", "float64": "complex128"}[str(arr.dtype)]
            arr = _contiguous(arr).view(cdt).reshape(arr.shape[:-1])
        return _to_device(arr, device)
    if "__tuple__" in node and len(node) == 1:
        return tuple(_decode(v, arrays, device) for v in node["__tuple__"])
    if "__dict__" in node and len(node) == 1:
        return {_decode_key(k): _decode(v, arrays, device) for k, v in node["__dict__"]}
    if "__dtype__" in node and len(node) == 1:
        return backend.to_dtype(getattr(backend, node["__dtype__"] if node["__dtype__"] != "bool"
                                        else "bool_"))
    return {k: _decode(v, arrays, device) for k, v in node.items()}


def _to_device(arr, device) -> Tensor:
    if not arr.flags.writeable:
        arr = arr.copy()
    if device is None or device is backend.cpu:
        return _make(arr, backend.cpu)
    return _make(device.asarray(arr), device)


# -------------------------------------------------------------------------------------- save

def save(obj, f) -> None:
    """Save a tensor or a nested dict/list/tuple of tensors and plain values to `f` (a path, or
    a binary file object) in the safetensors format; a path is written atomically.

    Raises TypeError for anything that is not a tensor, container or plain value.
    """
    from safetensors.numpy import save as _st_save

    enc = _Encoder()
    structure = enc.encode(obj, "")
    metadata = {"format": _FORMAT, "version": _VERSION,
                "structure": json.dumps(structure, allow_nan=True)}
    data = _st_save(enc.arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
        return
    _atomic_write(os.fspath(f), data)


def _open_temporary(directory: str, base: str) -> tuple[int, str]:
    """A new file next to the target, created with mode 0o666 so that the umask applies, as
    to a file open(path, 'wb') creates (mkstemp's files are 0o600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"ember.save: no free temporary file name in {directory}")


def _atomic_write(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"ember.save: Parent directory {directory} does not exist "
                                f"(saving {path!r})")
    try:
        existing_mode = os.stat(path).st_mode & 0o777
    except OSError:
        existing_mode = None
    fd, tmp = _open_temporary(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as out:
            if existing_mode is not None and hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), existing_mode)  # overwriting keeps the file's mode
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (not possible on every platform)
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# -------------------------------------------------------------------------------------- load

def _parse_header(data: bytes, name: str) -> dict:
    def bad(why: str):
        return RuntimeError(f"ember.load: {name} is not a valid ember checkpoint "
                            f"(safetensors file): {why}. The file may be truncated, corrupted, "
                            "or written in another format (ember never loads pickle files).")

    if len(data) < 8:
        raise bad(f"it has only {len(data)} bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise bad(f"its header claims {n} bytes but only {len(data) - 8} follow")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad(f"its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    end = 8 + n
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, stop = info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise bad(f"entry {key!r} has no valid data_offsets") from None
        if end + stop > len(data):
            raise bad(f"tensor {key!r} needs bytes up to {end + stop}, the file has "
                      f"{len(data)}")
    return header


def load(f, map_location=None, weights_only: bool = True, **kwargs):
    """Load what save() wrote (from a path or a binary file object); tensors are placed on
    map_location (a device or its name; the CPU by default).

    Raises RuntimeError naming the file if it is truncated, corrupted or not a safetensors
    file.
    """
    if hasattr(f, "read"):
        data = f.read()
        name = repr(getattr(f, "name", "<file object>"))
    else:
        path = os.fspath(f)
        name = repr(path)
        with open(path, "rb") as fh:
            data = fh.read()
    device = None
    if map_location is not None:
        if callable(map_location) or isinstance(map_location, dict):
            raise TypeError("ember.load: map_location must be a device or a device name")
        device = backend.device(map_location)
        device.check_available()
    header = _parse_header(data, name)
    from safetensors import SafetensorError
    from safetensors.numpy import load as _st_load
    try:
        arrays = _st_load(data)
    except (SafetensorError, ValueError, TypeError) as exc:
        raise RuntimeError(f"ember.load: {name} is not a valid ember checkpoint (safetensors "
                           f"file): {exc}") from None
    meta = header.get("__metadata__") or {}
    if meta.get("format") != _FORMAT or "structure" not in meta:
        return {k: _to_device(v, device) for k, v in arrays.items()}
    try:
        structure = json.loads(meta["structure"])
    except ValueError as exc:
        raise RuntimeError(f"ember.load: {name} has corrupted ember metadata ({exc})") from None
    try:
        return _decode(structure, arrays, device)
    except (KeyError, TypeError, ValueError) as exc:
        raise RuntimeError(f"ember.load: {name} has corrupted ember metadata (it names a "
                           f"tensor or an encoding the file does not hold: {exc!r})") from None

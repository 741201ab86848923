"""The one table of ember's public ops.

Every public op registers here once, with whether it is an `ember.` function, which Tensor
methods it becomes, and whether it is differentiable. `ember/__init__` exports the functions,
`attach_methods` puts the methods on Tensor, and the test suite checks that every differentiable
entry has a row in tests/ops/op_table.py (so a new op is a new row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable
    methods: tuple[str, ...]
    function: bool
    differentiable: bool


OPS: dict[str, Entry] = {}


def register(name: str | None = None, *, method: bool | str | tuple = True, function: bool = True,
             differentiable: bool = True):
    """Decorator: register a public op. `method` is True (same name), False, a name or names."""

    def deco(fn):
        op_name = name or fn.__name__
        if op_name in OPS:
            raise RuntimeError(f"op {op_name!r} registered twice")
        if method is True:
            methods = (op_name,)
        elif method is False:
            methods = ()
        elif isinstance(method, str):
            methods = (method,)
        else:
            methods = tuple(method)
        OPS[op_name] = Entry(op_name, fn, methods, function, differentiable)
        return fn

    return deco


def alias(new: str, old: str, *, method: bool = True, function: bool = True) -> None:
    """Register `new` as another name of the op `old` (e.g. clip for clamp)."""
    e = OPS[old]
    OPS[new] = Entry(new, e.fn, (new,) if method else (), function, e.differentiable)


def functions() -> dict[str, Callable]:
    return {e.name: e.fn for e in OPS.values() if e.function}


def attach_methods(cls) -> None:
    """Each op's methods on `cls`; a property `cls` defines (x.real, x.imag) stays one."""
    for e in OPS.values():
        for m in e.methods:
            if not isinstance(cls.__dict__.get(m), property):
                setattr(cls, m, e.fn)

"""einsum: any subscripts NumPy accepts, with a gradient that is itself an einsum.

The gradient for operand i contracts the output gradient with the other operands onto operand
i's subscripts. Three details make that general: a letter repeated within operand i ('ii') gets
identity matrices so the gradient lands on the diagonal; a letter only operand i has (summed
away) gets a vector of ones so the gradient is broadcast along it; a size-1 dim that the forward
broadcast is summed back.
"""

from __future__ import annotations

import string

from ..autograd.function import Op
from ..tensor import Tensor, _make
from ._util import check_tensor, result_dtype
from .registry import register

_LETTERS = string.ascii_letters


class _Parsed:
    """An equation with ellipses made explicit: input subscripts, output subscript, sizes."""

    def __init__(self, inputs: list[str], output: str, sizes: dict[str, int]):
        self.inputs = inputs
        self.output = output
        self.sizes = sizes

    def equation(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def _parse(equation: str, shapes: list[tuple]) -> _Parsed:
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError(f"einsum: the equation {equation!r} has {len(inputs)} operands but "
                           f"{len(shapes)} tensors were given")
    used = set(c for c in eq if c.isalpha())
    fresh = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for sub, shape in zip(inputs, shapes):
        for c in sub.replace("...", ""):
            if c not in _LETTERS:
                raise RuntimeError(f"einsum: invalid subscript {c!r} in {equation!r}")
        letters = len(sub.replace("...", ""))
        if "..." in sub:
            n_ell = max(n_ell, len(shape) - letters)
        elif letters != len(shape):
            raise RuntimeError(f"einsum: the subscript {sub!r} has {letters} letters but its "
                               f"operand has {len(shape)} dims (shape {shape})")
    ell = "".join(fresh[:n_ell])
    expanded = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            k = len(shape) - len(sub.replace("...", ""))
            if k < 0:
                raise RuntimeError(f"einsum: the subscript {sub!r} has more letters than its "
                                   f"operand has dims (shape {shape})")
            sub = sub.replace("...", ell[n_ell - k:] if k else "")
        expanded.append(sub)
    if explicit:
        out = out.replace("...", ell)
    else:
        counts = {}
        for sub in expanded:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    sizes: dict[str, int] = {}
    for i, (sub, shape) in enumerate(zip(expanded, shapes)):
        for c, n in zip(sub, shape):
            have = sizes.get(c)
            if have is None or have == 1:
                sizes[c] = n
            elif n != 1 and n != have:
                raise RuntimeError(f"einsum: subscript {c!r} has size {have} in an earlier "
                                   f"operand and size {n} in operand {i} ({equation!r})")
    for c in out:
        if c not in sizes:
            raise RuntimeError(f"einsum: output subscript {c!r} does not appear in the inputs "
                               f"of {equation!r}")
    if len(set(out)) != len(out):
        raise RuntimeError(f"einsum: output subscript repeats a letter in {equation!r}")
    return _Parsed(expanded, out, sizes)


class Einsum(Op):
    @staticmethod
    def forward(ctx, *args):
        *arrays, parsed = args
        ctx.parsed = parsed
        big = max(a.size for a in arrays) > 4096 and len(arrays) >= 2
        return ctx.xp.einsum(parsed.equation(), *arrays, optimize=big)

    @staticmethod
    def backward(ctx, g):
        *operands, _ = ctx.saved_tensors
        parsed = ctx.parsed
        grads = [_operand_grad(g, operands, parsed, i) if e is not None else None
                 for i, e in enumerate(ctx.next[:-1])]
        return (*grads, None)


def _operand_grad(g: Tensor, operands: list, parsed: _Parsed, i: int) -> Tensor:
    target = parsed.inputs[i]
    xp = g._device.xp
    dev = g._device
    used = set("".join(parsed.inputs) + parsed.output)
    fresh = iter(c for c in _LETTERS if c not in used)
    subs = [parsed.output]
    terms = [g]
    for j, (sub, t) in enumerate(zip(parsed.inputs, operands)):
        if j != i:
            subs.append(sub)
            terms.append(t)
    available = set("".join(subs))
    renamed = []
    seen = set()
    for c in target:
        if c in seen:  # repeated letter: the gradient sits on the diagonal
            new = next(fresh)
            eye = xp.eye(parsed.sizes[c], dtype=g._data.dtype)
            subs.append(c + new)
            terms.append(_make(eye, dev))
            renamed.append(new)
            continue
        seen.add(c)
        renamed.append(c)
        if c not in available:  # summed away in the forward: broadcast the gradient along it
            subs.append(c)
            terms.append(_make(xp.ones(parsed.sizes[c], dtype=g._data.dtype), dev))
            available.add(c)
    grad = einsum(",".join(subs) + "->" + "".join(renamed), *terms)
    shape = tuple(operands[i].shape)
    squash = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    if squash:
        grad = grad.sum(squash, keepdim=True)
    return grad


def _sublist_letters(sublist) -> str:
    out = []
    for s in sublist:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, int) and 0 <= s < len(_LETTERS):
            out.append(_LETTERS[s])
        else:
            raise RuntimeError(f"einsum: a subscript in a sublist must be Ellipsis or an int in "
                               f"[0, {len(_LETTERS)}), got {s!r}")
    return "".join(out)


def _from_sublists(args) -> tuple[str, list]:
    """NumPy's other form, einsum(a, [0, 1], b, [1, 2], [0, 2]), as an equation and operands."""
    operands, subs = list(args[0::2]), [_sublist_letters(s) for s in args[1::2]]
    output = None
    if len(args) % 2:
        output = _sublist_letters(args[-1])
        operands = operands[:-1]
    return ",".join(subs) + ("" if output is None else "->" + output), operands


@register(method=False)
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, as NumPy's: 'ij,jk->ik' is a matrix product, 'ii->' a trace,
    'bij->bji' a batched transpose, '...' stands for leading dims. Differentiable in every
    operand. NumPy's sublist form, einsum(a, [0, 1], b, [1, 2], [0, 2]), works too."""
    if isinstance(equation, Tensor):
        equation, operands = _from_sublists((equation, *operands))
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum: at least one operand is required")
    for t in operands:
        check_tensor("einsum", t, "operand")
    dt = result_dtype(*operands)
    operands = [t if t.dtype == dt else t.to(dt) for t in operands]
    parsed = _parse(equation, [tuple(t.shape) for t in operands])
    return Einsum.apply(*operands, parsed)

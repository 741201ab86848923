"""Every row of the op table: the forward against NumPy/SciPy (float64 and float32), and the
gradient against finite differences (gradcheck in float64)."""

import numpy as np
import pytest

import ember
from ember.autograd import engine, gradcheck, gradgradcheck
from ember.ops.registry import OPS

from ..conftest import DEVICE, requires_cuda, to_numpy
from .op_table import ROWS

SEED = 20261128


def _cases(predicate=lambda row: True):
    out = []
    for n, row in enumerate(ROWS):
        if not predicate(row):
            continue
        for k in range(len(row.cases(np.random.default_rng(SEED)))):
            marks = [requires_cuda] if row.cuda else []
            out.append(pytest.param(row, k, id=f"{row.name}-{n}-{k}", marks=marks))
    return out


def _args(row, case):
    return row.cases(np.random.default_rng(SEED))[case]


def _tensors(args, float_dtype, requires_grad=False):
    device = ember.device(DEVICE)
    out = []
    for a in args:
        a = np.asarray(a)
        if a.dtype.kind == "f":
            t = ember.tensor(a, dtype=float_dtype, device=device)
            out.append(t.requires_grad_(requires_grad))
        else:
            out.append(ember.tensor(a, device=device))
    return out


def _compare(out, expected, rtol, atol, float_dtype=None):
    if isinstance(out, (tuple, list)):
        expected = tuple(expected)
        assert len(out) == len(expected), f"{len(out)} outputs, expected {len(expected)}"
        for o, e in zip(out, expected):
            _compare(o, e, rtol, atol, float_dtype)
        return
    assert isinstance(out, ember.Tensor), f"expected a Tensor, got {type(out).__name__}"
    expected = np.asarray(expected)
    got = to_numpy(out)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    if float_dtype is not None and expected.dtype.kind == "f":
        assert out.dtype == float_dtype, f"dtype {out.dtype}, expected {float_dtype}"
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("row,case", _cases(lambda r: r.ref is not None))
def test_forward_matches_numpy_float64(row, case):
    args = _args(row, case)
    _compare(row.fn(*_tensors(args, ember.float64)), row.ref(*args), 1e-9, row.atol)


@pytest.mark.parametrize("row,case", _cases(lambda r: r.ref is not None and r.float32))
def test_forward_keeps_float32(row, case):
    args = _args(row, case)
    args32 = [np.asarray(a).astype(np.float32) if np.asarray(a).dtype.kind == "f" else a
              for a in args]
    expected = row.ref(*[np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f"
                         else a for a in args32])
    _compare(row.fn(*_tensors(args32, ember.float32)), expected, 2e-4, 2e-5, ember.float32)


@pytest.mark.parametrize("row,case", _cases(lambda r: r.grad))
def test_gradcheck(row, case):
    inputs = _tensors(_args(row, case), ember.float64, requires_grad=True)
    assert gradcheck(row.fn, inputs, eps=row.eps)


@pytest.mark.parametrize("row,case", _cases(lambda r: r.grad and r.gradgrad))
def test_gradgradcheck(row, case):
    inputs = _tensors(_args(row, case), ember.float64, requires_grad=True)
    if not any(t.numel() for t in inputs if t.requires_grad):
        return
    assert gradgradcheck(row.fn, inputs)


def _first_rows(predicate):
    """One case per row: the first whose differentiated inputs are not empty."""
    out = []
    for n, row in enumerate(ROWS):
        if not predicate(row):
            continue
        cases = row.cases(np.random.default_rng(SEED))
        k = next((k for k, args in enumerate(cases)
                  if any(np.asarray(a).dtype.kind == "f" and np.asarray(a).size for a in args)),
                 None)
        if k is not None:
            marks = [requires_cuda] if row.cuda else []
            out.append(pytest.param(row, k, id=f"{row.name}-{n}-{k}", marks=marks))
    return out


@pytest.mark.parametrize("row,case", _first_rows(lambda r: r.grad and not r.gradgrad))
def test_second_derivatives_of_every_differentiable_op(row, case):
    """Higher-order gradients through every op: gradgradcheck on one case of each row (the rows
    marked gradgrad run all their cases above), with the row's finite-difference step."""
    inputs = _tensors(_args(row, case), ember.float64, requires_grad=True)
    assert gradgradcheck(row.fn, inputs, eps=row.eps)


@pytest.mark.parametrize("row,case", _cases(lambda r: r.grad))
def test_array_level_rules_agree_with_the_ember_op_rules(row, case):
    """Ops with a fast array-level backward (vjp) must give what their ember-op rule gives."""
    inputs = _tensors(_args(row, case), ember.float64, requires_grad=True)
    diff = [t for t in inputs if t.requires_grad]
    outs = row.fn(*inputs)
    outs = [o for o in (outs if isinstance(outs, (tuple, list)) else (outs,))
            if o.requires_grad]
    if not outs or not diff:
        return
    seeds = [ember.tensor(np.random.default_rng(0).normal(size=tuple(o.shape)), device=o.device)
             for o in outs]
    fast = ember.autograd.grad(outs, diff, seeds, retain_graph=True, allow_unused=True)
    engine.options.use_vjp = False
    try:
        slow = ember.autograd.grad(outs, diff, seeds, allow_unused=True)
    finally:
        engine.options.use_vjp = True
    for f, s in zip(fast, slow):
        assert (f is None) == (s is None)
        if f is not None:
            np.testing.assert_allclose(to_numpy(f), to_numpy(s), rtol=1e-12, atol=1e-14)


def test_every_differentiable_op_has_a_row():
    covered = {OPS[row.name].fn for row in ROWS if row.name in OPS}
    missing = sorted(e.name for e in OPS.values() if e.differentiable and e.fn not in covered)
    assert not missing, f"differentiable ops without a row in tests/ops/op_table.py: {missing}"

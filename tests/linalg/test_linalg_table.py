"""Every row of the linalg table: the forward against NumPy/SciPy (float64, and float32 keeping
its dtype), the gradient against finite differences (gradcheck in float64, gradgradcheck for
the rows marked), and a check that every public function of ember.linalg has a row."""

import numpy as np
import pytest

import ember
import ember.linalg as LA
from ember.autograd import gradcheck, gradgradcheck

from ..conftest import DEVICE, to_numpy
from .linalg_table import ROWS, TESTED_ELSEWHERE

SEED = 20261205


def _cases(predicate=lambda row: True):
    return [pytest.param(row, id=f"{row.name}-{n}") for n, row in enumerate(ROWS)
            if predicate(row)]


def _args(row):
    return row.make(np.random.default_rng(SEED))


def _tensors(args, float_dtype, requires_grad=False, diff=None):
    device = ember.device(DEVICE)
    out = []
    for i, a in enumerate(args):
        a = np.ascontiguousarray(a)  # gradcheck perturbs the array in place
        if a.dtype.kind == "f":
            grad = requires_grad and (diff is None or i in diff)
            out.append(ember.tensor(a, dtype=float_dtype, device=device).requires_grad_(grad))
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
        assert got.dtype.kind == expected.dtype.kind, (
            f"dtype {out.dtype}, expected a {'complex' if expected.dtype.kind == 'c' else 'real'} "
            "result")
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("row", _cases(lambda r: r.ref is not None))
def test_forward_matches_numpy_float64(row):
    args = _args(row)
    _compare(row.fn(*_tensors(args, ember.float64)), row.ref(*args), row.rtol, row.atol)


@pytest.mark.parametrize("row", _cases(lambda r: r.ref is not None and r.float32))
def test_forward_keeps_float32(row):
    args = [np.asarray(a).astype(np.float32) if np.asarray(a).dtype.kind == "f" else a
            for a in _args(row)]
    expected = row.ref(*[np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else a
                         for a in args])
    _compare(row.fn(*_tensors(args, ember.float32)), expected, 2e-4, 2e-4, ember.float32)


@pytest.mark.parametrize("row", _cases(lambda r: r.grad))
def test_gradcheck(row):
    inputs = _tensors(_args(row), ember.float64, requires_grad=True, diff=row.diff)
    assert gradcheck(row.grad_fn or row.fn, inputs, eps=row.eps)


@pytest.mark.parametrize("row", _cases(lambda r: r.grad and r.gradgrad))
def test_gradgradcheck(row):
    inputs = _tensors(_args(row), ember.float64, requires_grad=True, diff=row.diff)
    assert gradgradcheck(row.grad_fn or row.fn, inputs)


def test_every_public_function_has_a_row():
    covered = {row.name for row in ROWS} | TESTED_ELSEWHERE
    missing = sorted(set(LA.__all__) - covered)
    assert not missing, f"ember.linalg functions without a row in linalg_table.py: {missing}"

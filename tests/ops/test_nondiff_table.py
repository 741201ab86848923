"""Ops without a gradient (comparisons, logic, bitwise, arg-reductions, searching): each a row,
forward against NumPy, no graph recorded. Every such registered op must have a row."""

import numpy as np
import pytest

import ember
from ember.ops.registry import OPS

from ..conftest import to_numpy

R = np.random.default_rng(7)
F = R.normal(size=(3, 4)).round(1)            # rounded so that ties and equal values occur
G = R.normal(size=(4,)).round(1)
I = R.integers(-4, 5, (3, 4))
J = R.integers(1, 5, (4,))
B = R.random((3, 4)) > 0.5
C = R.random((4,)) > 0.5
S = np.array([-np.inf, -1.0, 0.0, -0.0, 2.0, np.inf, np.nan])

ROWS = [
    ("eq", lambda x, y: x == y, np.equal, (F, G)),
    ("eq", lambda x: ember.eq(x, 0.5), lambda x: x == 0.5, (F,)),
    ("ne", lambda x, y: x != y, np.not_equal, (I, J)),
    ("lt", lambda x, y: x < y, np.less, (F, G)),
    ("le", lambda x, y: ember.le(x, y), np.less_equal, (I, J)),
    ("gt", lambda x: x > 0, lambda x: x > 0, (F,)),
    ("ge", lambda x, y: x >= y, np.greater_equal, (F, I)),
    ("logical_and", ember.logical_and, np.logical_and, (B, C)),
    ("logical_or", ember.logical_or, np.logical_or, (F, I)),
    ("logical_xor", ember.logical_xor, np.logical_xor, (B, C)),
    ("logical_not", ember.logical_not, np.logical_not, (F,)),
    ("bitwise_and", lambda x, y: x & y, np.bitwise_and, (I, J)),
    ("bitwise_or", lambda x, y: x | y, np.bitwise_or, (B, C)),
    ("bitwise_xor", lambda x, y: x ^ y, np.bitwise_xor, (I, J)),
    ("bitwise_not", lambda x: ~x, np.invert, (I,)),
    ("bitwise_not", lambda x: ~x, np.logical_not, (B,)),
    ("bitwise_left_shift", lambda x, y: x << y, np.left_shift, (J, J)),
    ("bitwise_right_shift", lambda x, y: x >> y, np.right_shift, (J * 8, J)),
    ("isnan", ember.isnan, np.isnan, (S,)),
    ("isinf", ember.isinf, np.isinf, (S,)),
    ("isposinf", ember.isposinf, np.isposinf, (S,)),
    ("isneginf", ember.isneginf, np.isneginf, (S,)),
    ("isfinite", ember.isfinite, np.isfinite, (S,)),
    ("signbit", ember.signbit, np.signbit, (S,)),
    ("isclose", lambda x, y: ember.isclose(x, y, rtol=0.1), lambda x, y: np.isclose(x, y, 0.1),
     (F, G)),
    ("isclose", lambda x, y: ember.isclose(x, y, equal_nan=True),
     lambda x, y: np.isclose(x, y, equal_nan=True), (S, S)),
    ("allclose", lambda x, y: ember.allclose(x, y), lambda x, y: np.allclose(x, y), (F, F)),
    ("allclose", lambda x, y: ember.allclose(x, y), lambda x, y: np.allclose(x, y), (F, F + 1)),
    ("equal", ember.equal, np.array_equal, (I, I)),
    ("equal", ember.equal, np.array_equal, (I, I[:2])),
    ("any", ember.any, np.any, (B,)),
    ("any", lambda x: ember.any(x, 1), lambda x: np.any(x, 1), (B,)),
    ("all", lambda x: ember.all(x, (0, 1), keepdim=True),
     lambda x: np.all(x, (0, 1), keepdims=True), (B,)),
    ("argmax", ember.argmax, np.argmax, (F,)),
    ("argmax", lambda x: ember.argmax(x, 1, keepdim=True),
     lambda x: np.argmax(x, 1, keepdims=True), (F,)),
    ("argmin", lambda x: ember.argmin(x, 0), lambda x: np.argmin(x, 0), (I,)),
    ("count_nonzero", ember.count_nonzero, np.count_nonzero, (I,)),
    ("count_nonzero", lambda x: ember.count_nonzero(x, 0),
     lambda x: np.count_nonzero(x, 0), (I,)),
    ("nonzero", ember.nonzero, np.argwhere, (I,)),
    ("nonzero", lambda x: ember.nonzero(x, as_tuple=True), np.nonzero, (I,)),
    ("argwhere", ember.argwhere, np.argwhere, (B,)),
    ("argsort", lambda x: ember.argsort(x, 1), lambda x: np.argsort(x, 1, kind="stable"), (F,)),
    ("argsort", lambda x: ember.argsort(x, 0, descending=True),
     lambda x: np.flip(x.shape[0] - 1 - np.argsort(np.flip(x, 0), 0, kind="stable"), 0), (F,)),
    ("unique", ember.unique, np.unique, (I,)),
    ("unique", lambda x: ember.unique(x, return_inverse=True, return_counts=True),
     lambda x: np.unique(x, return_inverse=True, return_counts=True), (I,)),
    ("unique", lambda x: ember.unique(x, dim=0), lambda x: np.unique(x, axis=0),
     (np.array([[1, 2], [3, 4], [1, 2]]),)),
    ("searchsorted", lambda s, v: ember.searchsorted(s, v), np.searchsorted,
     (np.sort(G), F.reshape(-1))),
    ("searchsorted", lambda s, v: ember.searchsorted(s, v, right=True),
     lambda s, v: np.searchsorted(s, v, side="right"), (np.sort(G), G)),
    ("searchsorted", lambda s, v: ember.searchsorted(s, v),
     lambda s, v: np.stack([np.searchsorted(a, b) for a, b in zip(s, v)]),
     (np.sort(F, 1), F)),
    ("searchsorted", lambda s, v: ember.searchsorted(s, input=v, side="right", out_int32=True),
     lambda s, v: np.searchsorted(s, v, side="right").astype(np.int32), (np.sort(G), G)),
    ("bucketize", lambda v, b: ember.bucketize(v, b), lambda v, b: np.searchsorted(b, v),
     (F, np.sort(G))),
    ("bucketize", lambda v, b: ember.bucketize(v, b, right=True),
     lambda v, b: np.searchsorted(b, v, side="right"), (G, np.sort(G))),
    ("argmax", lambda x: ember.argmax(x, 0), lambda x: np.argmax(x), (np.array(2.5),)),
    ("one_hot", lambda x: ember.one_hot(x, 5), lambda x: np.eye(5, dtype=np.int64)[x], (J,)),
    ("one_hot", ember.one_hot, lambda x: np.eye(x.max() + 1, dtype=np.int64)[x], (J,)),
    ("real", ember.real, np.real, (F,)),
    ("real", ember.real, np.real, (F + 2j * F,)),
    ("imag", ember.imag, np.imag, (F + 2j * F,)),
    ("conj", ember.conj, np.conj, (F - 1j * F,)),
    ("conj", ember.conj, np.conj, (F,)),
    ("isin", ember.isin, np.isin, (I, J)),
    ("isin", lambda x, y: ember.isin(x, y, invert=True), lambda x, y: np.isin(x, y, invert=True),
     (F, G)),
    ("isin", lambda x: ember.isin(x, 2), lambda x: np.isin(x, 2), (I,)),
    ("isin", lambda y: ember.isin(3, y), lambda y: np.isin(3, y), (J,)),
    ("isreal", ember.isreal, np.isreal, (F,)),
    ("isreal", lambda x: x.isreal(), np.isreal, (F + 1j * (F > 0),)),
    ("isreal", ember.isreal, np.isreal, (I,)),
    ("tril_indices", lambda: ember.tril_indices(3, 4, 1),
     lambda: np.stack(np.tril_indices(3, 1, 4)), ()),
    ("tril_indices", lambda: ember.tril_indices(4, 3, -1, dtype=ember.int32),
     lambda: np.stack(np.tril_indices(4, -1, 3)).astype(np.int32), ()),
    ("tril_indices", lambda: ember.tril_indices(0, 3), lambda: np.zeros((2, 0), np.int64), ()),
    ("triu_indices", lambda: ember.triu_indices(3, 3), lambda: np.stack(np.triu_indices(3, 0, 3)),
     ()),
    ("triu_indices", lambda: ember.triu_indices(3, 5, 2),
     lambda: np.stack(np.triu_indices(3, 2, 5)), ()),
]


def _as_tensor(a):
    a = np.asarray(a)
    return ember.tensor(a, dtype=ember.float64) if a.dtype.kind == "f" else ember.tensor(a)


@pytest.mark.parametrize("name, fn, ref, args", ROWS, ids=[f"{r[0]}-{i}" for i, r in
                                                          enumerate(ROWS)])
def test_forward_matches_numpy(name, fn, ref, args):
    out = fn(*[_as_tensor(a) for a in args])
    expected = ref(*args)
    if isinstance(expected, (bool, np.bool_)):
        assert out == bool(expected)
        return
    if not isinstance(expected, tuple):
        out, expected = (out,), (expected,)
    assert len(out) == len(expected)
    for o, e in zip(out, expected):
        assert not o.requires_grad
        got = to_numpy(o)
        assert got.shape == np.shape(e)
        np.testing.assert_array_equal(got, e)


def test_comparisons_record_no_graph():
    x = ember.ones(3, requires_grad=True)
    for out in (x > 0, x == x, ember.isnan(x), x.argmax(), ember.any(x > 0)):
        assert not out.requires_grad and out.grad_fn is None


def test_comparison_results_are_bool():
    assert (ember.ones(2) < 2).dtype is ember.bool
    assert (ember.arange(3) == 1.0).dtype is ember.bool
    assert ember.argmax(ember.ones(2, 2)).dtype is ember.int64


def test_bitwise_ops_reject_floats():
    with pytest.raises(RuntimeError, match="bitwise_and: only integral and boolean tensors"):
        ember.ones(2) & ember.ones(2)
    with pytest.raises(RuntimeError, match="bitwise_not: only integral and boolean"):
        ~ember.ones(2)


def test_eq_with_unsupported_type_is_false_not_an_error():
    assert (ember.ones(2) == None) is False  # noqa: E711
    assert (ember.ones(2) != "a") is True


def test_every_non_differentiable_op_has_a_row():
    covered = {OPS[r[0]].fn for r in ROWS}
    missing = sorted(e.name for e in OPS.values() if not e.differentiable and e.fn not in covered)
    assert not missing, f"ops without a row in tests/ops/test_nondiff_table.py: {missing}"

"""ember's ops: importing this package fills the op registry and gives Tensor its methods and
operators."""

from __future__ import annotations

from ..tensor import Tensor
from . import arithmetic, compare, convert, einsum, elementwise, index, inplace, reduce, shape  # noqa: F401
from ._util import as_operand
from .registry import OPS, attach_methods, functions, register

register("addcmul")(inplace.addcmul)
register("addcdiv")(inplace.addcdiv)

# the statistics that PyTorch has as torch.* functions and Tensor methods live in ember.stats
# (built on the ops above); registered here, they are ember.cov, x.cov(), ... too
from .. import stats  # noqa: E402

for _fn in (stats.cov, stats.corrcoef, stats.quantile, stats.nanquantile):
    register(_fn.__name__)(_fn)

attach_methods(Tensor)


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    method.__name__ = f"r{fn.__name__}"
    return method


def _comparison(fn):
    def method(self, other):
        try:
            other = as_operand(fn.__name__, other, self)
        except TypeError:
            return NotImplemented
        return fn(self, other)
    method.__name__ = fn.__name__
    return method


def _pos(self) -> Tensor:
    return self


_OPERATORS = {
    # + - * / go straight to the ops' hot paths (Op.binary_path). a + b == b + a and
    # a * b == b * a exactly, so the reflected forms of these two compute with the tensor first.
    "__add__": arithmetic._add,
    "__radd__": arithmetic.Add.binary_path("fciub", _reflected(arithmetic.add)),
    "__sub__": arithmetic._sub,
    "__rsub__": arithmetic._rsub,
    "__mul__": arithmetic._mul,
    "__rmul__": arithmetic.Mul.binary_path("fciub", _reflected(arithmetic.mul)),
    "__truediv__": arithmetic._div,
    "__rtruediv__": _reflected(arithmetic.div),
    "__floordiv__": arithmetic.floor_divide,
    "__rfloordiv__": _reflected(arithmetic.floor_divide),
    "__mod__": arithmetic.remainder, "__rmod__": _reflected(arithmetic.remainder),
    "__pow__": arithmetic.pow, "__rpow__": _reflected(arithmetic.pow),
    "__matmul__": arithmetic.matmul, "__rmatmul__": _reflected(arithmetic.matmul),
    "__neg__": arithmetic.neg, "__pos__": _pos, "__abs__": arithmetic.abs,
    "__invert__": compare.bitwise_not,
    "__and__": compare.bitwise_and, "__rand__": _reflected(compare.bitwise_and),
    "__or__": compare.bitwise_or, "__ror__": _reflected(compare.bitwise_or),
    "__xor__": compare.bitwise_xor, "__rxor__": _reflected(compare.bitwise_xor),
    "__lshift__": compare.bitwise_left_shift, "__rshift__": compare.bitwise_right_shift,
    "__lt__": _comparison(compare.lt), "__le__": _comparison(compare.le),
    "__gt__": _comparison(compare.gt), "__ge__": _comparison(compare.ge),
    "__eq__": _comparison(compare.eq), "__ne__": _comparison(compare.ne),
}
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)

_INPLACE = dict(inplace.METHODS)
for _name, _fn in (("neg_", arithmetic.neg), ("abs_", arithmetic.abs), ("pow_", arithmetic.pow),
                   ("remainder_", arithmetic.remainder), ("fmod_", arithmetic.fmod),
                   ("floor_divide_", arithmetic.floor_divide), ("reciprocal_",
                                                                 arithmetic.reciprocal),
                   ("sign_", arithmetic.sign), ("exp_", elementwise.exp),
                   ("log_", elementwise.log), ("relu_", elementwise.relu),
                   ("sigmoid_", elementwise.sigmoid), ("tanh_", elementwise.tanh),
                   ("square_", elementwise.square), ("sin_", elementwise.sin),
                   ("cos_", elementwise.cos), ("floor_", elementwise.floor),
                   ("ceil_", elementwise.ceil), ("trunc_", elementwise.trunc),
                   ("round_", elementwise.round), ("clamp_min_", elementwise.clamp_min),
                   ("clamp_max_", elementwise.clamp_max), ("clip_", elementwise.clamp),
                   ("masked_fill_", index.masked_fill), ("index_fill_", index.index_fill),
                   ("index_add_", index.index_add), ("scatter_", index.scatter),
                   ("scatter_add_", index.scatter_add), ("masked_scatter_", index.masked_scatter),
                   ("tril_", shape.tril), ("triu_", shape.triu),
                   ("nan_to_num_", elementwise.nan_to_num), ("logit_", elementwise.logit),
                   ("expm1_", elementwise.expm1), ("log1p_", elementwise.log1p),
                   ("rsqrt_", elementwise.rsqrt), ("atan2_", elementwise.atan2),
                   ("copysign_", elementwise.copysign), ("hypot_", elementwise.hypot),
                   ("frac_", elementwise.frac)):
    _INPLACE[_name] = inplace.generic(_name, _fn)
for _name, _fn in _INPLACE.items():
    setattr(Tensor, _name, _fn)


def _ioperator(method):
    def op(self, other):
        return method(self, other)
    return op


for _dunder, _method in (("__iadd__", "add_"), ("__isub__", "sub_"), ("__imul__", "mul_"),
                         ("__itruediv__", "div_"), ("__ifloordiv__", "floor_divide_"),
                         ("__imod__", "remainder_"), ("__ipow__", "pow_")):
    setattr(Tensor, _dunder, _ioperator(_INPLACE[_method]))


def _fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
    """The main diagonal (of a matrix, or of an n-cube's all-equal indices) set to fill_value."""
    if self.ndim < 2:
        raise RuntimeError("fill_diagonal_: dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal length")
    xp = self._device.xp
    if self.ndim == 2:
        rows, cols = self.shape
        end = rows * cols if wrap else min(rows, cols) * cols
        flat = xp.arange(0, end, cols + 1)
        key = (flat // cols, flat % cols)
    else:
        idx = xp.arange(self.shape[0])
        key = (idx,) * self.ndim
    self[key] = fill_value
    return self


Tensor.fill_diagonal_ = _fill_diagonal_

__all__ = ["OPS", "functions"]

"""A user's mistake gets one clear exception at the call, naming the op and what is wrong."""

import pytest

import ember
from ember.tensor import _make

from .conftest import FAKE


def on_fake(t):
    return _make(t.numpy().copy(), FAKE)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ember.ones(3, 4) @ ember.ones(5, 2), RuntimeError,
     r"matmul: shapes \(3, 4\) and \(5, 2\) cannot be multiplied \(4 != 5\)"),
    (lambda: ember.mm(ember.ones(3), ember.ones(3, 2)), RuntimeError, r"mm: expected 2D tensors"),
    (lambda: ember.bmm(ember.ones(2, 3, 4), ember.ones(3, 4, 5)), RuntimeError,
     r"bmm: batch sizes differ"),
    (lambda: ember.matmul(ember.ones(2, 3, 4), ember.ones(3, 4, 5)), RuntimeError,
     r"matmul: the batch dims of shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast"),
    (lambda: ember.matmul(ember.tensor(1.0), ember.ones(2)), RuntimeError,
     r"matmul: both arguments need to be at least 1D, but they are 0D and 1D"),
    (lambda: ember.dot(ember.ones(3), ember.ones(4)), RuntimeError,
     r"dot: inconsistent tensor size"),
    (lambda: ember.ones(3) + ember.ones(4), RuntimeError,
     r"add: shapes \(3,\) and \(4,\) cannot be broadcast together \(dim -1: 3 vs 4\)"),
    (lambda: ember.ones(2, 3) * ember.ones(3, 2), RuntimeError,
     r"mul: shapes \(2, 3\) and \(3, 2\) cannot be broadcast together"),
    (lambda: ember.where(ember.ones(3) > 0, ember.ones(2), 0.0), RuntimeError,
     r"where: shapes \(3,\) and \(2,\) cannot be broadcast"),
    (lambda: ember.cat([ember.ones(2, 3), ember.ones(2, 4)]), RuntimeError,
     r"cat: sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 "
     r"for tensor number 1"),
    (lambda: ember.cat([ember.ones(2, 3), ember.ones(3)]), RuntimeError,
     r"cat: tensors must have the same number of dimensions"),
    (lambda: ember.stack([ember.ones(3), ember.ones(4)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[3\] at entry 0 and \[4\] at "
     r"entry 1"),
    (lambda: ember.einsum("ij,jk->ik", ember.ones(2, 3), ember.ones(4, 5)), RuntimeError,
     r"einsum: subscript 'j' has size 3 in an earlier operand and size 4 in operand 1"),
    (lambda: ember.einsum("ij->k", ember.ones(2, 3)), RuntimeError,
     r"einsum: output subscript 'k' does not appear"),
    (lambda: ember.einsum("ijk", ember.ones(2, 3)), RuntimeError,
     r"einsum: the subscript 'ijk' has 3 letters but its operand has 2 dims"),
    (lambda: ember.ones(2, 3).sum(2), IndexError,
     r"sum: dim 2 is out of range for a tensor of 2 dimensions \(expected to be in range of "
     r"\[-2, 1\]\)"),
    (lambda: ember.ones(2, 3).transpose(0, -3), IndexError, r"transpose: dim -3 is out of range"),
    (lambda: ember.ones(2).unsqueeze(3), IndexError, r"unsqueeze: dim 3 is out of range"),
    (lambda: ember.ones(2, 3).reshape(4, 2), RuntimeError,
     r"reshape: shape \[4, 2\] is invalid for input of size 6"),
    (lambda: ember.ones(2, 3).view(-1, 4), RuntimeError,
     r"view: shape \[-1, 4\] is invalid for input of size 6"),
    (lambda: ember.ones(2, 3).t().view(6), RuntimeError,
     r"view size is not compatible.*Use .reshape"),
    (lambda: ember.ones(3)[5], IndexError,
     r"getitem: index 5 is out of range for dimension 0 with size 3"),
    (lambda: ember.ones(2, 3)[:, ember.tensor([0, 3])], IndexError,
     r"getitem: index 3 is out of range for dimension 1 with size 3"),
    (lambda: ember.ones(3)[ember.tensor([0.5])], IndexError,
     r"tensors used as indices must be long, int, byte or bool tensors"),
    (lambda: ember.ones(3).__setitem__(4, 1.0), IndexError,
     r"setitem: index 4 is out of range for dimension 0 with size 3"),
    (lambda: ember.ones(2, 3).gather(1, ember.tensor([[0, 3]])), IndexError,
     r"gather: index 3 is out of bounds for dimension 1 with size 3"),
    (lambda: ember.ones(4).index_select(0, ember.tensor([9])), IndexError,
     r"index_select: index 9 is out of bounds for dimension 0 with size 4"),
    (lambda: ember.ones(2, 3).expand(2, 4), RuntimeError,
     r"expand: the expanded size of the tensor \(4\) must match the existing size \(3\) at "
     r"non-singleton dimension 1"),
    (lambda: ember.ones(2, 3).permute(0, 0), RuntimeError, r"permute: repeated dim"),
    (lambda: ember.ones(3) + "a", TypeError,
     r"add: unsupported operand types Tensor and str"),
    (lambda: ember.matmul(ember.ones(2, 2), [[1.0, 2.0]]), TypeError,
     r"matmul: other must be a Tensor, got list"),
    (lambda: ember.exp([1.0]), TypeError, r"exp: input must be a Tensor, got list"),
    (lambda: ember.ones(2, 2) @ ember.ones(2, 2, dtype=ember.float64), RuntimeError,
     r"matmul: expected both arguments to have the same dtype, but got ember.float32 and "
     r"ember.float64"),
    (lambda: ember.mean(ember.arange(3)), RuntimeError,
     r"mean\(\): could not infer output dtype.*Got: ember.int64"),
    (lambda: ember.ones(2).split([1, 2]), RuntimeError,
     r"split_with_sizes expects split_sizes to sum exactly to 2"),
    (lambda: ember.ones(2).narrow(0, 1, 3), IndexError, r"narrow: start \(1\) \+ length \(3\)"),
    (lambda: ember.pad(ember.ones(3), (1,)), RuntimeError, r"pad: padding length must be "
                                                           r"divisible by 2"),
    (lambda: ember.pad(ember.ones(2, 3), (3, 3), mode="reflect"), RuntimeError,
     r"pad: padding size should be less than the corresponding input dimension"),
    (lambda: ember.arange(3) // ember.tensor(0), ZeroDivisionError, r"integer division by zero"),
    (lambda: ember.clamp(ember.ones(2)), RuntimeError, r"clamp: at least one of 'min' or 'max'"),
    (lambda: ember.ones(2, dtype=ember.bool) - ember.ones(2, dtype=ember.bool), RuntimeError,
     r"sub: subtraction with two bool tensors is not supported"),
    (lambda: ember.topk(ember.ones(3), 4), RuntimeError, r"topk: selected index k=4 out of range"),
    (lambda: ember.masked_fill(ember.ones(2), ember.ones(2), 0.0), RuntimeError,
     r"masked_fill: expected mask to have dtype bool"),
    (lambda: ember.argmax(ember.ones(0)), RuntimeError,
     r"argmax\(\): expected reduction dim to be specified for an empty input \(shape \(0,\)\)"),
    (lambda: ember.argmin(ember.ones(0, 3), 0), IndexError,
     r"argmin\(\): expected reduction dim 0 to have non-zero size \(shape \(0, 3\)\)"),
    (lambda: ember.median(ember.ones(0, 3), 0), IndexError,
     r"median\(\): expected reduction dim 0 to have non-zero size"),
    (lambda: ember.ones(2).sum(1), IndexError,
     r"sum: dim 1 is out of range for a tensor of 1 dimension \(expected to be in range of "
     r"\[-1, 0\]\)"),
    (lambda: ember.tensor(2.0).sum(1), IndexError,
     r"sum: dim 1 is out of range for a tensor of 0 dimensions"),
    (lambda: ember.round(ember.ones(2), decimals=1.5), TypeError,
     r"round: decimals must be an int, got float"),
    (lambda: ember.full((2,), "x"), TypeError, r"full: fill_value must be a number, got str"),
    (lambda: ember.full_like(ember.ones(2), "x"), TypeError,
     r"full: fill_value must be a number, got str"),
    (lambda: ember.nan_to_num(ember.ones(2), nan="x"), TypeError,
     r"nan_to_num: nan must be a number, got str"),
    (lambda: ember.searchsorted(ember.ones(2), "x"), TypeError,
     r"searchsorted: input must be a Tensor or a number, got str"),
    (lambda: ember.bucketize(ember.ones(2), ember.ones(2, 2)), RuntimeError,
     r"bucketize: boundaries tensor must be 1 dimension"),
    (lambda: ember.einsum(ember.ones(2), [0, 99]), RuntimeError,
     r"einsum: a subscript in a sublist must be Ellipsis or an int in \[0, 52\), got 99"),
    (lambda: ember.flip(ember.ones(2)), TypeError, r"flip: missing the argument dims"),
    # a float alpha would silently turn an integer result into a float one: PyTorch refuses
    (lambda: ember.add(ember.arange(3), 1, alpha=0.5), RuntimeError,
     r"add: for integral input tensors, argument alpha must not be a floating point number"),
    (lambda: ember.sub(ember.arange(3), ember.arange(3), alpha=2.0), RuntimeError,
     r"sub: for integral input tensors, argument alpha must not be a floating point number"),
    (lambda: ember.arange(3).add_(1, alpha=0.5), RuntimeError,
     r"add_: for integral input tensors, argument alpha must not be a floating point number"),
    (lambda: ember.arange(3).sub_(1, alpha=0.5), RuntimeError,
     r"sub_: for integral input tensors, argument alpha must not be a floating point number"),
    # a Python int that does not fit an integer tensor's dtype (was NumPy's OverflowError)
    (lambda: ember.tensor([1, 2], dtype=ember.int8) + 1000, RuntimeError,
     r"add: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: 300 * ember.tensor([1], dtype=ember.uint8), RuntimeError,
     r"mul: value 300 cannot be converted to type uint8 without overflow"),
    (lambda: ember.tensor([1], dtype=ember.int16) // 40000, RuntimeError,
     r"div: value 40000 cannot be converted to type int16 without overflow"),
    (lambda: ember.full((2,), 1000, dtype=ember.int8), RuntimeError,
     r"full: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.full_like(ember.tensor([1], dtype=ember.uint8), -1), RuntimeError,
     r"full: value -1 cannot be converted to type uint8 without overflow"),
    (lambda: ember.tensor([1], dtype=ember.int8).fill_(1000), RuntimeError,
     r"fill_: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.tensor([1], dtype=ember.int8).masked_fill(ember.tensor([True]), 1000),
     RuntimeError, r"masked_fill: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.tensor([1], dtype=ember.int8).clamp(-1000, 5), RuntimeError,
     r"clamp: value -1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.tensor([1], dtype=ember.int8).clamp_(max=300), RuntimeError,
     r"clamp: value 300 cannot be converted to type int8 without overflow"),
    (lambda: ember.add(ember.tensor([1], dtype=ember.int8), 10, alpha=200), RuntimeError,
     r"add: value 200 cannot be converted to type int8 without overflow"),
    (lambda: ember.sub(ember.tensor([1], dtype=ember.int8), 10, alpha=200), RuntimeError,
     r"sub: value 200 cannot be converted to type int8 without overflow"),
    (lambda: ember.tensor([1], dtype=ember.int8).add_(1000), RuntimeError,
     r"add_: value 1000 cannot be converted to type int8 without overflow"),
    # a number that does not fit the tensor's dtype where it is written in (setitem and the
    # fills): PyTorch's checked Scalar conversion raises; NumPy raised its own OverflowError /
    # ValueError / TypeError, or (full) wrote INT_MIN silently
    (lambda: ember.ones(3, dtype=ember.int8).__setitem__(1, 1000), RuntimeError,
     r"setitem: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.ones(3, dtype=ember.int64).__setitem__(1, float("nan")), RuntimeError,
     r"setitem: value nan cannot be converted to type int64 without overflow"),
    (lambda: ember.ones(3).__setitem__(1, 1 + 2j), RuntimeError,
     r"setitem: value \(1\+2j\) cannot be converted to type float32 without overflow"),
    (lambda: ember.full((2,), float("nan"), dtype=ember.int64), RuntimeError,
     r"full: value nan cannot be converted to type int64 without overflow"),
    (lambda: ember.ones(2, dtype=ember.int64).new_full((2,), float("inf")), RuntimeError,
     r"full: value inf cannot be converted to type int64 without overflow"),
    (lambda: ember.ones(2, dtype=ember.int32).fill_(1e30), RuntimeError,
     r"fill_: value 1e\+30 cannot be converted to type int32 without overflow"),
    (lambda: ember.ones(2, dtype=ember.uint8).fill_(-1.0), RuntimeError,
     r"fill_: value -1.0 cannot be converted to type uint8 without overflow"),
    (lambda: ember.ones(2, dtype=ember.int64).masked_fill(ember.tensor([True, False]),
                                                          float("nan")), RuntimeError,
     r"masked_fill: value nan cannot be converted to type int64 without overflow"),
    (lambda: ember.ones(2, dtype=ember.float16).masked_fill(ember.tensor([True, False]), -1e9),
     RuntimeError, r"masked_fill: value -1000000000.0 cannot be converted to type float16 "
                   r"without overflow"),
    (lambda: ember.ones(2, dtype=ember.int8).index_put_((ember.tensor([0]),), 1000),
     RuntimeError, r"index_put_: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.ones(2, dtype=ember.int8).index_fill(0, ember.tensor([0]), 1000),
     RuntimeError, r"index_fill: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.ones(2, dtype=ember.int8).scatter(0, ember.tensor([0]), 1000),
     RuntimeError, r"scatter: value 1000 cannot be converted to type int8 without overflow"),
    (lambda: ember.add(2, 3), TypeError, r"add: expected at least one Tensor argument, got int "
                                         r"and int"),
    (lambda: ember.mul(2.0, 3), TypeError, r"mul: expected at least one Tensor argument"),
    (lambda: ember.zeros(0).max(), RuntimeError,
     r"max\(\): expected reduction dim to be specified for an empty input \(shape \(0,\)\)"),
    (lambda: ember.zeros(0, 3).amax(0), RuntimeError,
     r"amax\(\): expected reduction dim 0 to have non-zero size \(shape \(0, 3\)\)"),
    (lambda: ember.zeros(2, 0).amin(), RuntimeError,
     r"amin\(\): expected reduction dim 1 to have non-zero size"),
    # the composites: diff, tensordot, aminmax, rot90, the splits, logcumsumexp, nanmedian, ...
    (lambda: ember.diff(ember.ones(3), n=-1), RuntimeError,
     r"diff: order must be non-negative but got -1"),
    (lambda: ember.diff(ember.tensor(1.0)), RuntimeError,
     r"diff expects input to be at least one-dimensional"),
    (lambda: ember.ones(2, 3).diff(dim=2), IndexError, r"diff: dim 2 is out of range"),
    (lambda: ember.diff(ember.ones(2, 3), prepend=ember.ones(3, 1)), RuntimeError,
     r"diff expects prepend to have the shape of input except along dim 1"),
    (lambda: ember.diff(ember.ones(2, 3), append=ember.ones(3)), RuntimeError,
     r"diff expects append to have the shape of input"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 2), -1), RuntimeError,
     r"tensordot expects dims >= 0, but got dims=-1"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 2), 3), RuntimeError,
     r"tensordot expects dims < ndim_a or ndim_b"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 2)), RuntimeError,
     r"tensordot: contracted dimensions need to match, but first has size 2 in dim 0 and "
     r"second has size 3 in dim 0"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 2), ([1], [0, 1])), RuntimeError,
     r"tensordot: both dimension lists should have same length"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 2), ([5], [0])), IndexError,
     r"tensordot: dim 5 is out of range"),
    (lambda: ember.tensordot(ember.ones(2), [1.0, 2.0], 1), TypeError,
     r"tensordot: b must be a Tensor"),
    (lambda: ember.aminmax(ember.zeros(0, 3)), RuntimeError,
     r"aminmax\(\): cannot compute aminmax over an empty dimension"),
    (lambda: ember.aminmax(ember.ones(2, 3), dim=2), IndexError, r"aminmax: dim 2 is out"),
    (lambda: ember.aminmax(ember.ones(2, 3), dim=(0, 1)), TypeError,
     r"aminmax: dim must be an int or None"),
    (lambda: ember.rot90(ember.ones(3), 1), RuntimeError,
     r"rot90: expected total dims >= 2, but got total dims = 1"),
    (lambda: ember.rot90(ember.ones(2, 3), 1, (0, 1, 2)), RuntimeError,
     r"rot90: expected total rotation dims == 2, but got dims = 3"),
    (lambda: ember.rot90(ember.ones(2, 3), 1, (1, -1)), RuntimeError,
     r"rot90: expected rotation dims to be different, but got dim0 = 1 and dim1 = 1"),
    (lambda: ember.rot90(ember.ones(2, 3), 1, (0, 2)), IndexError, r"rot90: dim 2 is out"),
    (lambda: ember.tensor_split(ember.ones(4), 0), RuntimeError,
     r"tensor_split: number of sections must be greater than 0, got 0"),
    (lambda: ember.tensor_split(ember.tensor(1.0), 2), RuntimeError,
     r"tensor_split expected at least a 1-dimensional tensor"),
    (lambda: ember.tensor_split(ember.ones(4), 2.5), TypeError,
     r"tensor_split: indices_or_sections must be an int or a sequence of ints"),
    (lambda: ember.tensor_split(ember.ones(4), ember.ones(2)), RuntimeError,
     r"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
     r"one-dimensional tensor of integers"),
    (lambda: ember.hsplit(ember.ones(2, 5), 2), RuntimeError,
     r"hsplit attempted to split along dimension 1, but the size of the dimension 5 is not "
     r"divisible by the split_size 2!"),
    (lambda: ember.hsplit(ember.tensor(1.0), 1), RuntimeError,
     r"hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 dimensions"),
    (lambda: ember.vsplit(ember.ones(4), 2), RuntimeError,
     r"vsplit requires a tensor with at least 2 dimensions"),
    (lambda: ember.dsplit(ember.ones(2, 4), 2), RuntimeError,
     r"dsplit requires a tensor with at least 3 dimensions"),
    (lambda: ember.logcumsumexp(ember.ones(2, 3), 2), IndexError,
     r"logcumsumexp: dim 2 is out of range"),
    (lambda: ember.nanmedian(ember.ones(2, 3), 2), IndexError, r"nanmedian: dim 2 is out"),
    (lambda: ember.nanmedian(ember.zeros(2, 0), 1), IndexError,
     r"nanmedian\(\): expected reduction dim 1 to have non-zero size"),
    (lambda: ember.nanquantile(ember.ones(3), 1.5), RuntimeError,
     r"nanquantile\(\) q values must be in the range \[0, 1\]"),
    (lambda: ember.nanquantile(ember.ones(3), 0.5, interpolation="cubic"), ValueError,
     r"nanquantile\(\) interpolation must be one of linear"),
    (lambda: ember.ones(2, 3).quantile(0.5, dim=2), IndexError, r"quantile: dim 2 is out"),
    (lambda: ember.ones(2, 3, 4).cov(), RuntimeError,
     r"cov\(\): expected input to have two or fewer dimensions"),
    (lambda: ember.baddbmm(ember.ones(2, 3, 3), ember.ones(2, 3, 4), ember.ones(3, 4, 3)),
     RuntimeError, r"bmm: batch sizes differ"),
    (lambda: ember.baddbmm(ember.ones(4, 5), ember.ones(2, 3, 4), ember.ones(2, 4, 3)),
     RuntimeError, r"baddbmm: shapes \(4, 5\) and \(2, 3, 3\) cannot be broadcast"),
    (lambda: ember.sinc([0.5]), TypeError, r"sinc: input must be a Tensor"),
    (lambda: ember.isin(1, 2), TypeError,
     r"isin: expected elements or test_elements to be a Tensor, got int and int"),
    (lambda: ember.block_diag(ember.ones(2, 2, 2)), RuntimeError,
     r"block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 dimensions"),
    (lambda: ember.cartesian_prod(ember.ones(2), ember.ones(2, 2)), RuntimeError,
     r"cartesian_prod: Expect a 1D vector, but got shape \(2, 2\)"),
    (lambda: ember.tril_indices(-1, 3), RuntimeError, r"tril_indices: row must be non-negative"),
    (lambda: ember.triu_indices(3, 3, dtype=ember.float32), RuntimeError,
     r"triu_indices: dtype must be an integer dtype"),
])
def test_errors_name_the_op_and_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.usefixtures("on_cpu")
def test_mixing_devices_names_both():
    a = ember.ones(2)
    b = on_fake(ember.ones(2))
    with pytest.raises(RuntimeError, match="expected all tensors to be on the same device, but "
                                           "found at least two devices, cpu and fake:0"):
        a + b
    with pytest.raises(RuntimeError, match="cat: expected all tensors to be on the same "
                                           "device, but found cpu .* and fake:0"):
        ember.cat([a, b])
    assert (b + b).device is FAKE
    # a 0-d CPU tensor goes along with another device's tensors, as in PyTorch
    c = b * ember.tensor(3.0)
    assert c.device is FAKE and c.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="mul: expected all tensors to be on the same device"):
        b * ember.ones(1)


@pytest.mark.usefixtures("on_cpu")
def test_moving_between_devices_copies_and_keeps_gradients():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("fake:0")
    assert y.device is FAKE and y.requires_grad
    y._data[0] = 5.0
    assert x.tolist() == [1.0, 2.0]  # a copy, not a view
    (y * 3).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [3.0, 3.0]
    assert ember.zeros(2, device="fake:0").device is FAKE
    ember.set_default_device("fake:0")
    try:
        assert ember.ones(3).device is FAKE and ember.tensor([1]).device is FAKE
    finally:
        ember.set_default_device(None)


def test_errors_leave_no_numpy_traceback():
    with pytest.raises(RuntimeError) as info:
        ember.ones(3, 4) @ ember.ones(5, 2)
    assert "numpy" not in str(info.value)

"""Tensor: creation, dtypes and promotion, attributes, conversions, printing, in-place ops."""

import copy
import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck

from .conftest import requires_no_cuda, to_numpy

# ------------------------------------------------------------------------------------ creation


@pytest.mark.parametrize("data, dtype", [
    (1.5, ember.float32), (3, ember.int64), (True, ember.bool), ([1, 2], ember.int64),
    ([1.0, 2], ember.float32), ([[True, False]], ember.bool), (1 + 2j, ember.complex64),
    (np.arange(3, dtype=np.int32), ember.int32), (np.ones(2, dtype=np.float64), ember.float64),
    (np.float64(2.5), ember.float64), (np.uint8(7), ember.uint8),
])
def test_tensor_infers_dtype_as_pytorch(data, dtype):
    assert ember.tensor(data).dtype is dtype


def test_default_dtype_changes_what_python_floats_become():
    ember.set_default_dtype(ember.float64)
    assert ember.tensor([1.0]).dtype is ember.float64
    assert ember.zeros(2).dtype is ember.float64
    assert ember.get_default_dtype() is ember.float64
    with pytest.raises(TypeError, match="floating-point"):
        ember.set_default_dtype(ember.int32)


@pytest.mark.usefixtures("on_cpu")
def test_tensor_copies_and_from_numpy_shares():
    a = np.arange(4.0)
    t = ember.tensor(a)
    t[0] = 100
    assert a[0] == 0
    s = ember.from_numpy(a)
    s[1] = 7
    assert a[1] == 7
    a[2] = -1
    assert s[2].item() == -1


@pytest.mark.usefixtures("on_cpu")
def test_as_tensor_shares_when_it_can():
    a = np.arange(3.0)
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)
    assert not np.shares_memory(ember.as_tensor(a, dtype=ember.float32).numpy(), a)
    t = ember.ones(2)
    assert ember.as_tensor(t) is t


def test_from_numpy_rejects_other_types():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ember.from_numpy([1, 2])
    with pytest.raises(TypeError, match="does not support arrays of dtype"):
        ember.from_numpy(np.array(["a"]))


def test_ragged_or_unsupported_data_gives_clear_errors():
    with pytest.raises(ValueError, match="rectangular"):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="can't convert data of type str"):
        ember.tensor("abc")


def test_numbers_written_into_a_tensor_convert_as_pytorch():
    # the numbers that do fit: floats truncate into integers, a complex with a zero
    # imaginary part is its real part, anything goes into bool
    x = ember.zeros(3, dtype=ember.int64)
    x[0] = 2.7
    x[1] = -2.7
    x[2] = 3 + 0j
    assert x.tolist() == [2, -2, 3]
    assert ember.full((2,), 2**62 * 1.0, dtype=ember.int64).tolist() == [2**62] * 2
    assert ember.zeros(1, dtype=ember.uint8).fill_(255.0).tolist() == [255]
    b = ember.zeros(2, dtype=ember.bool)
    b[0] = float("nan")
    assert b.tolist() == [True, False]
    f = ember.zeros(2, dtype=ember.complex64)
    f[0] = 1j
    assert f.tolist() == [1j, 0]


def test_tensor_refuses_python_ints_that_overflow_as_pytorch():
    # torch.tensor([2**63]) raises "Overflow when unpacking long"; NumPy made it uint64 and
    # ember wrapped it silently to -2**63
    for data in ([2**63], 2**63, [2**64], [-2**63 - 1], [[1], [2**70]]):
        with pytest.raises(RuntimeError, match="tensor: Overflow when unpacking long"):
            ember.tensor(data)
    assert ember.tensor([2**63 - 1, -2**63]).tolist() == [2**63 - 1, -2**63]
    # a dtype the values do not fit: PyTorch's checked conversion raises (NumPy wrapped 2**40
    # to 0); negatives wrap into unsigned types as in c10::overflows
    with pytest.raises(RuntimeError, match="tensor: value 1099511627776 cannot be converted "
                                           "to type int32 without overflow"):
        ember.tensor([1, 2**40], dtype=ember.int32)
    with pytest.raises(RuntimeError, match="tensor: value 300 cannot be converted to type "
                                           "uint8 without overflow"):
        ember.tensor([300], dtype=ember.uint8)
    with pytest.raises(RuntimeError, match="as_tensor: value 1e\\+20 cannot be converted"):
        ember.as_tensor([1e20], dtype=ember.int64)
    with pytest.raises(RuntimeError, match="tensor: value nan cannot be converted"):
        ember.tensor([float("nan")], dtype=ember.int32)
    assert ember.tensor([-1], dtype=ember.uint8).tolist() == [255]
    assert ember.tensor([1.7, -2.5], dtype=ember.int8).tolist() == [1, -2]
    assert ember.tensor([300], dtype=ember.bool).tolist() == [True]
    assert ember.tensor(np.array([300]), dtype=ember.uint8).tolist() == [44]  # arrays cast


@pytest.mark.parametrize("factory, expected", [
    (lambda: ember.zeros(2, 3), np.zeros((2, 3))),
    (lambda: ember.zeros((2, 3)), np.zeros((2, 3))),
    (lambda: ember.ones(4), np.ones(4)),
    (lambda: ember.full((2, 2), 7.5), np.full((2, 2), 7.5)),
    (lambda: ember.arange(5), np.arange(5)),
    (lambda: ember.arange(1, 2, 0.25), np.arange(1, 2, 0.25)),
    (lambda: ember.arange(10, 0, -3), np.arange(10, 0, -3)),
    (lambda: ember.linspace(0, 1, 5), np.linspace(0, 1, 5)),
    (lambda: ember.logspace(0, 2, 3), np.logspace(0, 2, 3)),
    (lambda: ember.logspace(0, 3, 4, base=2), np.logspace(0, 3, 4, base=2)),
    (lambda: ember.eye(3), np.eye(3)),
    (lambda: ember.eye(2, 3), np.eye(2, 3)),
    (lambda: ember.zeros_like(ember.ones(2, 2)), np.zeros((2, 2))),
    (lambda: ember.ones_like(ember.ones(3, dtype=ember.int32)), np.ones(3)),
    (lambda: ember.full_like(ember.ones(2), 3), np.full(2, 3)),
])
def test_factories_match_numpy(factory, expected):
    np.testing.assert_allclose(to_numpy(factory()), expected, rtol=1e-6)


def test_factory_dtypes_follow_pytorch():
    assert ember.arange(5).dtype is ember.int64
    assert ember.arange(5.0).dtype is ember.float32
    assert ember.full((2,), 1).dtype is ember.int64
    assert ember.full((2,), True).dtype is ember.bool
    assert ember.ones_like(ember.ones(3, dtype=ember.int32)).dtype is ember.int32
    assert ember.empty(2, 3).shape == (2, 3)
    assert ember.empty_like(ember.ones(4, dtype=ember.float64)).dtype is ember.float64
    assert ember.zeros(2, dtype=ember.float16).dtype is ember.float16


def test_factories_take_pytorchs_keyword_arguments():
    assert ember.zeros(size=(2, 3)).shape == (2, 3)
    assert ember.ones(size=[4]).tolist() == [1.0] * 4
    assert ember.empty(size=(1, 2)).shape == (1, 2)
    assert ember.rand(size=(2,)).shape == (2,) and ember.randn(size=(3, 1)).shape == (3, 1)
    assert ember.arange(end=3).tolist() == [0, 1, 2]
    assert ember.arange(start=1, end=7, step=2).tolist() == [1, 3, 5]
    assert ember.randint(low=2, high=3, size=(4,)).tolist() == [2] * 4
    assert ember.randint(high=1, size=(2,)).tolist() == [0, 0]
    assert ember.randint(2, high=3, size=(1,)).tolist() == [2]


def test_finfo_and_iinfo_as_pytorch():
    assert ember.finfo(ember.float32).eps == float(np.finfo(np.float32).eps)
    assert ember.finfo(ember.float64).max == float(np.finfo(np.float64).max)
    assert ember.finfo(ember.float16).tiny == float(np.finfo(np.float16).smallest_normal)
    assert ember.finfo().bits == 32  # the default float dtype
    assert ember.finfo(ember.float64).bits == 64
    assert ember.iinfo(ember.int32).max == 2**31 - 1 and ember.iinfo(ember.int64).min == -2**63
    assert ember.iinfo(ember.uint8).max == 255
    with pytest.raises(TypeError, match="finfo: expected a floating-point dtype"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="iinfo: expected an integer dtype"):
        ember.iinfo(ember.float32)


@pytest.mark.usefixtures("on_cpu")
def test_factories_take_requires_grad_and_device():
    t = ember.zeros(3, requires_grad=True, device="cpu")
    assert t.requires_grad and t.is_leaf and t.device == ember.device("cpu")
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.zeros(3, dtype=ember.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(2, -1)


def test_new_methods_inherit_dtype_and_device():
    x = ember.ones(2, dtype=ember.float64)
    assert x.new_zeros(3).dtype is ember.float64
    assert x.new_full((2,), 4.0).tolist() == [4.0, 4.0]
    assert x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_tensor([1, 2]).dtype is ember.float64


# ------------------------------------------------------------------------------ type promotion


@pytest.mark.parametrize("make, dtype", [
    (lambda: ember.ones(3) * 2.5, ember.float32),           # a Python float does not upcast
    (lambda: ember.ones(3, dtype=ember.float16) + 1.0, ember.float16),
    (lambda: ember.arange(3) / 2, ember.float32),            # int / int is float
    (lambda: ember.arange(3) + 1.5, ember.float32),          # int tensor + float -> default
    (lambda: ember.arange(3) * 2, ember.int64),
    (lambda: ember.ones(2, dtype=ember.int32) + 1, ember.int32),
    (lambda: ember.ones(2, dtype=ember.uint8) + ember.ones(2, dtype=ember.int8), ember.int16),
    (lambda: ember.ones(2) + ember.tensor(1.0, dtype=ember.float64), ember.float32),
    (lambda: ember.ones(2, dtype=ember.int32) + ember.tensor(1.5, dtype=ember.float64),
     ember.float64),
    (lambda: ember.ones(2) + ember.ones(2, dtype=ember.float64), ember.float64),
    (lambda: ember.tensor([True]) + 1, ember.int64),
    (lambda: ember.tensor([True]) + True, ember.bool),
    (lambda: ember.ones(2, dtype=ember.int64) + ember.ones(2, dtype=ember.float16),
     ember.float16),
    (lambda: ember.exp(ember.arange(3)), ember.float32),
    (lambda: ember.ones(2) * (1 + 1j), ember.complex64),
    # integer inputs of a float op go to the default float dtype (hypot gave NumPy's float64)
    (lambda: ember.hypot(ember.arange(3), ember.arange(3)), ember.float32),
    (lambda: ember.hypot(ember.ones(2, dtype=ember.int32), ember.tensor([True, False])),
     ember.float32),
    (lambda: ember.hypot(ember.ones(2, dtype=ember.float16), ember.ones(2, dtype=ember.int64)),
     ember.float16),
])
def test_type_promotion_follows_pytorch(make, dtype):
    assert make().dtype is dtype


def test_promote_types_and_result_type():
    assert ember.promote_types(ember.int64, ember.float16) is ember.float16
    assert ember.promote_types(ember.uint8, ember.int8) is ember.int16
    assert ember.promote_types(ember.float64, ember.complex64) is ember.complex128
    assert ember.result_type(ember.ones(2, dtype=ember.int32), 2.0) is ember.float32


# ---------------------------------------------------------------------------- attributes


def test_attributes():
    x = ember.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, ember.Size)
    assert repr(x.shape) == "ember.Size([2, 3, 4])"
    assert x.ndim == 3 and x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and len(x) == 2
    assert x.T.shape == (4, 3, 2) and x.mT.shape == (2, 4, 3)
    assert x.element_size() == 4 and x.is_floating_point() and not x.is_complex()
    assert x.is_contiguous() and not x.mT.is_contiguous()
    assert x.stride() == (12, 4, 1)


def test_real_and_imag_are_properties_as_pytorch():
    # the registry attached the functions as methods over Tensor's properties: z.real was a
    # bound method
    z = ember.tensor([1 + 2j, 3 - 1j])
    assert z.real.tolist() == [1.0, 3.0] and z.imag.tolist() == [2.0, -1.0]
    assert z.real.dtype is ember.float32
    x = ember.tensor([1.5])
    assert x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes"):
        _ = x.imag
    for name, attr in vars(ember.Tensor).items():  # no other property was overwritten either
        if name in ("shape", "dtype", "device", "grad", "data", "T", "mT", "H", "mH",
                    "requires_grad", "is_leaf", "itemsize", "nbytes"):
            assert isinstance(attr, property), name


def test_size_dim_out_of_range_names_dim_and_ndim():
    with pytest.raises(IndexError, match=r"dim 3 is out of range for a tensor of 2 dimensions"):
        ember.zeros(2, 3).size(3)


@pytest.mark.usefixtures("on_cpu")
def test_item_tolist_numpy():
    assert ember.tensor([[2.5]]).item() == 2.5
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(RuntimeError, match="cannot be converted to a Python scalar"):
        ember.ones(2).item()
    w = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\)"):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0, 1.0]
    assert np.asarray(ember.arange(3)).tolist() == [0, 1, 2]


@pytest.mark.usefixtures("on_cpu")
def test_python_protocols():
    assert [t.item() for t in ember.tensor([4, 5])] == [4, 5]
    assert bool(ember.tensor([1.0])) and not bool(ember.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))
    assert float(ember.tensor(2)) == 2.0 and int(ember.tensor(3.9)) == 3
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.0)]
    assert f"{ember.tensor(1.23456):.2f}" == "1.23"


@pytest.mark.parametrize("method, dtype", [
    ("float", ember.float32), ("double", ember.float64), ("half", ember.float16),
    ("long", ember.int64), ("int", ember.int32), ("short", ember.int16), ("char", ember.int8),
    ("byte", ember.uint8), ("bool", ember.bool),
])
def test_conversion_methods(method, dtype):
    assert getattr(ember.tensor([1.7, 0.0]), method)().dtype is dtype


@pytest.mark.usefixtures("on_cpu")
def test_to_and_type_as_and_copy():
    x = ember.tensor([1.5, 2.5])
    assert x.to(ember.float64).dtype is ember.float64
    assert x.to("cpu") is x and x.to(ember.float32) is x
    assert x.to("cpu", copy=True) is not x
    assert x.to(ember.ones(1, dtype=ember.int32)).dtype is ember.int32
    assert x.to(dtype=ember.float16, device="cpu").dtype is ember.float16
    assert x.type_as(ember.ones(1, dtype=ember.float64)).dtype is ember.float64
    assert x.type() == "ember.FloatTensor"
    assert x.long().tolist() == [1, 2]
    y = x.clone()
    y[0] = 0
    assert x[0].item() == 1.5
    assert x.cpu() is x


@pytest.mark.usefixtures("on_cpu")
def test_detach_shares_memory_and_version():
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5
    assert x[0].item() == 5 and x._version == d._version == 1


def test_data_property_is_a_detached_tensor():
    w = ember.ones(2, requires_grad=True)
    w.data.mul_(3)
    assert w.tolist() == [3.0, 3.0] and w.requires_grad
    w.data = ember.zeros(2)
    assert w.tolist() == [0.0, 0.0]


# ------------------------------------------------------------------------------------ devices


@pytest.mark.usefixtures("on_cpu")
def test_devices():
    assert ember.device("cpu") is ember.device("cpu")
    assert str(ember.device("cuda:1")) == "cuda:1"
    assert repr(ember.device("cuda", 2)) == "device(type='cuda', index=2)"
    assert ember.ones(1).device == "cpu"
    assert ember.ones(1).get_device() == -1
    with pytest.raises(ValueError, match="unknown device type"):
        ember.device("tpu")


@requires_no_cuda
def test_cuda_is_unavailable_with_a_reason():
    with pytest.raises(RuntimeError, match="CUDA is unavailable.*CuPy"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA is unavailable"):
        ember.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CUDA is unavailable"):
        ember.ones(2).cuda()


# ------------------------------------------------------------------------------------- repr


@pytest.mark.parametrize("make, text", [
    (lambda: ember.tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
    (lambda: ember.tensor([1.5, 2.25]), "tensor([1.5000, 2.2500])"),
    (lambda: ember.tensor(3.0), "tensor(3.)"),
    (lambda: ember.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: ember.tensor([True, False]), "tensor([ True, False])"),
    (lambda: ember.tensor([1.0], dtype=ember.float64), "tensor([1.], dtype=ember.float64)"),
    (lambda: ember.tensor([1, 2], dtype=ember.int32), "tensor([1, 2], dtype=ember.int32)"),
    (lambda: ember.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: ember.ones(2, requires_grad=True), "tensor([1., 1.], requires_grad=True)"),
    (lambda: ember.ones(2, requires_grad=True) * 2, "tensor([2., 2.], grad_fn=<MulBackward0>)"),
    (lambda: ember.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: ember.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: ember.tensor([-1.0, math.inf, math.nan]), "tensor([-1., inf, nan])"),
    (lambda: ember.tensor([math.nan, math.inf, -math.inf]), "tensor([nan, inf, -inf])"),
    (lambda: ember.tensor([1.0, math.inf]), "tensor([1., inf])"),
    (lambda: ember.tensor([0.0, math.nan]), "tensor([0., nan])"),
    (lambda: ember.tensor([1.5, math.nan]), "tensor([1.5000,    nan])"),
])
@pytest.mark.usefixtures("on_cpu")
def test_repr_prints_like_pytorch(make, text):
    assert repr(make()) == text


@pytest.mark.usefixtures("on_cpu")
def test_repr_summarises_large_tensors():
    text = repr(ember.arange(5000))
    assert "..." in text and text.startswith("tensor([   0,    1,    2,")


# ------------------------------------------------------------------------------------ in place


@pytest.mark.usefixtures("on_cpu")
def test_inplace_ops_write_into_memory():
    a = np.ones(3, dtype=np.float32)
    x = ember.from_numpy(a)
    x.add_(1).mul_(3).sub_(ember.ones(3), alpha=2).div_(2)
    np.testing.assert_allclose(a, [2.0, 2.0, 2.0])
    x.addcmul_(ember.ones(3), ember.full((3,), 2.0), value=0.5)
    x.addcdiv_(ember.ones(3), ember.full((3,), 4.0), value=4.0)
    np.testing.assert_allclose(a, [4.0, 4.0, 4.0])
    x.lerp_(ember.zeros(3), 0.25).sqrt_()
    np.testing.assert_allclose(a, [math.sqrt(3.0)] * 3, rtol=1e-6)
    x.clamp_(0, 1)
    x.fill_(2.5)
    x.copy_(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(a, [1.0, 2.0, 3.0])
    x.zero_()
    assert a.tolist() == [0.0, 0.0, 0.0]
    assert x._version == 12  # one per in-place op


def test_inplace_random_fills_are_seeded():
    ember.manual_seed(3)
    a = ember.empty(5).uniform_(-1, 1)
    b = ember.empty(5).normal_(2.0, 0.5)
    ember.manual_seed(3)
    assert ember.equal(ember.empty(5).uniform_(-1, 1), a)
    assert ember.equal(ember.empty(5).normal_(2.0, 0.5), b)
    assert (a >= -1).all() and (a < 1).all()


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = ember.ones(2, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.uniform_(),
               lambda: w.normal_(), lambda: w.fill_(1.0), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="^zero_: a leaf Variable"):  # (the op's own name)
        w.zero_()
    with ember.no_grad():
        w.add_(1).mul_(2).normal_()
    assert w.requires_grad and w.is_leaf


def test_inplace_checks_dtype_and_shape():
    x = ember.ones(3, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type float32 can't be cast"):
        x.add_(1.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.ones(3).add_(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        ember.ones(1).expand(3).add_(1)


def test_inplace_with_autograd_records_the_op():
    w = ember.ones(3, requires_grad=True)
    h = w * 2
    h.mul_(3)
    h.add_(w)
    h.sum().backward()
    assert w.grad.tolist() == [7.0, 7.0, 7.0]


INPLACE_ON_NON_LEAVES = [
    ("mul_", lambda h, x: h.mul_(x)), ("div_", lambda h, x: h.div_(x + 3)),
    ("imul", lambda h, x: h.__imul__(x)), ("pow_", lambda h, x: h.pow_(2)),
    ("clamp_", lambda h, x: h.clamp_(-0.5, 0.5)), ("abs_", lambda h, x: h.abs_()),
    ("lerp_", lambda h, x: h.lerp_(x, x / 8)), ("addcmul_", lambda h, x: h.addcmul_(x, x)),
    ("sub_", lambda h, x: h.sub_(x, alpha=2)), ("copy_", lambda h, x: h.copy_(x * 3)),
    ("zero_", lambda h, x: h.zero_()), ("fill_", lambda h, x: h.fill_(x[1])),
    ("masked_fill_", lambda h, x: h.masked_fill_(x > 0, 0.5)),
]


@pytest.mark.parametrize("name, op", INPLACE_ON_NON_LEAVES, ids=[r[0] for r in
                                                                 INPLACE_ON_NON_LEAVES])
def test_inplace_ops_on_non_leaves_have_pytorchs_gradients(name, op):
    """The op reads self's old values (PyTorch's original_self): mul_, div_, pow_, clamp_, ...
    once raised that a saved tensor was modified; zero_ and fill_ keep the result in the
    graph with a zero gradient to the old values."""
    def fn(x):
        h = x * x
        assert op(h, x) is h
        return h
    x = ember.tensor([0.7, -1.3, 0.2], dtype=ember.float64, requires_grad=True)
    assert fn(x).requires_grad
    assert gradcheck(fn, [x])
    c = ember.ones(3, dtype=ember.float64)  # a constant modified by an op on a grad tensor
    c.mul_(x)
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_integer_tensors_with_python_ints_out_of_their_range():
    x8 = ember.tensor([100, -100], dtype=ember.int8)
    assert (x8 + 27).tolist() == [127, -73] and (x8 * 2).dtype is ember.int8  # wraps, as PyTorch
    assert (x8 == 1000).tolist() == [False, False]  # comparisons: NumPy's exact answer
    assert (x8 < 1000).all()
    assert (ember.tensor([1, 2]) + 2 ** 40).tolist() == [2 ** 40 + 1, 2 ** 40 + 2]
    # alpha and other fit int8, their product does not: it wraps, as PyTorch's integer arithmetic
    x = ember.tensor([1, 2], dtype=ember.int8)
    assert ember.add(x, 100, alpha=2).tolist() == [-55, -54]  # 1 + 200 = 201 -> -55
    assert ember.sub(x, 100, alpha=2).tolist() == [57, 58]
    assert x.clone().add_(100, alpha=2).tolist() == [-55, -54]
    assert x.clone().sub_(100, alpha=2).tolist() == [57, 58]
    assert ember.add(x, x, alpha=3).tolist() == [4, 8]
    assert ember.add(5, x, alpha=2).tolist() == [7, 9]
    # values at the ends of the range are fine
    assert ember.full((2,), -128, dtype=ember.int8).tolist() == [-128, -128]
    assert x.clamp(-128, 127).tolist() == [1, 2] and x.clone().fill_(255 - 256).tolist() == [-1, -1]
    assert x.masked_fill(ember.tensor([True, False]), 127).tolist() == [127, 2]


def test_operator_inplace_forms():
    x = ember.ones(2)
    x += 1
    x *= 3
    x -= 1
    x /= 5
    assert x.tolist() == [1.0, 1.0]
    y = ember.arange(5)
    y //= 2
    y %= 2
    assert y.tolist() == [0, 0, 1, 1, 0]


def test_setitem_with_values_and_masks():
    x = ember.zeros(3, 4)
    x[0] = 1
    x[1, 1:3] = ember.tensor([5.0, 6.0])
    x[x > 5] = -1
    x[:, -1] = ember.arange(3).float()
    assert x.tolist() == [[1, 1, 1, 0], [0, 5, -1, 1], [0, 0, 0, 2]]


@requires_no_cuda
def test_cuda_queries_without_a_gpu():
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    for call in (ember.cuda.current_device, ember.cuda.get_device_name, ember.cuda.synchronize,
                 ember.cuda.memory_allocated):
        with pytest.raises(RuntimeError, match="CUDA is unavailable"):
            call()
    ember.cuda.manual_seed_all(0)
    ember.cuda.empty_cache()


def test_numpy_scalars_act_as_python_numbers():
    assert (ember.ones(2) * np.float64(2)).dtype is ember.float32
    assert (np.float64(3) - ember.ones(2)).dtype is ember.float32
    assert ember.ones(2).clamp(min=np.float32(0.5)).dtype is ember.float32
    assert (ember.arange(3) + np.int64(1)).dtype is ember.int64


def test_softmax_and_log_softmax_at_top_level_and_as_methods():
    x = ember.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(to_numpy(ember.softmax(x, 1))[0], expected, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(x.softmax(dim=1))[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(x.log_softmax(1)), np.log(to_numpy(x.softmax(1))),
                               rtol=1e-6, atol=1e-7)
    assert ember.log_softmax(x, -1).shape == (2, 3)


def test_deepcopy_of_a_leaf_copies_values_requires_grad_grad_and_attributes():
    t = ember.tensor([1.0, -2.0], requires_grad=True)
    (t * 3.0).sum().backward()
    t.name = "w"
    c = copy.deepcopy(t)
    assert c is not t and c._data is not t._data and c.requires_grad and c.is_leaf
    assert to_numpy(c.detach()).tolist() == [1.0, -2.0] and c.name == "w"
    assert c.grad is not t.grad and to_numpy(c.grad).tolist() == [3.0, 3.0]
    with ember.no_grad():
        c.add_(1.0)
    assert to_numpy(t.detach()).tolist() == [1.0, -2.0]
    pair = copy.deepcopy([t, t])  # one copy, shared, as the memo says
    assert pair[0] is pair[1]
    view = ember.ones(3)[1:]
    assert copy.deepcopy(view).add_(1.0).tolist() == [2.0, 2.0]  # (not a view of the base)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(t * 2)

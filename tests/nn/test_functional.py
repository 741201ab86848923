"""ember.nn.functional: activations, softmax family, losses (forward against NumPy formulas,
gradcheck in float64), numerical stability for huge logits, attention and the helpers."""

import math

import numpy as np
import pytest
from scipy import special

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck

from . import reference as ref

F64 = ember.float64


def T(a, requires_grad=False):
    return ember.tensor(np.array(a, dtype=np.float64)).requires_grad_(requires_grad)


def _erf(x):
    return special.erf(x)


# name, ember function, NumPy reference, module (or None)
ACTIVATIONS = [
    ("relu", F.relu, lambda x: np.maximum(x, 0), nn.ReLU()),
    ("relu6", F.relu6, lambda x: np.clip(x, 0, 6), nn.ReLU6()),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
     nn.LeakyReLU(0.2)),
    ("elu", lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)),
     nn.ELU(1.5)),
    ("selu", F.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x)), nn.SELU()),
    ("celu", lambda x: F.celu(x, 2.0), lambda x: np.maximum(x, 0) + np.minimum(
        0, 2.0 * np.expm1(x / 2.0)), nn.CELU(2.0)),
    ("gelu", F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), nn.GELU()),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
     nn.GELU("tanh")),
    ("silu", F.silu, lambda x: x / (1 + np.exp(-x)), nn.SiLU()),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), nn.Mish()),
    ("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), nn.Sigmoid()),
    ("tanh", F.tanh, np.tanh, nn.Tanh()),
    ("softplus", lambda x: F.softplus(x, 2.0, 3.0),
     lambda x: np.where(2 * x > 3.0, x, np.log1p(np.exp(2 * x)) / 2), nn.Softplus(2.0, 3.0)),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), nn.Softsign()),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.0), lambda x: np.clip(x, -0.5, 1.0),
     nn.Hardtanh(-0.5, 1.0)),
    ("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), nn.Hardsigmoid()),
    ("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, nn.Hardswish()),
    ("logsigmoid", F.logsigmoid, lambda x: -np.log1p(np.exp(-x)), nn.LogSigmoid()),
    ("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), nn.Tanhshrink()),
    ("softshrink", F.softshrink, lambda x: np.where(x > 0.5, x - 0.5, np.where(
        x < -0.5, x + 0.5, 0)), None),
    ("hardshrink", F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0), None),
    ("threshold", lambda x: F.threshold(x, 0.1, 20.0), lambda x: np.where(x > 0.1, x, 20.0),
     nn.Threshold(0.1, 20.0)),
    ("glu", F.glu, lambda x: x[..., :2] / (1 + np.exp(-x[..., 2:])), nn.GLU()),
    ("softmax", lambda x: F.softmax(x, -1), lambda x: ref.softmax(x, -1), nn.Softmax(-1)),
    ("log_softmax", lambda x: F.log_softmax(x, 0), lambda x: np.log(ref.softmax(x, 0)),
     nn.LogSoftmax(0)),
    ("softmin", lambda x: F.softmin(x, 1), lambda x: ref.softmax(-x, 1), nn.Softmin(1)),
]


def _sample(shape=(3, 4), seed=0):
    x = np.random.default_rng(seed).uniform(-4, 4, shape)
    x[np.abs(x) < 0.05] = 0.3  # keep away from kinks, where finite differences disagree
    for kink in (-3, 3, -0.5, 0.5, 1.0, 0.1, 1.5):
        x[np.abs(x - kink) < 0.05] += 0.2
    return x


@pytest.mark.parametrize("name, fn, reference, module", ACTIVATIONS,
                         ids=[a[0] for a in ACTIVATIONS])
def test_activation_forward_and_module(name, fn, reference, module):
    x = _sample()
    np.testing.assert_allclose(fn(T(x)).cpu().numpy(), reference(x), rtol=1e-10, atol=1e-12)
    if module is not None:
        np.testing.assert_allclose(module(T(x)).cpu().numpy(), reference(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, fn, reference, module", ACTIVATIONS,
                         ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck(name, fn, reference, module):
    assert gradcheck(fn, (T(_sample(seed=1), True),))


def test_prelu_per_channel_and_shared():
    x = _sample((2, 3, 2))
    w = np.array([0.1, 0.2, 0.3])
    out = F.prelu(T(x), T(w)).cpu().numpy()
    np.testing.assert_allclose(out, np.where(x > 0, x, w[None, :, None] * x))
    assert gradcheck(F.prelu, (T(x, True), T(w, True)))
    m = nn.PReLU()
    assert m.weight.tolist() == [0.25]
    assert m(ember.randn(2, 3)).shape == ember.Size([2, 3])


def test_step_is_heaviside_with_zero_gradient():
    x = T([-2.0, 0.0, 3.0], True)
    out = nn.Step()(x)
    assert out.tolist() == [0.0, 1.0, 1.0]
    assert F.step(x, 0.5).tolist() == [0.0, 0.5, 1.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_softmax_gradgrad_and_implicit_dim_warning():
    x = T(_sample((2, 3)), True)
    assert gradgradcheck(lambda t: F.log_softmax(t, 1), (x,))
    assert gradgradcheck(lambda t: F.softmax(t, 0), (x,))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        F.softmax(ember.randn(2, 3))


@pytest.mark.parametrize("fn", [
    lambda x: F.log_softmax(x, 1),
    lambda x: F.softmax(x, 1),
    lambda x: F.softplus(x),
    lambda x: F.logsigmoid(x),
    lambda x: F.cross_entropy(x, ember.tensor([0, 2])),
    lambda x: F.cross_entropy(x, ember.tensor([1, 0]), label_smoothing=0.2),
    lambda x: F.binary_cross_entropy_with_logits(x, ember.ones(2, 3, dtype=F64)),
    lambda x: F.binary_cross_entropy_with_logits(x, ember.zeros(2, 3, dtype=F64),
                                                 pos_weight=ember.full((3,), 2.0, dtype=F64)),
])
def test_stable_for_logits_of_magnitude_1e4(fn):
    x = T([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], True)
    out = fn(x)
    assert np.all(np.isfinite(out.detach().cpu().numpy()))
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.cpu().numpy()))


def test_cross_entropy_huge_logits_values():
    x = T([[1e4, -1e4, 0.0]])
    assert F.cross_entropy(x, ember.tensor([0])).item() == 0.0
    np.testing.assert_allclose(F.cross_entropy(x, ember.tensor([1])).item(), 2e4)
    np.testing.assert_allclose(F.log_softmax(x, 1).cpu().numpy(), [[0.0, -2e4, -1e4]])


# ------------------------------------------------------------------------------- losses

def _ce_ref(x, t, w=None, ignore=-100, smoothing=0.0, reduction="mean"):
    """Cross-entropy written from PyTorch's definition (class indices)."""
    c = x.shape[1]
    logp = np.log(ref.softmax(x, 1))
    w = np.ones(c) if w is None else w
    valid = t != ignore
    ts = np.where(valid, t, 0)
    wt = w[ts] * valid
    nll = -logp[np.arange(len(t)), ts] * wt
    smooth = -(logp * w).sum(1) * valid
    loss = (1 - smoothing) * nll + smoothing / c * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / wt.sum()


CE_CASES = [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
    {"weight": [0.5, 2.0, 1.0, 0.1]}, {"ignore_index": 1},
    {"weight": [0.5, 2.0, 1.0, 0.1], "ignore_index": 3, "label_smoothing": 0.3},
    {"weight": [0.5, 2.0, 1.0, 0.1], "label_smoothing": 0.2, "reduction": "none"},
]


@pytest.mark.parametrize("kw", CE_CASES)
def test_cross_entropy_with_class_indices(kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)) * 3
    t = np.array([0, 3, 1, 1, 2])
    kw_e = dict(kw)
    w = kw_e.pop("weight", None)
    we = None if w is None else T(w)
    out = F.cross_entropy(T(x), ember.tensor(t), weight=we, **kw_e)
    expected = _ce_ref(x, t, None if w is None else np.array(w), kw.get("ignore_index", -100),
                       kw.get("label_smoothing", 0.0), kw.get("reduction", "mean"))
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda a: F.cross_entropy(a, ember.tensor(t), weight=we, **kw_e),
                     (T(x, True),))
    mod = nn.CrossEntropyLoss(weight=we, **kw_e)
    np.testing.assert_allclose(mod(T(x), ember.tensor(t)).cpu().numpy(), expected, rtol=1e-10)


def test_cross_entropy_second_derivative():
    x = T(np.random.default_rng(0).standard_normal((3, 4)), True)
    t = ember.tensor([0, 3, 1])
    assert gradgradcheck(lambda a: F.cross_entropy(a, t, label_smoothing=0.1), (x,))
    assert gradgradcheck(lambda a: F.cross_entropy(a, t), (x,))       # the plain path


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_plain_path_gives_the_general_paths_bits(reduction, dtype):
    """Without weight or smoothing, and with every target a class, cross_entropy takes a
    shorter path (CrossEntropyOp's `plain`); its loss and gradient are the general path's,
    bit for bit. An ignore_index among the targets' range makes the general path run."""
    from ember.nn.functional.loss import CrossEntropyOp
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((33, 7)) * 30).astype(dtype)
    t = rng.integers(0, 7, 33)
    g = rng.standard_normal(() if reduction != "none" else (33,)).astype(dtype)
    results = []
    for plain in (True, False):
        xt = ember.tensor(x, requires_grad=True)
        loss = CrossEntropyOp.apply(xt, ember.tensor(t)._data, None, -100, 0.0, reduction,
                                    plain)
        loss.backward(ember.tensor(g))
        results.append((loss.detach().cpu().numpy(), xt.grad.cpu().numpy()))
    (l1, g1), (l2, g2) = results
    np.testing.assert_array_equal(l1, l2)
    np.testing.assert_array_equal(g1, g2)
    out = F.cross_entropy(ember.tensor(x), ember.tensor(t), reduction=reduction)
    np.testing.assert_array_equal(out.cpu().numpy(), l1)


def test_cross_entropy_spatial_and_unbatched():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 2, 2))
    t = rng.integers(0, 3, (2, 2, 2))
    flat_x = np.moveaxis(x, 1, -1).reshape(-1, 3)
    out = F.cross_entropy(T(x), ember.tensor(t), reduction="none")
    assert out.shape == ember.Size([2, 2, 2])
    np.testing.assert_allclose(out.cpu().numpy().ravel(), _ce_ref(flat_x, t.ravel(),
                                                            reduction="none"), rtol=1e-10)
    single = F.cross_entropy(T(x[0, :, 0, 0]), ember.tensor(t[0, 0, 0]))
    np.testing.assert_allclose(single.item(), _ce_ref(x[:1, :, 0, 0], t[:1, 0, 0]),
                               rtol=1e-10)


def test_cross_entropy_with_class_probabilities():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4))
    p = ref.softmax(rng.standard_normal((3, 4)), 1)
    w = np.array([1.0, 2.0, 0.5, 1.0])
    for s in (0.0, 0.2):
        q = p * (1 - s) + s / 4
        expected = -(w * q * np.log(ref.softmax(x, 1))).sum(1).mean()
        out = F.cross_entropy(T(x), T(p), weight=T(w), label_smoothing=s)
        np.testing.assert_allclose(out.item(), expected, rtol=1e-10)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b), (T(x, True), T(p, True)))


@pytest.mark.parametrize("make", [
    lambda x: F.conv2d(x, ember.ones(2, 2, 2, 2, dtype=F64, requires_grad=True)),
    lambda x: F.conv_transpose2d(x, ember.ones(2, 2, 2, 2, dtype=F64, requires_grad=True)),
    lambda x: F.max_pool2d(x, 2),
    lambda x: F.cross_entropy(x.reshape(4, 8), ember.tensor([0, 1, 2, 3])),
], ids=["conv2d", "conv_transpose2d", "max_pool2d", "cross_entropy"])
def test_ops_keeping_arrays_raise_on_a_second_backward_as_pytorch(make):
    # they keep arrays for backward (ArrayOp) and release them: a second backward without
    # retain_graph names retain_graph, as for any op that saved something
    x = ember.tensor(np.linspace(-1, 1, 32).reshape(1, 2, 4, 4), requires_grad=True)
    y = make(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    z = make(x).sum()
    z.backward(retain_graph=True)
    z.backward()


def test_cross_entropy_errors():
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(ember.randn(2, 3), ember.tensor([0, 3]))
    with pytest.raises(ValueError, match="target of shape"):
        F.cross_entropy(ember.randn(2, 3), ember.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(ember.randn(2, 3), ember.tensor([0, 1]), reduction="avg")


def test_nll_loss_matches_cross_entropy_of_log_softmax():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3))
    t = ember.tensor([0, 2, 1, 2])
    w = T([1.0, 0.5, 2.0])
    logp = F.log_softmax(T(x), 1)
    for kw in ({}, {"weight": w}, {"ignore_index": 2}, {"reduction": "sum"},
               {"reduction": "none", "weight": w}):
        np.testing.assert_allclose(F.nll_loss(logp, t, **kw).cpu().numpy(),
                                   F.cross_entropy(T(x), t, **kw).cpu().numpy(), rtol=1e-10)
    assert gradcheck(lambda a: F.nll_loss(a, t, weight=w), (T(x, True),))
    assert nn.NLLLoss()(logp, t).shape == ember.Size([])



@pytest.mark.parametrize("kw", [{}, {"weight": [1.0, 0.5, 2.0]}])
def test_nll_loss_mean_with_every_target_ignored_is_nan(kw):
    """PyTorch's 'mean' divides by a total weight of 0 here and gives nan (it raised
    ZeroDivisionError); an empty batch the same."""
    kw = {k: T(v) for k, v in kw.items()}
    logp = F.log_softmax(T(np.zeros((3, 3)), True), 1)
    loss = F.nll_loss(logp, ember.tensor([-100, -100, -100]), **kw)
    assert math.isnan(loss.item())
    assert math.isnan(F.nll_loss(T(np.zeros((0, 3))), ember.zeros(0, dtype=ember.int64),
                                 **kw).item())
    assert F.nll_loss(logp, ember.tensor([-100, -100, -100]), reduction="sum", **kw).item() == 0


@pytest.mark.parametrize("loss_fn, kw", [
    ("cross_entropy", {}), ("cross_entropy", {"weight": [1.0, 0.5, 2.0]}),
    ("cross_entropy", {"label_smoothing": 0.2}), ("nll_loss", {}),
    ("nll_loss", {"weight": [1.0, 0.5, 2.0]})])
def test_loss_with_every_target_ignored_has_zero_gradient(loss_fn, kw):
    """The loss is nan (0 / 0), but as in PyTorch no ignored target contributes to the
    gradient, which is zero, not nan."""
    kw = {k: T(v) if k == "weight" else v for k, v in kw.items()}
    x = T(np.random.default_rng(0).standard_normal((3, 3)), True)
    inp = x if loss_fn == "cross_entropy" else F.log_softmax(x, 1)
    loss = getattr(F, loss_fn)(inp, ember.tensor([-100, -100, -100]), **kw)
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros((3, 3)))


# name, functional call on (input, target), NumPy reference on arrays, input sampler
def _pos(shape, seed):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


def _any(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _sign(shape, seed):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


POINTWISE_LOSSES = [
    ("mse", F.mse_loss, lambda x, y: (x - y) ** 2, _any, _any, nn.MSELoss),
    ("l1", F.l1_loss, lambda x, y: np.abs(x - y), _any, _any, nn.L1Loss),
    ("smooth_l1", lambda x, y, **k: F.smooth_l1_loss(x, y, beta=0.5, **k),
     lambda x, y: np.where(np.abs(x - y) < 0.5, 0.5 * (x - y) ** 2 / 0.5,
                           np.abs(x - y) - 0.25), _any, _any,
     lambda **k: nn.SmoothL1Loss(beta=0.5, **k)),
    ("huber", lambda x, y, **k: F.huber_loss(x, y, delta=0.7, **k),
     lambda x, y: np.where(np.abs(x - y) <= 0.7, 0.5 * (x - y) ** 2,
                           0.7 * (np.abs(x - y) - 0.35)), _any, _any,
     lambda **k: nn.HuberLoss(delta=0.7, **k)),
    ("bce", F.binary_cross_entropy,
     lambda x, y: -(y * np.log(x) + (1 - y) * np.log(1 - x)), _pos, _pos, nn.BCELoss),
    ("bce_logits", F.binary_cross_entropy_with_logits,
     lambda x, y: -(y * np.log(1 / (1 + np.exp(-x))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(
         -x)))), _any, _pos, nn.BCEWithLogitsLoss),
    ("kl_div", F.kl_div, lambda x, y: y * (np.log(y) - x), _any, _pos, nn.KLDivLoss),
    ("kl_div_log_target", lambda x, y, **k: F.kl_div(x, y, log_target=True, **k),
     lambda x, y: np.exp(y) * (y - x), _any, _any, lambda **k: nn.KLDivLoss(log_target=True, **k)),
    ("poisson_nll", F.poisson_nll_loss, lambda x, y: np.exp(x) - y * x, _any, _pos,
     nn.PoissonNLLLoss),
    ("poisson_nll_full", lambda x, y, **k: F.poisson_nll_loss(x, y, log_input=False,
                                                              full=True, **k),
     lambda x, y: x - y * np.log(x + 1e-8) + np.where(
         y > 1, y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y), 0),
     _pos, lambda s, seed: _pos(s, seed) * 4,
     lambda **k: nn.PoissonNLLLoss(log_input=False, full=True, **k)),
    ("hinge_embedding", F.hinge_embedding_loss,
     lambda x, y: np.where(y == 1, x, np.maximum(0, 1 - x)), _any, _sign,
     nn.HingeEmbeddingLoss),
    ("soft_margin", F.soft_margin_loss, lambda x, y: np.log1p(np.exp(-y * x)), _any, _sign,
     nn.SoftMarginLoss),
]


@pytest.mark.parametrize("name, fn, reference, xs, ys, module", POINTWISE_LOSSES,
                         ids=[r[0] for r in POINTWISE_LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.filterwarnings("ignore:kl_div. reduction 'mean':UserWarning")
def test_pointwise_loss(name, fn, reference, xs, ys, module, reduction):
    x, y = xs((3, 4), 0), ys((3, 4), 1)
    expected = reference(x, y)
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    out = fn(T(x), T(y), reduction=reduction)
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-9, atol=1e-12)
    if module is not None:
        np.testing.assert_allclose(module(reduction=reduction)(T(x), T(y)).cpu().numpy(), expected,
                                   rtol=1e-9, atol=1e-12)
    if reduction == "mean":
        diff_target = name not in ("hinge_embedding", "soft_margin")
        assert gradcheck(lambda a, b: fn(a, b), (T(x, True), T(y, diff_target)))


def test_bce_clamps_its_log_at_minus_100():
    out = F.binary_cross_entropy(T([0.0, 1.0]), T([1.0, 0.0]), reduction="none")
    assert out.tolist() == [100.0, 100.0]
    x = T([0.0, 1.0, 0.5], True)
    F.binary_cross_entropy(x, T([1.0, 0.0, 1.0])).backward()
    assert np.all(np.isfinite(x.grad.cpu().numpy()))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(T([1.5]), T([1.0]))


def test_bce_with_logits_weight_and_pos_weight():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((3, 2)), _pos((3, 2), 5)
    w, pw = np.array([0.5, 2.0]), np.array([3.0, 0.5])
    s = 1 / (1 + np.exp(-x))
    expected = (-w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))).mean()
    out = F.binary_cross_entropy_with_logits(T(x), T(y), weight=T(w), pos_weight=T(pw))
    np.testing.assert_allclose(out.item(), expected, rtol=1e-10)
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, T(y), pos_weight=T(pw)),
                     (T(x, True),))


def test_kl_div_batchmean():
    x = np.log(ref.softmax(_any((2, 3), 0), 1))
    y = ref.softmax(_any((2, 3), 1), 1)
    out = F.kl_div(T(x), T(y), reduction="batchmean")
    np.testing.assert_allclose(out.item(), (y * (np.log(y) - x)).sum() / 2, rtol=1e-10)
    assert F.kl_div(T([0.0]), T([0.0]), reduction="sum").item() == 0.0
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(T(x), T(y))


def test_gaussian_nll_loss():
    x, y = _any((4, 2), 0), _any((4, 2), 1)
    var = _pos((4, 2), 2)
    expected = 0.5 * (np.log(var) + (x - y) ** 2 / var)
    np.testing.assert_allclose(F.gaussian_nll_loss(T(x), T(y), T(var)).item(), expected.mean(),
                               rtol=1e-10)
    full = F.gaussian_nll_loss(T(x), T(y), T(var[:, :1]), full=True, reduction="sum")
    exp_full = (0.5 * (np.log(var[:, :1]) + (x - y) ** 2 / var[:, :1])
                + 0.5 * np.log(2 * np.pi)).sum()
    np.testing.assert_allclose(full.item(), exp_full, rtol=1e-10)
    assert gradcheck(lambda a, v: F.gaussian_nll_loss(a, T(y), v), (T(x, True), T(var, True)))
    assert nn.GaussianNLLLoss()(T(x), T(y), T(var)).shape == ember.Size([])
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(T(x), T(y), T(-var))


def test_margin_ranking_triplet_and_cosine_embedding():
    a, b = _any((4, 3), 0), _any((4, 3), 1)
    n = _any((4, 3), 2)
    y = np.array([1.0, -1.0, 1.0, -1.0])
    s1, s2 = a[:, 0], b[:, 0]
    np.testing.assert_allclose(
        F.margin_ranking_loss(T(s1), T(s2), T(y), margin=0.3).item(),
        np.maximum(0, -y * (s1 - s2) + 0.3).mean(), rtol=1e-10)
    d = lambda u, v: np.linalg.norm(u - v + 1e-6, axis=-1)  # noqa: E731
    np.testing.assert_allclose(
        F.triplet_margin_loss(T(a), T(b), T(n), margin=0.5).item(),
        np.maximum(d(a, b) - d(a, n) + 0.5, 0).mean(), rtol=1e-10)
    np.testing.assert_allclose(
        F.triplet_margin_loss(T(a), T(b), T(n), swap=True, reduction="sum").item(),
        np.maximum(d(a, b) - np.minimum(d(a, n), d(b, n)) + 1.0, 0).sum(), rtol=1e-10)
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    np.testing.assert_allclose(
        F.cosine_embedding_loss(T(a), T(b), T(y), margin=0.1).item(),
        np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1)).mean(), rtol=1e-10)
    assert gradcheck(lambda u, v, w: F.triplet_margin_loss(u, v, w), (T(a, True), T(b, True),
                                                                         T(n, True)))
    assert gradcheck(lambda u, v: F.cosine_embedding_loss(u, v, T(y)), (T(a, True),
                                                                        T(b, True)))
    assert gradcheck(lambda u, v: F.margin_ranking_loss(u, v, T(y), margin=0.3),
                     (T(s1, True), T(s2, True)))
    assert nn.TripletMarginLoss()(T(a), T(b), T(n)).ndim == 0
    assert nn.CosineEmbeddingLoss()(T(a), T(b), T(y)).ndim == 0
    assert nn.MarginRankingLoss()(T(s1), T(s2), T(y)).ndim == 0


def test_triplet_margin_loss_wants_inputs_of_one_ndim():
    # PyTorch checks the dims instead of broadcasting a (D,) positive against (N, D) anchors
    a, v = ember.randn(3, 4), ember.randn(4)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(a, v, a)
    assert F.triplet_margin_loss(v, v, v).ndim == 0  # all 1-D is one triplet


def test_legacy_size_average_and_reduce():
    x, y = T([1.0, 2.0]), T([0.0, 0.0])
    assert F.mse_loss(x, y, size_average=False).item() == 5.0
    assert F.mse_loss(x, y, reduce=False).tolist() == [1.0, 4.0]


def test_loss_shape_mismatch_raises():
    with pytest.raises(ValueError, match="different to the input size"):
        F.mse_loss(ember.zeros(3), ember.zeros(4))


# ------------------------------------------------------------------- distances, helpers

def test_cosine_similarity_pairwise_distance_normalize():
    a, b = _any((3, 4), 0), _any((3, 4), 1)
    np.testing.assert_allclose(
        F.cosine_similarity(T(a), T(b)).cpu().numpy(),
        (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)), rtol=1e-10)
    np.testing.assert_allclose(F.pairwise_distance(T(a), T(b), p=1.0).cpu().numpy(),
                               np.abs(a - b + 1e-6).sum(1), rtol=1e-10)
    np.testing.assert_allclose(F.normalize(T(a), dim=1).cpu().numpy(),
                               a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-10)
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v), (T(a, True), T(b, True)))
    assert gradcheck(lambda u: F.normalize(u, p=3.0), (T(a, True),))
    assert gradcheck(lambda u, v: F.pairwise_distance(u, v), (T(a, True), T(b, True)))
    assert nn.CosineSimilarity()(T(a), T(b)).shape == ember.Size([3])
    assert nn.PairwiseDistance()(T(a), T(b)).shape == ember.Size([3])


def test_one_hot_and_pad():
    assert F.one_hot(ember.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.pad(ember.ones(1, 2), (1, 0), value=5.0).tolist() == [[5.0, 1.0, 1.0]]
    x = T([[1.0, 2.0, 3.0]])
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]


def test_scaled_dot_product_attention_matches_formula():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), \
        rng.standard_normal((2, 5, 2))
    out = F.scaled_dot_product_attention(T(q), T(k), T(v))
    np.testing.assert_allclose(out.cpu().numpy(), ref.attention(q, k, v)[0], rtol=1e-10)
    keep = rng.random((3, 5)) < 0.7
    keep[:, 0] = True
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=ember.tensor(keep))
    np.testing.assert_allclose(out.cpu().numpy(),
                               ref.attention(q, k, v, np.where(keep, 0.0, -np.inf))[0],
                               rtol=1e-10)
    qq = rng.standard_normal((2, 4, 4))
    causal = F.scaled_dot_product_attention(T(qq), T(qq), T(qq), is_causal=True)
    mask = np.where(np.tril(np.ones((4, 4), bool)), 0.0, -np.inf)
    np.testing.assert_allclose(causal.cpu().numpy(), ref.attention(qq, qq, qq, mask)[0], rtol=1e-10)
    scaled = F.scaled_dot_product_attention(T(q), T(k), T(v), scale=0.1)
    w = ref.softmax(q @ np.swapaxes(k, -1, -2) * 0.1)
    np.testing.assert_allclose(scaled.cpu().numpy(), w @ v, rtol=1e-10)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c),
                     (T(q, True), T(k, True), T(v, True)))


def _mha_inputs(seed=0, e=4, kdim=4, vdim=4):
    rng = np.random.default_rng(seed)
    q, k, v = rng.standard_normal((3, 2, e)), rng.standard_normal((5, 2, kdim)), \
        rng.standard_normal((5, 2, vdim))
    w_in, b_in = rng.standard_normal((3 * e, e)) * 0.5, rng.standard_normal(3 * e) * 0.1
    w_out, b_out = rng.standard_normal((e, e)) * 0.5, rng.standard_normal(e) * 0.1
    return q, k, v, w_in, b_in, w_out, b_out


def test_multi_head_attention_forward_matches_the_per_head_formula():
    q, k, v, w_in, b_in, w_out, b_out = _mha_inputs()
    mask = np.where(np.triu(np.ones((3, 5), bool), 2), -np.inf, 0.0)
    out, w = F.multi_head_attention_forward(
        T(q), T(k), T(v), 4, 2, T(w_in), T(b_in), None, None, False, 0.0, T(w_out), T(b_out),
        attn_mask=ember.tensor(np.triu(np.ones((3, 5), bool), 2)))
    ref_out, ref_w = ref.multihead_attention(q, k, v, w_in, b_in, w_out, b_out, 2, mask)
    np.testing.assert_allclose(out.cpu().numpy(), ref_out, rtol=1e-10)
    np.testing.assert_allclose(w.cpu().numpy(), ref_w, rtol=1e-10, atol=1e-14)
    # unbatched input gives batch element 0 of the batched result; need_weights=False gives None
    single, none = F.multi_head_attention_forward(
        T(q[:, 0]), T(k[:, 0]), T(v[:, 0]), 4, 2, T(w_in), T(b_in), None, None, False, 0.0,
        T(w_out), T(b_out), need_weights=False)
    np.testing.assert_allclose(single.cpu().numpy(),
                               ref.multihead_attention(q, k, v, w_in, b_in, w_out, b_out, 2)[0]
                               [:, 0], rtol=1e-10)
    assert none is None
    assert gradcheck(
        lambda a, b, c, wi, wo: F.multi_head_attention_forward(
            a, b, c, 4, 2, wi, T(b_in), None, None, False, 0.0, wo, T(b_out))[0],
        (T(q, True), T(k, True), T(v, True), T(w_in, True), T(w_out, True)))


def test_multi_head_attention_forward_separate_weights_and_static_kv():
    q, k, v, w_in, b_in, w_out, b_out = _mha_inputs(1, kdim=3, vdim=6)
    rng = np.random.default_rng(2)
    wq, wk, wv = w_in[:4], rng.standard_normal((4, 3)), rng.standard_normal((4, 6))
    out, w = F.multi_head_attention_forward(
        T(q), T(k), T(v), 4, 2, None, T(b_in), None, None, False, 0.0, T(w_out), T(b_out),
        use_separate_proj_weight=True, q_proj_weight=T(wq), k_proj_weight=T(wk),
        v_proj_weight=T(wv), average_attn_weights=False)
    qp, kp, vp = q @ wq.T + b_in[:4], k @ wk.T + b_in[4:8], v @ wv.T + b_in[8:]
    expected = np.zeros((3, 2, 4))
    for b in range(2):
        for hh in range(2):
            sl = slice(2 * hh, 2 * hh + 2)
            o, wh = ref.attention(qp[:, b, sl], kp[:, b, sl], vp[:, b, sl])
            expected[:, b, sl] = o
            np.testing.assert_allclose(w.cpu().numpy()[b, hh], wh, rtol=1e-10)
    np.testing.assert_allclose(out.cpu().numpy(), expected @ w_out.T + b_out, rtol=1e-10)
    # static_k / static_v: (N * heads, S, head_dim) used in place of the projected keys/values
    sk, sv = rng.standard_normal((4, 7, 2)), rng.standard_normal((4, 7, 2))
    k, v = rng.standard_normal((5, 2, 4)), rng.standard_normal((5, 2, 4))  # projected, unused
    out, w = F.multi_head_attention_forward(
        T(q), T(k), T(v), 4, 2, T(w_in), T(b_in), None, None, False, 0.0, T(w_out), T(b_out),
        static_k=T(sk), static_v=T(sv), average_attn_weights=False)
    qp = (q @ w_in[:4].T + b_in[:4]).reshape(3, 4, 2).transpose(1, 0, 2)  # (N*H, L, hd)
    o, wh = ref.attention(qp, sk, sv)
    np.testing.assert_allclose(w.cpu().numpy().reshape(4, 3, 7), wh, rtol=1e-10)
    np.testing.assert_allclose(out.cpu().numpy(),
                               o.transpose(1, 0, 2).reshape(3, 2, 4) @ w_out.T + b_out,
                               rtol=1e-10)
    with pytest.raises(RuntimeError, match="static_k"):
        F.multi_head_attention_forward(T(q), T(k), T(v), 4, 2, T(w_in), T(b_in), None, None,
                                       False, 0.0, T(w_out), T(b_out), static_k=T(sk[:, :, :1]))
    with pytest.raises(RuntimeError, match="embedding dimension of 8"):
        F.multi_head_attention_forward(T(q), T(k), T(v), 8, 2, T(w_in), T(b_in), None, None,
                                       False, 0.0, T(w_out), T(b_out))


def test_multi_head_attention_weights_are_those_after_dropout():
    """As PyTorch's: with dropout in training, the returned (per-head) weights are the dropped
    and rescaled ones the values were averaged with; without training there is no dropout."""
    q, k, v, w_in, b_in, w_out, b_out = _mha_inputs(3)
    args = (T(q), T(k), T(v), 4, 2, T(w_in), T(b_in), None, None, False, 0.5, T(w_out),
            T(b_out))
    ember.manual_seed(0)
    out, w = F.multi_head_attention_forward(*args, average_attn_weights=False)
    w = w.cpu().numpy()
    assert (w == 0).any() and not np.allclose(w.sum(-1), 1.0)
    vp = (v @ w_in[8:].T + b_in[8:]).reshape(5, 2, 2, 2)  # (S, N, H, hd)
    heads = np.einsum("nhls,snhd->lnhd", w, vp).reshape(3, 2, 4)
    np.testing.assert_allclose(out.cpu().numpy(), heads @ w_out.T + b_out, rtol=1e-10)
    _, w_eval = F.multi_head_attention_forward(*args, training=False)
    np.testing.assert_allclose(w_eval.cpu().numpy().sum(-1), 1.0, rtol=1e-12)
    mha = nn.MultiheadAttention(4, 2, dropout=0.5, dtype=F64)
    x = T(q)
    mha.eval()
    np.testing.assert_array_equal(mha(x, x, x)[0].detach().cpu().numpy(),
                                  mha(x, x, x)[0].detach().cpu().numpy())
    mha.train()
    ember.manual_seed(1)
    a = mha(x, x, x)[0].detach().cpu().numpy()
    ember.manual_seed(2)
    assert not np.allclose(a, mha(x, x, x)[0].detach().cpu().numpy())


def test_interpolate_nearest_and_linear():
    x = _any((1, 1, 3), 0)
    out = F.interpolate(T(x), size=5, mode="nearest").cpu().numpy()
    np.testing.assert_array_equal(out[0, 0], x[0, 0][[0, 0, 1, 1, 2]])
    lin = F.interpolate(T(x), scale_factor=2, mode="linear", align_corners=True).cpu().numpy()
    np.testing.assert_allclose(lin[0, 0], np.interp(np.linspace(0, 2, 6), [0, 1, 2], x[0, 0]))
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 4), mode="bilinear"),
                     (T(_any((1, 1, 2, 3), 1), True),))
    with pytest.raises(ValueError):
        F.interpolate(T(x), size=2, scale_factor=2)


def test_functional_covers_the_issue():
    for name in ("relu", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "mish",
                 "sigmoid", "tanh", "softplus", "softsign", "hardtanh", "hardsigmoid",
                 "hardswish", "softmax", "log_softmax", "softmin", "step", "linear", "bilinear",
                 "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d",
                 "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                 "adaptive_max_pool2d", "batch_norm", "layer_norm", "group_norm",
                 "instance_norm", "dropout", "dropout2d", "embedding", "one_hot", "pad",
                 "normalize", "cosine_similarity", "pairwise_distance",
                 "scaled_dot_product_attention", "interpolate", "unfold", "fold", "mse_loss",
                 "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
                 "poisson_nll_loss", "gaussian_nll_loss", "hinge_embedding_loss",
                 "margin_ranking_loss", "triplet_margin_loss", "cosine_embedding_loss",
                 "multi_head_attention_forward"):
        assert callable(getattr(F, name)), name
    for name in ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss",
                 "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "PoissonNLLLoss",
                 "GaussianNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss",
                 "TripletMarginLoss", "CosineEmbeddingLoss"):
        assert issubclass(getattr(nn, name), nn.Module), name

"""ember.nn.init (distributions, fans, gains, reproducibility) and ember.nn.utils."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init
from ember.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError):
        init.calculate_gain("nope")


def test_uniform_normal_constant():
    t = ember.empty(200, 100)
    init.uniform_(t, -2.0, 3.0)
    a = t.cpu().numpy()
    assert a.min() >= -2.0 and a.max() < 3.0 and abs(a.mean() - 0.5) < 0.05
    init.normal_(t, 1.0, 2.0)
    assert abs(t.cpu().numpy().mean() - 1.0) < 0.05 and abs(t.cpu().numpy().std() - 2.0) < 0.05
    init.constant_(t, 0.3)
    assert np.all(t.cpu().numpy() == np.float32(0.3))
    assert init.ones_(ember.empty(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(ember.empty(2)).tolist() == [0.0, 0.0]


def test_trunc_normal_stays_in_bounds():
    t = init.trunc_normal_(ember.empty(10000), mean=0.5, std=1.0, a=-1.0, b=1.5)
    a = t.cpu().numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5
    alpha, beta = -1.5, 1.0   # the bounds in standard deviations from the mean
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mean = 0.5 + (pdf(alpha) - pdf(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(a.mean() - mean) < 0.03


def test_eye_and_dirac():
    assert init.eye_(ember.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    w = init.dirac_(ember.empty(4, 2, 3, 3), groups=2)
    x = ember.randn(1, 4, 5, 5)
    out = nn.functional.conv2d(x, w, padding=1, groups=2)
    np.testing.assert_allclose(out.cpu().numpy(), x.cpu().numpy(), rtol=1e-6)
    w = init.dirac_(ember.empty(3, 2, 3))  # more outputs than inputs: the extra one is zero
    out = nn.functional.conv1d(ember.randn(1, 2, 4), w, padding=1)
    assert float(out[0, 2].abs().sum()) == 0.0
    with pytest.raises(ValueError):
        init.eye_(ember.empty(2))


def test_xavier_and_kaiming_bounds_and_spread():
    t = ember.empty(300, 200)
    init.xavier_uniform_(t, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 500)
    assert np.abs(t.cpu().numpy()).max() <= bound
    init.xavier_normal_(t)
    assert abs(t.cpu().numpy().std() - math.sqrt(2.0 / 500)) < 0.005
    init.kaiming_uniform_(t, a=math.sqrt(5))
    bound = math.sqrt(3.0) * math.sqrt(2.0 / 6.0) / math.sqrt(200)
    assert np.abs(t.cpu().numpy()).max() <= bound and np.abs(t.cpu().numpy()).max() > 0.95 * bound
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(t.cpu().numpy().std() - math.sqrt(2.0 / 300)) < 0.005
    conv = ember.empty(8, 4, 3, 3)
    assert init._calculate_fan_in_and_fan_out(conv) == (36, 72)


def test_orthogonal_and_sparse():
    q = init.orthogonal_(ember.empty(3, 5), gain=2.0).cpu().numpy().astype(np.float64)
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)
    q = init.orthogonal_(ember.empty(6, 2, 2)).cpu().numpy().reshape(6, 4).astype(np.float64)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    s = init.sparse_(ember.empty(10, 4), sparsity=0.3).cpu().numpy()
    assert np.all((s == 0).sum(0) >= 3)


def test_init_is_reproducible_under_manual_seed_and_records_no_graph():
    ember.manual_seed(7)
    a = nn.Linear(5, 3).weight.detach().cpu().numpy().copy()
    ember.manual_seed(7)
    b = nn.Linear(5, 3).weight.detach().cpu().numpy().copy()
    np.testing.assert_array_equal(a, b)
    p = nn.Parameter(ember.zeros(3))
    init.normal_(p)
    assert p.is_leaf and p.grad_fn is None
    g = ember.Generator().manual_seed(1)
    c = init.uniform_(ember.empty(4), generator=g).cpu().numpy()
    g.manual_seed(1)
    np.testing.assert_array_equal(c, init.uniform_(ember.empty(4), generator=g).cpu().numpy())


def test_default_initialisation_of_linear_and_conv_matches_pytorch_bounds():
    lin = nn.Linear(50, 40)
    assert np.abs(lin.weight.detach().cpu().numpy()).max() <= 1 / math.sqrt(50)
    assert np.abs(lin.bias.detach().cpu().numpy()).max() <= 1 / math.sqrt(50)
    conv = nn.Conv2d(4, 6, 3)
    assert np.abs(conv.weight.detach().cpu().numpy()).max() <= 1 / math.sqrt(36)
    lstm = nn.LSTM(3, 16)
    assert all(np.abs(p.detach().cpu().numpy()).max() <= 0.25 for p in lstm.parameters())


def _params_with_grads():
    a = nn.Parameter(ember.zeros(3))
    b = nn.Parameter(ember.zeros(2, 2))
    a.grad = ember.tensor([3.0, 0.0, 4.0])
    b.grad = ember.tensor([[0.0, 0.0], [0.0, 12.0]])
    return a, b


def test_clip_grad_norm_returns_total_norm_and_scales():
    a, b = _params_with_grads()
    total = clip_grad_norm_([a, b], max_norm=6.5)
    assert total.item() == pytest.approx(13.0)
    np.testing.assert_allclose(a.grad.cpu().numpy(), np.array([3.0, 0.0, 4.0]) * 6.5 / (13 + 1e-6),
                               rtol=1e-6)
    a, b = _params_with_grads()
    total = clip_grad_norm_([a, b], max_norm=100.0, norm_type=math.inf)
    assert total.item() == 12.0 and a.grad.tolist() == [3.0, 0.0, 4.0]
    a, b = _params_with_grads()
    assert clip_grad_norm_([a, b], 1.0, norm_type=1).item() == pytest.approx(19.0)


def test_clip_grad_norm_error_if_nonfinite():
    a, _ = _params_with_grads()
    a.grad = ember.tensor([float("inf"), 0.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    a.grad = ember.tensor([float("nan"), 0.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    # without the check, PyTorch scales by the (NaN) coefficient anyway
    assert math.isnan(clip_grad_norm_([a], 1.0).item())
    assert np.isnan(a.grad.cpu().numpy()).all()


def test_clip_grad_value_():
    a, b = _params_with_grads()
    clip_grad_value_([a, b], 3.5)
    assert a.grad.tolist() == [3.0, 0.0, 3.5] and b.grad.tolist() == [[0.0, 0.0], [0.0, 3.5]]


def test_parameters_to_vector_and_back():
    m = nn.Linear(3, 2)
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == ember.Size([8])
    vector_to_parameters(ember.arange(8.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m.bias.tolist() == [6.0, 7.0]
    with pytest.raises(RuntimeError):
        vector_to_parameters(ember.zeros(3), m.parameters())

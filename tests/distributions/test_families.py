"""Every family of the table against SciPy: log_prob, cdf, icdf, entropy, mean and variance
(float64, random parameters), their gradients by gradcheck, sample moments of 200,000 draws,
rsample gradients by gradcheck, shapes, and entropies in bits."""

import math

import numpy as np
import pytest

import ember
from ember import info
from ember.autograd import gradcheck
from ember.distributions import constraints

from ..conftest import to_numpy
from .family_table import FAMILIES

SEED = 20261128
METHODS = ("log_prob", "cdf", "icdf", "entropy", "mean", "variance")


def _params(row):
    return row.params(np.random.default_rng(SEED))


def _values(row, params):
    return row.values(np.random.default_rng(SEED + 1), params)


def _uniforms(row, params):
    batch = np.broadcast(*params).shape if row.event_dim == 0 else params[0].shape[:-1]
    return np.random.default_rng(SEED + 2).uniform(0.05, 0.95, (5,) + tuple(batch))


def _tensors(params, requires_grad=False):
    return [ember.tensor(p, dtype=ember.float64, requires_grad=requires_grad) for p in params]


def _call(dist, method, arg=None):
    attr = getattr(dist, method)
    if method in ("mean", "variance"):
        return attr
    if method == "entropy":
        return attr()
    return attr(arg)


def _method_cases():
    return [pytest.param(row, m, id=f"{row.name}-{m}") for row in FAMILIES for m in METHODS
            if m in row.ref]


def _arg(row, method, params):
    if method in ("log_prob", "cdf"):
        return _values(row, params)
    if method == "icdf":
        return _uniforms(row, params)
    return None


@pytest.mark.parametrize("row,method", _method_cases())
def test_method_matches_scipy(row, method):
    params = _params(row)
    arg = _arg(row, method, params)
    dist = row.build(*_tensors(params))
    got = _call(dist, method, None if arg is None else ember.tensor(arg, dtype=ember.float64))
    expected = row.ref[method](params, arg) if arg is not None else row.ref[method](params)
    np.testing.assert_allclose(to_numpy(got), np.asarray(expected, dtype=float), rtol=1e-7,
                               atol=1e-9)


def _grad_cases():
    return [pytest.param(row, m, id=f"{row.name}-{m}") for row in FAMILIES for m in METHODS
            if m in row.ref and not (m == "icdf" and row.discrete)]


@pytest.mark.parametrize("row,method", _grad_cases())
def test_method_gradients(row, method):
    params = _params(row)
    arg = _arg(row, method, params)
    arg_t = None if arg is None else ember.tensor(arg, dtype=ember.float64)
    tensors = _tensors(params)
    for i in row.grad:
        tensors[i].requires_grad_(True)

    def f(*ps):
        return _call(row.build(*ps), method, arg_t)

    assert gradcheck(f, tensors, atol=1e-6, rtol=1e-4)


def _sample_cases(pred):
    return [pytest.param(row, id=row.name) for row in FAMILIES if pred(row)]


def _check_moments(x, mean, var, n_se=5.0):
    """Sample mean and variance of draws x (N, ...) within n_se standard errors of the truth.
    The variance's standard error sqrt((m4 - var^2) / N) uses the sample fourth moment."""
    n = x.shape[0]
    m = x.mean(0)
    np.testing.assert_array_less(np.abs(m - mean), n_se * np.sqrt(var / n) + 1e-12)
    c = x - mean
    v = (c ** 2).mean(0)
    m4 = (c ** 4).mean(0)
    np.testing.assert_array_less(np.abs(v - var), n_se * np.sqrt(np.maximum(m4 - var ** 2, 0)
                                                                 / n) + 1e-12)


@pytest.mark.parametrize("row", _sample_cases(lambda r: r.moments))
def test_sample_moments_of_200000_draws(row):
    ember.manual_seed(11)
    dist = row.build(*_tensors(_params(row)))
    x = to_numpy(dist.sample((200_000,)))
    _check_moments(x, to_numpy(dist.mean), to_numpy(dist.variance))


def test_categorical_sample_frequencies():
    ember.manual_seed(11)
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    x = to_numpy(ember.distributions.Categorical(ember.tensor(probs)).sample((200_000,)))
    freq = np.stack([(x == k).mean(0) for k in range(4)], -1)
    np.testing.assert_array_less(np.abs(freq - probs), 5 * np.sqrt(probs * (1 - probs) / 2e5))


@pytest.mark.parametrize("row", _sample_cases(lambda r: r.rsample))
def test_rsample_gradients_by_gradcheck(row):
    tensors = _tensors(_params(row))
    for i in row.grad:
        tensors[i].requires_grad_(True)

    def f(*ps):
        ember.manual_seed(3)  # the same noise at every evaluation: x(theta) is then smooth
        return row.build(*ps).rsample((2,))

    assert gradcheck(f, tensors, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("row", _sample_cases(lambda r: r.rsample and r.moments))
def test_rsample_draws_have_the_right_moments(row):
    ember.manual_seed(12)
    dist = row.build(*_tensors(_params(row)))
    x = to_numpy(dist.rsample((20_000,)))
    _check_moments(x, to_numpy(dist.mean), to_numpy(dist.variance))


@pytest.mark.parametrize("row", _sample_cases(lambda r: True))
def test_shapes_of_sample_log_prob_and_expand(row):
    dist = row.build(*_tensors(_params(row)))
    batch, event = tuple(dist.batch_shape), tuple(dist.event_shape)
    assert len(event) == row.event_dim
    x = dist.sample((4, 2))
    assert tuple(x.shape) == (4, 2) + batch + event
    assert tuple(dist.log_prob(x).shape) == (4, 2) + batch
    big = dist.expand((6,) + batch)
    assert tuple(big.batch_shape) == (6,) + batch
    assert tuple(big.sample((2,)).shape) == (2, 6) + batch + event
    np.testing.assert_allclose(to_numpy(big.log_prob(x[0, 0])),
                               np.broadcast_to(to_numpy(dist.log_prob(x[0, 0])), (6,) + batch))


@pytest.mark.parametrize("row", _sample_cases(lambda r: "entropy" in r.ref))
def test_entropy_in_bits_is_nats_over_ln_2(row):
    dist = row.build(*_tensors(_params(row)))
    nats = to_numpy(dist.entropy())
    np.testing.assert_allclose(to_numpy(dist.entropy(base=2)), nats / math.log(2), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(info.entropy(dist, base=info.BITS)), nats / math.log(2),
                               rtol=1e-12)
    np.testing.assert_allclose(to_numpy(dist.entropy(base=10)), nats / math.log(10), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(dist.entropy(base=math.e)), nats, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(dist.perplexity()), np.exp(nats), rtol=1e-12)


@pytest.mark.parametrize("row", _sample_cases(lambda r: True))
def test_sampling_follows_manual_seed(row):
    d = row.build(*_tensors(_params(row)))

    def draws(seed):
        ember.manual_seed(seed)
        return [to_numpy(d.sample((4,)))] + ([to_numpy(d.rsample((4,)))] if row.rsample else [])

    first, again, other = draws(5), draws(5), draws(6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other))


def test_float32_parameters_give_float32_draws_and_densities():
    d = ember.distributions.Normal(ember.zeros(3), ember.ones(3))
    x = d.rsample((2,))
    assert x.dtype == ember.float32 and d.log_prob(x).dtype == ember.float32
    g = ember.distributions.Gamma(ember.tensor([2.0]), ember.tensor([1.0]))
    assert g.rsample((2,)).dtype == ember.float32


@pytest.mark.parametrize("row", _sample_cases(lambda r: "variance" in r.ref))
def test_stddev_is_the_square_root_of_the_variance(row):
    dist = row.build(*_tensors(_params(row)))
    np.testing.assert_allclose(to_numpy(dist.stddev), np.sqrt(to_numpy(dist.variance)),
                               rtol=1e-12)


def test_binomial_entropy_with_different_total_counts_across_the_batch():
    import scipy.stats as st
    d = ember.distributions.Binomial(ember.tensor([3.0, 7.0], dtype=ember.float64),
                                     probs=ember.tensor([0.3, 0.6], dtype=ember.float64))
    np.testing.assert_allclose(to_numpy(d.entropy()), st.binom([3, 7], [0.3, 0.6]).entropy())
    k = np.array([[0.0, 5.0], [3.0, 7.0], [2.0, 0.0]])
    np.testing.assert_allclose(to_numpy(d.cdf(ember.tensor(k, dtype=ember.float64))),
                               st.binom([3, 7], [0.3, 0.6]).cdf(k), rtol=1e-12)
    loose = ember.distributions.Binomial(d.total_count, probs=d.probs, validate_args=False)
    k = np.array([[2.5, 6.9], [-1.0, 9.0]])  # the cdf is a step function
    np.testing.assert_allclose(to_numpy(loose.cdf(ember.tensor(k, dtype=ember.float64))),
                               st.binom([3, 7], [0.3, 0.6]).cdf(k), rtol=1e-12)


@pytest.mark.parametrize("row", _sample_cases(lambda r: True))
def test_declarations_support_arg_constraints_and_has_rsample(row):
    dist = row.build(*_tensors(_params(row)))
    assert dist.has_rsample is row.rsample
    assert isinstance(dist.arg_constraints, dict)
    # composites declare none of their own (as in PyTorch): their parts validate themselves
    assert dist.arg_constraints or row.name in ("MixtureSameFamily", "Independent")
    for name, c in dist.arg_constraints.items():
        assert isinstance(c, constraints.Constraint), (name, c)
        if name in dist.__dict__ and not constraints.is_dependent(c):
            assert bool(c.check(getattr(dist, name)).all()), name
    ember.manual_seed(13)
    x = dist.sample((50,))
    assert bool(dist.support.check(x).all())
    assert dist.support.is_discrete == row.discrete


def _family(row):
    """The family's class name: 'Categorical' for the row 'Categorical(logits)'."""
    return row.name.split("(")[0]


def _neighbours(row, dist, mode):
    """Points next to `mode` (each of shape mode.shape): one step either way along each
    coordinate for discrete families, a small step for continuous ones (on the simplex: moving
    mass between two coordinates)."""
    if _family(row) in ("Categorical", "OneHotCategorical"):
        return list(dist.enumerate_support())
    h = 1.0 if row.discrete else 1e-4
    if row.event_dim == 0:
        return [mode + h, mode - h]
    k = mode.shape[-1]
    eye = ember.eye(k, dtype=mode.dtype)
    if _family(row) == "Dirichlet":
        return [mode + h * (eye[i] - eye[j]) for i in range(k) for j in range(k) if i != j]
    return [mode + s * h * eye[i] for i in range(k) for s in (1, -1)]


@pytest.mark.parametrize("row", _sample_cases(
    lambda r: _family(r) not in ("Uniform", "Multinomial", "MixtureSameFamily")))
def test_mode_is_a_maximum_of_the_density(row):
    dist = row.build(*_tensors(_params(row)))
    mode = dist.mode
    assert tuple(mode.shape) == tuple(dist.batch_shape) + tuple(dist.event_shape)
    assert bool(dist.support.check(mode).all())
    at_mode = to_numpy(dist.log_prob(mode))
    assert np.all(np.isfinite(at_mode))
    checked = 0
    for y in _neighbours(row, dist, mode):
        ok = dist.support.check(y)
        inside = to_numpy(ok).astype(bool)
        if not inside.any():
            continue
        y = y.where(ok.unsqueeze(-1) if row.event_dim else ok, mode)  # stay in the support
        np.testing.assert_array_less(to_numpy(dist.log_prob(y))[inside] - 1e-12,
                                     at_mode[inside] + 1e-15)
        checked += 1
    assert checked >= 1  # a mode on the boundary (Exponential: 0) has one side


@pytest.mark.parametrize("a,b,expected", [
    (0.5, 2.0, 0.0), (2.0, 0.5, 1.0), (1.0, 2.0, 0.0), (2.0, 1.0, 1.0), (0.5, 1.0, 0.0),
    (1.0, 0.5, 1.0), (0.5, 0.3, 1.0), (0.3, 0.5, 0.0), (3.0, 2.0, 2 / 3)])
def test_beta_mode_where_a_concentration_is_at_most_one(a, b, expected):
    # the density is largest at an end of [0, 1] (unbounded there when a concentration < 1)
    d = ember.distributions.Beta(ember.tensor(a, dtype=ember.float64),
                                 ember.tensor(b, dtype=ember.float64))
    mode = d.mode.item()
    assert mode == pytest.approx(expected)
    grid = ember.tensor(np.linspace(0.001, 0.999, 999), dtype=ember.float64)
    assert d.log_prob(ember.tensor(mode, dtype=ember.float64)).item() >= \
        to_numpy(d.log_prob(grid)).max() - 1e-12
    assert math.isnan(ember.distributions.Beta(1.0, 1.0).mode.item())  # uniform: no mode


def test_modes_without_a_maximum_follow_pytorch():
    assert math.isnan(ember.distributions.Uniform(0.0, 1.0).mode.item())
    with pytest.raises(NotImplementedError, match="mode"):
        _ = ember.distributions.Multinomial(3, ember.ones(2)).mode

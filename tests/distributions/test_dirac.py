"""Dirac (a point mass), Independent, MixtureSameFamily specifics and the Distribution API
details (repr, enumerate_support, modes, sample_n)."""

import math

import numpy as np
import pytest

import ember
import ember.distributions as D

from ..conftest import to_numpy


def test_dirac_point_mass():
    loc = ember.tensor([1.5, -2.0, 0.0])
    d = D.Dirac(loc)
    assert d.batch_shape == (3,) and d.event_shape == ()
    lp = to_numpy(d.log_prob(ember.tensor([[1.5, -2.0, 1.0], [0.0, -2.0, 0.0]])))
    np.testing.assert_array_equal(lp, [[0.0, 0.0, -math.inf], [-math.inf, 0.0, 0.0]])
    np.testing.assert_array_equal(to_numpy(d.sample((4,))), np.tile([1.5, -2.0, 0.0], (4, 1)))
    np.testing.assert_array_equal(to_numpy(d.entropy()), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(to_numpy(d.entropy(base=2)), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(to_numpy(d.mean), to_numpy(loc))
    np.testing.assert_array_equal(to_numpy(d.mode), to_numpy(loc))
    np.testing.assert_array_equal(to_numpy(d.variance), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(to_numpy(d.cdf(ember.tensor([1.0, -2.0, 1.0]))), [0, 1, 1])
    np.testing.assert_array_equal(to_numpy(d.icdf(ember.tensor([0.3, 0.3, 0.3]))),
                                  to_numpy(loc))
    assert d.expand((2, 3)).sample().shape == (2, 3)


def test_dirac_of_a_vector_compares_whole_events_and_rsample_is_differentiable():
    loc = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    d = D.Dirac(loc, event_dim=1)
    assert d.batch_shape == (2,) and d.event_shape == (2,)
    lp = to_numpy(d.log_prob(ember.tensor([[1.0, 2.0], [3.0, 5.0]])))
    np.testing.assert_array_equal(lp, [0.0, -math.inf])
    assert d.support.event_dim == 1 and D.Dirac(loc).support.event_dim == 0
    assert bool(d.support.check(loc).all())
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(ember.tensor([1.0, math.nan]))
    d.rsample((3,)).sum().backward()
    np.testing.assert_array_equal(to_numpy(loc.grad), np.full((2, 2), 3.0))
    with pytest.raises(NotImplementedError):
        d.cdf(loc)


def test_independent_sums_over_reinterpreted_dims():
    base = D.Normal(ember.zeros(4, 3), ember.ones(4, 3))
    ind = D.Independent(base, 1)
    x = ind.sample((2,))
    np.testing.assert_allclose(to_numpy(ind.log_prob(x)), to_numpy(base.log_prob(x).sum(-1)))
    np.testing.assert_allclose(to_numpy(ind.entropy()), to_numpy(base.entropy().sum(-1)),
                               rtol=1e-6)
    assert ind.has_rsample and ind.support.event_dim == 1
    assert D.Independent(D.Bernoulli(ember.full((3,), 0.5)), 0).has_enumerate_support
    assert "Independent" in repr(ind)


def test_mixture_cdf_and_validation_of_values():
    mix = D.MixtureSameFamily(D.Categorical(ember.tensor([0.25, 0.75])),
                              D.Exponential(ember.tensor([1.0, 3.0])))
    x = ember.tensor([0.5])
    assert mix.cdf(x).item() == pytest.approx(0.25 * (1 - math.exp(-0.5))
                                              + 0.75 * (1 - math.exp(-1.5)), rel=1e-6)
    with pytest.raises(ValueError, match="support"):
        mix.log_prob(ember.tensor([-1.0]))
    with pytest.raises(NotImplementedError):
        mix.rsample()


def test_enumerate_support_and_modes():
    b = D.Bernoulli(ember.tensor([0.2, 0.7]))
    assert to_numpy(b.enumerate_support()).tolist() == [[0.0, 0.0], [1.0, 1.0]]
    np.testing.assert_array_equal(to_numpy(b.mode), [0.0, 1.0])
    c = D.Categorical(ember.tensor([[0.1, 0.6, 0.3]]))
    assert to_numpy(c.enumerate_support()).tolist() == [[0], [1], [2]]
    assert c.mode.tolist() == [1]
    assert to_numpy(D.Binomial(4, probs=0.5).enumerate_support()).tolist() == [0, 1, 2, 3, 4]
    assert D.Binomial(10, probs=0.35).mode.item() == 3
    assert D.Gamma(3.0, 2.0).mode.item() == pytest.approx(1.0)
    assert D.Beta(3.0, 2.0).mode.item() == pytest.approx(2 / 3)
    assert D.LogNormal(0.0, 1.0).mode.item() == pytest.approx(math.exp(-1))
    np.testing.assert_allclose(to_numpy(D.Dirichlet(ember.tensor([2.0, 3.0, 5.0])).mode),
                               [1 / 7, 2 / 7, 4 / 7], rtol=1e-6)
    oh = D.OneHotCategorical(ember.tensor([0.2, 0.5, 0.3]))
    assert to_numpy(oh.mode).tolist() == [0.0, 1.0, 0.0]
    assert oh.enumerate_support().shape == (3, 3)


def test_repr_and_sample_n():
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert "(3,)" in repr(D.Normal(ember.zeros(3), 1.0))
    assert D.Exponential(1.0).sample_n(5).shape == (5,)
    assert D.Normal(0.0, 1.0).sample(3).shape == (3,)


def test_student_t_moments_follow_pytorch_for_small_df():
    t = D.StudentT(ember.tensor([0.5, 1.5, 3.0]))
    mean, var = to_numpy(t.mean), to_numpy(t.variance)
    assert math.isnan(mean[0]) and mean[1] == 0 and mean[2] == 0
    assert math.isnan(var[0]) and var[1] == math.inf and var[2] == pytest.approx(3.0)
    c = D.Cauchy(0.0, 1.0)
    assert math.isnan(c.mean.item()) and c.variance.item() == math.inf

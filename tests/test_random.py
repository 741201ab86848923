"""Random numbers: every function reproducible under manual_seed, Generator objects, and the
samples' distributions."""

import numpy as np
import pytest

import ember

from .conftest import to_numpy

RANDOM_CALLS = {
    "rand": lambda g: ember.rand(3, 4, generator=g),
    "randn": lambda g: ember.randn(5, generator=g),
    "randint": lambda g: ember.randint(0, 10, (6,), generator=g),
    "randperm": lambda g: ember.randperm(8, generator=g),
    "normal": lambda g: ember.normal(1.0, 2.0, (4,), generator=g),
    "normal_tensor": lambda g: ember.normal(ember.zeros(3), ember.ones(3), generator=g),
    "bernoulli": lambda g: ember.bernoulli(ember.full((6,), 0.5), generator=g),
    "multinomial": lambda g: ember.multinomial(ember.tensor([1.0, 2.0, 3.0]), 5, True,
                                               generator=g),
    "multinomial_no_replacement": lambda g: ember.multinomial(ember.ones(2, 6), 4, generator=g),
    "poisson": lambda g: ember.poisson(ember.full((5,), 3.0), generator=g),
    "uniform_": lambda g: ember.empty(4).uniform_(generator=g),
    "normal_": lambda g: ember.empty(4).normal_(generator=g),
    "bernoulli_": lambda g: ember.empty(4).bernoulli_(0.3, generator=g),
    "exponential_": lambda g: ember.empty(4).exponential_(2.0, generator=g),
    "random_": lambda g: ember.empty(4).random_(0, 100, generator=g),
}


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_manual_seed_makes_every_random_function_reproducible(name):
    call = RANDOM_CALLS[name]
    ember.manual_seed(42)
    first = to_numpy(call(None))
    ember.manual_seed(42)
    again = to_numpy(call(None))
    np.testing.assert_array_equal(first, again)
    ember.manual_seed(43)
    assert not np.array_equal(first, to_numpy(call(None))) or name == "bernoulli_"


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_generator_objects_are_independent_of_the_default(name):
    call = RANDOM_CALLS[name]
    g = ember.Generator().manual_seed(7)
    first = to_numpy(call(g))
    ember.manual_seed(0)
    ember.rand(10)  # consuming the default generator does not affect g
    g.manual_seed(7)
    np.testing.assert_array_equal(first, to_numpy(call(g)))


def test_generator_state_round_trip():
    g = ember.Generator().manual_seed(5)
    state = g.get_state()
    a = ember.randn(4, generator=g)
    g.set_state(state)
    assert ember.equal(a, ember.randn(4, generator=g))
    assert g.initial_seed() == 5
    ember.manual_seed(9)
    assert ember.initial_seed() == 9


def test_sample_statistics():
    ember.manual_seed(1)
    u = to_numpy(ember.rand(200_000))
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.005
    z = to_numpy(ember.randn(200_000, dtype=ember.float64))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    n = to_numpy(ember.normal(3.0, 0.5, (200_000,)))
    assert abs(n.mean() - 3) < 0.01 and abs(n.std() - 0.5) < 0.01
    r = to_numpy(ember.randint(2, 5, (10_000,)))
    assert set(np.unique(r)) == {2, 3, 4}
    assert sorted(to_numpy(ember.randperm(10)).tolist()) == list(range(10))
    b = to_numpy(ember.bernoulli(ember.full((100_000,), 0.2)))
    assert abs(b.mean() - 0.2) < 0.01


def test_random_dtypes():
    assert ember.rand(2).dtype is ember.float32
    assert ember.randn(2, dtype=ember.float64).dtype is ember.float64
    assert ember.randint(5, (3,)).dtype is ember.int64
    assert ember.randperm(4).dtype is ember.int64
    assert ember.rand_like(ember.ones(2, dtype=ember.float64)).dtype is ember.float64
    assert ember.randn_like(ember.ones(3)).shape == (3,)
    assert ember.randint_like(ember.ones(3), 10).shape == (3,)
    with pytest.raises(RuntimeError, match="floating-point dtype"):
        ember.rand(2, dtype=ember.int64)


@pytest.mark.parametrize("dtype", [ember.complex64, ember.complex128])
def test_complex_samples_draw_both_parts_as_pytorch(dtype):
    # randn: real and imaginary parts independent N(0, 1/2), so E|z|^2 = 1; rand: each part
    # uniform in [0, 1)
    g = ember.Generator().manual_seed(3)
    z = to_numpy(ember.randn(200_000, dtype=dtype, generator=g))
    assert z.dtype == dtype.np
    np.testing.assert_allclose([z.real.var(), z.imag.var()], [0.5, 0.5], rtol=0.02)
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 0.01
    u = to_numpy(ember.rand(200_000, dtype=dtype, generator=g))
    for part in (u.real, u.imag):
        assert part.min() >= 0.0 and part.max() < 1.0 and abs(part.mean() - 0.5) < 0.01


def test_multinomial_frequencies_and_without_replacement():
    ember.manual_seed(2)
    s = to_numpy(ember.multinomial(ember.tensor([1.0, 3.0]), 40_000, True))
    assert abs(s.mean() - 0.75) < 0.01
    rows = to_numpy(ember.multinomial(ember.ones(50, 5), 5))
    assert all(sorted(r) == [0, 1, 2, 3, 4] for r in rows)
    never = to_numpy(ember.multinomial(ember.tensor([0.0, 1.0, 1.0]), 2))
    assert 0 not in never
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist"):
        ember.multinomial(ember.ones(3), 4)
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        ember.multinomial(ember.tensor([0.0, 0.0, 1.0]), 2)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        ember.multinomial(ember.zeros(3), 1)


def test_normal_is_differentiable_in_tensor_parameters():
    mean = ember.zeros(3, requires_grad=True)
    std = ember.ones(3, requires_grad=True)
    sample = ember.normal(mean, std)
    sample.sum().backward()
    assert mean.grad.tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(to_numpy(std.grad), to_numpy(sample), rtol=1e-6)


def test_bad_parameters_raise():
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        ember.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="probabilities in \\[0, 1\\]"):
        ember.bernoulli(ember.tensor([1.5]))
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        ember.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match="rand: trying to create tensor with negative dim"):
        ember.rand(-1)
    with pytest.raises(RuntimeError, match="randn: trying to create tensor with negative dim"):
        ember.randn(2, -3)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, "
                                           r"but found from=1 > to=0"):
        ember.zeros(2).uniform_(1, 0)
    with pytest.raises(RuntimeError, match="uniform_: expected a floating-point dtype, got "
                                           "ember.int64"):
        ember.zeros(2, dtype=ember.int64).uniform_()
    with pytest.raises(RuntimeError, match="normal_: expected a floating-point dtype"):
        ember.zeros(2, dtype=ember.int32).normal_()
